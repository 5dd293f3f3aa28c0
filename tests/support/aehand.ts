/**
 * Anti-entropy by hand: one store and anti-entropy state per replica, messages carried as the codec's items on
 * a list the test delivers (all, or those it picks, in order), so a test can hold one exchange at a precise step.
 * tests/runtime/antientropy.test.ts's World carries encoded bytes instead, for whole rounds.
 *
 *   const wire: Wire[] = [];
 *   const a = handRep('a', 8), b = handRep('b', 2);
 *   local(a, 'n', 'inc', [1], wire);                 // a local update, recorded in a's buffer
 *   deliver({ a, b }, wire, 1000, (m) => m.from === 'a');
 */
import { ALL } from '../../crdt/all.ts';
import type { Item } from '../../crdt/types.ts';
import type { Ctx } from '../../runtime/context.ts';
import { rng } from '../../runtime/rng.ts';
import * as ae from '../../runtime/antientropy.ts';
import { createStore, update } from '../../runtime/store.ts';

export interface HandRep {
  id: string;
  inc: number;
  store: ReturnType<typeof createStore>;
  ae: ae.AeState;
  counts: { [name: string]: number };
}

export interface Wire {
  from: string;
  to: string;
  inc: number;
  type: number;
  body: Item;
}

export function handRep(id: string, maxVars: number, inc?: number): HandRep {
  return { id, inc: inc ?? 0, store: createStore(maxVars, ALL), ae: ae.init({}, inc ?? 0), counts: {} };
}

export function aeCtx(r: HandRep, now: number, wire: Wire[]): Ctx {
  return {
    now: now,
    self: r.id,
    incarnation: r.inc,
    rng: rng(3),
    send: (to, type, body) => { wire.push({ from: r.id, to, inc: r.inc, type, body }); },
    setTimer: () => {},
    cancelTimer: () => {},
    emit: () => {},
    count: (name, n) => { r.counts[name] = (r.counts[name] || 0) + n; },
  };
}

/** Deliver the messages on `wire` for which `take` says so (all by default), in order; the rest stay. */
export function deliver(reps: { [id: string]: HandRep }, wire: Wire[], now: number, take?: (m: Wire) => boolean): void {
  const batch = wire.splice(0, wire.length);
  for (const m of batch) {
    if (take && !take(m)) {
      wire.push(m);
      continue;
    }
    const to = reps[m.to];
    ae.onMessage(to.ae, aeCtx(to, now, wire), to.store, m.from, m.inc, m.type, m.body);
  }
}

export function local(r: HandRep, v: string, mutator: string, args: Item[], wire: Wire[]): void {
  const d = update(r.store, v, mutator, r.id, args);
  if (d !== null) ae.record(r.ae, aeCtx(r, 0, wire), r.store, v, d, r.id);
}
