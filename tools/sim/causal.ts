/**
 * A bounded counter whose rights move from one minting replica to the others that spend them, checked after
 * every change on every replica: is each state one that some causal history produced (the value, and every
 * replica's rights, at least zero)? Ten nodes over HyParView and Plumtree; links lose 10% of frames, duplicate
 * 5% and hold back 30% by up to 300 ms. n0 mints one right every 50 ms and transfers it to a random other node
 * (120 times); every 17 ms a random other node spends all the rights it holds (400 tries). Used by
 * tests/sim/causal.test.ts (the property over many seeds) and tools/bench/causal.ts (bytes and convergence with
 * causal delivery and without).
 *
 *   const r = run(1, true);   // r.bad === '' : no replica ever held a state below the bound
 */
import { Sim } from './sim.ts';
import { localRights, type BCounterState } from '../../crdt/bcounter.ts';
import { read, stateOf } from '../../runtime/node.ts';

const N = 10;

interface Run {
  /** First state no causal history produced (value or some replica's rights below zero), described, or ''. */
  bad: string;
  /** Some replica read a value below zero. */
  below: boolean;
  value: number;
  spent: number;
  minted: number;
  held: number;
  /** Causal delivery's counters over all nodes (causal.*). */
  counters: Record<string, number>;
  /** Bytes sent by all nodes over the run. */
  bytes: number;
  /** Every node ends with the same value. */
  agreed: boolean;
  /** ms of the last update anywhere, and of the last change anywhere (convergence is the difference). */
  lastUpdate: number;
  lastChange: number;
}

function check(s: BCounterState, replicas: string[]): string {
  const total = Object.keys(s.p).reduce((a, r) => a + s.p[r], 0) - Object.keys(s.n).reduce((a, r) => a + s.n[r], 0);
  if (total < 0) return 'value ' + total;
  for (const r of replicas) if (localRights(s, r) < 0) return 'rights of ' + r + ' ' + localRights(s, r);
  return '';
}

export function run(seed: number, causal: boolean): Run {
  const ids = Array.from({ length: N }, (_x, i) => 'n' + i);
  const sim = new Sim({
    seed,
    ids,
    sample: 0,
    node: causal ? {} : { causal: false },
    link: { loss: 0.1, dup: 0.05, reorder: 0.3, reorderDelay: { dist: 'uniform', min: 0, max: 300 } },
  });
  const r: Run = { bad: '', below: false, value: 0, spent: 0, minted: 0, held: 0, counters: {}, bytes: 0, agreed: true, lastUpdate: 0, lastChange: 0 };
  const m = sim.measures;
  const changed = m.onChanged.bind(m);
  m.onChanged = (i: number, now: number) => {
    const s = stateOf(sim.node(i), 'stock') as BCounterState | undefined;
    if (s) {
      const why = check(s, ids.map((id) => sim.node(sim.indexOf(id)).replica));
      if (why !== '' && r.bad === '') r.bad = ids[i] + ' at ' + Math.round(now) + ' ms: ' + why;
      if (why.indexOf('value') === 0) r.below = true;
    }
    r.lastChange = now;
    changed(i, now);
  };
  for (let i = 0; i < N; i++) sim.at(i * 5, () => (sim.start(i), sim.cmd(i, { op: 'declare', id: 'stock', type: 'bcounter' })));
  // n0 mints one right at a time and hands it to a random other node, which spends what it holds soon after.
  for (let k = 0; k < 120; k++) {
    sim.at(3000 + k * 50, () => {
      sim.cmd(0, { op: 'update', id: 'stock', mutator: 'inc', args: [1] });
      r.minted++;
      r.lastUpdate = sim.now;
      const to = 1 + sim.randWork.below(N - 1);
      sim.cmd(0, { op: 'update', id: 'stock', mutator: 'transfer', args: [sim.node(to).replica, 1] });
    });
  }
  for (let k = 0; k < 400; k++) {
    sim.at(3000 + k * 17, () => {
      const i = 1 + sim.randWork.below(N - 1);
      const node = sim.node(i);
      const have = localRights(stateOf(node, 'stock') as BCounterState, node.replica);
      if (have > 0) {
        sim.cmd(i, { op: 'update', id: 'stock', mutator: 'dec', args: [have] });
        r.spent += have;
        r.lastUpdate = sim.now;
      }
    });
  }
  sim.run(20000);
  r.value = read(sim.node(0), 'stock') as number;
  for (let i = 0; i < N; i++) {
    const ms = sim.node(i).metrics;
    for (const k of Object.keys(ms)) {
      if (k.indexOf('causal.') === 0) r.counters[k] = (r.counters[k] ?? 0) + ms[k];
      if (k.indexOf('bytes.') === 0 && k !== 'bytes.in') r.bytes += ms[k];
    }
    if (read(sim.node(i), 'stock') !== r.value) r.agreed = false;
  }
  r.held = r.counters['causal.held'] ?? 0;
  return r;
}

