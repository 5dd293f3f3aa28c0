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
 * characters; a variable's encoded state at most `maxStateBytes`. Declaring past the first bound is refused
 * with a StoreError, never an unbounded table. An update or remote delta that would take a state past the second
 * is refused before it is joined (StoreError "size", counted in `refused`): on a board, running out of memory
 * cannot be caught, so the check comes before the growth. The size is kept as an upper estimate (the state's
 * size when last measured plus the encoded size of each delta joined since), measured again by encoding the
 * state only when the estimate reaches the bound, so an update costs the encoding of its delta, not its state.
 */
import type { Core, Crdt, ReplicaId } from '../crdt/types.ts';
import { hasOwn, sortedKeys } from '../crdt/keys.ts';
import { type ReasonError, errorType } from '../crdt/errors.ts';
import { type Registry, typeOf, specOf } from '../crdt/registry.ts';
import { encode } from '../crdt/codec/cbor.ts';

/** Default bound on variables per node: room for an application's handful plus derived ones on a Puck.js. */
export const DEFAULT_MAX_VARS = 64;
/** Default bound on one variable's encoded state: 1 MiB keeps a Pi's run-away variable from taking its memory;
 *  a board profile sets its own from its variable count (an OR-Set element is about 11 board variables). */
export const DEFAULT_MAX_STATE_BYTES = 1048576;
/** Variable ids travel in every delta: keep them short. */
export const MAX_ID_LENGTH = 64;

export interface Variable {
  id: string;
  /** Canonical type spec, e.g. "pair(gcounter,lww)". */
  spec: string;
  type: Core<any, any>;
  state: any;
  /** Cached digest of the encoded state (runtime/antientropy.ts); -1 when stale. */
  digest: number;
  /** Upper estimate of the encoded state's bytes (see the bounds above). */
  bytes: number;
  /**
   * The state's claims per replica (crdt/claims.ts), kept by runtime/plausible.ts so that checking a delta costs
   * the delta's size, not the state's; absorb raises them by each delta it joins. `claimsOf` is the state they
   * were taken from: a state replaced any other way has them taken again. Never set on a board (no claims).
   */
  claims?: { [replica: string]: number };
  claimsOf?: unknown;
  /**
   * Joins left before the claims are taken again from the state: a join may drop a claim the kept ones still
   * hold (a register's overwritten stamp), so without this a stream of writers would grow them without end.
   * Set to the claims' count + 64 when taken, so taking them again costs O(1) per join, amortized.
   */
  claimsLeft?: number;
}

export interface Store {
  vars: { [id: string]: Variable };
  count: number;
  maxVars: number;
  /** The types this node knows (its profile's registry): a variable of any other type is refused. */
  types: Registry;
  maxStateBytes: number;
  /** Updates and remote deltas refused by the size bound. */
  refused: number;
  /** Encoded bytes of the last delta absorb joined, for a caller that buffers it (so it is encoded once). */
  lastBytes: number;
}

/** Why the store refused: "id" (bad id), "full" (maxVars reached), "spec" (redeclared with another type),
 * "unknown" (no such variable), "mutator" (no such mutator on the type), "size" (maxStateBytes reached), "part"
 * (runtime/node.ts: the node was composed without the part a command needs). */
export interface StoreError extends ReasonError {}
export const StoreError = /* @__PURE__ */ errorType<StoreError>('StoreError');

export function createStore(maxVars: number | undefined, types: Registry, maxStateBytes?: number): Store {
  const mv = maxVars === undefined ? DEFAULT_MAX_VARS : maxVars;
  const mb = maxStateBytes === undefined ? DEFAULT_MAX_STATE_BYTES : maxStateBytes;
  if (typeof mv !== 'number' || mv < 0 || Math.floor(mv) !== mv) throw new Error('node: maxVariables = ' + String(mv) + ' is out of range (a whole number from 0)');
  if (typeof mb !== 'number' || mb < 1 || Math.floor(mb) !== mb) throw new Error('node: maxStateBytes = ' + String(mb) + ' is out of range (a whole number from 1)');
  return { vars: {}, count: 0, maxVars: mv, types: types, maxStateBytes: mb, refused: 0, lastBytes: 0 };
}

/** Encoded bytes of a state or delta of `t`. */
export function sizeOf(t: Core<any, any>, x: unknown): number {
  return encode(t.encode(x)).length;
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
  const v: Variable = { id: id, spec: canonical, type: type, state: type.bottom(), digest: -1, bytes: 0 };
  v.bytes = sizeOf(type, v.state);
  store.vars[id] = v;
  store.count++;
  return v;
}

/**
 * Apply a delta mutator at this replica: returns the delta (already joined into the state), or null when the
 * delta changed nothing (e.g. adding an element a G-Set already holds). MutatorError from the type passes through;
 * StoreError "size" when the delta would take the state past maxStateBytes (nothing changes then).
 */
export function update(store: Store, id: string, mutator: string, replica: ReplicaId, args: any[]): any {
  const v = get(store, id);
  if (!v) throw new StoreError('unknown', 'no variable ' + id + ' (declare it first)');
  if (!hasOwn(v.type.mutators, mutator)) {
    throw new StoreError('mutator', v.spec + ' has no mutator ' + mutator + ' (it has ' + sortedKeys(v.type.mutators).join(', ') + ')');
  }
  const delta = v.type.mutators[mutator](v.state, replica, args);
  return absorb(store, id, delta) ? delta : null;
}

/**
 * Join a delta (or a state) into variable `id` in place, without redundancy removal: true when it inflated the
 * state, false when it was already below it. Throws StoreError "size" (and changes nothing) past maxStateBytes.
 */
export function absorb(store: Store, id: string, delta: any, above?: boolean): boolean {
  const v = get(store, id);
  if (!v) throw new StoreError('unknown', 'no variable ' + id);
  // `above`: the caller has just found the delta not below the state (applyRemote), so it is not asked again.
  if (!above && v.type.leq(delta, v.state)) return false;
  // Refused (StoreError "size", counted) when it would take the state past maxStateBytes. The state itself is
  // encoded only when the estimate (its size when last measured plus each delta joined since) would pass it.
  const d = sizeOf(v.type, delta);
  if (v.bytes + d > store.maxStateBytes) v.bytes = sizeOf(v.type, v.state);
  if (v.bytes + d > store.maxStateBytes) {
    store.refused++;
    throw new StoreError('size', 'variable ' + v.id + ' holds ' + v.bytes + ' bytes; ' + d + ' more would pass maxStateBytes ' + store.maxStateBytes);
  }
  const was = v.state;
  v.state = v.type.joinInto(was, delta);
  // A join claims at most the larger of the two claims per replica (a register's overwritten stamps stay in the
  // kept claims until they are taken again: see claimsLeft).
  if (v.claims && v.claimsOf === was && (v.claimsLeft as number) > 0) {
    (v.type as Crdt<any, any>).claims(delta, v.claims);
    v.claimsOf = v.state;
    v.claimsLeft = (v.claimsLeft as number) - 1;
  }
  v.bytes += d;
  v.digest = -1;
  store.lastBytes = d;
  return true;
}

/**
 * Join a remote delta (or a full state) with RR: returns the new part (a join of the irreducible parts that were
 * not already known), or null when the delta was redundant. The state changes only when the result is not null.
 * Throws StoreError "size" (and changes nothing) when the delta would take the state past maxStateBytes.
 */
export function applyRemote(store: Store, id: string, delta: any): any {
  const v = get(store, id);
  if (!v) throw new StoreError('unknown', 'no variable ' + id);
  const t = v.type;
  if (t.leq(delta, v.state)) return null;
  const parts = t.decompose(delta);
  // The new parts, joined pairwise level by level (each into an owned state made from bottom): O(bytes × log).
  // Folded one by one into a single state, each part cost a copy of the list it joins (lists are shared, never
  // edited): quadratic in a delta of many dots under one key (issue 12: 8,000 fresh replicas' adds of one
  // OR-Set element, 128 KB, cost 20 s). When every part is new (fresh updates, the common case) the delta itself
  // is the new part: rebuilding it from its parts cost 25-40 ms for a 26 KB counter delta of 3,000 replicas.
  let news: any[] = [];
  for (let i = 0; i < parts.length; i++) if (!t.leq(parts[i], v.state)) news.push(parts[i]);
  if (news.length === parts.length) news = [delta];
  else for (let i = 0; i < news.length; i++) news[i] = t.joinInto(t.bottom(), news[i]);
  while (news.length > 1) {
    const up: any[] = [];
    for (let i = 0; i < news.length; i += 2) up.push(i + 1 < news.length ? t.joinInto(news[i], news[i + 1]) : news[i]);
    news = up;
  }
  // The state takes the whole delta, so convergence never rests on decompose; a decomposition that missed the
  // new part only costs forwarding the whole delta. (absorb refuses past the size bound before changing anything.)
  absorb(store, id, delta, true);
  return news.length > 0 ? news[0] : delta;
}
