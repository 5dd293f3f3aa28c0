/**
 * The sans-IO contract of a Pollen node (ARCHITECTURE.md, "The sans-IO contract"). A driver (a real transport with real timers, or
 * the simulator) owns the clock and the links; the node is a value plus `step(node, input, now) -> Output[]`
 * (runtime/node.ts). Nothing in runtime/ reads a clock, opens a socket or draws from a global random source.
 *
 *   const out = step(node, { kind: 'frame', from: 'b', bytes }, now);
 *   for (const o of out) if (o.kind === 'send') link.write(o.to, o.bytes);
 */
import type { Item } from '../crdt/types.ts';

/** A peer's address in the overlay: a short string the links know how to reach. */
export type PeerId = string;

/** Traffic classes, so every byte sent is counted as one of the measures of ARCHITECTURE.md. */
export const CLS_CONTROL = 0; // membership, IHAVE, GRAFT, PRUNE, acks, digests
export const CLS_PAYLOAD = 1; // Plumtree payloads (the fast path of deltas)
export const CLS_DELTA = 2; // anti-entropy delta-intervals
export const CLS_STATE = 3; // full-state fallback

/** What a driver feeds a node. `now` (milliseconds, any origin, never decreasing) comes with each step. */
export type Input =
  /** Bytes that arrived from a peer's link: hostile until decoded with limits. */
  | { kind: 'frame'; from: PeerId; bytes: Uint8Array }
  /** A timer the node asked for has fired. */
  | { kind: 'timer'; id: string }
  /** A link to a peer came up or went down (links that know it: MQTT presence, BLE, serial, TCP). */
  | { kind: 'link'; peer: PeerId; up: boolean }
  /** The application asks for something. */
  | { kind: 'command'; command: Command };

export type Command =
  /** Join the overlay through these contacts (seeds). */
  | { op: 'join'; contacts: PeerId[] }
  /** Leave cleanly: DISCONNECT to every neighbour. */
  | { op: 'leave' }
  /** A send to this peer failed, or the application saw it dead: the membership manager treats it as failed
   *  (HyParView replaces it from the passive view, full and client-server mark it down). */
  | { op: 'suspect'; peer: PeerId }
  /** Declare a replicated variable of a CRDT type (a type spec, see crdt/registry.ts). */
  | { op: 'declare'; id: string; type: string }
  /** Apply a delta mutator to a variable. */
  | { op: 'update'; id: string; mutator: string; args: Item[] }
  /** Broadcast an opaque payload through Plumtree (experiments measure RMR/LDH with it). */
  | { op: 'broadcast'; payload: Item }
  // ---- dataflow (runtime/dataflow.ts) ----
  /** Join a state (the variable type's wire item, as its `encode` gives it) into a variable. */
  | { op: 'bind'; id: string; state: Item }
  /** Define variable `id` as `operation` (map, filter, fold, union, intersection, product) over `inputs`, with a
   *  registered function for map/filter/fold and fold's `init`; `share` (default true) replicates its changes. */
  | { op: 'derive'; id: string; operation: string; inputs: string[]; fn?: string; init?: Item; share?: boolean }
  /** Emit a 'read' event (and call the registered `then`) once `id` reaches `threshold` (a wire item of its type)
   *  or, without a threshold, once the registered monotone predicate `pred(value, arg, state)` holds. */
  | { op: 'read'; id: string; tag: string; threshold?: Item; pred?: string; arg?: Item; then?: string; thenArg?: Item };

/** What a node asks its driver to do. */
export type Output =
  | { kind: 'send'; to: PeerId; bytes: Uint8Array; cls: number }
  /** Set (or reset, when the id is already set) a one-shot timer to fire at `at`. */
  | { kind: 'timer'; id: string; at: number }
  | { kind: 'cancel'; id: string }
  | { kind: 'event'; event: NodeEvent };

export type NodeEvent =
  | { type: 'neighbor'; peer: PeerId; up: boolean }
  /** A variable's state inflated (local update, remote delta, bind, or re-derivation). */
  | { type: 'changed'; id: string }
  /** A derived variable could not be re-derived after a change of its inputs (stale true; reason as in
   *  DataflowError: 'size' past the dataflow knob maxPairEntries, 'fn' when its function threw …): it holds its
   *  last derived state until a later change derives it again (stale false, reason ''). Once per transition. */
  | { type: 'stale'; id: string; stale: boolean; reason: string; message: string }
  /** A threshold read (Command 'read') was reached; value is the variable's value then. */
  | { type: 'read'; id: string; tag: string; value: any }
  /** A Plumtree payload was delivered for the first time; hops from its origin. */
  | { type: 'deliver'; msgId: string; origin: PeerId; hops: number; payload: Item }
  /** Something from a peer was dropped and counted (reason as in DecodeError.reason or a protocol reason). */
  | { type: 'dropped'; from: PeerId; reason: string }
  /** Isolation changed: true when the node, once joined, has no neighbour left (an empty active view; it keeps
   *  retrying its contacts), false when it has one again. HyParView emits it (runtime/membership/health.ts); the
   *  other managers report isolation only in membershipStats. */
  | { type: 'isolated'; isolated: boolean };
