/**
 * `npm run bench`: what each CRDT costs on the wire and how fast large states join. Not a test: it prints
 * figures for the closing notes and BENCHMARKS.md, and asserts nothing.
 *
 * Table 1, per type and mutator: the delta one call returns, as Pollen's deterministic CBOR and as JSON of the
 * same plain state (what a naive implementation would ship), after a short warm-up history so that the state
 * the mutator sees is realistic (several replicas, some elements).
 * Table 2: join throughput of large states, e.g. two 10,000-element OR-Sets built on different replicas, and
 * encode/decode of the result.
 * Table 3: deltas folded one at a time into a large state (join, joinInto, and the store's RR path).
 *
 *   npm run bench                # everything
 *   npm run bench -- --quick     # smaller states (for a smoke run)
 *   npm run bench -- --deltas    # table 3 only
 *   npm run bench -- --progress  # a progress bar on stderr even when it is not a terminal
 */
import { performance } from 'node:perf_hooks';
import { encode, decode } from '../../crdt/codec/cbor.ts';
import { typeOf, ALL } from '../../crdt/all.ts';
import type { Crdt, Item } from '../../crdt/types.ts';
import { median } from './stats.ts';
import { applyRemote, createStore, declare } from '../../runtime/store.ts';
import { parse } from '../cli/args.ts';
import { table, type Cell } from '../cli/table.ts';
import { progress } from '../cli/progress.ts';

type AnyCrdt = Crdt<any, any>;

/** One row of table 1: a spec, a mutator call, and a warm-up history applied first (on replicas r0..r2). */
interface Case {
  spec: string;
  mutator: string;
  args: Item[];
  /** Calls applied before the measured one, round-robin over three replicas. */
  warm: [string, Item[]][];
}

const WARM_SET: [string, Item[]][] = [['add', ['milk']], ['add', ['eggs']], ['add', ['bread']], ['remove', ['eggs']]];

const CASES: Case[] = [
  { spec: 'gcounter', mutator: 'inc', args: [1], warm: [['inc', [3]], ['inc', [4]], ['inc', [5]]] },
  { spec: 'pncounter', mutator: 'inc', args: [1], warm: [['inc', [3]], ['dec', [1]], ['inc', [5]]] },
  { spec: 'pncounter', mutator: 'dec', args: [1], warm: [['inc', [3]], ['dec', [1]], ['inc', [5]]] },
  { spec: 'bcounter', mutator: 'inc', args: [5], warm: [['inc', [10]], ['inc', [10]]] },
  { spec: 'bcounter', mutator: 'dec', args: [2], warm: [['inc', [10]], ['inc', [10]], ['inc', [10]]] },
  { spec: 'bcounter', mutator: 'transfer', args: ['r1', 3], warm: [['inc', [10]], ['inc', [10]], ['inc', [10]]] },
  { spec: 'maxint', mutator: 'raise', args: [42], warm: [['raise', [7]]] },
  { spec: 'gset', mutator: 'add', args: ['butter'], warm: [['add', ['milk']], ['add', ['eggs']]] },
  { spec: 'twopset', mutator: 'add', args: ['butter'], warm: [['add', ['milk']], ['add', ['eggs']]] },
  { spec: 'twopset', mutator: 'remove', args: ['milk'], warm: [['add', ['milk']], ['add', ['eggs']]] },
  { spec: 'orset', mutator: 'add', args: ['butter'], warm: WARM_SET },
  { spec: 'orset', mutator: 'remove', args: ['milk'], warm: WARM_SET },
  { spec: 'orset', mutator: 'clear', args: [], warm: WARM_SET },
  { spec: 'lww', mutator: 'set', args: ['on', 1732521600000], warm: [['set', ['off', 1732521500000]]] },
  { spec: 'mvregister', mutator: 'set', args: ['v2'], warm: [['set', ['v0']], ['set', ['v1']]] },
  { spec: 'ewflag', mutator: 'enable', args: [], warm: [['enable', []], ['disable', []]] },
  { spec: 'ewflag', mutator: 'disable', args: [], warm: [['enable', []], ['enable', []]] },
  { spec: 'dwflag', mutator: 'enable', args: [], warm: [['disable', []], ['enable', []]] },
  { spec: 'dwflag', mutator: 'disable', args: [], warm: [['enable', []], ['enable', []]] },
  { spec: 'pair(gcounter,lww)', mutator: 'first', args: ['inc', [1]], warm: [['first', ['inc', [2]]], ['second', ['set', ['x', 5]]]] },
  { spec: 'pair(gcounter,lww)', mutator: 'second', args: ['set', ['y', 9]], warm: [['first', ['inc', [2]]], ['second', ['set', ['x', 5]]]] },
  { spec: 'awmap(pncounter)', mutator: 'apply', args: ['hits', 'inc', [1]], warm: [['apply', ['hits', 'inc', [2]]], ['apply', ['misses', 'inc', [1]]]] },
  { spec: 'awmap(pncounter)', mutator: 'remove', args: ['misses'], warm: [['apply', ['hits', 'inc', [2]]], ['apply', ['misses', 'inc', [1]]]] },
  { spec: 'awmap(lww)', mutator: 'apply', args: ['name', 'set', ['puck', 10]], warm: [['apply', ['name', 'set', ['pixl', 5]]]] },
  { spec: 'awgraph', mutator: 'addVertex', args: ['c'], warm: [['addVertex', ['a']], ['addVertex', ['b']], ['addEdge', ['a', 'b']]] },
  { spec: 'awgraph', mutator: 'addEdge', args: ['b', 'a'], warm: [['addVertex', ['a']], ['addVertex', ['b']], ['addEdge', ['a', 'b']]] },
  { spec: 'awgraph', mutator: 'removeVertex', args: ['a'], warm: [['addVertex', ['a']], ['addVertex', ['b']], ['addEdge', ['a', 'b']]] },
  { spec: 'awgraph', mutator: 'removeEdge', args: ['a', 'b'], warm: [['addVertex', ['a']], ['addVertex', ['b']], ['addEdge', ['a', 'b']]] },
];

const REPLICAS = ['r0', 'r1', 'r2'];

/** JSON of a state, with byte strings as arrays of numbers (JSON has no bytes). */
function jsonBytes(state: unknown): number {
  const text = JSON.stringify(state, (_k, v) => (v instanceof Uint8Array ? Array.prototype.slice.call(v) : v));
  return Buffer.byteLength(text === undefined ? 'null' : text, 'utf8');
}

function mutate(t: AnyCrdt, s: any, replica: string, name: string, args: Item[]): { s: any; d: any } {
  const d = t.mutators[name](s, replica, args);
  return { s: t.join(s, d), d: d };
}

function table1(): void {
  console.log('Deltas: bytes of the delta one mutator call returns (after a short warm-up on 3 replicas)\n');
  const out: Cell[][] = [];
  for (const c of CASES) {
    const t = typeOf(c.spec);
    let s = t.bottom();
    c.warm.forEach((w, i) => {
      s = mutate(t, s, REPLICAS[i % REPLICAS.length], w[0], w[1]).s;
    });
    const r = mutate(t, s, 'r0', c.mutator, c.args);
    const dItem = t.encode(r.d);
    const sItem = t.encode(r.s);
    // Round trip through the codec, so a figure never stands for bytes that would not decode.
    const back = t.decode(decode(encode(dItem)));
    if (!t.leq(back, r.d) || !t.leq(r.d, back)) throw new Error(c.spec + ' ' + c.mutator + ': delta does not survive the codec');
    out.push([c.spec, c.mutator, encode(dItem).length, jsonBytes(r.d), encode(sItem).length, jsonBytes(r.s)]);
  }
  console.log(table(['type', 'mutator', 'delta CBOR', 'delta JSON', 'state CBOR', 'state JSON'], out));
}

/** Median wall time in ms of `f` over `reps` runs, after one warm-up run. */
function timeMs(reps: number, f: () => unknown): number {
  f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** Build a state of n elements (or increments) on one replica by joining n deltas. */
function build(t: AnyCrdt, replica: string, n: number, op: (i: number) => [string, Item[]]): any {
  let s = t.bottom();
  for (let i = 0; i < n; i++) {
    const o = op(i);
    s = t.join(s, t.mutators[o[0]](s, replica, o[1]));
  }
  return s;
}

function table2(n: number): void {
  console.log('\nLarge states: join of two states built on different replicas, and codec of the result (median of 5)\n');
  const out: Cell[][] = [];
  const rows: { name: string; spec: string; a: (t: AnyCrdt) => any; b: (t: AnyCrdt) => any; elems: number }[] = [
    {
      name: 'orset: ' + n + ' + ' + n + ' elements (disjoint)',
      spec: 'orset',
      a: (t) => build(t, 'a', n, (i) => ['add', ['a' + i]]),
      b: (t) => build(t, 'b', n, (i) => ['add', ['b' + i]]),
      elems: 2 * n,
    },
    {
      name: 'orset: ' + n + ' + ' + n + ' elements (same ones)',
      spec: 'orset',
      a: (t) => build(t, 'a', n, (i) => ['add', ['e' + i]]),
      b: (t) => build(t, 'b', n, (i) => ['add', ['e' + i]]),
      elems: 2 * n,
    },
    {
      name: 'gset: ' + n + ' + ' + n + ' elements',
      spec: 'gset',
      a: (t) => build(t, 'a', n, (i) => ['add', ['a' + i]]),
      b: (t) => build(t, 'b', n, (i) => ['add', ['b' + i]]),
      elems: 2 * n,
    },
    {
      name: 'awmap(pncounter): ' + n / 10 + ' + ' + n / 10 + ' keys',
      spec: 'awmap(pncounter)',
      a: (t) => build(t, 'a', n / 10, (i) => ['apply', ['k' + i, 'inc', [1]]]),
      b: (t) => build(t, 'b', n / 10, (i) => ['apply', ['k' + (i + n / 20), 'inc', [2]]]),
      elems: n / 5,
    },
  ];
  for (const r of rows) {
    const t = typeOf(r.spec);
    const a = r.a(t);
    const b = r.b(t);
    let j: any;
    const ms = timeMs(5, () => (j = t.join(a, b)));
    const bytes = encode(t.encode(j));
    const enc = timeMs(5, () => encode(t.encode(j)));
    const dec = timeMs(5, () => t.decode(decode(bytes, { maxFrame: bytes.length, maxItems: 1e7, maxCount: 1e7 })));
    out.push([r.name, ms.toFixed(2), Math.round(r.elems / (ms / 1000)).toLocaleString('en-US'), bytes.length, enc.toFixed(2), dec.toFixed(2)]);
  }
  console.log(table(['workload', 'join ms', 'elems/s', 'bytes', 'enc ms', 'dec ms'], out));
}

/**
 * Table 3 (issue 10): deltas folded one at a time into a large state, as a node's store receives them. "join"
 * is the immutable join (a copy of the state per delta: O(state)); "joinInto" folds in place (O(delta)); "store"
 * is runtime/store.ts's applyRemote (RR, then joinInto), the path a delta from a peer takes.
 */
function table3(n: number, m: number): void {
  console.log('\nOne delta at a time into a large state: ' + m + ' deltas into a state of ' + n + ' (joins per second, median of 3)\n');
  const out: Cell[][] = [];
  const rows: { name: string; spec: string; state: (t: AnyCrdt) => any; deltas: (t: AnyCrdt, s: any) => any[] }[] = [
    {
      name: 'awmap(lww): ' + n + ' keys, 3 writers on 100 of them',
      spec: 'awmap(lww)',
      state: (t) => build(t, 'a', n, (i) => ['apply', ['k' + i, 'set', ['v', i + 1]]]),
      deltas: (t, s0) => {
        const out: any[] = [];
        let s = s0;
        for (let i = 0; i < m; i++) {
          // Three writers over a hundred hot keys: most writes replace a dot (a removal outside nothing new).
          const d = t.mutators.apply(s, 'w' + (i % 3), ['k' + ((i * 7919) % 100), 'set', ['w' + i, n + i + 1]]);
          s = t.join(s, d);
          out.push(d);
        }
        return out;
      },
    },
    {
      name: 'gcounter: ' + n + ' replicas, increments',
      spec: 'gcounter',
      state: (t) => {
        const s: any = t.bottom();
        for (let i = 0; i < n; i++) s['r' + i] = 1 + (i % 5);
        return s;
      },
      deltas: (t, s0) => {
        const out: any[] = [];
        let s = s0;
        for (let i = 0; i < m; i++) {
          const d = t.mutators.inc(s, 'r' + ((i * 7919) % n), [1]);
          s = t.join(s, d);
          out.push(d);
        }
        return out;
      },
    },
  ];
  for (const r of rows) {
    const t = typeOf(r.spec);
    const base = r.state(t);
    const ds = r.deltas(t, base);
    const join = timeMs(3, () => {
      let s = base;
      for (let i = 0; i < ds.length; i++) s = t.join(s, ds[i]);
      return s;
    });
    // The copy is made outside the timed loop's deltas but inside the run: it is one O(state) step per run.
    const into = timeMs(3, () => {
      let s = t.copy(base);
      for (let i = 0; i < ds.length; i++) s = t.joinInto(s, ds[i]);
      return s;
    });
    const store = timeMs(3, () => {
      const st = createStore(2, ALL);
      declare(st, 'v', r.spec).state = t.copy(base);
      for (let i = 0; i < ds.length; i++) applyRemote(st, 'v', ds[i]);
      return st;
    });
    const rate = (ms: number) => Math.round(ds.length / (ms / 1000));
    out.push([r.name, rate(join).toLocaleString('en-US'), rate(into).toLocaleString('en-US'), rate(store).toLocaleString('en-US'), (join / into).toFixed(1)]);
  }
  console.log(table(['workload', 'join/s', 'joinInto/s', 'store/s', '×'], out));
}

const USAGE = 'usage: npm run bench -- [--quick] [--deltas] [--progress]\n';
const args = parse(process.argv.slice(2), { quick: { type: 'boolean' }, deltas: { type: 'boolean' }, progress: { type: 'boolean' } }, USAGE, false);
if (typeof args === 'number') process.exit(args);
const quick = args.values.quick === true;
console.log('pollen bench: node ' + process.version + ', ' + new Date().toISOString().slice(0, 10) + (quick ? ' (quick)' : '') + '\n');
const tables: [string, () => void][] = [];
if (args.values.deltas !== true) tables.push(['delta sizes', table1], ['large states', () => table2(quick ? 1000 : 10000)]);
tables.push(['deltas into a large state', () => table3(quick ? 1000 : 10000, quick ? 500 : 2000)]);
const bar = progress('bench', tables.length, { force: args.values.progress === true });
for (let i = 0; i < tables.length; i++) {
  bar.set(i, tables[i][0]);
  tables[i][1]();
  bar.tick();
}
bar.done();
