/**
 * What a protocol module may touch during one step: the time, its node's id and random source, and four ways
 * to act (send, set or cancel a timer, emit an event, count). runtime/node.ts makes one per step and turns what
 * the modules did into Outputs; modules never see bytes, links or clocks.
 */
import type { Item } from '../crdt/types.ts';
import type { NodeEvent, PeerId } from './io.ts';
import type { Rng } from './rng.ts';

export interface Ctx {
  /** Milliseconds, from the driver. */
  readonly now: number;
  readonly self: PeerId;
  /** This node's incarnation: it grows at every restart and travels in every envelope. */
  readonly incarnation: number;
  readonly rng: Rng;
  /** Send a message (type from runtime/messages.ts) with its body; cls from runtime/io.ts for the measures. */
  send(to: PeerId, type: number, body: Item, cls: number): void;
  /** Set or reset a one-shot timer (ids are namespaced per module, e.g. "hv.shuffle", "pt.graft.<id>"). */
  setTimer(id: string, at: number): void;
  cancelTimer(id: string): void;
  emit(event: NodeEvent): void;
  /** Add to a named counter in the node's metrics. */
  count(name: string, n: number): void;
  // Selective hearing (runtime/interest.ts). Optional: a Ctx without them (a unit test's) hears everything.
  /** Does `peer` want to hear of variable `id` (it declared no interest set, or `id` is in it)? */
  hears?(peer: PeerId, id: string): boolean;
  /** May this Plumtree payload go to `peer` (a CRDT delta only where its variable is heard)? */
  carries?(peer: PeerId, payload: Item): boolean;
  /** Does this node want variable `id`? Pure: for choosing what to ask for. */
  wants?(id: string): boolean;
  /** May variable `id` from `from` be joined here? When not, the node counts the refusal and tells `from` its
   *  interest set again. */
  accepts?(from: PeerId, id: string): boolean;
}
