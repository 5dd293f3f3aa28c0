/**
 * Causal delta delivery: a delta that Plumtree's fast path delivers is joined only once the state holds what the
 * delta depends on (the causal delta-merging condition of Almeida, Shoker and Baquero's delta-state CRDTs), so no
 * replica ever holds a state that no causal history produced. Deltas that come early wait here, bounded.
 *
 * Why it is needed. A bounded counter's decrement at b is allowed by rights a transferred to b, which a minted by
 * an increment (crdt/bcounter.ts). Plumtree gives no order: b's decrement can reach c before a's transfer, or
 * a's transfer before a's own increment, and c then reads a value below zero, or rights below zero, although the
 * converged total is right. Mutators that read the state (a decrement checks rights) make later deltas depend on
 * earlier ones, of other replicas as well as the same one; per-origin FIFO alone would not be enough.
 *
 * The design choice: the dependency is stated against the state's own causal context, not against sequence
 * numbers of Plumtree payloads. A type that needs causal delivery defines `progress(state, out)` (crdt/types.ts
 * Core): for each replica, a number that grows with every mutation of that replica and is read off the state
 * itself (the bounded counter: the sum of the replica's increments, decrements and transfers). A replica's
 * mutations are totally ordered, so in a state that a causal history produced each replica's mutations form a
 * prefix, and its progress says how long that prefix is. A delta made at replica r carries `deps`, a flat list
 * [replica, progress, ...] in ascending replica order: r's own progress before the mutation, and the progress
 * of every other replica whose entry changed at r since r's previous broadcast delta of that variable. The
 * receiver joins the delta once its state's progress reaches every entry; by induction (r's previous delta is
 * in, so its dependencies are too) the state then holds everything r held when it made the delta.
 * Sequence numbers on the payloads were the alternative, and were not taken: they name deltas, not states, so
 * what arrives by anti-entropy (delta-intervals, full states) would leave them behind (a receiver could not
 * tell that the delta a number names is already in), and they would need a version vector per variable on
 * every node plus a change to anti-entropy's frames to move it. Progress needs neither: whatever path brought a
 * mutation in, the state shows it, so a held delta is released by anti-entropy as readily as by Plumtree.
 *
 * Anti-entropy needs no condition of its own. A DIGEST/STATE exchange sends whole states, each produced by a
 * causal history (every join on the sender was causal); the union of two such histories is one. A DELTA frame
 * carries the sender's delta-interval from the receiver's last ack: with what the receiver acknowledged, it
 * makes up the sender's whole state, again causal, except for entries left out by BP (sent back to none of
 * the peers they came from). Those were in the receiver's state only if the peer named as their origin joined
 * them, and a node that holds a Plumtree delta here has already forwarded it without joining it. So a delta
 * joined through this part is buffered for anti-entropy with the delta's originating node as its BP origin
 * (runtime/antientropy.ts's `receive`, its `bp` argument): the one node sure to hold it. Deltas of types
 * without `progress` keep the forwarding peer (they are joined at once, before being forwarded on).
 *
 * Which types need it: those whose mutators read the state to allow an operation (the bounded counter's
 * rights). A G-Counter's or PN-Counter's increments read nothing, so any mix of per-replica prefixes is what
 * some causal history (with those increments concurrent) would produce, and their deltas travel as before,
 * without `deps` (no bytes added). Causal types with dots (OR-Set, maps) carry their causal context in the
 * delta already: a remove that comes before its add covers the add's dot.
 *
 * Bounds and policies when full:
 * - At most `maxHeld` deltas wait (each within one frame's decode limits). When full, the oldest goes
 *   (counter "causal.dropped.full"); a delta arriving too late to find its dependencies goes after
 *   `gapTtl` ms ("causal.dropped.gap"). Either way nothing is lost for good: the node that forwarded it
 *   holds it, or will once its own dependencies are in, and anti-entropy carries it here in causal order; the
 *   node also asks that peer for a digest round at once (full-state repair of what differs).
 * - A delta already below the state (anti-entropy brought it first) is not held ("causal.redundant"); a second
 *   copy of a held message is ignored ("causal.duplicate").
 * - The `mine` table holds one progress vector per variable this node broadcast (bounded by the store's maxVars).
 *
 * Leaving it out: composeNode's `causal` part is optional (runtime/node.ts). The board's DeltaSync profile
 * (runtime/deltasync.ts) has no Plumtree: its one path is a single neighbour's delta-intervals and full states,
 * which are causal by the argument above, so it carries none of this code. A node without the part that
 * receives a payload with `deps` joins it at once, as before this part existed.
 */
import type { Core, Item } from '../crdt/types.ts';
import { arr, ascending, nat } from '../crdt/check.ts';
import { replicaItem } from '../crdt/guards.ts';
import { DecodeError } from '../crdt/errors.ts';
import { knobs } from './knobs.ts';
import type { Ctx } from './context.ts';
import type { PeerId } from './io.ts';
import { dict } from './tables.ts';
import { get } from './store.ts';
import { receive } from './antientropy.ts';
import type { CausalPart, PollenNode } from './node.ts';

export interface CausalConfig {
  /** Deltas held at once. 64: a burst of a few seconds of updates arriving ahead of one lost delta; each is at
   *  most one frame. A guess; a full buffer costs a digest round, never correctness. */
  maxHeld: number;
  /** ms a delta waits for what it depends on. 10 s: Plumtree's cacheTtl, by when grafts and several
   *  anti-entropy periods (1 s) have had their chance. A guess. */
  gapTtl: number;
}

export const CAUSAL_DEFAULTS: CausalConfig = { maxHeld: 64, gapTtl: 10000 };
export const CAUSAL_RANGES: { [knob: string]: string } = { maxHeld: 'count 0', gapTtl: 'ms 1' };
export const TIMER_GAP = 'cd.gap';
/** Most entries a `deps` list may hold (pairs): a variable with more writing replicas sends larger lists,
 *  which the frame's decode limits bound too. */
export const MAX_DEPS = 1024;

/** A delta waiting for its dependencies. */
export interface Held {
  /** Plumtree message id: a second copy is recognised. */
  msgId: string;
  /** The peer it came from (admission, interest) and the node that made it (BP). */
  from: PeerId;
  origin: PeerId;
  id: string;
  spec: string;
  delta: unknown;
  /** [replica, progress, ...] as on the wire. */
  deps: Item[];
  /** ms when it arrived. */
  at: number;
}

export interface CausalState {
  cfg: CausalConfig;
  held: Held[];
  /** Per variable this node broadcast: each replica's progress after its last broadcast delta. */
  mine: { [id: string]: { [replica: string]: number } };
  /** When the gap timer is due, or -1. */
  timerAt: number;
}

/** `config` may set any knob of CausalConfig; a bad one throws (runtime/knobs.ts). */
export function init(config?: Partial<CausalConfig>): CausalState {
  return { cfg: knobs('causal', CAUSAL_DEFAULTS, CAUSAL_RANGES, config), held: [], mine: dict<{ [r: string]: number }>(), timerAt: -1 };
}

function progressOf(type: Core<any, any>, state: unknown): { [replica: string]: number } {
  const out = dict<number>();
  if (state !== undefined && type.progress) type.progress(state, out);
  return out;
}

/** A replica's progress in a state (0 when absent); -1 when the type has no progress (not causally delivered). */
export function before(type: Core<any, any>, state: unknown, replica: string): number {
  if (!type.progress) return -1;
  const p = progressOf(type, state);
  return p[replica] || 0;
}

/**
 * The `deps` of this node's new delta of variable `id`, whose state is now `state` (the delta joined); `pre` is
 * before() taken just before the mutation. Null when the type has no progress: the payload then carries none.
 */
export function stamp(cd: CausalState, id: string, type: Core<any, any>, state: unknown, replica: string, pre: number): Item[] | null {
  if (!type.progress || pre < 0) return null;
  const now = progressOf(type, state);
  const last = id in cd.mine ? cd.mine[id] : null;
  const rs = Object.keys(now).sort();
  const deps: Item[] = [];
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    if (r === replica) {
      if (pre > 0) deps.push(r, pre);
    } else if (now[r] > 0 && (last === null || last[r] !== now[r])) deps.push(r, now[r]);
  }
  cd.mine[id] = now;
  return deps;
}

/** A `deps` item from a peer: [replica, progress, ...], replicas ascending. DecodeError otherwise. */
export function readDeps(item: Item): Item[] {
  const b = arr(item, 'deps');
  if (b.length % 2 !== 0) throw new DecodeError('type', 'deps: expected replica, progress pairs');
  if (b.length > 2 * MAX_DEPS) throw new DecodeError('count', 'deps: more than ' + MAX_DEPS + ' entries');
  let prev: string | undefined;
  for (let i = 0; i < b.length; i += 2) {
    const r = replicaItem(b[i], 'deps replica');
    ascending(prev, r, 'deps replicas');
    prev = r;
    nat(b[i + 1], 'deps progress');
  }
  return b;
}

/** Does `state` (undefined: not declared) hold everything `deps` names? */
export function ready(type: Core<any, any>, state: unknown, deps: Item[]): boolean {
  if (deps.length === 0) return true;
  if (!type.progress) return true;
  const p = progressOf(type, state);
  for (let i = 0; i < deps.length; i += 2) if ((p[deps[i] as string] || 0) < (deps[i + 1] as number)) return false;
  return true;
}

/** Hold an early delta. Returns the entry that made room (to be repaired by anti-entropy), or null. */
export function hold(cd: CausalState, ctx: Ctx, h: Held): Held | null {
  for (let i = 0; i < cd.held.length; i++) {
    if (cd.held[i].msgId === h.msgId) {
      ctx.count('causal.duplicate', 1);
      return null;
    }
  }
  let gone: Held | null = null;
  if (cd.held.length >= cd.cfg.maxHeld) {
    gone = cd.cfg.maxHeld > 0 ? (cd.held.shift() as Held) : h;
    ctx.count('causal.dropped.full', 1);
  }
  if (cd.cfg.maxHeld > 0) {
    cd.held.push(h);
    ctx.count('causal.held', 1);
    arm(cd, ctx);
  }
  return gone;
}

/**
 * The next held delta to act on: one now ready (`ready` true), one already in the state, or one past its
 * gapTtl; removed from the buffer. Null when none. `look` gives a variable's type and state (null: undeclared).
 */
export function next(cd: CausalState, now: number, look: (id: string) => { type: Core<any, any>; state: unknown } | null): { h: Held; how: string } | null {
  for (let i = 0; i < cd.held.length; i++) {
    const h = cd.held[i];
    const v = look(h.id);
    let how = '';
    if (v !== null && ready(v.type, v.state, h.deps)) how = 'ready';
    else if (v !== null && v.type.leq(h.delta, v.state)) how = 'redundant';
    else if (h.at + cd.cfg.gapTtl <= now) how = 'gap';
    if (how !== '') {
      cd.held.splice(i, 1);
      return { h: h, how: how };
    }
  }
  return null;
}

/** Keep one timer at the oldest held delta's expiry, so a gap is noticed without traffic. */
export function arm(cd: CausalState, ctx: Ctx): void {
  if (cd.held.length === 0) return;
  const at = cd.held[0].at + cd.cfg.gapTtl;
  if (cd.timerAt === at) return;
  cd.timerAt = at;
  ctx.setTimer(TIMER_GAP, at);
}

export function onTimer(cd: CausalState, id: string): boolean {
  if (id !== TIMER_GAP) return false;
  cd.timerAt = -1;
  return true;
}

// The part a node is composed with (runtime/node.ts's NodeParts.causal): the functions above, bound to the node.

function look(node: PollenNode): (id: string) => { type: Core<any, any>; state: unknown } | null {
  return function (id: string) {
    const v = get(node.store, id);
    return v ? { type: v.type, state: v.state } : null;
  };
}

/** Join through anti-entropy's one path, with the originating node as BP origin (see the file comment). */
function join(node: PollenNode, h: Held): void {
  receive(node.ae, node.ca, node.store, h.from, h.id, h.spec, h.delta, 'pt', h.origin);
}

/** The held delta went unjoined: anti-entropy brings it; a digest round with its sender repairs at once. */
function repair(node: PollenNode, h: Held): void {
  node.sync.peer(node, h.from, 2);
}

/** Join whatever held delta is now ready, drop what is in already or waited too long. */
function drain(node: PollenNode): void {
  const cd = node.cd as CausalState;
  if (cd.held.length === 0) return;
  const ctx = node.ca;
  const f = look(node);
  for (let n = next(cd, ctx.now, f); n !== null; n = next(cd, ctx.now, f)) {
    if (n.how === 'ready') {
      ctx.count('causal.released', 1);
      join(node, n.h);
    } else if (n.how === 'redundant') ctx.count('causal.redundant', 1);
    else {
      ctx.count('causal.dropped.gap', 1);
      repair(node, n.h);
    }
  }
  arm(cd, ctx);
}

export const CausalDelivery: CausalPart = {
  init: init,
  before: function (node: PollenNode, id: string): number {
    const v = get(node.store, id);
    return v ? before(v.type, v.state, node.replica) : -1;
  },
  stamp: function (node: PollenNode, id: string, pre: number): Item[] | null {
    const v = get(node.store, id);
    return v ? stamp(node.cd as CausalState, id, v.type, v.state, node.replica, pre) : null;
  },
  deps: readDeps,
  offer: function (node: PollenNode, h: Held): void {
    const v = get(node.store, h.id);
    // Another type under this id: anti-entropy's path refuses and counts it.
    if ((v && (v.spec !== h.spec || ready(v.type, v.state, h.deps))) || (!v && h.deps.length === 0)) {
      join(node, h);
      drain(node);
      return;
    }
    if (v && v.type.leq(h.delta, v.state)) {
      node.ca.count('causal.redundant', 1);
      return;
    }
    h.at = node.ca.now;
    const gone = hold(node.cd as CausalState, node.ca, h);
    if (gone !== null) repair(node, gone);
  },
  afterStep: drain,
  onTimer: function (node: PollenNode, id: string): boolean {
    if (!onTimer(node.cd as CausalState, id)) return false;
    drain(node);
    return true;
  },
};
