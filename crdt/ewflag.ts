/**
 * Enable-wins flag (Almeida, Shoker, Baquero 2018): a DotSet under a causal context. Enable adds a fresh
 * dot (replacing the observed ones); disable drops the observed dots. A disable cannot drop an enable it has not
 * seen, so concurrent enable and disable leave the flag on.
 *
 *   let s = EWFlag.bottom();                  // off
 *   s = EWFlag.join(s, enable(s, 'a'));       // on
 *   s = EWFlag.join(s, disable(s));           // off
 */
import {
  type Context, type Dot, contextOf, decodeContext, decodeDots, emptyContext, encodeContext, encodeDots,
  joinContext, contextClaims, joinContextInto, joinStore, leqContext, leqStore, nextDot, copyContext, entriesOf, removals, rowContext,
} from './causal.ts';
import { arr } from './check.ts';
import type { Crdt, ReplicaId } from './types.ts';

export interface EWFlagState {
  /** The enables not yet observed-disabled, sorted. */
  s: Dot[];
  c: Context;
}

function same(x: Dot): Dot {
  return x;
}

/** Turn the flag on; always a fresh dot, so it wins over any disable that has not seen it. */
export function enable(s: EWFlagState, replica: ReplicaId): EWFlagState {
  const d = nextDot(s.c, replica);
  return { s: [d], c: contextOf(s.s.concat([d])) };
}

/** Turn the flag off by dropping the observed enables (bottom if there are none). */
export function disable(s: EWFlagState): EWFlagState {
  return { s: [], c: contextOf(s.s) };
}

export const EWFlag: Crdt<EWFlagState, boolean> = {
  name: 'ewflag',
  tag: 11,
  bottom: () => ({ s: [], c: emptyContext() }),
  join: (a, b) => ({ s: joinStore(a.s, a.c, b.s, b.c, same), c: joinContext(a.c, b.c) }),
  // The store holds one entry per concurrent write, so merging it whole is the delta's cost in practice.
  joinInto: (st, d) => {
    st.s = joinStore(st.s, st.c, d.s, d.c, same);
    joinContextInto(st.c, d.c);
    return st;
  },
  copy: (st) => ({ s: st.s, c: copyContext(st.c) }),
  claims: (st, out) => contextClaims(st.c, out),
  leq: (a, b) => leqContext(a.c, b.c) && leqStore(a.s, a.c, b.s, null),
  value: (st) => st.s.length > 0,
  decompose: (st) => {
    const out: EWFlagState[] = [];
    for (let i = 0; i < st.s.length; i++) out.push({ s: [st.s[i]], c: contextOf([st.s[i]]) });
    const gone = removals(st.c, st.s);
    for (let i = 0; i < gone.dots.length; i++) out.push({ s: [], c: contextOf([gone.dots[i]]) });
    for (let i = 0; i < gone.rows.length; i++) out.push({ s: entriesOf(st.s, gone.rows[i]), c: rowContext(st.c, gone.rows[i]) });
    return out;
  },
  encode: (st) => [encodeDots(st.s), encodeContext(st.c)],
  decode: (item) => {
    const top = arr(item, 'ewflag', 2);
    const c = decodeContext(top[1], 'ewflag context');
    const dots = arr(top[0], 'ewflag dots');
    return { s: dots.length === 0 ? [] : decodeDots(dots, c, {}, 'ewflag dots'), c: c };
  },
  mutators: {
    enable: (s, r) => enable(s, r),
    disable: (s) => disable(s),
  },
};
