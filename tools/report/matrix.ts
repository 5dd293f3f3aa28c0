/**
 * The report's fixed matrix of scenarios and what is kept of each run. Two families:
 * - sync: N nodes (default 30) under each membership manager × dissemination mode × loss rate, with CRDT updates
 *   (an OR-Set and a PN-Counter, 60 updates at random nodes); kept: convergence, divergence over time, bytes to
 *   converge by class, bytes per node by class, memory per node.
 * - size: broadcasts (10 rounds, a random sender each) under each membership manager at growing sizes up to 1,000
 *   nodes (full membership and client-server stop at 300: their per-node state and heartbeats grow with N); kept:
 *   RMR, LDH, delivery, memory per node.
 * Every run is a Scenario (tools/sim/scenario.ts) with seed 1, so a report is reproducible and a change shows as
 * a change of the figures, not of the luck.
 */
import type { Scenario, ScenarioResult } from '../sim/scenario.ts';

export type Membership = 'hyparview' | 'full' | 'client-server';

/** Dissemination modes: anti-entropy alone in three settings, and the runtime as deployed. */
export const MODES: { [name: string]: { plumtreeDeltas: boolean; antiEntropy: object } } = {
  state: { plumtreeDeltas: false, antiEntropy: { mode: 'state' } },
  delta: { plumtreeDeltas: false, antiEntropy: { bp: false, rr: false } },
  'delta+BP+RR': { plumtreeDeltas: false, antiEntropy: {} },
  'plumtree+AE': { plumtreeDeltas: true, antiEntropy: {} },
};

export interface Matrix {
  memberships: Membership[];
  modes: string[];
  losses: number[];
  /** Nodes in the sync runs. */
  syncNodes: number;
  /** Sizes of the broadcast runs; full and client-server only up to `denseMax`. */
  sizes: number[];
  denseMax: number;
}

export const FULL_MATRIX: Matrix = {
  memberships: ['hyparview', 'full', 'client-server'],
  modes: Object.keys(MODES),
  losses: [0, 0.2],
  syncNodes: 30,
  sizes: [20, 100, 300, 1000],
  denseMax: 300,
};

export interface Case {
  id: string;
  family: 'sync' | 'size';
  membership: Membership;
  mode?: string;
  loss: number;
  nodes: number;
  scenario: Scenario;
}

const SYNC_VARS = [
  { id: 'basket', type: 'orset', mutator: 'add', args: ['$node-$k'] },
  { id: 'visits', type: 'pncounter', mutator: 'inc', args: [1] },
];

export function cases(m: Matrix): Case[] {
  const out: Case[] = [];
  for (const membership of m.memberships) {
    for (const mode of m.modes) {
      const knobs = MODES[mode];
      if (!knobs) throw new Error('report: unknown mode "' + mode + '" (' + Object.keys(MODES).join(', ') + ')');
      for (const loss of m.losses) {
        const id = 'sync ' + membership + ' ' + mode + ' loss ' + loss;
        out.push({
          id,
          family: 'sync',
          membership,
          mode,
          loss,
          nodes: m.syncNodes,
          scenario: {
            name: id,
            seed: 1,
            nodes: m.syncNodes,
            duration: 40000,
            sample: 500,
            membership,
            servers: membership === 'client-server' ? 2 : undefined,
            link: { loss },
            node: { plumtreeDeltas: knobs.plumtreeDeltas, antiEntropy: knobs.antiEntropy },
            workload: [{ kind: 'crdt', label: 'crdt', start: 10000, updates: 60, every: 200, vars: SYNC_VARS }],
          },
        });
      }
    }
  }
  for (const membership of m.memberships) {
    for (const n of m.sizes) {
      if (membership !== 'hyparview' && n > m.denseMax) continue;
      const id = 'size ' + membership + ' ' + n;
      out.push({
        id,
        family: 'size',
        membership,
        loss: 0,
        nodes: n,
        scenario: {
          name: id,
          seed: 1,
          nodes: n,
          duration: 32000,
          sample: 4000,
          membership,
          servers: membership === 'client-server' ? 2 : undefined,
          join: { spread: n > 500 ? 5 : 0 },
          workload: [{ kind: 'broadcast', label: 'bcast', start: 20000, rounds: 10, every: 1000, senders: 'random' }],
        },
      });
    }
  }
  return out;
}

/** What the report keeps of a run: small enough to write every run into one results.json. */
export interface RunSummary {
  id: string;
  family: 'sync' | 'size';
  membership: Membership;
  mode?: string;
  loss: number;
  nodes: number;
  converged?: boolean;
  convergenceS?: number | null;
  bytesToConverge?: number;
  divergence?: { t: number[]; d: number[] };
  bytesPerNode: { control: number; payload: number; delta: number; state: number; total: number };
  rmr?: number;
  ldh?: number;
  ldhMax?: number;
  delivery?: number;
  memoryPerNode: number;
  wallMs: number;
}

export function summarise(c: Case, r: ScenarioResult, wallMs: number): RunSummary {
  const s: RunSummary = {
    id: c.id,
    family: c.family,
    membership: c.membership,
    mode: c.mode,
    loss: c.loss,
    nodes: c.nodes,
    bytesPerNode: r.bytes.perNode,
    memoryPerNode: r.memory.bytesPerNode,
    wallMs,
  };
  if (c.family === 'sync' && r.crdt) {
    s.converged = r.crdt.converged;
    s.convergenceS = r.crdt.convergenceTime === null ? null : r.crdt.convergenceTime / 1000;
    s.bytesToConverge = r.crdt.bytesToConverge.total;
    s.divergence = { t: r.series.t.map((t) => t / 1000), d: r.series.divergence };
  }
  const b = r.broadcast.bcast;
  if (c.family === 'size' && b) {
    s.rmr = b.rmr.mean;
    s.ldh = b.ldh.mean;
    s.ldhMax = b.ldh.max;
    s.delivery = b.deliveryRatio;
  }
  return s;
}
