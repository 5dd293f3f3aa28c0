/**
 * The overlay's merge properties as runs over many seeds (issue 11), shared by tests/sim/ and the sim bench:
 *
 * - join storm: 9 nodes with an active view of 3 all join through n0 at the same moment; after `settle` ms the
 *   overlay must be one component.
 * - churn: 9 nodes (active view 3, through n0); every 10 s for 2 minutes 30% of the live nodes crash (n0 among
 *   the candidates) and come back 5 s later with a new incarnation and empty views; after `settle` ms of quiet
 *   the overlay must be one component with no isolated node.
 *
 *   const r = mergeRuns('storm', 1, 200);   // { runs: 200, whole: 200, split: [] }
 */
import { buildSim, type Scenario } from './scenario.ts';
import type { ChurnEvent } from './churn.ts';

export type MergeCase = 'storm' | 'churn';

/** Nodes, and the active view the storm of Partisan's tests uses (9 nodes through one contact). */
export const MERGE_NODES = 9;
export const MERGE_ACTIVE = 3;
/** Churn: a round every 10 s for 2 minutes, from 20 s (after the first joins), 30% of the live nodes each. */
export const CHURN_START = 20000;
export const CHURN_EVERY = 10000;
export const CHURN_ROUNDS = 12;
export const CHURN_SHARE = 0.3;
/** ms of quiet after the storm or the last restart before the overlay is judged. 60 s: six shuffle periods. */
export const MERGE_SETTLE = 60000;

export function mergeScenario(kind: MergeCase, seed: number): Scenario {
  const churn: ChurnEvent[] = [];
  let end = 0;
  if (kind === 'churn') {
    for (let k = 0; k < CHURN_ROUNDS; k++) {
      const at = CHURN_START + k * CHURN_EVERY;
      churn.push({ at, crash: { fraction: CHURN_SHARE } });
      churn.push({ at: at + CHURN_EVERY / 2, restart: { fraction: 1 } });
      end = at + CHURN_EVERY / 2;
    }
  }
  return {
    name: 'merge-' + kind,
    seed,
    nodes: MERGE_NODES,
    duration: end + MERGE_SETTLE,
    sample: 0,
    node: { membershipConfig: { activeSize: MERGE_ACTIVE } },
    churn,
  };
}

export interface MergeRuns {
  runs: number;
  /** Runs that ended in one component with no isolated node. */
  whole: number;
  /** The others: seed and the sizes of what was left. */
  split: { seed: number; components: number; largest: number; isolated: number }[];
}

/** Run seeds first … first + runs - 1 of a case. */
export function mergeRuns(kind: MergeCase, first: number, runs: number): MergeRuns {
  const out: MergeRuns = { runs, whole: 0, split: [] };
  for (let seed = first; seed < first + runs; seed++) {
    const s = mergeScenario(kind, seed);
    const sim = buildSim(s);
    sim.run(s.duration);
    const o = sim.overlay();
    if (o.components === 1 && o.isolated === 0 && o.alive === MERGE_NODES) out.whole++;
    else out.split.push({ seed, components: o.components, largest: o.largest, isolated: o.isolated });
  }
  return out;
}
