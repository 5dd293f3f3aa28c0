/**
 * G-Counter: a grow-only counter. Each replica counts its own increments in its own entry; join keeps the
 * larger count per replica and the value is the sum. A delta is the one entry that grew.
 *
 *   let s = GCounter.bottom();
 *   s = GCounter.join(s, inc(s, 'a', 2)); // delta { a: 2 }
 *   s = GCounter.join(s, inc(s, 'a', 1)); // delta { a: 3 }
 *   GCounter.value(s);                    // 3
 *
 * Wire: [r1, n1, r2, n2, ...] with replicas strictly ascending and every count at least 1, so a state has
 * exactly one encoding. The helpers below are exported for the PN-Counter and the bounded counter.
 */
import { arr, ascending, count, fail, MAX_COUNT, MAX_SAFE } from './check.ts';
import { MutatorError } from './errors.ts';
import { amountArg, replicaArg, replicaItem } from './guards.ts';
import { hasOwn, sortedKeys } from './keys.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

/** Replica → its increments so far. A replica with no entry has counted 0 (entries are never 0). */
export interface GCounterState {
  [replica: string]: number;
}

/** One replica's entry (0 when absent). hasOwn keeps ids like "constructor" away from Object.prototype. */
export function countOf(s: GCounterState, r: ReplicaId): number {
  return hasOwn(s, r) ? s[r] : 0;
}

/** The sum of all entries. */
export function total(s: GCounterState): number {
  const ks = Object.keys(s);
  let t = 0;
  for (let i = 0; i < ks.length; i++) t += s[ks[i]];
  return t;
}

/**
 * Replica r's entry raised by n, as a one-entry map: the G-Counter's delta, and the building block of the other
 * counters' deltas. `what` names the caller's mutator in errors.
 */
export function bump(s: GCounterState, r: ReplicaId, n: number, what: string): GCounterState {
  replicaArg(r, what);
  amountArg(n, what);
  const next = countOf(s, r) + n;
  if (next > MAX_COUNT) throw new MutatorError('overflow', what + ': the count of replica ' + r + ' would pass 2^48, the most a peer accepts; use a new replica id');
  if (total(s) + n > MAX_SAFE) throw new MutatorError('overflow', what + ': the sum would pass 2^53 - 1 and stop being exact');
  const d: GCounterState = {};
  d[r] = next;
  return d;
}

/** Delta of replica r counting n more (n ≥ 1). */
export function inc(s: GCounterState, r: ReplicaId, n: number): GCounterState {
  return bump(s, r, n, 'gcounter inc');
}

function bottom(): GCounterState {
  return {};
}

function join(a: GCounterState, b: GCounterState): GCounterState {
  const out: GCounterState = {};
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) out[ka[i]] = a[ka[i]];
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    const k = kb[i];
    if (!hasOwn(out, k) || out[k] < b[k]) out[k] = b[k];
  }
  return out;
}

/** join(a, b) written into a (the caller owns a): O(entries of b). */
export function joinInto(a: GCounterState, b: GCounterState): GCounterState {
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    const k = kb[i];
    if (!hasOwn(a, k) || a[k] < b[k]) a[k] = b[k];
  }
  return a;
}

export function copy(s: GCounterState): GCounterState {
  return joinInto({}, s);
}

/** Crdt.claims: each entry is its replica's count. */
export function claims(s: GCounterState, out: { [r: string]: number }): void {
  const ks = Object.keys(s);
  for (let i = 0; i < ks.length; i++) if (!hasOwn(out, ks[i]) || out[ks[i]] < s[ks[i]]) out[ks[i]] = s[ks[i]];
}

function leq(a: GCounterState, b: GCounterState): boolean {
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) if (a[ka[i]] > countOf(b, ka[i])) return false;
  return true;
}

function decompose(s: GCounterState): GCounterState[] {
  const ks = sortedKeys(s);
  const parts: GCounterState[] = [];
  for (let i = 0; i < ks.length; i++) {
    const p: GCounterState = {};
    p[ks[i]] = s[ks[i]];
    parts.push(p);
  }
  return parts;
}

function encode(s: GCounterState): Item {
  const ks = sortedKeys(s);
  const out: Item[] = [];
  for (let i = 0; i < ks.length; i++) out.push(ks[i], s[ks[i]]);
  return out;
}

function decode(item: Item): GCounterState {
  const flat = arr(item, 'gcounter');
  if (flat.length % 2 !== 0) fail('gcounter: expected replica, count pairs, got ' + flat.length + ' items');
  const s: GCounterState = {};
  let prev: string | undefined;
  let sum = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const r = replicaItem(flat[i], 'gcounter replica');
    ascending(prev, r, 'gcounter replicas');
    prev = r;
    const n = count(flat[i + 1], 'gcounter count of ' + r);
    if (n === 0) fail('gcounter count of ' + r + ': a zero entry is left out, not sent');
    s[r] = n;
    sum += n;
  }
  // Past 2^53 - 1 a sum is no longer exact, so such a state has no value all replicas agree on.
  if (sum > MAX_SAFE) fail('gcounter: the entries sum past 2^53 - 1');
  return s;
}

export const GCounter: Crdt<GCounterState, number> = {
  name: 'gcounter',
  tag: 1,
  bottom: bottom,
  join: join,
  joinInto: joinInto,
  copy: copy,
  claims: claims,
  leq: leq,
  value: total,
  decompose: decompose,
  encode: encode,
  decode: decode,
  mutators: {
    inc: (s, r, a) => inc(s, r, a[0]),
  },
};
