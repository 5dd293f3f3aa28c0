/**
 * Client-server membership (PROTOCOL.md, "Client-server"): a server knows every client that joined it and every other server
 * (the servers form a full mesh among themselves); a client knows only servers, and its neighbours are the
 * servers it can reach. A star (or a few joined stars): a gateway Pi serving battery boards, each board talking
 * to one or two gateways and never to another board.
 *
 *   const s = ClientServer.init('tag1', { servers: ['pi1', 'pi2'] });
 *   ClientServer.join(s, ctx, []);        // ctx.send('pi1', JOIN, [0], …), ctx.send('pi2', JOIN, [0], …)
 *   ClientServer.onMessage(s, ctx, 'pi1', 0, JOIN_REPLY, [1, [['pi2', 0]]]);
 *   ClientServer.neighbors(s);            // ['pi1']; 'pi2' too once it answers
 *
 * Roles. `servers` names the servers; a node whose id is in it serves, any other is a client. Left empty (the
 * default), the roles follow the joins: the contacts a node joins through are its servers and the node is a
 * client, while a node that never joins through anyone serves. That is the simplest star, and what a cluster
 * built by "everyone joins through n0" expects.
 *
 * The protocol:
 * - Joining: a node sends JOIN [role] to every server it knows and has not been accepted by (configured servers,
 *   the contacts of join(), servers named by other servers). A server answers JOIN_REPLY with its list of live
 *   servers; an unanswered JOIN is sent again after `joinTimeout`, doubling up to `backoffMax`. Servers join
 *   each other the same way (role 1), which makes their full mesh.
 * - Liveness, both ways: every `keepalive` a client sends KEEPALIVE to each of its live servers, and a server
 *   sends PEERS (its current list of live servers) to each client and each other server. PEERS doubles as the
 *   server's keepalive, so a client's server list stays fresh under loss at the cost of a few ids per period.
 *   A peer not heard from within `peerTimeout` is down (a client forgotten, a server marked down); a link down or a
 *   suspicion marks it down at once. A client whose servers all went silent retries joining them with backoff;
 *   a server named as live by another server is retried from the short interval again (a healed partition).
 * - A server that restarted has lost its clients: a KEEPALIVE from an unknown client re-registers it.
 * - Incarnations as in full.ts (the gate and the tombstones are in peers.ts): an older one is ignored, a newer one
 *   replaces, DISCONNECT leaves a tombstone that ignores late frames of that life for `peerTimeout`, or until a JOIN.
 *
 * Bodies (arrays, PROTOCOL.md); a list is [[peerId, incarnation], …] sorted by peer id:
 *   JOIN        [role]         role 1 from a server, 0 from a client
 *   JOIN_REPLY  [1, servers]   accepted; servers: the live servers the answering node knows (not itself)
 *               [0, servers]   refused (the server is full, or the answering node is no server): try these
 *   PEERS       [servers]      from a server: its live servers (not itself); also its keepalive
 *   KEEPALIVE   []             from a client
 *   DISCONNECT  []
 * A malformed body throws DecodeError (runtime/node.ts counts and drops it) before anything changed.
 *
 * Bounds and policies when full:
 * - Clients per server: `maxClients`. A JOIN past it is refused with JOIN_REPLY [0, servers] (counted
 *   "cs.refused.sent"), so the client tries the other servers and retries this one with backoff; a KEEPALIVE
 *   from an unknown client past it is ignored ("cs.full").
 * - Known servers: `maxServers`. A server named past it is ignored ("cs.servers.full"); a server learned from
 *   others (not configured, not a contact) that is down and no longer named within `peerTimeout` is forgotten.
 * - Tombstones: at most `maxServers` + `maxClients`, oldest first.
 */
import type { Item } from '../../crdt/types.ts';
import { arr, nat, fail } from '../../crdt/check.ts';
import { cmpStr, sortedKeys } from '../../crdt/keys.ts';
import type { Ctx } from '../context.ts';
import { CLS_CONTROL } from '../io.ts';
import type { PeerId } from '../io.ts';
import { DISCONNECT, JOIN, JOIN_REPLY, KEEPALIVE, PEERS, MAX_PEER_ID, peerIdBytes } from '../messages.ts';
import type { Membership, MembershipStats } from './membership.ts';
import { knobs } from '../knobs.ts';
import { dict } from '../tables.ts';
import { type Named, type Peer, type Tombs, admit, armRetry, heard, isGone, knownInc, peerList, stopRetry, tombs, tombstone } from './peers.ts';

export interface CsConfig {
  /** The servers' ids. [] (the default): the contacts of join() are the servers (see Roles above). */
  servers: PeerId[];
  /** ms between keepalives (KEEPALIVE up, PEERS down). 1 s: a frame of a few bytes per second and server is
   *  cheap even on BLE, and a failure shows within `peerTimeout`; a guess, to be validated. */
  keepalive: number;
  /** ms of silence after which a peer is down. 8 s = 8 keepalives. Only direct frames count here (a client's
   *  link to a server is its whole path to it), so the bound is against losing n in a row: with 5, a 2-server,
   *  15-client star at 20% loss dropped a live link about once a minute (measured, 10 seeds); with 8 the odds
   *  per window fall to 0.2^8 = 2.6e-6, under one false drop an hour. A guess, to be validated. */
  peerTimeout: number;
  /** clients one server accepts. 64: a gateway Pi serving a room of boards; a board acting as a server should
   *  set it to a handful. Each costs one PEERS frame per keepalive. */
  maxClients: number;
  /** servers known at once (configured, contacts and learned). 8: a few gateways; each costs a keepalive. */
  maxServers: number;
  /** ms before an unanswered JOIN is sent again. 1 s: several round trips of a slow (BLE, MQTT) link. */
  joinTimeout: number;
  /** ms cap on the doubling JOIN retry interval. 16 s: keeps trying a few times a minute without flooding. */
  backoffMax: number;
}

/**
 * The knobs' defaults (`ranges` false) or what each may be (true, runtime/knobs.ts): periods and timeouts at
 * least 1 ms (0 would spin the tick), room for at least one client and one server (a star with none is no star).
 * Built by a call: on a board an object made while the bundle loads is held for the whole run, one made in init
 * is gone once init returns.
 */
export function csKnobs(ranges: boolean): any {
  return ranges ? { servers: 'ids', keepalive: 'ms 1', peerTimeout: 'ms 1', maxClients: 'count 1', maxServers: 'count 1', joinTimeout: 'ms 1', backoffMax: 'ms 1' }
    : { servers: [], keepalive: 1000, peerTimeout: 8000, maxClients: 64, maxServers: 8, joinTimeout: 1000, backoffMax: 16000 };
}

export const CS_DEFAULTS: CsConfig = /* @__PURE__ */ csKnobs(false);
export const CS_RANGES: { [knob: string]: string } = /* @__PURE__ */ csKnobs(true);

export const TIMER_TICK = 'cs.tick';
export const TIMER_JOIN = 'cs.join';

/** A server as this node knows it. */
export interface Server {
  /** Latest incarnation seen (-1 before any message from it). */
  inc: number;
  /** ms it was last heard from directly. */
  at: number;
  /** Heard from within `peerTimeout` (and accepted this node, for a server it joined). */
  up: boolean;
  /** Configured or a contact: never forgotten, retried while down. */
  seed: boolean;
  /** ms it was last named by another server (or heard from): a learned server is forgotten after `peerTimeout`. */
  seen: number;
}

export interface CsState {
  self: PeerId;
  cfg: CsConfig;
  /** Does this node serve? Fixed by `servers`, or by joining through contacts when `servers` is empty. */
  server: boolean;
  /** Other servers (null-prototype tables: keys come from peers). */
  servers: { [peer: string]: Server };
  nServers: number;
  /** On a server: its live clients. */
  clients: { [peer: string]: Peer };
  nClients: number;
  /** DISCONNECT tombstones (peers.ts). */
  gone: Tombs;
  joined: boolean;
  left: boolean;
  ticking: boolean;
  joining: boolean;
  tries: number;
  /** ms the join timer fires at (while `joining`). */
  joinAt: number;
}

/** `config` may set any knob of CsConfig (others keep CS_DEFAULTS); a bad one throws (runtime/knobs.ts). */
export function init(self: PeerId, config: any): CsState {
  const cfg = knobs('client-server', CS_DEFAULTS, CS_RANGES, config);
  const list: PeerId[] = [];
  const given = cfg.servers;
  for (let i = 0; i < given.length; i++) if (list.indexOf(given[i]) < 0) list.push(given[i]);
  cfg.servers = list.sort(cmpStr);
  const s: CsState = {
    self: self,
    cfg: cfg,
    server: list.length === 0 || list.indexOf(self) >= 0,
    servers: dict<Server>(),
    nServers: 0,
    clients: dict<Peer>(),
    nClients: 0,
    gone: tombs(),
    joined: false,
    left: false,
    ticking: false,
    joining: false,
    tries: 0,
    joinAt: 0,
  };
  for (let i = 0; i < list.length && s.nServers < cfg.maxServers; i++) addServer(s, list[i], true, 0);
  return s;
}

/** Know `p` as a server (down until heard from); false when it is this node or there is no room. */
function addServer(s: CsState, p: PeerId, seed: boolean, now: number): boolean {
  if (p === s.self) return false;
  const e = s.servers[p];
  if (e) {
    if (seed) e.seed = true;
    if (now > e.seen) e.seen = now;
    return true;
  }
  if (s.nServers >= s.cfg.maxServers) return false;
  s.servers[p] = { inc: -1, at: 0, up: false, seed: seed, seen: now };
  s.nServers++;
  // A client registered with this node that turns out to be a server is one no longer.
  if (p in s.clients) {
    delete s.clients[p];
    s.nClients--;
  }
  return true;
}

function ensureTick(s: CsState, ctx: Ctx): void {
  if (s.ticking) return;
  s.ticking = true;
  ctx.setTimer(TIMER_TICK, ctx.now + s.cfg.keepalive);
}

/** Servers known but not up, sorted: the ones to JOIN. */
function pending(s: CsState): PeerId[] {
  const ps = sortedKeys(s.servers);
  const out: PeerId[] = [];
  for (let i = 0; i < ps.length; i++) if (!s.servers[ps[i]].up) out.push(ps[i]);
  return out;
}

/** Send JOIN to every pending server and set the retry timer; nothing while none is pending. */
function joinRound(s: CsState, ctx: Ctx): void {
  const ps = pending(s);
  if (ps.length === 0 || s.left || !s.joined) {
    s.joining = false;
    s.tries = 0;
    return;
  }
  for (let i = 0; i < ps.length; i++) ctx.send(ps[i], JOIN, [s.server ? 1 : 0], CLS_CONTROL);
  ctx.count('cs.join.sent', ps.length);
  s.joinAt = armRetry(s, ctx, TIMER_JOIN, s.cfg.joinTimeout, s.cfg.backoffMax);
}

function startJoining(s: CsState, ctx: Ctx): void {
  if (!s.joining) joinRound(s, ctx);
}

export function join(s: CsState, ctx: Ctx, contacts: PeerId[]): void {
  s.left = false;
  s.joined = true;
  let any = false;
  for (let i = 0; i < contacts.length; i++) {
    const c = contacts[i];
    if (typeof c !== 'string' || c === s.self) continue;
    if (addServer(s, c, true, ctx.now)) any = true;
    else if (c !== s.self) ctx.count('cs.servers.full', 1);
  }
  if (s.cfg.servers.length === 0 && any) s.server = false;
  stopRetry(s, ctx, TIMER_JOIN);
  s.tries = 0;
  joinRound(s, ctx);
  ensureTick(s, ctx);
}

export function leave(s: CsState, ctx: Ctx): void {
  const to = neighbors(s);
  for (let i = 0; i < to.length; i++) ctx.send(to[i], DISCONNECT, [], CLS_CONTROL);
  const ps = sortedKeys(s.servers);
  for (let i = 0; i < ps.length; i++) s.servers[ps[i]].up = false;
  s.clients = dict<Peer>();
  s.nClients = 0;
  s.left = true;
  s.joined = false;
  if (s.joining) ctx.cancelTimer(TIMER_JOIN);
  if (s.ticking) ctx.cancelTimer(TIMER_TICK);
  s.joining = false;
  s.ticking = false;
  s.tries = 0;
}

/** A server was heard from directly. */
function serverUp(s: CsState, ctx: Ctx, p: PeerId, inc: number): boolean {
  if (!addServer(s, p, false, ctx.now)) {
    ctx.count('cs.servers.full', 1);
    return false;
  }
  const e = s.servers[p];
  if (e.inc >= 0 && inc > e.inc) ctx.count('cs.restart', 1);
  e.inc = inc;
  e.at = ctx.now;
  e.seen = ctx.now;
  e.up = true;
  s.joined = true;
  if (pending(s).length === 0 && s.joining) stopRetry(s, ctx, TIMER_JOIN);
  else startJoining(s, ctx);
  ensureTick(s, ctx);
  return true;
}

/** A client was heard from directly; false when there is no room for a new one. */
function clientUp(s: CsState, ctx: Ctx, p: PeerId, inc: number): boolean {
  const c = s.clients[p];
  if (c) {
    heard(ctx, c, inc, 'cs');
    return true;
  }
  if (s.nClients >= s.cfg.maxClients) return false;
  s.clients[p] = { inc: inc, at: ctx.now };
  s.nClients++;
  s.joined = true;
  // A server that was never told to join starts meshing with the servers it knows once someone uses it.
  startJoining(s, ctx);
  ensureTick(s, ctx);
  return true;
}

/** Mark `p` down (a server) or forget it (a client); a learned server that is down is forgotten too. */
function down(s: CsState, ctx: Ctx, p: PeerId): void {
  if (p in s.clients) {
    delete s.clients[p];
    s.nClients--;
  }
  const e = s.servers[p];
  if (e) {
    const was = e.up;
    e.up = false;
    if (!e.seed) {
      delete s.servers[p];
      s.nServers--;
    }
    // A new outage starts a new series of retries, from the short interval.
    if (was && !s.joining) {
      s.tries = 0;
      startJoining(s, ctx);
    }
  }
}

/**
 * Servers named (as live) by a server: the unknown ones are joined. One this node is retrying with a long
 * backoff is evidently up (a partition healed, a server restarted): the backoff starts again from the short
 * interval, so a node vouched for is tried at least every 2 × joinTimeout, not every backoffMax.
 */
function learn(s: CsState, ctx: Ctx, list: Named[]): void {
  let added = false;
  let vouched = false;
  for (let i = 0; i < list.length; i++) {
    const p = list[i].id;
    if (p === s.self) continue;
    if (isGone(s.gone, p, list[i].inc, ctx.now, s.cfg.peerTimeout)) continue;
    const known = p in s.servers;
    if (known && !s.servers[p].up) vouched = true;
    if (!addServer(s, p, false, ctx.now)) ctx.count('cs.servers.full', 1);
    else if (!known) added = true;
  }
  if (vouched && s.joining && s.joinAt > ctx.now + s.cfg.joinTimeout) {
    s.tries = 1;
    s.joinAt = ctx.now + s.cfg.joinTimeout;
    ctx.setTimer(TIMER_JOIN, s.joinAt);
  }
  if (added) startJoining(s, ctx);
}

/** The live servers this node knows, as a sorted wire list, without `except`. */
function serverList(s: CsState, except: PeerId): Item[] {
  const ps = sortedKeys(s.servers);
  const out: Item[] = [];
  for (let i = 0; i < ps.length; i++) {
    const e = s.servers[ps[i]];
    if (e.up && ps[i] !== except) out.push([ps[i], e.inc]);
  }
  return out;
}

export function onMessage(s: CsState, ctx: Ctx, from: PeerId, inc: number, type: number, body: Item): boolean {
  let list: Named[] = [];
  let flag = 0;
  if (type === JOIN) {
    flag = nat(arr(body, 'JOIN', 1)[0], 'JOIN role');
    if (flag > 1) fail('JOIN role: expected 0 or 1');
  } else if (type === JOIN_REPLY) {
    const b = arr(body, 'JOIN_REPLY', 2);
    flag = nat(b[0], 'JOIN_REPLY accepted');
    if (flag > 1) fail('JOIN_REPLY accepted: expected 0 or 1');
    list = peerList(b[1], 'JOIN_REPLY', 2);
  } else if (type === PEERS) list = peerList(arr(body, 'PEERS', 1)[0], 'PEERS', 2);
  else if (type === KEEPALIVE) arr(body, 'KEEPALIVE', 0);
  else if (type === DISCONNECT) arr(body, 'DISCONNECT', 0);
  else return false;
  if (s.left) {
    ctx.count('cs.left', 1);
    return true;
  }
  if (from === s.self || peerIdBytes(from) > MAX_PEER_ID) return true;
  const known = knownInc(s.servers, s.clients, from);
  if (!admit(ctx, s.gone, known, from, inc, type === JOIN, s.cfg.peerTimeout, 'cs')) return true;
  if (type === DISCONNECT) {
    ctx.count('cs.disconnect', 1);
    down(s, ctx, from);
    tombstone(s.gone, from, inc, ctx.now, s.cfg.maxServers + s.cfg.maxClients);
  } else if (type === JOIN) onJoin(s, ctx, from, inc, flag === 1);
  else if (type === JOIN_REPLY) {
    if (flag === 1) serverUp(s, ctx, from, inc);
    else ctx.count('cs.refused', 1);
    learn(s, ctx, list);
  } else if (type === PEERS) {
    if (serverUp(s, ctx, from, inc)) learn(s, ctx, list);
  } else if (!s.server) ctx.count('cs.unexpected', 1);
  // A KEEPALIVE from a peer our list says serves: the mismatch onJoin counts, and one peer is never both.
  else if (from in s.servers) ctx.count('cs.role.mismatch', 1);
  else if (!clientUp(s, ctx, from, inc)) ctx.count('cs.full', 1);
  return true;
}

function onJoin(s: CsState, ctx: Ctx, from: PeerId, inc: number, isServer: boolean): void {
  let ok = false;
  if (!s.server) ctx.count('cs.notserver', 1);
  else if (isServer) ok = serverUp(s, ctx, from, inc);
  else if (from in s.servers) {
    // Our list says it serves: a configuration mismatch the operator must fix; keep it a server.
    ctx.count('cs.role.mismatch', 1);
  } else ok = clientUp(s, ctx, from, inc);
  if (!ok) ctx.count('cs.refused.sent', 1);
  ctx.send(from, JOIN_REPLY, [ok ? 1 : 0, serverList(s, from)], CLS_CONTROL);
}

/** Every `keepalive`: mark the silent down, forget stale learned servers, keep the live ones alive. */
function tick(s: CsState, ctx: Ctx): void {
  s.ticking = false;
  const cs = sortedKeys(s.clients);
  for (let i = 0; i < cs.length; i++) {
    if (s.clients[cs[i]].at + s.cfg.peerTimeout <= ctx.now) {
      ctx.count('cs.timeout', 1);
      down(s, ctx, cs[i]);
    }
  }
  const ps = sortedKeys(s.servers);
  for (let i = 0; i < ps.length; i++) {
    const e = s.servers[ps[i]];
    if (e.up && e.at + s.cfg.peerTimeout <= ctx.now) {
      ctx.count('cs.timeout', 1);
      down(s, ctx, ps[i]);
    } else if (!e.up && !e.seed && e.seen + s.cfg.peerTimeout <= ctx.now) {
      delete s.servers[ps[i]];
      s.nServers--;
    }
  }
  const to = neighbors(s);
  if (s.server) {
    const list = serverList(s, '');
    for (let i = 0; i < to.length; i++) ctx.send(to[i], PEERS, [list], CLS_CONTROL);
  } else {
    for (let i = 0; i < to.length; i++) ctx.send(to[i], KEEPALIVE, [], CLS_CONTROL);
  }
  if (to.length > 0 || s.joined) ensureTick(s, ctx);
}

export function onTimer(s: CsState, ctx: Ctx, id: string): boolean {
  if (id === TIMER_TICK) {
    if (s.ticking) tick(s, ctx);
  } else if (id === TIMER_JOIN) {
    if (s.joining) {
      s.joining = false;
      joinRound(s, ctx);
    }
  } else return false;
  return true;
}

export function onLink(s: CsState, ctx: Ctx, peer: PeerId, up: boolean): void {
  if (up || !(peer in s.clients || (peer in s.servers && s.servers[peer].up))) return;
  ctx.count('cs.linkdown', 1);
  down(s, ctx, peer);
}

export function suspect(s: CsState, ctx: Ctx, peer: PeerId): void {
  if (!(peer in s.clients || (peer in s.servers && s.servers[peer].up))) return;
  ctx.count('cs.suspect', 1);
  down(s, ctx, peer);
}

/** Any valid frame of a live client or an up server, of the life known, refreshes it (Membership.heard): its
 *  keepalive or PEERS stuck behind a backlog of data on a thin link must not get it taken as down. */
export function heardFrom(s: CsState, ctx: Ctx, from: PeerId, inc: number): void {
  const c = s.clients[from];
  if (c && c.inc === inc) c.at = ctx.now;
  const e = s.servers[from];
  if (e && e.up && e.inc === inc) e.at = ctx.now;
}

/** Live servers, and on a server its clients too, sorted. */
export function neighbors(s: CsState): PeerId[] {
  const out: PeerId[] = [];
  const ps = Object.keys(s.servers);
  for (let i = 0; i < ps.length; i++) if (s.servers[ps[i]].up) out.push(ps[i]);
  const cs = Object.keys(s.clients);
  for (let i = 0; i < cs.length; i++) out.push(cs[i]);
  return out.sort(cmpStr);
}

export function stats(s: CsState): MembershipStats {
  const n = neighbors(s).length;
  return { active: n, passive: pending(s).length, isolated: s.joined && n === 0 };
}

export const ClientServer: Membership<CsState> = {
  name: 'client-server',
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
