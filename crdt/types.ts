/**
 * The contract every Pollen CRDT keeps (README, "A taste: the CRDTs"; their wire forms in PROTOCOL.md).
 *
 * A type is a plain object of functions over plain-data states, so it minifies well and runs on the Espruino
 * interpreter (no Map/Set/Symbol). `join` and the delta mutators never change their arguments and return new
 * values, which lets callers keep old states as snapshots. `joinInto` is the one exception, for a caller that
 * owns its state (the node's store): it folds a delta into the state in place, at the cost of the delta.
 *
 *   const d = GCounter.mutators.inc(s, 'a', [1]);  // the delta only
 *   s = GCounter.join(s, d);                        // the caller joins it (s may be shared)
 *   s = GCounter.joinInto(s, d);                    // or, owning s: cost O(d), no copy of s
 */

/** A value the wire can carry: the deterministic-CBOR subset Pollen uses (see crdt/codec/cbor.ts). */
export type Item = number | string | boolean | null | Uint8Array | Item[] | ItemMap;
export interface ItemMap {
  [key: string]: Item;
}

/** A replica id: a short string (a node name, or a small integer written in decimal). */
export type ReplicaId = string;

/**
 * A delta mutator: takes the current state, the acting replica and the operation's arguments, and returns the
 * delta (a state of the same type, usually tiny) that the caller joins into its state. Arguments come as an
 * array because the board's interpreter has no rest parameters.
 */
export type Mutator<S> = (state: S, replica: ReplicaId, args: any[]) => S;

/**
 * What every replica calls on a type, the node's store and anti-entropy included: a board profile registers
 * only this (crdt/core.ts builds the board's tables, one shared set of functions for all its types), so the
 * rest of the contract (Crdt below) costs a board nothing. crdt/core.ts derives join and copy from it.
 */
export interface Core<S, V> {
  /** Short stable name, e.g. "gcounter"; used in logs and in the dataflow API. */
  readonly name: string;
  /** Numeric tag on the wire (crdt/registry.ts lists them); never reused for another type. */
  readonly tag: number;
  /** The least element: joining it changes nothing. */
  bottom(): S;
  /**
   * join(state, delta), written into `state` and returned (use the return value: a type whose state is a number
   * or null returns a new one). The caller must own `state`: made by bottom(), decode() or copy(), and changed
   * since only by joinInto. `delta` is left as it was and may be used again; the state never shares anything
   * with it that a later joinInto edits. In the full tables it costs O(size of the delta) (times a log of the
   * state's size); a causal delta whose context covers dots the state holds outside the keys the delta carries (a
   * remove) costs one walk over the state's keys on top. The board's OR-Set core always walks its (small) state.
   */
  joinInto(state: S, delta: S): S;
  /** a ≤ b in the lattice order, i.e. join(a, b) equals b. */
  leq(a: S, b: S): boolean;
  /** The query: what an application reads. */
  value(state: S): V;
  /**
   * Parts whose join is the state; bottom decomposes to []. Each part is join-irreducible, except that a
   * replica claiming many more removed dots than the state's bytes could list (REMOVAL_FACTOR in causal.ts)
   * gives one part for its whole row: the number of parts is linear in the size of the encoded state.
   */
  decompose(state: S): S[];
  /** To a wire item; equal states give items that encode to equal bytes. */
  encode(state: S): Item;
  /** From a wire item; throws DecodeError for anything that is not a well-formed state of this type. */
  decode(item: Item): S;
  /** The delta mutators, by name. */
  readonly mutators: { [name: string]: Mutator<S> };
  /**
   * Only for a type whose mutators read the state to allow an operation (the bounded counter's rights): for each
   * replica in the state, a number that every mutation of that replica raises, read off the state, set into
   * `out`. In a causally produced state a replica's mutations form a prefix, and this says how long it is;
   * runtime/causal-delivery.ts holds a delta until the state has the progress the delta depends on. Types
   * without it are joined as their deltas arrive.
   */
  progress?(state: S, out: { [replica: string]: number }): void;
}

/** The whole contract: the core plus what Node, the simulator, the tools and the laws use. */
export interface Crdt<S, V> extends Core<S, V> {
  /** Least upper bound. Idempotent, commutative, associative; returns a new state. */
  join(a: S, b: S): S;
  /** A state equal to this one that the caller owns (for joinInto); shares only what joinInto never edits. */
  copy(state: S): S;
  /**
   * The highest counter the state claims for each replica, raised into `out` (kept where out is higher): dot
   * counters for causal types, entries for counters, timestamps for LWW; nothing for types without replicas.
   * crdt/claims.ts compares a delta's claims with what a node knows (the plausibility check).
   */
  claims(state: S, out: { [replica: string]: number }): void;
}

/** Is the state equal to bottom? (leq to bottom, since bottom is the least element.) */
export function isBottom<S, V>(type: Core<S, V>, state: S): boolean {
  return type.leq(state, type.bottom());
}

/** Lattice equality: each below the other. */
export function equal<S, V>(type: Core<S, V>, a: S, b: S): boolean {
  return type.leq(a, b) && type.leq(b, a);
}
