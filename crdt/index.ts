/**
 * The CRDT library's public face and its board entry: every type Pollen has, the registry that names
 * them on the wire, and the portable codec. The board bundle is built from this file (tools/board-check.ts holds
 * it to the board's subset, ARCHITECTURE.md), so anything exported here is something a Puck.js can run.
 *
 *   import { ORSet, typeOf, encode } from './crdt/index.ts';
 *   const s = ORSet.join(ORSet.bottom(), ORSet.mutators.add(ORSet.bottom(), 'a', ['milk']));
 *   encode(ORSet.encode(s)); // a few bytes
 */
export type { Crdt, Item, ItemMap, Mutator, ReplicaId } from './types.ts';
export { isBottom, equal } from './types.ts';
export { DecodeError, MutatorError } from './errors.ts';
export { GCounter } from './gcounter.ts';
export { PNCounter } from './pncounter.ts';
export { BCounter } from './bcounter.ts';
export { MaxInt } from './maxint.ts';
export { pair } from './pair.ts';
export { GSet } from './gset.ts';
export { TwoPSet } from './twopset.ts';
export { ORSet } from './orset.ts';
export { LWW } from './lww.ts';
export { MVRegister } from './mvregister.ts';
export { EWFlag } from './ewflag.ts';
export { DWFlag } from './dwflag.ts';
export { awmap } from './awmap.ts';
export { AWGraph } from './awgraph.ts';
export { TAGS, known, typeOf, specOf, canonicalSpec, ALL, allTypes } from './all.ts';
export { registry, register, registerFactory, type Registry } from './registry.ts';
export { encode, decode, check, limits, DEFAULT_LIMITS, EncodeError } from './codec/cbor.ts';
