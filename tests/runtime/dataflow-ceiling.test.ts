/**
 * Product and intersection past their pair bound (runtime/dataflow.ts maxPairEntries, default 4096 context
 * entries): the application is told, by a 'stale' event on the output, once per transition, and a node that
 * raises the knob keeps deriving correct outputs well past the default.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNode, step, metrics } from '../../runtime/full.ts';
import type { NodeEvent, Output } from '../../runtime/io.ts';
import * as lasp from '../../runtime/dataflow/api.ts';
import { MAX_PAIR_ENTRIES } from '../../runtime/dataflow/ops.ts';
import { typeOf } from '../../crdt/all.ts';

function events(outs: Output[], type: string): NodeEvent[] {
  const es: NodeEvent[] = [];
  for (const o of outs) if (o.kind === 'event' && o.event.type === type) es.push(o.event);
  return es;
}

/** A node with a and b (OR-Sets), `out` derived from them by `op`; adds go to a at replica 'n0' and to b. */
function setup(op: 'product' | 'intersection', maxPairEntries?: number) {
  const n = createNode({ id: 'n0', seed: 1, membership: 'full', dataflow: maxPairEntries === undefined ? undefined : { maxPairEntries } });
  lasp.declare(n, 'a', 'orset', 0);
  lasp.declare(n, 'b', 'orset', 0);
  if (op === 'product') lasp.product(n, 'out', 'a', 'b', 0);
  else lasp.intersection(n, 'out', 'a', 'b', 0);
  return n;
}

/** b's state as 100 replicas each added one element (0 … 99): the pair context is |dots of a| × 100. */
function manyReplicas(): unknown {
  const T = typeOf('orset');
  let b = T.bottom();
  for (let r = 0; r < 100; r++) b = T.join(b, T.mutators.add(b, 'q' + r, [r]));
  return b;
}

test('intersection past 4,096 context entries: a stale event (once), the output stays as it was', () => {
  const n = setup('intersection');
  lasp.bind(n, 'b', manyReplicas(), 0);
  const stale: NodeEvent[] = [];
  let lastGood: unknown = null;
  // 40 dots of a × 100 replicas of b = 4,000 entries; the 41st add passes 4,096.
  for (let k = 0; k < 60; k++) {
    const outs = lasp.update(n, 'a', 'add', [k * 2], k);
    stale.push(...events(outs, 'stale'));
    if (stale.length === 0) lastGood = lasp.query(n, 'out');
  }
  assert.is(stale.length, 1, 'one stale event, not one per change');
  const e = stale[0] as Extract<NodeEvent, { type: 'stale' }>;
  assert.is(e.id, 'out');
  assert.is(e.stale, true);
  assert.is(e.reason, 'size');
  assert.match(e.message, /maxPairEntries 4096/);
  const evens = Array.from({ length: 40 }, (_x, k) => k * 2).filter((x) => x < 100);
  assert.equal(lastGood, evens);
  assert.equal(lasp.query(n, 'out'), evens, 'the output keeps its last derived state');
  assert.is(metrics(n)['dataflow.error.size'], 20);
  // The same changes on a node that raised the knob: no stale event, the right output throughout.
  const big = setup('intersection', 20000);
  lasp.bind(big, 'b', manyReplicas(), 0);
  for (let k = 0; k < 60; k++) assert.is(events(lasp.update(big, 'a', 'add', [k * 2], k), 'stale').length, 0);
  assert.equal(lasp.query(big, 'out'), Array.from({ length: 50 }, (_x, k) => k * 2));
  const s = lasp.state(big, 'out') as { c: { vv: Record<string, number> } };
  assert.ok(Object.keys(s.c.vv).length > MAX_PAIR_ENTRIES, 'the context is past the default bound: ' + Object.keys(s.c.vv).length);
});

test('product past the bound: stale, then fresh again when removals bring it back under', () => {
  const n = setup('product', 300);
  for (let k = 0; k < 10; k++) lasp.update(n, 'b', 'add', [k], k);
  const seen: Extract<NodeEvent, { type: 'stale' }>[] = [];
  const take = (outs: Output[]) => seen.push(...(events(outs, 'stale') as Extract<NodeEvent, { type: 'stale' }>[]));
  // a × b: 10 replicas' entries? b has one replica (n0), so the context is |dots of a| entries; the
  // product's elements |a| × 10 pass 300 at a's 31st element.
  for (let k = 0; k < 31; k++) take(lasp.update(n, 'a', 'add', [k], 100 + k));
  assert.is(seen.length, 1);
  assert.is(seen[0].reason, 'size');
  assert.is((lasp.query(n, 'out') as unknown[]).length, 300);
  // Shrink b: 31 × 9 = 279 ≤ 300 pairs, the context (a's 31 dots × 1 replica) is small: derived again.
  take(lasp.update(n, 'b', 'remove', [9], 200));
  assert.is(seen.length, 2);
  assert.is(seen[1].stale, false);
  assert.is(seen[1].reason, '');
  assert.is((lasp.query(n, 'out') as unknown[]).length, 279);
  // The node's step never threw: a peer's change past the bound is the same path (propagate).
  const outs = step(n, { kind: 'command', command: { op: 'update', id: 'b', mutator: 'add', args: [9] } }, 300);
  assert.is(events(outs, 'stale').length, 1);
});

test.run();
