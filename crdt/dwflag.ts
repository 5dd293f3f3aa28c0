/**
 * Disable-wins flag: a DotFun from dots to the state each operation wrote (true for enable, false for disable)
 * under a causal context. Every operation replaces the observed dots with one fresh dot, so after a merge the
 * store holds exactly the concurrent operations; the flag is on only if there is one and none of them disabled.
 * Both flags start off; the mirror image of the enable-wins flag (a DotSet of disables) would start on.
 *
 *   const x = DWFlag.join(s, enable(s, 'a'));
 *   const y = DWFlag.join(s, disable(s, 'b'));
 *   DWFlag.value(DWFlag.join(x, y));   // false: the concurrent disable wins
 */
import {
  type Context, claimDot, cmpDot, contextOf, counter, decodeContext, dotsOf, emptyContext, encodeContext,
  joinContext, contextClaims, joinContextInto, joinStore, leqContext, leqStore, nextDot, copyContext, entriesOf, removals, rowContext,
} from './causal.ts';
import { arr, bool, fail } from './check.ts';
import { replicaItem } from './guards.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

/** An operation: its dot and whether it enabled. */
export type Switch = [ReplicaId, number, boolean];

export interface DWFlagState {
  s: Switch[];
  c: Context;
}

// A dot carries one boolean; should forged input disagree, false wins, which keeps join a lattice operation.
function joinSwitch(x: Switch, y: Switch): Switch {
  return x[2] ? y : x;
}

function leqSwitch(x: Switch, y: Switch): boolean {
  return x[2] || !y[2];
}

function write(s: DWFlagState, replica: ReplicaId, on: boolean): DWFlagState {
  const d = nextDot(s.c, replica);
  const w: Switch = [replica, d[1], on];
  return { s: [w], c: contextOf(dotsOf(s.s).concat([d])) };
}

export function enable(s: DWFlagState, replica: ReplicaId): DWFlagState {
  return write(s, replica, true);
}

/** A fresh dot even when the flag is off already: it must beat enables it has not seen. */
export function disable(s: DWFlagState, replica: ReplicaId): DWFlagState {
  return write(s, replica, false);
}

export const DWFlag: Crdt<DWFlagState, boolean> = {
  name: 'dwflag',
  tag: 12,
  bottom: () => ({ s: [], c: emptyContext() }),
  join: (a, b) => ({ s: joinStore(a.s, a.c, b.s, b.c, joinSwitch), c: joinContext(a.c, b.c) }),
  // The store holds one entry per concurrent write, so merging it whole is the delta's cost in practice.
  joinInto: (st, d) => {
    st.s = joinStore(st.s, st.c, d.s, d.c, joinSwitch);
    joinContextInto(st.c, d.c);
    return st;
  },
  copy: (st) => ({ s: st.s, c: copyContext(st.c) }),
  claims: (st, out) => contextClaims(st.c, out),
  leq: (a, b) => leqContext(a.c, b.c) && leqStore(a.s, a.c, b.s, leqSwitch),
  value: (st) => {
    for (let i = 0; i < st.s.length; i++) if (!st.s[i][2]) return false;
    return st.s.length > 0;
  },
  decompose: (st) => {
    const out: DWFlagState[] = [];
    for (let i = 0; i < st.s.length; i++) out.push({ s: [st.s[i]], c: contextOf([st.s[i]]) });
    const gone = removals(st.c, st.s);
    for (let i = 0; i < gone.dots.length; i++) out.push({ s: [], c: contextOf([gone.dots[i]]) });
    for (let i = 0; i < gone.rows.length; i++) out.push({ s: entriesOf(st.s, gone.rows[i]), c: rowContext(st.c, gone.rows[i]) });
    return out;
  },
  encode: (st) => {
    const out: Item[] = [];
    for (let i = 0; i < st.s.length; i++) out.push(st.s[i][0], st.s[i][1], st.s[i][2]);
    return [out, encodeContext(st.c)];
  },
  decode: (item) => {
    const top = arr(item, 'dwflag', 2);
    const c = decodeContext(top[1], 'dwflag context');
    const ws = arr(top[0], 'dwflag switches');
    if (ws.length % 3 !== 0) fail('dwflag switches: expected replica/counter/boolean triples');
    const s: Switch[] = [];
    const seen: { [k: string]: boolean } = {};
    for (let i = 0; i < ws.length; i += 3) {
      const w: Switch = [replicaItem(ws[i], 'dwflag switch'), counter(ws[i + 1], 'dwflag switch'), bool(ws[i + 2], 'dwflag switch')];
      if (s.length > 0 && cmpDot(s[s.length - 1], w) >= 0) fail('dwflag switches: dots must be strictly ascending');
      claimDot(seen, c, [w[0], w[1]], 'dwflag switch');
      s.push(w);
    }
    return { s: s, c: c };
  },
  mutators: {
    enable: (s, r) => enable(s, r),
    disable: (s, r) => disable(s, r),
  },
};
