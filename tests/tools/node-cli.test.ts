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
