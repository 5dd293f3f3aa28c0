/**
 * PN-Counter: two G-Counters, one for increments (p) and one for decrements (n); the value is their
 * difference. Joining them separately keeps each grow-only, which is what makes decrements mergeable.
 *
 *   let s = PNCounter.bottom();
 *   s = PNCounter.join(s, inc(s, 'a', 5));
 *   s = PNCounter.join(s, dec(s, 'b', 7));
 *   PNCounter.value(s); // -2
 *
 * Wire: [p, n], each in the G-Counter's form.
 */
import { arr } from './check.ts';
import { bump, claims as countClaims, copy as copyCounts, GCounter, type GCounterState, joinInto as countsInto, total } from './gcounter.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

export interface PNCounterState {
  p: GCounterState;
  n: GCounterState;
}

/** Delta of replica r adding n (n ≥ 1). */
export function inc(s: PNCounterState, r: ReplicaId, n: number): PNCounterState {
  return { p: bump(s.p, r, n, 'pncounter inc'), n: {} };
}

/** Delta of replica r subtracting n (n ≥ 1). */
export function dec(s: PNCounterState, r: ReplicaId, n: number): PNCounterState {
  return { p: {}, n: bump(s.n, r, n, 'pncounter dec') };
}

function bottom(): PNCounterState {
  return { p: {}, n: {} };
}

function join(a: PNCounterState, b: PNCounterState): PNCounterState {
  return { p: GCounter.join(a.p, b.p), n: GCounter.join(a.n, b.n) };
}

function joinInto(a: PNCounterState, b: PNCounterState): PNCounterState {
  countsInto(a.p, b.p);
  countsInto(a.n, b.n);
  return a;
}

function copy(s: PNCounterState): PNCounterState {
  return { p: copyCounts(s.p), n: copyCounts(s.n) };
}

function leq(a: PNCounterState, b: PNCounterState): boolean {
  return GCounter.leq(a.p, b.p) && GCounter.leq(a.n, b.n);
}

function value(s: PNCounterState): number {
  return total(s.p) - total(s.n);
}

function decompose(s: PNCounterState): PNCounterState[] {
  const parts: PNCounterState[] = [];
  const ps = GCounter.decompose(s.p);
  for (let i = 0; i < ps.length; i++) parts.push({ p: ps[i], n: {} });
  const ns = GCounter.decompose(s.n);
  for (let i = 0; i < ns.length; i++) parts.push({ p: {}, n: ns[i] });
  return parts;
}

function encode(s: PNCounterState): Item {
  return [GCounter.encode(s.p), GCounter.encode(s.n)];
}

function decode(item: Item): PNCounterState {
  const two = arr(item, 'pncounter', 2);
  return { p: GCounter.decode(two[0]), n: GCounter.decode(two[1]) };
}

export const PNCounter: Crdt<PNCounterState, number> = {
  name: 'pncounter',
  tag: 2,
  bottom: bottom,
  join: join,
  joinInto: joinInto,
  copy: copy,
  claims: (s, out) => {
    countClaims(s.p, out);
    countClaims(s.n, out);
  },
  leq: leq,
  value: value,
  decompose: decompose,
  encode: encode,
  decode: decode,
  mutators: {
    inc: (s, r, a) => inc(s, r, a[0]),
    dec: (s, r, a) => dec(s, r, a[0]),
  },
};
