/**
 * Three node processes on loopback, each with the MQTT link and HyParView (the broker: aedes, or MQTT_URL).
 * They form an overlay, converge a counter and an OR-Set, and converge again after one is killed and restarted
 * (with its state file, as a deployed node would be).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBroker } from '../support/broker.ts';
import { NodeProc, startAll } from '../support/proc.ts';
import { overlay } from '../support/overlay.ts';
import { Updates } from '../support/updates.ts';

test('three processes over MQTT: overlay, convergence, kill and restart, convergence again', async () => {
  const b = await testBroker();
  const dir = mkdtempSync(join(tmpdir(), 'pollen-cluster-'));
  const args = (id: string, join?: string) => [
    '--id', id, '--url', b.url, '--root', b.root, '--mqtt-version', String(b.protocolVersion), '--keepalive', '2',
    '--store', joinPath(dir, id), ...(join ? ['--join', join] : []),
  ];
  const procs: NodeProc[] = [];
  try {
    const a = await NodeProc.start(args('a'));
    procs.push(a);
    // b and c start together (a process takes seconds to start on a busy machine); both join through a.
    let [, c] = await startAll(procs, [NodeProc.start(args('b', 'a')), NodeProc.start(args('c', 'a'))]);
    // Updates, and what they must add up to.
    const u = new Updates();
    const { inc, add, converged } = u;
    for (const p of procs) u.declare(p);
    inc(procs[0], 3);
    inc(procs[1], 4);
    inc(procs[2], -2);
    add(procs[0], 'x');
    add(procs[1], 'y');
    add(procs[2], 'z');
    u.remove(procs[2], 'z');
    let t = Date.now();
    for (const p of procs) await p.until(converged, p.id + ' converged (hits ' + u.hits + ')');
    await procs[0].until(() => overlay(procs), 'a connected overlay');
    const figures = ['converged ' + (Date.now() - t) + ' ms after the updates'];

    await new Promise((r) => setTimeout(r, 1500)); // past the 1 s save delay: c's state is on disk
    await c.kill();
    t = Date.now();
    for (const p of procs.slice(0, 2)) await p.until((s) => !s.neighbors.includes('c'), p.id + ' drops the dead c');
    inc(procs[0], 10);
    add(procs[1], 'w');
    for (const p of procs.slice(0, 2)) await p.until(converged, p.id + ' converged without c');
    figures.push('c dropped and a, b converged ' + (Date.now() - t) + ' ms after the kill');

    c = await NodeProc.start(args('c', 'a'));
    procs[2] = c;
    u.declare(c);
    t = Date.now();
    await c.until(converged, 'the restarted c caught up');
    figures.push('restarted c caught up ' + (Date.now() - t) + ' ms after ready');
    inc(c, 1);
    add(c, 'v');
    for (const p of procs) await p.until(converged, p.id + ' converged after the restart');
    await procs[0].until(() => overlay(procs), 'the overlay holds c again');
    console.log('cluster (' + (b.embedded ? 'aedes' : b.url) + '): ' + figures.join('; '));
    assert.is(u.hits, 16);
    assert.equal(u.tags, ['v', 'w', 'x', 'y']);
  } finally {
    await Promise.all(procs.map((p) => p.quit()));
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function joinPath(dir: string, id: string): string {
  return join(dir, id + '.pollen');
}

test.run();
