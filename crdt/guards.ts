/**
 * Guards shared by the non-causal types: replica ids and element items, checked once where they enter (a
 * mutator's arguments, or a decoded state), so a bad one becomes an error with a reason instead of a state
 * that breaks a later join.
 *
 *   replicaArg('a', 'gcounter inc');        // 'a'
 *   replicaArg('__proto__', 'gcounter inc'); // throws MutatorError
 */
import { fail, MAX_SAFE, str } from './check.ts';
import { MutatorError } from './errors.ts';
import type { Item, ReplicaId } from './types.ts';

/**
 * States keep per-replica entries in plain objects (the board has no Map); "__proto__" is the one key a plain
 * object cannot hold as its own, and an empty id would read as "no replica" in logs.
 */
export function isReplicaId(x: unknown): x is ReplicaId {
  return typeof x === 'string' && x.length > 0 && x !== '__proto__';
}

/** A replica id from the wire. */
export function replicaItem(item: Item, what: string): ReplicaId {
  const r = str(item, what);
  if (r.length === 0 || r === '__proto__') fail(what + ': replica id must be a non-empty string other than "__proto__"');
  return r;
}

/** A replica id passed to a mutator. */
export function replicaArg(x: unknown, what: string): ReplicaId {
  if (typeof x !== 'string' || x.length === 0 || x === '__proto__') throw new MutatorError('args', what + ': replica id must be a non-empty string other than "__proto__", got ' + String(x));
  return x;
}

/** An amount passed to a counter mutator: a safe integer of at least 1 (0 would be a delta that says nothing). */
export function amountArg(x: unknown, what: string): number {
  if (typeof x !== 'number' || x < 1 || x > MAX_SAFE || Math.floor(x) !== x) {
    throw new MutatorError('args', what + ': expected an integer from 1 to 2^53 - 1, got ' + String(x));
  }
  return x;
}

/** Does x belong to the Item subset the wire carries (deeply)? undefined and functions do not. */
export function isItem(x: unknown): x is Item {
  if (x === null) return true;
  const t = typeof x;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  if (t !== 'object') return false;
  if (x instanceof Uint8Array) return true;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) if (!isItem(x[i])) return false;
    return true;
  }
  const o = x as { [k: string]: unknown };
  const ks = Object.keys(o);
  for (let i = 0; i < ks.length; i++) if (!isItem(o[ks[i]])) return false;
  return true;
}

/** An element (or register value) passed to a mutator. */
export function itemArg(x: unknown, what: string): Item {
  if (!isItem(x)) throw new MutatorError('args', what + ': the element must be plain data (number, string, boolean, null, bytes, array or map), got ' + typeof x);
  return x;
}

/** An element (or register value) from the wire. */
export function elementItem(x: Item, what: string): Item {
  if (!isItem(x)) fail(what + ': not a wire item');
  return x;
}
