/**
 * Component labels for HyParView (runtime/membership/hyparview.ts): how two parts of an overlay that no longer
 * share a link find out that they are apart, and merge, with no orchestrator.
 *
 * HyParView alone never merges two components in which every node has a neighbour: a node with a free slot asks
 * with low priority and full peers refuse, and a full node asks no one. After a join storm or churn the overlay
 * can stay split for good although each side still knows nodes of the other (passive views, the contacts).
 *
 * - The label. Every node holds a label (root, dist, seq): the smallest node id its component reaches within
 *   MAX_HOPS active links, how many links away, and the newest sequence number of that root heard. It is a
 *   distance vector over the active view: a node takes the least root among its active peers' labels, or
 *   itself, with the least dist + 1 and the highest seq told for that root. A node tells its label (COMPONENT
 *   [root, dist, seq]) to every active peer when it changes, and to a new active peer.
 * - Freshness. A root counts its seq up every shuffle period and tells it: the wave runs through the component,
 *   each node passing it on once (its label changed), so every link carries one COMPONENT each way per period,
 *   and a lost one is made good by the next wave. A node whose root's seq has not grown for EXPIRE shuffle
 *   periods takes the root as gone: it is cut off from it (a partition, or the root failed). It drops the root
 *   and takes the next least label, or itself, and for another EXPIRE periods takes no label of the lost root
 *   that is not newer than the last seq it heard: the stale labels still going round a cut-off side never bring
 *   it back, and only a live path from the root (a newer seq) does. Without the seq, a cut-off side could give up
 *   its root only by counting dist up to MAX_HOPS, one lost-and-resent label at a time under loss: on a 25-node
 *   side with 30% loss that took minutes, and the two sides of a healed partition both still claimed the old
 *   root, so neither saw the other as another component. (A root that restarts counts from 0 again: its
 *   neighbours take it back once they have given up its former life, at most 2 × EXPIRE periods later; until then
 *   labels disagree around it, which costs merges that were not needed, never a split.)
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
 *   refresh(s, ctx);            // every shuffle period: a root counts up, others check their root is alive
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

/** Shuffle periods without a newer seq of the root after which a node takes its root as gone (and, as long
 *  again, takes no label of it but a newer one). 3: a node misses a wave only when every active peer's copy of it
 *  is lost (about 0.3^5 at 30% loss), so two in a row next to never; a cut-off side finds it is apart within 30
 *  to 40 s at the default period. */
export const EXPIRE = 3;

/** A COMPONENT from an active peer: keep its label and recompute. From a peer in no active view it is ignored
 *  (the label means something only along a link; the peer tells it again once the link is whole). */
export function onLabel(s: HvState, ctx: Ctx, from: PeerId, root: PeerId, dist: number, seq: number): void {
  if (s.active.indexOf(from) < 0) return;
  s.nbRoot[from] = root;
  s.nbDist[from] = dist;
  s.nbSeq[from] = seq;
  relabel(s, ctx);
}

/** May a peer's label of `root` at `seq` be taken? Not this node's own id (it is its own root at dist 0), nor a
 *  lost root's unless newer than what was last heard of it. */
function usable(s: HvState, root: PeerId, seq: number): boolean {
  return root !== s.self && !(root === s.lost && seq <= s.lostSeq);
}

/** Recompute this node's label from its active peers' (entries of peers no longer active are dropped); when it
 *  changed, tell every active peer. Called after every input that may change the active view. */
export function relabel(s: HvState, ctx: Ctx): void {
  let root = s.self;
  let dist = 0;
  let seq = s.own;
  const ps = Object.keys(s.nbRoot);
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (s.active.indexOf(p) < 0) {
      delete s.nbRoot[p];
      delete s.nbDist[p];
      delete s.nbSeq[p];
      continue;
    }
    const r = s.nbRoot[p];
    const d = s.nbDist[p] + 1;
    const q = s.nbSeq[p];
    if (d > MAX_HOPS || !usable(s, r, q)) continue;
    if (r < root) {
      root = r;
      dist = d;
      seq = q;
    } else if (r === root) {
      if (d < dist) dist = d;
      if (q > seq) seq = q;
    }
  }
  if (root === s.root) {
    // The same root: its seq never goes back here (a peer may lag a wave), and a newer one shows it alive.
    if (seq > s.seq) s.freshAt = ctx.now;
    else seq = s.seq;
  } else {
    s.rootAt = ctx.now;
    s.freshAt = ctx.now;
  }
  if (root === s.root && dist === s.dist && seq === s.seq) return;
  s.root = root;
  s.dist = dist;
  s.seq = seq;
  tell(s, ctx, s.active);
}

/**
 * Every shuffle period: a root counts its seq up and tells it (the wave); any other node whose root's seq has not
 * grown for EXPIRE periods gives the root up ('hv.root.lost') and relabels without it. A lost root is forgotten
 * after as long again.
 */
export function refresh(s: HvState, ctx: Ctx): void {
  const t = EXPIRE * s.cfg.shufflePeriod;
  if (s.lost !== '' && ctx.now - s.lostAt >= t) s.lost = '';
  if (s.root === s.self) {
    s.own++;
    s.seq = s.own;
    s.freshAt = ctx.now;
    tell(s, ctx, s.active);
    return;
  }
  if (ctx.now - s.freshAt < t) return;
  ctx.count('hv.root.lost', 1);
  s.lost = s.root;
  s.lostSeq = s.seq;
  s.lostAt = ctx.now;
  // Relabel from scratch: the lost root's labels are no longer usable, so the least other one (or this node) wins.
  s.root = s.self;
  s.seq = s.own;
  s.dist = 0;
  s.rootAt = ctx.now;
  relabel(s, ctx);
  // Still its own root: relabel saw no change, but the peers must hear it.
  if (s.root === s.self) tell(s, ctx, s.active);
}

/** Send this node's label to each of `peers`. */
export function tell(s: HvState, ctx: Ctx, peers: PeerId[]): void {
  for (let i = 0; i < peers.length; i++) ctx.send(peers[i], COMPONENT, [s.root, s.dist, s.seq], CLS_CONTROL);
}

/** The root to claim in a NEIGHBOR: this component's once it has held for a keepalive period, '' before. */
export function claim(s: HvState, now: number): PeerId {
  return now - s.rootAt >= s.cfg.keepalive ? s.root : '';
}

/** Does an asker claiming `root` belong to another component than this node (both labels settled)? */
export function outside(s: HvState, now: number, root: PeerId): boolean {
  return root !== '' && claim(s, now) !== '' && root !== s.root;
}
