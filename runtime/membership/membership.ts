/**
 * One interface, three managers (PROTOCOL.md, "Membership"): full mesh, client-server and HyParView (the default), chosen by
 * configuration. A manager owns who this node's neighbours are; runtime/node.ts compares `neighbors` before and
 * after every step and tells the dissemination layer about each neighbour that came or went.
 */
import type { Item } from '../../crdt/types.ts';
import type { Ctx } from '../context.ts';
import type { PeerId } from '../io.ts';

export interface MembershipStats {
  /** Size of the view used for dissemination (the active view). */
  active: number;
  /** Size of the backup view (HyParView's passive view; 0 where there is none). */
  passive: number;
  /** True while the node has no neighbour though it has joined. */
  isolated: boolean;
}

export interface Membership<S> {
  readonly name: string;
  /** A fresh state. `config` is the manager's own knobs object (see each manager's defaults). */
  init(self: PeerId, config: any): S;
  /** Join through contacts (seeds); also starts the manager's periodic timers. */
  join(s: S, ctx: Ctx, contacts: PeerId[]): void;
  /** Leave cleanly: tell every neighbour (DISCONNECT), stop timers. */
  leave(s: S, ctx: Ctx): void;
  /** Handle a message whose type is in the membership or health range; false when the type is not its own. */
  onMessage(s: S, ctx: Ctx, from: PeerId, incarnation: number, type: number, body: Item): boolean;
  /** Handle one of its own timers; false when the id is not its own. */
  onTimer(s: S, ctx: Ctx, id: string): boolean;
  /** A link to a peer came up or went down (down on a neighbour = failure: replace it). */
  onLink(s: S, ctx: Ctx, peer: PeerId, up: boolean): void;
  /** A send to this peer failed or a layer above saw it as dead (e.g. Plumtree gave up on it). */
  suspect(s: S, ctx: Ctx, peer: PeerId): void;
  /** Optional: any valid frame from `from` arrived (any layer's), so it is alive now, whatever its replies wait
   *  behind on a busy link. A manager that has it refreshes its liveness of a known peer of that life. */
  heard?(s: S, ctx: Ctx, from: PeerId, incarnation: number): void;
  /** The current neighbours, sorted ascending (so iteration order never depends on insertion). */
  neighbors(s: S): PeerId[];
  stats(s: S): MembershipStats;
}
