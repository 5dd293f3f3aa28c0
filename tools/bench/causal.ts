/**
 * `npm run bench:causal`: what causal delivery (runtime/causal-delivery.ts) guards against and what it costs, on
 * the bounded-counter run of tools/sim/causal.ts, over many seeds, with the part and without it (config.causal
 * false: Plumtree's deltas joined as they arrive, as before the part existed). Prints a markdown table and
 * writes it to BENCHMARKS.md in its own section (not with --print).
 *
 *   npm run bench:causal                    # 40 seeds; writes BENCHMARKS.md
 *   npm run bench:causal -- --seeds 10 --print
 *
 * Columns: runs in which some replica held a state no causal history produced (some replica's rights below zero),
 * runs in which some replica read a value below zero, runs whose replicas all end with the right total, bytes
 * sent by all nodes per run, and convergence (ms from the last update to the last change anywhere), mean and
 * worst; then causal delivery's counters summed over all runs.
 */
import { run } from '../sim/causal.ts';
import { join } from 'node:path';
import { machine, ROOT, version, writeSection } from './peers/report.ts';
import { parse } from '../cli/args.ts';

const USAGE = 'usage: npm run bench:causal -- [--seeds N] [--print]\n';
const NAME = 'bench:causal';

interface Row {
  how: string;
  bad: number;
  below: number;
  right: number;
  bytes: number;
  conv: number;
  convMax: number;
  counters: Record<string, number>;
}

function measure(seeds: number, causal: boolean): Row {
  const row: Row = { how: causal ? 'causal delivery' : 'joined as they arrive', bad: 0, below: 0, right: 0, bytes: 0, conv: 0, convMax: 0, counters: {} };
  for (let seed = 1; seed <= seeds; seed++) {
    const r = run(seed, causal);
    if (r.bad !== '') row.bad++;
    if (r.below) row.below++;
    if (r.agreed && r.value === r.minted - r.spent) row.right++;
    row.bytes += r.bytes / seeds;
    const c = r.lastChange - r.lastUpdate;
    row.conv += c / seeds;
    if (c > row.convMax) row.convMax = c;
    for (const k of Object.keys(r.counters)) row.counters[k] = (row.counters[k] ?? 0) + r.counters[k];
  }
  return row;
}

function main(): number {
  const a = parse(process.argv.slice(2), { seeds: { type: 'string' }, print: { type: 'boolean' } }, USAGE, false);
  if (typeof a === 'number') return a;
  const seeds = a.values.seeds === undefined ? 40 : Number(a.values.seeds);
  if (!(seeds >= 1 && Math.floor(seeds) === seeds)) {
    process.stderr.write('--seeds: a whole number of at least 1\n');
    return 2;
  }
  const t0 = Date.now();
  const rows = [measure(seeds, false), measure(seeds, true)];
  const lines = [
    '<!-- ' + NAME + ' start -->',
    '## Causal delta delivery: a bounded counter under loss and reordering (npm run bench:causal)',
    '',
    'tools/sim/causal.ts, ' + seeds + ' seeds: 10 nodes, links losing 10%, duplicating 5%, holding back 30% by up to 300 ms; one node mints and',
    'transfers rights, the others spend them. Each state of every replica is checked after every step. Measured ' +
      new Date().toISOString().slice(0, 10) + ' on ' + machine() + ', pollen ' + version('pollen') + ', ' + Math.round((Date.now() - t0) / 1000) + ' s.',
    '',
    '| Plumtree deltas | runs with a non-causal state | runs reading below zero | runs ending right | bytes per run | convergence mean | convergence worst |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push('| ' + r.how + ' | ' + r.bad + ' / ' + seeds + ' | ' + r.below + ' / ' + seeds + ' | ' + r.right + ' / ' + seeds + ' | ' + Math.round(r.bytes) + ' | ' + Math.round(r.conv) + ' ms | ' + Math.round(r.convMax) + ' ms |');
  }
  const c = rows[1].counters;
  lines.push('', 'Causal delivery\'s counters, all runs: ' + Object.keys(c).sort().map((k) => k + ' ' + c[k]).join(', ') + '.', '<!-- ' + NAME + ' end -->');
  const text = lines.join('\n');
  process.stdout.write(text + '\n');
  if (!a.values.print) writeSection(join(ROOT, 'BENCHMARKS.md'), NAME, text);
  return 0;
}

process.exitCode = main();
