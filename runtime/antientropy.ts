/**
 * Delta anti-entropy: Algorithm 2 of Almeida, Shoker, Baquero ("Delta state replicated data types", JPDC 2018)
 * with the BP and RR fixes of Enes, Almeida, Baquero, Leitão (ICDE 2019), over every variable of the store.
 *
 * Each delta that inflated a local state (a local update, or the new part of a received one) enters a buffer
 * of delta-groups numbered by a local sequence; each entry keeps the peer it came from. Every `period` the node
 * sends each neighbour j the delta-interval since j's acknowledged sequence number, joined per variable into one
 * DELTA frame [upTo, [[varId, spec, delta], …]], leaving out entries that came from j (BP); j applies it through
 * the store's RR and answers ACK. Entries every neighbour acknowledged are dropped.
 *
 * The knobs `bp`, `rr` and `mode` turn the fixes off, or the deltas altogether, to measure what each one saves
 * (the comparison of the ICDE paper, `npm run bench:sim -- --only sync`); the defaults are the full algorithm.
 * Without RR a received delta that inflates the state enters the buffer whole; without BP entries also go back
 * to their origin. Mode 'state' is the classic state-based baseline: the buffer only notes which variables
 * changed (one entry per variable, no delta), and each neighbour that is behind gets the full state of each of
 * them in the DELTA frame (BP and RR do not apply: a state goes to every neighbour, and holds everything).
 *
 * Beside Plumtree, anti-entropy only repairs. An entry that Plumtree carried keeps its message id, and a neighbour
 * that sent a GOSSIP or IHAVE of that message holds it: BP leaves it out for that neighbour as for its origin. One
 * that Plumtree pushed to a neighbour heard speaking Plumtree is left out too, its variable marked for a check: a DIGEST offer of the
 * checked variables alone, once the variable is quiet here (or after `verify`, backing off while checks find
 * nothing), so on a healthy cluster no delta or state goes twice. Any other neighbour gets it by DELTA after
 * `grace`, time for its IHAVE to arrive. (runtime/node.ts tells of Plumtree's GOSSIPs and IHAVEs: `carried`.)
 *
 * The buffer is bounded (maxEntries, maxBytes). When full, the oldest entry goes; a neighbour whose ack is older
 * than what the buffer still covers (and any new neighbour, or one that restarted) is brought up to date by a
 * digest exchange instead: DIGEST offers a 32-bit FNV-1a digest per variable, the neighbour requests the
 * variables whose digest differs, and STATE carries their full states. Overflow so costs bytes, never
 * convergence or memory.
 *
 * The digest rounds and checks live in runtime/aerounds.ts, the reading of bodies in runtime/aewire.ts.
 *
 * Bodies (all arrays; PROTOCOL.md, "Delta anti-entropy"):
 *   DELTA  [upTo, entries]              entries: [[varId, spec, delta], …] sorted by varId
 *   ACK    [0, inc, upTo]               delta-interval received (inc echoes the sender's incarnation)
 *          [1, inc, mark, [varId, …]]   these STATEs of digest round `mark` received
 *   DIGEST [0, mark, [[varId, spec, digest], …]]   offer
 *          [1, inc, mark, [varId, …]]               request (empty: nothing needed, answered by ACK instead)
 *   STATE  [mark, entries]
 */
import type { Core, Item } from '../crdt/types.ts';
import { join } from '../crdt/core.ts';
import { DecodeError } from '../crdt/errors.ts';
import { arr, nat, str } from '../crdt/check.ts';
import { hasOwn, sortedKeys } from '../crdt/keys.ts';
import { encode } from '../crdt/codec/cbor.ts';
import { typeOf, canonicalSpec } from '../crdt/registry.ts';
import type { Ctx } from './context.ts';
import { CLS_CONTROL, CLS_DELTA, CLS_STATE } from './io.ts';
import type { PeerId } from './io.ts';
import { ACK, DELTA, DIGEST, GOSSIP, STATE } from './messages.ts';
import { below } from './rng.ts';
import { MAX_COUNT, knobs } from './knobs.ts';
import { dict } from './tables.ts';
import * as admission from './admission.ts';
import { INCARNATION_SLACK } from './incarnation.ts';
import { claimRefusal } from './plausible.ts';
import * as interest from './interest.ts';
import type { PollenNode, SyncPart } from './node.ts';
import type { NodeEvent } from './io.ts';
import { type Store, type Variable, DEFAULT_MAX_VARS, StoreError, applyRemote, declare, get, validId } from './store.ts';
import { type Body, type Incoming, readBody } from './aewire.ts';
import { onOffer, onRequest, onRoundAck, retry, startCheck, startRound } from './aerounds.ts';

export interface AeConfig {
  /** ms between sync rounds. 1 s: a backstop behind Plumtree, so it may lag; a guess to be validated in the sim. */
  period: number;
  /** Bound on buffered delta-groups. 64: a few seconds of updates on a busy board. */
  maxEntries: number;
  /** Bound on the buffer's encoded bytes. 4 KB: about 300 variables' worth on a Puck.js (2,630 variables). */
  maxBytes: number;
  /** Soft bound on the entries of one DELTA or STATE frame (one entry always goes; a STATE larger than this goes
   *  in parts, aerounds.ts). 1 KB keeps a frame within the default decode limits of every peer and a handful of
   *  BLE packets. */
  maxFrameBytes: number;
  /** ms after which an open digest round sends its last step again (the offer, or the STATEs still not
   *  acknowledged), keeping its mark: a lost message costs one retry, not a new round. */
  retry: number;
  /** 'delta' (Algorithm 2) or 'state' (full states of changed variables; a baseline for measurements). */
  mode: string;
  /** BP: never send a buffered delta back to the neighbour it came from. On; off only to measure it. */
  bp: boolean;
  /** RR: buffer only the new part of a received delta (the store's join decomposition). On; off only to
   *  measure it. */
  rr: boolean;
  /** ms a delta that Plumtree carries is left to Plumtree before it goes by DELTA to a neighbour not yet shown to
   *  hold it (by a GOSSIP or IHAVE naming it). 1 s: several times the IHAVE flush (50 ms) plus the eager path's
   *  spread over a few hops, so a lazy neighbour's IHAVE is in before anti-entropy looks. */
  grace: number;
  /** ms after which a variable whose deltas Plumtree pushed to a neighbour is checked by a DIGEST offer even while
   *  it keeps changing (a quiet one is checked after a period). 30 s: a spurious mismatch while it changes costs
   *  a STATE, so at most one per 30 s; doubles after each check that finds nothing to repair, up to 8 times. */
  verify: number;
  /** ms after which a neighbour's newer incarnation that has sent nothing is taken for a forgery (anyone can claim
   *  one without a cluster key), and its older one, still talking, is believed again. 8 s: HyParView's peerTimeout;
   *  a live neighbour's anti-entropy speaks every period. */
  revert: number;
}

export const AE_DEFAULTS: AeConfig = {
  period: 1000,
  maxEntries: 64,
  maxBytes: 4096,
  maxFrameBytes: 1024,
  retry: 1000,
  mode: 'delta',
  bp: true,
  rr: true,
  grace: 1000,
  verify: 30000,
  revert: 8000,
};

/** What each knob may be (runtime/knobs.ts). The period and the retry at least 1 ms (0 would spin the timer);
 *  the bounds may be 0: an empty buffer sends everything by digest, and a frame always carries one entry. */
export const AE_RANGES: { [knob: string]: string } = {
  period: 'ms 1',
  maxEntries: 'count 0',
  maxBytes: 'count 0',
  maxFrameBytes: 'count 0',
  retry: 'ms 1',
  mode: 'choice delta state',
  bp: 'flag',
  rr: 'flag',
  grace: 'ms 0',
  verify: 'ms 1',
  revert: 'ms 1',
};

export interface AeEntry {
  seq: number;
  id: string;
  /** null in mode 'state'. */
  delta: any;
  /** Where the delta came from (this node's own id for a local update): BP never sends it back there. */
  origin: PeerId;
  /** Encoded size of the delta, for the byte bound. */
  size: number;
  /** ms when it was buffered. */
  at: number;
  /** The Plumtree message that carried it ('' for none): anti-entropy then leaves it to Plumtree (see `need`). */
  msg: string;
  /** Neighbours shown to hold it (they sent us a GOSSIP or IHAVE of `msg`): never sent there. Null for none (a
   *  board holds no empty list per entry). */
  known: PeerId[] | null;
  /** Neighbours Plumtree pushed it to: not sent there either, but its variable is checked later by digest. */
  pushed: PeerId[] | null;
}

/** A variable whose deltas went to a neighbour by Plumtree only, since `first` (ms). Checked by a DIGEST offer
 *  once it has not changed here for a period (AeState.changed), or once `first` is AeState.wait old. */
export interface AeDoubt {
  id: string;
  first: number;
}

export interface AePeer {
  /** Next sequence number the neighbour needs (it acknowledged everything below); -1 when unknown. */
  acked: number;
  /** The neighbour's incarnation as last seen on an anti-entropy message; -1 before any. */
  inc: number;
  /** When a message of that incarnation last came (see AeConfig.revert). */
  incAt: number;
  /** The digest round in progress: its mark (our sequence number when it began), or -1. */
  mark: number;
  /** When the round last sent something. */
  sentAt: number;
  /** Variables of the round still to be acknowledged, once per STATE frame that holds one (a state in parts is in
   *  several); null until the neighbour's request arrives. */
  pending: string[] | null;
  /** The round's STATEs held a state in parts: a retry then offers digests again rather than resending. */
  parted: boolean;
  /** It was heard speaking Plumtree (a GOSSIP or IHAVE from it): only then is a GOSSIP pushed to it taken to have
   *  arrived (a client without Plumtree drops it, and gets the delta by DELTA). */
  pt: boolean;
  /** Not null while the open round is a check of these variables only (not of every variable, as a round for a
   *  neighbour behind the buffer is): it leaves `acked` as it is, and deltas keep flowing meanwhile. */
  checked: string[] | null;
  /** Variables to check (see AeDoubt), or null. */
  doubt: AeDoubt[] | null;
}

export interface AeState {
  cfg: AeConfig;
  /** This node's incarnation: acks echo it, so an ack meant for an earlier life is ignored. */
  inc: number;
  /** The next sequence number. */
  seq: number;
  /** Every entry with seq >= low is still in the buffer. */
  low: number;
  buf: AeEntry[];
  bytes: number;
  peers: { [peer: string]: AePeer };
  armed: boolean;
  /** No neighbour was behind when last looked (so `arm` need not look again): cleared by whatever can put one
   *  behind (a new entry, a new neighbour, a restarted one). Saves a walk over the peers on every step. */
  calm: boolean;
  /** Which variables peers may introduce (runtime/admission.ts). */
  adm: admission.Admission;
  /** ms of the last buffered change of each variable (at most one key per variable of the store): a check waits
   *  for quiet, since a digest taken while deltas are in flight differs for nothing. */
  changed: { [id: string]: number };
  /** ms a changing variable waits for its check (AeConfig.verify, backing off while checks find nothing). */
  wait: number;
  /** The node's replica id when it has an epoch (new to this life), else '': claims of it past what the node
   *  holds are refused (runtime/plausible.ts). */
  self: string;
  /** The largest frame a peer decodes (the node's own decode limit, which peers share by default): a STATE part
   *  larger than this is never sent (aerounds.ts). */
  maxFrame: number;
}

export const TIMER = 'ae.sync';

/** `config` may set any knob of AeConfig (others keep AE_DEFAULTS); a bad one throws (runtime/knobs.ts). */
/** `adm`: the node's admission policy; without one (the module used alone) every variable is taken while the
 *  store has room, as before admission existed. */
export function init(config: Partial<AeConfig> | undefined, incarnation: number, adm?: admission.Admission): AeState {
  const cfg = knobs('anti-entropy', AE_DEFAULTS, AE_RANGES, config);
  // Peer ids come from links: a table without a prototype holds "__proto__" like any other key.
  const peers = dict<AePeer>();
  return { cfg: cfg, inc: incarnation, seq: 0, low: 0, buf: [], bytes: 0, peers: peers, armed: false, calm: false, changed: dict<number>(), wait: cfg.verify, self: '', maxFrame: Infinity, adm: adm || admission.init({ reserve: 0, perPeer: MAX_COUNT }, DEFAULT_MAX_VARS) };
}

function freshPeer(): AePeer {
  return { acked: -1, inc: -1, incAt: 0, mark: -1, sentAt: 0, pending: null, parted: false, pt: false, checked: null, doubt: null };
}

/** Forget what is known of `p` (new life, new interest): a round over every variable comes next. */
function reset(p: AePeer): void {
  p.acked = -1;
  p.mark = -1;
  p.pending = null;
  p.checked = null;
  p.doubt = null;
}

export function neighborUp(ae: AeState, peer: PeerId): void {
  if (!hasOwn(ae.peers, peer)) {
    ae.peers[peer] = freshPeer();
    ae.calm = false;
  }
}

/** Bring `peer` up to date again by a digest round (its interest set grew: deltas it was not sent must reach it). */
export function resync(ae: AeState, peer: PeerId): void {
  if (!hasOwn(ae.peers, peer)) return;
  reset(ae.peers[peer]);
  ae.calm = false;
}

export function neighborDown(ae: AeState, peer: PeerId): void {
  if (hasOwn(ae.peers, peer)) {
    delete ae.peers[peer];
    gc(ae);
  }
}

/** Is some neighbour behind (unacknowledged deltas, or no known ack), or a digest round open? */
function behind(ae: AeState): boolean {
  const ps = Object.keys(ae.peers);
  for (let i = 0; i < ps.length; i++) {
    const p = ae.peers[ps[i]];
    if (p.acked < ae.low || p.acked < ae.seq || p.mark >= 0 || p.doubt !== null) return true;
  }
  return false;
}

/**
 * Arm the sync timer while some neighbour is behind. A node whose neighbours all acknowledged everything sets no
 * timer (a board can sleep); the next update, received delta or new neighbour arms it again.
 */
export function arm(ae: AeState, ctx: Ctx): void {
  if (ae.armed || ae.calm) return;
  if (!behind(ae)) {
    ae.calm = true;
    return;
  }
  ae.armed = true;
  // A little jitter keeps neighbours from syncing in lock step.
  ctx.setTimer(TIMER, ctx.now + ae.cfg.period + below(ctx.rng, Math.floor(ae.cfg.period / 4) + 1));
}

function sizeOf(type: Core<any, any>, delta: any): number {
  return encode(type.encode(delta)).length;
}

/**
 * Buffer a delta that inflated variable `id` (with RR only its new part is passed here). `bytes`: its encoded
 * size when the caller knows it (the store measured it joining), so a large delta is not encoded twice.
 */
export function record(ae: AeState, ctx: Ctx, store: Store, id: string, delta: any, origin: PeerId, bytes?: number): void {
  const v = get(store, id);
  if (!v) return;
  ae.calm = false;
  let size: number;
  if (ae.cfg.mode === 'state') {
    // Only which variable changed: an older entry for it can go, since this one reaches every neighbour the
    // older one would have (a neighbour that has not acknowledged the old entry has not acknowledged this one).
    for (let i = 0; i < ae.buf.length; i++) {
      if (ae.buf[i].id === id) {
        ae.bytes -= ae.buf[i].size;
        ae.buf.splice(i, 1);
        break;
      }
    }
    delta = null;
    size = id.length + 4;
  } else size = (bytes === undefined ? sizeOf(v.type, delta) : bytes) + id.length + 4;
  ae.buf.push({ seq: ae.seq, id: id, delta: delta, origin: origin, size: size, at: ctx.now, msg: '', known: null, pushed: null });
  ae.changed[id] = ctx.now;
  ae.seq++;
  ae.bytes += size;
  while (ae.buf.length > 0 && (ae.buf.length > ae.cfg.maxEntries || ae.bytes > ae.cfg.maxBytes)) {
    // Full: the oldest entry goes, and neighbours that still needed it fall back to a digest round. (A delta
    // larger than maxBytes on its own goes at once: every neighbour then gets it by digest and STATE.) A
    // neighbour next in line for it moves past when it holds it, and when Plumtree carries it (its variable is
    // then checked by digest later, AeDoubt): only the deltas Plumtree does not carry cost a round of every variable.
    const old = ae.buf.shift() as AeEntry;
    ae.bytes -= old.size;
    const ps = Object.keys(ae.peers);
    for (let i = 0; i < ps.length; i++) {
      const p = ae.peers[ps[i]];
      if (p.acked < ae.low || p.acked > old.seq) continue;
      const w = need(ae, ctx, old, ps[i], p);
      if (w !== SKIP && old.msg !== '' && ae.cfg.bp && ae.cfg.mode !== 'state') doubt(p, old);
      else if (w !== SKIP) continue;
      p.acked = old.seq + 1;
    }
    ae.low = old.seq + 1;
    ctx.count('ae.overflow', 1);
  }
  gc(ae);
}

/** What a neighbour needs of a buffered entry (`need`). */
const SEND = 0;
/** It holds it, or does not hear its variable. */
const SKIP = 1;
/** Plumtree pushed it there: not sent, its variable checked later by digest (AeDoubt). */
const DOUBT = 2;
/** Plumtree carries it and the grace is not over: a GOSSIP or IHAVE from the neighbour may still show it holds it. */
const WAIT = 3;

/**
 * Does `peer` need entry `e` sent by DELTA? With BP, not where it came from, nor where a GOSSIP or IHAVE of its
 * Plumtree message came from; one Plumtree pushed to the neighbour is left to Plumtree and checked later; any other
 * Plumtree carries waits out the grace first. Without BP (or in mode 'state') everything heard goes.
 */
function need(ae: AeState, ctx: Ctx, e: AeEntry, peer: PeerId, p: AePeer): number {
  if (ctx.hears && !ctx.hears(peer, e.id)) return SKIP;
  if (!ae.cfg.bp || ae.cfg.mode === 'state') return SEND;
  if (e.origin === peer || has(e.known, peer)) return SKIP;
  if (e.msg === '') return SEND;
  if (p.pt && has(e.pushed, peer)) return DOUBT;
  return ctx.now - e.at < ae.cfg.grace ? WAIT : SEND;
}

function has(list: PeerId[] | null, peer: PeerId): boolean {
  return list !== null && list.indexOf(peer) >= 0;
}

/** `list` with `peer` in it (a new list for null). */
function withPeer(list: PeerId[] | null, peer: PeerId): PeerId[] {
  if (list === null) return [peer];
  if (list.indexOf(peer) < 0) list.push(peer);
  return list;
}

/** Note `e`'s variable for a check of `p` (the list is made on the first: most neighbours never need one). */
function doubt(p: AePeer, e: AeEntry): void {
  if (p.doubt === null) p.doubt = [];
  for (let i = 0; i < p.doubt.length; i++) {
    if (p.doubt[i].id !== e.id) continue;
    if (e.at < p.doubt[i].first) p.doubt[i].first = e.at;
    return;
  }
  p.doubt.push({ id: e.id, first: e.at });
}

/** Drop what every neighbour has (or will get by digest), so the buffer holds only what someone still needs. */
function gc(ae: AeState): void {
  let floor = ae.seq;
  const ps = Object.keys(ae.peers);
  for (let i = 0; i < ps.length; i++) {
    const p = ae.peers[ps[i]];
    const f = p.acked >= 0 && p.acked >= ae.low ? p.acked : p.mark >= 0 ? p.mark : ae.seq;
    if (f < floor) floor = f;
  }
  let n = 0;
  while (n < ae.buf.length && ae.buf[n].seq < floor) {
    ae.bytes -= ae.buf[n].size;
    n++;
  }
  if (n > 0) ae.buf.splice(0, n);
  if (floor > ae.low) ae.low = floor;
}

export function onTimer(ae: AeState, ctx: Ctx, store: Store, id: string): boolean {
  if (id !== TIMER) return false;
  ae.armed = false;
  const ps = sortedKeys(ae.peers);
  for (let i = 0; i < ps.length; i++) syncPeer(ae, ctx, store, ps[i], ae.peers[ps[i]]);
  gc(ae);
  arm(ae, ctx);
  return true;
}

function syncPeer(ae: AeState, ctx: Ctx, store: Store, peer: PeerId, p: AePeer): void {
  if (p.acked < 0 || p.acked < ae.low) {
    // A check covers only some variables: a round over all of them replaces it.
    if (p.mark < 0 || p.checked !== null) startRound(ae, ctx, store, peer, p);
    else retry(ae, ctx, store, peer, p);
    return;
  }
  if (p.mark >= 0 && p.checked === null) {
    // A late delta ack covered the neighbour again: the open round is not needed any more.
    p.mark = -1;
    p.pending = null;
  }
  if (p.acked < ae.seq) sendInterval(ae, ctx, store, peer, p);
  if (p.checked !== null) retry(ae, ctx, store, peer, p);
  else if (p.acked >= ae.seq && p.doubt !== null) startCheck(ae, ctx, store, peer, p);
}

/** The delta-interval since the neighbour's ack, as one DELTA frame (up to maxFrameBytes). */
function sendInterval(ae: AeState, ctx: Ctx, store: Store, peer: PeerId, p: AePeer): void {
  // The delta-interval [acked, upTo): entries this neighbour holds are skipped (BP, `need`), the rest joined per
  // variable. In mode 'state' each variable named in the interval goes as its whole current state.
  const state = ae.cfg.mode === 'state';
  const joined: { [id: string]: any } = {};
  let budget = 0;
  let upTo = ae.seq;
  let any = false;
  for (let i = 0; i < ae.buf.length; i++) {
    const e = ae.buf[i];
    if (e.seq < p.acked) continue;
    const w = need(ae, ctx, e, peer, p);
    if (w === SKIP) continue;
    if (w === DOUBT) {
      doubt(p, e);
      continue;
    }
    if (w === WAIT) {
      // Sent up to here; the rest waits for Plumtree (the timer stays armed while this neighbour is behind).
      upTo = e.seq;
      break;
    }
    const v = get(store, e.id) as Variable;
    const size = state ? sizeOf(v.type, v.state) + e.id.length + 4 : e.size;
    if (any && budget + size > ae.cfg.maxFrameBytes) {
      upTo = e.seq;
      break;
    }
    if (state) joined[e.id] = v.state;
    else joined[e.id] = hasOwn(joined, e.id) ? join(v.type, joined[e.id], e.delta) : e.delta;
    budget += size;
    any = true;
  }
  if (!any) {
    // Everything new is held by this neighbour already, pushed there by Plumtree, or not heard by it.
    p.acked = upTo;
    return;
  }
  const ks = sortedKeys(joined);
  const entries: Item[] = [];
  for (let i = 0; i < ks.length; i++) {
    const v = get(store, ks[i]) as Variable;
    entries.push([ks[i], v.spec, v.type.encode(joined[ks[i]])]);
  }
  ctx.send(peer, DELTA, [upTo, entries], state ? CLS_STATE : CLS_DELTA);
  ctx.count('ae.deltas', 1);
}

/**
 * The one join path for a remote delta, shared by anti-entropy's DELTA and STATE and by Plumtree's deliveries
 * (runtime/node.ts): a variable this node does not want is refused (ctx.accepts), one of another type or past
 * the store's bounds is counted and left out, anything else is joined through RR; the new part enters the
 * buffer (origin `from`, so BP never sends it back there) and a 'changed' event goes out. `via` names the path
 * in the redundancy counter ("ae.redundant", "pt.redundant"). `bp`, when given, is buffered as the origin instead
 * of `from` (runtime/causal-delivery.ts: a peer may forward a delta it has not joined). Returns false when the
 * delta was refused.
 */
export function receive(ae: AeState, ctx: Ctx, store: Store, from: PeerId, id: string, spec: string, delta: unknown, via: string, bp?: PeerId): boolean {
  if (ctx.accepts && !ctx.accepts(from, id)) return false;
  const v = get(store, id);
  if (v && v.spec !== spec) {
    ctx.count('ae.spec-mismatch', 1);
    return false;
  }
  // Claims past what can be true (runtime/plausible.ts) are refused before anything is declared or joined.
  if (claimRefusal(store, id, spec, delta, ae.self) !== '') {
    ctx.count('claims.refused', 1);
    return false;
  }
  if (!v) {
    // A variable this node does not hold yet comes in only within the admission policy (runtime/admission.ts),
    // never from the room kept for the application's own declare.
    const refused = admission.refusal(ae.adm, store, id, spec, from);
    if (refused !== '') {
      ctx.count('admit.' + refused, 1);
      return false;
    }
    declare(store, id, spec);
    admission.taken(ae.adm, from);
  }
  let fresh: unknown;
  try {
    fresh = applyRemote(store, id, delta);
  } catch (e) {
    // Past the variable's size bound: refused and counted, the state as it was (a board cannot catch running
    // out of memory, so it never joins what would take it there).
    if (!(e instanceof StoreError)) throw e;
    ctx.count('store.refused.' + e.reason, 1);
    return false;
  }
  if (fresh === null) {
    ctx.count(via + '.redundant', 1);
    return true;
  }
  // Without RR the whole delta is buffered (it inflated the state, so it is not redundant as a whole).
  // The store measured `delta` as it joined it: that is the size of what is buffered unless RR cut it down.
  const kept = ae.cfg.rr ? fresh : delta;
  record(ae, ctx, store, id, kept, bp !== undefined ? bp : from, kept === delta ? store.lastBytes : undefined);
  ctx.emit({ type: 'changed', id: id });
  return true;
}

/** A delta or state of `spec` from its wire item; DecodeError when it is not one. */
export function decodeDelta(store: Store, spec: string, item: Item): unknown {
  return typeOf(store.types, spec).decode(item);
}

/** Join checked entries; returns their ids. Every entry counts as taken, applied or not: one this node cannot
 *  hold (another type, a full store, not wanted) never will be, and leaving it out of the ack would keep the
 *  sender's digest round open, resending this STATE and holding back its deltas. */
function applyEntries(ae: AeState, ctx: Ctx, store: Store, from: PeerId, es: Incoming[]): string[] {
  const done: string[] = [];
  for (let i = 0; i < es.length; i++) {
    if (es[i].type === null) ctx.count('ae.spec-unknown', 1);
    else receive(ae, ctx, store, from, es[i].id, es[i].spec, es[i].delta, 'ae');
    done.push(es[i].id);
  }
  return done;
}

/**
 * Handle DELTA, ACK, DIGEST or STATE; false for other types. Throws DecodeError on a malformed body, before
 * anything changed (what is known of the sender included: its incarnation, its acks).
 */
export function onMessage(ae: AeState, ctx: Ctx, store: Store, from: PeerId, inc: number, type: number, body: Item): boolean {
  if (type !== DELTA && type !== ACK && type !== DIGEST && type !== STATE) return false;
  const p = hasOwn(ae.peers, from) ? ae.peers[from] : undefined;
  // An older life than the one known: a late frame of it, unless the newer life has sent nothing for cfg.revert
  // (a forgery: without a cluster key anyone can claim a later life "from" a neighbour, after which its real
  // messages were stale for good). Then the older life is believed again, as HyParView does. A real restart is
  // unaffected: the old life is gone and stays silent.
  let revert = false;
  if (p && p.inc >= 0 && inc < p.inc) {
    if (ctx.now - p.incAt < ae.cfg.revert) {
      ctx.count('ae.stale', 1);
      return true;
    }
    revert = true;
  }
  // Further past the known life than any restart goes (runtime/incarnation.ts): a forgery, which taken would
  // make every real message of the neighbour stale.
  if (p && p.inc >= 0 && inc - p.inc > INCARNATION_SLACK) {
    ctx.count('ae.inc.implausible', 1);
    return true;
  }
  const m = readBody(type, body, store.maxVars, store.types);
  if (p) {
    if (revert || (p.inc >= 0 && inc > p.inc)) {
      // The neighbour restarted (or its restart was forged): what it acknowledged before may be gone.
      if (revert) ctx.count('ae.inc.revert', 1);
      reset(p);
      ae.calm = false;
    }
    p.inc = inc;
    p.incAt = ctx.now;
  }
  if (type === DELTA) {
    applyEntries(ae, ctx, store, from, m.entries);
    ctx.send(from, ACK, [0, inc, m.n], CLS_CONTROL);
  } else if (type === STATE) {
    const done = applyEntries(ae, ctx, store, from, m.entries);
    ctx.send(from, ACK, [1, inc, m.n, done], CLS_CONTROL);
  } else if (type === DIGEST) {
    if (m.kind === 0) onOffer(ae, ctx, store, from, inc, m);
    else onRequest(ae, ctx, store, from, p, m);
    gc(ae);
  } else {
    onAck(ae, ctx.now, p, m);
    gc(ae);
  }
  return true;
}

/** ACK [0, inc, upTo]: the neighbour has the delta-interval below upTo (ACK [1, …] closes a round: aerounds.ts). */
function onAck(ae: AeState, now: number, p: AePeer | undefined, m: Body): void {
  if (m.kind === 1) {
    onRoundAck(ae, now, p, m);
    return;
  }
  // Only acks for this life's sequence numbers, for a neighbour we are streaming deltas to, move anything.
  if (!p || m.inc !== ae.inc || m.n > ae.seq || p.acked < 0) return;
  if (m.n > p.acked) {
    p.acked = m.n;
    gc(ae);
  }
}

/** A Plumtree delivery: an application payload is passed on unwrapped; a CRDT delta is joined through RR. */
function deliver(node: PollenNode, ev: NodeEvent): void {
  if (ev.type !== 'deliver') return;
  const out = node.cp.out;
  const p = ev.payload;
  if (Array.isArray(p) && p.length === 2 && p[0] === 0) {
    out.push({ kind: 'event', event: { type: 'deliver', msgId: ev.msgId, origin: ev.origin, hops: ev.hops, payload: p[1] } });
    return;
  }
  const from = node.cp.from;
  // Checked whole first: a DecodeError goes back through Plumtree, which then neither remembers nor forwards the
  // payload, and the frame is counted as dropped by onFrame. Nothing is declared for a delta that does not decode.
  // [1, varId, spec, delta], or with the delta's deps as a fifth item (runtime/causal-delivery.ts).
  const b = arr(p, 'payload');
  if (b.length !== 4 && b.length !== 5) throw new DecodeError('type', 'payload: expected [1, varId, spec, delta, deps?]');
  if (nat(b[0], 'payload kind') !== 1) throw new DecodeError('type', 'unknown payload kind');
  const id = str(b[1], 'variable id');
  if (!validId(id)) throw new DecodeError('type', 'bad variable id');
  // Not asked for: refused before it is decoded, remembered or forwarded (a DecodeError, so Plumtree drops it),
  // and the sender is told again what this node hears.
  if (!interest.wants(node.hear, id)) {
    interest.refused(node.hear, node.ca, from !== '' ? from : ev.origin);
    throw new DecodeError('interest', 'variable ' + id + ' is not in this node\'s interest set');
  }
  const spec = canonicalSpec(node.store.types, str(b[2], 'spec'));
  // Our own broadcast, delivered at once: already applied. (An earlier life's message is not: apply it.)
  const own = ev.hops === 0 && ev.origin === node.id;
  const delta = own ? null : decodeDelta(node.store, spec, b[3]);
  // A node without causal delivery joins a delta with deps at once, as before that part existed.
  const deps = !own && b.length === 5 && node.causal !== null ? node.causal.deps(b[4]) : null;
  out.push({ kind: 'event', event: { type: 'deliver', msgId: ev.msgId, origin: ev.origin, hops: ev.hops, payload: [b[1], b[2], b[3]] } });
  const ae = node.ae as AeState;
  const seq = ae.seq;
  // Our own update was buffered just before its broadcast (runtime/node.ts's share); a received one is now, or,
  // when it waits for what it depends on, once causal delivery joins it (buffered then as any delta, not marked).
  if (!own) {
    const src = from !== '' ? from : ev.origin;
    if (deps !== null && node.causal !== null) {
      node.causal.offer(node, { msgId: ev.msgId, from: src, origin: ev.origin, id: id, spec: spec, delta: delta, deps: deps, at: 0 });
      return;
    }
    receive(ae, node.ca, node.store, src, id, spec, delta, 'pt');
  }
  const e = ae.buf.length > 0 ? ae.buf[ae.buf.length - 1] : null;
  if (e === null || e.id !== id || e.msg !== '' || e.seq !== (own ? seq - 1 : seq)) return;
  // A type delivered causally stays in every interval: a neighbour that announced or was pushed its message may
  // still hold it back (runtime/causal-delivery.ts), and an interval with it left out would not be causally closed.
  const v = get(node.store, id);
  if (v && v.type.progress) return;
  // The buffered delta is Plumtree's message: its GOSSIPs and IHAVEs now say who holds it. Those that announced it
  // before it arrived hold it already (Plumtree still lists them while it delivers).
  e.msg = ev.msgId;
  const pt = node.pt;
  const m = pt !== null && hasOwn(pt.missing, ev.msgId) ? pt.missing[ev.msgId] : null;
  if (m !== null) for (let i = 0; i < m.ann.length; i++) if (hasOwn(ae.peers, m.ann[i].peer)) e.known = withPeer(e.known, m.ann[i].peer);
}

/**
 * What Plumtree did with `peer` (runtime/node.ts calls this for each GOSSIP sent, and each GOSSIP or IHAVE taken):
 * each buffered delta of a message named is marked as held by the peer (received: a GOSSIP or IHAVE from it) or
 * pushed to it (sent). A peer can only lie about itself: what it claims to hold is not sent to it.
 */
function carried(node: PollenNode, peer: PeerId, type: number, body: Item, sent: boolean): void {
  const ae = node.ae as AeState;
  // Only neighbours are synced, so only they are noted: the lists stay within the neighbours.
  if (!hasOwn(ae.peers, peer)) return;
  if (!sent) ae.peers[peer].pt = true;
  if (ae.buf.length === 0) return;
  const b = body as Item[];
  if (type === GOSSIP) mark(ae, b[0] as string, peer, sent);
  else for (let i = 0; i < b.length; i++) mark(ae, (b[i] as Item[])[0] as string, peer, false);
}

function mark(ae: AeState, msg: string, peer: PeerId, sent: boolean): void {
  for (let i = ae.buf.length - 1; i >= 0; i--) {
    const e = ae.buf[i];
    if (e.msg !== msg) continue;
    if (sent) e.pushed = withPeer(e.pushed, peer);
    else e.known = withPeer(e.known, peer);
    return;
  }
}

/** The full algorithm as a node part (runtime/node.ts's NodeParts.sync), with the admission policy of
 *  runtime/admission.ts for variables peers introduce (config.admission). */
export const AntiEntropy: SyncPart = {
  init: function (node: PollenNode, c): AeState {
    interest.attach(node.ca, node.cp);
    const ae = init(c.antiEntropy as Partial<AeConfig> | undefined, node.incarnation, admission.init(c.admission, node.store.maxVars));
    if (c.epoch !== undefined) ae.self = node.replica;
    ae.maxFrame = node.limits.maxFrame;
    return ae;
  },
  onMessage: function (node: PollenNode, from: PeerId, inc: number, type: number, body: Item): boolean {
    return onMessage(node.ae, node.ca, node.store, from, inc, type, body);
  },
  onTimer: function (node: PollenNode, id: string): boolean {
    return onTimer(node.ae, node.ca, node.store, id);
  },
  deliver: deliver,
  peer: function (node: PollenNode, peer: PeerId, how: number): void {
    if (how === 1) neighborUp(node.ae, peer);
    else if (how === 0) neighborDown(node.ae, peer);
    else resync(node.ae, peer);
  },
  arm: function (node: PollenNode): void {
    arm(node.ae, node.ca);
  },
  record: function (node: PollenNode, id: string, delta: unknown, origin: PeerId): void {
    record(node.ae, node.ca, node.store, id, delta, origin);
  },
  carried: carried,
};
