/**
 * HyParView: hybrid partial views for reliable gossip (Leitão, Pereira, Rodrigues, DSN 2007), sans-IO, with the
 * overlay-health layer of runtime/membership/health.ts (isolation and symmetry repair, after Sprinter).
 *
 * The algorithm, as in the paper (section 4):
 * - Two views. The active view (5) is small and symmetric: it is the node's neighbour set for dissemination,
 *   and every link in it is watched. The passive view (30) is a larger random sample of backups.
 * - Join: the new node sends JOIN to a contact. The contact adds it to its active view (dropping a random peer
 *   with DISCONNECT when full) and sends FORWARDJOIN to each other active peer. Each walk moves to a random
 *   active peer of the current node and stops when its time-to-live reaches 0 or the current node has only
 *   the sender as active peer; that node adds the new node to its active view. The node the walk reaches at
 *   PRWL adds the new node to its passive view.
 * - A failed active peer is replaced from the passive view: NEIGHBOR asks a random passive peer; with high
 *   priority (the paper: the asker's active view is empty; here: under half full) it cannot be refused, with
 *   low priority it is refused when the receiver's active view is full. DISCONNECT removes the sender from the
 *   active view into the passive one.
 * - Every shuffle period a SHUFFLE carries the node itself, ka active and kp passive peers on a random walk of
 *   `shuffleTtl`; the node where it stops answers SHUFFLEREPLY with as many passive peers, and both fill their
 *   passive views, dropping first the entries they sent away.
 *
 * What the paper leaves to TCP, done here with messages, since links may lose, duplicate and reorder frames:
 * - Replies. JOIN is answered by JOIN_REPLY and retried (to the next contact) after `joinTimeout`; NEIGHBOR is
 *   answered by NEIGHBOR_REPLY and sent again after `neighborTimeout`; a candidate silent `neighborTries`
 *   times is dropped from the passive view and another one is asked. A walk that ends at FORWARDJOIN sends NEIGHBOR (high priority) to
 *   the new node, which is how it learns of the link. A SHUFFLE without reply is superseded by the next one.
 * - Liveness. A peer whose link reports up/down (onLink) is watched by its link; any other active peer gets a
 *   KEEPALIVE when it has been silent for `keepalive`, and is dropped as failed after `peerTimeout`, or sooner
 *   after `quickProbes` unanswered quick probes (health.ts). Any frame of the peer's life counts (heard).
 * - Fast, full repair after a mass failure (issue 11): refill keeps two requests per free slot in flight and
 *   goes on until the view is full (a peer that refused rests for a shuffle period); the passive view is swept
 *   (health.ts) at a pace that grows with the free slots; peers found dead are kept out of the passive view for
 *   three shuffle periods (`dead`), and a passive view under half full shuffles four times as often, so the
 *   survivors' backups are live and known to each other within seconds. Measured: tools/bench/sim.ts crash rows
 *   and tests/sim/crash-repair.test.ts.
 * - Incarnations. Each envelope carries the sender's incarnation; a message of an older one is ignored
 *   (counted 'hv.stale'), and a newer one from an active peer means it restarted with empty views: it leaves
 *   the active view (no DISCONNECT: the new life holds nothing) and the message is handled as from a stranger.
 * - Merging: two components in which every node has a neighbour never merge in the paper's protocol; the labels
 *   of component.ts tell a NEIGHBOR from another component, which is then not refused (see there).
 * - Link staleness: the incarnation tells lives apart, and within one life the view version (`ver`) tells links
 *   apart: a view-changing message older than the newest heard from its sender is ignored ('hv.late').
 * - One extension: JOIN_REPLY carries a sample of the contact's views, so a joiner has passive peers at once
 *   and can repair itself even when many nodes join through the same contact at the same moment.
 *
 *   const s = HyParView.init('a', { activeSize: 4 });
 *   HyParView.join(s, ctx, ['seed']);                 // ctx.send('seed', JOIN, [1], CLS_CONTROL): [ver]
 *   HyParView.onMessage(s, ctx, 'seed', 0, JOIN_REPLY, [0, ['c', 'd']]);
 *   HyParView.neighbors(s);                           // ['seed']
 *
 * Bodies (arrays, PROTOCOL.md; `ver` is the sender's view version, see HvState.ver and fresh()):
 *   JOIN [ver]                 JOIN_REPLY [ver, [peer, …]]   FORWARD_JOIN [newNode, ttl]
 *   NEIGHBOR [ver, high 0|1(, root)]   NEIGHBOR_REPLY [ver, 0 refused|1 accepted|2 merged]
 *   DISCONNECT [ver, alive 0|1] (0: leaving for good)
 *   SHUFFLE [origin, ttl, [peer, …]]                         SHUFFLE_REPLY [peer, …]
 *   KEEPALIVE [ver]  KEEPALIVE_ACK [ver, held 0|1]   PROBE [ver]  PROBE_REPLY [ver, held 0|1]   (held: "you hold me")
 *   COMPONENT [root, dist, seq] (the component label, runtime/membership/component.ts: merging split overlays)
 * A malformed body throws DecodeError (runtime/node.ts counts and drops it) before anything changed.
 *
 * Bounds: the views (activeSize, passiveSize); requests in flight (two per free active slot, one per active peer,
 * and passiveChecks × (1 + free slots) checks); the `refused` and `dead` tables (passiveSize each); lists in a
 * body (MAX_LIST entries, each id at most MAX_PEER_ID bytes (runtime/messages.ts), or the body is refused); contacts
 * (MAX_CONTACTS, the rest ignored); incarnations and link states remembered (maxKnown: when full, entries of
 * peers in no view are forgotten first, and a peer that cannot be remembered is simply not tracked).
 */
import type { Item } from '../../crdt/types.ts';
import { sortedKeys } from '../../crdt/keys.ts';
import type { Ctx } from '../context.ts';
import { CLS_CONTROL } from '../io.ts';
import type { PeerId } from '../io.ts';
import {
  JOIN, JOIN_REPLY, FORWARD_JOIN, NEIGHBOR, NEIGHBOR_REPLY, DISCONNECT, SHUFFLE, SHUFFLE_REPLY, KEEPALIVE,
  KEEPALIVE_ACK, PROBE, PROBE_REPLY, COMPONENT,
} from '../messages.ts';
import { below, pick, sample } from '../rng.ts';
import type { Membership, MembershipStats } from './membership.ts';
import { knobs } from '../knobs.ts';
import { INCARNATION_SLACK } from '../incarnation.ts';
import { dict, insertSorted, removeFrom } from '../tables.ts';
import * as health from './health.ts';
import { ASK_CHECK, ASK_REPAIR, TIMER_JOIN } from './health.ts';
import * as component from './component.ts';
import { decodeBody } from './hvwire.ts';

export interface HyParViewConfig {
  /** Active view size. 5, the paper's value (log10(n) + 1 for n = 10,000, section 5). */
  activeSize: number;
  /** Passive view size. 30, the paper's value (k · (log10(n) + 1) with k = 6). */
  passiveSize: number;
  /** Active random walk length of FORWARDJOIN. 6, from the paper. */
  arwl: number;
  /** Passive random walk length: the hop that adds the new node to its passive view. 3, from the paper. */
  prwl: number;
  /** Active peers in a shuffle sample (ka). 3, from the paper. */
  shuffleActive: number;
  /** Passive peers in a shuffle sample (kp). 4, from the paper. */
  shufflePassive: number;
  /** Length of a shuffle random walk. 6, the paper's value (the same as ARWL). */
  shuffleTtl: number;
  /** ms between shuffles. 10 s: the paper counts cycles, not seconds; one small frame per 10 s costs a board
   *  little, and at 10 s a passive view turns over within a few minutes, far faster than devices come and
   *  go. Also the age after which an unanswered SHUFFLE counts as lost. A guess, to be validated in the sim. */
  shufflePeriod: number;
  /** ms to wait for NEIGHBOR_REPLY before sending again or trying another passive peer. 1 s: several round
   *  trips over MQTT or BLE hops (20–100 ms each) with room for a slow serial link; a guess. */
  neighborTimeout: number;
  /** NEIGHBOR sends before a silent candidate is taken as gone and dropped from the passive view. 2: at 20%
   *  loss each way one exchange in three fails, and dropping live backups that often drains the passive view
   *  faster than lossy shuffles refill it; two in a row fail one time in eight. A guess. */
  neighborTries: number;
  /** ms to wait for JOIN_REPLY before trying the next contact; also the delay between isolation retries
   *  until health.ts's backoff starts doubling it (up to `backoffMax`). 2 s: a JOIN and the walks it starts
   *  take a few hops; a guess. */
  joinTimeout: number;
  /** ms between keepalive rounds (health.ts): an active peer whose link has no up/down and that has been
   *  silent for half of it gets a KEEPALIVE. 2 s: about one tiny frame and its answer per link and period
   *  (measured: 3.3 control frames, ~50 bytes, per node per second at 100 nodes), and a crash is noticed
   *  within peerTimeout + one period; a guess. */
  keepalive: number;
  /** ms of silence after which such a peer is taken as failed (and told so with DISCONNECT, in case it is
   *  alive). 8 s = 4 rounds: measured, a live peer is taken as failed about once per link-hour at 20% loss
   *  and 7 times at 30% (10% duplication, 100 nodes, tests/runtime/net.ts); each costs one refill. A guess. */
  peerTimeout: number;
  /** ms between symmetry probes (PROBE) to a peer whose link has up/down (and so gets no keepalives). 10 s:
   *  asymmetry is rare and costs only a little redundancy while it lasts; a guess. */
  probePeriod: number;
  /** ms, the longest delay between retries of an isolated node. 30 s: bounds the cost of a node whose
   *  contacts are all gone while still finding them soon after they return; a guess. */
  backoffMax: number;
  /** Incarnations and link states remembered. 96: every peer of both views and the contacts, with room. */
  maxKnown: number;
  /** Passive peers checked at once (health.ts: a low-priority NEIGHBOR each) while sweeping the passive view
   *  after an active peer failed; a full view also checks one per shuffle period. 2: a sweep of 30 entries
   *  that are mostly dead (2 × neighborTimeout each) takes about half a minute, at two small frames in flight.
   *  0 turns checks off. A guess; measured with tools/sim/scenarios/crash90-2000.json. */
  passiveChecks: number;
  /** Quick probes: an active peer (not watched by its link) silent for a whole `keepalive` period is suspected
   *  and sent a KEEPALIVE every `quickPeriod`; after `quickProbes` in a row unanswered it is failed, long before
   *  peerTimeout. 6 (0 turns it off): enough on a clean link (a crash is then failed 4–6 s after it). Where
   *  KEEPALIVEs often go unanswered a suspicion gets more (health.ts probesFor: a live peer's chance of being
   *  failed stays under 10^-4 per suspicion): measured at 30% loss each way, 50 nodes, 2 minutes, 4 seeds, 1 live
   *  peer failed in all, against 23 with a fixed 6 (tests/sim/lossy-links.test.ts). */
  quickProbes: number;
  /** ms between quick probes. 250: a crashed peer is suspected 2–4 s after the crash and failed about
   *  quickProbes × 250 ms later (4–6 s in all, against 8–10 s by peerTimeout); an answer slower than 250 ms
   *  still clears the suspicion while probes are left. A guess. */
  quickPeriod: number;
}

export const HYPARVIEW_DEFAULTS: HyParViewConfig = {
  activeSize: 5,
  passiveSize: 30,
  arwl: 6,
  prwl: 3,
  shuffleActive: 3,
  shufflePassive: 4,
  shuffleTtl: 6,
  shufflePeriod: 10000,
  neighborTimeout: 1000,
  neighborTries: 2,
  joinTimeout: 2000,
  keepalive: 2000,
  peerTimeout: 8000,
  probePeriod: 10000,
  backoffMax: 30000,
  maxKnown: 96,
  passiveChecks: 2,
  quickProbes: 6,
  quickPeriod: 250,
};

/** What each knob may be (runtime/knobs.ts). Periods and timeouts at least 1 ms (0 would spin the timer); an
 *  active view of at least 1 (it is the neighbour set); the rest may be 0 (no passive view, walks that stop at
 *  once, no incarnations remembered), which the code handles, if to little purpose. */
export const HYPARVIEW_RANGES: { [knob: string]: string } = {
  activeSize: 'count 1',
  passiveSize: 'count 0',
  arwl: 'count 0',
  prwl: 'count 0',
  shuffleActive: 'count 0',
  shufflePassive: 'count 0',
  shuffleTtl: 'count 0',
  shufflePeriod: 'ms 1',
  neighborTimeout: 'ms 1',
  neighborTries: 'count 1',
  joinTimeout: 'ms 1',
  keepalive: 'ms 1',
  peerTimeout: 'ms 1',
  probePeriod: 'ms 1',
  backoffMax: 'ms 1',
  maxKnown: 'count 0',
  passiveChecks: 'count 0',
  quickProbes: 'count 0',
  quickPeriod: 'ms 1',
};

/** Most peers in one body list (hvwire.ts, which decodes the bodies). */
export { MAX_LIST } from './hvwire.ts';
/** Contacts kept from join(). */
export const MAX_CONTACTS = 8;

export const TIMER_TICK = 'hv.tick';
export const TIMER_SHUFFLE = 'hv.shuffle';
/** Prefix of the per-request NEIGHBOR timeout: "hv.nb.<peer>". (health.ts has TIMER_JOIN.) */
export const TIMER_NEIGHBOR = 'hv.nb.';

/** A NEIGHBOR request that fills a free slot (health.ts's ASK_REPAIR renews a one-sided link). */
export const ASK_FILL = 1;

/** A NEIGHBOR request in flight. */
export interface Ask {
  /** ASK_FILL, or health.ts's ASK_REPAIR or ASK_CHECK. */
  why: number;
  /** Times sent so far (at most neighborTries). */
  sends: number;
  /** Asked with high priority (only while the active view is short: under half full, see short()). */
  high: boolean;
}

export interface HvState {
  self: PeerId;
  cfg: HyParViewConfig;
  /** Sorted. The neighbours. */
  active: PeerId[];
  /** Sorted, disjoint from active. */
  passive: PeerId[];
  /** Passive peers that refused a NEIGHBOR, and when: not asked again by refill for a shuffle period (entries
   *  older are dropped at each refill; at most passiveSize, further refusals are then not remembered). */
  refused: { [peer: string]: number };
  /** Peers found dead (failed, or silent to every NEIGHBOR), and when: kept out of the passive view for three
   *  shuffle periods, so shuffles do not hand them back after a sweep dropped them (a mass failure leaves them in
   *  every survivor's samples). At most passiveSize: when full, expired entries go, and then the oldest. */
  dead: { [peer: string]: number };
  deadCount: number;
  /** Per active peer: when it last showed it is alive (ms): any frame of its life (heard), and any membership
   *  message but a refusal; whether it holds this node is checked by keepalives and probes (health.ts). */
  seen: { [peer: string]: number };
  /** Suspected active peers (health.ts quick): when the suspicion began, and quick probes sent since. */
  suspects: { [peer: string]: number };
  /** Quick probes left to a suspected peer before it is failed (health.ts probesFor). */
  quickLeft: { [peer: string]: number };
  /** KEEPALIVEs sent to each unwatched active peer and settled (the peer was heard since), answers from it (a
   *  window: health.ts hear), and those sent since it was last heard: the link's loss estimate. */
  kaOut: { [peer: string]: number };
  kaIn: { [peer: string]: number };
  kaOpen: { [peer: string]: number };
  /** The quick-probe timer is set. */
  quickArmed: boolean;
  /** Per active peer whose link is watched: when it was last probed for symmetry (ms). */
  probed: { [peer: string]: number };
  /** NEIGHBOR requests in flight, by peer: at most two per free active slot plus one per active peer, plus
   *  passiveChecks × (1 + free slots) checks (health.ts pumpChecks). */
  asking: { [peer: string]: Ask };
  askingCount: number;
  /** Latest incarnation seen per peer. */
  inc: { [peer: string]: number };
  /** Highest view version (`ver`) seen per peer in that incarnation (same keys as inc). */
  heard: { [peer: string]: number };
  /** When the version in `heard` was first heard, per peer (the plausibility rule in fresh()). */
  heardAt: { [peer: string]: number };
  incCount: number;
  /** When the incarnation in `inc` was last heard, per peer (the plausibility rule in fresh()). */
  incAt: { [peer: string]: number };
  /** Peers whose link reported up (and not down since): their liveness comes from the link. */
  watched: { [peer: string]: boolean };
  watchedCount: number;
  /** Seeds from join(), sorted; tried in turn while joining or isolated. */
  contacts: PeerId[];
  nextContact: number;
  /** Joined, or gained a neighbour: from then on an empty active view means isolated. */
  member: boolean;
  /** leave() was called (and no join since). */
  left: boolean;
  /** join() sent a JOIN that no neighbour has followed yet. */
  joining: boolean;
  /** The periodic timers are set. */
  running: boolean;
  /** As last reported with an 'isolated' event. */
  isolated: boolean;
  /** Join/isolation retries since the view was last non-empty (health.ts's retryDelay turns it into a wait). */
  retries: number;
  /** The last SHUFFLE's sample (to drop first when its reply comes), and when it went (-1: none pending). */
  shuffleSent: PeerId[];
  shuffleAt: number;
  /** An active slot was lost since the last refill. */
  wantRefill: boolean;
  /** Passive peers still to check (health.ts sweep): at most passiveSize, a copy of the view when it began. */
  sweep: PeerId[];
  /** This node's component label (component.ts): the least id reached, its distance, the newest seq heard of it,
   *  when the root last changed and when its seq last grew here. */
  root: PeerId;
  dist: number;
  seq: number;
  rootAt: number;
  freshAt: number;
  /** This node's own seq, counted up every shuffle period while it is a root. */
  own: number;
  /** The root last given up ('' for none), its last seq, and when (component.ts refresh). */
  lost: PeerId;
  lostSeq: number;
  lostAt: number;
  /** This node's view version: one more at every change of its active view and at join and leave. Every
   *  message that may change a peer's views carries it, and a peer ignores one older than the newest it heard
   *  from this node: it belongs to a link (or an intent) that has been replaced since. */
  ver: number;
  /** The labels active peers last told, by peer (entries only for active peers). */
  nbRoot: { [peer: string]: PeerId };
  nbDist: { [peer: string]: number };
  nbSeq: { [peer: string]: number };
}

/** `config` may set any knob of HyParViewConfig (others keep HYPARVIEW_DEFAULTS); a bad one throws (knobs.ts). */
export function init(self: PeerId, config?: Partial<HyParViewConfig>): HvState {
  const cfg = knobs('hyparview', HYPARVIEW_DEFAULTS, HYPARVIEW_RANGES, config);
  return {
    self: self,
    cfg: cfg,
    active: [],
    passive: [],
    refused: dict<number>(),
    dead: dict<number>(),
    deadCount: 0,
    seen: dict<number>(),
    suspects: dict<number>(),
    quickLeft: dict<number>(),
    kaOut: dict<number>(),
    kaIn: dict<number>(),
    kaOpen: dict<number>(),
    quickArmed: false,
    probed: dict<number>(),
    asking: dict<Ask>(),
    askingCount: 0,
    inc: dict<number>(),
    heard: dict<number>(),
    heardAt: dict<number>(),
    incCount: 0,
    incAt: dict<number>(),
    watched: dict<boolean>(),
    watchedCount: 0,
    contacts: [],
    nextContact: 0,
    member: false,
    left: false,
    joining: false,
    running: false,
    isolated: false,
    retries: 0,
    shuffleSent: [],
    shuffleAt: -1,
    wantRefill: false,
    sweep: [],
    ver: 0,
    root: self,
    dist: 0,
    seq: 0,
    rootAt: 0,
    freshAt: 0,
    own: 0,
    lost: '',
    lostSeq: 0,
    lostAt: 0,
    nbRoot: dict<PeerId>(),
    nbDist: dict<number>(),
    nbSeq: dict<number>(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Sorted peer lists (small: a view): insertSorted and removeFrom are in runtime/tables.ts.

/** xs without the peers in `except` (a fresh array, order kept). */
export function without(xs: PeerId[], except: PeerId[]): PeerId[] {
  const out: PeerId[] = [];
  for (let i = 0; i < xs.length; i++) if (except.indexOf(xs[i]) < 0) out.push(xs[i]);
  return out;
}

export function isActive(s: HvState, p: PeerId): boolean {
  return s.active.indexOf(p) >= 0;
}

// ---------------------------------------------------------------------------------------------------------
// The views.

/**
 * Add to the active view, the paper's addNodeActiveView: when full, a random peer is dropped first, told with
 * DISCONNECT and kept as a backup in the passive view.
 */
export function addActive(s: HvState, ctx: Ctx, p: PeerId): void {
  if (p === s.self || isActive(s, p)) return;
  if (s.active.length >= s.cfg.activeSize) {
    const victim = pick(ctx.rng, s.active) as PeerId;
    removeActive(s, victim);
    health.say(s, ctx, victim, DISCONNECT, [1]);
    ctx.count('hv.evict', 1);
    addPassive(s, ctx, victim, null);
  }
  removeFrom(s.passive, p);
  insertSorted(s.active, p);
  s.ver++;
  s.seen[p] = ctx.now;
  s.probed[p] = ctx.now;
  clearAsking(s, ctx, p);
  s.member = true;
  component.tell(s, ctx, [p]);
}

export function removeActive(s: HvState, p: PeerId): boolean {
  if (!removeFrom(s.active, p)) return false;
  s.ver++;
  delete s.seen[p];
  delete s.probed[p];
  health.unsuspect(s, p);
  health.forgetLink(s, p);
  return true;
}

/**
 * Add to the passive view, the paper's addNodePassiveView: never self or an active peer; when full, an entry of
 * `prefer` (the ones just sent to a shuffle partner, who now holds them) goes first, else a random one.
 */
export function addPassive(s: HvState, ctx: Ctx, p: PeerId, prefer: PeerId[] | null): void {
  if (p === s.self || s.cfg.passiveSize === 0 || isActive(s, p) || s.passive.indexOf(p) >= 0) return;
  if (p in s.dead) {
    if (ctx.now - s.dead[p] < 3 * s.cfg.shufflePeriod) return;
    delete s.dead[p];
    s.deadCount--;
  }
  if (s.passive.length >= s.cfg.passiveSize) {
    let victim: PeerId | undefined;
    if (prefer !== null) {
      for (let i = 0; i < prefer.length && victim === undefined; i++) if (s.passive.indexOf(prefer[i]) >= 0) victim = prefer[i];
    }
    if (victim === undefined) victim = pick(ctx.rng, s.passive) as PeerId;
    removeFrom(s.passive, victim);
  }
  insertSorted(s.passive, p);
}

/** Remember `p` as dead (see HvState.dead); a peer that speaks again is forgotten from there (onMessage). */
export function markDead(s: HvState, ctx: Ctx, p: PeerId): void {
  if (!(p in s.dead) && s.deadCount >= s.cfg.passiveSize) {
    let oldest = '';
    const ks = Object.keys(s.dead);
    for (let i = 0; i < ks.length; i++) {
      if (ctx.now - s.dead[ks[i]] >= 3 * s.cfg.shufflePeriod) {
        delete s.dead[ks[i]];
        s.deadCount--;
      } else if (oldest === '' || s.dead[ks[i]] < s.dead[oldest]) oldest = ks[i];
    }
    if (s.deadCount >= s.cfg.passiveSize && oldest !== '') {
      delete s.dead[oldest];
      s.deadCount--;
    }
  }
  if (!(p in s.dead)) s.deadCount++;
  s.dead[p] = ctx.now;
}

/** A failed active peer leaves both views (the paper drops it); `tell` when it may be alive after all. */
export function failActive(s: HvState, ctx: Ctx, p: PeerId, reason: string, tell: boolean): void {
  if (!removeActive(s, p)) return;
  removeFrom(s.passive, p);
  markDead(s, ctx, p);
  ctx.count('hv.failed', 1);
  ctx.count('hv.failed.' + reason, 1);
  // Under loss a live peer can look dead: DISCONNECT keeps the link symmetric if it is alive.
  if (tell) health.say(s, ctx, p, DISCONNECT, [1]);
  s.wantRefill = true;
  health.startSweep(s, ctx);
}

// ---------------------------------------------------------------------------------------------------------
// NEIGHBOR requests.

/** Send NEIGHBOR, up to `neighborTries` times, `neighborTimeout` apart, until a reply comes. */
export function ask(s: HvState, ctx: Ctx, p: PeerId, why: number, high: boolean): void {
  if (p in s.asking) return;
  s.asking[p] = { why: why, sends: 0, high: high };
  s.askingCount++;
  sendNeighbor(s, ctx, p);
}

/** Is the active view short: under half of activeSize (empty, 1 or 2 of 5)? Such a node asks with high priority. */
export function short(s: HvState): boolean {
  return 2 * s.active.length < s.cfg.activeSize;
}

/** (Re)send NEIGHBOR: high priority to a walk's new node (already active here), or as asked while short. */
function sendNeighbor(s: HvState, ctx: Ctx, p: PeerId): void {
  const a = s.asking[p];
  a.sends++;
  ctx.count('hv.neighbor.sent', 1);
  const high = isActive(s, p) || (a.high && short(s)) ? 1 : 0;
  const root = component.claim(s, ctx.now);
  health.say(s, ctx, p, NEIGHBOR, root === '' ? [high] : [high, root]);
  ctx.setTimer(TIMER_NEIGHBOR + p, ctx.now + s.cfg.neighborTimeout);
}

/** Forget a request in flight; returns why it was made (0 when there was none). */
export function clearAsking(s: HvState, ctx: Ctx, p: PeerId): number {
  if (!(p in s.asking)) return 0;
  const why = s.asking[p].why;
  delete s.asking[p];
  s.askingCount--;
  ctx.cancelTimer(TIMER_NEIGHBOR + p);
  return why;
}

/**
 * Fill free active slots from the passive view, one request per free slot, until the view is full. While the
 * view is short (under half full; the paper: empty) one of them, at a time, has high priority (it cannot be
 * refused, and more than one would evict peers elsewhere for nothing); the others are low priority, so that
 * after a mass failure, when most backups are dead, a node does not wait out one dead candidate after another.
 * High priority at up to half full, not only when empty, lets a node left with one or two neighbours after a
 * mass failure fill up although its live backups are full: each eviction moves a slot from a full node, which
 * asks with low priority, to a short one. A peer that refused is not asked again with low priority for a
 * shuffle period (`refused`), so a view kept short by full peers goes round its backups once per period, not at the pace of
 * round trips.
 */
export function refill(s: HvState, ctx: Ctx): void {
  if (s.left) return;
  const old = Object.keys(s.refused);
  for (let i = 0; i < old.length; i++) if (ctx.now - s.refused[old[i]] >= s.cfg.shufflePeriod) delete s.refused[old[i]];
  // Requests to peers that are active already (a walk's end telling the new node) take no slot.
  let pending = 0;
  let high = false;
  const asked = Object.keys(s.asking);
  for (let i = 0; i < asked.length; i++) {
    if (isActive(s, asked[i])) continue;
    pending++;
    if (s.asking[asked[i]].high) high = true;
  }
  // Two requests per free slot: after a mass failure most backups are dead, each costing neighborTries ×
  // neighborTimeout; a late accept beyond the view's room is declined with DISCONNECT (onNeighborReply).
  while (s.active.length + pending < s.cfg.activeSize + (s.cfg.activeSize - s.active.length)) {
    // A peer that refused may be asked again only with high priority (it cannot refuse that).
    const h = short(s) && !high;
    const cands: PeerId[] = [];
    for (let i = 0; i < s.passive.length; i++) if (!(s.passive[i] in s.asking) && (h || !(s.passive[i] in s.refused))) cands.push(s.passive[i]);
    // No backup at all: go back to the seeds (one of them may hold the rest of the overlay; component.ts).
    if (s.passive.length === 0) {
      for (let i = 0; i < s.contacts.length; i++) if (!isActive(s, s.contacts[i]) && !(s.contacts[i] in s.asking)) cands.push(s.contacts[i]);
    }
    const p = pick(ctx.rng, cands);
    if (p === undefined) return;
    ask(s, ctx, p, ASK_FILL, h);
    if (h) high = true;
    pending++;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Incarnations and remembered link states, bounded by maxKnown.

/** Is p in a view, asked, or a contact? Such entries are kept when the tables are pruned. */
function relevant(s: HvState, p: PeerId): boolean {
  return isActive(s, p) || s.passive.indexOf(p) >= 0 || p in s.asking || s.contacts.indexOf(p) >= 0;
}

function prune(s: HvState, t: { [peer: string]: any }): number {
  const ks = sortedKeys(t);
  let n = ks.length;
  for (let i = 0; i < ks.length; i++) {
    if (!relevant(s, ks[i])) {
      delete t[ks[i]];
      n--;
    }
  }
  return n;
}

/** False when the message comes from an older incarnation than one already seen (then it is ignored). */
function fresh(s: HvState, ctx: Ctx, from: PeerId, inc: number, ver: number): boolean {
  if (from in s.inc && inc === s.inc[from] && ver >= 0) {
    // The same life: a view version older than one heard belongs to a link or intent replaced since. As for
    // incarnations, a newer one must keep proving itself (anyone may forge one): once none has come for
    // peerTimeout, the older one is believed again.
    if (ver < s.heard[from] && ctx.now - s.heardAt[from] < s.cfg.peerTimeout) {
      ctx.count('hv.late', 1);
      return false;
    }
    if (ver >= s.heard[from]) s.heardAt[from] = ctx.now;
    s.heard[from] = ver;
  }
  if (from in s.inc) {
    const known = s.inc[from];
    // A life further past the known one than any restart makes (runtime/incarnation.ts) is a forgery: ignored.
    if (inc - known > INCARNATION_SLACK) {
      ctx.count('hv.inc.implausible', 1);
      return false;
    }
    if (inc < known) {
      // Without a cluster key anyone can claim a huge incarnation "from" a peer, after which every real frame of
      // the peer would be stale for good. So a newer life must keep proving itself: once it has been silent for
      // peerTimeout (when an active peer would be declared dead) while the older one still talks, the older one
      // is believed again. A real restart is unaffected: the old life is gone and stays silent.
      if (from in s.incAt && ctx.now - s.incAt[from] < s.cfg.peerTimeout) {
        ctx.count('hv.stale', 1);
        return false;
      }
      ctx.count('hv.inc.revert', 1);
      s.inc[from] = inc;
      s.heard[from] = ver;
      s.heardAt[from] = ctx.now;
      s.incAt[from] = ctx.now;
      return true;
    }
    s.incAt[from] = ctx.now;
    if (inc > known) {
      s.inc[from] = inc;
      s.heard[from] = ver;
      s.heardAt[from] = ctx.now;
      // A restart: the new life holds no view, so this node's links to the old one are gone.
      ctx.count('hv.restarted', 1);
      if (removeActive(s, from)) {
        addPassive(s, ctx, from, null);
        s.wantRefill = true;
      }
    }
    return true;
  }
  if (s.incCount >= s.cfg.maxKnown) {
    s.incCount = prune(s, s.inc);
    prune(s, s.incAt);
    prune(s, s.heard);
    prune(s, s.heardAt);
  }
  if (s.incCount < s.cfg.maxKnown) {
    s.inc[from] = inc;
    s.heard[from] = ver;
    s.heardAt[from] = ctx.now;
    s.incAt[from] = ctx.now;
    s.incCount++;
  }
  return true;
}

function watch(s: HvState, p: PeerId, up: boolean): void {
  if (!up) {
    if (p in s.watched) {
      delete s.watched[p];
      s.watchedCount--;
    }
    return;
  }
  if (p in s.watched) return;
  if (s.watchedCount >= s.cfg.maxKnown) s.watchedCount = prune(s, s.watched);
  if (s.watchedCount < s.cfg.maxKnown) {
    s.watched[p] = true;
    s.watchedCount++;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The interface runtime/node.ts drives.

function start(s: HvState, ctx: Ctx): void {
  if (s.running) return;
  s.running = true;
  // Random phases keep nodes that started together from shuffling and probing in lock step.
  ctx.setTimer(TIMER_TICK, ctx.now + s.cfg.keepalive + below(ctx.rng, Math.floor(s.cfg.keepalive / 4) + 1));
  ctx.setTimer(TIMER_SHUFFLE, ctx.now + shuffleDelay(s, ctx, true));
}

/**
 * The wait until the next shuffle: `shufflePeriod`, jittered by ±half on the first. A passive view under half
 * full (a joiner's, or a survivor's after a mass failure whose sweep dropped the dead backups) shuffles four
 * times as often, so it holds enough live backups, and is held by enough peers, before the next failure.
 */
function shuffleDelay(s: HvState, ctx: Ctx, first: boolean): number {
  const p = s.cfg.shufflePeriod;
  if (2 * s.passive.length < s.cfg.passiveSize) return Math.floor(p / 8) + below(ctx.rng, Math.floor(p / 4) + 1);
  return first ? Math.floor(p / 2) + below(ctx.rng, p + 1) : p;
}

function join(s: HvState, ctx: Ctx, contacts: PeerId[]): void {
  s.left = false;
  s.ver++;
  s.member = true;
  const cs: PeerId[] = [];
  for (let i = 0; i < contacts.length && cs.length < MAX_CONTACTS; i++) {
    if (contacts[i] !== s.self && cs.indexOf(contacts[i]) < 0) cs.push(contacts[i]);
  }
  s.contacts = cs.sort();
  s.rootAt = ctx.now;
  s.nextContact = s.contacts.length > 0 ? below(ctx.rng, s.contacts.length) : 0;
  start(s, ctx);
  s.retries = 0;
  if (s.contacts.length > 0) {
    s.joining = true;
    sendJoin(s, ctx);
  }
  ctx.setTimer(TIMER_JOIN, ctx.now + health.retryDelay(s));
  settle(s, ctx);
}

/** JOIN to the next contact in turn. */
export function sendJoin(s: HvState, ctx: Ctx): void {
  if (s.contacts.length === 0) return;
  const c = s.contacts[s.nextContact % s.contacts.length];
  s.nextContact = (s.nextContact + 1) % s.contacts.length;
  ctx.count('hv.join.sent', 1);
  health.say(s, ctx, c, JOIN, []);
}

function leave(s: HvState, ctx: Ctx): void {
  s.ver++;
  for (let i = 0; i < s.active.length; i++) health.say(s, ctx, s.active[i], DISCONNECT, [0]);
  const was = s.active.slice();
  for (let i = 0; i < was.length; i++) removeActive(s, was[i]);
  const asked = sortedKeys(s.asking);
  for (let i = 0; i < asked.length; i++) clearAsking(s, ctx, asked[i]);
  ctx.cancelTimer(TIMER_TICK);
  ctx.cancelTimer(TIMER_SHUFFLE);
  ctx.cancelTimer(TIMER_JOIN);
  ctx.cancelTimer(health.TIMER_QUICK);
  s.quickArmed = false;
  s.running = false;
  s.joining = false;
  s.left = true;
  s.shuffleAt = -1;
  s.shuffleSent = [];
  s.sweep = [];
  settle(s, ctx);
}

function onMessage(s: HvState, ctx: Ctx, from: PeerId, incarnation: number, type: number, body: Item): boolean {
  const m = decodeBody(type, body);
  if (m === null) return false;
  if (from === s.self) {
    ctx.count('hv.self', 1);
    return true;
  }
  if (!fresh(s, ctx, from, incarnation, m.ver)) return true;
  if (from in s.dead) {
    delete s.dead[from];
    s.deadCount--;
  }
  // Any message but a refusal shows an active peer alive; symmetry is checked by keepalives and probes.
  if (isActive(s, from) && !(type === DISCONNECT || (!m.yes && (type === KEEPALIVE_ACK || type === PROBE_REPLY)))) {
    health.hear(s, from, ctx.now);
  }
  if (type === JOIN) onJoin(s, ctx, from);
  else if (type === JOIN_REPLY) onJoinReply(s, ctx, from, m.list);
  else if (type === FORWARD_JOIN) onForwardJoin(s, ctx, from, m.peer, m.n);
  else if (type === NEIGHBOR) onNeighbor(s, ctx, from, m.yes, m.peer);
  else if (type === NEIGHBOR_REPLY) onNeighborReply(s, ctx, from, m.n);
  else if (type === COMPONENT) component.onLabel(s, ctx, from, m.peer, m.n, m.seq);
  else if (type === DISCONNECT) onDisconnect(s, ctx, from, m.yes);
  else if (type === SHUFFLE) onShuffle(s, ctx, from, m.peer, m.n, m.list);
  else if (type === SHUFFLE_REPLY) onShuffleReply(s, ctx, m.list);
  else if (type === KEEPALIVE || type === PROBE) health.onProbe(s, ctx, OPS, from, type === KEEPALIVE ? KEEPALIVE_ACK : PROBE_REPLY);
  else health.onProbeReply(s, ctx, OPS, from, m.yes);
  settle(s, ctx);
  return true;
}

function onJoin(s: HvState, ctx: Ctx, from: PeerId): void {
  if (s.left) return;
  if (isActive(s, from)) {
    // A retry whose first JOIN_REPLY was lost: answer again, the walks went out the first time.
    ctx.count('hv.join.again', 1);
    health.say(s, ctx, from, JOIN_REPLY, [joinSample(s, ctx, from)]);
    return;
  }
  ctx.count('hv.join.accepted', 1);
  addActive(s, ctx, from);
  health.say(s, ctx, from, JOIN_REPLY, [joinSample(s, ctx, from)]);
  for (let i = 0; i < s.active.length; i++) {
    if (s.active[i] !== from) ctx.send(s.active[i], FORWARD_JOIN, [from, s.cfg.arwl], CLS_CONTROL);
  }
}

/** ka + kp peers of this node's views for a joiner's passive view (the extension; see the header). */
function joinSample(s: HvState, ctx: Ctx, joiner: PeerId): Item[] {
  const a = sample(ctx.rng, without(s.active, [joiner]), s.cfg.shuffleActive);
  const p = sample(ctx.rng, without(s.passive, [joiner]), s.cfg.shufflePassive);
  return a.concat(p).sort();
}

function onJoinReply(s: HvState, ctx: Ctx, from: PeerId, peers: PeerId[]): void {
  if (s.left) {
    health.say(s, ctx, from, DISCONNECT, [0]);
    return;
  }
  s.joining = false;
  if (!isActive(s, from)) {
    // The contact holds this node now. When walks already filled the view, decline rather than evict.
    if (s.active.length < s.cfg.activeSize) addActive(s, ctx, from);
    else {
      health.say(s, ctx, from, DISCONNECT, [1]);
      addPassive(s, ctx, from, null);
    }
  }
  for (let i = 0; i < peers.length; i++) addPassive(s, ctx, peers[i], null);
}

function onForwardJoin(s: HvState, ctx: Ctx, from: PeerId, newNode: PeerId, ttl: number): void {
  if (s.left || newNode === s.self) return;
  const t = ttl > s.cfg.arwl ? s.cfg.arwl : ttl;
  if (t === 0 || s.active.length <= 1) return acceptJoin(s, ctx, newNode);
  if (t === s.cfg.prwl) addPassive(s, ctx, newNode, null);
  const next = pick(ctx.rng, without(s.active, [from, newNode]));
  if (next === undefined) return acceptJoin(s, ctx, newNode);
  ctx.send(next, FORWARD_JOIN, [newNode, t - 1], CLS_CONTROL);
}

/** The end of a FORWARDJOIN walk: take the new node as a neighbour and tell it so (it cannot refuse). */
function acceptJoin(s: HvState, ctx: Ctx, newNode: PeerId): void {
  if (isActive(s, newNode)) return;
  ctx.count('hv.forwardjoin.accepted', 1);
  addActive(s, ctx, newNode);
  ask(s, ctx, newNode, ASK_FILL, true);
}

function onNeighbor(s: HvState, ctx: Ctx, from: PeerId, high: boolean, root: PeerId): void {
  if (s.left) {
    health.say(s, ctx, from, NEIGHBOR_REPLY, [0]);
    return;
  }
  if (isActive(s, from)) {
    health.say(s, ctx, from, NEIGHBOR_REPLY, [1]);
    return;
  }
  // From another component (component.ts): a link that cannot be refused, and that the asker keeps too.
  const merge = component.outside(s, ctx.now, root);
  if (high || merge || s.active.length < s.cfg.activeSize) {
    ctx.count(high ? 'hv.neighbor.high' : s.active.length < s.cfg.activeSize ? 'hv.neighbor.low' : 'hv.merge.accepted', 1);
    addActive(s, ctx, from);
    health.say(s, ctx, from, NEIGHBOR_REPLY, [merge ? 2 : 1]);
    return;
  }
  ctx.count('hv.neighbor.refused', 1);
  addPassive(s, ctx, from, null);
  health.say(s, ctx, from, NEIGHBOR_REPLY, [0]);
}

function onNeighborReply(s: HvState, ctx: Ctx, from: PeerId, answer: number): void {
  const accepted = answer > 0;
  const why = clearAsking(s, ctx, from);
  // A walk's end asked with the link already in its view: the peer's reply only confirms it.
  if (isActive(s, from)) return;
  if (why === ASK_CHECK) ctx.count(accepted ? 'hv.check.accepted' : 'hv.check.alive', 1);
  if (!accepted) {
    if (why === ASK_REPAIR) ctx.count('hv.repair.dropped', 1);
    // Refused: a full peer. Another backup is asked at once, but not this one again for a shuffle period (refill).
    if (!s.left && s.passive.indexOf(from) >= 0 && Object.keys(s.refused).length < s.cfg.passiveSize) {
      s.refused[from] = ctx.now;
      s.wantRefill = true;
    }
    return;
  }
  if (s.left) {
    health.say(s, ctx, from, DISCONNECT, [0]);
    return;
  }
  // Accepted (perhaps late or duplicated): the peer holds this node, so take it while there is room, or always
  // when it bridges two components (answer 2).
  if (answer === 2) ctx.count('hv.merge', 1);
  if (answer === 2 || s.active.length < s.cfg.activeSize) {
    if (why === ASK_REPAIR) ctx.count('hv.repair.renewed', 1);
    addActive(s, ctx, from);
  } else {
    health.say(s, ctx, from, DISCONNECT, [1]);
    addPassive(s, ctx, from, null);
  }
}

function onDisconnect(s: HvState, ctx: Ctx, from: PeerId, alive: boolean): void {
  if (removeActive(s, from)) {
    ctx.count('hv.disconnected', 1);
    s.wantRefill = true;
  }
  clearAsking(s, ctx, from);
  if (alive) addPassive(s, ctx, from, null);
  else removeFrom(s.passive, from);
}

function onShuffle(s: HvState, ctx: Ctx, from: PeerId, origin: PeerId, ttl: number, list: PeerId[]): void {
  if (s.left || origin === s.self) return;
  const t = (ttl > s.cfg.shuffleTtl ? s.cfg.shuffleTtl : ttl) - 1;
  if (t > 0 && s.active.length > 1) {
    const next = pick(ctx.rng, without(s.active, [from, origin]));
    if (next !== undefined) {
      ctx.send(next, SHUFFLE, [origin, t, list], CLS_CONTROL);
      return;
    }
  }
  // The walk ends here: answer the origin directly with as many passive peers, then take its sample.
  ctx.count('hv.shuffle.accepted', 1);
  const reply = sample(ctx.rng, without(s.passive, [origin]), list.length).sort();
  ctx.send(origin, SHUFFLE_REPLY, reply, CLS_CONTROL);
  addPassive(s, ctx, origin, reply);
  for (let i = 0; i < list.length; i++) addPassive(s, ctx, list[i], reply);
}

function onShuffleReply(s: HvState, ctx: Ctx, list: PeerId[]): void {
  if (s.left) return;
  for (let i = 0; i < list.length; i++) addPassive(s, ctx, list[i], s.shuffleSent);
  s.shuffleSent = [];
  s.shuffleAt = -1;
  // New backups: a view that is not full asks them now rather than at the next failure or shuffle.
  if (s.active.length < s.cfg.activeSize) s.wantRefill = true;
}

function shuffle(s: HvState, ctx: Ctx): void {
  ctx.setTimer(TIMER_SHUFFLE, ctx.now + shuffleDelay(s, ctx, false));
  if (s.shuffleAt >= 0) ctx.count('hv.shuffle.lost', 1);
  s.shuffleAt = -1;
  s.shuffleSent = [];
  // The paper refills on failure only; a view left short by refusals tries again here, at shuffle pace. A full
  // view checks one passive peer (health.ts).
  // A check goes out either way: it may reach a seed or a backup in another component (component.ts).
  // A short view sweeps its whole passive view again instead: shuffles bring back backups unchecked since the
  // failure (dead ones among them), and a live one with room takes the check as a link.
  if (s.active.length < s.cfg.activeSize) {
    s.wantRefill = true;
    health.startSweep(s, ctx);
  }
  health.checkOne(s, ctx);
  // The component label's wave (a root counts up and tells; a lost COMPONENT is made good by the next wave), and
  // the check that this node's root is still heard of.
  component.refresh(s, ctx);
  const target = pick(ctx.rng, s.active);
  if (target === undefined) return;
  const list = sample(ctx.rng, without(s.active, [target]), s.cfg.shuffleActive)
    .concat(sample(ctx.rng, s.passive, s.cfg.shufflePassive))
    .sort();
  ctx.count('hv.shuffle.sent', 1);
  ctx.send(target, SHUFFLE, [s.self, s.cfg.shuffleTtl, list], CLS_CONTROL);
  s.shuffleSent = list;
  s.shuffleAt = ctx.now;
}

function onTimer(s: HvState, ctx: Ctx, id: string): boolean {
  if (id === TIMER_TICK) {
    if (!s.running) return true;
    ctx.setTimer(TIMER_TICK, ctx.now + s.cfg.keepalive);
    health.tick(s, ctx, OPS);
  } else if (id === TIMER_SHUFFLE) {
    if (!s.running) return true;
    shuffle(s, ctx);
  } else if (id === TIMER_JOIN) {
    health.retry(s, ctx, OPS);
  } else if (id === health.TIMER_QUICK) {
    health.quick(s, ctx, OPS);
  } else if (id.indexOf(TIMER_NEIGHBOR) === 0) {
    const p = id.slice(TIMER_NEIGHBOR.length);
    if (!(p in s.asking)) return true;
    if (s.asking[p].sends < s.cfg.neighborTries) {
      ctx.count('hv.neighbor.resent', 1);
      sendNeighbor(s, ctx, p);
      return true;
    }
    const why = s.asking[p].why;
    delete s.asking[p];
    s.askingCount--;
    // No answer: taken as gone (the paper drops a passive peer it cannot connect to). Try another.
    ctx.count('hv.neighbor.timeout', 1);
    if (why === ASK_REPAIR) ctx.count('hv.repair.dropped', 1);
    if (why === ASK_CHECK) ctx.count('hv.check.dead', 1);
    // (A walk's end whose NEIGHBOR went unanswered keeps the link: keepalives will tell whether it holds.)
    if (!isActive(s, p)) {
      removeFrom(s.passive, p);
      markDead(s, ctx, p);
      s.wantRefill = true;
    }
  } else return false;
  settle(s, ctx);
  return true;
}

function onLink(s: HvState, ctx: Ctx, peer: PeerId, up: boolean): void {
  if (peer === s.self) return;
  watch(s, peer, up);
  if (up) {
    // A link that comes up names a live peer: a backup (and, for an isolated node, a way back in).
    if (!s.left) addPassive(s, ctx, peer, null);
    if (s.active.length === 0) s.wantRefill = true;
  } else {
    failActive(s, ctx, peer, 'link', false);
    removeFrom(s.passive, peer);
    if (clearAsking(s, ctx, peer) !== 0) s.wantRefill = true;
  }
  settle(s, ctx);
}

function suspect(s: HvState, ctx: Ctx, peer: PeerId): void {
  failActive(s, ctx, peer, 'suspect', true);
  settle(s, ctx);
}

/** After every input: refill lost slots, report isolation changes, start the timers of a first seed. */
export function settle(s: HvState, ctx: Ctx): void {
  if (s.wantRefill) {
    s.wantRefill = false;
    refill(s, ctx);
  }
  component.relabel(s, ctx);
  health.pumpChecks(s, ctx, OPS);
  health.watchIsolation(s, ctx);
  // A node that never called join (the first seed) starts its timers with its first neighbour.
  if (!s.running && !s.left && s.active.length > 0) start(s, ctx);
}

/** Any valid frame of `from` (any layer: runtime/node.ts): an active peer of the same life is alive now, so its
 *  keepalives and quick probes wait, whatever its membership answers wait behind on a busy link. */
function heardFrom(s: HvState, ctx: Ctx, from: PeerId, incarnation: number): void {
  if (from in s.seen && from in s.inc && s.inc[from] === incarnation) health.hear(s, from, ctx.now);
}

function neighbors(s: HvState): PeerId[] {
  return s.active.slice();
}

function stats(s: HvState): MembershipStats {
  return { active: s.active.length, passive: s.passive.length, isolated: health.isIsolated(s) };
}

export function passiveView(s: HvState): PeerId[] {
  return s.passive.slice();
}

/** What health.ts may do to the views (declared after the functions: the board does not hoist them). */
const OPS: health.Ops = {
  addActive: addActive,
  addPassive: addPassive,
  removeActive: removeActive,
  failActive: failActive,
  ask: ask,
  sendJoin: sendJoin,
};

export const HyParView: Membership<HvState> = {
  name: 'hyparview',
  init: init,
  join: join,
  leave: leave,
  onMessage: onMessage,
  onTimer: onTimer,
  onLink: onLink,
  suspect: suspect,
  heard: heardFrom,
  neighbors: neighbors,
  stats: stats,
};
