/**
 * Anti-entropy beside Plumtree (runtime/antientropy.ts, `need` and the checks): on a healthy cluster Plumtree
 * delivers every delta and anti-entropy only confirms it with digests; where Plumtree loses a delta and has no
 * other path (a tree has no lazy links), anti-entropy's check finds it and repairs it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../tools/sim/scenario.ts';

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
      // Nothing of anti-entropy's between the first update and the last change anywhere.
      assert.is(r.crdt!.bytesToConverge.antientropy, 0, what + ': anti-entropy bytes while converging');
      // Over the whole run: no STATE (every check and round found the states equal), and the checks ran.
      assert.is(r.counters['ae.states'] || 0, 0, what + ': STATEs sent');
      assert.ok((r.counters['ae.checks'] || 0) > 0, what + ': no check ran');
      if (every > 10) assert.is(r.counters['ae.deltas'] || 0, 0, what + ': DELTAs sent');
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

test.run();
