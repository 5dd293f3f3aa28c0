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
  type Context, type Dot, type DotIndex, type Dotted, cachedIndex, cmpDot, contains, contextClaims, dotKey, setIndex, sharedDots, contextOf,
  copyContext, emptyContext, entriesOf, joinContext, joinDotMap, joinContextInto, joinStore, leqContext, leqStore, nextDot, removals,
  rowContext, sharedBeyond, unseen,
} from './causal.ts';
import { decodeMap, encodeMap, epochReplica } from './awmapwire.ts';
import { MutatorError } from './errors.ts';
import { hasOwn, keyOf, sortedKeys } from './keys.ts';
import { listLimit } from './orset.ts';
import type { Crdt, ReplicaId } from './types.ts';

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

export { epochReplica };

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

/** The dots a holds under the keys b carries (see orset's heldUnder). */
function heldUnder<S>(a: Entries<S>, b: Entries<S>): Dotted[] {
  const out: Dotted[] = [];
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    if (!hasOwn(a, kb[i])) continue;
    const cs = a[kb[i]];
    for (let j = 0; j < cs.length; j++) out.push(cs[j]);
  }
  return out;
}

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

/** Where dot d sits in a list sorted by dot: its index, or -(the index it would be inserted at) - 1. */
function find(xs: Dotted[], d: Dotted): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = cmpDot(xs[mid], d);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function count<S>(m: Entries<S>): number {
  let n = 0;
  const ks = Object.keys(m);
  for (let i = 0; i < ks.length; i++) n += m[ks[i]].length;
  return n;
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
    // Contribution lists are replaced, never edited (a list taken from the delta stays shared with it), and
    // nested states are joined immutably. Each contribution of the delta is placed by binary search in its key's
    // list; the state's dots that the delta's context removes (under any key) are found through the index, so
    // the cost is the delta's size (plus a copy of each list it touches); past listLimit, by one walk.
    joinInto: (s, d) => {
      // The dots both hold under the same key: the only shared dots that are not removals on one side. (A dot
      // under another key in s, which only a forged state has, is a removal like any other.)
      const held: Dotted[] = [];
      const kd = Object.keys(d.m);
      for (let i = 0; i < kd.length; i++) {
        if (!hasOwn(s.m, kd[i])) continue;
        const ys = d.m[kd[i]];
        for (let j = 0; j < ys.length; j++) if (find(s.m[kd[i]], ys[j]) >= 0) held.push(ys[j]);
      }
      let ix = cachedIndex(s);
      let gone: Dot[] | null = [];
      if (sharedBeyond(d.c, s.c, held)) {
        gone = sharedDots(d.c, s.c, held, listLimit(held.length + count(d.m), d.c));
        if (gone !== null && gone.length > 0 && ix === undefined) ix = indexOf(s);
      }
      for (let i = 0; i < kd.length; i++) {
        const k = kd[i];
        const ys = d.m[k];
        if (!hasOwn(s.m, k)) {
          const r = unseen(ys, s.c);
          if (r.length === 0) continue;
          s.m[k] = r;
          if (ix !== undefined) for (let j = 0; j < r.length; j++) ix[dotKey(r[j][0], r[j][1])] = k;
          continue;
        }
        let xs = s.m[k];
        let owned = false;
        for (let j = 0; j < ys.length; j++) {
          const y = ys[j];
          const at = find(xs, y);
          if (at >= 0) {
            if (xs[at] === y) continue;
            const z = both(xs[at], y);
            if (z === xs[at]) continue;
            if (!owned) xs = xs.slice();
            owned = true;
            xs[at] = z;
          } else if (!contains(s.c, y)) {
            if (!owned) xs = xs.slice();
            owned = true;
            xs.splice(-at - 1, 0, y);
            if (ix !== undefined) ix[dotKey(y[0], y[1])] = k;
          }
        }
        if (owned) s.m[k] = xs;
      }
      if (gone === null) {
        const ks = Object.keys(s.m);
        for (let i = 0; i < ks.length; i++) {
          const cs = s.m[ks[i]];
          const mine = hasOwn(d.m, ks[i]) ? d.m[ks[i]] : [];
          const keep: Contribution<S>[] = [];
          for (let j = 0; j < cs.length; j++) if (!contains(d.c, cs[j]) || find(mine, cs[j]) >= 0) keep.push(cs[j]);
          if (keep.length === 0) delete s.m[ks[i]];
          else if (keep.length < cs.length) s.m[ks[i]] = keep;
        }
        setIndex(s, undefined); // rebuilt when next needed
      } else if (ix !== undefined) {
        for (let i = 0; i < gone.length; i++) {
          const dk = dotKey(gone[i][0], gone[i][1]);
          const at = ix[dk];
          if (at === undefined || !hasOwn(s.m, at)) continue;
          const j = find(s.m[at], gone[i]);
          delete ix[dk];
          if (j < 0) continue;
          if (s.m[at].length === 1) delete s.m[at];
          else {
            const xs = s.m[at].slice();
            xs.splice(j, 1);
            s.m[at] = xs;
          }
        }
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
    leq: (a, b) => {
      if (!leqContext(a.c, b.c)) return false;
      const ka = Object.keys(a.m);
      for (let i = 0; i < ka.length; i++) {
        if (hasOwn(b.m, ka[i]) && !leqStore(a.m[ka[i]], a.c, b.m[ka[i]], below)) return false;
      }
      const points = heldUnder(b.m, a.m);
      if (!sharedBeyond(a.c, b.c, points)) return true;
      const xs = sharedDots(a.c, b.c, points, listLimit(points.length + count(a.m), a.c));
      if (xs !== null) {
        const ix = indexOf(b);
        for (let i = 0; i < xs.length; i++) if (hasOwn(ix, dotKey(xs[i][0], xs[i][1]))) return false;
        return true;
      }
      const kb = Object.keys(b.m);
      for (let i = 0; i < kb.length; i++) {
        if (!hasOwn(a.m, kb[i]) && unseen(b.m[kb[i]], a.c) !== b.m[kb[i]]) return false;
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
          let parts = t.decompose(x[3]);
          // A contribution that is still bottom keeps the key present: it is a part of its own.
          if (parts.length === 0) parts = [x[3]];
          for (let p = 0; p < parts.length; p++) {
            const m: { [k: string]: Contribution<S>[] } = {};
            m[ks[i]] = [[x[0], x[1], x[2], parts[p]]];
            out.push({ m: m, c: contextOf([x]) });
          }
        }
      }
      const gone = removals(s.c, held);
      for (let i = 0; i < gone.dots.length; i++) out.push({ m: {}, c: contextOf([gone.dots[i]]) });
      for (let i = 0; i < gone.rows.length; i++) {
        const m: Entries<S> = {};
        for (let j = 0; j < ks.length; j++) {
          const own = entriesOf(s.m[ks[j]], gone.rows[i]);
          if (own.length > 0) m[ks[j]] = own;
        }
        out.push({ m: m, c: rowContext(s.c, gone.rows[i]) });
      }
      return out;
    },
    // The compact wire form: crdt/awmapwire.ts.
    encode: (s) => encodeMap(t, s),
    decode: (item) => decodeMap(t, item, self.name),
    mutators: {
      apply: (s, r, args) => apply(t, s, r, args[0], args[1], args[2]),
      remove: (s, _r, args) => remove(s, args[0]),
    },
  };
  return self;
}

