/**
 * The links' numeric options, read the one way runtime/knobs.ts reads every layer's knobs: each link states its
 * defaults and ranges in one place, and a value of the wrong type or out of range throws when the link is made,
 * naming the link, the option and what it may be. A keepalive of 0 would spin a timer, a queue of 0 frames would
 * drop everything, and a NaN from a command line would pass every `<` test unnoticed: such a mistake belongs to
 * the caller and is refused at once rather than taken for a default.
 *
 *   const o = linkKnobs('serial link', { keepalive: 1000 }, { keepalive: ms(1) }, options);   // { keepalive: 1000 }
 *   linkKnobs('serial link', { keepalive: 1000 }, { keepalive: ms(1) }, { keepalive: 0 });
 *   // Error: serial link: knob keepalive = 0 is out of range (ms, a number from 1 to 2147483647)
 *
 * Only the options named in `defaults` are knobs; a link's other options (id, path, url, a noble instance…) are
 * checked where they are used.
 */
import { type Range, knobs, ms, count } from '../runtime/knobs.ts';

export { type Range, ms, count };

/** A size in bytes of at least `min`; 2^31 - 1 at most, past any queue a gateway should hold. */
export function bytes(min: number): Range {
  return { min: min, max: 2147483647, int: true, kind: 'bytes' };
}

/** A whole number from `min` to `max` of some unit (seconds, bits per second…), named in errors. */
export function whole(min: number, max: number, unit: string): Range {
  return { min: min, max: max, int: true, kind: unit };
}

/** A number from 0 to 1. */
export const PROBABILITY: Range = { min: 0, max: 1, int: false, kind: 'probability' };

/** A number of at least 0 (any unit). */
export function atLeast(min: number, unit: string): Range {
  return { min: min, max: Number.MAX_VALUE, int: false, kind: unit };
}

/** `defaults` overridden by the options of `given` that `defaults` names, each checked against `ranges`; `who`
 *  ('serial link') starts the error. */
export function linkKnobs<T>(who: string, defaults: T, ranges: { [knob: string]: Range }, given: unknown): T {
  const picked: { [k: string]: unknown } = {};
  if (given !== null && typeof given === 'object') {
    const g = given as { [k: string]: unknown };
    for (const k of Object.keys(defaults as object)) if (g[k] !== undefined) picked[k] = g[k];
  }
  return knobs(who, defaults, ranges, picked);
}

export interface Backoff {
  /** ms before the first retry. */
  min: number;
  /** ms cap of the doubling retry delay. */
  max: number;
}

const BACKOFF_RANGES = { min: ms(1), max: ms(1) };

/** A link's reconnect backoff: both bounds in ms, at least 1 ms (0 would retry in a tight loop), max ≥ min. */
export function backoffKnobs(who: string, defaults: Backoff, given: unknown): Backoff {
  const b = knobs(who + ': backoff', defaults, BACKOFF_RANGES, given);
  if (b.max < b.min) throw new Error(who + ': backoff max ' + b.max + ' ms is below its min ' + b.min + ' ms');
  return b;
}

/** A send queue's bound: frames and bytes, both at least 1. */
export function queueKnobs(who: string, defaults: { frames: number; bytes: number }, given: unknown): { frames: number; bytes: number } {
  return knobs(who + ': queue', defaults, { frames: count(1), bytes: bytes(1) }, given);
}
