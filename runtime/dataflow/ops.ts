/**
 * Lasp's derivations as pure functions of input states (Meiklejohn, Van Roy, "Lasp: a language for distributed,
 * coordination-free programming", PPDP 2015): map, filter, fold, union, intersection and product over sets,
 * union (a sum) over counters, and a key filter over add-wins maps.
 *
 *   const out = derive('filter', ['orset'], [ads], (e) => e !== 'banned', null);  // an OR-Set state
 *   outSpec('product', ['orset', 'gset']);                                         // 'orset'
 *
 * Why removals compose. Every output is a deterministic function f of the input states, and f is monotone in
 * the lattice order (a ≤ a' ⇒ f(a) ≤ f(a')). Replicas that saw the same inputs in any order hold equal input
 * states, so they compute equal outputs; a stale output joined in earlier (or a peer's copy of the output) is
 * f of something below the final inputs, hence below f(final), so joining it changes nothing. Monotonicity with
 * removals is got by deriving on the dot store, never on the value:
 * - OR-Set outputs keep the input's dots and causal context. map sends element e's dots to f(e) (several
 *   elements may merge into one, their dot lists merged); filter keeps the dots of the elements that pass. A
 *   removal shows up as dots seen by the context but no longer held, exactly as in the input.
 * - union renames each input's replica ids ("0." + r, "1." + r, ...) so two inputs' dots never collide, and
 *   joins the renamed stores and contexts.
 * - product and intersection pair dots: the output dot (da, db) is alive while both halves are, and the
 *   output context is ca × cb (every pair of seen dots). A pair dot is a dot whose replica id spells da and
 *   b's replica, with b's counter: "<len(ra)>.<ra>.<na>.<rb>", nb. Its cost: the context holds one entry per
 *   (dot seen by a, replica of b); it, and a product's |a| × |b| elements, are bounded by MAX_PAIR_ENTRIES.
 * - G-Sets and 2P-Sets mixed with OR-Sets are first lifted to OR-Sets (element e holds the one dot
 *   ("g" + keyOf(e), 1); a 2P-Set's removed elements keep the dot in the context only), a monotone embedding.
 * - fold has no monotone form on the value (a removal lowers a sum), so its output is an LWW register whose
 *   timestamp is a measure of the input that grows strictly with every strict inflation (for an OR-Set: dots
 *   seen plus dots removed); the write made from a larger input always wins.
 * The functions given to map, filter and fold must be deterministic functions of their arguments (plain
 * functions, no clocks, no randomness), or replicas would compute different outputs.
 */
import { type Context, type Dot, cmpDot, contextDots, emptyContext, joinContext } from '../../crdt/causal.ts';
import { type Elems, type ORSetState, dotPairs, flatDots } from '../../crdt/orset.ts';
import type { GSetState } from '../../crdt/gset.ts';
import type { TwoPSetState } from '../../crdt/twopset.ts';
import type { GCounterState } from '../../crdt/gcounter.ts';
import type { PNCounterState } from '../../crdt/pncounter.ts';
import type { AWMapState } from '../../crdt/awmap.ts';
import type { LWWState } from '../../crdt/lww.ts';
import { isItem } from '../../crdt/guards.ts';
import { hasOwn, keyOf, sortedKeys } from '../../crdt/keys.ts';
import { sortItems } from '../../crdt/order.ts';
import type { Item } from '../../crdt/types.ts';
import { type ReasonError, errorType } from '../../crdt/errors.ts';

/** Default bound on the entries (vector plus cloud) of one product or intersection context: |dots of a| ×
 *  |replicas of b|. 4096 entries is about 40 KB of state on Node, far more than a board holds; an ad catalogue
 *  of a few hundred adds by one server needs a few hundred. Past it the derivation fails with DataflowError
 *  "size"; the node then tells the application (a 'stale' event, runtime/dataflow.ts), and a node that can
 *  afford more raises the dataflow knob maxPairEntries. */
export const MAX_PAIR_ENTRIES = 4096;

/** The replica id that fold writes its LWW register under (any fixed id would do: the timestamp decides). */
export const FOLD_REPLICA = 'fold';

/** Why a derivation was refused or failed: "op" (unknown operation), "type" (inputs it does not apply to),
 *  "arity", "fn" (the function threw or returned something that is not plain data), "size" (MAX_PAIR_ENTRIES). */
export interface DataflowError extends ReasonError {}
export const DataflowError = /* @__PURE__ */ errorType<DataflowError>('DataflowError');

/** The operations, with how many inputs each takes (-1: two or more). */
export const ARITY: { [op: string]: number } = {
  map: 1,
  filter: 1,
  fold: 1,
  union: -1,
  intersection: 2,
  product: 2,
};

/** Does the operation take a function? */
export function takesFn(op: string): boolean {
  return op === 'map' || op === 'filter' || op === 'fold';
}

function isSet(spec: string): boolean {
  return spec === 'gset' || spec === 'orset' || spec === 'twopset';
}

function isCounter(spec: string): boolean {
  return spec === 'gcounter' || spec === 'pncounter';
}

function isMap(spec: string): boolean {
  return spec.slice(0, 6) === 'awmap(';
}

function allOf(specs: string[], spec: string): boolean {
  for (let i = 0; i < specs.length; i++) if (specs[i] !== spec) return false;
  return true;
}

/** Can fold measure this type (see measure)? */
function measurable(spec: string): boolean {
  return isSet(spec) || isCounter(spec) || spec === 'maxint' || isMap(spec);
}

/**
 * The output's type spec for an operation over inputs of these (canonical) specs, or DataflowError "type" /
 * "arity" / "op" when the operation does not apply.
 */
export function outSpec(op: string, specs: string[]): string {
  if (!hasOwn(ARITY, op)) throw new DataflowError('op', 'unknown operation "' + op + '" (known: ' + sortedKeys(ARITY).join(', ') + ')');
  const n = ARITY[op];
  if ((n > 0 && specs.length !== n) || (n < 0 && specs.length < 2)) {
    throw new DataflowError('arity', op + ' takes ' + (n > 0 ? n : 'two or more') + ' input(s), got ' + specs.length);
  }
  const bad = (): never => {
    throw new DataflowError('type', op + ' does not apply to ' + specs.join(', '));
  };
  if (op === 'fold') return measurable(specs[0]) ? 'lww' : bad();
  if (op === 'map') return isSet(specs[0]) ? (specs[0] === 'gset' ? 'gset' : 'orset') : bad();
  if (op === 'filter') {
    if (isMap(specs[0])) return specs[0];
    return isSet(specs[0]) ? (specs[0] === 'gset' ? 'gset' : 'orset') : bad();
  }
  let sets = true;
  let counters = true;
  for (let i = 0; i < specs.length; i++) {
    if (!isSet(specs[i])) sets = false;
    if (!isCounter(specs[i])) counters = false;
  }
  if (sets) return allOf(specs, 'gset') ? 'gset' : 'orset';
  if (counters && op === 'union') return allOf(specs, 'gcounter') ? 'gcounter' : 'pncounter';
  return bad();
}

// ---- calling the application's functions ----

/** Call with one or two arguments (no apply or spread on the board). */
function callFn(fn: (...xs: any[]) => any, args: any[], what: string): any {
  let r: any;
  try {
    r = args.length === 1 ? fn(args[0]) : fn(args[0], args[1]);
  } catch (e) {
    throw new DataflowError('fn', what + ': the function threw: ' + String((e as Error).message || e));
  }
  return r;
}

function mapped(fn: (...xs: any[]) => any, e: Item): Item {
  const r = callFn(fn, [e], 'map');
  if (r === undefined || !isItem(r)) throw new DataflowError('fn', 'map: the function returned something that is not plain data for ' + keyOf(e));
  return r;
}

// ---- lifting sets to OR-Sets ----

function liftDot(k: string): Dot {
  return ['g' + k, 1];
}

function liftGSet(s: GSetState): ORSetState {
  const m: Elems = {};
  const vv: { [r: string]: number } = {};
  const ks = Object.keys(s);
  for (let i = 0; i < ks.length; i++) {
    m[ks[i]] = { e: s[ks[i]], d: liftDot(ks[i]) };
    vv['g' + ks[i]] = 1;
  }
  return { m: m, c: { vv: vv, cloud: {} } };
}

function liftTwoP(s: TwoPSetState): ORSetState {
  const m: Elems = {};
  const vv: { [r: string]: number } = {};
  const ka = Object.keys(s.added);
  for (let i = 0; i < ka.length; i++) {
    vv['g' + ka[i]] = 1;
    if (!hasOwn(s.removed, ka[i])) m[ka[i]] = { e: s.added[ka[i]], d: liftDot(ka[i]) };
  }
  const kr = Object.keys(s.removed);
  for (let i = 0; i < kr.length; i++) vv['g' + kr[i]] = 1;
  return { m: m, c: { vv: vv, cloud: {} } };
}

/** Any set state as an OR-Set state (monotone: a larger input lifts to a larger OR-Set). */
export function asORSet(spec: string, s: any): ORSetState {
  if (spec === 'orset') return s;
  if (spec === 'gset') return liftGSet(s);
  if (spec === 'twopset') return liftTwoP(s);
  throw new DataflowError('type', 'not a set: ' + spec);
}

/** The elements of a set state, sorted as `value` sorts them. */
function elementsOf(spec: string, s: any): Item[] {
  if (spec === 'gset') {
    const out: Item[] = [];
    const ks = Object.keys(s);
    for (let i = 0; i < ks.length; i++) out.push(s[ks[i]]);
    return sortItems(out);
  }
  const o = asORSet(spec, s);
  const out: Item[] = [];
  const ks = Object.keys(o.m);
  for (let i = 0; i < ks.length; i++) out.push(o.m[ks[i]].e);
  return sortItems(out);
}

// ---- dots and contexts ----

function sortDots(ds: Dot[]): Dot[] {
  return ds.sort(cmpDot);
}

/** Dots seen by the context. */
function contextSize(c: Context): number {
  let n = 0;
  const vs = Object.keys(c.vv);
  for (let i = 0; i < vs.length; i++) n += c.vv[vs[i]];
  const cs = Object.keys(c.cloud);
  for (let i = 0; i < cs.length; i++) n += c.cloud[cs[i]].length;
  return n;
}

function renameContext(c: Context, prefix: string): Context {
  const vv: { [r: string]: number } = {};
  const cloud: { [r: string]: number[] } = {};
  const vs = Object.keys(c.vv);
  for (let i = 0; i < vs.length; i++) vv[prefix + vs[i]] = c.vv[vs[i]];
  const cs = Object.keys(c.cloud);
  for (let i = 0; i < cs.length; i++) cloud[prefix + cs[i]] = c.cloud[cs[i]];
  return { vv: vv, cloud: cloud };
}

/** The replica id of the pair dot (da, (rb, _)): length-prefixed, so distinct pairs get distinct ids. */
function pairReplica(da: Dot, rb: string): string {
  return da[0].length + '.' + da[0] + '.' + da[1] + '.' + rb;
}

function pairDots(da: Dot[], db: Dot[]): Dot[] {
  const out: Dot[] = [];
  for (let i = 0; i < da.length; i++) {
    for (let j = 0; j < db.length; j++) out.push([pairReplica(da[i], db[j][0]), db[j][1]]);
  }
  return sortDots(out);
}

/** ca × cb, written as a compacted context: for each dot of a and each replica of b, b's entry for it. */
function pairContext(ca: Context, cb: Context, max: number): Context {
  const rbs = Object.keys(cb.vv);
  const cs = Object.keys(cb.cloud);
  for (let i = 0; i < cs.length; i++) if (!hasOwn(cb.vv, cs[i])) rbs.push(cs[i]);
  // Counted before listed: a peer's context may claim 2^48 dots in a few bytes.
  const size = contextSize(ca);
  if (size * rbs.length > max) {
    throw new DataflowError('size', 'a product context of ' + size + ' dots × ' + rbs.length + ' replicas passes maxPairEntries ' + max);
  }
  const das = contextDots(ca);
  const vv: { [r: string]: number } = {};
  const cloud: { [r: string]: number[] } = {};
  for (let i = 0; i < das.length; i++) {
    for (let j = 0; j < rbs.length; j++) {
      const r = pairReplica(das[i], rbs[j]);
      if (hasOwn(cb.vv, rbs[j])) vv[r] = cb.vv[rbs[j]];
      if (hasOwn(cb.cloud, rbs[j])) cloud[r] = cb.cloud[rbs[j]];
    }
  }
  return { vv: vv, cloud: cloud };
}

// ---- the set operations ----

/** A product holds |a| × |b| elements; inputs grow with peers' adds, so it is held to MAX_PAIR_ENTRIES too. */
function checkProduct(na: number, nb: number, max: number): void {
  if (na * nb > max) {
    throw new DataflowError('size', 'a product of ' + na + ' × ' + nb + ' elements passes maxPairEntries ' + max);
  }
}

function mapORSet(s: ORSetState, fn: (...xs: any[]) => any): ORSetState {
  const m: Elems = {};
  const ks = sortedKeys(s.m);
  for (let i = 0; i < ks.length; i++) {
    const x = s.m[ks[i]];
    const y = mapped(fn, x.e);
    const k = keyOf(y);
    if (hasOwn(m, k)) m[k] = { e: m[k].e, d: flatDots(sortDots(dotPairs(m[k].d).concat(dotPairs(x.d)))) };
    else m[k] = { e: y, d: x.d };
  }
  return { m: m, c: s.c };
}

function filterORSet(s: ORSetState, fn: (...xs: any[]) => any): ORSetState {
  const m: Elems = {};
  const ks = Object.keys(s.m);
  for (let i = 0; i < ks.length; i++) if (callFn(fn, [s.m[ks[i]].e], 'filter')) m[ks[i]] = s.m[ks[i]];
  return { m: m, c: s.c };
}

function unionORSets(xs: ORSetState[]): ORSetState {
  const m: Elems = {};
  let c = emptyContext();
  for (let i = 0; i < xs.length; i++) {
    const prefix = i + '.';
    c = joinContext(c, renameContext(xs[i].c, prefix));
    const ks = Object.keys(xs[i].m);
    for (let k = 0; k < ks.length; k++) {
      const el = xs[i].m[ks[k]];
      const ds: Dot[] = [];
      for (let j = 0; j < el.d.length; j += 2) ds.push([prefix + el.d[j], el.d[j + 1] as number]);
      // One input's renamed dots stay sorted; an element that several inputs hold gets its lists merged.
      m[ks[k]] = { e: hasOwn(m, ks[k]) ? m[ks[k]].e : el.e, d: flatDots(hasOwn(m, ks[k]) ? sortDots(dotPairs(m[ks[k]].d).concat(ds)) : ds) };
    }
  }
  return { m: m, c: c };
}

function productORSets(a: ORSetState, b: ORSetState, intersect: boolean, max: number): ORSetState {
  const c = pairContext(a.c, b.c, max);
  const m: Elems = {};
  const ka = Object.keys(a.m);
  const kb = Object.keys(b.m);
  if (!intersect) checkProduct(ka.length, kb.length, max);
  for (let i = 0; i < ka.length; i++) {
    const x = a.m[ka[i]];
    if (intersect) {
      if (hasOwn(b.m, ka[i])) m[ka[i]] = { e: x.e, d: flatDots(pairDots(dotPairs(x.d), dotPairs(b.m[ka[i]].d))) };
      continue;
    }
    for (let j = 0; j < kb.length; j++) {
      const y = b.m[kb[j]];
      const e: Item = [x.e, y.e];
      m[keyOf(e)] = { e: e, d: flatDots(pairDots(dotPairs(x.d), dotPairs(y.d))) };
    }
  }
  return { m: m, c: c };
}

function mapGSet(s: GSetState, fn: (...xs: any[]) => any): GSetState {
  const out: GSetState = {};
  const ks = Object.keys(s);
  for (let i = 0; i < ks.length; i++) {
    const y = mapped(fn, s[ks[i]]);
    out[keyOf(y)] = y;
  }
  return out;
}

function filterGSet(s: GSetState, fn: (...xs: any[]) => any): GSetState {
  const out: GSetState = {};
  const ks = Object.keys(s);
  for (let i = 0; i < ks.length; i++) if (callFn(fn, [s[ks[i]]], 'filter')) out[ks[i]] = s[ks[i]];
  return out;
}

function unionGSets(xs: GSetState[]): GSetState {
  const out: GSetState = {};
  for (let i = 0; i < xs.length; i++) {
    const ks = Object.keys(xs[i]);
    for (let k = 0; k < ks.length; k++) out[ks[k]] = xs[i][ks[k]];
  }
  return out;
}

function productGSets(a: GSetState, b: GSetState, intersect: boolean, max: number): GSetState {
  const out: GSetState = {};
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (!intersect) checkProduct(ka.length, kb.length, max);
  for (let i = 0; i < ka.length; i++) {
    if (intersect) {
      if (hasOwn(b, ka[i])) out[ka[i]] = a[ka[i]];
      continue;
    }
    for (let j = 0; j < kb.length; j++) {
      const e: Item = [a[ka[i]], b[kb[j]]];
      out[keyOf(e)] = e;
    }
  }
  return out;
}

// ---- counters and maps ----

function renameCounter(s: GCounterState, prefix: string, into: GCounterState): void {
  const ks = Object.keys(s);
  for (let i = 0; i < ks.length; i++) into[prefix + ks[i]] = s[ks[i]];
}

/** The sum of counters: each input's entries under its own prefix, so the value adds up. */
function unionCounters(specs: string[], xs: any[], out: string): any {
  const p: GCounterState = {};
  const n: GCounterState = {};
  for (let i = 0; i < xs.length; i++) {
    if (specs[i] === 'gcounter') renameCounter(xs[i], i + '.', p);
    else {
      renameCounter((xs[i] as PNCounterState).p, i + '.', p);
      renameCounter((xs[i] as PNCounterState).n, i + '.', n);
    }
  }
  return out === 'gcounter' ? p : { p: p, n: n };
}

/** Keep the keys of an add-wins map that pass; the context stays, so a key filtered out reads as removed. */
function filterMap(s: AWMapState<any>, fn: (...xs: any[]) => any): AWMapState<any> {
  const m: { [k: string]: any } = {};
  const ks = Object.keys(s.m);
  for (let i = 0; i < ks.length; i++) if (callFn(fn, [ks[i].slice(1)], 'filter')) m[ks[i]] = s.m[ks[i]];
  return { m: m, c: s.c };
}

function sumOf(s: GCounterState): number {
  let t = 0;
  const ks = Object.keys(s);
  for (let i = 0; i < ks.length; i++) t += s[ks[i]];
  return t;
}

/**
 * A natural number that grows strictly with every strict inflation of the state (a < a' ⇒ measure(a) <
 * measure(a')): fold's timestamp. For causal types, 2 × dots seen − dots held: a new dot adds at least 1, and
 * a removal (same context, one dot fewer held) adds 1.
 */
export function measure(spec: string, s: any): number {
  if (spec === 'gset') return Object.keys(s).length;
  if (spec === 'twopset') return Object.keys(s.added).length + Object.keys(s.removed).length;
  if (spec === 'gcounter') return sumOf(s);
  if (spec === 'pncounter') return sumOf(s.p) + sumOf(s.n);
  if (spec === 'maxint') return s;
  let held = 0;
  let c: Context;
  if (spec === 'orset') {
    const o = s as ORSetState;
    const ks = Object.keys(o.m);
    for (let i = 0; i < ks.length; i++) held += o.m[ks[i]].d.length / 2;
    c = o.c;
  } else if (isMap(spec)) {
    const o = s as AWMapState<any>;
    const ks = Object.keys(o.m);
    for (let i = 0; i < ks.length; i++) held += o.m[ks[i]].length;
    c = o.c;
  } else throw new DataflowError('type', 'fold cannot measure a ' + spec);
  return 2 * contextSize(c) - held;
}

function fold(spec: string, s: any, fn: (...xs: any[]) => any, init: Item): LWWState {
  let acc: any = init;
  if (isSet(spec)) {
    const es = elementsOf(spec, s);
    for (let i = 0; i < es.length; i++) acc = callFn(fn, [acc, es[i]], 'fold');
  } else {
    acc = callFn(fn, [acc, s], 'fold');
  }
  if (acc === undefined || !isItem(acc)) throw new DataflowError('fn', 'fold: the function returned something that is not plain data');
  return { ts: measure(spec, s), replica: FOLD_REPLICA, value: acc };
}

/**
 * The output state of `op` over input states of these canonical specs. `fn` is the application's function
 * for map (element → element), filter (element, or map key → truthy) and fold ((acc, element) → acc over a
 * set's elements in value order; (acc, state) once for a counter or map), else null; `init` is fold's start.
 * `maxPairs` bounds a product's or intersection's pairs (MAX_PAIR_ENTRIES when omitted).
 * Throws DataflowError; never mutates the inputs (outputs may share structure with them).
 */
export function derive(op: string, specs: string[], states: any[], fn: ((...xs: any[]) => any) | null, init: Item, maxPairs?: number): any {
  const max = maxPairs === undefined ? MAX_PAIR_ENTRIES : maxPairs;
  const out = outSpec(op, specs);
  if (takesFn(op) && typeof fn !== 'function') throw new DataflowError('fn', op + ' needs a function');
  const f = fn as (...xs: any[]) => any;
  if (op === 'fold') return fold(specs[0], states[0], f, init);
  if (op === 'filter' && isMap(specs[0])) return filterMap(states[0], f);
  if (out === 'gset') {
    if (op === 'map') return mapGSet(states[0], f);
    if (op === 'filter') return filterGSet(states[0], f);
    if (op === 'union') return unionGSets(states);
    return productGSets(states[0], states[1], op === 'intersection', max);
  }
  if (out === 'orset') {
    const xs: ORSetState[] = [];
    for (let i = 0; i < states.length; i++) xs.push(asORSet(specs[i], states[i]));
    if (op === 'map') return mapORSet(xs[0], f);
    if (op === 'filter') return filterORSet(xs[0], f);
    if (op === 'union') return unionORSets(xs);
    return productORSets(xs[0], xs[1], op === 'intersection', max);
  }
  return unionCounters(specs, states, out);
}
