/**
 * Multi-value register (Almeida, Shoker, Baquero 2018): a DotFun from dots to written values under a
 * causal context. A write replaces every value it has observed with one new dot, so after a merge the register
 * holds exactly the concurrent writes, and the next write (which observes them all) collapses them again.
 *
 *   let s = MVRegister.bottom();
 *   const x = MVRegister.join(s, set(s, 'a', 1));
 *   const y = MVRegister.join(s, set(s, 'b', 2));
 *   MVRegister.value(MVRegister.join(x, y));   // [1, 2]: concurrent writes, sorted
 *
 * `value` lists the distinct values in the order of crdt/order.ts (two concurrent writes of one value show once).
 */
import {
  type Context, claimDot, cmpDot, contextOf, counter, decodeContext, dotsOf, emptyContext, encodeContext,
  joinContext, contextClaims, joinContextInto, joinStore, leqContext, leqStore, nextDot, copyContext, entriesOf, removals, rowContext,
  contains, sharedBeyond,
} from './causal.ts';
import { arr, fail } from './check.ts';
import { elementItem, itemArg, replicaItem } from './guards.ts';
import { hasOwn, keyOf } from './keys.ts';
import { sortItems } from './order.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

/** A write: its dot and the value written. */
export type Write = [ReplicaId, number, Item];

export interface MVRegisterState {
  /** Writes sorted by dot. */
  s: Write[];
  c: Context;
}

/**
 * One dot is written once with one value, so both sides agree on it; a forged pair that disagrees still joins
 * deterministically (the greater canonical key), which keeps join a lattice operation on any decoded input.
 */
function joinWrite(x: Write, y: Write): Write {
  return keyOf(x[2]) >= keyOf(y[2]) ? x : y;
}

function leqWrite(x: Write, y: Write): boolean {
  return keyOf(x[2]) <= keyOf(y[2]);
}

/** Where dot x sits in a sorted store: its index, or -(the index it would take) - 1. */
function findWrite(ws: Write[], x: Write): number {
  let lo = 0;
  let hi = ws.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = cmpDot(ws[mid], x);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** A delta of at most this many writes that removes nothing is joined by binary search, not by a merge. */
const EDITS = 16;

/** Write a value: one fresh dot, replacing every value this replica has observed. */
export function set(s: MVRegisterState, replica: ReplicaId, v: Item): MVRegisterState {
  const d = nextDot(s.c, replica);
  const w: Write = [replica, d[1], itemArg(v, 'mvregister set')];
  return { s: [w], c: contextOf(dotsOf(s.s).concat([d])) };
}

export const MVRegister: Crdt<MVRegisterState, Item[]> = {
  name: 'mvregister',
  tag: 10,
  bottom: () => ({ s: [], c: emptyContext() }),
  join: (a, b) => ({ s: joinStore(a.s, a.c, b.s, b.c, joinWrite), c: joinContext(a.c, b.c) }),
  // An honest store holds one entry per concurrent write, so merging it whole is the delta's cost. A peer can
  // send thousands of concurrent writes, though, whose parts RR then joins one by one (issue 12): a small delta
  // that removes nothing (its context meets the state's only at its own writes) is joined by binary search on a
  // copy of the store (stores are shared, never changed in place).
  joinInto: (st, d) => {
    if (d.s.length > EDITS || sharedBeyond(d.c, st.c, d.s)) st.s = joinStore(st.s, st.c, d.s, d.c, joinWrite);
    else {
      let ws = st.s;
      for (let i = 0; i < d.s.length; i++) {
        const p = findWrite(ws, d.s[i]);
        const w = p >= 0 ? joinWrite(ws[p], d.s[i]) : contains(st.c, d.s[i]) ? null : d.s[i];
        if (w === null || (p >= 0 && w === ws[p])) continue;
        if (ws === st.s) ws = ws.slice();
        if (p >= 0) ws[p] = w;
        else ws.splice(-p - 1, 0, w);
      }
      st.s = ws;
    }
    joinContextInto(st.c, d.c);
    return st;
  },
  copy: (st) => ({ s: st.s, c: copyContext(st.c) }),
  claims: (st, out) => contextClaims(st.c, out),
  // Walks b's store only when a's context meets b's beyond a's own writes (a removal): otherwise each of a's
  // writes is looked up (a small delta against many concurrent writes costs its own size).
  leq: (a, b) => {
    if (!leqContext(a.c, b.c)) return false;
    if (sharedBeyond(a.c, b.c, a.s)) return leqStore(a.s, a.c, b.s, leqWrite);
    for (let i = 0; i < a.s.length; i++) {
      const p = findWrite(b.s, a.s[i]);
      if (p >= 0 && !leqWrite(a.s[i], b.s[p])) return false;
    }
    return true;
  },
  value: (st) => {
    const seen: { [k: string]: boolean } = {};
    const out: Item[] = [];
    for (let i = 0; i < st.s.length; i++) {
      const k = keyOf(st.s[i][2]);
      if (hasOwn(seen, k)) continue;
      seen[k] = true;
      out.push(st.s[i][2]);
    }
    return sortItems(out);
  },
  decompose: (st) => {
    const out: MVRegisterState[] = [];
    for (let i = 0; i < st.s.length; i++) out.push({ s: [st.s[i]], c: contextOf([st.s[i]]) });
    const gone = removals(st.c, st.s);
    for (let i = 0; i < gone.dots.length; i++) out.push({ s: [], c: contextOf([gone.dots[i]]) });
    for (let i = 0; i < gone.rows.length; i++) out.push({ s: entriesOf(st.s, gone.rows[i]), c: rowContext(st.c, gone.rows[i]) });
    return out;
  },
  encode: (st) => {
    const ws: Item[] = [];
    for (let i = 0; i < st.s.length; i++) ws.push(st.s[i][0], st.s[i][1], st.s[i][2]);
    return [ws, encodeContext(st.c)];
  },
  decode: (item) => {
    const top = arr(item, 'mvregister', 2);
    const c = decodeContext(top[1], 'mvregister context');
    const ws = arr(top[0], 'mvregister writes');
    if (ws.length % 3 !== 0) fail('mvregister writes: expected replica/counter/value triples');
    const s: Write[] = [];
    const seen: { [k: string]: boolean } = {};
    for (let i = 0; i < ws.length; i += 3) {
      const w: Write = [replicaItem(ws[i], 'mvregister write'), counter(ws[i + 1], 'mvregister write'), elementItem(ws[i + 2], 'mvregister value')];
      if (s.length > 0 && cmpDot(s[s.length - 1], w) >= 0) fail('mvregister writes: dots must be strictly ascending');
      claimDot(seen, c, [w[0], w[1]], 'mvregister write');
      s.push(w);
    }
    return { s: s, c: c };
  },
  mutators: {
    set: (s, r, args) => set(s, r, args[0]),
  },
};
