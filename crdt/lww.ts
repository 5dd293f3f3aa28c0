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
import { arr, count, fail, MAX_COUNT } from './check.ts';
import { MutatorError } from './errors.ts';
import { elementItem, itemArg, replicaArg, replicaItem } from './guards.ts';
import { cmpStr, hasOwn, keyOf } from './keys.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

export interface LWWWrite {
  ts: number;
  replica: ReplicaId;
  value: Item;
}

/** null is bottom: nothing written yet. */
export type LWWState = LWWWrite | null;

function cmpStamp(a: LWWWrite, b: LWWWrite): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return cmpStr(a.replica, b.replica);
}

/** A total order on writes, so join is a lattice even for two writes with one stamp. */
function cmpWrite(a: LWWWrite, b: LWWWrite): number {
  const c = cmpStamp(a, b);
  // Not a.value === b.value: 0 and -0 are === yet different items, and must not tie.
  if (c !== 0) return c;
  return cmpStr(keyOf(a.value), keyOf(b.value));
}

/** Delta of replica r writing v at timestamp ts: the write itself; MutatorError "stale" unless it would win. */
export function set(s: LWWState, r: ReplicaId, v: Item, ts: number): LWWState {
  replicaArg(r, 'lww set');
  itemArg(v, 'lww set');
  if (typeof ts !== 'number' || ts < 0 || ts > MAX_COUNT || Math.floor(ts) !== ts || (ts === 0 && 1 / ts < 0)) {
    throw new MutatorError('args', 'lww set: the timestamp must be an integer from 0 to 2^48 (the most a peer accepts), got ' + String(ts));
  }
  const w: LWWWrite = { ts: ts, replica: r, value: v };
  if (s !== null && cmpStamp(w, s) <= 0) {
    throw new MutatorError('stale', 'lww set: timestamp ' + ts + ' at replica ' + r + ' does not beat the held write (' + s.ts + ' at ' + s.replica + '); use a later timestamp');
  }
  return w;
}

function bottom(): LWWState {
  return null;
}

function join(a: LWWState, b: LWWState): LWWState {
  if (a === null) return b;
  if (b === null) return a;
  return cmpWrite(a, b) < 0 ? b : a;
}

function leq(a: LWWState, b: LWWState): boolean {
  if (a === null) return true;
  if (b === null) return false;
  return cmpWrite(a, b) <= 0;
}

/** The winning value, or null before any write. */
function value(s: LWWState): Item {
  return s === null ? null : s.value;
}

function decompose(s: LWWState): LWWState[] {
  return s === null ? [] : [s];
}

function encode(s: LWWState): Item {
  return s === null ? [] : [s.ts, s.replica, s.value];
}

function decode(item: Item): LWWState {
  const xs = arr(item, 'lww');
  if (xs.length === 0) return null;
  if (xs.length !== 3) fail('lww: expected [] or [timestamp, replica, value], got ' + xs.length + ' items');
  return { ts: count(xs[0], 'lww timestamp'), replica: replicaItem(xs[1], 'lww replica'), value: elementItem(xs[2], 'lww value') };
}

export const LWW: Crdt<LWWState, Item> = {
  name: 'lww',
  tag: 8,
  bottom: bottom,
  join: join,
  joinInto: join,
  copy: (s) => s,
  // A timestamp is a claim too: a peer that pushes one far ahead makes every local write "stale".
  claims: (s, out) => {
    if (s !== null && (!hasOwn(out, s.replica) || out[s.replica] < s.ts)) out[s.replica] = s.ts;
  },
  leq: leq,
  value: value,
  decompose: decompose,
  encode: encode,
  decode: decode,
  mutators: {
    set: (s, r, a) => set(s, r, a[0], a[1]),
  },
};
