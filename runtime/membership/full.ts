/**
 * Full membership (PROTOCOL.md, "Full membership"): everyone knows everyone. The simplest manager, for small clusters (a handful
 * of boards and a gateway) where a HyParView overlay would cost more code than it saves messages.
 *
 *   const s = Full.init('a', { keepalive: 500 });
 *   Full.join(s, ctx, ['seed']);          // ctx.send('seed', JOIN, [], CLS_CONTROL); a retry timer "full.join"
 *   Full.onMessage(s, ctx, 'seed', 0, JOIN_REPLY, [1, [['b', 0, 250]]]); // b: heard by seed 250 ms ago
 *   Full.neighbors(s);                    // ['seed'] now; 'b' too once it is heard from directly
 *
 * The protocol:
 * - join(contacts) sends JOIN to every contact; a member answers JOIN_REPLY with its member list. A JOIN (or its
 *   reply) lost on the way is sent again after `joinTimeout`, doubling up to `backoffMax`, until some member
 *   is heard from. A node whose members all went silent starts joining its contacts again the same way.
 * - Every `keepalive` a node sends HEARTBEAT to every member, carrying a random sample of at most `sample` of its
 *   members, so knowledge of a newcomer spreads in a few periods even though it joined through one contact.
 * - Only a message straight from a peer makes it a member. A peer heard of second hand is a candidate: it is
 *   sent heartbeats too, and becomes a member when it answers; a candidate never heard from is forgotten after
 *   `peerTimeout`.
 * - Liveness: each sample entry carries its age, the ms since the sender last heard that member directly, and a
 *   receiver takes the freshest of its own contact and its members' (gossip-style failure detection, after van
 *   Renesse, Minsky, Hayden 1998). Direct heartbeats alone are not enough under loss: at 20% loss five in a
 *   row are lost with p = 0.2^5, so a 20-node mesh (380 directed links) drops a live link every 8 periods or
 *   so. With hearsay of direct contact, a live member is dropped only when nobody has heard it. A crashed node cannot be kept alive that way, since every age goes back to a real
 *   contact: it leaves every view at most `peerTimeout` + `keepalive` (plus one link latency) after its last frame.
 * - A member not heard of within `peerTimeout` is removed at the next tick; a link down or a suspicion (a layer
 *   above gave up on it) removes it at once. A message from it later brings it back: it was alive after all.
 * - Incarnations: each peer's latest is remembered; a message from an older one is ignored (a late frame of an
 *   earlier life), a newer one replaces it (a restart). DISCONNECT leaves a tombstone with the incarnation it
 *   came from, so for `peerTimeout` a late HEARTBEAT of that life does not re-add the peer; a JOIN clears it.
 * - Partitions: the two sides of a partition each drop the other as silent, and nothing else would bring them
 *   back together, so every `reconnect` a node sends one JOIN to a peer picked at random among its contacts and
 *   its lost members (removed as silent or suspected) that are not members now. The first answer merges the
 *   two member lists, and heartbeats do the rest within a few periods.
 * - leave() sends DISCONNECT to every member and stops the timers; until the next join() the node stays silent.
 *
 * Bodies (arrays, PROTOCOL.md); a list is [[peerId, incarnation, age ms], …] sorted by peer id:
 *   JOIN        []
 *   JOIN_REPLY  [1, list]   accepted: the member list (without the joiner)
 *               [0, []]     refused: this member has `maxMembers` members already
 *   HEARTBEAT   [list]      a sample of the sender's members
 *   DISCONNECT  []
 * A malformed body throws DecodeError (runtime/node.ts counts and drops it) before anything changed.
 *
 * Bounds and policies when full:
 * - Members and candidates together: at most `maxMembers`. A full node refuses a JOIN ([0, []], counted
 *   "full.refused.sent"), ignores heartbeats of unknown peers ("full.full") and learns no candidates
 *   ("full.candidates.full"). A refused joiner keeps retrying with backoff: room frees when someone leaves.
 * - Tombstones and lost members: at most `maxMembers` each, the oldest forgotten first.
 */
import type { Item } from '../../crdt/types.ts';
import { arr, nat, fail } from '../../crdt/check.ts';
import { cmpStr, sortedKeys } from '../../crdt/keys.ts';
import type { Ctx } from '../context.ts';
import { CLS_CONTROL } from '../io.ts';
import type { PeerId } from '../io.ts';
import { DISCONNECT, HEARTBEAT, JOIN, JOIN_REPLY } from '../messages.ts';
import { below, sample } from '../rng.ts';
import type { Membership, MembershipStats } from './membership.ts';
import { knobs } from '../knobs.ts';
import { dict } from '../tables.ts';
import { type Named, type Peer, type Tombs, admit, armRetry, heard, isGone, knownInc, peerList, stopRetry, tombs, tombstone } from './peers.ts';

export interface FullConfig {
  /** ms between heartbeats to every member. 1 s: one small frame per member per second is affordable on BLE
   *  and MQTT at the cluster sizes full membership is for (a few dozen nodes); a guess, to be validated. */
  keepalive: number;
  /** ms without news of a member (its own frame, or a fresher age from another member) after which it is
   *  removed. 5 s = 5 periods: room for a few lost heartbeats on top of the gossiped ages; a guess. */
  peerTimeout: number;
  /** members named in one heartbeat. 8: each heartbeat reaches every member, so a newcomer is known to all
   *  within about log8(n) + 1 periods, and a frame stays near 100 bytes with short ids; a guess. */
  sample: number;
  /** members plus candidates. 32: every node sends n heartbeats per period, so past a few dozen nodes
   *  HyParView is the manager to use; it also bounds the JOIN_REPLY list. */
  maxMembers: number;
  /** ms before an unanswered JOIN is sent again. 1 s: several round trips of a slow (BLE, MQTT) link. */
  joinTimeout: number;
  /** ms cap on the doubling JOIN retry interval. 16 s: a node that lost everyone still tries a few times
   *  a minute, without flooding a contact that is down for long. */
  backoffMax: number;
  /** ms between JOINs to one peer picked among the contacts and the lost members that are not members now,
   *  which is how the two sides of a healed partition find each other again (after Serf's reconnect of
   *  failed members, every 30 s there). 10 s: one small frame per node per 10 s; a guess. */
  reconnect: number;
}

export const FULL_DEFAULTS: FullConfig = {
  keepalive: 1000,
  peerTimeout: 5000,
  sample: 8,
  maxMembers: 32,
  joinTimeout: 1000,
  backoffMax: 16000,
  reconnect: 10000,
};

/** What each knob may be (runtime/knobs.ts): periods and timeouts at least 1 ms (0 would spin the tick), at
 *  least one member (and one named per heartbeat, or newcomers would spread only through JOIN replies). */
export const FULL_RANGES: { [knob: string]: string } = {
  keepalive: 'ms 1',
  peerTimeout: 'ms 1',
  sample: 'count 1',
  maxMembers: 'count 1',
  joinTimeout: 'ms 1',
  backoffMax: 'ms 1',
  reconnect: 'ms 1',
};

export const TIMER_TICK = 'full.tick';
export const TIMER_JOIN = 'full.join';

export interface FullState {
  self: PeerId;
  cfg: FullConfig;
  /** Peers heard from directly within `peerTimeout`: the neighbours (null-prototype tables: keys come from peers). */
  members: { [peer: string]: Peer };
  nMembers: number;
  /** Peers named by others, not yet heard from. */
  candidates: { [peer: string]: Peer };
  nCandidates: number;
  /** DISCONNECT tombstones. */
  gone: Tombs;
  /** Members removed as silent or suspected (not those that left), oldest first, at most `maxMembers`: the
   *  reconnect targets besides the contacts. */
  lost: PeerId[];
  /** ms of the next reconnect JOIN. */
  nextProbe: number;
  /** The contacts of the last join(), sorted: where to turn when every member is gone. */
  contacts: PeerId[];
  /** join() was called, or some peer joined this node: from then on an empty view means isolated. */
  joined: boolean;
  /** Left and not joined again: the node ignores membership traffic. */
  left: boolean;
  /** The tick timer is set. */
  ticking: boolean;
  /** The join retry timer is set; `tries` JOIN rounds went unanswered so far. */
  joining: boolean;
  tries: number;
}

/** `config` may set any knob of FullConfig (others keep FULL_DEFAULTS); a bad one throws (runtime/knobs.ts). */
export function init(self: PeerId, config: any): FullState {
  return {
    self: self,
    cfg: knobs('full', FULL_DEFAULTS, FULL_RANGES, config),
    members: dict<Peer>(),
    nMembers: 0,
    candidates: dict<Peer>(),
    nCandidates: 0,
    gone: tombs(),
    lost: [],
    nextProbe: 0,
    contacts: [],
    joined: false,
    left: false,
    ticking: false,
    joining: false,
    tries: 0,
  };
}

function ensureTick(s: FullState, ctx: Ctx): void {
  if (s.ticking) return;
  s.ticking = true;
  ctx.setTimer(TIMER_TICK, ctx.now + s.cfg.keepalive);
}

/** Send a JOIN round to the contacts and set the retry timer. */
function joinRound(s: FullState, ctx: Ctx): void {
  if (s.contacts.length === 0) return;
  for (let i = 0; i < s.contacts.length; i++) ctx.send(s.contacts[i], JOIN, [], CLS_CONTROL);
  ctx.count('full.join.sent', s.contacts.length);
  armRetry(s, ctx, TIMER_JOIN, s.cfg.joinTimeout, s.cfg.backoffMax);
}

export function join(s: FullState, ctx: Ctx, contacts: PeerId[]): void {
  s.left = false;
  s.joined = true;
  const cs: PeerId[] = [];
  for (let i = 0; i < contacts.length && cs.length < s.cfg.maxMembers; i++) {
    const c = contacts[i];
    if (typeof c === 'string' && c !== s.self && cs.indexOf(c) < 0) cs.push(c);
  }
  s.contacts = cs.sort(cmpStr);
  s.tries = 0;
  s.nextProbe = ctx.now + s.cfg.reconnect;
  joinRound(s, ctx);
  ensureTick(s, ctx);
}

export function leave(s: FullState, ctx: Ctx): void {
  const ms = sortedKeys(s.members);
  for (let i = 0; i < ms.length; i++) ctx.send(ms[i], DISCONNECT, [], CLS_CONTROL);
  s.members = dict<Peer>();
  s.nMembers = 0;
  s.candidates = dict<Peer>();
  s.nCandidates = 0;
  s.lost = [];
  s.left = true;
  s.joined = false;
  stopRetry(s, ctx, TIMER_JOIN);
  if (s.ticking) ctx.cancelTimer(TIMER_TICK);
  s.ticking = false;
}

/** Make `p` a member (it was heard from directly); false when there is no room. */
function addMember(s: FullState, ctx: Ctx, p: PeerId, inc: number): boolean {
  const m = s.members[p];
  if (m) {
    heard(ctx, m, inc, 'full');
    return true;
  }
  const wasCandidate = p in s.candidates;
  if (!wasCandidate && s.nMembers + s.nCandidates >= s.cfg.maxMembers) {
    ctx.count('full.full', 1);
    return false;
  }
  if (wasCandidate) {
    delete s.candidates[p];
    s.nCandidates--;
  }
  s.members[p] = { inc: inc, at: ctx.now };
  s.nMembers++;
  const l = s.lost.indexOf(p);
  if (l >= 0) s.lost.splice(l, 1);
  s.joined = true;
  stopRetry(s, ctx, TIMER_JOIN);
  ensureTick(s, ctx);
  return true;
}

/** Remove a member or candidate; `lost` (silent or suspected, not left) keeps it as a reconnect target. */
function removeMember(s: FullState, ctx: Ctx, p: PeerId, lost: boolean): void {
  if (p in s.members) {
    delete s.members[p];
    s.nMembers--;
    if (lost && s.lost.indexOf(p) < 0) {
      if (s.lost.length >= s.cfg.maxMembers) s.lost.shift();
      s.lost.push(p);
    }
  }
  if (p in s.candidates) {
    delete s.candidates[p];
    s.nCandidates--;
  }
  if (s.nMembers === 0 && !s.joining && !s.left) joinRound(s, ctx);
}

/**
 * Peers named by a member: a member of the same life heard from more recently by the sender counts as heard
 * then (the sender's own direct contact, so no crashed peer is kept alive by hearsay); unknown ones become
 * candidates while there is room.
 */
function learn(s: FullState, ctx: Ctx, list: Named[]): void {
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    const m = s.members[e.id];
    if (m && m.inc === e.inc && ctx.now - e.age > m.at) m.at = ctx.now - e.age;
    if (e.id === s.self || m || e.id in s.candidates) continue;
    if (isGone(s.gone, e.id, e.inc, ctx.now, s.cfg.peerTimeout)) continue;
    if (s.nMembers + s.nCandidates >= s.cfg.maxMembers) {
      ctx.count('full.candidates.full', 1);
      return;
    }
    s.candidates[e.id] = { inc: e.inc, at: ctx.now };
    s.nCandidates++;
  }
  if (s.nCandidates > 0) ensureTick(s, ctx);
}

/** The sorted list of members to send, without `except`, at most `k` of them chosen at random. */
function memberList(s: FullState, ctx: Ctx, k: number, except: PeerId): Item[] {
  const ids = sortedKeys(s.members);
  const i = ids.indexOf(except);
  if (i >= 0) ids.splice(i, 1);
  const pick = ids.length > k ? sample(ctx.rng, ids, k).sort(cmpStr) : ids;
  const out: Item[] = [];
  for (let j = 0; j < pick.length; j++) {
    const m = s.members[pick[j]];
    out.push([pick[j], m.inc, Math.floor(ctx.now - m.at)]);
  }
  return out;
}

export function onMessage(s: FullState, ctx: Ctx, from: PeerId, inc: number, type: number, body: Item): boolean {
  let list: Named[] = [];
  let ok = 1;
  if (type === JOIN || type === DISCONNECT) arr(body, type === JOIN ? 'JOIN' : 'DISCONNECT', 0);
  else if (type === HEARTBEAT) list = peerList(arr(body, 'HEARTBEAT', 1)[0], 'HEARTBEAT', 3);
  else if (type === JOIN_REPLY) {
    const b = arr(body, 'JOIN_REPLY', 2);
    ok = nat(b[0], 'JOIN_REPLY accepted');
    if (ok > 1) fail('JOIN_REPLY accepted: expected 0 or 1');
    list = peerList(b[1], 'JOIN_REPLY', 3);
  } else return false;
  if (s.left) {
    ctx.count('full.left', 1);
    return true;
  }
  if (from === s.self) return true;
  const known = knownInc(s.members, s.candidates, from);
  if (!admit(ctx, s.gone, known, from, inc, type === JOIN, s.cfg.peerTimeout, 'full')) return true;
  if (type === DISCONNECT) {
    ctx.count('full.disconnect', 1);
    removeMember(s, ctx, from, false);
    tombstone(s.gone, from, inc, ctx.now, s.cfg.maxMembers);
  } else if (type === JOIN) {
    if (addMember(s, ctx, from, inc)) ctx.send(from, JOIN_REPLY, [1, memberList(s, ctx, s.cfg.maxMembers, from)], CLS_CONTROL);
    else {
      ctx.count('full.refused.sent', 1);
      ctx.send(from, JOIN_REPLY, [0, []], CLS_CONTROL);
    }
  } else if (type === JOIN_REPLY && ok === 0) {
    ctx.count('full.refused', 1);
  } else if (addMember(s, ctx, from, inc)) learn(s, ctx, list);
  return true;
}

/** Every `keepalive`: drop the silent, heartbeat everyone (members and candidates), then set the next tick. */
function tick(s: FullState, ctx: Ctx): void {
  s.ticking = false;
  const ms = sortedKeys(s.members);
  for (let i = 0; i < ms.length; i++) {
    if (s.members[ms[i]].at + s.cfg.peerTimeout <= ctx.now) {
      ctx.count('full.timeout', 1);
      removeMember(s, ctx, ms[i], true);
    }
  }
  const cs = sortedKeys(s.candidates);
  for (let i = 0; i < cs.length; i++) {
    if (s.candidates[cs[i]].at + s.cfg.peerTimeout <= ctx.now) removeMember(s, ctx, cs[i], false);
  }
  const to = sortedKeys(s.members).concat(sortedKeys(s.candidates)).sort(cmpStr);
  if (to.length > 0) {
    const list = memberList(s, ctx, s.cfg.sample, '');
    for (let i = 0; i < to.length; i++) ctx.send(to[i], HEARTBEAT, [list], CLS_CONTROL);
  }
  const away = reconnectTargets(s);
  if (away.length > 0 && ctx.now >= s.nextProbe) {
    s.nextProbe = ctx.now + s.cfg.reconnect;
    ctx.count('full.reconnect', 1);
    ctx.send(away[below(ctx.rng, away.length)], JOIN, [], CLS_CONTROL);
  }
  if (to.length > 0 || away.length > 0) ensureTick(s, ctx);
}

/** Contacts and lost members that are neither members nor candidates now, sorted. */
function reconnectTargets(s: FullState): PeerId[] {
  const out: PeerId[] = [];
  const all = s.contacts.concat(s.lost);
  for (let i = 0; i < all.length; i++) {
    const p = all[i];
    if (!(p in s.members) && !(p in s.candidates) && out.indexOf(p) < 0) out.push(p);
  }
  return out.sort(cmpStr);
}

export function onTimer(s: FullState, ctx: Ctx, id: string): boolean {
  if (id === TIMER_TICK) {
    if (s.ticking) tick(s, ctx);
  } else if (id === TIMER_JOIN) {
    s.joining = false;
    if (s.nMembers === 0 && !s.left) joinRound(s, ctx);
    else s.tries = 0;
  } else return false;
  return true;
}

export function onLink(s: FullState, ctx: Ctx, peer: PeerId, up: boolean): void {
  if (up || !(peer in s.members || peer in s.candidates)) return;
  ctx.count('full.linkdown', 1);
  removeMember(s, ctx, peer, true);
}

export function suspect(s: FullState, ctx: Ctx, peer: PeerId): void {
  if (!(peer in s.members || peer in s.candidates)) return;
  ctx.count('full.suspect', 1);
  removeMember(s, ctx, peer, true);
}

export function neighbors(s: FullState): PeerId[] {
  return sortedKeys(s.members);
}

/** Any frame from a member of the life we know refreshes it: a heartbeat stuck behind a backlog of deltas on a
 *  thin link must not get a live member removed. Other lives and strangers still go through onMessage's checks. */
export function heardFrom(s: FullState, ctx: Ctx, from: PeerId, inc: number): void {
  const m = s.members[from];
  if (m && m.inc === inc) m.at = ctx.now;
}

export function stats(s: FullState): MembershipStats {
  return { active: s.nMembers, passive: 0, isolated: s.joined && s.nMembers === 0 };
}

export const Full: Membership<FullState> = {
  name: 'full',
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
