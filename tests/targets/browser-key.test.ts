/**
 * A cluster key on a page (targets/browser/key.ts): the page's synchronous HMAC-SHA256 (sha256.ts) agrees with
 * node:crypto, and a page node (targets/browser/page.ts, run here on Node with the same code the bundle holds)
 * keyed with the gateway's pages key converges through the broker with a HyParView node behind the gateway, while
 * a page with another key is refused: its frames are dropped by the gateway for their tags and it never joins.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { sha256, hmacSha256 } from '../../targets/browser/sha256.ts';
import { clusterKey } from '../../targets/browser/key.ts';
import { startPage, type PageNode } from '../../targets/browser/page.ts';
import { startGateway } from '../../targets/node/gateway.ts';
import { registry, register } from '../../crdt/registry.ts';
import { ORSet } from '../../crdt/orset.ts';
import { startBroker } from '../../transports/broker.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { startNode } from '../../transports/driver.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function until(what: string, f: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('sha256 and hmacSha256 agree with node:crypto across block boundaries and long keys', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 4096]) {
    const d = randomBytes(n);
    assert.is(hex(sha256(d)), createHash('sha256').update(d).digest('hex'), 'sha256 of ' + n + ' bytes');
    for (const kn of [16, 32, 64, 65, 200]) {
      const k = randomBytes(kn);
      assert.is(hex(hmacSha256(k, d)), createHmac('sha256', k).update(d).digest('hex'), 'hmac of ' + n + ' bytes, ' + kn + '-byte key');
    }
  }
});

test('clusterKey refuses a short or malformed key without echoing it', () => {
  assert.throws(() => clusterKey('abcd'), /at least 16 bytes/);
  assert.throws(() => clusterKey('zz'.repeat(16)), /hex digits/);
});

test('a keyed page converges through its gateway with a HyParView node; a page with another key is refused', async () => {
  const key = randomBytes(32);
  const broker = await startBroker();
  const n1 = await startNode({ id: 'n1', links: [await mqttLink({ id: 'n1', url: broker.url, root: 'keyed', protocolVersion: 4 })] });
  n1.declare('basket', 'orset');
  const gw = await startGateway({ id: 'gw', url: broker.url, root: 'keyed', contacts: ['n1'], pagesKey: key });
  const types = register(registry(), ORSet);
  const pages: PageNode[] = [];
  const page = async (id: string, k: Uint8Array) => {
    const link = await mqttLink({ id, url: broker.url, root: gw.pagesRoot, protocolVersion: 4 });
    const p = await startPage({ id, link, types, contacts: ['gw'], key: clusterKey(k) });
    pages.push(p);
    await p.declare('basket', 'orset');
    return p;
  };
  try {
    const good = await page('web-good', key);
    const bad = await page('web-bad', randomBytes(32));
    await good.update('basket', 'add', ['milk']);
    await bad.update('basket', 'add', ['poison']);
    n1.update('basket', 'add', ['bread']);
    const want = '["bread","milk"]';
    const sorted = (v: string[]) => JSON.stringify(v.slice().sort());
    await until('the keyed page and n1 converge', () => sorted(good.query('basket')) === want && sorted(n1.query('basket')) === want);
    assert.equal(good.neighbors(), ['gw']);
    await until('the gateway drops the other page\'s frames for their tags', () => (gw.pages.metrics()['dropped.auth.tag'] ?? 0) > 0);
    assert.equal(bad.neighbors(), [], 'the page with another key is never accepted');
    assert.is(sorted(bad.query('basket')), '["poison"]', 'and hears nothing');
    assert.not.ok(n1.query('basket').includes('poison'), 'its update never reaches the cluster');
  } finally {
    await Promise.all(pages.map((p) => p.close()));
    await gw.close();
    await n1.close();
    await broker.close();
  }
});

test.run();
