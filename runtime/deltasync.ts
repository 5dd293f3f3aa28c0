/**
 * Delta anti-entropy for a client: the part a board composes instead of antientropy.ts (runtime/node.ts's
 * NodeParts.sync). Same wire (PROTOCOL.md, "Delta anti-entropy"), so a board running it syncs with a gateway
 * running the full algorithm; a few functions instead of thirty, because a client with one or two servers can do
 * without three things, each stated with what it costs:
 *
 * - Redundancy removal and relaying. A received delta is joined into the state in place (the type's joinInto) and
 *   not buffered: a client's only neighbours are its servers, which hold the delta already or get it from each
 *   other through their own mesh, so nothing it receives is for it to pass on. Costs nothing on a star.
 * - The digest offer. A neighbour that is new, restarted, or behind what the buffer still holds is brought up to
 *   date with the full state of every variable it hears (STATE, acknowledged per variable, resent until
 *   acknowledged) instead of a DIGEST offer first. Costs the bytes of the board's states at each (re)connection,
 *   where the full algorithm would send a digest and only the states that differ. A DIGEST offer from a
 *   neighbour is answered as the full algorithm does (requesting what differs), so the gateway's rounds stay
 *   cheap.
 * - Admission of strangers' variables. Only declared variables are joined: anything else is refused and counted
 *   ("ae.undeclared"), and one outside the interest set also re-announces the set (runtime/interest.ts). A board
 *   declares what it asked for, so it never holds a variable it did not ask for. (A node that should take
 *   variables from peers composes antientropy.ts and its admission policy.)
 *
 * Bounds, checked before anything grows: the buffer holds at most `maxEntries` deltas and `maxBytes` of them (the
 * oldest goes, "ae.overflow", and a neighbour that still needed it gets full states); at most `maxPeers`
 * neighbours are synced (one more is refused, "ae.peers.full": it is not sent to until one goes); a frame carries
 * about `maxFrameBytes` of entries (at least one); a received frame names at most 4 x the store's bound.
 */
import type { Item } from '../crdt/types.ts';
import { DecodeError } from '../crdt/errors.ts';
import { arr, nat, str } from '../crdt/check.ts';
import { sortedKeys } from '../crdt/keys.ts';
import { encode } from '../crdt/codec/cbor.ts';
import { join } from '../crdt/core.ts';
import { CLS_CONTROL, CLS_DELTA, CLS_STATE } from './io.ts';
import type { PeerId } from './io.ts';
import { ACK, DELTA, DIGEST, STATE } from './messages.ts';
import { below } from './rng.ts';
import { fnv1a } from './digest.ts';
import { knobs } from './knobs.ts';
import { dict } from './tables.ts';
import * as interest from './interest.ts';
import { type Variable, StoreError, absorb, get, sizeOf } from './store.ts';
import type { PollenNode, SyncPart } from './node.ts';

export interface SyncConfig {
  /** ms between sync rounds while a neighbour is behind (as antientropy.ts). */
  period: number;
  /** Bound on buffered deltas. 16: a burst of updates between two rounds on a board. */
  maxEntries: number;
  /** Bound on the buffer's encoded bytes. 1 KB on a board that holds a few small states. */
  maxBytes: number;
  /** Soft bound on the entries of one frame (one entry always goes). */
  maxFrameBytes: number;
  /** ms after which unacknowledged STATEs are sent again. */
  retry: number;
  /** Neighbours synced at once: a client has one or two servers. */
  maxPeers: number;
}

export const SYNC_DEFAULTS: SyncConfig = { period: 1000, maxEntries: 16, maxBytes: 1024, maxFrameBytes: 1024, retry: 1000, maxPeers: 4 };
export const SYNC_RANGES: { [knob: string]: string } = { period: 'ms 1', maxEntries: 'count 0', maxBytes: 'count 0', maxFrameBytes: 'count 0', retry: 'ms 1', maxPeers: 'count 1' };

interface Entry {
  seq: number;
  id: string;
  delta: any;
  size: number;
}

interface Peer {
  /** Next sequence number it needs; -1 unknown (full states are due). */
  acked: number;
  /** Its incarnation as last seen (-1 before any). */
  inc: number;
  /** The STATE round in progress (our sequence number when it began), or -1; its variables still unacknowledged. */
  mark: number;
  pending: string[];
  sentAt: number;
}

export interface SyncState {
  cfg: SyncConfig;
  inc: number;
  seq: number;
  low: number;
  buf: Entry[];
  bytes: number;
  peers: { [peer: string]: Peer };
  n: number;
  armed: boolean;
}

const TIMER = 'ae.sync';

function onMessage(node: PollenNode, from: PeerId, inc: number, type: number, body: Item): boolean {
  if (type !== DELTA && type !== ACK && type !== DIGEST && type !== STATE) return false;
  const ae = node.ae as SyncState;
  const p = ae.peers[from];
  if (p && inc < p.inc) {
    node.ca.count('ae.stale', 1);
    return true;
  }
  const b = arr(body, 'body');
  const kind = type === DELTA || type === STATE ? 0 : nat(b[0], 'kind');
  if (kind > 1 || b.length !== (kind === 1 ? 4 : type === DELTA || type === STATE ? 2 : 3)) throw new DecodeError('type', 'anti-entropy body of type ' + type + ': wrong shape');
  if (p && inc > p.inc) {
    // The neighbour restarted: what it acknowledged may be gone.
    if (p.inc >= 0) p.acked = p.mark = -1;
    p.inc = inc;
  }
  if (type === DELTA || type === STATE) {
    const n = nat(b[0], 'upTo');
    // The entries (at most 4 x the store's bound), checked whole, then joined; every one counts as taken.
    const list = arr(b[1], 'entries');
    if (list.length > 4 * node.store.maxVars + 4) throw new DecodeError('count', 'entries: ' + list.length + ' are too many');
    const got: any[] = [];
    for (let i = 0; i < list.length; i++) {
      const e = arr(list[i], 'entry', 3);
      const id = str(e[0], 'variable id');
      if (i > 0 && !(got[i - 1][0] < id)) throw new DecodeError('type', 'entries must be sorted by variable id');
      const v = get(node.store, id);
      const spec = str(e[1], 'spec');
      // Only a declared variable's entry is decoded (by its own type, its spec as peers send it: canonical), so
      // nothing else is held even for a moment.
      got.push([id, spec, v && spec === v.spec && interest.wants(node.hear, id) ? v.type.decode(e[2]) : null]);
    }
    // Each joined in place when declared and wanted; anything else is refused and counted (one outside the
    // interest set also re-announces it). Every entry counts as taken: one refused here never will be taken.
    const done: string[] = [];
    for (let i = 0; i < got.length; i++) {
      const id = got[i][0];
      const v = get(node.store, id);
      done.push(id);
      if (!interest.wants(node.hear, id)) interest.refused(node.hear, node.ca, from);
      else if (got[i][2] === null) node.ca.count(v ? 'ae.spec-mismatch' : 'ae.undeclared', 1);
      else {
        try {
          if (absorb(node.store, id, got[i][2])) node.ca.emit({ type: 'changed', id: id });
          else node.ca.count('ae.redundant', 1);
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          node.ca.count('store.refused.' + e.reason, 1);
        }
      }
    }
    node.ca.send(from, ACK, type === DELTA ? [0, inc, n] : [1, inc, n, done], CLS_CONTROL);
  } else if (type === DIGEST && kind === 0) {
    // An offer: ask for the variables whose digest differs (ones not held here are never asked for).
    const mark = nat(b[1], 'mark');
    const offers = arr(b[2], 'offers');
    if (offers.length > 4 * node.store.maxVars + 4) throw new DecodeError('count', 'DIGEST: too many offers');
    const need: string[] = [];
    for (let i = 0; i < offers.length; i++) {
      const o = arr(offers[i], 'offer', 3);
      const v = get(node.store, str(o[0], 'variable id'));
      const d = nat(o[2], 'digest');
      if (!v || v.spec !== o[1]) continue;
      if (v.digest < 0) {
        const bytes = encode(v.type.encode(v.state));
        v.digest = fnv1a(bytes);
        v.bytes = bytes.length;
      }
      if (v.digest !== d) need.push(v.id);
    }
    node.ca.send(from, need.length > 0 ? DIGEST : ACK, [1, inc, mark, need], CLS_CONTROL);
  } else if (type === ACK && p && nat(b[1], 'incarnation') === ae.inc) {
    const n = nat(b[2], 'upTo');
    if (kind === 0 && n <= ae.seq && n > p.acked && p.acked >= 0) p.acked = n;
    else if (kind === 1 && n === p.mark) {
      const got = arr(b[3], 'ids');
      for (let i = 0; i < got.length; i++) {
        const k = p.pending.indexOf(got[i] as string);
        if (k >= 0) p.pending.splice(k, 1);
      }
      if (p.pending.length === 0) {
        if (p.mark > p.acked) p.acked = p.mark;
        p.mark = -1;
      }
    }
  } else node.ca.count('ae.stale', 1);
  // (A DIGEST request: this part never offers, so it is never one it asked for.)
  return true;
}

/** Every `period` while a neighbour is behind: full states to the new and the overflowed, deltas to the rest. */
function onTimer(node: PollenNode, id: string): boolean {
  if (id !== TIMER) return false;
  const ae = node.ae as SyncState;
  ae.armed = false;
  const ps = sortedKeys(ae.peers);
  const names = sortedKeys(node.store.vars);
  for (let k = 0; k < ps.length; k++) {
    const peer = ps[k];
    const p = ae.peers[peer];
    const list: Item[][] = [];
    let type = DELTA;
    let head = ae.seq;
    if (p.acked < ae.low) {
      if (p.mark < 0) {
        p.mark = ae.seq;
        p.pending = [];
        for (let i = 0; i < names.length; i++) if (interest.hears(node.hear, peer, names[i])) p.pending.push(names[i]);
        node.ca.count('ae.rounds', 1);
      } else if (node.ca.now - p.sentAt < ae.cfg.retry) continue;
      else node.ca.count('ae.retries', 1);
      p.sentAt = node.ca.now;
      for (let i = 0; i < names.length; i++) {
        const v = get(node.store, names[i]) as Variable;
        if (p.pending.indexOf(v.id) >= 0) list.push([v.id, v.spec, v.type.encode(v.state)]);
      }
      type = STATE;
      head = p.mark;
      if (list.length === 0) {
        p.acked = p.mark;
        p.mark = -1;
      } else node.ca.count('ae.states', list.length);
    } else {
      // The delta-interval since its ack, joined per variable (what it cannot hear is left out).
      const joined = dict<any>();
      for (let i = 0; i < ae.buf.length; i++) {
        const e = ae.buf[i];
        if (e.seq < p.acked || !interest.hears(node.hear, peer, e.id)) continue;
        const v = get(node.store, e.id) as Variable;
        joined[e.id] = e.id in joined ? join(v.type, joined[e.id], e.delta) : e.delta;
      }
      const ks = sortedKeys(joined);
      for (let i = 0; i < ks.length; i++) {
        const v = get(node.store, ks[i]) as Variable;
        list.push([v.id, v.spec, v.type.encode(joined[v.id])]);
      }
      if (list.length === 0) p.acked = ae.seq;
      else node.ca.count('ae.deltas', 1);
    }
    // The entries [varId, spec, item] go in frames of about maxFrameBytes each (at least one entry a frame).
    let from = 0;
    let bytes = 0;
    for (let i = 0; i <= list.length; i++) {
      const size = i < list.length ? encode(list[i][2]).length + 8 : 0;
      if (i === list.length || (i > from && bytes + size > ae.cfg.maxFrameBytes)) {
        if (i > from) node.ca.send(peer, type, [head, list.slice(from, i)], type === STATE ? CLS_STATE : CLS_DELTA);
        from = i;
        bytes = 0;
      }
      bytes += size;
    }
  }
  return true;
}

const DeltaSync: SyncPart = {
  init: function (node: PollenNode, c: any): SyncState {
    if (c.admission !== undefined) throw new Error('node: admission needs AntiEntropy, not DeltaSync');
    return { cfg: knobs('anti-entropy', SYNC_DEFAULTS, SYNC_RANGES, c.antiEntropy), inc: node.incarnation, seq: 0, low: 0, buf: [], bytes: 0, peers: dict<Peer>(), n: 0, armed: false };
  },
  onMessage: onMessage,
  onTimer: onTimer,
  /** A neighbour came up (1), went down (0) or hears more than before (2: bring it up to date). */
  peer: function (node: PollenNode, peer: PeerId, how: number): void {
    const ae = node.ae as SyncState;
    const p = ae.peers[peer];
    if (how === 1 && !p) {
      if (ae.n >= ae.cfg.maxPeers) node.ca.count('ae.peers.full', 1);
      else {
        ae.peers[peer] = { acked: -1, inc: -1, mark: -1, pending: [], sentAt: 0 };
        ae.n++;
      }
    } else if (how === 0 && p) {
      delete ae.peers[peer];
      ae.n--;
      } else if (how === 2 && p) p.acked = p.mark = -1;
  },
  /**
   * After every step: drop what every neighbour acknowledged, then set the sync timer while a neighbour is behind
   * (none behind: no timer, a board may sleep). The buffer is trimmed here, once a step, not after each ack.
   */
  arm: function (node: PollenNode): void {
    const ae = node.ae as SyncState;
    let floor = ae.seq;
    let behind = false;
    const ps = Object.keys(ae.peers);
    for (let i = 0; i < ps.length; i++) {
      const p = ae.peers[ps[i]];
      const f = p.acked >= ae.low ? p.acked : p.mark >= 0 ? p.mark : ae.seq;
      if (f < floor) floor = f;
      if (p.acked < ae.low || p.acked < ae.seq || p.mark >= 0) behind = true;
    }
    while (ae.buf.length > 0 && ae.buf[0].seq < floor) ae.bytes -= (ae.buf.shift() as Entry).size;
    if (floor > ae.low) ae.low = floor;
    if (!behind || ae.armed) return;
    ae.armed = true;
    node.ca.setTimer(TIMER, node.ca.now + ae.cfg.period + below(node.ca.rng, Math.floor(ae.cfg.period / 4) + 1));
  },
  /** A local update's delta: buffered for every neighbour, the oldest entries going past the bounds. */
  record: function (node: PollenNode, id: string, delta: any): void {
    const ae = node.ae as SyncState;
    const v = get(node.store, id) as Variable;
    const size = sizeOf(v.type, delta) + id.length + 4;
    ae.buf.push({ seq: ae.seq++, id: id, delta: delta, size: size });
    ae.bytes += size;
    while (ae.buf.length > 0 && (ae.buf.length > ae.cfg.maxEntries || ae.bytes > ae.cfg.maxBytes)) {
      const old = ae.buf.shift() as Entry;
      ae.bytes -= old.size;
      ae.low = old.seq + 1;
      node.ca.count('ae.overflow', 1);
    }
  },
};

export { DeltaSync };
