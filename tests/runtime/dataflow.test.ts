import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { typeOf } from '../../crdt/all.ts';
import { equal, type Crdt } from '../../crdt/types.ts';
import { keyOf } from '../../crdt/keys.ts';
import { sortItems } from '../../crdt/order.ts';
import { derive, outSpec, measure, DataflowError, MAX_PAIR_ENTRIES } from '../../runtime/dataflow/ops.ts';

// ---- a small replicated world: writers make deltas on the inputs; observers receive them in any order ----

type Spec = 'orset' | 'gset' | 'twopset';
interface Op {
  r: number;
  v: number;
  kind: 'add' | 'remove' | 'sync';
  x: number;
  from: number;
}

/** One derived variable: op over earlier variables (inputs are indexes into the variable list). */
interface Node {
  op: string;
  ins: number[];
  fn: ((...xs: any[]) => any) | null;
  init?: any;
}

const FNS = {
  mod3: (x: any) => (typeof x === 'number' ? x % 3 : keyOf(x).length % 3),
  notOne: (x: any) => x !== 1,
  pairSum: (p: any) => p[0] + p[1],
  pairDiff: (p: any) => p[0] !== p[1],
  sum: (acc: number, x: number) => acc + x,
};

/** Writers' histories: per-writer views of each input, the deltas they made, in the order made. */
function history(specs: Spec[], ops: Op[]): { deltas: [number, any][]; finals: any[] } {
  const types = specs.map((s) => typeOf(s));
  const views: any[][] = [0, 1, 2].map(() => types.map((t) => t.bottom()));
  const deltas: [number, any][] = [];
  for (const o of ops) {
    const t = types[o.v];
    if (o.kind === 'sync') {
      views[o.r][o.v] = t.join(views[o.r][o.v], views[o.from][o.v]);
      continue;
    }
    if (specs[o.v] === 'gset' && o.kind === 'remove') continue;
    let d: any;
    try {
      d = t.mutators[o.kind](views[o.r][o.v], 'w' + o.r, [o.x]);
    } catch (e) {
      if ((e as Error).name === 'MutatorError') continue; // a 2P-Set refusing a remove of an unseen element
      throw e;
    }
    views[o.r][o.v] = t.join(views[o.r][o.v], d);
    deltas.push([o.v, d]);
  }
  const finals = types.map((t, v) => deltas.filter((d) => d[0] === v).reduce((s, d) => t.join(s, d[1]), t.bottom()));
  return { deltas, finals };
}

/**
 * An observer: holds the inputs and every derived variable, and after each delivery re-derives in order and
 * joins the result into the derived variable's state, as runtime/node.ts does. Returns the derived states.
 */
function observe(specs: Spec[], graph: Node[], deliveries: [number, any][]): { specs: string[]; states: any[] } {
  const all: string[] = specs.slice();
  for (const n of graph) all.push(outSpec(n.op, n.ins.map((i) => all[i])));
  const types = all.map((s) => typeOf(s));
  const states = types.map((t) => t.bottom());
  // Derived once when defined, then after every delivery.
  for (const [v, d] of ([[-1, null]] as [number, any][]).concat(deliveries)) {
    if (v >= 0) states[v] = types[v].join(states[v], d);
    for (let g = 0; g < graph.length; g++) {
      const o = specs.length + g;
      const out = derive(graph[g].op, graph[g].ins.map((i) => all[i]), graph[g].ins.map((i) => states[i]), graph[g].fn, graph[g].init ?? null);
      states[o] = types[o].join(states[o], out);
    }
  }
  return { specs: all, states };
}

/** The sequential specification on values, for the same graph. */
function expected(specs: Spec[], graph: Node[], finals: any[]): any[] {
  const vals: any[] = specs.map((s, i) => typeOf(s).value(finals[i]));
  for (const n of graph) {
    const xs = n.ins.map((i) => vals[i]);
    let v: any;
    if (n.op === 'map') v = uniq(xs[0].map(n.fn));
    else if (n.op === 'filter') v = xs[0].filter(n.fn);
    else if (n.op === 'union') v = uniq(xs.flat());
    else if (n.op === 'intersection') v = xs[0].filter((x: any) => xs[1].some((y: any) => keyOf(y) === keyOf(x)));
    else if (n.op === 'product') v = uniq(xs[0].flatMap((x: any) => xs[1].map((y: any) => [x, y])));
    else if (n.op === 'fold') v = xs[0].reduce(n.fn, n.init);
    vals.push(Array.isArray(v) && n.op !== 'fold' ? sortItems(v) : v);
  }
  return vals;
}

function uniq(xs: any[]): any[] {
  const seen: { [k: string]: boolean } = {};
  return xs.filter((x) => (seen[keyOf(x)] ? false : (seen[keyOf(x)] = true)));
}

/** A delivery order: every delta at least once, in a random order, some twice. */
function shuffle<T>(xs: T[], keys: number[], dups: number[]): T[] {
  const withDups = xs.concat(dups.filter((i) => i < xs.length).map((i) => xs[i]));
  return withDups.map((x, i) => ({ x, k: keys[i % keys.length] + i * 1e-9 })).sort((a, b) => a.k - b.k).map((p) => p.x);
}

const opArb = (inputs: number) =>
  fc.record({
    r: fc.nat(2),
    v: fc.nat(inputs - 1),
    kind: fc.constantFrom('add', 'add', 'remove', 'sync') as fc.Arbitrary<'add' | 'remove' | 'sync'>,
    x: fc.nat(5),
    from: fc.nat(2),
  });

function convergence(name: string, specs: Spec[], graph: Node[], runs: number): void {
  test(name, () => {
    fc.assert(
      fc.property(
        fc.array(opArb(specs.length), { maxLength: 40 }),
        fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.nat(60), { maxLength: 10 }),
        (ops, orders, dups) => {
          const h = history(specs, ops);
          const want = expected(specs, graph, h.finals);
          const seen = orders.map((keys) => observe(specs, graph, shuffle(h.deltas, keys, dups)));
          const types = seen[0].specs.map((s) => typeOf(s));
          for (let v = specs.length; v < types.length; v++) {
            for (let o = 1; o < seen.length; o++) {
              assert.ok(equal(types[v], seen[0].states[v], seen[o].states[v]), 'derived ' + v + ' differs between observers');
            }
            assert.equal(types[v].value(seen[0].states[v]), want[v], 'derived ' + v + ' against the sequential specification');
          }
        },
      ),
      { numRuns: runs, seed: 42 },
    );
  });
}

convergence('filter(map(union(a, b))) over OR-Sets: every order gives the same output, and the specified one', ['orset', 'orset'], [
  { op: 'union', ins: [0, 1], fn: null },
  { op: 'map', ins: [2], fn: FNS.mod3 },
  { op: 'filter', ins: [3], fn: FNS.notOne },
], 150);

convergence('map(filter(product(a, b))) with an OR-Set and a 2P-Set', ['orset', 'twopset'], [
  { op: 'product', ins: [0, 1], fn: null },
  { op: 'filter', ins: [2], fn: FNS.pairDiff },
  { op: 'map', ins: [3], fn: FNS.pairSum },
], 100);

convergence('fold(union(intersection(a, b), map(c))) with an OR-Set, a G-Set and an OR-Set', ['orset', 'gset', 'orset'], [
  { op: 'intersection', ins: [0, 1], fn: null },
  { op: 'map', ins: [2], fn: FNS.mod3 },
  { op: 'union', ins: [3, 4], fn: null },
  { op: 'fold', ins: [5], fn: FNS.sum, init: 0 },
], 100);

convergence('G-Sets stay G-Sets: filter(product(a, b)), intersection and union', ['gset', 'gset'], [
  { op: 'product', ins: [0, 1], fn: null },
  { op: 'filter', ins: [2], fn: FNS.pairDiff },
  { op: 'intersection', ins: [0, 1], fn: null },
  { op: 'union', ins: [0, 1], fn: null },
], 60);

test('derivations are monotone: a ≤ a′ gives f(a) ≤ f(a′), removals included', () => {
  const specs: Spec[] = ['orset', 'orset'];
  const graph: Node[] = [
    { op: 'product', ins: [0, 1], fn: null },
    { op: 'intersection', ins: [0, 1], fn: null },
    { op: 'map', ins: [0], fn: FNS.mod3 },
    { op: 'fold', ins: [0], fn: FNS.sum, init: 0 },
  ];
  fc.assert(
    fc.property(fc.array(opArb(2), { maxLength: 30 }), fc.nat(40), (ops, cut) => {
      const h = history(specs, ops);
      const early = observe(specs, graph, h.deltas.slice(0, cut));
      const late = observe(specs, graph, h.deltas);
      for (let v = 2; v < early.specs.length; v++) {
        const t = typeOf(early.specs[v]);
        const ins = graph[v - 2].ins;
        const fe = derive(graph[v - 2].op, ins.map((i) => early.specs[i]), ins.map((i) => early.states[i]), graph[v - 2].fn, graph[v - 2].init ?? null);
        const fl = derive(graph[v - 2].op, ins.map((i) => late.specs[i]), ins.map((i) => late.states[i]), graph[v - 2].fn, graph[v - 2].init ?? null);
        assert.ok(t.leq(fe, fl), graph[v - 2].op + ' is not monotone');
        // The observer's joined state is exactly f(inputs): stale outputs never stick.
        assert.ok(equal(t, late.states[v], fl), graph[v - 2].op + ': joined output differs from f(inputs)');
      }
    }),
    { numRuns: 150, seed: 7 },
  );
});

test('a derived OR-Set state is a well-formed state: it survives the codec', () => {
  const h = history(['orset', 'orset'], [
    { r: 0, v: 0, kind: 'add', x: 1, from: 0 },
    { r: 1, v: 1, kind: 'add', x: 1, from: 0 },
    { r: 1, v: 1, kind: 'add', x: 2, from: 0 },
    { r: 0, v: 0, kind: 'remove', x: 1, from: 0 },
    { r: 0, v: 0, kind: 'add', x: 3, from: 0 },
  ]);
  for (const op of ['product', 'intersection', 'union']) {
    const out = derive(op, ['orset', 'orset'], h.finals, null, null);
    const T = typeOf('orset') as Crdt<any, any>;
    assert.ok(equal(T, T.decode(T.encode(out)), out), op);
  }
});

test('counters: union is the sum; fold over a counter applies the function to its state', () => {
  const G = typeOf('gcounter');
  const P = typeOf('pncounter');
  const g = G.join(G.mutators.inc(G.bottom(), 'a', [3]), G.mutators.inc(G.bottom(), 'b', [4]));
  const p = P.join(P.mutators.inc(P.bottom(), 'a', [10]), P.mutators.dec(P.bottom(), 'a', [2]));
  assert.is(outSpec('union', ['gcounter', 'gcounter']), 'gcounter');
  assert.is(G.value(derive('union', ['gcounter', 'gcounter'], [g, g], null, null)), 14);
  assert.is(outSpec('union', ['gcounter', 'pncounter']), 'pncounter');
  assert.is(P.value(derive('union', ['gcounter', 'pncounter'], [g, p], null, null)), 15);
  const f = derive('fold', ['pncounter'], [p], (acc: number, s: any) => acc + P.value(s) * 2, 1);
  assert.equal(f, { ts: 12, replica: 'fold', value: 17 });
});

test('awmap filter keeps the keys that pass, under the same context', () => {
  const M = typeOf('awmap(gcounter)');
  let s = M.bottom();
  for (const k of ['ad1', 'ad2', 'zz']) s = M.join(s, M.mutators.apply(s, 'a', [k, 'inc', [1]]));
  const out = derive('filter', ['awmap(gcounter)'], [s], (k: string) => k.slice(0, 2) === 'ad', null);
  assert.equal(M.value(out), { ad1: 1, ad2: 1 });
  assert.is(outSpec('filter', ['awmap(gcounter)']), 'awmap(gcounter)');
});

test('measure grows strictly with every strict inflation of an OR-Set, removals included', () => {
  const T = typeOf('orset');
  let s = T.bottom();
  let last = measure('orset', s);
  const steps: [string, any[]][] = [['add', ['x']], ['add', ['y']], ['remove', ['x']], ['add', ['x']], ['remove', ['y']], ['clear', []]];
  for (const [m, a] of steps) {
    const d = T.mutators[m](s, 'r', a);
    if (T.leq(d, s)) continue;
    s = T.join(s, d);
    const now = measure('orset', s);
    assert.ok(now > last, m + ' ' + JSON.stringify(a) + ': ' + now + ' after ' + last);
    last = now;
  }
  // A removal that arrives before its add: the same context either way, one dot fewer held.
  const add = T.mutators.add(T.bottom(), 'r', ['x']);
  const rm = T.mutators.remove(add, 'q', ['x']);
  assert.ok(measure('orset', add) < measure('orset', T.join(add, rm)));
});

test('refusals are DataflowErrors with reasons', () => {
  const reason = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.instance(e, DataflowError);
      return (e as DataflowError).reason;
    }
    return 'none';
  };
  assert.is(reason(() => outSpec('zip', ['orset'])), 'op');
  assert.is(reason(() => outSpec('map', ['orset', 'orset'])), 'arity');
  assert.is(reason(() => outSpec('union', ['orset'])), 'arity');
  assert.is(reason(() => outSpec('product', ['gcounter', 'orset'])), 'type');
  assert.is(reason(() => outSpec('map', ['lww'])), 'type');
  assert.is(reason(() => derive('map', ['gset'], [{ i1: 1 }], () => undefined, null)), 'fn');
  assert.is(reason(() => derive('filter', ['gset'], [{ i1: 1 }], () => { throw new Error('boom'); }, null)), 'fn');
  assert.is(reason(() => derive('map', ['gset'], [{ i1: 1 }], null, null)), 'fn');
  // A product whose context would pass the bound.
  const T = typeOf('orset');
  let a = T.bottom();
  for (let i = 0; i < 70; i++) a = T.join(a, T.mutators.add(a, 'r', [i]));
  let b = T.bottom();
  for (let i = 0; i < 70; i++) b = T.join(b, T.mutators.add(b, 'q' + i, [i]));
  assert.ok(70 * 70 > MAX_PAIR_ENTRIES);
  assert.is(reason(() => derive('product', ['orset', 'orset'], [a, b], null, null)), 'size');
});

test.run();
