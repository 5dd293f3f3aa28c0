/**
 * LWW register: the write with the greatest (timestamp, replica) wins; the replica id breaks ties between
 * equal timestamps. The core has no clock, so the caller supplies the timestamp (milliseconds, a hybrid
 * logical clock packed into an integer, a version number: any natural number, e.g. Math.floor(Date.now())
 * since the board's clock is fractional).
 *
 *   let s = LWW.bottom();                          // null: never written, value null
 *   s = LWW.join(s, set(s, 'a', 'on', 100));
 *   set(s, 'b', 'off', 100);                       // wins: same time, and 'b' > 'a'
 *   set(s, 'a', 'off', 99);                        // throws MutatorError "stale"
 *
 * A write that would not win is refused with a MutatorError ("stale") rather than dropped in silence, so the
 * caller learns that its clock is behind; it can retry with a later timestamp. Since a replica only writes
 * above everything it holds, its own writes never share a (timestamp, replica); should a peer send two
 * different values under one, join still picks the same one everywhere (by the value's canonical key).
 *
 * Wire: [] for bottom, else [timestamp, replica, value].
 */
import { arr, fail, MAX_COUNT, nat } from './check.ts';
import { core, full } from './core.ts';
import { MutatorError } from './errors.ts';
import { itemOf, replicaOf } from './guards.ts';
import { hasOwn, keyOf } from './keys.ts';
import type { Core, Crdt, Item, ReplicaId } from './types.ts';

export interface LWWWrite {
  ts: number;
  replica: ReplicaId;
  value: Item;
}

/** null is bottom: nothing written yet. */
export type LWWState = LWWWrite | null;

/** Delta of replica r writing v at timestamp ts: the write itself; MutatorError "stale" unless it would win. */
export function set(s: LWWState, r: ReplicaId, v: Item, ts: number): LWWState {
  return setArgs(s, r, [v, ts]);
}

/** The mutator itself, with its arguments as the store passes them ([value, timestamp]). */
function setArgs(s: LWWState, r: ReplicaId, args: any[]): LWWState {
  const v = args[0];
  const ts = args[1];
  replicaOf(r, 'lww set');
  itemOf(v, 'lww set');
  if (typeof ts !== 'number' || ts < 0 || ts > MAX_COUNT || Math.floor(ts) !== ts || (ts === 0 && 1 / ts < 0)) {
    throw new MutatorError('args', 'lww set: timestamp not an integer 0..2^48: ' + String(ts));
  }
  if (s !== null && (ts < s.ts || (ts === s.ts && r <= s.replica))) {
    throw new MutatorError('stale', 'lww set: ' + ts + '@' + r + ' does not beat ' + s.ts + '@' + s.replica);
  }
  return { ts: ts, replica: r, value: v };
}

/** Every core operation in one function (crdt/core.ts says why), and 7: the order of two writes. */
function op(k: number, a: any, b: any): any {
  switch (k) {
    case 0:
      return null;
    case 1: // join, which needs no copy: a write is never edited
      return a === null ? b : b === null ? a : op(7, a, b) < 0 ? b : a;
    case 2:
      return a === null ? true : b === null ? false : op(7, a, b) <= 0;
    case 3: // the winning value, or null before any write
      return a === null ? null : a.value;
    case 4:
      return a === null ? [] : [a];
    case 5:
      return a === null ? [] : [a.ts, a.replica, a.value];
    case 7: {
      // A total order on writes, by (timestamp, replica) and then by the value's canonical key, so join is a
      // lattice even for two writes with one stamp. Not a.value === b.value: 0 and -0 are === yet different items.
      if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
      if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
      const x = keyOf(a.value);
      const y = keyOf(b.value);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default: {
      const xs = arr(a, 'lww');
      if (xs.length === 0) return null;
      if (xs.length !== 3) fail('lww: expected [] or [ts, replica, value]');
      return { ts: nat(xs[0], 'lww timestamp', true), replica: replicaOf(xs[1], 'lww replica', true), value: itemOf(xs[2], 'lww value', true) };
    }
  }
}

/** What a board registers: the core operations (see op). */
export const LWWCore: Core<LWWState, Item> = /* @__PURE__ */ core('lww', 8, op, { set: setArgs });

/** The full table for Node: join is joinInto (writes are never edited), copy shares, and claims. */
export const LWW: Crdt<LWWState, Item> = /* @__PURE__ */ full(LWWCore, {
  join: (a, b) => op(1, a, b),
  copy: (s) => s,
  // A timestamp is a claim too: a peer that pushes one far ahead makes every local write "stale".
  claims: (s, out) => {
    if (s !== null && (!hasOwn(out, s.replica) || out[s.replica] < s.ts)) out[s.replica] = s.ts;
  },
});
