/**
 * Selective hearing: a node may declare an interest set, the variables it cares about; it tells each neighbour,
 * and they send it those variables and nothing else, through Plumtree payloads and anti-entropy alike. A board
 * so never receives, buffers or declares a variable it did not ask for. A node without an interest set hears
 * everything (and says nothing). A gateway relays for everyone; each of its neighbours may hear differently.
 *
 *   const h = init(['temp', 'light'], undefined, 64);   // this node hears temp and light (and what it declares)
 *   neighbor(h, ctx, 'pi', true);    // ctx.send('pi', INTEREST, [['light', 'temp']], CLS_CONTROL)
 *   // on the Pi: onMessage(hp, ctx, 'tag', [['light', 'temp']]); hears(hp, 'tag', 'hum') is then false
 *
 * The message, in the anti-entropy range (messages.ts): INTEREST [[varId, …]], ids sorted, at most the
 * receiver's `maxIds`. It is sent to every new neighbour, to all neighbours when the set grows (a declare adds
 * its variable), and again to a peer that sent a variable outside the set: a lost INTEREST, or a neighbour that
 * restarted and forgot it, so costs one refused delta, never a variable held against the node's will.
 *
 * Bounds: the sets of at most `maxPeers` neighbours are kept (an INTEREST from one more is ignored and counted
 * "interest.full"; that peer then hears everything from this node); a neighbour's set is forgotten when it goes
 * down. A set longer than `maxIds` is a DecodeError. This node's own set holds at most its configured list
 * plus what it declares (the store's bound), so it never grows past config.
 */
import type { Item } from '../crdt/types.ts';
import { DecodeError } from '../crdt/errors.ts';
import { arr, str } from '../crdt/check.ts';
import type { Ctx } from './context.ts';
import { CLS_CONTROL } from './io.ts';
import type { PeerId } from './io.ts';
import { INTEREST } from './messages.ts';
import { dict } from './tables.ts';
import type { StepCtx } from './node.ts';

/** Neighbours whose interest sets are kept: a gateway's clients. 64: as many as a client-server gateway takes. */
export const DEFAULT_MAX_PEERS = 64;

export interface Hearing {
  /** This node's interest set, sorted (the wire form), or null: it hears everything. */
  own: string[] | null;
  /** Neighbours' interest sets by peer (absent: that peer hears everything). */
  peers: { [peer: string]: { [id: string]: boolean } };
  nPeers: number;
  maxPeers: number;
  /** Longest set accepted from a peer. */
  maxIds: number;
}

/** `list`: this node's interest set (undefined: hears everything). `maxVars`: the store's bound, which also
 *  bounds a peer's set (4 x, as a peer may hold more variables than this node). */
export function init(list: string[] | undefined, maxPeers: number | undefined, maxVars: number): Hearing {
  const mp = maxPeers === undefined ? DEFAULT_MAX_PEERS : maxPeers;
  if (typeof mp !== 'number' || mp < 0 || Math.floor(mp) !== mp) throw new Error('node: maxInterestPeers = ' + String(mp) + ' is out of range (a whole number from 0)');
  const h: Hearing = { own: list === undefined ? null : [], peers: dict<{ [id: string]: boolean }>(), nPeers: 0, maxPeers: mp, maxIds: 4 * (maxVars > 64 ? maxVars : 64) };
  // One error for both mistakes: a value that is not a list fails at its first turn.
  for (let i = 0; list !== undefined && i < (Array.isArray(list) ? list.length : 1); i++) {
    if (!Array.isArray(list) || typeof list[i] !== 'string') throw new Error('node: interest must be a list of variable ids');
    // No neighbours yet: nobody to tell.
    add(h, null as unknown as Ctx, [], list[i]);
  }
  return h;
}

/** Does this node want variable `id`? */
export function wants(h: Hearing, id: string): boolean {
  return h.own === null || h.own.indexOf(id) >= 0;
}

/** Add `id` to this node's set; when the set grew, neighbours `nbrs` are told the new set. */
export function add(h: Hearing, ctx: Ctx, nbrs: PeerId[], id: string): void {
  const own = h.own;
  if (own === null || own.indexOf(id) >= 0) return;
  // Kept sorted by code unit (the wire form; cmpStr's order): a linear insert, the set is short.
  let k = 0;
  while (k < own.length && own[k] < id) k++;
  own.splice(k, 0, id);
  for (let i = 0; i < nbrs.length; i++) neighbor(h, ctx, nbrs[i], true);
}

/** Does `peer` want to hear of variable `id`? */
export function hears(h: Hearing, peer: PeerId, id: string): boolean {
  const set = h.peers[peer];
  return set === undefined || set[id] === true;
}

/** Neighbour `peer` came up: it is told this node's set (also how the set is told again); or went down: its
 *  set is forgotten. */
export function neighbor(h: Hearing, ctx: Ctx, peer: PeerId, up: boolean): void {
  if (up) {
    if (h.own !== null) ctx.send(peer, INTEREST, [h.own], CLS_CONTROL);
  } else if (h.peers[peer] !== undefined) {
    delete h.peers[peer];
    h.nPeers--;
  }
}

/** A variable outside the set came from `from`: count it and tell `from` the set again. */
export function refused(h: Hearing, ctx: Ctx, from: PeerId): void {
  ctx.count('interest.refused', 1);
  if (from !== '' && from !== ctx.self) neighbor(h, ctx, from, true);
}

/** INTEREST from a peer: checked whole, then its set replaces the one kept. Returns true when the peer now
 *  hears a variable it did not before (the caller brings it up to date on those). Throws DecodeError. */
export function onMessage(h: Hearing, ctx: Ctx, from: PeerId, body: Item): boolean {
  const b = arr(body, 'INTEREST', 1);
  const list = arr(b[0], 'interest set');
  if (list.length > h.maxIds) throw new DecodeError('count', 'interest set of ' + list.length + ' ids exceeds ' + h.maxIds);
  const set = dict<boolean>();
  let prev = '';
  for (let i = 0; i < list.length; i++) {
    const id = str(list[i], 'variable id');
    if (i > 0 && !(prev < id)) throw new DecodeError('type', 'interest set must be sorted, without repeats');
    prev = id;
    set[id] = true;
  }
  const old = h.peers[from];
  if (old === undefined) {
    if (h.nPeers >= h.maxPeers) {
      ctx.count('interest.full', 1);
      return false;
    }
    h.nPeers++;
  }
  h.peers[from] = set;
  ctx.count('interest.heard', 1);
  if (old === undefined) return false;
  for (let i = 0; i < list.length; i++) if (old[list[i] as string] !== true) return true;
  return false;
}

// Selective hearing as the full layers ask it (runtime/context.ts), set on a node's Ctx by `attach`.
function ctxHears(this: StepCtx, peer: PeerId, id: string): boolean {
  return hears(this.node.hear, peer, id);
}
function ctxWants(this: StepCtx, id: string): boolean {
  return wants(this.node.hear, id);
}
function ctxAccepts(this: StepCtx, from: PeerId, id: string): boolean {
  if (wants(this.node.hear, id)) return true;
  refused(this.node.hear, this, from);
  return false;
}
/** A CRDT payload [1, varId, spec, delta] goes only where its variable is heard; anything else goes anywhere. */
function ctxCarries(this: StepCtx, peer: PeerId, payload: Item): boolean {
  return !(Array.isArray(payload) && payload[0] === 1 && typeof payload[1] === 'string') || hears(this.node.hear, peer, payload[1]);
}

/**
 * Give a node's Ctx the selective-hearing questions the full layers ask: `hears`, `wants` and `accepts` for
 * antientropy.ts (on the anti-entropy Ctx), `carries` for Plumtree (on its Ctx). AntiEntropy calls it when a node
 * is composed; a profile without those layers carries none of this code.
 */
export function attach(ca: StepCtx, cp: StepCtx): void {
  ca.hears = ctxHears;
  ca.wants = ctxWants;
  ca.accepts = ctxAccepts;
  cp.carries = ctxCarries;
}
