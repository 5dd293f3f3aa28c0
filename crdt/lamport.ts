/**
 * Lamport register: a last-writer-wins register that needs no clock. A write carries a stamp one above the
 * stamp of the write its replica holds, so a write that has seen another always beats it; two concurrent
 * writes are ordered by stamp and then by replica id. Spec "lamport" (the clock-based `lww` stays for callers
 * who want wall-clock order: "the write made last in real time wins").
 *
 *   let s = Lamport.bottom();                      // null: never written, value null
 *   s = Lamport.join(s, set(s, 'a', 'on'));       // stamp 1 at a
 *   const d = set(s, 'b', 'off');                  // stamp 2 at b: it saw a's write, so it wins everywhere
 *   set(Lamport.bottom(), 'c', 'x');               // stamp 1 at c, concurrent with a's: c > a, so c wins
 *
 * No write is ever refused as stale (there is no clock to be behind), and stamps stay small: one more than the
 * number of writes in the longest causal chain, not a millisecond count. Since a replica only writes above the
 * stamp it holds, its own writes never share a (stamp, replica); should a peer send two different values under
 * one, join still picks the same one everywhere (by the value's canonical key).
 *
 * Wire: [] for bottom, else [stamp, replica, value] with stamp ≥ 1. Inside an add-wins map, where the
 * contribution already names the writing replica, the register is written [stamp, value] (encodeBy/decodeBy).
 */
import { arr, fail, MAX_COUNT, nat } from './check.ts';
import { core, full } from './core.ts';
import { MutatorError } from './errors.ts';
import { elementItem, itemArg, replicaArg, replicaItem } from './guards.ts';
import { hasOwn, keyOf } from './keys.ts';
import type { Core, Crdt, Item, ReplicaId } from './types.ts';

export interface LamportWrite {
  /** The Lamport stamp: 1 + the stamp of the write the replica held when it wrote. */
  n: number;
  replica: ReplicaId;
  value: Item;
}

/** null is bottom: nothing written yet. */
export type LamportState = LamportWrite | null;

/** A total order on writes: stamp, replica, then the value's canonical key (so one stamp twice still joins). */
function cmpWrite(a: LamportWrite, b: LamportWrite): number {
  if (a.n !== b.n) return a.n < b.n ? -1 : 1;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  const x = keyOf(a.value);
  const y = keyOf(b.value);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Delta of replica r writing v: the write, stamped one above the write s holds. */
export function set(s: LamportState, r: ReplicaId, v: Item): LamportState {
  return setArgs(s, r, [v]);
}

/** The mutator itself, with its arguments as the store passes them ([value]). */
function setArgs(s: LamportState, r: ReplicaId, args: any[]): LamportState {
  const v = args[0];
  replicaArg(r, 'lamport set');
  itemArg(v, 'lamport set');
  const n = (s === null ? 0 : s.n) + 1;
  // A peer may have pushed the stamp to the bound (decode allows it): say so rather than emit what peers refuse.
  if (n > MAX_COUNT) throw new MutatorError('overflow', 'lamport set: the stamp would pass 2^48, the most a peer accepts');
  return { n: n, replica: r, value: v };
}

/** One write from its wire parts: stamp, replica, value. */
function write(n: Item, r: ReplicaId, v: Item): LamportWrite {
  const stamp = nat(n, 'lamport stamp', true);
  if (stamp < 1) fail('lamport stamp: stamps start at 1');
  return { n: stamp, replica: r, value: elementItem(v, 'lamport value') };
}

/** Every core operation in one function (crdt/core.ts says why). */
function op(k: number, a: any, b: any): any {
  switch (k) {
    case 0:
      return null;
    case 1: // join, which needs no copy: a write is never edited
      return a === null ? b : b === null ? a : cmpWrite(a, b) < 0 ? b : a;
    case 2:
      return a === null ? true : b === null ? false : cmpWrite(a, b) <= 0;
    case 3:
      return a === null ? null : a.value;
    case 4:
      return a === null ? [] : [a];
    case 5:
      return a === null ? [] : [a.n, a.replica, a.value];
    default: {
      const xs = arr(a, 'lamport');
      if (xs.length === 0) return null;
      if (xs.length !== 3) fail('lamport: expected [] or [stamp, replica, value], got ' + xs.length + ' items');
      return write(xs[0], replicaItem(xs[1], 'lamport replica'), xs[2]);
    }
  }
}

/** The write as its replica r would send it: the replica left out when it is r ([stamp, value]). */
export function encodeBy(s: LamportState, r: ReplicaId): Item {
  if (s === null) return [];
  return s.replica === r ? [s.n, s.value] : [s.n, s.replica, s.value];
}

/** encodeBy's inverse; a 3-item form naming r itself is refused (one state, one encoding). */
export function decodeBy(item: Item, r: ReplicaId): LamportState {
  const xs = arr(item, 'lamport');
  if (xs.length === 0) return null;
  if (xs.length === 2) return write(xs[0], r, xs[1]);
  if (xs.length !== 3) fail('lamport: expected [], [stamp, value] or [stamp, replica, value], got ' + xs.length + ' items');
  const w = replicaItem(xs[1], 'lamport replica');
  if (w === r) fail('lamport: the writer ' + r + ' is named by the map contribution; it is left out here');
  return write(xs[0], w, xs[2]);
}

/** What a board would register: the core operations (see op). */
export const LamportCore: Core<LamportState, Item> = /* @__PURE__ */ core('lamport', 15, op, { set: setArgs });

/** The full table for Node: join is joinInto (writes are never edited), copy shares, claims, and the map codec. */
export const Lamport: LamportTable = /* @__PURE__ */ withBy(
  full(LamportCore, {
    join: (a, b) => op(1, a, b),
    copy: (s) => s,
    // A stamp is a claim: a peer that pushes one to the bound leaves nobody able to write.
    claims: (s, out) => {
      if (s !== null && (!hasOwn(out, s.replica) || out[s.replica] < s.n)) out[s.replica] = s.n;
    },
  }),
);

export type LamportTable = Crdt<LamportState, Item> & { encodeBy: typeof encodeBy; decodeBy: typeof decodeBy };

function withBy(t: Crdt<LamportState, Item>): LamportTable {
  const x = t as LamportTable;
  x.encodeBy = encodeBy;
  x.decodeBy = decodeBy;
  return x;
}
