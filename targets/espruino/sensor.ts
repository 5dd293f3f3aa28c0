/**
 * The parts of a Puck.js-class sensor node, shared by the `puck` and `puckkey` profiles (puck.ts, puckkey.ts):
 * client-server membership to its gateway (the client role alone), a client's delta anti-entropy
 * (runtime/deltasync.ts; no Plumtree: a client has one neighbour, so there is no tree to build) and three CRDT
 * types (PN-Counter, OR-Set, LWW register).
 */
import { registry, register } from '../../crdt/registry.ts';
import { PNCounterCore } from '../../crdt/pncounter.ts';
import { ORSetCore } from '../../crdt/orset.ts';
import { LWWCore } from '../../crdt/lww.ts';
import { Client } from '../../runtime/membership/client.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import type { Parts } from './board.ts';

export function sensorParts(): Parts {
  return { membership: Client, plumtree: null, sync: DeltaSync, types: register(register(register(registry(), PNCounterCore), ORSetCore), LWWCore) };
}
