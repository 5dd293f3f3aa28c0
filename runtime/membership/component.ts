/**
 * Component labels for HyParView (runtime/membership/hyparview.ts): how two parts of an overlay that no longer
 * share a link find out that they are apart, and merge, with no orchestrator.
 *
 * HyParView alone never merges two components in which every node has a neighbour: a node with a free slot asks
 * with low priority and full peers refuse, and a full node asks no one. After a join storm or churn the overlay
 * can stay split for good although each side still knows nodes of the other (passive views, the contacts).
 *
 * - The label. Every node holds a label (root, dist): the smallest node id its component reaches within MAX_HOPS
 *   active links, and how many links away. It is a distance vector over the active view: a node takes the least
 *   (root, dist + 1) among its active peers' labels, or (itself, 0). A node tells its label (COMPONENT [root,
 *   dist]) to every active peer when it changes, to a new active peer, and to all of them every shuffle period
 *   (a lost update is repaired within one). When the root fails, the labels that lead to it count up to MAX_HOPS
 *   and then give way to the next smallest id: a short burst of small frames after a root's failure, nothing in
 *   a steady overlay but the periodic refresh.
 * - The merge. A NEIGHBOR carries the asker's root once the label has held for a keepalive period (`claim`). A
 *   receiver whose own settled root differs is in another component (`outside`): it accepts even when full
 *   (evicting a random peer, as for any high-priority request) and answers NEIGHBOR_REPLY [2], which the asker
 *   takes even when full. One link suffices: the labels then flow across it and both sides share the smaller
 *   root, after which their requests are ordinary again.
 * - Who asks across. The passive checks of health.ts (one peer per shuffle period for a full view) and refills
 *   draw from the passive view and from the contacts: a node that is not isolated still goes back to its seeds
 *   now and then, so a seed that restarted alone, or an island whose passive views no outsider lists, is found.
 *
 * A label in flux (just changed) is not claimed, so the counting after a root's failure and a joiner's first
 * seconds cause no merges; a label wrongly taken for another component costs one evicted link, refilled as any.
 *
 *   relabel(s, ctx);            // after the active view changed: recompute, tell the peers if it moved
 *   claim(s, ctx.now);          // 'a' (the root) once settled, '' while in flux
 */
import type { Ctx } from '../context.ts';
import { CLS_CONTROL } from '../io.ts';
import type { PeerId } from '../io.ts';
import { COMPONENT } from '../messages.ts';
import type { HvState } from './hyparview.ts';

/** The longest path a label travels. 16: twice the diameter of a 10^5-node overlay with active views of 5
 *  (about log4(10^5) ≈ 8), so a large component still shares one root; it also bounds the counting after a
 *  root fails (at most MAX_HOPS updates per node). A component wider than this holds several labels, and its
 *  parts merge with each other now and then, at the cost of an evicted link each time. */
export const MAX_HOPS = 16;

/** A COMPONENT from an active peer: keep its label and recompute. From a peer in no active view it is ignored
 *  (the label means something only along a link; the peer tells it again once the link is whole). */
export function onLabel(s: HvState, ctx: Ctx, from: PeerId, root: PeerId, dist: number): void {
  if (s.active.indexOf(from) < 0) return;
  s.nbRoot[from] = root;
  s.nbDist[from] = dist;
  relabel(s, ctx);
}

/** Recompute this node's label from its active peers' (entries of peers no longer active are dropped); when it
 *  changed, tell every active peer. Called after every input that may change the active view. */
export function relabel(s: HvState, ctx: Ctx): void {
  let root = s.self;
  let dist = 0;
  const ps = Object.keys(s.nbRoot);
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (s.active.indexOf(p) < 0) {
      delete s.nbRoot[p];
      delete s.nbDist[p];
      continue;
    }
    const r = s.nbRoot[p];
    const d = s.nbDist[p] + 1;
    if (d <= MAX_HOPS && (r < root || (r === root && d < dist))) {
      root = r;
      dist = d;
    }
  }
  if (root === s.root && dist === s.dist) return;
  if (root !== s.root) s.rootAt = ctx.now;
  s.root = root;
  s.dist = dist;
  tell(s, ctx, s.active);
}

/** Send this node's label to each of `peers`. */
export function tell(s: HvState, ctx: Ctx, peers: PeerId[]): void {
  for (let i = 0; i < peers.length; i++) ctx.send(peers[i], COMPONENT, [s.root, s.dist], CLS_CONTROL);
}

/** The root to claim in a NEIGHBOR: this component's once it has held for a keepalive period, '' before. */
export function claim(s: HvState, now: number): PeerId {
  return now - s.rootAt >= s.cfg.keepalive ? s.root : '';
}

/** Does an asker claiming `root` belong to another component than this node (both labels settled)? */
export function outside(s: HvState, now: number, root: PeerId): boolean {
  return root !== '' && claim(s, now) !== '' && root !== s.root;
}
