/**
 * Checks for decoding a state from a wire item. Every state decoder goes through these, so a malformed item
 * from a peer becomes a DecodeError with a reason instead of a state that breaks a later join.
 */
import { DecodeError } from './errors.ts';
import type { Item, ItemMap } from './types.ts';

/** The largest integer that arithmetic keeps exact (2^53 - 1); Espruino lacks Number.MAX_SAFE_INTEGER. */
export const MAX_SAFE = 9007199254740991;

/**
 * The largest counter a peer may claim: a dot counter, a G-Counter entry, an LWW timestamp (2^48, decode
 * refuses more). It is far beyond what any replica makes (a million updates a second for eight years, or a
 * millisecond clock until the year 10889) and it keeps 32 entries' sum exact, so a peer that pushes an entry
 * to the bound leaves local mutators an error to report (MutatorError "overflow") instead of inexact arithmetic.
 */
export const MAX_COUNT = 281474976710656;

export function fail(what: string): never {
  throw new DecodeError('type', what);
}

/** An array, optionally of an exact length. */
export function arr(item: Item, what: string, length?: number): Item[] {
  if (!Array.isArray(item)) fail(what + ': expected an array');
  if (length !== undefined && item.length !== length) fail(what + ': expected ' + length + ' items, got ' + item.length);
  return item;
}

/**
 * A non-negative safe integer (a counter, a sequence number); with `claim`, a counter a peer claims (a dot
 * counter, a G-Counter entry, a timestamp), refused past MAX_COUNT with reason "claim".
 */
export function nat(item: Item, what: string, claim?: boolean): number {
  // -0 passes every comparison with 0 yet encodes differently, so two replicas would hold "equal" states with
  // different bytes and digests forever: it is refused like NaN and the infinities.
  if (typeof item !== 'number' || item < 0 || item > MAX_SAFE || Math.floor(item) !== item || (item === 0 && 1 / item < 0)) {
    fail(what + ': expected a non-negative integer (not -0)');
  }
  if (claim && item > MAX_COUNT) throw new DecodeError('claim', what + ': ' + item + ' > 2^48, the largest claim');
  return item;
}

/** Any safe integer. */
export function int(item: Item, what: string): number {
  if (typeof item !== 'number' || item < -MAX_SAFE || item > MAX_SAFE || Math.floor(item) !== item || (item === 0 && 1 / item < 0)) {
    fail(what + ': expected an integer (not -0)');
  }
  return item;
}

export function str(item: Item, what: string): string {
  if (typeof item !== 'string') fail(what + ': expected a text string');
  return item;
}

export function bool(item: Item, what: string): boolean {
  if (typeof item !== 'boolean') fail(what + ': expected a boolean');
  return item;
}

/** A counter a peer claims (a dot counter, a G-Counter entry, a timestamp): a natural number up to MAX_COUNT. */
export function count(item: Item, what: string): number {
  return nat(item, what, true);
}

/** A plain map item (not an array, not bytes, not null). */
export function map(item: Item, what: string): ItemMap {
  if (item === null || typeof item !== 'object' || Array.isArray(item) || item instanceof Uint8Array) {
    fail(what + ': expected a map');
  }
  return item as ItemMap;
}

/**
 * Strictly ascending string keys: a sorted list on the wire is what makes equal states encode to equal bytes,
 * and a decoder that insists on it rejects duplicates too.
 */
export function ascending(prev: string | undefined, next: string, what: string): void {
  if (prev !== undefined && !(prev < next)) fail(what + ': keys must be strictly ascending');
}
