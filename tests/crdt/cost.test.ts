/**
 * Cost of the add-wins map and the OR-Set against fresh replica ids and large nested states (issue 12: the fuzzer
 * found a 51.5 KB awmap(gcounter) delta that cost 6.8 s of CPU in one step; an OR-Set element or a graph vertex
 * carrying 4,000 fresh replicas' dots, 56 KB, cost 1.4 s). Checked by counting work through hooks, at two sizes:
 * work that grows 4× when the input grows 4× is linear; the quadratic code grew 16×. No clock is read.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { awmap, type AWMapState, type Contribution } from '../../crdt/awmap.ts';
import { GCounter, type GCounterState } from '../../crdt/gcounter.ts';
import type { Crdt } from '../../crdt/types.ts';
import { ORSet, type ORSetState } from '../../crdt/orset.ts';
import { AWGraph, type AWGraphState } from '../../crdt/awgraph.ts';
import { MVRegister, type MVRegisterState, type Write } from '../../crdt/mvregister.ts';
import { ALL } from '../../crdt/all.ts';
import { applyRemote, createStore, declare } from '../../runtime/store.ts';

const test = suite('cost against fresh replica ids');

/** A G-Counter that counts the entries each of its operations is handed (the hook). */
function countingGCounter(): { t: Crdt<GCounterState, number>; work: () => number } {
  let n = 0;
  const size = (s: GCounterState) => Object.keys(s).length;
  const t: Crdt<GCounterState, number> = {
    ...GCounter,
    join: (a, b) => { n += size(a) + size(b); return GCounter.join(a, b); },
    joinInto: (a, b) => { n += size(b); return GCounter.joinInto(a, b); },
    copy: (s) => { n += size(s); return GCounter.copy(s); },
    leq: (a, b) => { n += size(a); return GCounter.leq(a, b); },
    decompose: (s) => { n += size(s); return GCounter.decompose(s); },
  };
  return { t: t, work: () => n };
}

/** RR of `delta` into an empty variable of type `t` (the store's applyRemote), as a node receiving it does. */
function receive(t: Crdt<any, any>, delta: any): any {
  const store = createStore(2, ALL);
  const v = declare(store, 'v', 'awmap(gcounter)');
  v.type = t;
  return applyRemote(store, 'v', delta);
}

/** One key, one contribution whose nested G-Counter has n entries (what a peer may send in one frame). */
function nestedWork(n: number): number {
  const c = countingGCounter();
  const M = awmap(c.t);
  const g: GCounterState = {};
  for (let i = 0; i < n; i++) g['q' + String(i).padStart(5, '0')] = 1;
  const d: AWMapState<GCounterState> = { m: { sk: [['a', 1, 1, g]] }, c: { vv: { a: 1 }, cloud: {} } };
  const fresh = receive(M, d);
  assert.is(GCounter.value(fresh.m.sk[0][3]), n);
  // and the parts join back to the delta, as the fuzzer checks
  let acc = M.bottom();
  for (const p of M.decompose(d)) acc = M.joinInto(acc, p);
  assert.is(M.value(acc).k, n);
  return c.work();
}

test('a contribution with a large nested state costs linear work through RR (was quadratic: one part per nested entry)', () => {
  const small = nestedWork(500);
  const large = nestedWork(2000);
  assert.ok(large <= 6 * small, 'nested work grew ' + (large / small).toFixed(1) + '× for 4× the entries');
});

/** The value of one key holding n contributions (one per replica, each a one-entry nested G-Counter). */
function valueWork(n: number): number {
  const c = countingGCounter();
  const M = awmap(c.t);
  const cs: Contribution<GCounterState>[] = [];
  const vv: { [r: string]: number } = {};
  for (let i = 0; i < n; i++) {
    const r = 'r' + String(i).padStart(5, '0');
    const g: GCounterState = {};
    g[r + '.1'] = 1;
    cs.push([r, 1, 1, g]);
    vv[r] = 1;
  }
  const s: AWMapState<GCounterState> = { m: { sk: cs }, c: { vv: vv, cloud: {} } };
  assert.is(M.value(s).k, n);
  return c.work();
}

test('the value of a key with thousands of contributions costs linear work (was quadratic: each joined a copy of the rest)', () => {
  const small = valueWork(500);
  const large = valueWork(2000);
  assert.ok(large <= 6 * small, 'value work grew ' + (large / small).toFixed(1) + '× for 4× the contributions');
});

/**
 * One key, n contributions from n fresh replica ids, as n one-contribution parts (what decompose makes of such a
 * delta, and what RR joins one by one). Counts reads of the contributions' dots (the hook: each is a Proxy):
 * joining the parts one by one, and asking of each part whether the whole is above it.
 */
function freshWork(n: number): number {
  const M = awmap(GCounter);
  let reads = 0;
  const parts: AWMapState<GCounterState>[] = [];
  for (let i = 0; i < n; i++) {
    const r = 'r' + String(i).padStart(5, '0');
    const g: GCounterState = {};
    g[r + '.1'] = 1;
    const x = new Proxy([r, 1, 1, g] as Contribution<GCounterState>, { get: (o, k) => { if (k === '0') reads++; return (o as any)[k]; } });
    const vv: { [r: string]: number } = {};
    vv[r] = 1;
    parts.push({ m: { sk: [x] }, c: { vv: vv, cloud: {} } });
  }
  let acc = M.bottom();
  for (let i = 0; i < n; i++) acc = M.joinInto(acc, parts[i]);
  assert.is(M.value(acc).k, n);
  for (let i = 0; i < n; i++) assert.ok(M.leq(parts[i], acc));
  // RR of the whole, then of one part again (redundant)
  const store = createStore(2, ALL);
  declare(store, 'v', 'awmap(gcounter)');
  assert.is(M.value(applyRemote(store, 'v', acc)).k, n);
  assert.is(applyRemote(store, 'v', parts[n >> 1]), null);
  return reads;
}

test('thousands of fresh replica ids under one key cost n log n reads through joinInto and leq (was n²: a walk of the key per part)', () => {
  const small = freshWork(500);
  const large = freshWork(2000);
  assert.ok(large <= 7 * small, 'reads grew ' + (large / small).toFixed(1) + '× for 4× the contributions');
});

/**
 * A replica id that counts every time it is read as a string (compared, used as a key, printed): the hook for
 * flat dot lists ([r1, n1, …]), whose entries are primitives a Proxy cannot wrap. One object per replica, so
 * dots moved from a part into the state stay the same id.
 */
function countingId(r: string, tick: () => void): string {
  return { valueOf: () => { tick(); return r; }, toString: () => { tick(); return r; } } as unknown as string;
}

/** One element added by n fresh replicas, as n one-dot parts; counts reads of the replica ids. */
function orsetWork(n: number): number {
  let reads = 0;
  const tick = () => { reads++; };
  const parts: ORSetState[] = [];
  for (let i = 0; i < n; i++) {
    const r = 'r' + String(i).padStart(5, '0');
    const vv: { [r: string]: number } = {};
    vv[r] = 1;
    parts.push({ m: { smilk: { e: 'milk', d: [countingId(r, tick), 1] } }, c: { vv: vv, cloud: {} } });
  }
  let acc = ORSet.bottom();
  for (let i = 0; i < n; i++) acc = ORSet.joinInto(acc, parts[i]);
  assert.is(acc.m.smilk.d.length, 2 * n);
  for (let i = 0; i < n; i++) assert.ok(ORSet.leq(parts[i], acc));
  // the store encodes what it takes: there the ids are plain strings again
  const plain = (x: ORSetState): ORSetState => ({ m: { smilk: { e: 'milk', d: x.m.smilk.d.map((y) => typeof y === 'number' ? y : String(y)) } }, c: x.c });
  const store = createStore(2, ALL);
  declare(store, 'v', 'orset');
  assert.equal(ORSet.value(applyRemote(store, 'v', plain(acc))), ['milk']);
  assert.is(applyRemote(store, 'v', plain(parts[n >> 1])), null);
  return reads;
}

test('an OR-Set element with thousands of fresh replicas\' dots costs n log n reads through joinInto and leq (was n²)', () => {
  const small = orsetWork(500);
  const large = orsetWork(2000);
  assert.ok(large <= 7 * small, 'reads grew ' + (large / small).toFixed(1) + '× for 4× the dots');
});

/** n concurrent writes by n fresh replicas, as n one-write parts; counts reads of the writes (each a Proxy). */
function mvWork(n: number): number {
  let reads = 0;
  const parts: MVRegisterState[] = [];
  for (let i = 0; i < n; i++) {
    const r = 'r' + String(i).padStart(5, '0');
    const w = new Proxy([r, 1, 'x'] as Write, { get: (o, k) => { if (k === '0') reads++; return (o as any)[k]; } });
    const vv: { [r: string]: number } = {};
    vv[r] = 1;
    parts.push({ s: [w], c: { vv: vv, cloud: {} } });
  }
  let acc = MVRegister.bottom();
  for (let i = 0; i < n; i++) acc = MVRegister.joinInto(acc, parts[i]);
  assert.is(acc.s.length, n);
  for (let i = 0; i < n; i++) assert.ok(MVRegister.leq(parts[i], acc));
  const store = createStore(2, ALL);
  declare(store, 'v', 'mvregister');
  assert.equal(MVRegister.value(applyRemote(store, 'v', acc)), ['x']);
  assert.is(applyRemote(store, 'v', parts[n >> 1]), null);
  return reads;
}

test('thousands of concurrent writes in an MV register cost n log n reads through joinInto and leq (was n²)', () => {
  const small = mvWork(500);
  const large = mvWork(2000);
  assert.ok(large <= 7 * small, 'reads grew ' + (large / small).toFixed(1) + '× for 4× the writes');
});

/** One vertex added by n fresh replicas, as n one-dot parts; counts reads of the replica ids. */
function graphWork(n: number): number {
  let reads = 0;
  const tick = () => { reads++; };
  const parts: AWGraphState[] = [];
  for (let i = 0; i < n; i++) {
    const r = 'r' + String(i).padStart(5, '0');
    const vv: { [r: string]: number } = {};
    vv[r] = 1;
    parts.push({ v: { i1: { e: 1, d: [countingId(r, tick), 1] } }, e: {}, c: { vv: vv, cloud: {} } });
  }
  let acc = AWGraph.bottom();
  for (let i = 0; i < n; i++) acc = AWGraph.joinInto(acc, parts[i]);
  assert.is(acc.v.i1.d.length, 2 * n);
  for (let i = 0; i < n; i++) assert.ok(AWGraph.leq(parts[i], acc));
  return reads;
}

test('a graph vertex with thousands of fresh replicas\' dots costs n log n reads through joinInto and leq (was n²)', () => {
  const small = graphWork(500);
  const large = graphWork(2000);
  assert.ok(large <= 7 * small, 'reads grew ' + (large / small).toFixed(1) + '× for 4× the dots');
});

/**
 * n elements, each added by its own replica whose context row claims 2^31 dots (so decompose makes one row part
 * per replica, carrying that replica's dots): counts reads of the elements' dot lists (each a Proxy).
 */
function rowsWork(n: number, graph: boolean): number {
  let reads = 0;
  const m: { [k: string]: { e: string; d: (string | number)[] } } = {};
  const vv: { [r: string]: number } = {};
  for (let i = 0; i < n; i++) {
    const r = 'r' + String(i).padStart(5, '0');
    vv[r] = 2 ** 31;
    m['s' + r] = { e: r, d: new Proxy([r, 2 ** 31], { get: (o, k) => { if (k === '0') reads++; return (o as any)[k]; } }) };
  }
  const parts = graph
    ? AWGraph.decompose({ v: m, e: {}, c: { vv: vv, cloud: {} } })
    : ORSet.decompose({ m: m, c: { vv: vv, cloud: {} } });
  assert.is(parts.length, 2 * n, 'one part per dot, one per row');
  return reads;
}

for (const graph of [false, true]) {
  test((graph ? 'graph' : 'OR-Set') + ': decompose of thousands of replicas\' rows gathers their dots in one walk (was rows × dots)', () => {
    const small = rowsWork(500, graph);
    const large = rowsWork(2000, graph);
    assert.ok(large <= 6 * small, 'reads grew ' + (large / small).toFixed(1) + '× for 4× the rows');
  });
}

/**
 * RR of an n-entry delta, through a G-Counter whose joinInto counts the state's entries as well as the delta's (as
 * a list type pays when it copies the list it edits): folding the n parts one by one into one state was n².
 */
function rrWork(n: number): number {
  let work = 0;
  const size = (x: GCounterState) => Object.keys(x).length;
  const t: Crdt<GCounterState, number> = { ...GCounter, joinInto: (a, b) => { work += size(a) + size(b); return GCounter.joinInto(a, b); } };
  const store = createStore(2, ALL);
  const v = declare(store, 'v', 'gcounter');
  v.type = t;
  const d: GCounterState = {};
  for (let i = 0; i < n; i++) d['r' + String(i).padStart(5, '0')] = 1;
  assert.is(GCounter.value(applyRemote(store, 'v', d)), n);
  return work;
}

test('RR joins a delta\'s new parts pairwise: n log n, even for a type whose joinInto copies what it edits (was n²)', () => {
  const small = rrWork(500);
  const large = rrWork(2000);
  assert.ok(large <= 6 * small, 'work grew ' + (large / small).toFixed(1) + '× for 4× the parts');
});

test('fuzz finding (awmap(gcounter), 33.7 KB): a context of 2,809 fresh replicas each claiming 2^31 dots, nothing held, makes one part per replica, and RR takes it once', () => {
  const M = awmap(GCounter);
  const vv: { [r: string]: number } = {};
  for (let i = 0; i < 2809; i++) vv['fax' + i.toString(36)] = 2 ** 31;
  const d: AWMapState<GCounterState> = { m: {}, c: { vv: vv, cloud: {} } };
  const parts = M.decompose(d);
  assert.is(parts.length, 2809, 'one row part per replica, no dot listed');
  let acc = M.bottom();
  for (const p of parts) acc = M.joinInto(acc, p);
  assert.ok(M.leq(acc, d) && M.leq(d, acc), 'the parts join back to the delta');
  const store = createStore(2, ALL);
  declare(store, 'v', 'awmap(gcounter)');
  assert.ok(M.leq(applyRemote(store, 'v', d), d));
  assert.is(applyRemote(store, 'v', d), null);
});

test.run();
