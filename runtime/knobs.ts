/**
 * Configuration knobs, read one way for every layer that has them (the membership managers, Plumtree,
 * anti-entropy): the layer's defaults, overridden by what the application gave, each knob checked against its
 * stated range. A bad knob is the application's mistake, not a peer's, so it throws (at createNode) instead of
 * being counted: silently taking a default, or a period of 0 that would spin the timer, hides the mistake.
 *
 *   const RANGES = { period: ms(1), maxIds: count(0) };
 *   knobs('plumtree', { period: 50, maxIds: 64 }, RANGES, { period: 20 });   // { period: 20, maxIds: 64 }
 *   knobs('plumtree', { period: 50, maxIds: 64 }, RANGES, { period: 0 });
 *   // Error: plumtree: knob period = 0 is out of range (ms, a number from 1 to 2147483647)
 *
 * Switches and modes have ranges too: `FLAG` takes true or false, `choice(['delta', 'state'])` one of the names.
 *
 * A range may also be written as a short string: 'ms 1', 'count 0', 'flag', 'ids', 'choice delta state'. The
 * layers of runtime/ write their tables that way: a table of string literals is pure data, so a bundle that does
 * not use a layer drops its table, and on a board it costs a few variables instead of an object per knob (an
 * Espruino board pays for every object it holds, even one that only describes a knob).
 * A knob left out (or undefined) keeps its default; a name the layer does not have is refused, since it is
 * most likely a typo of one it has.
 */
import { hasOwn } from '../crdt/keys.ts';

/** What a knob may hold. */
export interface Range {
  min: number;
  max: number;
  /** Whole numbers only (counts and sizes). */
  int: boolean;
  /** 'ms', 'count', 'ids' (a list of peer ids), 'flag' (true or false) or 'choice' (one of `values`); min and
   *  max are used by 'ms' and 'count' only. */
  kind: string;
  /** The strings a 'choice' knob may be. */
  values?: string[];
}

/** The longest delay a timer takes: setTimeout fires at once past 2^31 - 1 ms (about 24.8 days). */
export const MAX_MS = 2147483647;
/** The largest count or size: every count bounds a table held in memory, and a million entries is far past any
 *  target's memory (a board has a few thousand variables), so a larger value is a mistake. */
export const MAX_COUNT = 1000000;

/** A duration in ms of at least `min` (1 for periods and timeouts: 0 would fire the timer again at once). */
export function ms(min: number): Range {
  return { min: min, max: MAX_MS, int: false, kind: 'ms' };
}

/** A whole number of at least `min`. */
export function count(min: number): Range {
  return { min: min, max: MAX_COUNT, int: true, kind: 'count' };
}

/** A list of peer ids (strings). */
export const IDS: Range = { min: 0, max: 0, int: false, kind: 'ids' };

/** A switch: true or false (a 0 or 1 is refused: it is most likely a count given to the wrong knob). */
export const FLAG: Range = { min: 0, max: 0, int: false, kind: 'flag' };

/** One of a few strings, e.g. a mode. */
export function choice(values: string[]): Range {
  return { min: 0, max: 0, int: false, kind: 'choice', values: values.slice() };
}

/** A range or its short string form (see the file comment). */
export type RangeSpec = Range | string;

/**
 * `defaults` overridden by `config` (undefined or null: all defaults), every knob of `defaults` checked against
 * `ranges` (a Range or its short string form). Throws an Error naming `who`, the knob, its value and the allowed
 * range. Lists are copied. One function on purpose: a board pays for every function object it loads.
 */
export function knobs<T>(who: string, defaults: T, ranges: { [knob: string]: RangeSpec }, config: any): T {
  // Nested: it costs the board only while knobs runs.
  function show(v: any): string {
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'string') return '"' + v + '"';
    return v === null ? 'null' : Array.isArray(v) ? 'a list' : 'a value of type ' + typeof v;
  }
  const d = defaults as any;
  const given = config === undefined || config === null ? {} : config;
  if (typeof given !== 'object' || Array.isArray(given)) throw new Error(who + ': the configuration is ' + show(config) + ', expected an object of knobs');
  const names = Object.keys(d);
  const extra = Object.keys(given);
  for (let i = 0; i < extra.length; i++) {
    // A name the layer does not have is most likely a typo of one it has.
    if (!hasOwn(d, extra[i])) throw new Error(who + ': unknown knob "' + extra[i] + '" (knobs: ' + names.join(', ') + ')');
  }
  const out: any = {};
  for (let i = 0; i < names.length; i++) {
    const k = names[i];
    const v = given[k];
    let r = ranges[k] as any;
    if (!r) throw new Error(who + ': knob ' + k + ' has no stated range');
    if (typeof r === 'string') {
      const w = r.split(' ');
      const min = parseInt(w[1], 10);
      if (w[0] === 'ms' || w[0] === 'count') r = { min: min, max: w[0] === 'ms' ? MAX_MS : MAX_COUNT, int: w[0] === 'count', kind: w[0] };
      else if (w[0] === 'flag' || w[0] === 'ids') r = { min: 0, max: 0, int: false, kind: w[0] };
      else if (w[0] === 'choice') r = { min: 0, max: 0, int: false, kind: 'choice', values: w.slice(1) };
      else throw new Error('knobs: no range "' + r + '"');
    }
    let fits = true;
    if (r.kind === 'ids') {
      fits = Array.isArray(v);
      for (let j = 0; fits && j < v.length; j++) if (typeof v[j] !== 'string') fits = false;
    } else if (r.kind === 'flag') fits = v === true || v === false;
    else if (r.kind === 'choice') fits = typeof v === 'string' && r.values.indexOf(v) >= 0;
    // v - v is 0 only for a finite number (NaN and the infinities give NaN); the board has no Number.isFinite.
    else fits = typeof v === 'number' && v - v === 0 && v >= r.min && v <= r.max && (!r.int || Math.floor(v) === v);
    if (v === undefined) out[k] = Array.isArray(d[k]) ? d[k].slice() : d[k];
    else if (fits) out[k] = Array.isArray(v) ? v.slice() : v;
    else {
      const range = r.kind === 'ids' ? 'a list of peer ids' : r.kind === 'flag' ? 'true or false' : r.kind === 'choice' ? 'one of "' + r.values.join('", "') + '"'
        : r.kind + ', ' + (r.int ? 'a whole number' : 'a number') + ' from ' + r.min + ' to ' + r.max;
      throw new Error(who + ': knob ' + k + ' = ' + show(v) + ' is out of range (' + range + ')');
    }
  }
  return out as T;
}
