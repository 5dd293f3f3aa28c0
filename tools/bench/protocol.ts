/**
 * `npm run bench:protocol`: the protocol scoreboard of issue 6, written to BENCHMARKS.md in its own section with
 * the date, machine, versions and command. A thin wrapper: the figures are the simulator bench's
 * (tools/bench/sim.ts), run in a child process and kept as it printed them; this script adds none of its own.
 *
 *   node --import tsx tools/bench/protocol.ts                 # full sizes (10,000-node runs: long on 2 cores)
 *   node --import tsx tools/bench/protocol.ts --quick         # the sim bench's smaller sizes; prints only
 *   node --import tsx tools/bench/protocol.ts --jobs 1        # passed through to the sim bench
 *   node --import tsx tools/bench/protocol.ts --progress      # progress bars on stderr even when it is not a terminal
 *
 * What the scoreboard asks for and where it comes from: RMR / LDH / missed at 20, 100 and 1,000 nodes × 4 seeds
 * for single, random and all senders (the sim bench's broadcast section); delivery after a mass crash at 10,000
 * nodes (crash); bytes to converge for state-based, delta and delta+BP+RR on the 15-node mesh and tree beside
 * the op-based lower bound (sync). This script adds one measure of its own, in the same run: convergence time
 * of two nodes over a simulated 9600 bit/s link (thinLink below) next to the transmission lower bound. The same
 * over real pseudo-terminals is printed by tests/transports/serial-cluster.test.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, ROOT, version, writeSection } from './peers/report.ts';
import { runScenario } from '../sim/scenario.ts';
import { encode } from '../../crdt/codec/cbor.ts';
import { ORSet } from '../../crdt/orset.ts';
import { parse } from '../cli/args.ts';
import { progress } from '../cli/progress.ts';

const SIM_BENCH = join(ROOT, 'tools', 'bench', 'sim.ts');
const NAME = 'bench:protocol';

/** Run the sim bench with these arguments; resolves with what it printed on stdout (its stderr streams through). */
export function runSimBench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SIM_BENCH, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      out += s;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error('tools/bench/sim.ts exited with ' + code))));
  });
}

/** The thin link: bits per second, and the adds to one OR-Set (each at a random one of the two nodes). */
const THIN_BPS = 9600;
const THIN_ADDS = 200;

/**
 * Two nodes joined by one simulated 9600 bit/s link (20 ms latency, no loss) add THIN_ADDS elements to one
 * OR-Set in a burst, 1 ms apart, each add at a random one of them. The lower bound: each node must at least
 * receive the elements the other added, in their shortest encoding (an OR-Set state of just those, in CBOR), at
 * the link's rate, both directions at once; the larger of the two. A markdown table of seeds 1–4.
 */
export function thinLink(onSeed: (seed: number) => void = () => {}): string {
  const rows: string[] = ['| seed | converged | bytes sent (all classes) | time to converge | lower bound | × bound |', '|---|---|---:|---:|---:|---:|'];
  for (let seed = 1; seed <= 4; seed++) {
    const r = runScenario({
      name: 'thin-link', seed, nodes: 2, duration: 120000, membership: 'full',
      link: { latency: { dist: 'fixed', value: 20 }, bandwidth: THIN_BPS, bandwidthScope: 'link', queue: 1 << 20 },
      workload: [{ kind: 'crdt', label: 'crdt', start: 5000, updates: THIN_ADDS, every: 1,
        vars: [{ id: 'set', type: 'orset', mutator: 'add', args: ['$node-$k'] }] }],
    });
    const c = r.crdt;
    if (!c) throw new Error('thin link: no CRDT result');
    // What each node added, as the OR-Set state the other must at least receive (one dot per element).
    const byNode: { [node: string]: any } = {};
    const els = (c.values.set as string[]) ?? [];
    for (const e of els) {
      const node = e.slice(0, e.indexOf('-'));
      const st = byNode[node] ?? ORSet.bottom();
      byNode[node] = ORSet.join(st, ORSet.mutators.add(st, node, [e]));
    }
    const most = Math.max(...Object.values(byNode).map((st) => encode(ORSet.encode(st)).length));
    const bound = (most * 8 * 1000) / THIN_BPS;
    const t = c.convergenceTime === null ? NaN : c.lastUpdate - c.firstUpdate + c.convergenceTime;
    const b = c.bytesToConverge;
    const sent = b.state + b.delta + b.payload + b.control;
    onSeed(seed);
    rows.push('| ' + seed + ' | ' + (c.converged && els.length === THIN_ADDS ? 'yes' : 'NO') + ' | ' + sent + ' | ' + (t / 1000).toFixed(2) + ' s | ' + (bound / 1000).toFixed(2) + ' s | ' + (t / bound).toFixed(1) + ' |');
  }
  return ['### Convergence over a 9600 bit/s link', '',
    'Two nodes (full membership) joined by one simulated link of ' + THIN_BPS + ' bit/s with 20 ms latency add ' + THIN_ADDS + ' elements to one OR-Set in a burst, each add at a random one of them. Time to converge counts from the first update; the lower bound is the larger node\'s additions, as the OR-Set state of just those in CBOR, at the link rate. The same over real pseudo-terminals at 9600 bit/s 8N1 is printed by `npm test -- serial-cluster`.',
    '', ...rows].join('\n');
}

/** The BENCHMARKS.md section around the sim bench's tables. */
export function section(tables: string, thin: string, args: string[], date: string): string {
  const command = 'node --import tsx tools/bench/protocol.ts' + (args.length > 0 ? ' ' + args.join(' ') : '');
  return [
    '<!-- ' + NAME + ' start -->',
    '## Protocol scoreboard',
    '',
    'Written by `npm run bench:protocol` (`' + command + '`), which runs the simulator bench `tools/bench/sim.ts` and keeps its tables as printed; every figure below comes from that one run. Simulated runs are seeded: the same seeds give the same figures on any machine, except wall time and memory.',
    '',
    '- Date: ' + date,
    '- Machine: ' + machine(),
    '- Versions: pollen ' + version('pollen') + ', tsx ' + version('tsx'),
    '',
    tables.trim(),
    '',
    thin,
    '<!-- ' + NAME + ' end -->',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // Checked here with the sim bench's options, so a typo fails before minutes of running rather than after.
  const a = parse(args, { quick: { type: 'boolean' }, json: { type: 'boolean' }, only: { type: 'string' }, jobs: { type: 'string' }, progress: { type: 'boolean' } }, 'usage: npm run bench:protocol -- [--quick] [--only SECTIONS] [--jobs N] [--progress]\n', false);
  if (typeof a === 'number') process.exit(a);
  // The sim bench draws its own bar (it shares this stderr, and gets --progress passed through); this one follows
  // the thin-link runs, one step per seed.
  const tables = await runSimBench(args);
  const bar = progress('bench:protocol thin link', 4, { force: a.values.progress === true });
  const thin = thinLink((seed) => bar.tick('seed ' + seed));
  bar.done();
  const text = section(tables, thin, args.filter((x) => x !== '--progress'), new Date().toISOString());
  console.log(text);
  if (!args.includes('--quick') && !args.includes('--only')) writeSection(join(ROOT, 'BENCHMARKS.md'), NAME, text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
