/**
 * A Ctx that records what a protocol module asked for, to drive one module by hand in a unit test: its sends,
 * its armed timers (a cancel removes one), every cancel, its events and its counters. The clock is `ctx.now`:
 * set it, then call the module.
 *
 *   const r = rec('b', 0);
 *   pt.neighborUp(s, r.ctx, 'a');
 *   r.ctx.now = 500;
 *   assert.equal(r.sends.map((m) => m.to), ['a']);
 */
import type { Item } from '../../crdt/types.ts';
import type { Ctx } from '../../runtime/context.ts';
import type { NodeEvent } from '../../runtime/io.ts';
import { rng } from '../../runtime/rng.ts';

export interface Rec {
  ctx: Ctx & { now: number };
  sends: { to: string; type: number; body: Item; cls: number }[];
  /** Armed timers, id -> when (ms). */
  timers: { [id: string]: number };
  cancels: string[];
  events: NodeEvent[];
  counts: { [name: string]: number };
}

/** `incarnation` defaults to 0; the rng is always seeded with 1, so a test replays exactly. */
export function rec(self: string, now: number, incarnation?: number): Rec {
  const r: Rec = { ctx: null as any, sends: [], timers: {}, cancels: [], events: [], counts: {} };
  r.ctx = {
    now: now,
    self: self,
    incarnation: incarnation ?? 0,
    rng: rng(1),
    send: (to, type, body, cls) => r.sends.push({ to, type, body, cls }),
    setTimer: (id, at) => { r.timers[id] = at; },
    cancelTimer: (id) => { r.cancels.push(id); delete r.timers[id]; },
    emit: (e) => r.events.push(e),
    count: (name, n) => { r.counts[name] = (r.counts[name] || 0) + n; },
  };
  return r;
}
