/**
 * `node --expose-gc --import tsx tools/bench/simmem.ts [N]`: where a simulated node's memory goes. Builds the big
 * run's scenario (tools/bench/sim.ts) at N nodes (default 2,000), runs the 20 s warm-up and a few broadcast
 * rounds, then reports the heap per node, and for each part of a node (membership, Plumtree, store, anti-entropy,
 * dataflow, metrics, the three Ctx ...) the heap freed when that part is dropped from every node at once: a
 * part's own bytes, not counting what it shares with others. Also the simulator's own share (event queue,
 * timer tables, measures).
 */
import { buildSim } from '../sim/scenario.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heap(): number {
  for (let k = 0; k < 3; k++) gc!();
  return process.memoryUsage().heapUsed;
}

const n = Number(process.argv[2] ?? 2000);
const base = heap();
const sim = buildSim({
  name: 'mem', seed: 1, nodes: n, duration: 20000 + 5000, sample: 10000, join: { spread: 1 },
  workload: [{ kind: 'broadcast', label: 'w', start: 20000, rounds: 5, every: 1000, senders: 'single' }],
});
const t0 = Date.now();
sim.run(20000 + 5000);
const wall = Date.now() - t0;
const total = heap() - base;
const lines: string[] = [];
lines.push(n + ' nodes, ' + sim.events + ' events in ' + wall + ' ms; heap ' + (total / 1048576).toFixed(1) + ' MB, ' + Math.round(total / n) + ' B/node');
const nodes = sim.nodes.filter((x) => x !== null) as any[];
const parts = ['ms', 'pt', 'store', 'ae', 'df', 'hear', 'metrics', 'limits', 'nbrs', 'auth', 'cm', 'cp', 'ca'];
// Ctx hold a reference to the node and an rng: drop the part from every node, measure, keep it dropped.
const kept: any[][] = nodes.map(() => []);
let prev = heap();
for (const p of parts) {
  nodes.forEach((x, k) => {
    kept[k].push(x[p]);
  });
  // Hold the parts elsewhere first so that only the node's reference goes, then drop them.
  nodes.forEach((x) => {
    x[p] = null;
  });
  for (const k of kept) k.length = 0;
  const now = heap();
  lines.push('  ' + p.padEnd(8) + Math.round((prev - now) / n).toString().padStart(7) + ' B/node');
  prev = now;
}
const s = sim as any;
s.timers.fill(null);
let now = heap();
lines.push('  timers  ' + Math.round((prev - now) / n).toString().padStart(7) + ' B/node');
prev = now;
s.q = null;
now = heap();
lines.push('  queue   ' + Math.round((prev - now) / n).toString().padStart(7) + ' B/node');
prev = now;
s.measures = null;
now = heap();
lines.push('  measures' + Math.round((prev - now) / n).toString().padStart(7) + ' B/node');
prev = now;
s.nodes.fill(null);
now = heap();
lines.push('  rest of node' + Math.round((prev - now) / n).toString().padStart(7) + ' B/node');
prev = now;
lines.push('  left    ' + Math.round((now - base) / n).toString().padStart(7) + ' B/node');
console.log(lines.join('\n'));
