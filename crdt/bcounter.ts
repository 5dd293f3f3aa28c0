/**
 * Bounded counter: a PN-Counter that never goes below zero, without coordination on the decrement path
 * (Balegas et al., "Extending eventually consistent cloud databases for enforcing numeric invariants", SRDS
 * 2015; the `bcounter` of AntidoteDB). Each replica owns rights: its increments, plus rights other replicas
 * transferred to it, minus rights it transferred away, minus its decrements. A replica decrements only within
 * its own rights, so the rights summed over replicas, which is the value, stays at least zero.
 *
 *   let s = BCounter.bottom();
 *   s = BCounter.join(s, inc(s, 'a', 5));
 *   s = BCounter.join(s, transfer(s, 'a', 'b', 2)); // b may now take 2 away
 *   dec(s, 'a', 4);                                 // throws MutatorError: a holds 3
 *
 * Only replica r changes p[r], n[r] and t[r][*], so r's own view of its rights is exact apart from transfers
 * to r it has not yet received, which can only make it too careful. Another replica that received deltas out
 * of causal order (a decrement before the transfer that funded it) could read a value below zero: Plumtree's
 * deltas carry what they depend on (`progress`, runtime/causal-delivery.ts) and wait for it; anti-entropy's
 * delta-intervals and full states are causal as they are.
 *
 * Wire: [p, n, t] with p and n G-Counters and t = [from1, tos1, from2, tos2, ...], `from` strictly ascending,
 * each `tos` a non-empty G-Counter of the amounts `from` has transferred to each other replica.
 */
import { arr, ascending, fail } from './check.ts';
import { MutatorError } from './errors.ts';
import { bump, claims as countClaims, copy as copyCounts, countOf, GCounter, type GCounterState, joinInto as countsInto, total } from './gcounter.ts';
import { replicaArg, replicaItem } from './guards.ts';
import { hasOwn, sortedKeys } from './keys.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

/** Transfers: from → (to → total amount transferred), grow-only per pair. */
export interface Transfers {
  [from: string]: GCounterState;
}

export interface BCounterState {
  /** Increments per replica. */
  p: GCounterState;
  /** Decrements per replica. */
  n: GCounterState;
  t: Transfers;
}

function sent(t: Transfers, r: ReplicaId): GCounterState {
  return hasOwn(t, r) ? t[r] : {};
}

/** The rights replica r holds as far as this state knows: what it may still decrement or transfer. */
export function localRights(s: BCounterState, r: ReplicaId): number {
  let received = 0;
  const froms = Object.keys(s.t);
  for (let i = 0; i < froms.length; i++) received += countOf(s.t[froms[i]], r);
  return countOf(s.p, r) + received - total(sent(s.t, r)) - countOf(s.n, r);
}

function rightsFor(s: BCounterState, r: ReplicaId, n: number, what: string): void {
  const held = localRights(s, r);
  if (held < n) {
    throw new MutatorError('insufficient-rights', what + ': insufficient rights: replica ' + r + ' holds ' + held + ', needs ' + n +
      ' (increment here first, or have a replica with rights transfer some)');
  }
}

/** Delta of replica r adding n (n ≥ 1); the rights are r's. */
export function inc(s: BCounterState, r: ReplicaId, n: number): BCounterState {
  return { p: bump(s.p, r, n, 'bcounter inc'), n: {}, t: {} };
}

/** Delta of replica r subtracting n (n ≥ 1); MutatorError "insufficient-rights" unless r holds n rights. */
export function dec(s: BCounterState, r: ReplicaId, n: number): BCounterState {
  const d = bump(s.n, r, n, 'bcounter dec');
  rightsFor(s, r, n, 'bcounter dec');
  return { p: {}, n: d, t: {} };
}

/** Delta of replica r handing n of its rights to replica `to`; the value does not change. */
export function transfer(s: BCounterState, r: ReplicaId, to: ReplicaId, n: number): BCounterState {
  replicaArg(r, 'bcounter transfer');
  replicaArg(to, 'bcounter transfer');
  if (to === r) throw new MutatorError('args', 'bcounter transfer: replica ' + r + ' cannot transfer to itself');
  const tos = bump(sent(s.t, r), to, n, 'bcounter transfer');
  rightsFor(s, r, n, 'bcounter transfer');
  const t: Transfers = {};
  t[r] = tos;
  return { p: {}, n: {}, t: t };
}

function bottom(): BCounterState {
  return { p: {}, n: {}, t: {} };
}

function joinTransfers(a: Transfers, b: Transfers): Transfers {
  const out: Transfers = {};
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) out[ka[i]] = a[ka[i]];
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    const k = kb[i];
    out[k] = hasOwn(out, k) ? GCounter.join(out[k], b[k]) : b[k];
  }
  return out;
}

function join(a: BCounterState, b: BCounterState): BCounterState {
  return { p: GCounter.join(a.p, b.p), n: GCounter.join(a.n, b.n), t: joinTransfers(a.t, b.t) };
}

function joinInto(a: BCounterState, b: BCounterState): BCounterState {
  countsInto(a.p, b.p);
  countsInto(a.n, b.n);
  const kb = Object.keys(b.t);
  for (let i = 0; i < kb.length; i++) {
    const k = kb[i];
    // a's transfer tables are its own; one taken from b is copied, so a later joinInto never edits b's.
    if (hasOwn(a.t, k)) countsInto(a.t[k], b.t[k]);
    else a.t[k] = copyCounts(b.t[k]);
  }
  return a;
}

function copy(s: BCounterState): BCounterState {
  const t: Transfers = {};
  const ks = Object.keys(s.t);
  for (let i = 0; i < ks.length; i++) t[ks[i]] = copyCounts(s.t[ks[i]]);
  return { p: copyCounts(s.p), n: copyCounts(s.n), t: t };
}

function leq(a: BCounterState, b: BCounterState): boolean {
  if (!GCounter.leq(a.p, b.p) || !GCounter.leq(a.n, b.n)) return false;
  const froms = Object.keys(a.t);
  for (let i = 0; i < froms.length; i++) if (!GCounter.leq(a.t[froms[i]], sent(b.t, froms[i]))) return false;
  return true;
}

/** Core.progress: each replica's increments, decrements and transfers summed; each mutation raises it by its
 *  amount (at least 1). Only r changes r's entries, so the sum counts r's mutations a state holds. */
function progress(s: BCounterState, out: { [replica: string]: number }): void {
  const ps = Object.keys(s.p);
  for (let i = 0; i < ps.length; i++) out[ps[i]] = (out[ps[i]] || 0) + s.p[ps[i]];
  const ns = Object.keys(s.n);
  for (let i = 0; i < ns.length; i++) out[ns[i]] = (out[ns[i]] || 0) + s.n[ns[i]];
  const ts = Object.keys(s.t);
  for (let i = 0; i < ts.length; i++) out[ts[i]] = (out[ts[i]] || 0) + total(s.t[ts[i]]);
}

/** The total: increments minus decrements over all replicas (transfers cancel out). */
function value(s: BCounterState): number {
  return total(s.p) - total(s.n);
}

function decompose(s: BCounterState): BCounterState[] {
  const parts: BCounterState[] = [];
  const ps = GCounter.decompose(s.p);
  for (let i = 0; i < ps.length; i++) parts.push({ p: ps[i], n: {}, t: {} });
  const ns = GCounter.decompose(s.n);
  for (let i = 0; i < ns.length; i++) parts.push({ p: {}, n: ns[i], t: {} });
  const froms = sortedKeys(s.t);
  for (let i = 0; i < froms.length; i++) {
    const ts = GCounter.decompose(s.t[froms[i]]);
    for (let j = 0; j < ts.length; j++) {
      const t: Transfers = {};
      t[froms[i]] = ts[j];
      parts.push({ p: {}, n: {}, t: t });
    }
  }
  return parts;
}

function encode(s: BCounterState): Item {
  const froms = sortedKeys(s.t);
  const t: Item[] = [];
  for (let i = 0; i < froms.length; i++) t.push(froms[i], GCounter.encode(s.t[froms[i]]));
  return [GCounter.encode(s.p), GCounter.encode(s.n), t];
}

function decode(item: Item): BCounterState {
  const three = arr(item, 'bcounter', 3);
  const flat = arr(three[2], 'bcounter transfers');
  if (flat.length % 2 !== 0) fail('bcounter transfers: expected replica, amounts pairs, got ' + flat.length + ' items');
  const t: Transfers = {};
  let prev: string | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    const from = replicaItem(flat[i], 'bcounter transfer source');
    ascending(prev, from, 'bcounter transfer sources');
    prev = from;
    const tos = GCounter.decode(flat[i + 1]);
    if (Object.keys(tos).length === 0) fail('bcounter transfers from ' + from + ': an empty entry is left out, not sent');
    if (hasOwn(tos, from)) fail('bcounter transfers from ' + from + ': a replica cannot transfer to itself');
    t[from] = tos;
  }
  return { p: GCounter.decode(three[0]), n: GCounter.decode(three[1]), t: t };
}

export const BCounter: Crdt<BCounterState, number> = {
  name: 'bcounter',
  tag: 3,
  bottom: bottom,
  join: join,
  joinInto: joinInto,
  copy: copy,
  claims: (s, out) => {
    countClaims(s.p, out);
    countClaims(s.n, out);
    // Rights sent by r are counted by r alone (t[r][to]): they are r's claims, whoever receives them.
    const ks = Object.keys(s.t);
    for (let i = 0; i < ks.length; i++) {
      const sent = s.t[ks[i]];
      const tos = Object.keys(sent);
      for (let j = 0; j < tos.length; j++) if (!hasOwn(out, ks[i]) || out[ks[i]] < sent[tos[j]]) out[ks[i]] = sent[tos[j]];
    }
  },
  leq: leq,
  value: value,
  progress: progress,
  decompose: decompose,
  encode: encode,
  decode: decode,
  mutators: {
    inc: (s, r, a) => inc(s, r, a[0]),
    dec: (s, r, a) => dec(s, r, a[0]),
    transfer: (s, r, a) => transfer(s, r, a[0], a[1]),
  },
};
