import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario, type ScenarioResult } from '../../tools/sim/scenario.ts';
import { scenario } from './load.ts';

function report(r: ScenarioResult): string {
  const c = r.crdt;
  return JSON.stringify({ seed: r.seed, crdt: c && { ...c, values: undefined }, overlay: r.overlay.final, divergence: r.series.divergence.slice(-10) });
}

/** Every live replica ends with the same states, and each update counted once. */
function converged(r: ScenarioResult, incs: number): void {
  const c = r.crdt;
  assert.ok(c, 'no CRDT results');
  assert.ok(c.converged, 'not converged: ' + report(r));
  assert.is(c.distinct, 1);
  assert.ok(c.convergenceTime !== null && c.convergenceTime >= 0);
  assert.is(c.values.hits, incs, report(r));
  assert.is(r.series.divergence[r.series.divergence.length - 1], 0);
}

// tools/sim/scenarios/crdt-lossy.json: 120 updates (PN-Counter, OR-Set, LWW register) at random nodes while links
// lose 30% of frames, duplicate 10% and hold back 20% (reordering); the network splits in two halves from 25 s
// to 45 s. The PN-Counter gets every third update, an increment of 1.
const LOSSY: [string, Parameters<typeof scenario>[1]][] = [
  ['HyParView, 50 nodes', {}],
  ['full membership, 20 nodes', { membership: 'full', nodes: 20 }],
  ['client-server, 2 servers and 28 clients', { membership: 'client-server', nodes: 30, servers: 2 }],
];

for (const [what, over] of LOSSY) {
  test('CRDT updates under 30% loss, 10% duplication, reordering and a partition that heals converge: ' + what, () => {
    const r = runScenario(scenario('crdt-lossy', { seed: 1, ...over }));
    assert.ok(r.links.loss > 0 && r.links.partition > 0, 'the links did lose and cut: ' + JSON.stringify(r.links));
    assert.is(r.crdt?.updates, 120);
    converged(r, 40);
    const tags = r.crdt?.values.tags as number[];
    assert.is(tags.length, 40);
  });
}

// tools/sim/scenarios/crdt-restart.json: 8 of 30 nodes crash during the updates and come back 15 s later with
// empty stores (no persisted state); anti-entropy's digest exchange and full-state fallback must refill them.
test('a crash-restart without persisted state still converges (anti-entropy full-state fallback)', () => {
  const r = runScenario(scenario('crdt-restart', { seed: 1 }));
  assert.is(r.overlay.final.alive, 30);
  converged(r, 50);
  assert.ok((r.counters['ae.states'] ?? 0) > 0, 'full states were sent: ' + JSON.stringify(r.counters));
  assert.ok(r.bytes.total.state > 0);
});

test.run();
