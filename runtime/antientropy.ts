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
 * The buffer is bounded (maxEntries, maxBytes). When full, the oldest entry goes; a neighbour whose ack is older
 * than what the buffer still covers (and any new neighbour, or one that restarted) is brought up to date by a
 * digest exchange instead: DIGEST offers a 32-bit FNV-1a digest per variable, the neighbour requests the
 * variables whose digest differs, and STATE carries their full states. Overflow so costs bytes, never
 * convergence or memory.
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
import { cmpStr, hasOwn, sortedKeys } from '../crdt/keys.ts';
import { encode } from '../crdt/codec/cbor.ts';
import { type Registry, typeOf, canonicalSpec } from '../crdt/registry.ts';
import type { Ctx } from './context.ts';
import { CLS_CONTROL, CLS_DELTA, CLS_STATE } from './io.ts';
import type { PeerId } from './io.ts';
import { ACK, DELTA, DIGEST, STATE } from './messages.ts';
import { below } from './rng.ts';
import { fnv1a } from './digest.ts';
import { MAX_COUNT, knobs } from './knobs.ts';
import { dict } from './tables.ts';
import * as admission from './admission.ts';
import { INCARNATION_SLACK } from './incarnation.ts';
import { claimRefusal } from './plausible.ts';
import * as interest from './interest.ts';
import type { PollenNode, SyncPart } from './node.ts';
import type { NodeEvent } from './io.ts';
import { type Store, type Variable, DEFAULT_MAX_VARS, StoreError, applyRemote, declare, get, ids, validId } from './store.ts';

export interface AeConfig {
  /** ms between sync rounds. 1 s: a backstop behind Plumtree, so it may lag; a guess to be validated in the sim. */
  period: number;
  /** Bound on buffered delta-groups. 64: a few seconds of updates on a busy board. */
  maxEntries: number;
  /** Bound on the buffer's encoded bytes. 4 KB: about 300 variables' worth on a Puck.js (2,630 variables). */
  maxBytes: number;
  /** Soft bound on the entries of one DELTA or STATE frame (one entry always goes, however large). 1 KB keeps
   *  a frame within the default decode limits of every peer and a handful of BLE packets. */
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
}

export interface AePeer {
  /** Next sequence number the neighbour needs (it acknowledged everything below); -1 when unknown. */
  acked: number;
  /** The neighbour's incarnation as last seen on an anti-entropy message; -1 before any. */
  inc: number;
  /** The digest round in progress: its mark (our sequence number when it began), or -1. */
  mark: number;
  /** When the round last sent something. */
  sentAt: number;
  /** Variables of the round still to be acknowledged; null until the neighbour's request arrives. */
  pending: string[] | null;
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
}

export const TIMER = 'ae.sync';

/** `config` may set any knob of AeConfig (others keep AE_DEFAULTS); a bad one throws (runtime/knobs.ts). */
/** `adm`: the node's admission policy; without one (the module used alone) every variable is taken while the
 *  store has room, as before admission existed. */
export function init(config: Partial<AeConfig> | undefined, incarnation: number, adm?: admission.Admission): AeState {
  const cfg = knobs('anti-entropy', AE_DEFAULTS, AE_RANGES, config);
  // Peer ids come from links: a table without a prototype holds "__proto__" like any other key.
  const peers = dict<AePeer>();
  return { cfg: cfg, inc: incarnation, seq: 0, low: 0, buf: [], bytes: 0, peers: peers, armed: false, calm: false, adm: adm || admission.init({ reserve: 0, perPeer: MAX_COUNT }, DEFAULT_MAX_VARS) };
}

function freshPeer(): AePeer {
  return { acked: -1, inc: -1, mark: -1, sentAt: 0, pending: null };
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
  const p = ae.peers[peer];
  p.acked = -1;
  p.mark = -1;
  p.pending = null;
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
    if (p.acked < ae.low || p.acked < ae.seq || p.mark >= 0) return true;
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

/** Buffer a delta that inflated variable `id` (with RR only its new part is passed here). */
export function record(ae: AeState, ctx: Ctx, store: Store, id: string, delta: any, origin: PeerId): void {
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
  } else size = sizeOf(v.type, delta) + id.length + 4;
  ae.buf.push({ seq: ae.seq, id: id, delta: delta, origin: origin, size: size });
  ae.seq++;
  ae.bytes += size;
  while (ae.buf.length > 0 && (ae.buf.length > ae.cfg.maxEntries || ae.bytes > ae.cfg.maxBytes)) {
    // Full: the oldest entry goes, and neighbours that still needed it fall back to a digest round. (A delta
    // larger than maxBytes on its own goes at once: every neighbour then gets it by digest and STATE.)
    const old = ae.buf.shift() as AeEntry;
    ae.bytes -= old.size;
    ae.low = old.seq + 1;
    ctx.count('ae.overflow', 1);
  }
  gc(ae);
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
    if (p.mark < 0) startRound(ae, ctx, store, peer, p);
    else if (ctx.now - p.sentAt >= ae.cfg.retry) {
      ctx.count('ae.retries', 1);
      if (p.pending === null) sendOffer(ctx, store, peer, p);
      else sendStates(ae, ctx, store, peer, p);
    }
    return;
  }
  if (p.mark >= 0) {
    // A late delta ack covered the neighbour again: the open round is not needed any more.
    p.mark = -1;
    p.pending = null;
  }
  if (p.acked >= ae.seq) return;
  // The delta-interval [acked, upTo): entries from this neighbour are skipped (BP), the rest joined per variable.
  // In mode 'state' each variable named in the interval goes as its whole current state.
  const state = ae.cfg.mode === 'state';
  const bp = ae.cfg.bp && !state;
  const joined: { [id: string]: any } = {};
  let budget = 0;
  let upTo = ae.seq;
  let any = false;
  for (let i = 0; i < ae.buf.length; i++) {
    const e = ae.buf[i];
    if (e.seq < p.acked || (bp && e.origin === peer) || (ctx.hears && !ctx.hears(peer, e.id))) continue;
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
    // Everything new came from this neighbour (it has it already) or is not heard by it.
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

function digestOf(v: Variable): number {
  if (v.digest < 0) {
    const bytes = encode(v.type.encode(v.state));
    v.digest = fnv1a(bytes);
    // The encoding is at hand: the size estimate becomes exact for free.
    v.bytes = bytes.length;
  }
  return v.digest;
}

function startRound(ae: AeState, ctx: Ctx, store: Store, peer: PeerId, p: AePeer): void {
  p.mark = ae.seq;
  p.pending = null;
  ctx.count('ae.rounds', 1);
  sendOffer(ctx, store, peer, p);
}

function sendOffer(ctx: Ctx, store: Store, peer: PeerId, p: AePeer): void {
  p.sentAt = ctx.now;
  const names = ids(store);
  const offers: Item[] = [];
  for (let i = 0; i < names.length; i++) {
    const v = store.vars[names[i]];
    // Selective hearing: a neighbour is offered only what it wants to hear of.
    if (!ctx.hears || ctx.hears(peer, v.id)) offers.push([v.id, v.spec, digestOf(v)]);
  }
  ctx.send(peer, DIGEST, [0, p.mark, offers], CLS_CONTROL);
}

/** A decoded entry of a DELTA or STATE frame, checked before anything is applied. */
interface Incoming {
  id: string;
  spec: string;
  /** null: a type this node does not hold (the entry is skipped). */
  type: Core<any, any> | null;
  delta: unknown;
}

/** The canonical spec when this registry holds its type, or null (unknown, or malformed: either way never
 *  joinable here). */
function held(types: Registry, spec: string): string | null {
  try {
    return canonicalSpec(types, spec);
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}

function readEntries(item: Item, max: number, types: Registry): Incoming[] {
  const list = arr(item, 'entries');
  if (list.length > max) throw new DecodeError('count', 'entries: ' + list.length + ' exceeds ' + max);
  const out: Incoming[] = [];
  let prev: string | undefined;
  for (let i = 0; i < list.length; i++) {
    const e = arr(list[i], 'entry', 3);
    const id = str(e[0], 'variable id');
    if (!validId(id)) throw new DecodeError('type', 'bad variable id');
    if (prev !== undefined && !(prev < id)) throw new DecodeError('type', 'entries must be sorted by variable id');
    prev = id;
    const spec = held(types, str(e[1], 'spec'));
    // A type this node does not hold (a board next to a Pi) is left out, not the whole frame: the rest applies.
    if (spec === null) out.push({ id: id, spec: '', type: null, delta: null });
    else {
      const type = typeOf(types, spec);
      out.push({ id: id, spec: spec, type: type, delta: type.decode(e[2]) });
    }
  }
  return out;
}

/**
 * The one join path for a remote delta, shared by anti-entropy's DELTA and STATE and by Plumtree's deliveries
 * (runtime/node.ts): a variable this node does not want is refused (ctx.accepts), one of another type or past
 * the store's bounds is counted and left out, anything else is joined through RR; the new part enters the
 * buffer (origin `from`, so BP never sends it back there) and a 'changed' event goes out. `via` names the path
 * in the redundancy counter ("ae.redundant", "pt.redundant"). Returns false when the delta was refused.
 */
export function receive(ae: AeState, ctx: Ctx, store: Store, from: PeerId, id: string, spec: string, delta: unknown, via: string): boolean {
  if (ctx.accepts && !ctx.accepts(from, id)) return false;
  const v = get(store, id);
  if (v && v.spec !== spec) {
    ctx.count('ae.spec-mismatch', 1);
    return false;
  }
  // Claims past what can be true (runtime/plausible.ts) are refused before anything is declared or joined.
  if (claimRefusal(store, id, spec, delta) !== '') {
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
  record(ae, ctx, store, id, ae.cfg.rr ? fresh : delta, from);
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

/** A body of DELTA, ACK, DIGEST or STATE, checked whole before anything changes. */
interface Body {
  /** DIGEST and ACK: 0 or 1 (see the header); DELTA and STATE: 0. */
  kind: number;
  /** The incarnation echoed by a request or an ack (-1 where the body has none). */
  inc: number;
  /** upTo (DELTA, ACK 0) or mark (STATE, DIGEST, ACK 1). */
  n: number;
  entries: Incoming[];
  /** Offered [varId, spec, digest] (DIGEST 0). */
  offers: Item[][];
  /** Requested or acknowledged variable ids (DIGEST 1, ACK 1). */
  ids: string[];
}

function idList(item: Item, max: number): string[] {
  const b = arr(item, 'ids');
  if (b.length > max) throw new DecodeError('count', 'ids: ' + b.length + ' exceeds ' + max);
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) out.push(str(b[i], 'variable id'));
  return out;
}

/**
 * Most variables one frame may name (entries, offers, ids). Not this node's own maxVars: a peer may hold more
 * variables than this node (a Pi next to a board), and its offers and DELTA frames name them all; refusing the
 * frame whole would leave its round or its deltas unacknowledged for ever. 4 x DEFAULT_MAX_VARS, or 4 x our own
 * bound when larger; the decode limits bound the bytes.
 */
function listCap(maxVars: number): number {
  return 4 * (maxVars > DEFAULT_MAX_VARS ? maxVars : DEFAULT_MAX_VARS);
}

function readBody(type: number, body: Item, maxVars: number, types: Registry): Body {
  const b = arr(body, 'body');
  const m: Body = { kind: 0, inc: -1, n: 0, entries: [], offers: [], ids: [] };
  if (type === DELTA || type === STATE) {
    if (b.length !== 2) throw new DecodeError('type', type === DELTA ? 'DELTA: expected [upTo, entries]' : 'STATE: expected [mark, entries]');
    m.n = nat(b[0], type === DELTA ? 'upTo' : 'mark');
    m.entries = readEntries(b[1], listCap(maxVars), types);
    return m;
  }
  m.kind = nat(b[0], type === DIGEST ? 'digest kind' : 'ack kind');
  if (type === DIGEST && m.kind === 0) {
    if (b.length !== 3) throw new DecodeError('type', 'DIGEST offer: expected [0, mark, offers]');
    m.n = nat(b[1], 'mark');
    const offers = arr(b[2], 'offers');
    if (offers.length > listCap(maxVars)) throw new DecodeError('count', 'DIGEST: too many offers');
    let prev: string | undefined;
    for (let i = 0; i < offers.length; i++) {
      const o = arr(offers[i], 'offer', 3);
      const id = str(o[0], 'variable id');
      if (prev !== undefined && !(prev < id)) throw new DecodeError('type', 'offers must be sorted by variable id');
      prev = id;
      m.offers.push([id, str(o[1], 'spec'), nat(o[2], 'digest')]);
    }
  } else if (type === ACK && m.kind === 0) {
    if (b.length !== 3) throw new DecodeError('type', 'ACK: expected [0, inc, upTo]');
    m.inc = nat(b[1], 'incarnation');
    m.n = nat(b[2], 'upTo');
  } else if (m.kind === 1) {
    if (b.length !== 4) throw new DecodeError('type', type === DIGEST ? 'DIGEST request: expected [1, inc, mark, ids]' : 'ACK: expected [1, inc, mark, ids]');
    m.inc = nat(b[1], 'incarnation');
    m.n = nat(b[2], 'mark');
    m.ids = idList(b[3], listCap(maxVars));
  } else throw new DecodeError('type', (type === DIGEST ? 'DIGEST' : 'ACK') + ': unknown kind ' + m.kind);
  return m;
}

/**
 * Handle DELTA, ACK, DIGEST or STATE; false for other types. Throws DecodeError on a malformed body, before
 * anything changed (what is known of the sender included: its incarnation, its acks).
 */
export function onMessage(ae: AeState, ctx: Ctx, store: Store, from: PeerId, inc: number, type: number, body: Item): boolean {
  if (type !== DELTA && type !== ACK && type !== DIGEST && type !== STATE) return false;
  const p = hasOwn(ae.peers, from) ? ae.peers[from] : undefined;
  if (p && p.inc >= 0 && inc < p.inc) {
    ctx.count('ae.stale', 1);
    return true;
  }
  // Further past the known life than any restart goes (runtime/incarnation.ts): a forgery, which taken would
  // make every real message of the neighbour stale.
  if (p && p.inc >= 0 && inc - p.inc > INCARNATION_SLACK) {
    ctx.count('ae.inc.implausible', 1);
    return true;
  }
  const m = readBody(type, body, store.maxVars, store.types);
  if (p) {
    if (p.inc >= 0 && inc > p.inc) {
      // The neighbour restarted: what it acknowledged before may be gone.
      p.acked = -1;
      p.mark = -1;
      p.pending = null;
      ae.calm = false;
    }
    p.inc = inc;
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
  } else {
    onAck(ae, p, m);
  }
  return true;
}

function onOffer(ae: AeState, ctx: Ctx, store: Store, from: PeerId, inc: number, m: Body): void {
  const need: string[] = [];
  let room = store.maxVars - ae.adm.reserve - store.count;
  for (let i = 0; i < m.offers.length; i++) {
    const id = m.offers[i][0] as string;
    const v = get(store, id);
    if (v) {
      if (v.spec !== m.offers[i][1]) ctx.count('ae.spec-mismatch', 1);
      else if (digestOf(v) !== m.offers[i][2]) need.push(id);
    } else if (ctx.wants && !ctx.wants(id)) {
      // Not asked for: never requested, so never held (selective hearing).
    } else {
      const spec = held(store.types, m.offers[i][1] as string);
      const why = spec === null ? 'spec-unknown' : room > 0 ? admission.refusal(ae.adm, store, id, spec, from) : 'full';
      if (why === 'spec-unknown') ctx.count('ae.spec-unknown', 1);
      else if (why === '') {
        need.push(id);
        room--;
      } else ctx.count('admit.' + why, 1);
    }
  }
  if (need.length === 0) ctx.send(from, ACK, [1, inc, m.n, []], CLS_CONTROL);
  else ctx.send(from, DIGEST, [1, inc, m.n, need], CLS_CONTROL);
}

function onRequest(ae: AeState, ctx: Ctx, store: Store, from: PeerId, p: AePeer | undefined, m: Body): void {
  if (!p || m.inc !== ae.inc || p.mark !== m.n) {
    ctx.count('ae.stale', 1);
    return;
  }
  const pending: string[] = [];
  for (let i = 0; i < m.ids.length; i++) {
    const id = m.ids[i];
    if (get(store, id) && pending.indexOf(id) < 0) pending.push(id);
  }
  p.pending = pending;
  if (pending.length === 0) finishRound(ae, p);
  else sendStates(ae, ctx, store, from, p);
}

/** The full states of the round's pending variables, in frames of about maxFrameBytes. */
function sendStates(ae: AeState, ctx: Ctx, store: Store, to: PeerId, p: AePeer): void {
  p.sentAt = ctx.now;
  const pending = (p.pending as string[]).slice().sort(cmpStr);
  let entries: Item[] = [];
  let budget = 0;
  for (let i = 0; i < pending.length; i++) {
    const v = get(store, pending[i]) as Variable;
    const enc = v.type.encode(v.state);
    const size = encode(enc).length + v.id.length + v.spec.length;
    if (entries.length > 0 && budget + size > ae.cfg.maxFrameBytes) {
      sendState(ctx, to, p.mark, entries);
      entries = [];
      budget = 0;
    }
    entries.push([v.id, v.spec, enc]);
    budget += size;
  }
  if (entries.length > 0) sendState(ctx, to, p.mark, entries);
}

function sendState(ctx: Ctx, to: PeerId, mark: number, entries: Item[]): void {
  ctx.send(to, STATE, [mark, entries], CLS_STATE);
  ctx.count('ae.states', entries.length);
}

function finishRound(ae: AeState, p: AePeer): void {
  if (p.mark > p.acked) p.acked = p.mark;
  p.mark = -1;
  p.pending = null;
  gc(ae);
}

function onAck(ae: AeState, p: AePeer | undefined, m: Body): void {
  if (m.kind === 0) {
    // Only acks for this life's sequence numbers, for a neighbour we are streaming deltas to, move anything.
    if (!p || m.inc !== ae.inc || m.n > ae.seq || p.acked < 0) return;
    if (m.n > p.acked) {
      p.acked = m.n;
      gc(ae);
    }
    return;
  }
  if (!p || m.inc !== ae.inc || p.mark !== m.n) return;
  if (p.pending === null) {
    // "Nothing needed" answers the offer directly.
    if (m.ids.length === 0) finishRound(ae, p);
    return;
  }
  for (let i = 0; i < m.ids.length; i++) {
    const k = p.pending.indexOf(m.ids[i]);
    if (k >= 0) p.pending.splice(k, 1);
  }
  if (p.pending.length === 0) finishRound(ae, p);
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
  const b = arr(p, 'payload', 4);
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
  out.push({ kind: 'event', event: { type: 'deliver', msgId: ev.msgId, origin: ev.origin, hops: ev.hops, payload: [b[1], b[2], b[3]] } });
  if (own) return;
  receive(node.ae, node.ca, node.store, from !== '' ? from : ev.origin, id, spec, delta, 'pt');
}

/** The full algorithm as a node part (runtime/node.ts's NodeParts.sync), with the admission policy of
 *  runtime/admission.ts for variables peers introduce (config.admission). */
export const AntiEntropy: SyncPart = {
  init: function (node: PollenNode, c): AeState {
    interest.attach(node.ca, node.cp);
    return init(c.antiEntropy as Partial<AeConfig> | undefined, node.incarnation, admission.init(c.admission, node.store.maxVars));
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
};
