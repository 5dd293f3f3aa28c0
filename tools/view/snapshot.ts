/**
 * What the live view and /state show of one node: its views (active, Plumtree's eager and lazy, HyParView's
 * passive), its variables, a digest of their states (equal digests: equal replicas) and its traffic by class.
 * Built from the sans-IO node, so the simulator and a running driver give the same shape.
 *
 *   nodeSnapshot(driver.node, true)   // { id, up, active, eager, lazy, passive, vars, digest, bytes, … }
 */
import type { PollenNode } from '../../runtime/node.ts';
import { neighbors, read, metrics } from '../../runtime/node.ts';
import { eagerPeers, lazyPeers } from '../../runtime/plumtree.ts';
import { passiveView, type HvState } from '../../runtime/membership/hyparview.ts';
import { ids as storeIds } from '../../runtime/store.ts';
import { stateDigest } from '../sim/measures.ts';

export interface NodeSnapshot {
  id: string;
  up: boolean;
  active: string[];
  eager: string[];
  lazy: string[];
  passive: string[];
  vars: { [name: string]: unknown };
  /** FNV-1a over the encoded states of all variables: replicas with equal digests hold equal states. */
  digest: number;
  /** Bytes sent by class (control, payload, delta, state). */
  bytes: { [cls: string]: number };
  /** The node's counters and gauges (runtime/node.ts metrics()). */
  counters: { [name: string]: number };
}

/** Variables shown per node: a view of hundreds of variables would be unreadable and heavy on every update. */
const MAX_VARS = 32;

export function nodeSnapshot(n: PollenNode): NodeSnapshot {
  const vars: { [k: string]: unknown } = {};
  for (const k of storeIds(n.store).slice(0, MAX_VARS)) vars[k] = read(n, k);
  const m = metrics(n);
  const bytes: { [cls: string]: number } = {};
  for (const c of ['control', 'payload', 'delta', 'state']) bytes[c] = m['bytes.' + c] ?? 0;
  return {
    id: n.id,
    up: true,
    active: neighbors(n),
    // A lean profile may run without Plumtree (no eager or lazy edges then) or another membership (no passive view).
    eager: n.pt ? eagerPeers(n.pt).sort() : [],
    lazy: n.pt ? lazyPeers(n.pt).sort() : [],
    passive: n.mem.name === 'hyparview' ? passiveView(n.ms as HvState).sort() : [],
    vars,
    digest: stateDigest(n),
    bytes,
    counters: m,
  };
}

/** A node that is down: kept in the picture, greyed, with no edges. */
export function downSnapshot(id: string): NodeSnapshot {
  return { id, up: false, active: [], eager: [], lazy: [], passive: [], vars: {}, digest: 0, bytes: {}, counters: {} };
}

/** One frame of the view: every node, the share of live replicas off the most common state, and when. */
export interface Frame {
  t: number;
  /** 'sim' (simulated ms) or 'cluster' (wall ms since the view started). */
  source: string;
  nodes: NodeSnapshot[];
  /** Share of live nodes whose digest differs from the most common one (0: converged). */
  divergence: number;
  /** The most common digest, the one nodes are coloured against. */
  majority: number;
  totalBytes: number;
}

export function frameOf(t: number, source: string, nodes: NodeSnapshot[]): Frame {
  const counts = new Map<number, number>();
  let live = 0;
  let total = 0;
  for (const s of nodes) {
    if (!s.up) continue;
    live++;
    counts.set(s.digest, (counts.get(s.digest) ?? 0) + 1);
    for (const v of Object.values(s.bytes)) total += v;
  }
  let majority = 0;
  let best = -1;
  for (const [d, c] of counts) if (c > best || (c === best && d < majority)) [majority, best] = [d, c];
  return { t, source, nodes, divergence: live === 0 ? 0 : 1 - best / live, majority, totalBytes: total };
}
