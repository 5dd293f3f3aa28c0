/**
 * Plumtree: epidemic broadcast trees (Leitão, Pereira, Rodrigues, SRDS 2007), sans-IO, over whatever neighbours
 * the membership layer reports (neighborUp / neighborDown). It knows nothing of views, links or bytes.
 *
 * The algorithm, as in the paper (its Algorithm 1 and the optimization that follows it), with two departures:
 * - A new neighbour starts eager while fewer than `eagerStart` are, lazy otherwise. The default (5, an active
 *   view) starts every one eager as the paper does, so the first broadcast floods every link (at 1,000 nodes an
 *   RMR of 2.9 for that message, 0.1 averaged over 30); 2 cuts that to 0.03 but broke 10^5 nodes (see the knob). A payload goes whole (GOSSIP)
 *   to eager peers and as an IHAVE announcement to lazy peers; announcements are batched per peer and flushed
 *   after `ihaveFlush`.
 * - A GOSSIP for a message already received means two paths reach this node: its sender becomes lazy and is
 *   told so with PRUNE. The eager links so shrink to a spanning tree and each payload crosses each node once.
 *   (A copy again from the peer that delivered it is no second path but a duplicated frame: nothing is pruned.)
 * - An IHAVE for a message not received starts timer T1. When it fires, the announcer of the fewest hops (the
 *   first of them on a tie) is sent GRAFT (and becomes eager: the tree is repaired through it) and T2 < T1 is
 *   set for the next announcer in order of hops, and so on. A GRAFT is answered with the payload when it is
 *   still cached, and makes the grafter eager.
 * - Optimization: an announcement whose hop count plus `threshold` is still below that of the copy that
 *   arrived eagerly swaps the two links (GRAFT without a message to the announcer, PRUNE to the eager parent).
 *   The second departure: a later eager copy on such a shorter path swaps as well (its sender is kept, the
 *   parent pruned), where the paper prunes whichever copy came second. With threshold 0 a tree built by first
 *   arrival (fast paths of many hops) turns into a shortest-path tree from the sender.
 *
 * Delivery has one channel: `ctx.emit({ type: 'deliver', msgId, origin, hops, payload })`, once per message
 * while its id is remembered, also at the origin (hops 0) from `broadcast`. An emit that throws DecodeError for
 * a received payload rejects it: onMessage throws before anything changed, so garbage is not spread. runtime/node.ts intercepts that
 * event in the Ctx it hands this module and passes CRDT payloads to the store; a standalone user just reads the
 * events. onMessage only says whether the type was Plumtree's, which keeps one way to learn of a delivery.
 *
 *   const s = init('a', { t1: 400 });
 *   neighborUp(s, ctx, 'b');
 *   broadcast(s, ctx, 'hello');                         // ctx.send('b', GOSSIP, ['a:0:0', 1, 'hello'], CLS_PAYLOAD)
 *   onMessage(s, ctx, 'b', GOSSIP, ['b:0:0', 1, 'hi']); // true; ctx.emit({ type: 'deliver', ... })
 *
 * Message ids are `origin:incarnation:sequence`, the two numbers in base 36 ("a:0:1z"). That is short, free of
 * collisions by construction (a hash of a few bytes is not: 32 bits collide after about 65,000 messages, and a
 * collision silently drops a message), deterministic, and names the origin, so bodies need not carry it. The
 * incarnation keeps a restarted node's new messages apart from its earlier life's, which peers may still hold.
 *
 * Bodies (arrays, PROTOCOL.md):
 *   GOSSIP [msgId, hops, payload]   hops: links crossed when it arrives (the origin sends 1)
 *   IHAVE  [[msgId, hops], …]       hops: what the receiver's copy would have if grafted from the sender
 *   GRAFT  [msgId] or []            [] only asks to become eager (the optimization)
 *   PRUNE  []
 * A malformed body throws DecodeError (runtime/node.ts counts and drops it) before anything changed.
 *
 * Bounds and policies when full:
 * - Received ids: at most `maxIds`, each kept `idTtl`; the oldest goes first. A duplicate that comes back
 *   after its id was forgotten is delivered again (harmless for CRDT deltas, which are idempotent).
 * - Cached payloads (for GRAFT answers): the newest `cacheSize`, each kept `cacheTtl`; oldest dropped first.
 *   A GRAFT for a dropped payload goes unanswered; the grafter's T2 tries the next announcer.
 * - Missing ids (announced, not received): at most `maxMissing`, each with at most MAX_ANNOUNCERS announcers
 *   and `maxGrafts` attempts; announcements past the bound are ignored (anti-entropy is the backstop).
 * - IHAVE queue: at most `maxLazyQueue` entries per peer; a full queue is flushed at once, so nothing is lost
 *   and memory stays at peers × maxLazyQueue.
 */
import type { Item } from '../crdt/types.ts';
import { arr, nat, str, fail } from '../crdt/check.ts';
import { sortedKeys } from '../crdt/keys.ts';
import type { Ctx } from './context.ts';
import { CLS_CONTROL, CLS_PAYLOAD } from './io.ts';
import type { PeerId } from './io.ts';
import { GOSSIP, GRAFT, IHAVE, PRUNE, MAX_PEER_ID } from './messages.ts';
import { knobs } from './knobs.ts';
import { dict, insertSorted, removeFrom } from './tables.ts';

export interface PlumtreeConfig {
  /** ms from the first IHAVE of a missing message to the first GRAFT. 400 ms: longer than the usual spread of
   *  eager-path latency over a few 20–50 ms MQTT/BLE hops, so a slow tree is not mistaken for a broken one.
   *  The paper only asks T1 > T2 and leaves the values open; a guess, to be validated in the simulator. */
  t1: number;
  /** ms between later GRAFTs to the next announcers. 200 ms: half of T1, as the paper asks T2 < T1; a guess. */
  t2: number;
  /** ms an IHAVE waits for others to the same peer (the paper leaves the lazy push policy open and suggests
   *  batching). 50 ms: well under T1, so batching barely delays a repair; a guess. */
  ihaveFlush: number;
  /** hops: an announced (or eagerly pushed) path more than this much shorter than the one delivered replaces
   *  it. 7, the paper's value, kept as the default until 0 is measured at 10^5 nodes. Measured (tools/bench/sim.ts, 1,000 nodes, seed 1, eagerStart 2): LDH mean 9.0
   *  for a single sender at 0, 10.7 at 1; 19.2 and 19.7 for random senders (before: 11.6 and 22.9 with 7 and
   *  every neighbour eager). The price is swaps under concurrent senders: 100 nodes all sending, RMR 0.85 at
   *  0, 0.82 at 1, 0.78 at 2 (0.68 before). */
  threshold: number;
  /** payloads kept for GRAFT answers. 128: GRAFTs come within T1 + a few T2 of the GOSSIP (about 1 s), so the
   *  cache must hold what arrives in a second: measured, 100 nodes all sending (100 messages/s) miss 20% of
   *  deliveries with 16 (GRAFTs find the payload gone), 0.5% with 64, none with 128 (tools/bench/sim.ts). A board
   *  sets 16 (targets/espruino/knobs.ts): it neither sees nor could hold such a rate. */
  cacheSize: number;
  /** ms a payload stays cached. 10 s: T1 plus several T2 with room for slow links; a guess. */
  cacheTtl: number;
  /** ids remembered for duplicate detection; a cached payload goes with its id. 512: several seconds of the
   *  100-message/s load above (64 forgot ids, and their payloads, in under a second there). About 6 board
   *  variables each, so a board sets 64 (targets/espruino/knobs.ts). */
  maxIds: number;
  /** ms an id is remembered. 60 s: far longer than any duplicate should take to arrive; a guess. */
  idTtl: number;
  /** IHAVE entries queued per lazy peer before the batch is sent at once. 16: keeps a frame small; a guess. */
  maxLazyQueue: number;
  /** missing messages tracked at once. 128: measured, 100 nodes all sending (100 messages/s, 4 seeds of
   *  tools/bench/sim.ts), 32 left 82 to 1,441 announcements ignored (pt.missing.full) and 3 to 29 deliveries
   *  missed, 128 none of either. A board keeps 32 (targets/espruino/knobs.ts): it sees no such rate. */
  maxMissing: number;
  /** GRAFTs sent for one missing message before giving up (anti-entropy takes over). 6: every announcer of a
   *  5-peer active view once, plus one retry; at 30% loss it halves the give-ups of 4. A guess. */
  maxGrafts: number;
  /** eager peers a node takes on as neighbours come up: a new neighbour starts eager only while fewer than this
   *  many are, lazy otherwise (a lazy one is told by IHAVE and grafted when needed; one that pushes a first copy
   *  becomes eager). 2: measured at 1,000 nodes, single sender, 30 messages (seed 1), the first message's RMR is
   *  2.9 with every neighbour eager (5), 1.2 with 3, 0.7 with 2: an RMR mean of 0.098, 0.047 and 0.026. With
   *  fewer eager links the first message takes longer paths (LDH 11 with 5, 18 with 3, 34 with 2), which the
   *  optimization then shortens; 0 would deliver every first message by GRAFT, T1 per hop. The default stays 5:
   *  with 2 (and threshold 0), 10^5 nodes joining during the run (tools/bench/sim.ts --child big 100000) missed
   *  215,996 deliveries (4 before), first messages running into maxHops; not yet understood. */
  eagerStart: number;
  /** hops past which a GOSSIP is delivered but not forwarded: a cap on circulation should ids be forgotten
   *  under heavy load. 64: above the LDH of 10,000-node overlays once the tree settles (14–19 measured), a
   *  guess; the first message through a fresh 10,000-node overlay, on eagerStart links, reached it (100 nodes
   *  delivered it unforwarded, none missed it). */
  maxHops: number;
}

export const PLUMTREE_DEFAULTS: PlumtreeConfig = {
  t1: 400,
  t2: 200,
  ihaveFlush: 50,
  threshold: 7,
  cacheSize: 128,
  cacheTtl: 10000,
  maxIds: 512,
  idTtl: 60000,
  maxLazyQueue: 16,
  maxMissing: 128,
  maxGrafts: 6,
  maxHops: 64,
  eagerStart: 5,
};

/** What each knob may be (runtime/knobs.ts). Timers at least 1 ms (0 would spin the flush and graft timers);
 *  a queue of at least one IHAVE, at least one GRAFT per missing message, and a hop cap of at least 1 (the
 *  origin sends hops 1, so 0 would forward nothing). No cache, no remembered ids or no tracked missing
 *  messages (0) are handled: every id is then delivered again, and anti-entropy does all repairs. */
export const PLUMTREE_RANGES: { [knob: string]: string } = {
  t1: 'ms 1',
  t2: 'ms 1',
  ihaveFlush: 'ms 1',
  threshold: 'count 0',
  cacheSize: 'count 0',
  cacheTtl: 'ms 1',
  maxIds: 'count 0',
  idTtl: 'ms 1',
  maxLazyQueue: 'count 1',
  maxMissing: 'count 0',
  maxGrafts: 'count 1',
  maxHops: 'count 1',
  eagerStart: 'count 0',
};

/** Announcers remembered per missing message: more than an active view (5) holds, so none is lost in practice. */
export const MAX_ANNOUNCERS = 8;
/** Longest message id accepted from a peer, in characters: an origin of up to MAX_PEER_ID (runtime/messages.ts,
 *  where every layer takes its bound), two colons, and an incarnation and a sequence in base 36 (at most 11
 *  characters each below 2^53). Derived, so a node whose id passes composeNode never has its messages dropped. */
export const MAX_MSG_ID = MAX_PEER_ID + 2 + 11 + 11;

export const TIMER_FLUSH = 'pt.flush';
export const TIMER_GC = 'pt.gc';
/** Prefix of the per-message graft timer: "pt.graft.<msgId>". */
export const TIMER_GRAFT = 'pt.graft.';

/** A message this node has received (or sent). */
export interface Received {
  /** Hops of the copy that was delivered (after an optimization: of the shorter path). */
  hops: number;
  /** The peer it came from eagerly (this node's own id for its own broadcasts). */
  parent: PeerId;
  /** ms when it arrived: ids and payloads expire by age. */
  at: number;
  /** Kept for GRAFT answers while cached; null once dropped. */
  payload: Item | null;
}

export interface Announcer {
  peer: PeerId;
  hops: number;
}

export interface Missing {
  /** In announcement order; rotated as each is grafted, so retries go round them. */
  ann: Announcer[];
  grafts: number;
}

export interface PlumtreeState {
  self: PeerId;
  cfg: PlumtreeConfig;
  /** Sequence number of this node's next broadcast. */
  seq: number;
  /** Sorted; disjoint from lazy. Both together are the neighbours. */
  eager: PeerId[];
  lazy: PeerId[];
  /** Received messages by id (a null-prototype object: ids come from peers). */
  received: { [msgId: string]: Received };
  /** Their ids in arrival order (oldest first); those still holding a payload are the last `cached`. */
  order: string[];
  cached: number;
  missing: { [msgId: string]: Missing };
  missingCount: number;
  /** IHAVE entries [msgId, hops] waiting per lazy peer. */
  queue: { [peer: string]: Item[] };
  flushArmed: boolean;
  /** When the expiry timer is set to fire, or -1. */
  gcAt: number;
}

export interface PlumtreeStats {
  eager: number;
  lazy: number;
  /** Ids remembered. */
  received: number;
  /** Payloads cached. */
  cached: number;
  missing: number;
  /** IHAVE entries waiting. */
  queued: number;
}

/** A fresh state; `config` may set any knob of PlumtreeConfig (others keep PLUMTREE_DEFAULTS); a bad one throws
 *  (runtime/knobs.ts). Tables keyed by ids from peers are dicts (runtime/tables.ts: no prototype). */
export function init(self: PeerId, config?: Partial<PlumtreeConfig>): PlumtreeState {
  const cfg = knobs('plumtree', PLUMTREE_DEFAULTS, PLUMTREE_RANGES, config);
  return {
    self: self,
    cfg: cfg,
    seq: 0,
    eager: [],
    lazy: [],
    received: dict<Received>(),
    order: [],
    cached: 0,
    missing: dict<Missing>(),
    missingCount: 0,
    queue: dict<Item[]>(),
    flushArmed: false,
    gcAt: -1,
  };
}

// The eager and lazy sets are sorted peer lists (insertSorted, removeFrom: runtime/tables.ts).

function isNeighbor(s: PlumtreeState, p: PeerId): boolean {
  return s.eager.indexOf(p) >= 0 || s.lazy.indexOf(p) >= 0;
}

/** Only neighbours change sets: a stranger's message is served but never makes it a peer. */
function makeEager(s: PlumtreeState, p: PeerId): void {
  if (removeFrom(s.lazy, p)) insertSorted(s.eager, p);
}

function makeLazy(s: PlumtreeState, p: PeerId): void {
  if (removeFrom(s.eager, p)) insertSorted(s.lazy, p);
}

/** A new neighbour starts eager while fewer than eagerStart are (a first duplicate prunes it if the tree already
 *  reaches this node otherwise), lazy beyond: it is then told by IHAVE and grafted when needed. */
export function neighborUp(s: PlumtreeState, _ctx: Ctx, peer: PeerId): void {
  if (peer === s.self || isNeighbor(s, peer)) return;
  insertSorted(s.eager.length < s.cfg.eagerStart ? s.eager : s.lazy, peer);
}

export function neighborDown(s: PlumtreeState, _ctx: Ctx, peer: PeerId): void {
  removeFrom(s.eager, peer);
  removeFrom(s.lazy, peer);
  delete s.queue[peer];
  // A GRAFT to a gone peer would only cost a T2; the order of this walk reaches no output.
  const ids = Object.keys(s.missing);
  for (let i = 0; i < ids.length; i++) {
    const ann = s.missing[ids[i]].ann;
    for (let j = ann.length - 1; j >= 0; j--) if (ann[j].peer === peer) ann.splice(j, 1);
  }
}

export function eagerPeers(s: PlumtreeState): PeerId[] {
  return s.eager.slice();
}

export function lazyPeers(s: PlumtreeState): PeerId[] {
  return s.lazy.slice();
}

export function stats(s: PlumtreeState): PlumtreeStats {
  let queued = 0;
  const ps = Object.keys(s.queue);
  for (let i = 0; i < ps.length; i++) queued += s.queue[ps[i]].length;
  return { eager: s.eager.length, lazy: s.lazy.length, received: s.order.length, cached: s.cached, missing: s.missingCount, queued: queued };
}

/** Has this id been received (and not yet forgotten)? */
export function has(s: PlumtreeState, msgId: string): boolean {
  return msgId in s.received;
}

/** The origin named by a message id, or null when the id is not of the form origin:inc:seq. */
export function originOf(msgId: string): string | null {
  if (msgId.length > MAX_MSG_ID) return null;
  const j = msgId.lastIndexOf(':');
  if (j < 0 || !base36(msgId, j + 1, msgId.length)) return null;
  const k = msgId.lastIndexOf(':', j - 1);
  if (k <= 0 || !base36(msgId, k + 1, j)) return null;
  return msgId.slice(0, k);
}

function base36(t: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

function msgId(item: Item): string {
  const id = str(item, 'message id');
  if (originOf(id) === null) fail('message id: expected origin:incarnation:sequence of at most ' + MAX_MSG_ID + ' characters');
  return id;
}

/** Broadcast a payload from this node; returns its message id. It is delivered here too, with hops 0. */
export function broadcast(s: PlumtreeState, ctx: Ctx, payload: Item): string {
  const id = s.self + ':' + ctx.incarnation.toString(36) + ':' + s.seq.toString(36);
  s.seq++;
  remember(s, ctx, id, 0, s.self, payload);
  ctx.emit({ type: 'deliver', msgId: id, origin: s.self, hops: 0, payload: payload });
  push(s, ctx, id, 1, payload, s.self);
  return id;
}

/**
 * Handle a message of the Plumtree range. Returns false when `type` is not Plumtree's (the caller routes it
 * elsewhere); throws DecodeError for a malformed body, before any change.
 */
export function onMessage(s: PlumtreeState, ctx: Ctx, from: PeerId, type: number, body: Item): boolean {
  if (type === GOSSIP) {
    const b = arr(body, 'GOSSIP', 3);
    onGossip(s, ctx, from, msgId(b[0]), nat(b[1], 'GOSSIP hops'), b[2]);
  } else if (type === IHAVE) {
    const b = arr(body, 'IHAVE');
    const ids: string[] = [];
    const hops: number[] = [];
    for (let i = 0; i < b.length; i++) {
      const e = arr(b[i], 'IHAVE entry', 2);
      ids.push(msgId(e[0]));
      hops.push(nat(e[1], 'IHAVE hops'));
    }
    for (let i = 0; i < ids.length; i++) onIHave(s, ctx, from, ids[i], hops[i]);
  } else if (type === GRAFT) {
    const b = arr(body, 'GRAFT');
    if (b.length > 1) fail('GRAFT: expected [] or [msgId]');
    onGraft(s, ctx, from, b.length === 1 ? msgId(b[0]) : null);
  } else if (type === PRUNE) {
    arr(body, 'PRUNE', 0);
    makeLazy(s, from);
  } else return false;
  return true;
}

/** Handle one of Plumtree's timers ("pt.*"); false when the id is not its own. */
export function onTimer(s: PlumtreeState, ctx: Ctx, id: string): boolean {
  if (id === TIMER_FLUSH) {
    s.flushArmed = false;
    const ps = sortedKeys(s.queue);
    for (let i = 0; i < ps.length; i++) flushPeer(s, ctx, ps[i]);
  } else if (id === TIMER_GC) {
    s.gcAt = -1;
    expire(s, ctx.now);
    armGc(s, ctx);
  } else if (id.indexOf(TIMER_GRAFT) === 0) {
    graftNext(s, ctx, id.slice(TIMER_GRAFT.length));
  } else return false;
  return true;
}

function onGossip(s: PlumtreeState, ctx: Ctx, from: PeerId, id: string, hops: number, payload: Item): void {
  if (has(s, id) || isOwnPast(s, ctx, id)) {
    ctx.count('pt.duplicate', 1);
    // Again from the peer it came from: the link duplicated the frame, or a GRAFT was answered twice. That is
    // no second path, and pruning it would cut the tree edge this node is fed through.
    if (has(s, id) && s.received[id].parent === from) return;
    if (has(s, id) && swapParent(s, ctx, id, from, hops)) return;
    // A second path reaches this node: cut the one this copy took. PRUNE even when `from` is lazy here
    // already, since it evidently still has this node as eager.
    makeLazy(s, from);
    ctx.send(from, PRUNE, [], CLS_CONTROL);
    return;
  }
  // Delivered before anything here changes: a Ctx whose emit throws (DecodeError: the payload is malformed)
  // rejects the message, which is then neither remembered nor forwarded, and a good copy still counts as new.
  ctx.emit({ type: 'deliver', msgId: id, origin: originOf(id) as string, hops: hops, payload: payload });
  const m = id in s.missing ? s.missing[id] : null;
  if (m) forget(s, ctx, id);
  remember(s, ctx, id, hops, from, payload);
  if (hops < s.cfg.maxHops) push(s, ctx, id, hops + 1, payload, from);
  else ctx.count('pt.maxhops', 1);
  makeEager(s, from);
  if (!m) return;
  // Announced earlier on a much shorter path (the paper's optimization): take that path instead.
  let best: Announcer | null = null;
  for (let i = 0; i < m.ann.length; i++) if (best === null || m.ann[i].hops < best.hops) best = m.ann[i];
  if (best !== null && best.peer !== from) optimize(s, ctx, id, best.peer, best.hops);
}

/**
 * An id of this node's present life that is not in `received` was forgotten (or forged): never deliver our own
 * message to ourselves again. Ids of an earlier life are new to this one, which may have lost its state.
 */
function isOwnPast(s: PlumtreeState, ctx: Ctx, id: string): boolean {
  return id.indexOf(s.self + ':' + ctx.incarnation.toString(36) + ':') === 0 && originOf(id) === s.self;
}

function onIHave(s: PlumtreeState, ctx: Ctx, from: PeerId, id: string, hops: number): void {
  if (has(s, id) || isOwnPast(s, ctx, id)) {
    if (has(s, id)) optimize(s, ctx, id, from, hops);
    return;
  }
  if (id in s.missing) {
    const ann = s.missing[id].ann;
    for (let i = 0; i < ann.length; i++) if (ann[i].peer === from) return;
    if (ann.length < MAX_ANNOUNCERS) addAnnouncer(ann, from, hops);
    return;
  }
  if (s.missingCount >= s.cfg.maxMissing) {
    ctx.count('pt.missing.full', 1);
    return;
  }
  s.missing[id] = { ann: [{ peer: from, hops: hops }], grafts: 0 };
  s.missingCount++;
  ctx.setTimer(TIMER_GRAFT + id, ctx.now + s.cfg.t1);
}

/** Announcers stay in order of hops, ties in order of arrival: the first GRAFT asks for the shortest path. */
function addAnnouncer(ann: Announcer[], peer: PeerId, hops: number): void {
  let i = ann.length;
  while (i > 0 && ann[i - 1].hops > hops) i--;
  ann.splice(i, 0, { peer: peer, hops: hops });
}

/** Swap the eager parent of a received message for a lazy announcer whose path is `threshold` hops shorter. */
function optimize(s: PlumtreeState, ctx: Ctx, id: string, peer: PeerId, hops: number): void {
  const r = s.received[id];
  if (r.parent === s.self || r.parent === peer || hops + s.cfg.threshold >= r.hops) return;
  if (s.lazy.indexOf(peer) < 0) return;
  ctx.count('pt.optimize', 1);
  makeEager(s, peer);
  ctx.send(peer, GRAFT, [], CLS_CONTROL);
  if (s.eager.indexOf(r.parent) >= 0) {
    makeLazy(s, r.parent);
    ctx.send(r.parent, PRUNE, [], CLS_CONTROL);
  }
  // Later announcements of the same message compare with the new path, so one message swaps at most once.
  r.parent = peer;
  r.hops = hops;
}

/**
 * An eager copy that came `threshold` hops shorter than the delivered one: keep its link as the tree edge and prune
 * the parent instead (the optimization applied to eager copies, free of a GRAFT since `from` already pushes here).
 */
function swapParent(s: PlumtreeState, ctx: Ctx, id: string, from: PeerId, hops: number): boolean {
  const r = s.received[id];
  if (r.parent === s.self || hops + s.cfg.threshold >= r.hops || s.eager.indexOf(from) < 0) return false;
  ctx.count('pt.optimize.eager', 1);
  if (s.eager.indexOf(r.parent) >= 0) {
    makeLazy(s, r.parent);
    ctx.send(r.parent, PRUNE, [], CLS_CONTROL);
  }
  r.parent = from;
  r.hops = hops;
  return true;
}

function onGraft(s: PlumtreeState, ctx: Ctx, from: PeerId, id: string | null): void {
  if (isNeighbor(s, from)) makeEager(s, from);
  else ctx.count('pt.graft.stranger', 1);
  if (id === null) return;
  const r = has(s, id) ? s.received[id] : null;
  if (r === null || r.payload === null || (ctx.carries && !ctx.carries(from, r.payload))) {
    ctx.count('pt.graft.miss', 1);
    return;
  }
  ctx.count('pt.graft.served', 1);
  ctx.send(from, GOSSIP, [id, r.hops + 1, r.payload], CLS_PAYLOAD);
}

/** T1 or T2 fired for a missing message: GRAFT the next announcer, or give up after maxGrafts. */
function graftNext(s: PlumtreeState, ctx: Ctx, id: string): void {
  if (!(id in s.missing)) return;
  const m = s.missing[id];
  if (m.ann.length === 0 || m.grafts >= s.cfg.maxGrafts) {
    ctx.count('pt.graft.gaveup', 1);
    forget(s, ctx, id);
    return;
  }
  const a = m.ann.shift() as Announcer;
  m.ann.push(a);
  m.grafts++;
  ctx.count('pt.graft', 1);
  makeEager(s, a.peer);
  ctx.send(a.peer, GRAFT, [id], CLS_CONTROL);
  ctx.setTimer(TIMER_GRAFT + id, ctx.now + s.cfg.t2);
}

function forget(s: PlumtreeState, ctx: Ctx, id: string): void {
  delete s.missing[id];
  s.missingCount--;
  ctx.cancelTimer(TIMER_GRAFT + id);
}

/** Eager push to eager peers, lazy push (queued IHAVE) to lazy peers, both except `except`. */
function push(s: PlumtreeState, ctx: Ctx, id: string, hops: number, payload: Item, except: PeerId): void {
  // Selective hearing: a peer is sent (or told of) only payloads it wants (ctx.carries); it is a leaf for the rest.
  for (let i = 0; i < s.eager.length; i++) {
    const p = s.eager[i];
    if (p !== except && (!ctx.carries || ctx.carries(p, payload))) ctx.send(p, GOSSIP, [id, hops, payload], CLS_PAYLOAD);
  }
  for (let i = 0; i < s.lazy.length; i++) {
    const p = s.lazy[i];
    if (p === except || (ctx.carries && !ctx.carries(p, payload))) continue;
    if (!(p in s.queue)) s.queue[p] = [];
    s.queue[p].push([id, hops]);
    if (s.queue[p].length >= s.cfg.maxLazyQueue) flushPeer(s, ctx, p);
  }
  if (!s.flushArmed && Object.keys(s.queue).length > 0) {
    s.flushArmed = true;
    ctx.setTimer(TIMER_FLUSH, ctx.now + s.cfg.ihaveFlush);
  }
}

function flushPeer(s: PlumtreeState, ctx: Ctx, p: PeerId): void {
  const q = s.queue[p];
  delete s.queue[p];
  if (q.length > 0) ctx.send(p, IHAVE, q, CLS_CONTROL);
}

/** Record a received message, making room first (oldest id, then oldest payload, goes). */
function remember(s: PlumtreeState, ctx: Ctx, id: string, hops: number, parent: PeerId, payload: Item): void {
  expire(s, ctx.now);
  while (s.order.length > 0 && s.order.length >= s.cfg.maxIds) dropOldestId(s);
  while (s.cached > 0 && s.cached >= s.cfg.cacheSize) dropOldestPayload(s);
  const keep = s.cfg.cacheSize > 0;
  s.received[id] = { hops: hops, parent: parent, at: ctx.now, payload: keep ? payload : null };
  s.order.push(id);
  if (keep) s.cached++;
  armGc(s, ctx);
}

function dropOldestId(s: PlumtreeState): void {
  const id = s.order.shift() as string;
  // Payloads are a suffix of `order`: if the oldest id holds one, every id does.
  if (s.received[id].payload !== null) s.cached--;
  delete s.received[id];
}

function dropOldestPayload(s: PlumtreeState): void {
  s.received[s.order[s.order.length - s.cached]].payload = null;
  s.cached--;
}

/** Drop ids and payloads past their age; arrival order is time order, so the oldest are at the front. */
function expire(s: PlumtreeState, now: number): void {
  while (s.order.length > 0 && s.received[s.order[0]].at + s.cfg.idTtl <= now) dropOldestId(s);
  while (s.cached > 0 && s.received[s.order[s.order.length - s.cached]].at + s.cfg.cacheTtl <= now) dropOldestPayload(s);
}

/** Keep one timer at the next expiry, so an idle node's memory shrinks without traffic. */
function armGc(s: PlumtreeState, ctx: Ctx): void {
  if (s.gcAt >= 0 || s.order.length === 0) return;
  let at = s.received[s.order[0]].at + s.cfg.idTtl;
  if (s.cached > 0) {
    const c = s.received[s.order[s.order.length - s.cached]].at + s.cfg.cacheTtl;
    if (c < at) at = c;
  }
  s.gcAt = at;
  ctx.setTimer(TIMER_GC, at);
}

/** Plumtree as a part a node is composed of (runtime/node.ts's NodeParts). */
export interface PlumtreePart {
  init(self: PeerId, config?: Partial<PlumtreeConfig>): PlumtreeState;
  broadcast(s: PlumtreeState | null, ctx: Ctx, payload: Item): string;
  onMessage(s: PlumtreeState | null, ctx: Ctx, from: PeerId, type: number, body: Item): boolean;
  onTimer(s: PlumtreeState | null, ctx: Ctx, id: string): boolean;
  neighborUp(s: PlumtreeState | null, ctx: Ctx, peer: PeerId): void;
  neighborDown(s: PlumtreeState | null, ctx: Ctx, peer: PeerId): void;
}

export const Plumtree: PlumtreePart = {
  init: init,
  broadcast: broadcast as PlumtreePart['broadcast'],
  onMessage: onMessage as PlumtreePart['onMessage'],
  onTimer: onTimer as PlumtreePart['onTimer'],
  neighborUp: neighborUp as PlumtreePart['neighborUp'],
  neighborDown: neighborDown as PlumtreePart['neighborDown'],
};
