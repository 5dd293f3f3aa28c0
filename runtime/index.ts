/**
 * The runtime's public face for Node, the simulator and the tools: runtime/full.ts (every part, the membership
 * manager by name) plus the sans-IO contract of runtime/io.ts. A node is a value plus
 * `step(node, input, now) -> outputs` (ARCHITECTURE.md, "The sans-IO contract"), and a driver (a transport with real timers, or the
 * simulator) carries the outputs out. A board profile imports runtime/lean.ts instead, which composes a node from
 * the parts it chooses.
 *
 *   import { createNode, step, read } from './runtime/index.ts';
 *   const n = createNode({ id: 'a', seed: 1, membership: 'full' });
 *   step(n, { kind: 'command', command: { op: 'join', contacts: ['b'] } }, 0); // [{ kind: 'send', to: 'b', … }, …]
 *   read(n, 'hits');                                                          // undefined until declared
 */
export type { NodeConfig } from './full.ts';
export { createNode } from './full.ts';
export type { CoreConfig, NodeParts, PollenNode } from './node.ts';
export { composeNode, step, read, stateOf, specOfVar, neighbors, membershipStats, metrics, snapshot } from './node.ts';
export type { PeerId, Input, Command, Output, NodeEvent } from './io.ts';
export { CLS_CONTROL, CLS_PAYLOAD, CLS_DELTA, CLS_STATE } from './io.ts';
export type { MembershipStats } from './membership/membership.ts';
export type { ManagerName } from './membership/index.ts';
