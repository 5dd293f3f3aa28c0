/**
 * The client role of client-server membership (clientserver.ts, PROTOCOL.md "Client-server"), alone: a node that
 * only ever joins servers and never serves. Same wire, same knobs, same timing as a ClientServer client, in a
 * handful of functions: a board that talks to its gateway pays for this, not for the server's bookkeeping
 * (clients, the server mesh, refusals). A gateway runs ClientServer; its clients may run either.
 *
 *   const s = Client.init('tag1', { servers: ['pi'] });
 *   Client.join(s, ctx, []);                              // ctx.send('pi', JOIN, [0], …)
 *   Client.onMessage(s, ctx, 'pi', 0, JOIN_REPLY, [1, []]);
 *   Client.neighbors(s);                                  // ['pi']
 *
 * What it leaves out, as a client needs none of it: accepting clients (a JOIN is answered JOIN_REPLY [0, servers],
 * counted "cs.notserver"; a KEEPALIVE is counted "cs.unexpected"), and the server role that ClientServer takes
 * when `servers` is empty and nobody is joined through (a Client never serves). The servers it knows are bounded
 * by `maxServers` ("cs.servers.full"); a learned server that is down and no longer named within `peerTimeout` is
 * forgotten; one DISCONNECT tombstone per server ignores late frames of the life that left, for `peerTimeout`.
 */
import type { Item } from '../../crdt/types.ts';
import { arr, nat, fail } from '../../crdt/check.ts';
import { sortedKeys } from '../../crdt/keys.ts';
import type { Ctx } from '../context.ts';
import { CLS_CONTROL } from '../io.ts';
import type { PeerId } from '../io.ts';
import { DISCONNECT, JOIN, JOIN_REPLY, KEEPALIVE, PEERS } from '../messages.ts';
import type { Membership, MembershipStats } from './membership.ts';
import { knobs } from '../knobs.ts';
import { dict } from '../tables.ts';
import { backoff } from '../backoff.ts';
import { type CsConfig, CS_DEFAULTS, CS_RANGES, TIMER_TICK, TIMER_JOIN } from './clientserver.ts';
import { peerList } from './peers.ts';

/** A server as the client knows it. */
interface Srv {
  /** Latest incarnation seen (-1 before any message from it). */
  inc: number;
  /** ms last heard from directly. */
  at: number;
  up: boolean;
  /** Configured or a contact: never forgotten. */
  seed: boolean;
  /** ms last named by a server (or heard from). */
  seen: number;
  /** The incarnation that sent DISCONNECT (-1: none) and when: its late frames are ignored for peerTimeout. */
  goneInc: number;
  goneAt: number;
}

export interface ClientState {
  self: PeerId;
  cfg: CsConfig;
  servers: { [peer: string]: Srv };
  n: number;
  joined: boolean;
  left: boolean;
  ticking: boolean;
  joining: boolean;
  tries: number;
  joinAt: number;
}

/** Know `p` as a server, seen now (ctx.now; 0 without a ctx, at init); false when it is this node or there is no
 *  room (counted). */
function add(s: ClientState, ctx: Ctx | null, p: PeerId, seed: boolean): boolean {
  if (p === s.self) return false;
  const now = ctx ? ctx.now : 0;
  const e = s.servers[p];
  if (e) {
    if (seed) e.seed = true;
    if (now > e.seen) e.seen = now;
    return true;
  }
  if (s.n >= s.cfg.maxServers) {
    if (ctx) ctx.count('cs.servers.full', 1);
    return false;
  }
  s.servers[p] = { inc: -1, at: 0, up: false, seed: seed, seen: now, goneInc: -1, goneAt: 0 };
  s.n++;
  return true;
}

/**
 * What happens on the client's clock and commands, by `what`: TIMER_TICK (keepalive timer: mark the silent down,
 * forget stale learned servers, KEEPALIVE the live ones), TIMER_JOIN (the join retry timer) or 'join' (a JOIN round
 * to every server not up, with the doubling retry), 'down' (server `p` is down: a new outage restarts the retries
 * from the short interval). Also the manager's onTimer (one function, not two: a board pays per function): false
 * for any other timer id.
 */
function run(s: ClientState, ctx: Ctx, what: string, p?: PeerId): boolean {
  const ps = sortedKeys(s.servers);
  if (what === 'down') {
    const e = s.servers[p as PeerId];
    if (!e) return true;
    const was = e.up;
    e.up = false;
    if (!e.seed) {
      delete s.servers[p as PeerId];
      s.n--;
    }
    if (!was || s.joining) return true;
    s.tries = 0;
    what = 'join';
  } else if (what === TIMER_JOIN) {
    if (!s.joining) return true;
    s.joining = false;
  } else if (what === TIMER_TICK) {
    if (!s.ticking) return true;
    s.ticking = false;
    let live = 0;
    for (let i = 0; i < ps.length; i++) {
      const e = s.servers[ps[i]];
      if (!e) continue;
      if (e.up && e.at + s.cfg.peerTimeout <= ctx.now) {
        ctx.count('cs.timeout', 1);
        run(s, ctx, 'down', ps[i]);
      } else if (!e.up && !e.seed && e.seen + s.cfg.peerTimeout <= ctx.now) {
        delete s.servers[ps[i]];
        s.n--;
      } else if (e.up) {
        ctx.send(ps[i], KEEPALIVE, [], CLS_CONTROL);
        live++;
      }
    }
    if (live > 0 || s.joined) {
      s.ticking = true;
      ctx.setTimer(TIMER_TICK, ctx.now + s.cfg.keepalive);
    }
    return true;
  } else if (what !== 'join') return false;
  // A JOIN round.
  let sent = 0;
  if (!s.left && s.joined) {
    for (let i = 0; i < ps.length; i++) {
      const e = s.servers[ps[i]];
      if (!e || e.up) continue;
      ctx.send(ps[i], JOIN, [0], CLS_CONTROL);
      sent++;
    }
  }
  if (sent === 0) {
    s.joining = false;
    s.tries = 0;
    return true;
  }
  ctx.count('cs.join.sent', sent);
  s.joinAt = ctx.now + backoff(s.cfg.joinTimeout, s.cfg.backoffMax, s.tries);
  s.joining = true;
  s.tries++;
  ctx.setTimer(TIMER_JOIN, s.joinAt);
  return true;
}

/** `config` takes the knobs of CsConfig (clientserver.ts); `servers` are joined like the contacts of join(). */
function init(self: PeerId, config: any): ClientState {
  const s: ClientState = {
    self: self,
    cfg: knobs('client-server', CS_DEFAULTS, CS_RANGES, config),
    servers: dict<Srv>(),
    n: 0,
    joined: false,
    left: false,
    ticking: false,
    joining: false,
    tries: 0,
    joinAt: 0,
  };
  for (let i = 0; i < s.cfg.servers.length; i++) add(s, null, s.cfg.servers[i], true);
  return s;
}

function join(s: ClientState, ctx: Ctx, contacts: PeerId[]): void {
  s.left = false;
  s.joined = true;
  for (let i = 0; i < contacts.length; i++) if (typeof contacts[i] === 'string') add(s, ctx, contacts[i], true);
  if (s.joining) ctx.cancelTimer(TIMER_JOIN);
  s.joining = false;
  s.tries = 0;
  run(s, ctx, 'join');
  if (!s.ticking) {
    s.ticking = true;
    ctx.setTimer(TIMER_TICK, ctx.now + s.cfg.keepalive);
  }
}

function leave(s: ClientState, ctx: Ctx): void {
  const ps = sortedKeys(s.servers);
  for (let i = 0; i < ps.length; i++) {
    if (s.servers[ps[i]].up) ctx.send(ps[i], DISCONNECT, [], CLS_CONTROL);
    s.servers[ps[i]].up = false;
  }
  s.left = true;
  s.joined = false;
  if (s.joining) ctx.cancelTimer(TIMER_JOIN);
  if (s.ticking) ctx.cancelTimer(TIMER_TICK);
  s.joining = false;
  s.ticking = false;
  s.tries = 0;
}

function onMessage(s: ClientState, ctx: Ctx, from: PeerId, inc: number, type: number, body: Item): boolean {
  // The body is checked whole before anything changes (a DecodeError is counted and dropped by the node).
  let flag = 0;
  let list: Item = [];
  if (type === JOIN || type === JOIN_REPLY) {
    const b = arr(body, type === JOIN ? 'JOIN' : 'JOIN_REPLY', type === JOIN ? 1 : 2);
    flag = nat(b[0], 'JOIN flag');
    if (flag > 1) fail('JOIN flag: expected 0 or 1');
    if (type === JOIN_REPLY) list = b[1];
  } else if (type === PEERS) list = arr(body, 'PEERS', 1)[0];
  else if (type === KEEPALIVE || type === DISCONNECT) arr(body, 'KEEPALIVE', 0);
  else return false;
  const named = peerList(list, 'servers', 2);
  if (s.left) {
    ctx.count('cs.left', 1);
    return true;
  }
  if (from === s.self) return true;
  const e = s.servers[from];
  if (e && inc < e.inc) {
    ctx.count('cs.stale', 1);
    return true;
  }
  if (e && type === JOIN) e.goneInc = -1;
  else if (e && e.goneInc >= 0 && e.goneAt + s.cfg.peerTimeout > ctx.now && inc <= e.goneInc) {
    ctx.count('cs.gone', 1);
    return true;
  }
  if (type === JOIN) {
    // A client serves nobody: it says so, and names the servers it knows.
    ctx.count('cs.notserver', 1);
    ctx.count('cs.refused.sent', 1);
    const ps = sortedKeys(s.servers);
    const out: Item[] = [];
    for (let i = 0; i < ps.length; i++) if (s.servers[ps[i]].up && ps[i] !== from) out.push([ps[i], s.servers[ps[i]].inc]);
    ctx.send(from, JOIN_REPLY, [0, out], CLS_CONTROL);
  } else if (type === KEEPALIVE) ctx.count('cs.unexpected', 1);
  else if (type === DISCONNECT) {
    ctx.count('cs.disconnect', 1);
    run(s, ctx, 'down', from);
    const g = s.servers[from];
    if (g) {
      g.goneInc = inc;
      g.goneAt = ctx.now;
    }
  } else if (type === JOIN_REPLY && flag === 0) ctx.count('cs.refused', 1);
  if (type === PEERS || (type === JOIN_REPLY && flag === 1)) {
    // The server is up, heard from directly.
    if (!add(s, ctx, from, false)) return true;
    const v = s.servers[from];
    if (v.inc >= 0 && inc > v.inc) ctx.count('cs.restart', 1);
    v.inc = inc;
    v.at = v.seen = ctx.now;
    v.up = true;
    s.joined = true;
    if (!s.ticking) {
      s.ticking = true;
      ctx.setTimer(TIMER_TICK, ctx.now + s.cfg.keepalive);
    }
  }
  if (type !== JOIN_REPLY && type !== PEERS) return true;
  // The servers it names: unknown ones are joined; one down here but vouched for is retried soon (a healed
  // partition), not after the long backoff.
  let vouched = false;
  for (let i = 0; i < named.length; i++) {
    const p = named[i].id;
    const g = s.servers[p];
    if (p === s.self || (g && g.goneInc >= 0 && g.goneAt + s.cfg.peerTimeout > ctx.now && named[i].inc <= g.goneInc)) continue;
    if (g && !g.up) vouched = true;
    add(s, ctx, p, false);
  }
  if (vouched && s.joining && s.joinAt > ctx.now + s.cfg.joinTimeout) {
    s.tries = 1;
    s.joinAt = ctx.now + s.cfg.joinTimeout;
    ctx.setTimer(TIMER_JOIN, s.joinAt);
  }
  const ps = sortedKeys(s.servers);
  let pending = false;
  for (let i = 0; i < ps.length; i++) if (!s.servers[ps[i]].up) pending = true;
  if (!pending && s.joining) {
    s.joining = false;
    s.tries = 0;
    ctx.cancelTimer(TIMER_JOIN);
  } else if (pending && !s.joining) run(s, ctx, 'join');
  return true;
}

/** A link went down (`up` false), or a layer above suspects the peer (`up` undefined): a live server is down. */
function lost(s: ClientState, ctx: Ctx, peer: PeerId, up?: boolean): void {
  const e = s.servers[peer];
  if (up === true || !e || !e.up) return;
  ctx.count(up === false ? 'cs.linkdown' : 'cs.suspect', 1);
  run(s, ctx, 'down', peer);
}

/** The live servers, sorted. */
function neighbors(s: ClientState): PeerId[] {
  const ps = sortedKeys(s.servers);
  const out: PeerId[] = [];
  for (let i = 0; i < ps.length; i++) if (s.servers[ps[i]].up) out.push(ps[i]);
  return out;
}

function stats(s: ClientState): MembershipStats {
  const n = neighbors(s).length;
  return { active: n, passive: s.n - n, isolated: s.joined && n === 0 };
}

export const Client: Membership<ClientState> = {
  name: 'client',
  init: init,
  join: join,
  leave: leave,
  onMessage: onMessage,
  onTimer: run,
  onLink: lost,
  suspect: lost,
  neighbors: neighbors,
  stats: stats,
};
