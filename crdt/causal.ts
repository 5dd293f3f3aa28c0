/**
 * Dots, causal contexts and dot stores, after Almeida, Shoker, Baquero, "Delta state replicated data types"
 * (2018). A causal CRDT state is a dot store plus the causal context of every dot the replica has seen:
 * a dot seen by the context but missing from the store was removed, so removals need no tombstone per element.
 *
 * The context compacts to a version vector (every dot (r, 1..vv[r]) seen) plus a dot cloud of the dots seen
 * beyond it. Deltas arrive out of order, so a cloud is normal for a while; once the gaps fill, join moves the
 * cloud into the vector and a context costs one counter per replica.
 *
 *   let c = emptyContext();
 *   const d = nextDot(c, 'a');           // ['a', 1]
 *   c = joinContext(c, contextOf([d]));  // vv { a: 1 }, cloud {}
 *   contains(c, ['a', 1]);               // true
 *
 * Dot stores are sorted arrays whose entries carry a dot in their first two slots: a DotSet is Dot[]; a DotFun
 * adds payload slots ([r, n, v]); a DotMap is a plain object of inner stores keyed by a canonical key. Every
 * store is sorted by dot (replica, then counter) so joins are merges and equal states encode to equal bytes.
 */
import { arr, count, fail, MAX_COUNT, nat } from './check.ts';
import { MutatorError } from './errors.ts';
import { replicaOf } from './guards.ts';
import { hasOwn, sortedKeys } from './keys.ts';
import type { Item, ReplicaId } from './types.ts';

/** An event: the n-th (from 1) that replica r made. */
export type Dot = [ReplicaId, number];

/** A dot in the first two slots, with any payload after: a Dot, or a DotFun entry. */
export interface Dotted {
  0: ReplicaId;
  1: number;
}

export interface Context {
  /** vv[r] = n: the dots (r, 1) … (r, n) are all seen. Only counters ≥ 1 are kept. */
  vv: { [r: string]: number };
  /** Dots seen beyond the vector: ascending counters per replica, each above vv[r] + 1. No empty lists. */
  cloud: { [r: string]: number[] };
}

export function emptyContext(): Context {
  return { vv: {}, cloud: {} };
}

export function isEmptyContext(c: Context): boolean {
  return Object.keys(c.vv).length === 0 && Object.keys(c.cloud).length === 0;
}

export function cmpDot(a: Dotted, b: Dotted): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
}

function vvOf(c: Context, r: string): number {
  return hasOwn(c.vv, r) ? c.vv[r] : 0;
}

/** The highest counter of replica r the context has seen (0 if none). */
export function maxCounter(c: Context, r: ReplicaId): number {
  if (hasOwn(c.cloud, r)) {
    const cl = c.cloud[r];
    return cl[cl.length - 1];
  }
  return vvOf(c, r);
}

/** The dot replica r makes next: one past everything of r's the context has seen, so a dot is never reused. */
export function nextDot(c: Context, r: ReplicaId): Dot {
  replicaOf(r, 'new dot');
  const n = (hasOwn(c.cloud, r) ? c.cloud[r][c.cloud[r].length - 1] : hasOwn(c.vv, r) ? c.vv[r] : 0) + 1;
  // A peer may have claimed r's counters up to the bound (decode allows it); r then cannot make a new dot, and
  // says so, rather than minting one that every decoder refuses.
  if (n > MAX_COUNT) throw new MutatorError('overflow', 'new dot: ' + r + ' used every counter to 2^48; use a new replica id');
  return [r, n];
}

export function contains(c: Context, d: Dotted): boolean {
  return hasDot(c, d[0], d[1]);
}

/** Has the context seen replica r's counter n? (contains, for a replica and counter given apart) */
export function hasDot(c: Context, r: string, n: number): boolean {
  if (hasOwn(c.vv, r) && n <= c.vv[r]) return true;
  if (!hasOwn(c.cloud, r)) return false;
  const cl = c.cloud[r];
  let lo = 0;
  let hi = cl.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cl[mid] === n) return true;
    if (cl[mid] < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The least upper bound of two contexts, compacted: a fresh context (lists are shared, never edited). */
export function joinContext(a: Context, b: Context): Context {
  if (isEmptyContext(b)) return a;
  if (isEmptyContext(a)) return b;
  return joinContextInto(copyContext(a), b);
}

/** The context of exactly these dots (in any order, duplicates allowed), compacted. */
export function contextOf(dots: Dotted[]): Context {
  // One dot (every part decompose makes): no grouping or sorting.
  if (dots.length === 1) {
    const one: Context = { vv: {}, cloud: {} }; // not emptyContext(): a board bundle would carry it for this alone
    if (dots[0][1] === 1) one.vv[dots[0][0]] = 1;
    else one.cloud[dots[0][0]] = [dots[0][1]];
    return one;
  }
  const per: { [r: string]: number[] } = {};
  for (let i = 0; i < dots.length; i++) {
    const r = dots[i][0];
    if (!hasOwn(per, r)) per[r] = [];
    per[r].push(dots[i][1]);
  }
  // Each replica's counters ascending, once each: a run 1, 2, … goes into the vector, the rest into the cloud
  // (the compacted form, built directly: a delta of thousands of fresh replicas makes thousands of rows).
  const out: Context = { vv: {}, cloud: {} };
  const rs = Object.keys(per);
  for (let i = 0; i < rs.length; i++) {
    const ns = per[rs[i]];
    if (ns.length > 1) ns.sort((x, y) => x - y);
    let top = 0;
    let k = 0;
    for (; k < ns.length; k++) {
      if (ns[k] === top) continue; // a repeat within the run
      if (ns[k] !== top + 1) break;
      top++;
    }
    if (top > 0) out.vv[rs[i]] = top;
    if (k < ns.length) {
      const rest: number[] = [];
      for (; k < ns.length; k++) if (ns[k] !== rest[rest.length - 1]) rest.push(ns[k]);
      out.cloud[rs[i]] = rest;
    }
  }
  return out;
}

/** Is every dot of a also in b? Relies on b being compacted: b never holds vv[r] + 1 in its cloud. */
export function leqContext(a: Context, b: Context): boolean {
  const va = Object.keys(a.vv);
  for (let i = 0; i < va.length; i++) if (!hasOwn(b.vv, va[i]) || a.vv[va[i]] > b.vv[va[i]]) return false;
  const ca = Object.keys(a.cloud);
  for (let i = 0; i < ca.length; i++) {
    const r = ca[i];
    const cl = a.cloud[r];
    for (let k = 0; k < cl.length; k++) if (!hasDot(b, r, cl[k])) return false;
  }
  return true;
}

/**
 * Every dot of the context, sorted. As long as the history a peer claims, so never on anything from the wire:
 * check contextSize first (decompose uses removals below instead).
 */
export function contextDots(c: Context): Dot[] {
  const rs = sortedKeys(c.vv);
  const cs = Object.keys(c.cloud);
  for (let i = 0; i < cs.length; i++) if (!hasOwn(c.vv, cs[i])) rs.push(cs[i]);
  rs.sort();
  const out: Dot[] = [];
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    const top = vvOf(c, r);
    for (let n = 1; n <= top; n++) out.push([r, n]);
    if (hasOwn(c.cloud, r)) {
      const cl = c.cloud[r];
      for (let k = 0; k < cl.length; k++) out.push([r, cl[k]]);
    }
  }
  return out;
}

/** Raise out[r] to the highest counter the context claims for each replica r (Crdt.claims). */
export function contextClaims(c: Context, out: { [r: string]: number }): void {
  const vs = Object.keys(c.vv);
  for (let i = 0; i < vs.length; i++) raise(out, vs[i], c.vv[vs[i]]);
  const cs = Object.keys(c.cloud);
  for (let i = 0; i < cs.length; i++) raise(out, cs[i], c.cloud[cs[i]][c.cloud[cs[i]].length - 1]);
}

/** out[r] = max(out[r], n). */
export function raise(out: { [r: string]: number }, r: string, n: number): void {
  if (!hasOwn(out, r) || out[r] < n) out[r] = n;
}

/** How many dots the context covers, without listing them. */
export function contextSize(c: Context): number {
  let n = 0;
  const vs = Object.keys(c.vv);
  for (let i = 0; i < vs.length; i++) n += c.vv[vs[i]];
  const cs = Object.keys(c.cloud);
  for (let i = 0; i < cs.length; i++) n += c.cloud[cs[i]].length;
  return n;
}

/** Replica r's row of the context (its vector entry and its cloud), as a context of its own. */
export function rowContext(c: Context, r: ReplicaId): Context {
  const out = emptyContext();
  if (hasOwn(c.vv, r)) out.vv[r] = c.vv[r];
  if (hasOwn(c.cloud, r)) out.cloud[r] = c.cloud[r];
  return out;
}

/**
 * Removed dots spelled out one by one cost memory per dot, and a peer can claim 2^48 of them in a few bytes.
 * decompose lists at most this many per dot the state holds or lists on the wire (plus REMOVAL_SLACK); past
 * that, a replica's removals stay one part (its whole row), so decompose is linear in the bytes. One, not four:
 * each part costs a few objects, and a 37 KB delta of 3,000 context rows made 14,500 parts at four.
 */
export const REMOVAL_FACTOR = 1;
export const REMOVAL_SLACK = 64;

export interface Removals {
  /** Removed dots listed one by one, sorted: each is a join-irreducible part. */
  dots: Dot[];
  /** Replicas whose removals were too many to list: the caller makes one part of each replica's whole row. */
  rows: ReplicaId[];
}

/**
 * The context's dots that no entry holds (each a removal), as dots where that is cheap and as whole rows where
 * a replica claims more than the budget allows. `held` must be dots of the context (true of every state).
 */
export function removals(c: Context, held: Dotted[]): Removals {
  const per: { [r: string]: number[] } = {};
  for (let i = 0; i < held.length; i++) {
    const r = held[i][0];
    if (!hasOwn(per, r)) per[r] = [];
    per[r].push(held[i][1]);
  }
  const rs = sortedKeys(c.vv);
  const cs = Object.keys(c.cloud);
  let listed = rs.length;
  for (let i = 0; i < cs.length; i++) {
    listed += c.cloud[cs[i]].length;
    if (!hasOwn(c.vv, cs[i])) rs.push(cs[i]);
  }
  rs.sort();
  let budget = REMOVAL_FACTOR * (held.length + listed) + REMOVAL_SLACK;
  const out: Removals = { dots: [], rows: [] };
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    const hs = hasOwn(per, r) ? per[r].sort((x, y) => x - y) : [];
    const top = hasOwn(c.vv, r) ? c.vv[r] : 0;
    const cl = hasOwn(c.cloud, r) ? c.cloud[r] : [];
    const gone = top + cl.length - hs.length;
    if (gone <= 0) continue;
    if (gone > budget) {
      out.rows.push(r);
      continue;
    }
    budget -= gone;
    let j = 0;
    for (let n = 1; n <= top; n++) {
      if (j < hs.length && hs[j] === n) j++;
      else out.dots.push([r, n]);
    }
    for (let k = 0; k < cl.length; k++) {
      if (j < hs.length && hs[j] === cl[k]) j++;
      else out.dots.push([r, cl[k]]);
    }
  }
  return out;
}

/** Index of n in an ascending list, or -1. */
function search(xs: number[], n: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] === n) return mid;
    if (xs[mid] < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** How many counters of an ascending list are at most n. */
function countUpTo(xs: number[], n: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Do contexts a and b share a dot that is not among `points` (distinct dots)? Counted per replica with ranges,
 * never by listing dots, so its cost is the size of a's entries (times a log of b's), whatever the counters
 * claim. The in-place join and leq use it to know when a delta's context reaches entries outside the keys
 * the delta carries, which alone needs a walk over the whole state.
 */
export function sharedBeyond(a: Context, b: Context, points: Dotted[]): boolean {
  const inside: { [r: string]: number } = {};
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (hasDot(a, p[0], p[1]) && hasDot(b, p[0], p[1])) inside[p[0]] = (hasOwn(inside, p[0]) ? inside[p[0]] : 0) + 1;
  }
  const rs = Object.keys(a.vv);
  const cs = Object.keys(a.cloud);
  for (let i = 0; i < cs.length; i++) if (!hasOwn(a.vv, cs[i])) rs.push(cs[i]);
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    const va = vvOf(a, r);
    const vb = vvOf(b, r);
    let both = va < vb ? va : vb;
    if (hasOwn(a.cloud, r)) {
      const cl = a.cloud[r];
      for (let k = 0; k < cl.length; k++) if (cl[k] <= vb || (hasOwn(b.cloud, r) && search(b.cloud[r], cl[k]) >= 0)) both++;
    }
    if (hasOwn(b.cloud, r)) both += countUpTo(b.cloud[r], va);
    if (both > (hasOwn(inside, r) ? inside[r] : 0)) return true;
  }
  return false;
}

/**
 * The dots of a ∩ b that are not among `points`, listed, or null when there are more than `limit` of them (then
 * the caller walks its state instead). Costs the size of a's entries plus the dots listed.
 */
export function sharedDots(a: Context, b: Context, points: Dotted[], limit: number): Dot[] | null {
  const skip: { [k: string]: boolean } = {};
  for (let i = 0; i < points.length; i++) skip[dotKey(points[i][0], points[i][1])] = true;
  const out: Dot[] = [];
  const rs = Object.keys(a.vv);
  const cs = Object.keys(a.cloud);
  for (let i = 0; i < cs.length; i++) if (!hasOwn(a.vv, cs[i])) rs.push(cs[i]);
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    const va = vvOf(a, r);
    const vb = vvOf(b, r);
    const both = va < vb ? va : vb;
    if (both - points.length > limit) return null;
    for (let n = 1; n <= both; n++) if (!hasOwn(skip, dotKey(r, n))) out.push([r, n]);
    if (hasOwn(a.cloud, r)) {
      const cl = a.cloud[r];
      for (let k = 0; k < cl.length; k++) if (hasDot(b, r, cl[k]) && !hasOwn(skip, dotKey(r, cl[k]))) out.push([r, cl[k]]);
    }
    if (hasOwn(b.cloud, r)) {
      const cl = b.cloud[r];
      for (let k = 0; k < cl.length && cl[k] <= va; k++) if (!hasOwn(skip, dotKey(r, cl[k]))) out.push([r, cl[k]]);
    }
    if (out.length > limit) return null;
  }
  return out;
}

/** A dot as one string key (counter first: replica ids may hold any character). */
export function dotKey(r: string, n: number): string {
  return n + ':' + r;
}

/**
 * Where each held dot lives (dot key → the state's key holding it), kept on a state as a hidden cache: built
 * once, in O(state), the first time a removal needs it, then kept up to date by joinInto, so that a delta that
 * removes or replaces dots costs its own size. Only states the caller owns are changed in place, so a cache
 * never goes stale; copy() and join() make states without one.
 */
export interface DotIndex {
  [dot: string]: string;
}

export function cachedIndex(s: object): DotIndex | undefined {
  return (s as { ix?: DotIndex }).ix;
}

export function setIndex(s: object, ix: DotIndex | undefined): void {
  Object.defineProperty(s, 'ix', { value: ix, writable: true, enumerable: false, configurable: true });
}

/**
 * Join context b into a, which the caller owns: a's vector and cloud objects change, b is left as it was. Costs
 * b's entries plus the cloud lists of the replicas they touch; cloud lists are replaced, never edited, so a
 * list shared with b stays b's. b's clouds must be ascending without repeats (true of every context).
 */
export function joinContextInto(a: Context, b: Context): Context {
  const rs = Object.keys(b.vv).concat(Object.keys(b.cloud));
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    if (hasOwn(b.vv, r) && !(hasOwn(a.vv, r) && a.vv[r] >= b.vv[r])) a.vv[r] = b.vv[r];
    const x = hasOwn(a.cloud, r) ? a.cloud[r] : null;
    const y = hasOwn(b.cloud, r) ? b.cloud[r] : null;
    if (x === null && y === null) continue;
    // the two ascending lists merged, without repeats
    let ns = x === null ? (y as number[]) : x;
    if (x !== null && y !== null) {
      ns = [];
      let k = 0;
      let j = 0;
      while (k < x.length || j < y.length) {
        const v = j < y.length ? y[j] : Infinity;
        if (k < x.length && x[k] <= v) {
          if (x[k] === v) j++;
          ns.push(x[k++]);
        } else {
          ns.push(v);
          j++;
        }
      }
    }
    // then settled: counters the vector covers dropped, the vector grown while the next counter is contiguous
    delete a.cloud[r];
    let top = hasOwn(a.vv, r) ? a.vv[r] : 0;
    let k = 0;
    while (k < ns.length && ns[k] <= top) k++;
    while (k < ns.length && ns[k] === top + 1) {
      top++;
      k++;
    }
    if (top > 0) a.vv[r] = top;
    if (k < ns.length) a.cloud[r] = k === 0 ? ns : ns.slice(k);
  }
  return a;
}

/** A copy of a context whose objects the caller owns (lists are shared: they are never edited in place). */
export function copyContext(c: Context): Context {
  const out = emptyContext();
  const vs = Object.keys(c.vv);
  for (let i = 0; i < vs.length; i++) out.vv[vs[i]] = c.vv[vs[i]];
  const cs = Object.keys(c.cloud);
  for (let i = 0; i < cs.length; i++) out.cloud[cs[i]] = c.cloud[cs[i]];
  return out;
}

/** Replica r's entries of a dot store (a part of r's row when decompose cannot list its removals). */
export function entriesOf<E extends Dotted>(store: E[], r: ReplicaId): E[] {
  const out: E[] = [];
  for (let i = 0; i < store.length; i++) if (store[i][0] === r) out.push(store[i]);
  return out;
}

/** The dots of a store entry list, in store order. */
export function dotsOf(store: Dotted[]): Dot[] {
  const out: Dot[] = [];
  for (let i = 0; i < store.length; i++) out.push([store[i][0], store[i][1]]);
  return out;
}

/**
 * Join two sorted dot stores under their contexts (the DotSet and DotFun rules): a dot survives if both sides
 * hold it (then `both` joins the two entries' payloads) or one side holds it and the other side's context has
 * not seen it. A dot one side holds and the other has seen but dropped was removed there, and stays removed.
 */
export function joinStore<E extends Dotted>(a: E[], ca: Context, b: E[], cb: Context, both: (x: E, y: E) => E): E[] {
  const out: E[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : cmpDot(a[i], b[j]);
    if (c === 0) {
      out.push(a[i] === b[j] ? a[i] : both(a[i], b[j]));
      i++;
      j++;
    } else if (c < 0) {
      if (!contains(cb, a[i])) out.push(a[i]);
      i++;
    } else {
      if (!contains(ca, b[j])) out.push(b[j]);
      j++;
    }
  }
  return out;
}

/**
 * The store half of (a, ca) ≤ (b, cb), given ca ⊆ cb: every dot b holds that a has seen must still be in a
 * (else a removed it and the join would drop it from b), with a's payload below b's.
 * `leqEntry` is null for a DotSet, whose entries carry no payload.
 */
export function leqStore<E extends Dotted>(a: E[], ca: Context, b: E[], leqEntry: ((x: E, y: E) => boolean) | null): boolean {
  let i = 0;
  for (let j = 0; j < b.length; j++) {
    const y = b[j];
    if (!contains(ca, y)) continue;
    while (i < a.length && cmpDot(a[i], y) < 0) i++;
    if (i >= a.length || cmpDot(a[i], y) !== 0) return false;
    if (leqEntry !== null && a[i] !== y && !leqEntry(a[i], y)) return false;
  }
  return true;
}

/**
 * Join two DotMaps key by key. `inner(x, y)` joins the entries under one key (either may be missing) and returns
 * null when nothing survives, so a key whose dots were all removed disappears.
 */
export function joinDotMap<T>(a: { [k: string]: T }, b: { [k: string]: T }, inner: (x: T | undefined, y: T | undefined) => T | null): { [k: string]: T } {
  const out: { [k: string]: T } = {};
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    const v = inner(a[k], hasOwn(b, k) ? b[k] : undefined);
    if (v !== null) out[k] = v;
  }
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    const k = kb[i];
    if (hasOwn(a, k)) continue;
    const v = inner(undefined, b[k]);
    if (v !== null) out[k] = v;
  }
  return out;
}

/** Keep only the entries whose dot the context has not seen: what one side brings that the other lacks. */
export function unseen<E extends Dotted>(store: E[], c: Context): E[] {
  let keep = 0;
  for (let i = 0; i < store.length; i++) if (!contains(c, store[i])) keep++;
  if (keep === store.length) return store;
  const out: E[] = [];
  for (let i = 0; i < store.length; i++) if (!contains(c, store[i])) out.push(store[i]);
  return out;
}

// ---- wire form ----

/** Context as [[r, max, r, max, …], [r, n, r, n, …]]: the vector by replica, then the cloud sorted by dot. */
export function encodeContext(c: Context): Item {
  const vv: Item[] = [];
  const rs = sortedKeys(c.vv);
  for (let i = 0; i < rs.length; i++) vv.push(rs[i], c.vv[rs[i]]);
  const cloud: Item[] = [];
  const cs = sortedKeys(c.cloud);
  for (let i = 0; i < cs.length; i++) {
    const cl = c.cloud[cs[i]];
    for (let k = 0; k < cl.length; k++) cloud.push(cs[i], cl[k]);
  }
  return [vv, cloud];
}

/** A dot counter from the wire: counters start at 1. */
export function counter(item: Item, what: string): number {
  const n = count(item, what);
  if (n < 1) fail(what + ': dot counters start at 1');
  return n;
}

/** Decode a context and insist on its compacted form, so that every state has exactly one encoding. */
export function decodeContext(item: Item, what: string): Context {
  const pair = arr(item, what, 2);
  const vvItems = arr(pair[0], what + ' vector');
  if (vvItems.length % 2 !== 0) fail(what + ' vector: expected replica/counter pairs');
  const vv: { [r: string]: number } = {};
  let prev: string | undefined;
  for (let i = 0; i < vvItems.length; i += 2) {
    const r = replicaOf(vvItems[i], what + ' vector', true);
    if (prev !== undefined && !(prev < r)) fail(what + ' vector: replicas must be strictly ascending');
    prev = r;
    vv[r] = nat(vvItems[i + 1], what + ' vector ' + r, true);
    if (vv[r] < 1) fail(what + ' vector ' + r + ': dot counters start at 1');
  }
  const cloudItems = arr(pair[1], what + ' cloud');
  if (cloudItems.length % 2 !== 0) fail(what + ' cloud: expected replica/counter pairs');
  const cloud: { [r: string]: number[] } = {};
  for (let i = 0; i < cloudItems.length; i += 2) {
    const r = replicaOf(cloudItems[i], what + ' cloud', true);
    const n = nat(cloudItems[i + 1], what + ' cloud', true);
    if (i > 0 && !((cloudItems[i - 2] as string) < r || (cloudItems[i - 2] === r && (cloudItems[i - 1] as number) < n))) fail(what + ' cloud: dots must be strictly ascending');
    if (n <= (hasOwn(vv, r) ? vv[r] : 0) + 1) fail(what + ' cloud: dot (' + r + ', ' + n + ') belongs in the vector (not compacted)');
    if (!hasOwn(cloud, r)) cloud[r] = [];
    cloud[r].push(n);
  }
  return { vv: vv, cloud: cloud };
}

/** A sorted dot list as [r, n, r, n, …]. */
export function encodeDots(dots: Dotted[]): Item[] {
  const out: Item[] = [];
  for (let i = 0; i < dots.length; i++) out.push(dots[i][0], dots[i][1]);
  return out;
}

/**
 * Record a dot while decoding one state: a dot is made for one entry only, so a second sighting, or a dot the
 * context never saw, means the item is malformed.
 */
export function claimDot(seen: { [k: string]: boolean }, c: Context, d: Dot, what: string): void {
  if (!contains(c, d)) fail(what + ': dot (' + d[0] + ', ' + d[1] + ') is not in the causal context');
  const k = d[1] + ':' + d[0];
  if (hasOwn(seen, k)) fail(what + ': dot (' + d[0] + ', ' + d[1] + ') appears twice');
  seen[k] = true;
}

/** Decode a non-empty, strictly ascending [r, n, …] list of dots that the context contains. */
export function decodeDots(item: Item, c: Context, seen: { [k: string]: boolean }, what: string): Dot[] {
  const items = arr(item, what);
  if (items.length === 0 || items.length % 2 !== 0) fail(what + ': expected one or more replica/counter pairs');
  const out: Dot[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const d: Dot = [replicaOf(items[i], what, true), counter(items[i + 1], what)];
    if (out.length > 0 && cmpDot(out[out.length - 1], d) >= 0) fail(what + ': dots must be strictly ascending');
    claimDot(seen, c, d, what);
    out.push(d);
  }
  return out;
}
