/**
 * The everything entry: a node composed of every part, with the membership manager chosen by name, for Node,
 * the simulator, the tools and the tests. `createNode({ id, seed, membership: 'hyparview' })` builds what
 * runtime/node.ts's `composeNode` builds from explicit parts:
 *
 *   membership   HyParView (default), Full or ClientServer, by name (runtime/membership/index.ts)
 *   plumtree     Plumtree (runtime/plumtree.ts)
 *   dataflow     Dataflow (runtime/dataflow/glue.ts)
 *   types        ALL, every CRDT type (crdt/all.ts)
 *   sync         AntiEntropy, the full delta anti-entropy with admission (runtime/antientropy.ts)
 *   auth         the cluster key's sealing and checking (runtime/auth.ts), used when config.auth is given
 *   causal       causal delivery of Plumtree's deltas (runtime/causal-delivery.ts); config.causal false leaves it off
 *
 * A board profile does not import this file: it calls composeNode with the few parts it uses (runtime/lean.ts
 * lists them), so what it leaves out stays out of its bundle.
 *
 *   import { createNode, step, read } from './runtime/full.ts';
 *   const n = createNode({ id: 'a', seed: 1, membership: 'full' });
 *   step(n, { kind: 'command', command: { op: 'join', contacts: ['b'] } }, 0); // [{ kind: 'send', to: 'b', … }, …]
 */
import { ALL } from '../crdt/all.ts';
import { type CoreConfig, type PollenNode, composeNode } from './node.ts';
import { type ManagerName, managerOf } from './membership/index.ts';
import { Plumtree } from './plumtree.ts';
import { Dataflow } from './dataflow/glue.ts';
import * as Auth from './auth.ts';
import { AntiEntropy } from './antientropy.ts';
import { CausalDelivery } from './causal-delivery.ts';

export interface NodeConfig extends CoreConfig {
  /** Membership manager (default 'hyparview'). */
  membership?: ManagerName;
}

/** A node of every part; the membership manager by name. Throws Error for a bad knob or an unknown manager. */
export function createNode(config: NodeConfig): PollenNode {
  const parts = {
    membership: managerOf(config.membership === undefined ? 'hyparview' : config.membership),
    plumtree: Plumtree,
    dataflow: Dataflow,
    types: ALL,
    sync: AntiEntropy,
    auth: Auth,
    causal: CausalDelivery,
  };
  // The manager's name is this entry's knob, not the core's.
  const core: CoreConfig = Object.assign({}, config);
  delete (core as NodeConfig).membership;
  return composeNode(core, parts);
}

export { composeNode, step, read, stateOf, specOfVar, neighbors, membershipStats, metrics, snapshot } from './node.ts';
export type { CoreConfig, NodeParts, PollenNode } from './node.ts';
