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
import { NodeProc, type NodeState } from '../support/proc.ts';

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
    const [b1, c1] = await Promise.all([NodeProc.start(args('b', 'a')), NodeProc.start(args('c', 'a'))]);
    procs.push(b1, c1);
    let c = c1;
    for (const p of procs) {
      p.cmd('declare hits pncounter');
      p.cmd('declare tags orset');
    }
    // Updates, and what they must add up to.
    let hits = 0;
    const tags = new Set<string>();
    const inc = (p: NodeProc, n: number) => {
      p.cmd('update hits ' + (n >= 0 ? 'inc ' + n : 'dec ' + -n));
      hits += n;
    };
    const add = (p: NodeProc, t: string) => {
      p.cmd('update tags add "' + t + '"');
      tags.add(t);
    };
    inc(procs[0], 3);
    inc(procs[1], 4);
    inc(procs[2], -2);
    add(procs[0], 'x');
    add(procs[1], 'y');
    add(procs[2], 'z');
    procs[2].cmd('update tags remove "z"');
    tags.delete('z');
    const converged = (s: NodeState) => s.vars.hits === hits && JSON.stringify(s.vars.tags) === JSON.stringify([...tags].sort());
    let t = Date.now();
    for (const p of procs) await p.until(converged, p.id + ' converged (hits ' + hits + ')');
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
    c.cmd('declare hits pncounter');
    c.cmd('declare tags orset');
    t = Date.now();
    await c.until(converged, 'the restarted c caught up');
    figures.push('restarted c caught up ' + (Date.now() - t) + ' ms after ready');
    inc(c, 1);
    add(c, 'v');
    for (const p of procs) await p.until(converged, p.id + ' converged after the restart');
    await procs[0].until(() => overlay(procs), 'the overlay holds c again');
    console.log('cluster (' + (b.embedded ? 'aedes' : b.url) + '): ' + figures.join('; '));
    assert.is(hits, 16);
    assert.equal([...tags].sort(), ['v', 'w', 'x', 'y']);
  } finally {
    await Promise.all(procs.map((p) => p.quit()));
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function joinPath(dir: string, id: string): string {
  return join(dir, id + '.pollen');
}

/** Everyone has a neighbour and the active views connect everyone (views as last reported by each process). */
function overlay(ps: NodeProc[]): boolean {
  const byId = new Map(ps.map((p) => [p.id, p.state.neighbors]));
  const seen = new Set([ps[0].id]);
  const todo = [ps[0].id];
  while (todo.length) for (const q of byId.get(todo.pop()!) ?? []) if (byId.has(q) && !seen.has(q)) seen.add(q), todo.push(q);
  return seen.size === ps.length && ps.every((p) => p.state.neighbors.length > 0);
}

test.run();
