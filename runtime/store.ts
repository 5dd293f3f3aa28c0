/**
 * The node's replicated variables, by id: each holds its type spec (crdt/registry.ts), the type and the state.
 * Local updates go mutator → delta → join; remote deltas go through RR (Enes, Almeida, Baquero, Leitão, ICDE
 * 2019): only the join-irreducible parts of a received delta that are not already below the local state are
 * kept, and that new part is what the caller forwards. An empty new part means the delta was redundant.
 *
 *   const s = createStore(16, ALL);          // ALL: every type (crdt/all.ts); a board passes its own registry
 *   declare(s, 'clicks', 'gcounter');
 *   const d = update(s, 'clicks', 'inc', 'a', [1]); // the delta, already joined
 *   applyRemote(s, 'clicks', d);                     // null: nothing new
 *
 * Bounds: at most `maxVars` variables (a board holds a few dozen states at most); ids are 1..MAX_ID_LENGTH
 * characters. Declaring past the bound is refused with a StoreError, never an unbounded table.
 */
import type { Crdt, ReplicaId } from '../crdt/types.ts';
import { hasOwn, sortedKeys } from '../crdt/keys.ts';
import { type ReasonError, errorType } from '../crdt/errors.ts';
import { type Registry, typeOf, specOf } from '../crdt/registry.ts';

/** Default bound on variables per node: room for an application's handful plus derived ones on a Puck.js. */
export const DEFAULT_MAX_VARS = 64;
/** Variable ids travel in every delta: keep them short. */
export const MAX_ID_LENGTH = 64;

export interface Variable {
  id: string;
  /** Canonical type spec, e.g. "pair(gcounter,lww)". */
  spec: string;
  type: Crdt<any, any>;
  state: any;
  /** Cached digest of the encoded state (runtime/antientropy.ts); -1 when stale. */
  digest: number;
}

export interface Store {
  vars: { [id: string]: Variable };
  count: number;
  maxVars: number;
  /** The types this node knows (its profile's registry): a variable of any other type is refused. */
  types: Registry;
}

/** Why the store refused: "id" (bad id), "full" (maxVars reached), "spec" (redeclared with another type),
 * "unknown" (no such variable), "mutator" (no such mutator on the type). */
export interface StoreError extends ReasonError {}
export const StoreError = errorType<StoreError>('StoreError');

export function createStore(maxVars: number | undefined, types: Registry): Store {
  return { vars: {}, count: 0, maxVars: maxVars === undefined ? DEFAULT_MAX_VARS : maxVars, types: types };
}

/** Ids are short non-empty strings; "__proto__" would reach an object's prototype on plain-object tables. */
export function validId(id: unknown): boolean {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && id !== '__proto__';
}

export function get(store: Store, id: string): Variable | undefined {
  return hasOwn(store.vars, id) ? store.vars[id] : undefined;
}

/** Variable ids in ascending order (never insertion order: it reaches the wire). */
export function ids(store: Store): string[] {
  return sortedKeys(store.vars);
}

/**
 * Declare a variable, or return the existing one when the spec matches. Throws DecodeError for a spec the
 * registry does not know and StoreError for a bad id, a full store or a conflicting spec.
 */
export function declare(store: Store, id: string, spec: string): Variable {
  if (!validId(id)) {
    throw new StoreError('id', 'variable id must be 1..' + MAX_ID_LENGTH + ' characters (and not "__proto__")');
  }
  const type = typeOf(store.types, spec);
  const canonical = specOf(store.types, type);
  const old = get(store, id);
  if (old) {
    if (old.spec !== canonical) {
      throw new StoreError('spec', 'variable ' + id + ' is a ' + old.spec + ', not a ' + canonical);
    }
    return old;
  }
  if (store.count >= store.maxVars) {
    throw new StoreError('full', 'cannot declare ' + id + ': the store holds its maximum of ' + store.maxVars + ' variables');
  }
  const v: Variable = { id: id, spec: canonical, type: type, state: type.bottom(), digest: -1 };
  store.vars[id] = v;
  store.count++;
  return v;
}

/**
 * Apply a delta mutator at this replica: returns the delta (already joined into the state), or null when the
 * delta changed nothing (e.g. adding an element a G-Set already holds). MutatorError from the type passes through.
 */
export function update(store: Store, id: string, mutator: string, replica: ReplicaId, args: any[]): any {
  const v = get(store, id);
  if (!v) throw new StoreError('unknown', 'no variable ' + id + ' (declare it first)');
  if (!hasOwn(v.type.mutators, mutator)) {
    throw new StoreError('mutator', v.spec + ' has no mutator ' + mutator + ' (it has ' + sortedKeys(v.type.mutators).join(', ') + ')');
  }
  const delta = v.type.mutators[mutator](v.state, replica, args);
  if (v.type.leq(delta, v.state)) return null;
  v.state = v.type.join(v.state, delta);
  v.digest = -1;
  return delta;
}

/**
 * Join a remote delta (or a full state) with RR: returns the new part (a join of the irreducible parts that were
 * not already known), or null when the delta was redundant. The state changes only when the result is not null.
 */
export function applyRemote(store: Store, id: string, delta: any): any {
  const v = get(store, id);
  if (!v) throw new StoreError('unknown', 'no variable ' + id);
  const t = v.type;
  if (t.leq(delta, v.state)) return null;
  const parts = t.decompose(delta);
  let fresh = t.bottom();
  let any = false;
  for (let i = 0; i < parts.length; i++) {
    if (!t.leq(parts[i], v.state)) {
      fresh = t.join(fresh, parts[i]);
      any = true;
    }
  }
  // The state takes the whole delta, so convergence never rests on decompose; a decomposition that missed the
  // new part only costs forwarding the whole delta.
  v.state = t.join(v.state, delta);
  v.digest = -1;
  return any ? fresh : delta;
}
