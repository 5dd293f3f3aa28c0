/**
 * The runtime's public face and its board entry: a node is a value plus `step(node, input, now) -> outputs`
 * (shared/DESIGN.md §2), and a driver (a transport with real timers, or the simulator) carries the outputs out.
 * The board bundle is built from this file (tools/board-check.ts holds it to shared/espruino.md), so anything
 * exported here is something a Puck.js can run. A thin list of re-exports: the code lives in node.ts and io.ts.
 *
 *   import { createNode, step, read } from './runtime/index.ts';
 *   const n = createNode({ id: 'a', seed: 1, membership: 'full' });
 *   step(n, { kind: 'command', command: { op: 'join', contacts: ['b'] } }, 0); // [{ kind: 'send', to: 'b', … }, …]
 *   read(n, 'hits');                                                          // undefined until declared
 */
export type { NodeConfig, PollenNode } from './node.ts';
export { createNode, step, read, stateOf, specOfVar, neighbors, membershipStats, metrics, snapshot } from './node.ts';
export type { PeerId, Input, Command, Output, NodeEvent } from './io.ts';
export { CLS_CONTROL, CLS_PAYLOAD, CLS_DELTA, CLS_STATE } from './io.ts';
export type { MembershipStats } from './membership/membership.ts';
export type { ManagerName } from './membership/index.ts';
