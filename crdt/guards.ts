/**
 * Guards shared by the non-causal types: replica ids and element items, checked once where they enter (a
 * mutator's arguments, or a decoded state), so a bad one becomes an error with a reason instead of a state
 * that breaks a later join.
 *
 *   replicaArg('a', 'gcounter inc');        // 'a'
 *   replicaArg('__proto__', 'gcounter inc'); // throws MutatorError
 */
import { fail, MAX_SAFE } from './check.ts';
import { MutatorError } from './errors.ts';
import type { Item, ReplicaId } from './types.ts';

/**
 * States keep per-replica entries in plain objects (the board has no Map); "__proto__" is the one key a plain
 * object cannot hold as its own, and an empty id would read as "no replica" in logs.
 */
export function isReplicaId(x: unknown): x is ReplicaId {
  return typeof x === 'string' && x.length > 0 && x !== '__proto__';
}

/**
 * A replica id from the wire (`wire` set: DecodeError "type") or passed to a mutator (MutatorError "args"). One
 * function for both: a board pays per function object.
 */
export function replicaOf(x: unknown, what: string, wire?: boolean): ReplicaId {
  if (typeof x !== 'string' || x.length === 0 || x === '__proto__') {
    const m = what + ': bad replica id';
    if (wire) fail(m);
    throw new MutatorError('args', m + ', got ' + String(x));
  }
  return x;
}

/** A replica id from the wire. */
export function replicaItem(item: Item, what: string): ReplicaId {
  return replicaOf(item, what, true);
}

/** A replica id passed to a mutator. */
export function replicaArg(x: unknown, what: string): ReplicaId {
  return replicaOf(x, what, false);
}

/** An amount passed to a counter mutator: a safe integer of at least 1 (0 would be a delta that says nothing). */
export function amountArg(x: unknown, what: string): number {
  if (typeof x !== 'number' || x < 1 || x > MAX_SAFE || Math.floor(x) !== x) {
    throw new MutatorError('args', what + ': expected an integer from 1 to 2^53 - 1, got ' + String(x));
  }
  return x;
}

/**
 * x itself if it belongs (deeply) to the Item subset the wire carries; else, from the wire (`wire` set), a
 * DecodeError "type", or for a mutator's argument a MutatorError "args". undefined and functions are not Items.
 */
export function itemOf(x: unknown, what: string, wire?: boolean): Item {
  const t = typeof x;
  if (x !== null && t !== 'string' && t !== 'number' && t !== 'boolean' && !(x instanceof Uint8Array)) {
    if (t !== 'object') {
      if (wire) fail(what + ': not a wire item');
      throw new MutatorError('args', what + ': not plain data (a wire item): ' + t);
    }
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) itemOf(x[i], what, wire);
    } else {
      const o = x as { [k: string]: unknown };
      const ks = Object.keys(o);
      for (let i = 0; i < ks.length; i++) itemOf(o[ks[i]], what, wire);
    }
  }
  return x as Item;
}

/** Does x belong to the Item subset the wire carries (deeply)? */
export function isItem(x: unknown): x is Item {
  try {
    itemOf(x, '', true);
    return true;
  } catch (e) {
    return false;
  }
}

/** An element (or register value) passed to a mutator. */
export function itemArg(x: unknown, what: string): Item {
  return itemOf(x, what, false);
}

/** An element (or register value) from the wire. */
export function elementItem(x: Item, what: string): Item {
  return itemOf(x, what, true);
}
