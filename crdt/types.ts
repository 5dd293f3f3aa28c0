/**
 * The contract every Pollen CRDT keeps (README, "A taste: the CRDTs"; their wire forms in PROTOCOL.md).
 *
 * A type is a plain object of functions over immutable plain-data states, so it minifies well and runs on the
 * Espruino interpreter (no Map/Set/Symbol). States are never mutated in place: `join` and the delta mutators
 * return new values, which lets callers keep old states as snapshots without copying.
 *
 *   const d = GCounter.mutators.inc(s, 'a', [1]);  // the delta only
 *   s = GCounter.join(s, d);                        // the caller joins it
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

export interface Crdt<S, V> {
  /** Short stable name, e.g. "gcounter"; used in logs and in the dataflow API. */
  readonly name: string;
  /** Numeric tag on the wire (crdt/registry.ts lists them); never reused for another type. */
  readonly tag: number;
  /** The least element: joining it changes nothing. */
  bottom(): S;
  /** Least upper bound. Idempotent, commutative, associative; returns a new state. */
  join(a: S, b: S): S;
  /** a ≤ b in the lattice order, i.e. join(a, b) equals b. */
  leq(a: S, b: S): boolean;
  /** The query: what an application reads. */
  value(state: S): V;
  /** Join-irreducible parts whose join is the state; bottom decomposes to []. */
  decompose(state: S): S[];
  /** To a wire item; equal states give items that encode to equal bytes. */
  encode(state: S): Item;
  /** From a wire item; throws DecodeError for anything that is not a well-formed state of this type. */
  decode(item: Item): S;
  /** The delta mutators, by name. */
  readonly mutators: { [name: string]: Mutator<S> };
}

/** Is the state equal to bottom? (leq to bottom, since bottom is the least element.) */
export function isBottom<S, V>(type: Crdt<S, V>, state: S): boolean {
  return type.leq(state, type.bottom());
}

/** Lattice equality: each below the other. */
export function equal<S, V>(type: Crdt<S, V>, a: S, b: S): boolean {
  return type.leq(a, b) && type.leq(b, a);
}
