/**
 * `pollen node` for real: two nodes on a broker (aedes, or MQTT_URL), the second with no contacts, joining the
 * first it finds by its retained presence; a variable from the config file; an update on one seen on the other;
 * /metrics scraped over HTTP on loopback in the Prometheus text format; usage errors exit 2.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBroker } from '../support/broker.ts';
import { CliProc, runCli } from '../support/cliproc.ts';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

/** A TCP port free on loopback now (the node is then told to listen on it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

test('pollen node: config file, discovery through MQTT presence, an update across, /metrics over HTTP', async () => {
  const b = await testBroker();
  const dir = mkdtempSync(join(tmpdir(), 'pollen-node-'));
  const procs: CliProc[] = [];
  try {
    const cfg = join(dir, 'a.json');
    writeFileSync(cfg, JSON.stringify({ id: 'a', mqtt: { url: b.url, root: b.root, version: b.protocolVersion, keepalive: 2 }, variables: { hits: 'gcounter' }, http: '127.0.0.1:0' }));
    const a = CliProc.start(['node', '--config', cfg, '--json', '--stdin']);
    procs.push(a);
    const ready = await a.event((e) => e.ev === 'ready', 'a ready');
    assert.match(ready.http, /^http:\/\/127\.0\.0\.1:\d+$/);
    const bb = CliProc.start(['node', '--json', '--stdin', '--id', 'b', '--url', b.url, '--root', b.root, '--mqtt-version', String(b.protocolVersion), '--var', 'hits:gcounter']);
    procs.push(bb);
    await bb.event((e) => e.ev === 'found' && e.peer === 'a' && e.link === 'mqtt', 'b finds a by its presence');
    await bb.event((e) => e.ev === 'joining' && e.peer === 'a', 'b joins a, having no contacts');
    await a.event((e) => e.ev === 'neighbor' && e.peer === 'b' && e.up, 'a has b as a neighbour');
    a.send('update hits inc 5');
    await bb.event((e) => e.ev === 'state' && e.vars.hits === 5, 'b sees hits = 5');

    const res = await fetch(ready.http + '/metrics');
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (re: RegExp) => {
      const m = re.exec(text);
      return m ? Number(m[1]) : NaN;
    };
    assert.match(text, /^# TYPE pollen_link_bytes_sent_total counter$/m);
    assert.ok(value(/^pollen_link_bytes_sent_total\{link="mqtt",class="payload"\} (\d+)$/m) > 0, 'the update went out as payload on mqtt:\n' + text);
    assert.ok(value(/^pollen_link_bytes_received_total\{link="mqtt",class="control"\} (\d+)$/m) > 0, 'membership traffic came in');
    assert.is(value(/^pollen_view_peers\{view="active"\} (\d+)$/m), 1);
    assert.is(value(/^pollen_store_variables (\d+)$/m), 1);
    assert.ok(value(/^pollen_last_change_timestamp_seconds ([\d.]+)$/m) > 1.7e9);
    assert.match(text, /^pollen_node_info\{id="a",membership="hyparview"\} 1$/m);
    // Every sample line is NAME{labels} VALUE, as the format requires.
    for (const line of text.trim().split('\n')) if (!line.startsWith('#')) assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[\d.e+]+$/);
    const state = await (await fetch(ready.http + '/state')).json();
    assert.equal(state.active, ['b']);
    assert.equal(state.vars, { hits: 5 });
    assert.is(await (await fetch(ready.http + '/nothing')).status, 404);

    assert.is(await a.stop(), 0);
    assert.ok(a.events.some((e) => e.ev === 'closed'), 'a says it closed');
  } finally {
    for (const p of procs) await p.stop();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pollen node with a key file over TCP: keyed nodes share updates, a node with another key never gets in, SIGHUP rotates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-node-key-'));
  const procs: CliProc[] = [];
  const hex = () => randomBytes(16).toString('hex');
  try {
    const k1 = '1 ' + hex() + '\n';
    writeFileSync(join(dir, 'a.keys'), k1);
    writeFileSync(join(dir, 'b.keys'), k1);
    writeFileSync(join(dir, 'x.keys'), '1 ' + hex() + '\n');
    const common = ['--json', '--stdin', '--url', 'none', '--var', 'hits:gcounter', '--membership', 'full'];
    const port = await freePort();
    const a = CliProc.start(['node', ...common, '--id', 'a', '--tcp-listen', '127.0.0.1:' + port, '--key-file', join(dir, 'a.keys')]);
    procs.push(a);
    await a.event((e) => e.ev === 'ready', 'a ready');
    const b = CliProc.start(['node', ...common, '--id', 'b', '--tcp-connect', '127.0.0.1:' + port, '--join', 'a', '--key-file', join(dir, 'b.keys')]);
    procs.push(b);
    const x = CliProc.start(['node', ...common, '--id', 'x', '--tcp-connect', '127.0.0.1:' + port, '--join', 'a', '--key-file', join(dir, 'x.keys')]);
    procs.push(x);
    await b.event((e) => e.ev === 'ready', 'b ready');
    await x.event((e) => e.ev === 'ready', 'x ready');
    await a.event((e) => e.ev === 'neighbor' && e.peer === 'b' && e.up, 'a has b as a neighbour');
    b.send('update hits inc 4');
    await a.event((e) => e.ev === 'state' && e.vars.hits === 4, 'a sees b\'s 4');
    x.send('update hits inc 100');
    await new Promise((r) => setTimeout(r, 1500));
    assert.not.ok(a.events.some((e) => e.ev === 'neighbor' && e.peer === 'x'), 'x, with another key, became a neighbour');
    assert.not.ok(a.events.some((e) => e.ev === 'state' && e.vars.hits >= 100), 'x\'s update reached a');
    // Rotation: a new key first, the old one still accepted; SIGHUP makes a read its file again.
    writeFileSync(join(dir, 'a.keys'), '2 ' + hex() + '\n' + k1);
    a.child.kill('SIGHUP');
    const keys = await a.event((e) => e.ev === 'keys', 'a says which keys it holds');
    assert.equal(keys.ids, [2, 1]);
    assert.not.ok(JSON.stringify(a.events).includes(k1.slice(2, 34)), 'a key was printed');
  } finally {
    for (const p of procs) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pollen node: usage errors exit 2 and name the problem; --help exits 0', async () => {
  const noId = await runCli(['node', '--url', 'none', '--tcp-listen', '0']);
  assert.is(noId.code, 2);
  assert.match(noId.err, /--id .* is required/);
  const noLink = await runCli(['node', '--id', 'x', '--url', 'none']);
  assert.is(noLink.code, 2);
  assert.match(noLink.err, /no link/);
  const bad = await runCli(['node', '--frobnicate']);
  assert.is(bad.code, 2);
  assert.match(bad.err, /Unknown option '--frobnicate'/);
  const help = await runCli(['node', '--help']);
  assert.is(help.code, 0);
  assert.match(help.out, /usage: pollen node/);
});

test.run();
