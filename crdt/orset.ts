/**
 * Add-wins observed-remove set (OR-Set) on a dot store with a causal context (Almeida, Shoker, Baquero
 * 2018). Each element holds the dots of the adds that made it present; remove drops the dots it has observed,
 * so an add concurrent to a remove keeps its unseen dot and the element stays (add wins). Removed dots live
 * on only as the context, which compacts to a version vector: no tombstone per element.
 *
 *   let s = ORSet.bottom();
 *   s = ORSet.join(s, add(s, 'a', 'milk'));   // delta: one dot, plus the dots it replaces
 *   s = ORSet.join(s, remove(s, 'milk'));     // delta: no store, a context of milk's dots
 *   ORSet.value(s);                           // []
 *
 * Re-adding an element replaces every dot of it this replica has observed (from any replica), as in the paper,
 * so an element carries at most one dot per concurrent add. The element helpers are exported for the
 * add-wins graph, which keeps two such element maps under one context.
 *
 * An element's dots are kept flat and in their wire form, [r1, n1, r2, n2, …] sorted by dot, not as a list of
 * [r, n] pairs: on a board each pair would cost two variables more, and encode hands the list itself to the
 * wire, so encoding a state does not copy its dots. Lists are replaced, never edited, so states, deltas and
 * encoded items may share them.
 */
import {
  type Context, type Dot, type DotIndex, type Dotted, cachedIndex, contextClaims, contextOf, copyContext, dotKey, setIndex, sharedDots, decodeContext,
  encodeContext, hasDot, joinContext, joinContextInto, joinDotMap, leqContext, nextDot, removals, sharedBeyond,
} from './causal.ts';
import { core, full } from './core.ts';
import { arr, fail, nat } from './check.ts';
import { itemOf, replicaOf } from './guards.ts';
import { hasOwn, keyOf, sortedKeys } from './keys.ts';
import { cmpItem } from './order.ts';
import type { Core, Crdt, Item, ReplicaId } from './types.ts';

/** An element's dots, flat and sorted by dot: [r1, n1, r2, n2, …] (the wire form). */
export type Dots = (string | number)[];

/** One element: the item and the dots of the adds that keep it present. */
export interface Elem {
  e: Item;
  d: Dots;
}

/** Elements by keyOf(item). */
export type Elems = { [key: string]: Elem };

export interface ORSetState {
  m: Elems;
  c: Context;
}

/** Flat dots as [r, n] pairs (for the context helpers, which take dots one by one). */
export function dotPairs(d: Dots): Dot[] {
  const out: Dot[] = [];
  for (let i = 0; i < d.length; i += 2) out.push([d[i] as string, d[i + 1] as number]);
  return out;
}

/** Sorted [r, n] pairs as flat dots. */
export function flatDots(ds: Dotted[]): Dots {
  const out: Dots = [];
  for (let i = 0; i < ds.length; i++) out.push(ds[i][0], ds[i][1]);
  return out;
}

/**
 * The DotSet join of one element's dots: x under context cx with y under cy. A dot stays if both hold it or the
 * other side has not seen it; x itself when nothing changes (so a caller can tell), y itself when x is empty and
 * all of y stays. With y empty it is x without the dots cy has seen (a removal's effect).
 */
export function mergeDots(x: Dots, cx: Context, y: Dots, cy: Context): Dots {
  const out: Dots = [];
  let same = true;
  let p = 0;
  let q = 0;
  while (p < x.length || q < y.length) {
    const c = p >= x.length ? 1 : q >= y.length ? -1 : x[p] < y[q] ? -1 : x[p] > y[q] ? 1 : (x[p + 1] as number) - (y[q + 1] as number);
    if (c === 0) {
      out.push(x[p], x[p + 1]);
      p += 2;
      q += 2;
    } else if (c < 0) {
      if (hasDot(cy, x[p] as string, x[p + 1] as number)) same = false;
      else out.push(x[p], x[p + 1]);
      p += 2;
    } else {
      if (!hasDot(cx, y[q] as string, y[q + 1] as number)) {
        out.push(y[q], y[q + 1]);
        same = false;
      }
      q += 2;
    }
  }
  return same ? x : x.length === 0 && out.length === y.length ? y : out;
}

/** Does x hold every dot of y that cx has seen? (the store half of leq for one element; x may be empty) */
function holdsSeen(x: Dots, cx: Context, y: Dots): boolean {
  let at = 0;
  for (let j = 0; j < y.length; j += 2) {
    if (!hasDot(cx, y[j] as string, y[j + 1] as number)) continue;
    while (at < x.length && (x[at] < y[j] || (x[at] === y[j] && (x[at + 1] as number) < (y[j + 1] as number)))) at += 2;
    if (at >= x.length || x[at] !== y[j] || x[at + 1] !== y[j + 1]) return false;
  }
  return true;
}

/** Join two element maps under their contexts (the DotMap rule over DotSets). */
export function joinElems(a: Elems, ca: Context, b: Elems, cb: Context): Elems {
  return joinDotMap(a, b, (x, y) => {
    const d = mergeDots(x === undefined ? [] : x.d, ca, y === undefined ? [] : y.d, cb);
    if (d.length === 0) return null;
    if (x !== undefined && d === x.d) return x;
    if (y !== undefined && d === y.d) return y;
    return { e: x === undefined ? (y as Elem).e : x.e, d: d };
  });
}

/**
 * Join element map b (under context cb) into a, which the caller owns, given a's context ca before the join.
 * Keys b carries are merged; the rest of a is walked only when `reach` says b's context covers dots that a holds
 * outside b's keys (see sharedBeyond): a removal. Lists are replaced, never edited, so nothing of b is changed
 * later through a.
 */
export function joinElemsInto(a: Elems, ca: Context, b: Elems, cb: Context, reach: boolean): void {
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    const k = kb[i];
    const x = hasOwn(a, k) ? a[k] : null;
    const d = mergeDots(x === null ? [] : x.d, ca, b[k].d, cb);
    if (d.length === 0) delete a[k];
    else if (x === null || d !== x.d) a[k] = { e: x === null ? b[k].e : x.e, d: d };
  }
  if (reach) dropSeen(a, b, cb);
}

/** How many removed dots a delta may make us list (else we walk the state): linear in the delta's size. */
export function listLimit(held: number, c: Context): number {
  return 4 * (held + Object.keys(c.vv).length + Object.keys(c.cloud).length) + 64;
}

/** The index of an element map (see DotIndex): O(state), once. */
function elemIndex(m: Elems): DotIndex {
  const ix: DotIndex = {};
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) {
    const d = m[ks[i]].d;
    for (let k = 0; k < d.length; k += 2) ix[dotKey(d[k] as string, d[k + 1] as number)] = ks[i];
  }
  return ix;
}

function indexOf(s: ORSetState): DotIndex {
  let ix = cachedIndex(s);
  if (ix === undefined) {
    ix = elemIndex(s.m);
    setIndex(s, ix);
  }
  return ix;
}

/** Set a's entry under k to these dots (or drop it), keeping the index. */
function putElem(a: Elems, k: string, e: Item, d: Dots, ix: DotIndex | undefined): void {
  if (hasOwn(a, k) && a[k].d === d) return;
  if (ix !== undefined) {
    if (hasOwn(a, k)) for (let i = 0; i < a[k].d.length; i += 2) delete ix[dotKey(a[k].d[i] as string, a[k].d[i + 1] as number)];
    for (let i = 0; i < d.length; i += 2) ix[dotKey(d[i] as string, d[i + 1] as number)] = k;
  }
  if (d.length === 0) delete a[k];
  else a[k] = { e: e, d: d };
}

/** joinInto for the OR-Set: per-key merges, then the removals the delta's context makes elsewhere, by index. */
function orsetInto(s: ORSetState, d: ORSetState): ORSetState {
  const points = heldUnder(s.m, d.m, []);
  let ix = cachedIndex(s);
  let gone: Dot[] | null = [];
  if (sharedBeyond(d.c, s.c, points)) {
    gone = sharedDots(d.c, s.c, points, listLimit(points.length + elemCount(d.m), d.c));
    if (gone !== null && ix === undefined) ix = indexOf(s);
  }
  const kd = Object.keys(d.m);
  for (let i = 0; i < kd.length; i++) {
    const k = kd[i];
    const y = d.m[k];
    if (hasOwn(s.m, k)) putElem(s.m, k, s.m[k].e, mergeDots(s.m[k].d, s.c, y.d, d.c), ix);
    else putElem(s.m, k, y.e, mergeDots([], s.c, y.d, d.c), ix);
  }
  if (gone === null) {
    dropSeen(s.m, d.m, d.c);
    setIndex(s, undefined); // rebuilt when next needed
  } else {
    for (let i = 0; i < gone.length; i++) {
      const at = ix === undefined ? undefined : ix[dotKey(gone[i][0], gone[i][1])];
      if (at === undefined || !hasOwn(s.m, at)) continue;
      putElem(s.m, at, s.m[at].e, mergeDots(s.m[at].d, s.c, [], d.c), ix);
    }
  }
  joinContextInto(s.c, d.c);
  return s;
}

/** leq's removal half for the OR-Set: b holds no dot that a has seen under a key a lacks. */
function noneHeldBeyond(a: ORSetState, b: ORSetState): boolean {
  const points = heldUnder(b.m, a.m, []);
  if (!sharedBeyond(a.c, b.c, points)) return true;
  const xs = sharedDots(a.c, b.c, points, listLimit(points.length + elemCount(a.m), a.c));
  if (xs === null) return noneSeenBeyond(a.m, a.c, b.m);
  const ix = indexOf(b);
  for (let i = 0; i < xs.length; i++) if (hasOwn(ix, dotKey(xs[i][0], xs[i][1]))) return false;
  return true;
}

/** How many dots the elements hold. */
function elemCount(m: Elems): number {
  let n = 0;
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) n += m[ks[i]].d.length / 2;
  return n;
}

/** Drop from a, outside b's keys, every dot the context has seen (a removal's effect on the rest of a). */
function dropSeen(a: Elems, b: Elems, cb: Context): void {
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (hasOwn(b, k)) continue;
    const d = mergeDots(a[k].d, cb, [], cb);
    if (d.length === 0) delete a[k];
    else if (d !== a[k].d) a[k] = { e: a[k].e, d: d };
  }
}

/** The dots a holds under the keys b carries: the ones the per-key merge meets. */
export function heldUnder(a: Elems, b: Elems, out: Dotted[]): Dotted[] {
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    if (!hasOwn(a, kb[i])) continue;
    const d = a[kb[i]].d;
    for (let k = 0; k < d.length; k += 2) out.push([d[k] as string, d[k + 1] as number]);
  }
  return out;
}

/** The store half of leq for element maps under the keys a carries; the caller checks the contexts. */
export function leqElems(a: Elems, ca: Context, b: Elems): boolean {
  const ks = Object.keys(a);
  for (let i = 0; i < ks.length; i++) {
    if (hasOwn(b, ks[i]) && !holdsSeen(a[ks[i]].d, ca, b[ks[i]].d)) return false;
  }
  return true;
}

/** The rest of leq: b holds no dot that ca has seen under a key a lacks (walked only when sharedBeyond says so). */
export function noneSeenBeyond(a: Elems, ca: Context, b: Elems): boolean {
  const ks = Object.keys(b);
  for (let i = 0; i < ks.length; i++) {
    if (!hasOwn(a, ks[i]) && !holdsSeen([], ca, b[ks[i]].d)) return false;
  }
  return true;
}

/** The elements holding replica r's dots, each with only those dots: part of r's row when its removals are many. */
export function elemsOf(m: Elems, r: string): Elems {
  const out: Elems = {};
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) {
    const d: Dots = [];
    const all = m[ks[i]].d;
    for (let k = 0; k < all.length; k += 2) if (all[k] === r) d.push(all[k], all[k + 1]);
    if (d.length > 0) out[ks[i]] = { e: m[ks[i]].e, d: d };
  }
  return out;
}

/** A copy of an element map whose object the caller owns (elements are shared: they are replaced, not edited). */
export function copyElems(m: Elems): Elems {
  const out: Elems = {};
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) out[ks[i]] = m[ks[i]];
  return out;
}

/** Every dot held by the elements, as [r, n] pairs. */
export function elemDots(m: Elems): Dot[] {
  const out: Dot[] = [];
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) {
    const d = m[ks[i]].d;
    for (let k = 0; k < d.length; k += 2) out.push([d[k] as string, d[k + 1] as number]);
  }
  return out;
}

/** The dots the element with this key holds, as [r, n] pairs ([] if absent). */
export function dotsAt(m: Elems, key: string): Dot[] {
  return hasOwn(m, key) ? dotPairs(m[key].d) : [];
}

/** The add delta's two halves: the element with one fresh dot, and the context of that dot plus the replaced ones. */
export function addElem(m: Elems, c: Context, replica: ReplicaId, item: Item): { m: Elems; c: Context } {
  const key = keyOf(item);
  const dot = nextDot(c, replica);
  const out: Elems = {};
  out[key] = { e: item, d: [dot[0], dot[1]] };
  return { m: out, c: contextOf(dotsAt(m, key).concat([dot])) };
}

/** One element map per (element, dot), for decompose. */
export function elemParts(m: Elems): Elems[] {
  const out: Elems[] = [];
  const ks = sortedKeys(m);
  for (let i = 0; i < ks.length; i++) {
    const el = m[ks[i]];
    for (let k = 0; k < el.d.length; k += 2) {
      const one: Elems = {};
      one[ks[i]] = { e: el.e, d: [el.d[k], el.d[k + 1]] };
      out.push(one);
    }
  }
  return out;
}

/** Elements as [item, [r, n, …], item, [r, n, …], …] in key order: the dot lists themselves, not copies. */
export function encodeElems(m: Elems): Item[] {
  const out: Item[] = [];
  const ks = sortedKeys(m);
  for (let i = 0; i < ks.length; i++) out.push(m[ks[i]].e, m[ks[i]].d);
  return out;
}

/**
 * Decode element pairs in strictly ascending key order; `checkItem` may reject items (e.g. a malformed edge).
 * Each element keeps its wire dot list once checked: non-empty, strictly ascending, every dot in the context and
 * made for one entry only (`seen`); equal replica ids in it are made one string.
 */
export function decodeElems(item: Item, c: Context, seen: { [k: string]: boolean }, what: string, checkItem: ((x: Item) => void) | null): Elems {
  const items = arr(item, what);
  if (items.length % 2 !== 0) fail(what + ': expected element/dots pairs');
  const m: Elems = {};
  const w = what + ' dots';
  // one string per replica id, shared by every dot of it (a board pays a variable or more per string)
  const names: { [r: string]: string } = {};
  let prev: string | undefined;
  for (let i = 0; i < items.length; i += 2) {
    const e = itemOf(items[i], what, true);
    if (checkItem !== null) checkItem(e);
    const k = keyOf(e);
    if (prev !== undefined && !(prev < k)) fail(what + ': keys must be strictly ascending');
    prev = k;
    const ds = arr(items[i + 1], w) as Dots;
    if (ds.length === 0 || ds.length % 2 !== 0) fail(w + ': expected one or more replica/counter pairs');
    for (let j = 0; j < ds.length; j += 2) {
      const r = replicaOf(ds[j], w, true);
      const n = nat(ds[j + 1], w, true);
      if (n < 1) fail(w + ': dot counters start at 1');
      if (j > 0 && !(ds[j - 2] < r || (ds[j - 2] === r && (ds[j - 1] as number) < n))) fail(w + ': dots must be strictly ascending');
      if (!hasDot(c, r, n)) fail(w + ': dot (' + r + ', ' + n + ') is not in the causal context');
      if (hasOwn(seen, n + ':' + r)) fail(w + ': dot (' + r + ', ' + n + ') appears twice');
      seen[n + ':' + r] = true;
      if (hasOwn(names, r)) ds[j] = names[r];
      else names[r] = r;
    }
    m[k] = { e: e, d: ds };
  }
  return m;
}

// ---- delta mutators: each returns the delta only ----

/** Add (or re-add) an element: one fresh dot, replacing the element's observed dots. */
export function add(s: ORSetState, replica: ReplicaId, item: Item): ORSetState {
  return MUTATORS.add(s, replica, [item]);
}

/** Remove what this replica has observed of the element; a concurrent add survives. */
export function remove(s: ORSetState, item: Item): ORSetState {
  return MUTATORS.remove(s, '', [item]);
}

/** Remove every observed element. */
export function clear(s: ORSetState): ORSetState {
  return MUTATORS.clear(s);
}

export function has(s: ORSetState, item: Item): boolean {
  return hasOwn(s.m, keyOf(item));
}

/**
 * The core mutators, shared by the board's table and the full one (add, remove and clear above call them). Each
 * hands its work to op (7: the add delta, 8: the context of the observed dots), so the board pays for three
 * small functions and not for helpers of their own.
 */
const MUTATORS = {
  add: (s: ORSetState, r: ReplicaId, args: any[]): ORSetState => op(7, s, [r, itemOf(args[0], 'orset add')]),
  remove: (s: ORSetState, _r: ReplicaId, args: any[]): ORSetState => op(8, s, keyOf(itemOf(args[0], 'orset remove'))),
  clear: (s: ORSetState): ORSetState => op(8, s, null),
};

/**
 * Every core operation of the OR-Set in one function (crdt/core.ts says why), plus the mutators' work (7 and
 * 8). Its joinInto and leq walk the state, which on a board of a few dozen elements costs less than an index
 * would; the full table below keeps the index and the bounded-by-the-delta versions for Node.
 */
function op(k: number, a: any, b: any): any {
  switch (k) {
    case 0:
      return { m: {}, c: { vv: {}, cloud: {} } };
    case 1: {
      // joinInto: each key of the delta as the DotSet join of both sides' dots, and every other key of a against
      // the delta's removals. a's keys are walked with for…in, which lists no keys (Object.keys would make a
      // list as long as the state at every join); keys to drop are deleted after the walk.
      const s = a as ORSetState;
      const d = b as ORSetState;
      const gone: string[] = [];
      for (const key in s.m) {
        if (hasOwn(d.m, key) || !hasOwn(s.m, key)) continue; // own keys only, whatever a prototype holds
        const x = s.m[key].d;
        const ds = mergeDots(x, s.c, [], d.c);
        if (ds.length === 0) gone.push(key);
        else if (ds !== x) s.m[key] = { e: s.m[key].e, d: ds };
      }
      for (let i = 0; i < gone.length; i++) delete s.m[gone[i]];
      const ks = Object.keys(d.m);
      for (let i = 0; i < ks.length; i++) {
        const el = hasOwn(s.m, ks[i]) ? s.m[ks[i]] : null;
        const x = el === null ? [] : el.d;
        const ds = mergeDots(x, s.c, d.m[ks[i]].d, d.c);
        if (ds.length === 0) delete s.m[ks[i]];
        else if (ds !== x) s.m[ks[i]] = { e: el === null ? d.m[ks[i]].e : el.e, d: ds };
      }
      joinContextInto(s.c, d.c);
      return s;
    }
    case 2: {
      // leq: a's context within b's, and every dot b holds that a has seen still held by a under that key (b is
      // often the whole state: walked with for…in, which lists no keys).
      if (!leqContext(a.c, b.c)) return false;
      for (const key in b.m) if (hasOwn(b.m, key) && !holdsSeen(hasOwn(a.m, key) ? a.m[key].d : [], a.c, b.m[key].d)) return false;
      return true;
    }
    case 3: {
      const out: Item[] = [];
      const ks = Object.keys(a.m);
      for (let i = 0; i < ks.length; i++) out.push(a.m[ks[i]].e);
      return out.sort(cmpItem);
    }
    case 4: {
      // decompose: one part per (element, dot), one per removed dot, one per replica whose removals are many.
      const s = a as ORSetState;
      const out: ORSetState[] = [];
      const held: Dot[] = [];
      const ks = sortedKeys(s.m);
      for (let i = 0; i < ks.length; i++) {
        const el = s.m[ks[i]];
        for (let j = 0; j < el.d.length; j += 2) {
          const dot: Dot = [el.d[j] as string, el.d[j + 1] as number];
          const one: Elems = {};
          one[ks[i]] = { e: el.e, d: [dot[0], dot[1]] };
          out.push({ m: one, c: contextOf([dot]) });
          held.push(dot);
        }
      }
      const gone = removals(s.c, held);
      for (let i = 0; i < gone.dots.length; i++) out.push({ m: {}, c: contextOf([gone.dots[i]]) });
      for (let i = 0; i < gone.rows.length; i++) {
        const r = gone.rows[i];
        const m: Elems = {};
        for (let j = 0; j < ks.length; j++) {
          const mine: Dots = [];
          const all = s.m[ks[j]].d;
          for (let n = 0; n < all.length; n += 2) if (all[n] === r) mine.push(r, all[n + 1]);
          if (mine.length > 0) m[ks[j]] = { e: s.m[ks[j]].e, d: mine };
        }
        const c: Context = { vv: {}, cloud: {} };
        if (hasOwn(s.c.vv, r)) c.vv[r] = s.c.vv[r];
        if (hasOwn(s.c.cloud, r)) c.cloud[r] = s.c.cloud[r];
        out.push({ m: m, c: c });
      }
      return out;
    }
    case 5: {
      // encode: [[item, [r, n, …], …] in key order, context]; the dot lists go as they are
      const out: Item[] = [];
      const ks = sortedKeys(a.m);
      for (let i = 0; i < ks.length; i++) out.push(a.m[ks[i]].e, a.m[ks[i]].d);
      return [out, encodeContext(a.c)];
    }
    case 6: {
      const top = arr(a, 'orset', 2);
      const c = decodeContext(top[1], 'orset context');
      return { m: decodeElems(top[0], c, {}, 'orset elements', null), c: c };
    }
    case 7: {
      // the add delta of replica b[0] adding item b[1]: one fresh dot, and the context of it and the replaced dots
      const key = keyOf(b[1]);
      const dot = nextDot(a.c, b[0]);
      const m: Elems = {};
      m[key] = { e: b[1], d: [dot[0], dot[1]] };
      const all: Dot[] = [dot];
      const old: Dots = hasOwn(a.m, key) ? a.m[key].d : [];
      for (let j = 0; j < old.length; j += 2) all.push([old[j] as string, old[j + 1] as number]);
      return { m: m, c: contextOf(all) };
    }
    default: {
      // a remove delta: the context of the dots observed under key b, or under every key (clear) when b is null
      const all: Dot[] = [];
      const ks = b === null ? Object.keys(a.m) : hasOwn(a.m, b) ? [b] : [];
      for (let i = 0; i < ks.length; i++) {
        const d: Dots = a.m[ks[i]].d;
        for (let j = 0; j < d.length; j += 2) all.push([d[j] as string, d[j + 1] as number]);
      }
      return { m: {}, c: contextOf(all) };
    }
  }
}

/** What a board registers: the core operations (see op). */
export const ORSetCore: Core<ORSetState, Item[]> = /* @__PURE__ */ core('orset', 9, op, MUTATORS);

/** The full table for Node: joins bounded by the delta (with the hidden dot index), the immutable join, claims. */
export const ORSet: Crdt<ORSetState, Item[]> = /* @__PURE__ */ full(ORSetCore, {
  join: (a, b) => ({ m: joinElems(a.m, a.c, b.m, b.c), c: joinContext(a.c, b.c) }),
  joinInto: orsetInto,
  copy: (s) => ({ m: copyElems(s.m), c: copyContext(s.c) }),
  claims: (s, out) => contextClaims(s.c, out),
  leq: (a, b) => leqContext(a.c, b.c) && leqElems(a.m, a.c, b.m) && noneHeldBeyond(a, b),
});
