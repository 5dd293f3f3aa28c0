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
 */
import {
  type Context, type Dot, type DotIndex, type Dotted, cachedIndex, cmpDot, contains, contextClaims, contextOf, copyContext, dotKey, setIndex, sharedDots, decodeContext,
  encodeContext, encodeDots, joinContext, joinContextInto, joinDotMap, joinStore, leqContext, nextDot, removals, sharedBeyond, unseen,
} from './causal.ts';
import { core, full } from './core.ts';
import { arr, fail, nat } from './check.ts';
import { elementItem, itemArg, replicaItem } from './guards.ts';
import { hasOwn, keyOf, sortedKeys } from './keys.ts';
import { cmpItem } from './order.ts';
import type { Core, Crdt, Item, ReplicaId } from './types.ts';

/** One element: the item and the dots (sorted) of the adds that keep it present. */
export interface Elem {
  e: Item;
  d: Dot[];
}

/** Elements by keyOf(item). */
export type Elems = { [key: string]: Elem };

export interface ORSetState {
  m: Elems;
  c: Context;
}

function keepFirst(x: Dot): Dot {
  return x;
}

/** Join two element maps under their contexts (the DotMap rule over DotSets). */
export function joinElems(a: Elems, ca: Context, b: Elems, cb: Context): Elems {
  return joinDotMap(a, b, (x, y) => {
    if (y === undefined) {
      const d = unseen((x as Elem).d, cb);
      return d.length === 0 ? null : d === (x as Elem).d ? (x as Elem) : { e: (x as Elem).e, d: d };
    }
    if (x === undefined) {
      const d = unseen(y.d, ca);
      return d.length === 0 ? null : d === y.d ? y : { e: y.e, d: d };
    }
    const d = joinStore(x.d, ca, y.d, cb, keepFirst);
    return d.length === 0 ? null : { e: x.e, d: d };
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
    const y = b[k];
    if (!hasOwn(a, k)) {
      const d = unseen(y.d, ca);
      if (d.length > 0) a[k] = { e: y.e, d: d };
      continue;
    }
    const d = joinStore(a[k].d, ca, y.d, cb, keepFirst);
    if (d.length === 0) delete a[k];
    else a[k] = { e: a[k].e, d: d };
  }
  if (reach) dropSeen(a, b, cb);
}

/** How many removed dots a delta may make us list (else we walk the state): linear in the delta's size. */
export function listLimit(held: number, c: Context): number {
  return 4 * (held + Object.keys(c.vv).length + Object.keys(c.cloud).length) + 64;
}

/**
 * The index of element maps (see DotIndex): dot → tag + key, one index for the maps of a state (the OR-Set's
 * one, the graph's vertices and edges), told apart by a one-character tag. O(state), once, then kept by
 * elemsInto.
 */
function indexElems(owner: object, ms: Elems[], tags: string[]): DotIndex {
  let ix = cachedIndex(owner);
  if (ix === undefined) {
    ix = {};
    for (let t = 0; t < ms.length; t++) {
      const ks = Object.keys(ms[t]);
      for (let i = 0; i < ks.length; i++) {
        const d = ms[t][ks[i]].d;
        for (let k = 0; k < d.length; k++) ix[dotKey(d[k][0], d[k][1])] = tags[t] + ks[i];
      }
    }
    setIndex(owner, ix);
  }
  return ix;
}

/** Where dot x sits in a sorted dot list: its index, or -(the index it would take) - 1. */
function findDot(ds: Dotted[], x: Dotted): number {
  let lo = 0;
  let hi = ds.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = cmpDot(ds[mid], x);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** An element with at most this many edits in one join is edited by binary search; one with more is merged. */
const EDITS = 16;

/**
 * elemsInto's changes to element k of map m (context c, index tag `tag`): the delta's dots `y` (added when the
 * state has not seen them) and `drops` (dots the state holds under k that the delta removed). Few edits are
 * made by binary search on a copy of the list (lists are shared, never changed in place), so joining n one-dot
 * parts into one element costs O(n log n), not a walk of its list per part (issue 12: one element with
 * thousands of fresh replicas' dots cost seconds through RR). Many are merged in one pass.
 */
function editElem(m: Elems, c: Context, tag: string, k: string, y: Elem | null, drops: Dotted[], dc: Context, ix: DotIndex): void {
  const x = hasOwn(m, k) ? m[k] : null;
  const xs = x === null ? [] : x.d;
  const ys = y === null ? [] : y.d;
  const e = x === null ? (y as Elem).e : x.e;
  let ds = xs;
  if (ys.length + drops.length > EDITS) {
    ds = ys.length === 0 ? unseen(xs, dc) : xs.length === 0 ? unseen(ys, c) : joinStore(xs, c, ys, dc, keepFirst);
    for (let i = 0; i < xs.length; i++) delete ix[dotKey(xs[i][0], xs[i][1])];
    for (let i = 0; i < ds.length; i++) ix[dotKey(ds[i][0], ds[i][1])] = tag + k;
  } else {
    for (let i = 0; i < ys.length; i++) {
      const key = dotKey(ys[i][0], ys[i][1]);
      // Held under another element (forged input): the join drops it on both sides, there through `drops`.
      if (hasOwn(ix, key) && ix[key] !== tag + k) continue;
      const p = findDot(ds, ys[i]);
      if (p >= 0 || contains(c, ys[i])) continue;
      if (ds === xs) ds = xs.slice();
      ds.splice(-p - 1, 0, ys[i]);
      ix[key] = tag + k;
    }
    for (let i = 0; i < drops.length; i++) {
      const p = findDot(ds, drops[i]);
      if (p >= 0) {
        if (ds === xs) ds = xs.slice();
        ds.splice(p, 1);
      }
      delete ix[dotKey(drops[i][0], drops[i][1])];
    }
  }
  if (ds === xs) return;
  if (ds.length === 0) delete m[k];
  else m[k] = { e: e, d: ds };
}

/**
 * Join the element maps `dm` (context dc) into `sm` (context sc, before the join), which `owner` holds and the
 * caller owns; `tags` name the maps in owner's index. What the delta removes (dots both contexts hold beyond the
 * delta's own) is listed and found through the index, element by element (editElem), so a delta costs its own
 * size (times a log), however large the state or an element's dot list; past listLimit, one walk over the state.
 * The caller joins the contexts afterwards.
 */
export function elemsInto(owner: object, sm: Elems[], sc: Context, dm: Elems[], dc: Context, tags: string[]): void {
  let points: Dotted[] = [];
  for (let t = 0; t < dm.length; t++) points = points.concat(elemDots(dm[t]));
  let gone: Dot[] | null = [];
  if (sharedBeyond(dc, sc, points)) gone = sharedDots(dc, sc, points, listLimit(points.length, dc));
  if (gone === null) {
    for (let t = 0; t < sm.length; t++) joinElemsInto(sm[t], sc, dm[t], dc, true);
    setIndex(owner, undefined); // rebuilt when next needed
    return;
  }
  const ix = indexElems(owner, sm, tags);
  // Dots to drop, by the tagged element holding them: the listed removals, and dots the delta carries under
  // another element than the state (forged input: the join drops both).
  const drops: { [at: string]: Dotted[] } = {};
  for (let i = 0; i < gone.length + points.length; i++) {
    const x: Dotted = i < gone.length ? gone[i] : points[i - gone.length];
    const key = dotKey(x[0], x[1]);
    if (!hasOwn(ix, key)) continue;
    const at = ix[key];
    const m = dm[tags.indexOf(at.charAt(0))];
    if (i >= gone.length && hasOwn(m, at.slice(1)) && findDot(m[at.slice(1)].d, x) >= 0) continue;
    if (!hasOwn(drops, at)) drops[at] = [];
    drops[at].push(x);
  }
  for (let t = 0; t < dm.length; t++) {
    const kd = Object.keys(dm[t]);
    for (let i = 0; i < kd.length; i++) {
      const at = tags[t] + kd[i];
      editElem(sm[t], sc, tags[t], kd[i], dm[t][kd[i]], hasOwn(drops, at) ? drops[at] : [], dc, ix);
    }
  }
  const kx = Object.keys(drops);
  for (let i = 0; i < kx.length; i++) {
    const t = tags.indexOf(kx[i].charAt(0));
    const k = kx[i].slice(1);
    if (!hasOwn(dm[t], k)) editElem(sm[t], sc, tags[t], k, null, drops[kx[i]], dc, ix);
  }
}

/**
 * The store half of leq for element maps (the caller checks the contexts): none of a's dots held by b under
 * another element, and b holding no dot a has seen but dropped; through b's index (`owner` holds `bm`), so a
 * small delta against a large state costs the delta's size (times a log).
 */
export function elemsLeq(am: Elems[], ac: Context, owner: object, bm: Elems[], bc: Context, tags: string[]): boolean {
  const ix = indexElems(owner, bm, tags);
  let points: Dotted[] = [];
  for (let t = 0; t < am.length; t++) {
    const ka = Object.keys(am[t]);
    for (let i = 0; i < ka.length; i++) {
      const ds = am[t][ka[i]].d;
      for (let j = 0; j < ds.length; j++) {
        const key = dotKey(ds[j][0], ds[j][1]);
        if (hasOwn(ix, key) && ix[key] !== tags[t] + ka[i]) return false;
      }
    }
    points = points.concat(elemDots(am[t]));
  }
  if (!sharedBeyond(ac, bc, points)) return true;
  const xs = sharedDots(ac, bc, points, listLimit(points.length, ac));
  if (xs !== null) {
    for (let i = 0; i < xs.length; i++) if (hasOwn(ix, dotKey(xs[i][0], xs[i][1]))) return false;
    return true;
  }
  for (let t = 0; t < bm.length; t++) {
    const kb = Object.keys(bm[t]);
    for (let i = 0; i < kb.length; i++) {
      const ds = bm[t][kb[i]].d;
      for (let j = 0; j < ds.length; j++) {
        if (contains(ac, ds[j]) && !(hasOwn(am[t], kb[i]) && findDot(am[t][kb[i]].d, ds[j]) >= 0)) return false;
      }
    }
  }
  return true;
}

/** joinInto for the OR-Set (Node): see elemsInto. */
function orsetInto(s: ORSetState, d: ORSetState): ORSetState {
  elemsInto(s, [s.m], s.c, [d.m], d.c, TAGS);
  joinContextInto(s.c, d.c);
  return s;
}

const TAGS = ['m'];

/** Drop from a, outside b's keys, every dot the context has seen (a removal's effect on the rest of a). */
function dropSeen(a: Elems, b: Elems, cb: Context): void {
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (hasOwn(b, k)) continue;
    const d = unseen(a[k].d, cb);
    if (d.length === 0) delete a[k];
    else if (d !== a[k].d) a[k] = { e: a[k].e, d: d };
  }
}

/** The elements holding replica r's dots, each with only those dots: part of r's row when its removals are many. */
export function elemsOf(m: Elems, r: string): Elems {
  const out: Elems = {};
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) {
    const d: Dot[] = [];
    const all = m[ks[i]].d;
    for (let k = 0; k < all.length; k++) if (all[k][0] === r) d.push(all[k]);
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

/** Every dot held by the elements. */
export function elemDots(m: Elems): Dot[] {
  const out: Dot[] = [];
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) {
    const d = m[ks[i]].d;
    for (let k = 0; k < d.length; k++) out.push(d[k]);
  }
  return out;
}

/** The dots the element with this key holds ([] if absent). */
export function dotsAt(m: Elems, key: string): Dot[] {
  return hasOwn(m, key) ? m[key].d : [];
}

/** The add delta's two halves: the element with one fresh dot, and the context of that dot plus the replaced ones. */
export function addElem(m: Elems, c: Context, replica: ReplicaId, item: Item): { m: Elems; c: Context } {
  const key = keyOf(item);
  const dot = nextDot(c, replica);
  const out: Elems = {};
  out[key] = { e: item, d: [dot] };
  return { m: out, c: contextOf((hasOwn(m, key) ? m[key].d : []).concat([dot])) };
}

/** One element map per (element, dot), for decompose. */
export function elemParts(m: Elems): Elems[] {
  const out: Elems[] = [];
  const ks = sortedKeys(m);
  for (let i = 0; i < ks.length; i++) {
    const el = m[ks[i]];
    for (let k = 0; k < el.d.length; k++) {
      const one: Elems = {};
      one[ks[i]] = { e: el.e, d: [el.d[k]] };
      out.push(one);
    }
  }
  return out;
}


/** Elements as [item, [r, n, …], item, [r, n, …], …] in key order. */
export function encodeElems(m: Elems): Item[] {
  const out: Item[] = [];
  const ks = sortedKeys(m);
  for (let i = 0; i < ks.length; i++) out.push(m[ks[i]].e, encodeDots(m[ks[i]].d));
  return out;
}

/** Decode element pairs in strictly ascending key order; `checkItem` may reject items (e.g. a malformed edge). */
export function decodeElems(item: Item, c: Context, seen: { [k: string]: boolean }, what: string, checkItem: ((x: Item) => void) | null): Elems {
  const items = arr(item, what);
  if (items.length % 2 !== 0) fail(what + ': expected element/dots pairs');
  const m: Elems = {};
  let prev: string | undefined;
  for (let i = 0; i < items.length; i += 2) {
    const e = elementItem(items[i], what);
    if (checkItem !== null) checkItem(e);
    const k = keyOf(e);
    if (prev !== undefined && !(prev < k)) fail(what + ': elements must be in strictly ascending key order, without repeats');
    prev = k;
    // the element's dots: [r, n, …], non-empty, strictly ascending, each in the context and made for one entry
    const ds = arr(items[i + 1], what + ' dots');
    if (ds.length === 0 || ds.length % 2 !== 0) fail(what + ' dots: expected one or more replica/counter pairs');
    const d: Dot[] = [];
    for (let j = 0; j < ds.length; j += 2) {
      const dot: Dot = [replicaItem(ds[j], what + ' dots'), nat(ds[j + 1], what + ' dots', true)];
      if (dot[1] < 1) fail(what + ' dots: dot counters start at 1');
      if (d.length > 0 && cmpDot(d[d.length - 1], dot) >= 0) fail(what + ' dots: dots must be strictly ascending');
      if (!contains(c, dot)) fail(what + ' dots: dot (' + dot[0] + ', ' + dot[1] + ') is not in the causal context');
      if (hasOwn(seen, dot[1] + ':' + dot[0])) fail(what + ' dots: dot (' + dot[0] + ', ' + dot[1] + ') appears twice');
      seen[dot[1] + ':' + dot[0]] = true;
      d.push(dot);
    }
    m[k] = { e: e, d: d };
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

/** The core mutators, shared by the board's table and the full one (add, remove and clear above call them). */
const MUTATORS = {
  add: (s: ORSetState, r: ReplicaId, args: any[]): ORSetState => addElem(s.m, s.c, r, itemArg(args[0], 'orset add')),
  remove: (s: ORSetState, _r: ReplicaId, args: any[]): ORSetState => {
    const k = keyOf(itemArg(args[0], 'orset remove'));
    return { m: {}, c: contextOf(hasOwn(s.m, k) ? s.m[k].d : []) };
  },
  clear: (s: ORSetState): ORSetState => {
    const all: Dot[] = [];
    const ks = Object.keys(s.m);
    for (let i = 0; i < ks.length; i++) for (let k = 0; k < s.m[ks[i]].d.length; k++) all.push(s.m[ks[i]].d[k]);
    return { m: {}, c: contextOf(all) };
  },
};

/**
 * Every core operation of the OR-Set in one function (crdt/core.ts says why). Its joinInto and leq walk the
 * state, which on a board of a few dozen elements costs less than an index would; the full table below keeps
 * the index and the bounded-by-the-delta versions for Node.
 */
function op(k: number, a: any, b: any): any {
  switch (k) {
    case 0:
      return { m: {}, c: { vv: {}, cloud: {} } };
    case 1: {
      // joinInto: per key, a's dots against the delta's context and the delta's against a's; then, the delta
      // possibly removing dots elsewhere, the rest of a against the delta's context.
      const s = a as ORSetState;
      const d = b as ORSetState;
      const ks = Object.keys(d.m);
      for (let i = 0; i < ks.length; i++) {
        const x = hasOwn(s.m, ks[i]) ? s.m[ks[i]] : null;
        const ds = mergeDots(x === null ? [] : x.d, s.c, d.m[ks[i]].d, d.c);
        if (ds.length === 0) delete s.m[ks[i]];
        else if (x === null || ds !== x.d) s.m[ks[i]] = { e: x === null ? d.m[ks[i]].e : x.e, d: ds };
      }
      const rest = Object.keys(s.m);
      for (let i = 0; i < rest.length; i++) {
        if (hasOwn(d.m, rest[i])) continue;
        const x = s.m[rest[i]];
        const ds = mergeDots(x.d, s.c, [], d.c);
        if (ds.length === 0) delete s.m[rest[i]];
        else if (ds !== x.d) s.m[rest[i]] = { e: x.e, d: ds };
      }
      joinContextInto(s.c, d.c);
      return s;
    }
    case 2: {
      // leq: a's context within b's, and every dot b holds that a has seen still held by a under that key.
      if (!leqContext(a.c, b.c)) return false;
      const ks = Object.keys(b.m);
      for (let i = 0; i < ks.length; i++) {
        const y: Dot[] = b.m[ks[i]].d;
        const x: Dot[] = hasOwn(a.m, ks[i]) ? a.m[ks[i]].d : [];
        let at = 0;
        for (let j = 0; j < y.length; j++) {
          if (!contains(a.c, y[j])) continue;
          while (at < x.length && cmpDot(x[at], y[j]) < 0) at++;
          if (at >= x.length || cmpDot(x[at], y[j]) !== 0) return false;
        }
      }
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
        for (let j = 0; j < el.d.length; j++) {
          const one: Elems = {};
          one[ks[i]] = { e: el.e, d: [el.d[j]] };
          out.push({ m: one, c: contextOf([el.d[j]]) });
          held.push(el.d[j]);
        }
      }
      const gone = removals(s.c, held);
      for (let i = 0; i < gone.dots.length; i++) out.push({ m: {}, c: contextOf([gone.dots[i]]) });
      for (let i = 0; i < gone.rows.length; i++) {
        const r = gone.rows[i];
        const m: Elems = {};
        for (let j = 0; j < ks.length; j++) {
          const mine: Dot[] = [];
          const all = s.m[ks[j]].d;
          for (let n = 0; n < all.length; n++) if (all[n][0] === r) mine.push(all[n]);
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
      // encode: [[item, [r, n, …], …] in key order, context]
      const out: Item[] = [];
      const ks = sortedKeys(a.m);
      for (let i = 0; i < ks.length; i++) {
        const d: Dot[] = a.m[ks[i]].d;
        const ds: Item[] = [];
        for (let j = 0; j < d.length; j++) ds.push(d[j][0], d[j][1]);
        out.push(a.m[ks[i]].e, ds);
      }
      return [out, encodeContext(a.c)];
    }
    default: {
      const top = arr(a, 'orset', 2);
      const c = decodeContext(top[1], 'orset context');
      return { m: decodeElems(top[0], c, {}, 'orset elements', null), c: c };
    }
  }
}

/**
 * The DotSet join of one element's dots: x under context cx (the state's) with y under cy (the delta's); x
 * itself when nothing changes, so a caller can tell.
 */
function mergeDots(x: Dot[], cx: Context, y: Dot[], cy: Context): Dot[] {
  const out: Dot[] = [];
  let same = true;
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    const c = i >= x.length ? 1 : j >= y.length ? -1 : cmpDot(x[i], y[j]);
    if (c === 0) {
      out.push(x[i++]);
      j++;
    } else if (c < 0) {
      if (contains(cy, x[i])) same = false;
      else out.push(x[i]);
      i++;
    } else {
      if (!contains(cx, y[j])) {
        out.push(y[j]);
        same = false;
      }
      j++;
    }
  }
  return same ? x : out;
}

/** What a board registers: the core operations (see op). */
export const ORSetCore: Core<ORSetState, Item[]> = /* @__PURE__ */ core('orset', 9, op, MUTATORS);

/** The full table for Node: joins bounded by the delta (with the hidden dot index), the immutable join, claims. */
export const ORSet: Crdt<ORSetState, Item[]> = /* @__PURE__ */ full(ORSetCore, {
  join: (a, b) => ({ m: joinElems(a.m, a.c, b.m, b.c), c: joinContext(a.c, b.c) }),
  joinInto: orsetInto,
  copy: (s) => ({ m: copyElems(s.m), c: copyContext(s.c) }),
  claims: (s, out) => contextClaims(s.c, out),
  leq: (a, b) => leqContext(a.c, b.c) && elemsLeq([a.m], a.c, b, [b.m], b.c, TAGS),
});
