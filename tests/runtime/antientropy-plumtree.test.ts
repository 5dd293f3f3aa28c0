/**
 * Anti-entropy beside Plumtree (runtime/antientropy.ts, `need` and the checks): on a healthy cluster Plumtree
 * delivers every delta and anti-entropy only confirms it with digests; where Plumtree loses a delta and has no
 * other path (a tree has no lazy links), anti-entropy's check finds it and repairs it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../tools/sim/scenario.ts';
import { Net } from './net.ts';
import { composeNode, read, metrics } from '../../runtime/full.ts';
import { Client } from '../../runtime/membership/client.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import { registry, register } from '../../crdt/registry.ts';
import { PNCounter } from '../../crdt/pncounter.ts';

function run(topology: 'tree' | 'mesh', every: number, loss: number, seed: number) {
  return runScenario({
    name: 'ae-pt-' + topology,
    seed,
    nodes: 15,
    membership: 'full',
    topology,
    duration: 60000,
    link: { loss },
    workload: [{ kind: 'crdt', label: 'c', start: 15000, updates: 150, every, vars: [{ id: 's', type: 'gset', mutator: 'add', args: ['e$node.$k'] }] }],
  });
}

test('healthy cluster: anti-entropy sends no delta and no state for what Plumtree delivered, only digests', () => {
  // Spread (one update every 67 ms) and burst (every 7 ms, past the buffer's 64 entries) on a tree and a mesh.
  for (const topology of ['tree', 'mesh'] as const) {
    for (const every of [1000 / 15, 100 / 15]) {
      const r = run(topology, every, 0, 1);
      const what = topology + ', an update every ' + every.toFixed(1) + ' ms';
      assert.ok(r.crdt && r.crdt.converged, what + ': not converged');
      assert.is((r.crdt!.values.s as unknown[]).length, 150, what);
      // Between the first update and the last change anywhere, anti-entropy sends next to nothing: at most a DELTA
      // to a neighbour not yet heard speaking Plumtree (before its first GOSSIP or IHAVE), at most one per link.
      const b = r.crdt!.bytesToConverge;
      assert.ok(b.antientropy * 100 < b.plumtree, what + ': anti-entropy ' + b.antientropy + ' bytes, Plumtree ' + b.plumtree);
      assert.ok((r.counters['ae.deltas'] || 0) <= 2 * 14 * (topology === 'mesh' ? 3 : 1), what + ': ' + r.counters['ae.deltas'] + ' DELTAs');
      // Over the whole run: no STATE (every check and round found the states equal), and the checks ran.
      assert.is(r.counters['ae.states'] || 0, 0, what + ': STATEs sent');
      assert.ok((r.counters['ae.checks'] || 0) > 0, what + ': no check ran');
    }
  }
});

test('a tree that loses a fifth of its frames: the checks find what Plumtree lost, and it converges', () => {
  for (const seed of [1, 2]) {
    const r = run('tree', 1000 / 15, 0.2, seed);
    assert.ok(r.crdt && r.crdt.converged, 'seed ' + seed + ': not converged');
    assert.is((r.crdt!.values.s as unknown[]).length, 150, 'seed ' + seed);
    assert.ok((r.counters['ae.checks'] || 0) > 0, 'seed ' + seed + ': no check ran');
    assert.ok((r.counters['ae.states'] || 0) > 0, 'seed ' + seed + ': nothing repaired by STATE');
  }
});

test('a neighbour without Plumtree (a board client) still gets the deltas by DELTA, not by a check and STATE', () => {
  // The gateway's Plumtree pushes GOSSIP to the board, which drops it: the board never speaks Plumtree, so the
  // pushes count for nothing and anti-entropy sends the deltas as before.
  const types = register(registry(), PNCounter);
  const net = new Net({ seed: 4, latency: [5, 40] });
  net.add({ id: 'g', seed: 3, membership: 'client-server' });
  net.cmd('g', { op: 'declare', id: 'hits', type: 'pncounter' });
  net.nodes.b = composeNode({ id: 'b', seed: 7, interest: ['hits'], maxVariables: 2 }, { membership: Client, plumtree: null, dataflow: null, types, sync: DeltaSync });
  net.cmd('b', { op: 'declare', id: 'hits', type: 'pncounter' });
  net.cmd('b', { op: 'join', contacts: ['g'] });
  net.run(5000);
  const before = metrics(net.nodes.g);
  for (let i = 0; i < 10; i++) {
    net.cmd('g', { op: 'update', id: 'hits', mutator: 'inc', args: [1] });
    net.run(net.now + 1500);
  }
  net.run(net.now + 40000);
  const after = metrics(net.nodes.g);
  assert.is(read(net.nodes.b, 'hits'), 10);
  assert.ok((after['bytes.payload'] || 0) > (before['bytes.payload'] || 0), 'the gateway pushed no GOSSIP');
  assert.ok((after['bytes.delta'] || 0) > (before['bytes.delta'] || 0), 'no DELTA went to the board');
  assert.is(after['bytes.state'] || 0, before['bytes.state'] || 0, 'STATEs went to the board');
});

test.run();
