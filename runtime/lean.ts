/**
 * The lean entry: the node core and the parts a profile may compose it of, each imported only if the profile
 * uses it (esbuild drops the rest, so a board bundle holds what its profile names and nothing else).
 *
 *   import { composeNode, step, Client, DeltaSync, registry, register, PNCounter, ORSet, LWW } from './runtime/lean.ts';
 *   const types = register(register(register(registry(), PNCounter), ORSet), LWW);
 *   const n = composeNode({ id: 'tag1', seed: 1, maxVariables: 3, interest: ['hits', 'seen', 'mode'] },
 *     { membership: Client, plumtree: null, dataflow: null, types, sync: DeltaSync });
 *   step(n, { kind: 'command', command: { op: 'join', contacts: ['pi'] } }, 0);
 *
 * Parts: the membership managers HyParView, Full, ClientServer and Client (a client-server client alone);
 * Plumtree (or null); Dataflow (or null, and then the dataflow commands are refused); the registry of CRDT types,
 * filled with the types the profile uses; anti-entropy, AntiEntropy (the full algorithm, with admission) or
 * DeltaSync (a client's, see runtime/deltasync.ts for what it leaves out); CausalDelivery (or omitted) for a profile
 * with Plumtree whose variables include a bounded counter (runtime/causal-delivery.ts; a profile without Plumtree
 * needs none). runtime/full.ts composes every part, for Node and the simulator.
 */
export { composeNode, step, read, stateOf, specOfVar, neighbors, membershipStats, metrics, snapshot } from './node.ts';
export type { CoreConfig, NodeParts, FlowPart, SyncPart, CausalPart, PollenNode } from './node.ts';
export type { PeerId, Input, Command, Output, NodeEvent } from './io.ts';
export { HyParView } from './membership/hyparview.ts';
export { Full } from './membership/full.ts';
export { ClientServer } from './membership/clientserver.ts';
export { Client } from './membership/client.ts';
export { AntiEntropy } from './antientropy.ts';
export { DeltaSync } from './deltasync.ts';
export { Plumtree } from './plumtree.ts';
export { CausalDelivery } from './causal-delivery.ts';
export { Dataflow } from './dataflow/glue.ts';
export { registry, register, registerFactory, type Registry } from '../crdt/registry.ts';
export { PNCounter } from '../crdt/pncounter.ts';
export { ORSet } from '../crdt/orset.ts';
export { LWW } from '../crdt/lww.ts';
export { GCounter } from '../crdt/gcounter.ts';
export { encode, decode } from '../crdt/codec/cbor.ts';
