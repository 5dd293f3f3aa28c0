/**
 * The cluster key over a real broker: a plain MQTT client (no key, any client of the broker) publishing into a
 * node's inbox, the attack measured in issue 12, changes nothing on keyed nodes and is counted; a recorded frame
 * replayed is dropped; keyed nodes converge and rotate their key without a restart; run-node takes --key-file and
 * never shows the key.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../crdt/codec/cbor.ts';
import { ORSet } from '../../crdt/orset.ts';
import { GOSSIP, VERSION } from '../../runtime/messages.ts';
import * as auth from '../../runtime/auth.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { nodeCrypto } from '../../transports/crypto.ts';
import { testBroker, type TestBroker } from '../support/broker.ts';
import { NodeProc, startAll } from '../support/proc.ts';
import { until, sleep } from '../support/wait.ts';

const KEY1 = '11'.repeat(32);
const KEY2 = '22'.repeat(32);

function forgedAdd(from: string, msgId: string, el: string): Uint8Array {
  const d = ORSet.encode(ORSet.mutators.add(ORSet.bottom(), from, [el]));
  return encode([VERSION, GOSSIP, from, 0, [msgId, 0, [1, 'basket', 'orset', d]]]);
}

async function node(b: TestBroker, id: string, o: { key?: string; keys?: { id: number; key: string }[]; contacts?: string[] }): Promise<PollenDriver> {
  const link = await mqttLink({ id, url: b.url, protocolVersion: b.protocolVersion, root: b.root, keepalive: 2 });
  const n = await startNode({ id, links: [link], contacts: o.contacts, seed: id.charCodeAt(0), key: o.key, keys: o.keys });
  n.declare('basket', 'orset');
  return n;
}

test('attack over MQTT: a plain client publishing into the inbox writes without a key, and is dropped and counted with one', async () => {
  const b = await testBroker();
  const evil = await mqtt.connectAsync(b.url, { protocolVersion: b.protocolVersion, clientId: 'evil-' + process.pid });
  const nodes: PollenDriver[] = [];
  try {
    const a = await node(b, 'a', { key: KEY1 });
    const c = await node(b, 'c', { key: KEY1, contacts: ['a'] });
    nodes.push(a, c);
    await until(() => a.neighbors().includes('c') && c.neighbors().includes('a'), 'a and c neighbours over sealed frames');
    // Record what a sends c, to replay it later.
    const spy = await mqtt.connectAsync(b.url, { protocolVersion: b.protocolVersion, clientId: 'spy-' + process.pid });
    const recorded: Buffer[] = [];
    spy.on('message', (_t, p) => recorded.push(Buffer.from(p)));
    await spy.subscribeAsync(b.root + '/inbox/c/a', { qos: 0 });
    a.update('basket', 'add', ['milk']);
    await until(() => (c.query('basket') ?? []).includes('milk'), 'c converges with a');
    await until(() => recorded.length > 0, 'the spy recorded a frame');
    await spy.endAsync();
    const replays = recorded.filter((r, i) => recorded.findIndex((o) => o.equals(r)) === i);

    let sent = 0;
    const wrong = auth.init({ keys: [{ id: 0, key: new Uint8Array(32).fill(0x33) }], primitives: nodeCrypto, epoch: 2 ** 47 });
    for (let i = 0; i < 20; i++) {
      // As a stranger, then claiming to be a (the sender id is just a topic level), unsealed and sealed with a guess.
      await evil.publishAsync(b.root + '/inbox/c/mallory', Buffer.from(forgedAdd('mallory', 'mallory:0:' + i, 'forged')));
      await evil.publishAsync(b.root + '/inbox/c/a', Buffer.from(forgedAdd('a', 'a:9:' + i, 'forged')));
      await evil.publishAsync(b.root + '/inbox/c/a', Buffer.from(auth.seal(wrong, 'a', 'c', forgedAdd('a', 'a:8:' + i, 'forged'))));
      sent += 3;
    }
    for (const r of replays) await evil.publishAsync(b.root + '/inbox/c/a', r);
    await until(() => {
      const m = c.metrics();
      return (m['dropped.auth.none'] ?? 0) + (m['dropped.auth.tag'] ?? 0) + (m['dropped.auth.replay'] ?? 0) >= sent + replays.length;
    }, 'every forged and replayed frame counted');
    const m = c.metrics();
    // At least: MQTT QoS 0 may hand a frame over twice, and every copy is dropped the same way.
    assert.ok(m['dropped.auth.none'] >= 40 && m['dropped.auth.tag'] >= 20 && m['dropped.auth.replay'] >= replays.length, JSON.stringify(m));
    assert.is(m['dropped'], m['dropped.auth.none'] + m['dropped.auth.tag'] + m['dropped.auth.replay'], 'something else was dropped');
    assert.equal(c.query('basket'), ['milk'], 'a forged or replayed frame changed the set');
    assert.not.ok(c.metrics()['store.vars'] > 1, 'a variable was declared for a stranger');
    console.log('  frames rejected at c: ' + m['dropped'] + ' (' + m['dropped.auth.none'] + ' without a tag, ' + m['dropped.auth.tag'] + ' bad tag, ' + m['dropped.auth.replay'] + ' replays)');
  } finally {
    await evil.endAsync();
    for (const n of nodes) await n.close();
    await b.close();
  }
});

test('the attack without a key: a plain client publishing into the inbox adds to the set (what the key is for)', async () => {
  const b = await testBroker();
  const evil = await mqtt.connectAsync(b.url, { protocolVersion: b.protocolVersion, clientId: 'evil-' + process.pid });
  const open = await node(b, 'o', {});
  try {
    await evil.publishAsync(b.root + '/inbox/o/mallory', Buffer.from(forgedAdd('mallory', 'mallory:0:0', 'forged')));
    await until(() => (open.query('basket') ?? []).includes('forged'), 'the keyless node takes the forged add');
  } finally {
    await evil.endAsync();
    await open.close();
    await b.close();
  }
});

test('rotation without a restart: both keys accepted during the switch, the old key refused after it', async () => {
  const b = await testBroker();
  const nodes: PollenDriver[] = [];
  try {
    const old = { id: 1, key: KEY1 };
    const neu = { id: 2, key: KEY2 };
    const a = await node(b, 'a', { keys: [old] });
    const c = await node(b, 'c', { keys: [old], contacts: ['a'] });
    nodes.push(a, c);
    await until(() => a.neighbors().includes('c'), 'neighbours');
    // 1: every node accepts the new key; 2: every node seals with it; 3: the old key goes.
    a.setKeys([old, neu]);
    c.setKeys([old, neu]);
    a.setKeys([neu, old]);
    a.update('basket', 'add', ['during']);
    await until(() => (c.query('basket') ?? []).includes('during'), 'c hears a sealing with the new key');
    c.setKeys([neu, old]);
    a.setKeys([neu]);
    c.setKeys([neu]);
    c.update('basket', 'add', ['after']);
    await until(() => (a.query('basket') ?? []).includes('after'), 'a hears c after the rotation');
    assert.equal(a.keyIds(), [2]);
    // A node still on the old key is not heard.
    const late = await node(b, 'l', { keys: [old], contacts: ['a'] });
    nodes.push(late);
    late.update('basket', 'add', ['stale-key']);
    await until(() => (a.metrics()['dropped.auth.key'] ?? 0) > 0, 'a drops the old key');
    await sleep(300);
    assert.not.ok(a.query('basket').includes('stale-key'));
    assert.not.ok(a.neighbors().includes('l'));
  } finally {
    for (const n of nodes) await n.close();
    await b.close();
  }
});

test('run-node --key-file: keyed processes converge, a process with another key is kept out, no key digit is ever printed', async () => {
  const b = await testBroker();
  const dir = mkdtempSync(join(tmpdir(), 'pollen-keys-'));
  const good = join(dir, 'cluster.keys');
  const other = join(dir, 'other.keys');
  writeFileSync(good, '# the cluster\n1 ' + KEY1 + '\n');
  writeFileSync(other, '1 ' + KEY2 + '\n');
  const args = (id: string, file: string, join?: string) => [
    '--id', id, '--url', b.url, '--root', b.root, '--mqtt-version', String(b.protocolVersion), '--keepalive', '2',
    '--key-file', file, ...(join ? ['--join', join] : []),
  ];
  const procs: NodeProc[] = [];
  const lines: string[] = [];
  try {
    const [p, q, x] = await startAll(procs, [NodeProc.start(args('p', good)), NodeProc.start(args('q', good, 'p')), NodeProc.start(args('x', other, 'p'))]);
    for (const pr of procs) pr.child.stdout!.on('data', (d) => lines.push(String(d)));
    for (const pr of procs) pr.cmd('declare basket orset');
    p.cmd('update basket add milk');
    x.cmd('update basket add forged');
    await q.until((s) => (s.vars.basket ?? []).includes('milk'), 'q converges with p');
    await sleep(1000);
    p.cmd('metrics');
    await sleep(300);
    assert.not.ok(q.state.vars.basket.includes('forged'), 'the other key wrote');
    assert.not.ok(p.state.vars.basket.includes('forged'), 'the other key wrote');
    const all = lines.join('') + procs.map((pr) => pr.stderr).join('');
    assert.match(all, /auth\.tag/, 'p counts the other key\'s frames');
    assert.not.ok(all.includes('1111') || all.includes('2222'), 'a key was printed');
  } finally {
    for (const pr of procs) await pr.quit();
    rmSync(dir, { recursive: true, force: true });
    await b.close();
  }
});

test.run();
