/**
 * The add-wins map's wire form (crdt/awmap.ts; PROTOCOL.md, "Encodings"): compact, because a map write is the
 * commonest delta there is. Nothing the receiver can work out is sent, and no array is opened that the receiver
 * can do without:
 *
 *   entries  or  [entries, context]     the first when the context is left out (tell them apart by the first
 *                                       item: a key is text, entries are an array)
 *   entries       = [key, contributions, key, contributions, …]   keys by canonical key
 *   contributions = one contribution written in line, or two or more in an array [c, c, …]; by dot (r, n)
 *   contribution  = r, 2n, state              one that began its epoch (epoch = n), or
 *                   r, 2n + 1, epoch, state   one of an older epoch (1 ≤ epoch < n)
 *   context       = the state's causal context less the dots the entries hold: each replica's vector entry
 *                   lowered past the held dots at its top, held dots left out of the cloud; left out altogether
 *                   when nothing remains (the receiver adds the held dots back)
 *
 * A nested type that stores the id of the replica that wrote it (crdt/lamport.ts) may offer encodeBy/decodeBy,
 * and is then written without the id the contribution already names ("r.epoch", see awmap.ts).
 * One write of a Lamport register under key "v" by replica "16r" is `["v","16r",2,[1,1539]]`, 13 bytes.
 */
import type { AWMapState, Contribution } from './awmap.ts';
import {
  type Context, type Dot, contextOf, copyContext, counter, decodeContext, dotKey, emptyContext, encodeContext,
  isEmptyContext, joinContextInto,
} from './causal.ts';
import { arr, fail, nat, str } from './check.ts';
import { replicaItem } from './guards.ts';
import { hasOwn, keyOf, sortedKeys } from './keys.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

/** A nested type that can leave out the id of the replica that wrote it (e.g. the Lamport register). */
export interface ByReplica<S> {
  encodeBy(state: S, replica: ReplicaId): Item;
  decodeBy(item: Item, replica: ReplicaId): S;
}

/** The replica id the nested type sees during an epoch (see awmap.ts). */
export function epochReplica(replica: ReplicaId, epoch: number): ReplicaId {
  return replica + '.' + epoch;
}

function byReplica<S>(t: Crdt<S, any>): ByReplica<S> | null {
  const b = t as unknown as ByReplica<S>;
  return typeof b.encodeBy === 'function' && typeof b.decodeBy === 'function' ? b : null;
}

/** The context less the held dots, as the wire carries it (see the module comment): one form per state. */
function strip(c: Context, held: { [k: string]: boolean }): Context {
  const out = emptyContext();
  const vs = Object.keys(c.vv);
  for (let i = 0; i < vs.length; i++) {
    let top = c.vv[vs[i]];
    while (top > 0 && hasOwn(held, dotKey(vs[i], top))) top--;
    if (top > 0) out.vv[vs[i]] = top;
  }
  const cs = Object.keys(c.cloud);
  for (let i = 0; i < cs.length; i++) {
    const cl = c.cloud[cs[i]];
    const keep: number[] = [];
    for (let k = 0; k < cl.length; k++) if (!hasOwn(held, dotKey(cs[i], cl[k]))) keep.push(cl[k]);
    if (keep.length > 0) out.cloud[cs[i]] = keep;
  }
  return out;
}

/** Do two compacted contexts list the same vector and cloud? (Compaction is canonical: the same dots, the same form.) */
function sameContext(a: Context, b: Context): boolean {
  const av = Object.keys(a.vv);
  if (av.length !== Object.keys(b.vv).length) return false;
  for (let i = 0; i < av.length; i++) if (!hasOwn(b.vv, av[i]) || b.vv[av[i]] !== a.vv[av[i]]) return false;
  const ac = Object.keys(a.cloud);
  if (ac.length !== Object.keys(b.cloud).length) return false;
  for (let i = 0; i < ac.length; i++) {
    const x = a.cloud[ac[i]];
    const y = hasOwn(b.cloud, ac[i]) ? b.cloud[ac[i]] : null;
    if (y === null || y.length !== x.length) return false;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

export function encodeMap<S>(t: Crdt<S, any>, s: AWMapState<S>): Item {
  const by = byReplica(t);
  const held: { [k: string]: boolean } = {};
  const out: Item[] = [];
  const ks = sortedKeys(s.m);
  for (let i = 0; i < ks.length; i++) {
    const cs = s.m[ks[i]];
    // One contribution goes in line after its key; two or more in an array of their own.
    const flat: Item[] = cs.length === 1 ? out : [];
    out.push(ks[i].slice(1));
    for (let j = 0; j < cs.length; j++) {
      const x = cs[j];
      held[dotKey(x[0], x[1])] = true;
      if (x[2] === x[1]) flat.push(x[0], 2 * x[1]);
      else flat.push(x[0], 2 * x[1] + 1, x[2]);
      flat.push(by === null ? t.encode(x[3]) : by.encodeBy(x[3], epochReplica(x[0], x[2])));
    }
    if (flat !== out) out.push(flat);
  }
  const c = strip(s.c, held);
  return isEmptyContext(c) ? out : [out, encodeContext(c)];
}

/**
 * One contribution of `key` from `list` at `j` into `cs` (after the last one, by dot); returns the index after it.
 * `seen` and `dots` gather the dots of the whole state.
 */
function take<S>(t: Crdt<S, any>, by: ByReplica<S> | null, list: Item[], j: number, key: string, cs: Contribution<S>[], seen: { [k: string]: boolean }, dots: Dot[], what: string): number {
  const short = what + ' contributions of ' + key + ': a contribution is cut short';
  if (j + 3 > list.length) fail(short);
  const r = replicaItem(list[j], what + ' dot');
  const x = nat(list[j + 1], what + ' dot');
  const n = counter(Math.floor(x / 2), what + ' dot');
  let e = n;
  j += 2;
  if (x % 2 === 1) {
    if (j + 2 > list.length) fail(short);
    e = nat(list[j], what + ' epoch');
    if (e < 1 || e >= n) fail(what + ' epoch ' + e + ' of dot (' + r + ', ' + n + '): must be 1..' + (n - 1) + ' (an epoch equal to the counter is written as 2n)');
    j++;
  }
  if (cs.length > 0 && (cs[cs.length - 1][0] > r || (cs[cs.length - 1][0] === r && cs[cs.length - 1][1] >= n))) {
    fail(what + ' contributions of ' + key + ': dots must be strictly ascending');
  }
  const dk = dotKey(r, n);
  if (hasOwn(seen, dk)) fail(what + ' dot: dot (' + r + ', ' + n + ') appears twice');
  seen[dk] = true;
  dots.push([r, n]);
  cs.push([r, n, e, by === null ? t.decode(list[j]) : by.decodeBy(list[j], epochReplica(r, e))]);
  return j + 1;
}

/** One state from the wire, checked whole (order, epochs, dots once each, the context in its one form). */
export function decodeMap<S>(t: Crdt<S, any>, item: Item, what: string): AWMapState<S> {
  const by = byReplica(t);
  const top = arr(item, what);
  // [entries, context] opens with the entries' array; bare entries open with a key (or are empty).
  const withContext = top.length > 0 && Array.isArray(top[0]);
  if (withContext && top.length !== 2) fail(what + ': expected entries or [entries, context] (an older awmap wire form is refused)');
  const sent = withContext ? decodeContext(top[1], what + ' context') : emptyContext();
  if (withContext && isEmptyContext(sent)) fail(what + ' context: an empty context is left out');
  const entries = withContext ? arr(top[0], what + ' entries') : top;
  const m: { [k: string]: Contribution<S>[] } = {};
  const seen: { [k: string]: boolean } = {};
  const dots: Dot[] = [];
  let prev: string | undefined;
  let i = 0;
  while (i < entries.length) {
    const key = str(entries[i], what + ' key');
    if (key === '__proto__') fail(what + ' key: "__proto__" cannot be a map key');
    const k = keyOf(key);
    if (prev !== undefined && !(prev < k)) fail(what + ' keys must be strictly ascending, without repeats');
    prev = k;
    const cs: Contribution<S>[] = [];
    if (i + 1 < entries.length && Array.isArray(entries[i + 1])) {
      const list = entries[i + 1] as Item[];
      let j = 0;
      while (j < list.length) j = take(t, by, list, j, key, cs, seen, dots, what);
      if (cs.length < 2) fail(what + ' contributions of ' + key + ': one contribution is written in line, two or more in an array');
      i += 2;
    } else {
      i = take(t, by, entries, i + 1, key, cs, seen, dots, what);
    }
    m[k] = cs;
  }
  const ctx = joinContextInto(copyContext(sent), contextOf(dots));
  // One state, one encoding: the context sent must be exactly what encodeMap leaves of the whole one. An awmap
  // item of an older wire form (its context listing the entries' dots too) fails here or above. (Bare entries
  // pass by construction: a context made of the entries' dots alone strips to nothing.)
  if (withContext && !sameContext(strip(ctx, seen), sent)) {
    fail(what + ' context: not in its compact form (the dots the entries hold are left out of it; an older awmap wire form is refused)');
  }
  return { m: m, c: ctx };
}
