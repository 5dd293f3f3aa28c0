/**
 * Discovery on a LAN by mDNS/DNS-SD, kept on this machine: two `pollen node` processes with TCP links on
 * 127.0.0.1, no MQTT and no contacts, announcing and browsing `_pollen._tcp` on the loopback interface. Each finds
 * the other's listener, dials it, says what it found, joins it, and an update made on one reaches the other.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliProc } from '../support/cliproc.ts';

test('pollen node --mdns: two nodes with no contacts find each other over TCP and converge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-mdns-'));
  const tag = process.pid.toString(36) + Date.now().toString(36);
  const procs: CliProc[] = [];
  try {
    const start = (id: string) => {
      const f = join(dir, id + '.json');
      writeFileSync(f, JSON.stringify({ id, mqtt: false, tcp: { listen: '127.0.0.1:0' }, mdns: { interface: '127.0.0.1' }, variables: { hits: 'gcounter' } }));
      const p = CliProc.start(['node', '--config', f, '--json', '--stdin']);
      procs.push(p);
      return p;
    };
    // Ids unique to this run, so another run's announcements on this machine are not taken for ours.
    const a = start('a-' + tag);
    const b = start('b-' + tag);
    await a.event((e) => e.ev === 'ready', 'a ready');
    await b.event((e) => e.ev === 'ready', 'b ready');
    const found = await b.event((e) => e.ev === 'discovered' && e.peer === 'a-' + tag, 'b discovers a by mDNS', 30_000);
    assert.match(found.address, /^127\.0\.0\.1:\d+$/);
    assert.is(found.by, 'mdns');
    await a.event((e) => e.ev === 'neighbor' && e.peer === 'b-' + tag && e.up, 'a and b are neighbours', 30_000);
    a.send('update hits inc 3');
    await b.event((e) => e.ev === 'state' && e.vars.hits === 3, 'b sees hits = 3', 20_000);
  } finally {
    for (const p of procs) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
