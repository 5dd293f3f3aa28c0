/**
 * Add-wins map with nested CRDT values and causal removal, for ANY nested type (a G-Counter as well as an
 * OR-Set). Under each key sits a DotFun: per dot, the nested contribution of the replica that made the dot.
 * All keys share one causal context.
 *
 *   const M = awmap(GCounter);
 *   let s = M.bottom();
 *   s = M.join(s, apply(GCounter, s, 'a', 'hits', 'inc', [2]));   // { hits: 2 }
 *   s = M.join(s, remove(s, 'hits'));                              // {}
 *
 * - Update: the replica's nested mutator runs against the key's full nested value (the join of all surviving
 *   contributions). The delta is ONE new dot carrying the join of the replica's previous contribution and the
 *   nested delta, with a context that covers the replica's older dot(s) for the key, which it therefore replaces:
 *   at most one dot per replica per key, plus concurrent ones.
 * - Remove: a delta whose context covers every dot of the key it has observed. A contribution under a dot the
 *   remover has not seen survives (add wins); everything else under the key is gone, so after a remove the
 *   nested value starts again from bottom.
 *
 * Costs and limits, stated plainly:
 * - A delta carries the updating replica's whole contribution to the key (its own G-Counter entry, its own
 *   share of an OR-Set's dots, …), not just the nested delta. That is what lets an older dot be dropped.
 * - An update concurrent to a remove revives that replica's whole contribution, including its effects from
 *   before the remove (Riak's embedded counters behave the same). Keeping only the effects concurrent to the
 *   remove would need one dot per update kept forever; this construction keeps the state bounded instead.
 * - Epochs: a replica that starts a contribution afresh (the key is new to it, or its old contribution was
 *   removed) acts on the nested value as replica `r.e`, where e is the counter of the dot that began it. Without
 *   that, a nested causal type would mint its dots from 1 again after a remove, and a surviving contribution
 *   whose context saw the old dots would silently delete the new ones. Nested counters therefore hold one entry
 *   per epoch; nested mutators that name replicas in their arguments would see `r.e` ids.
 * Map keys are strings ("__proto__" is refused, since `value` returns a plain object).
 */
import {
  type Context, type Dot, type DotIndex, type Dotted, cachedIndex, claimDot, cmpDot, contains, contextClaims, dotKey, setIndex, sharedDots, contextOf, copyContext, counter, decodeContext, emptyContext,
  encodeContext, joinContext, joinContextInto, joinDotMap, joinStore, leqContext, nextDot,
  removals, rowContext, sharedBeyond, unseen,
} from './causal.ts';
import { arr, fail, nat, str } from './check.ts';
import { MutatorError } from './errors.ts';
import { replicaItem } from './guards.ts';
import { hasOwn, keyOf, sortedKeys } from './keys.ts';
import { listLimit } from './orset.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

/** A contribution: the dot it was made under, the replica's epoch for this key, and the nested state. */
export type Contribution<S> = [ReplicaId, number, number, S];

export interface AWMapState<S> {
  /** By keyOf(key): contributions sorted by dot. */
  m: { [k: string]: Contribution<S>[] };
  c: Context;
}

function mapKey(key: unknown, what: string): string {
  if (typeof key !== 'string') throw new MutatorError('args', what + ': map keys are strings, got ' + typeof key);
  if (key === '__proto__') throw new MutatorError('args', what + ': "__proto__" cannot be a map key');
  return keyOf(key);
}

/** The replica id the nested type sees during an epoch (see the module comment). */
export function epochReplica(replica: ReplicaId, epoch: number): ReplicaId {
  return replica + '.' + epoch;
}

/** The key's nested value: the join of every surviving contribution. */
export function nestedAt<S>(t: Crdt<S, any>, s: AWMapState<S>, key: string): S {
  const k = keyOf(key);
  let full = t.bottom();
  if (!hasOwn(s.m, k)) return full;
  const cs = s.m[k];
  for (let i = 0; i < cs.length; i++) full = t.join(full, cs[i][3]);
  return full;
}

/** Update the value under key with the nested type's mutator `name`; creates the key if needed. */
export function apply<S>(t: Crdt<S, any>, s: AWMapState<S>, replica: ReplicaId, key: string, name: string, args: any[]): AWMapState<S> {
  const k = mapKey(key, 'awmap apply');
  if (!hasOwn(t.mutators, name)) {
    throw new MutatorError('args', 'awmap apply: ' + t.name + ' has no mutator "' + name + '" (it has: ' + sortedKeys(t.mutators).join(', ') + ')');
  }
  const cs = hasOwn(s.m, k) ? s.m[k] : [];
  let full = t.bottom();
  let prev = t.bottom();
  const own: Dot[] = [];
  let epoch = 0;
  let newest = 0;
  for (let i = 0; i < cs.length; i++) {
    full = t.join(full, cs[i][3]);
    if (cs[i][0] !== replica) continue;
    prev = t.join(prev, cs[i][3]);
    own.push([replica, cs[i][1]]);
    if (cs[i][1] > newest) {
      newest = cs[i][1];
      epoch = cs[i][2];
    }
  }
  const dot = nextDot(s.c, replica);
  if (own.length === 0) epoch = dot[1];
  if (args !== undefined && !Array.isArray(args)) throw new MutatorError('args', 'awmap apply: the nested arguments must be an array');
  const nested = t.mutators[name](full, epochReplica(replica, epoch), args === undefined ? [] : args);
  const m: { [k: string]: Contribution<S>[] } = {};
  m[k] = [[replica, dot[1], epoch, t.join(prev, nested)]];
  return { m: m, c: contextOf(own.concat([dot])) };
}

/** Remove the key: drop every contribution observed under it (bottom if the key is absent). */
export function remove<S>(s: AWMapState<S>, key: string): AWMapState<S> {
  const k = mapKey(key, 'awmap remove');
  return { m: {}, c: contextOf(hasOwn(s.m, k) ? s.m[k] : []) };
}

type Entries<S> = { [k: string]: Contribution<S>[] };

/** Every dot the entries hold (distinct: a dot is made for one contribution). */
function heldDots<S>(m: Entries<S>): Dotted[] {
  const out: Dotted[] = [];
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) {
    const cs = m[ks[i]];
    for (let j = 0; j < cs.length; j++) out.push(cs[j]);
  }
  return out;
}

/** Where dot d sits in a list sorted by dot: its index, or -(the index it would take) - 1. */
function find(cs: Dotted[], d: Dotted): number {
  let lo = 0;
  let hi = cs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = cmpDot(cs[mid], d);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** A key with at most this many edits in one joinInto is edited by binary search; one with more is merged. */
const EDITS = 16;

/** The index of a map's entries (see DotIndex): O(state), once, then kept by joinInto. */
function indexOf<S>(s: AWMapState<S>): DotIndex {
  let ix = cachedIndex(s);
  if (ix === undefined) {
    ix = {};
    const ks = Object.keys(s.m);
    for (let i = 0; i < ks.length; i++) {
      const cs = s.m[ks[i]];
      for (let j = 0; j < cs.length; j++) ix[dotKey(cs[j][0], cs[j][1])] = ks[i];
    }
    setIndex(s, ix);
  }
  return ix;
}

/** Set the contributions under k (or drop the key), keeping the index. */
function put<S>(m: Entries<S>, k: string, cs: Contribution<S>[], ix: DotIndex | undefined): void {
  if (ix !== undefined) {
    if (hasOwn(m, k)) for (let i = 0; i < m[k].length; i++) delete ix[dotKey(m[k][i][0], m[k][i][1])];
    for (let i = 0; i < cs.length; i++) ix[dotKey(cs[i][0], cs[i][1])] = k;
  }
  if (cs.length === 0) delete m[k];
  else m[k] = cs;
}

/**
 * joinInto's changes to key k, when the delta's removals are listed: its entries `ys` (joined with the state's
 * under the same dot, or added when the state has not seen them) and `drops` (dots the state holds under k that
 * the delta removed). Few edits are made by binary search on a copy of the list (lists may be shared, so one is
 * never changed in place): O(edits × log) plus the copy, so that joining n one-entry parts into a key costs
 * O(n log n), not O(n²). Many are merged in one pass over the list.
 */
function editKey<S>(s: AWMapState<S>, k: string, ys: Contribution<S>[], drops: Dotted[], d: AWMapState<S>, ix: DotIndex, both: (x: Contribution<S>, y: Contribution<S>) => Contribution<S>): void {
  const xs = hasOwn(s.m, k) ? s.m[k] : [];
  if (ys.length + drops.length > EDITS) {
    put(s.m, k, ys.length === 0 ? unseen(xs, d.c) : xs.length === 0 ? unseen(ys, s.c) : joinStore(xs, s.c, ys, d.c, both), ix);
    return;
  }
  let cs = xs;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    const key = dotKey(y[0], y[1]);
    // Held under another key (forged input): the join drops it on both sides, there through `drops`.
    if (hasOwn(ix, key) && ix[key] !== k) continue;
    const p = find(cs, y);
    if (p >= 0) {
      const v = cs[p] === y ? y : both(cs[p], y);
      if (v === cs[p]) continue;
      if (cs === xs) cs = xs.slice();
      cs[p] = v;
    } else if (!contains(s.c, y)) {
      if (cs === xs) cs = xs.slice();
      cs.splice(-p - 1, 0, y);
      ix[key] = k;
    }
  }
  for (let i = 0; i < drops.length; i++) {
    const p = find(cs, drops[i]);
    if (p >= 0) {
      if (cs === xs) cs = xs.slice();
      cs.splice(p, 1);
    }
    delete ix[dotKey(drops[i][0], drops[i][1])];
  }
  if (cs === xs) return;
  if (cs.length === 0) delete s.m[k];
  else s.m[k] = cs;
}

/** The map type over a nested value type. */
export function awmap<S>(t: Crdt<S, any>): Crdt<AWMapState<S>, { [key: string]: any }> {
  // A dot's epoch is fixed when the dot is made, so the two sides agree; ordering (epoch, nested state)
  // lexicographically keeps join a lattice operation even on forged input, and keeps parts irreducible.
  const both = (x: Contribution<S>, y: Contribution<S>): Contribution<S> => {
    if (x[2] !== y[2]) return x[2] > y[2] ? x : y;
    return [x[0], x[1], x[2], t.join(x[3], y[3])];
  };
  const below = (x: Contribution<S>, y: Contribution<S>): boolean => x[2] < y[2] || (x[2] === y[2] && t.leq(x[3], y[3]));

  const self: Crdt<AWMapState<S>, { [key: string]: any }> = {
    name: 'awmap(' + t.name + ')',
    tag: 13,
    bottom: () => ({ m: {}, c: emptyContext() }),
    join: (a, b) => ({
      m: joinDotMap(a.m, b.m, (x, y) => {
        const r = y === undefined ? unseen(x as Contribution<S>[], b.c) : x === undefined ? unseen(y, a.c) : joinStore(x, a.c, y, b.c, both);
        return r.length === 0 ? null : r;
      }),
      c: joinContext(a.c, b.c),
    }),
    // Contribution lists are replaced, never edited, and nested states are joined immutably, so a list or a
    // nested state taken from the delta is safely shared with it.
    // Removals outside the delta's keys (a key removed, a dot replaced) are found through the index, so they
    // cost the delta's size too; past listLimit they are found by one walk over the state.
    // What the delta removes (dots both contexts hold beyond the delta's own entries) is listed and found
    // through the index, key by key (editKey), so a delta costs its own size (times a log), however large the
    // state or the key's list; past listLimit it is found by one walk over the state.
    joinInto: (s, d) => {
      const points = heldDots(d.m);
      let gone: Dot[] | null = [];
      if (sharedBeyond(d.c, s.c, points)) gone = sharedDots(d.c, s.c, points, listLimit(points.length, d.c));
      const kd = Object.keys(d.m);
      if (gone === null) {
        const ks = Object.keys(s.m);
        for (let i = 0; i < ks.length; i++) {
          if (!hasOwn(d.m, ks[i])) put(s.m, ks[i], unseen(s.m[ks[i]], d.c), undefined);
        }
        for (let i = 0; i < kd.length; i++) {
          const k = kd[i];
          put(s.m, k, hasOwn(s.m, k) ? joinStore(s.m[k], s.c, d.m[k], d.c, both) : unseen(d.m[k], s.c), undefined);
        }
        setIndex(s, undefined);
      } else {
        const ix = indexOf(s);
        // Dots to drop, by the key holding them: the listed removals, and dots the delta carries under another
        // key than the state (forged input: the join drops both).
        const drops: { [k: string]: Dotted[] } = {};
        const dropAt = (at: string | undefined, x: Dotted) => {
          if (at === undefined) return;
          if (!hasOwn(drops, at)) drops[at] = [];
          drops[at].push(x);
        };
        for (let i = 0; i < gone.length; i++) dropAt(ix[dotKey(gone[i][0], gone[i][1])], gone[i]);
        for (let i = 0; i < points.length; i++) {
          const key = dotKey(points[i][0], points[i][1]);
          if (hasOwn(ix, key) && !(hasOwn(d.m, ix[key]) && find(d.m[ix[key]], points[i]) >= 0)) dropAt(ix[key], points[i]);
        }
        for (let i = 0; i < kd.length; i++) editKey(s, kd[i], d.m[kd[i]], hasOwn(drops, kd[i]) ? drops[kd[i]] : [], d, ix, both);
        const kx = Object.keys(drops);
        for (let i = 0; i < kx.length; i++) if (!hasOwn(d.m, kx[i])) editKey(s, kx[i], [], drops[kx[i]], d, ix, both);
      }
      joinContextInto(s.c, d.c);
      return s;
    },
    copy: (s) => {
      const m: Entries<S> = {};
      const ks = Object.keys(s.m);
      for (let i = 0; i < ks.length; i++) m[ks[i]] = s.m[ks[i]];
      return { m: m, c: copyContext(s.c) };
    },
    // The map's own dots, and what the nested states claim (under the epoch ids "r.e" their replicas act as).
    claims: (s, out) => {
      contextClaims(s.c, out);
      const ks = Object.keys(s.m);
      for (let i = 0; i < ks.length; i++) {
        const cs = s.m[ks[i]];
        for (let j = 0; j < cs.length; j++) t.claims(cs[j][3], out);
      }
    },
    // a ≤ b: a's context is in b's, each of a's entries that b still holds is below b's (under the same key),
    // and b holds no dot a has seen but dropped. Found through b's index and binary search, so a small delta
    // against a large state costs the delta's size (times a log), not the state's.
    leq: (a, b) => {
      if (!leqContext(a.c, b.c)) return false;
      const ix = indexOf(b);
      const ka = Object.keys(a.m);
      for (let i = 0; i < ka.length; i++) {
        const cs = a.m[ka[i]];
        for (let j = 0; j < cs.length; j++) {
          const key = dotKey(cs[j][0], cs[j][1]);
          if (!hasOwn(ix, key)) continue; // b has seen it (a's context is in b's) and removed it
          if (ix[key] !== ka[i]) return false;
          const y = b.m[ka[i]][find(b.m[ka[i]], cs[j])];
          if (y !== cs[j] && !below(cs[j], y)) return false;
        }
      }
      const points = heldDots(a.m);
      if (!sharedBeyond(a.c, b.c, points)) return true;
      const xs = sharedDots(a.c, b.c, points, listLimit(points.length, a.c));
      if (xs !== null) {
        for (let i = 0; i < xs.length; i++) if (hasOwn(ix, dotKey(xs[i][0], xs[i][1]))) return false;
        return true;
      }
      const kb = Object.keys(b.m);
      for (let i = 0; i < kb.length; i++) {
        const cs = b.m[kb[i]];
        for (let j = 0; j < cs.length; j++) {
          if (contains(a.c, cs[j]) && !(hasOwn(a.m, kb[i]) && find(a.m[kb[i]], cs[j]) >= 0)) return false;
        }
      }
      return true;
    },
    value: (s) => {
      const out: { [key: string]: any } = {};
      const ks = sortedKeys(s.m);
      for (let i = 0; i < ks.length; i++) {
        const key = ks[i].slice(1); // keyOf(string) is "s" + the string
        out[key] = t.value(nestedAt(t, s, key));
      }
      return out;
    },
    decompose: (s) => {
      const out: AWMapState<S>[] = [];
      const held: Dot[] = [];
      const ks = sortedKeys(s.m);
      for (let i = 0; i < ks.length; i++) {
        const cs = s.m[ks[i]];
        for (let j = 0; j < cs.length; j++) {
          const x = cs[j];
          held.push([x[0], x[1]]);
          // One part per contribution, never one per part of its nested state: an update makes a new dot, so
          // the nested state under a dot never changes and is whole or absent at every replica. Split, a
          // contribution of n nested entries made n parts that each joined (a copy of) the whole nested state
          // back, quadratic in the bytes (issue 12: 6.8 s of CPU for one 51.5 KB delta).
          const m: { [k: string]: Contribution<S>[] } = {};
          m[ks[i]] = [x];
          out.push({ m: m, c: contextOf([x]) });
        }
      }
      const gone = removals(s.c, held);
      for (let i = 0; i < gone.dots.length; i++) out.push({ m: {}, c: contextOf([gone.dots[i]]) });
      // A row's part carries the replica's entries too: gathered in one walk for all rows (a walk per row was
      // rows × entries).
      const rows: { [r: string]: Entries<S> } = {};
      for (let i = 0; i < gone.rows.length; i++) rows[gone.rows[i]] = {};
      for (let i = 0; i < ks.length; i++) {
        const cs = s.m[ks[i]];
        for (let j = 0; j < cs.length; j++) {
          if (!hasOwn(rows, cs[j][0])) continue;
          const m = rows[cs[j][0]];
          if (!hasOwn(m, ks[i])) m[ks[i]] = [];
          m[ks[i]].push(cs[j]);
        }
      }
      for (let i = 0; i < gone.rows.length; i++) out.push({ m: rows[gone.rows[i]], c: rowContext(s.c, gone.rows[i]) });
      return out;
    },
    encode: (s) => {
      const out: Item[] = [];
      const ks = sortedKeys(s.m);
      for (let i = 0; i < ks.length; i++) {
        const cs = s.m[ks[i]];
        const flat: Item[] = [];
        for (let j = 0; j < cs.length; j++) flat.push(cs[j][0], cs[j][1], cs[j][2], t.encode(cs[j][3]));
        out.push(ks[i].slice(1), flat);
      }
      return [out, encodeContext(s.c)];
    },
    decode: (item) => {
      const what = self.name;
      const top = arr(item, what, 2);
      const c = decodeContext(top[1], what + ' context');
      const entries = arr(top[0], what + ' entries');
      if (entries.length % 2 !== 0) fail(what + ' entries: expected key/contributions pairs');
      const m: { [k: string]: Contribution<S>[] } = {};
      const seen: { [k: string]: boolean } = {};
      let prev: string | undefined;
      for (let i = 0; i < entries.length; i += 2) {
        const key = str(entries[i], what + ' key');
        if (key === '__proto__') fail(what + ' key: "__proto__" cannot be a map key');
        const k = keyOf(key);
        if (prev !== undefined && !(prev < k)) fail(what + ' keys must be strictly ascending, without repeats');
        prev = k;
        const flat = arr(entries[i + 1], what + ' contributions of ' + key);
        if (flat.length === 0 || flat.length % 4 !== 0) {
          fail(what + ' contributions of ' + key + ': expected one or more replica/counter/epoch/state quads');
        }
        const cs: Contribution<S>[] = [];
        for (let j = 0; j < flat.length; j += 4) {
          const x: Contribution<S> = [replicaItem(flat[j], what + ' dot'), counter(flat[j + 1], what + ' dot'), nat(flat[j + 2], what + ' epoch'), t.bottom()];
          if (x[2] < 1 || x[2] > x[1]) fail(what + ' epoch ' + x[2] + ' of dot (' + x[0] + ', ' + x[1] + '): must be 1..' + x[1]);
          if (cs.length > 0 && cmpDot(cs[cs.length - 1] as Dotted, x) >= 0) fail(what + ' contributions of ' + key + ': dots must be strictly ascending');
          claimDot(seen, c, [x[0], x[1]], what + ' dot');
          x[3] = t.decode(flat[j + 3]);
          cs.push(x);
        }
        m[k] = cs;
      }
      return { m: m, c: c };
    },
    mutators: {
      apply: (s, r, args) => apply(t, s, r, args[0], args[1], args[2]),
      remove: (s, _r, args) => remove(s, args[0]),
    },
  };
  return self;
}

