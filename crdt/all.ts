/**
 * Every CRDT type Pollen has (README, "A taste: the CRDTs") in one registry, for Node, the simulator and the tools; and the registry
 * calls over it, so `typeOf('orset')` reads as before. A board profile does not import this file: it fills
 * its own registry with the few types it uses (crdt/registry.ts), so the others stay out of its bundle.
 *
 *   import { typeOf, ALL } from './crdt/all.ts';
 *   typeOf('awmap(pair(gcounter,lww))');   // the same as registry.ts's typeOf(ALL, …)
 */
import type { Crdt } from './types.ts';
import * as reg from './registry.ts';
import { GCounter } from './gcounter.ts';
import { PNCounter } from './pncounter.ts';
import { BCounter } from './bcounter.ts';
import { MaxInt } from './maxint.ts';
import { pair } from './pair.ts';
import { GSet } from './gset.ts';
import { TwoPSet } from './twopset.ts';
import { LWW } from './lww.ts';
import { Lamport } from './lamport.ts';
import { ORSet } from './orset.ts';
import { MVRegister } from './mvregister.ts';
import { EWFlag } from './ewflag.ts';
import { DWFlag } from './dwflag.ts';
import { awmap } from './awmap.ts';
import { AWGraph } from './awgraph.ts';

/** A new registry holding every type and both factories. */
export function allTypes(): reg.Registry {
  const r = reg.registry();
  const base = [GCounter, PNCounter, BCounter, MaxInt, GSet, TwoPSet, LWW, Lamport, ORSet, MVRegister, EWFlag, DWFlag, AWGraph];
  for (let i = 0; i < base.length; i++) reg.register(r, base[i] as Crdt<any, any>);
  reg.registerFactory(r, 'pair', 2, (a) => pair(a[0], a[1]));
  reg.registerFactory(r, 'awmap', 1, (a) => awmap(a[0]));
  return r;
}

/** The registry of every type, shared by whatever imports this file. */
export const ALL: reg.Registry = allTypes();

/** typeOf over ALL. */
export function typeOf(spec: string): Crdt<any, any> {
  return reg.typeOf(ALL, spec) as Crdt<any, any>;
}

/** specOf over ALL. */
export function specOf(t: Crdt<any, any>): string {
  return reg.specOf(ALL, t);
}

/** canonicalSpec over ALL. */
export function canonicalSpec(spec: string): string {
  return reg.canonicalSpec(ALL, spec);
}

/** known over ALL. */
export function known(): string[] {
  return reg.known(ALL);
}

export { TAGS, MAX_SPEC_LENGTH, MAX_SPEC_DEPTH } from './registry.ts';
