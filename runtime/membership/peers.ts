/**
 * What full membership (full.ts) and client-server (clientserver.ts) do alike with the peers they know: read a
 * peer list from a peer, gate each message on its sender's incarnation and on DISCONNECT tombstones, and retry
 * an unanswered JOIN round with the doubling backoff of runtime/backoff.ts. HyParView has its own rules for all three (health.ts).
 *
 *   const gone = tombs();
 *   tombstone(gone, 'b', 3, now, 32);                      // b's life 3 left at `now`
 *   admit(ctx, gone, 3, 'b', 3, false, 5000, 'full');      // false within 5 s: a late frame (counts "full.gone")
 *   admit(ctx, gone, 3, 'b', 3, true, 5000, 'full');       // true: a JOIN clears the tombstone
 */
import type { Item } from '../../crdt/types.ts';
import { arr, nat, str, fail } from '../../crdt/check.ts';
import type { Ctx } from '../context.ts';
import type { PeerId } from '../io.ts';
import { dict } from '../tables.ts';
import { MAX_PEER_ID } from '../messages.ts';
import { WIDE, utf8Length } from '../../crdt/codec/utf8.ts';
import { backoff } from '../backoff.ts';


/** A peer as a manager knows it: its latest incarnation and when it was last heard from, directly or through
 *  a member's age (for a candidate: when it was first heard of). */
export interface Peer {
  inc: number;
  at: number;
}

/** One entry of a peer list on the wire. */
export interface Named {
  id: PeerId;
  inc: number;
  /** ms since the sender last heard from it directly (lists with ages only; else 0). */
  age: number;
}

/**
 * A peer list from a peer, checked whole before anyone acts on it: entries [peerId, incarnation] (width 2) or
 * [peerId, incarnation, age] (width 3).
 */
export function peerList(item: Item, what: string, width: number): Named[] {
  const b = arr(item, what);
  const out: Named[] = [];
  for (let i = 0; i < b.length; i++) {
    const e = arr(b[i], what + ' entry', width);
    const id = str(e[0], what + ' peer id');
    const n = id.length === 0 ? 0 : utf8Length(id, WIDE);
    if (n < 1 || n > MAX_PEER_ID) fail(what + ': peer id of ' + n + ' bytes (1..' + MAX_PEER_ID + ')');
    out.push({ id: id, inc: nat(e[1], what + ' incarnation'), age: width === 3 ? nat(e[2], what + ' age') : 0 });
  }
  return out;
}

/**
 * DISCONNECT tombstones: which incarnation of a peer left, and when. For `window` ms after it, frames of that
 * life (or an earlier one) still in flight are ignored; after that a message from it means it came back
 * (rejoined in the same life), and the tombstone no longer stands in the way. At most `max` are kept, the
 * oldest forgotten first.
 */
export interface Tombs {
  at: { [peer: string]: { inc: number; at: number } };
  order: PeerId[];
}

export function tombs(): Tombs {
  return { at: dict<{ inc: number; at: number }>(), order: [] };
}

export function tombstone(t: Tombs, p: PeerId, inc: number, now: number, max: number): void {
  if (!(p in t.at)) {
    while (t.order.length > 0 && t.order.length >= max) delete t.at[t.order.shift() as string];
    t.order.push(p);
  }
  t.at[p] = { inc: inc, at: now };
}

export function untombstone(t: Tombs, p: PeerId): void {
  if (!(p in t.at)) return;
  delete t.at[p];
  t.order.splice(t.order.indexOf(p), 1);
}

/** Is a frame of incarnation `inc` from `p` a late one of a life that left less than `window` ms ago? */
export function isGone(t: Tombs, p: PeerId, inc: number, now: number, window: number): boolean {
  if (!(p in t.at)) return false;
  const g = t.at[p];
  if (g.at + window > now) return inc <= g.inc;
  untombstone(t, p);
  return false;
}

/** A known peer was heard from directly, in incarnation `inc` (the gate let it through: never older); a newer
 *  one is a restart, counted "<prefix>.restart". */
export function heard(ctx: Ctx, m: Peer, inc: number, prefix: string): void {
  if (inc > m.inc) ctx.count(prefix + '.restart', 1);
  m.inc = inc;
  m.at = ctx.now;
}

/** The incarnation of `p` in the first of two tables that holds it, or -1 when neither does. */
export function knownInc(a: { [peer: string]: { inc: number } }, b: { [peer: string]: { inc: number } }, p: PeerId): number {
  return p in a ? a[p].inc : p in b ? b[p].inc : -1;
}

/**
 * The incarnation gate every message from `from` passes before it may change anything. A life older than the
 * one known (`known`, -1 for none) is refused, counted "<prefix>.stale"; a late frame of a life that left
 * within `window` ms is refused, counted "<prefix>.gone". A JOIN (`isJoin`) always passes the tombstone and
 * clears it: the peer is back.
 */
export function admit(ctx: Ctx, gone: Tombs, known: number, from: PeerId, inc: number, isJoin: boolean, window: number, prefix: string): boolean {
  if (inc < known) {
    ctx.count(prefix + '.stale', 1);
    return false;
  }
  if (isJoin) untombstone(gone, from);
  else if (isGone(gone, from, inc, ctx.now, window)) {
    ctx.count(prefix + '.gone', 1);
    return false;
  }
  return true;
}

/** The JOIN retry state a manager keeps: a retry timer is set, and how many rounds went unanswered. */
export interface Retrying {
  joining: boolean;
  tries: number;
}

/** After a JOIN round: set the retry timer `timer` one backoff from now (joinTimeout doubled per unanswered
 *  round, capped at backoffMax), count the round; returns when it fires. */
export function armRetry(r: Retrying, ctx: Ctx, timer: string, timeout: number, max: number): number {
  const at = ctx.now + backoff(timeout, max, r.tries);
  r.joining = true;
  ctx.setTimer(timer, at);
  r.tries++;
  return at;
}

/** Some peer answered: cancel the retry timer, and the next outage starts again from the short interval. */
export function stopRetry(r: Retrying, ctx: Ctx, timer: string): void {
  if (!r.joining) return;
  r.joining = false;
  r.tries = 0;
  ctx.cancelTimer(timer);
}
