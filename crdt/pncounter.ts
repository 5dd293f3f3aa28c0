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
import { arr, fail, nat, MAX_COUNT, MAX_SAFE } from './check.ts';
import { core, full } from './core.ts';
import { MutatorError } from './errors.ts';
import { claims as countClaims, copy as copyCounts, GCounter, type GCounterState } from './gcounter.ts';
import { replicaOf } from './guards.ts';
import { hasOwn, sortedKeys } from './keys.ts';
import type { Core, Crdt, Item, ReplicaId } from './types.ts';

export interface PNCounterState {
  p: GCounterState;
  n: GCounterState;
}

/** Delta of replica r adding n (n ≥ 1). */
export function inc(s: PNCounterState, r: ReplicaId, n: number): PNCounterState {
  return bump(s, r, [n], false);
}

/** Delta of replica r subtracting n (n ≥ 1). */
export function dec(s: PNCounterState, r: ReplicaId, n: number): PNCounterState {
  return bump(s, r, [n], true);
}

/**
 * Replica r's entry of one half raised by args[0], as a delta holding that one entry (the G-Counter's rules).
 * Called as a mutator (state, replica, args) it is `inc`: neg is then undefined.
 */
function bump(s: PNCounterState, r: ReplicaId, args: any[], neg?: boolean): PNCounterState {
  const n = args[0];
  const what = neg ? 'pncounter dec' : 'pncounter inc';
  const half = neg ? s.n : s.p;
  replicaOf(r, what);
  if (typeof n !== 'number' || n < 1 || n > MAX_SAFE || Math.floor(n) !== n) {
    throw new MutatorError('args', what + ': not an integer 1..2^53-1: ' + String(n));
  }
  const next = (hasOwn(half, r) ? half[r] : 0) + n;
  if (next > MAX_COUNT) throw new MutatorError('overflow', what + ': ' + r + ' would pass 2^48; use a new replica id');
  let sum = n;
  const ks = Object.keys(half);
  for (let i = 0; i < ks.length; i++) sum += half[ks[i]];
  if (sum > MAX_SAFE) throw new MutatorError('overflow', what + ': the sum would pass 2^53-1');
  const d: PNCounterState = { p: {}, n: {} };
  (neg ? d.n : d.p)[r] = next;
  return d;
}

/**
 * Every core operation in one function (crdt/core.ts says why); each walks the two halves, p then n, as
 * G-Counter states (crdt/gcounter.ts: larger count per replica wins, wire [r1, n1, …] ascending, no zeros).
 */
function op(k: number, a: any, b: any): any {
  if (k === 0) return { p: {}, n: {} };
  if (k === 6) {
    const two = arr(a, 'pncounter', 2);
    const out: PNCounterState = { p: {}, n: {} };
    for (let h = 0; h < 2; h++) {
      const what = h === 0 ? 'pncounter p' : 'pncounter n';
      const flat = arr(two[h], what);
      if (flat.length % 2 !== 0) fail(what + ': expected replica, count pairs');
      const half = h === 0 ? out.p : out.n;
      let sum = 0;
      for (let i = 0; i < flat.length; i += 2) {
        const r = replicaOf(flat[i], what + ' replica', true);
        if (i > 0 && !((flat[i - 2] as string) < r)) fail(what + ': keys must be strictly ascending');
        const n = nat(flat[i + 1], what + ' count of ' + r, true);
        if (n === 0) fail(what + ': a zero entry');
        half[r] = n;
        sum += n;
      }
      // Past 2^53 - 1 a sum is no longer exact, so such a state has no value all replicas agree on.
      if (sum > MAX_SAFE) fail(what + ': the entries sum past 2^53-1');
    }
    return out;
  }
  const out: any[] = [];
  let v = 0;
  for (let h = 0; h < 2; h++) {
    const x: GCounterState = h === 0 ? a.p : a.n;
    const y: GCounterState | null = b === null ? null : h === 0 ? b.p : b.n;
    const ks = k === 1 ? Object.keys(y as GCounterState) : k === 2 || k === 3 ? Object.keys(x) : sortedKeys(x);
    const flat: Item[] = [];
    for (let i = 0; i < ks.length; i++) {
      const r = ks[i];
      if (k === 1) {
        if (!hasOwn(x, r) || x[r] < (y as GCounterState)[r]) x[r] = (y as GCounterState)[r];
      } else if (k === 2) {
        if (x[r] > (hasOwn(y as GCounterState, r) ? (y as GCounterState)[r] : 0)) return false;
      } else if (k === 3) v += h === 0 ? x[r] : -x[r];
      else if (k === 4) {
        const part: PNCounterState = { p: {}, n: {} };
        (h === 0 ? part.p : part.n)[r] = x[r];
        out.push(part);
      } else flat.push(r, x[r]);
    }
    if (k === 5) out.push(flat);
  }
  return k === 1 ? a : k === 2 ? true : k === 3 ? v : out;
}

/** What a board registers: the core operations (see op). */
export const PNCounterCore: Core<PNCounterState, number> = /* @__PURE__ */ core('pncounter', 2, op, {
  inc: bump,
  dec: (s: PNCounterState, r: ReplicaId, a: any[]) => bump(s, r, a, true),
});

/** The full table for Node: the immutable join and copy per half, and claims. */
export const PNCounter: Crdt<PNCounterState, number> = /* @__PURE__ */ full(PNCounterCore, {
  join: (a, b) => ({ p: GCounter.join(a.p, b.p), n: GCounter.join(a.n, b.n) }),
  copy: (s) => ({ p: copyCounts(s.p), n: copyCounts(s.n) }),
  claims: (s, out) => {
    countClaims(s.p, out);
    countClaims(s.n, out);
  },
});
