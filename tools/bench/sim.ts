/**
 * `npm run bench:sim`: the simulator's figures for the runtime (issue 3). Prints markdown tables; figures, not
 * pass/fail (the scenario tests in tests/sim/ hold the thresholds).
 *
 *   npm run bench:sim                    # everything (10,000-node runs included: many minutes on 2 cores)
 *   npm run bench:sim -- --quick         # smaller: 2 seeds, crash table at 1,000 nodes, 2,000-node big run
 *   npm run bench:sim -- --only sync,big # some sections: broadcast, crash, sync, big
 *   npm run bench:sim -- --json          # the results as JSON after the tables
 *   npm run bench:sim -- --jobs 1        # child processes at once (default 2, for a 2-core machine)
 *   npm run bench:sim -- --progress      # a progress bar on stderr even when it is not a terminal
 *
 * Sections:
 * - broadcast: RMR, LDH, missed and bytes per node at 20, 100, 1,000 nodes over HyParView, for one sender, a
 *   random sender per round and every node sending once per round (spread over the round), 4 seeds, default
 *   knobs. 30 rounds of 1 s after a 20 s warm-up; 'all' runs fewer rounds (N messages per round), with the
 *   default Plumtree bounds and with caches sized for the rate; at 1,000 nodes one 10 s round, large caches.
 * - crash: N nodes, then X% crash at once; delivery of 3 broadcasts right after the crash (before any repair)
 *   and of 3 broadcasts 20 s later (after repair), each level on a fresh overlay.
 * - sync: bytes to converge on a 15-node tree and a 15-node partial mesh, state-based vs plain delta vs delta+BP+RR,
 *   next to the op-based lower bound: the runtime itself in the simulator (fixed topology, updates spread by
 *   anti-entropy alone, its knobs mode/bp/rr set per row), the round model of tools/sim/syncmodel.ts beside it
 *   for reference, and the runtime as deployed (Plumtree plus anti-entropy, default knobs).
 * - overlay: the merge properties of tools/sim/overlay.ts: 1,000 join storms (9 nodes, active view 3, all through
 *   one contact at once) and 200 churn runs (30% crash and restart every 10 s for 2 minutes), the share that end
 *   in one component (quick: 200 and 40).
 * - big: wall time and peak memory of a 10,000-node × 30-round single-sender run, in a child process so its
 *   peak resident memory is its own.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSim, runScenario, type Scenario, type ScenarioResult } from '../sim/scenario.ts';
import { mesh, opBound, syncModel, tree, type SyncAlgo } from '../sim/syncmodel.ts';
import { mean } from './stats.ts';
import { fmt, table } from '../cli/table.ts';
import { parse, num } from '../cli/args.ts';
import { progress } from '../cli/progress.ts';
import { mergeRuns, type MergeCase, type MergeRuns } from '../sim/overlay.ts';

const WARM = 20000;


function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

// ---- broadcast ------------------------------------------------------------------------------------------

interface BcastRow {
  nodes: number;
  senders: string;
  seeds: number;
  rounds: number;
  messages: number;
  rmr: number;
  rmrMax: number;
  ldh: number;
  ldhMax: number;
  missed: number;
  delivery: number;
  bytesPerNode: number;
  payloadPerNode: number;
  wallMs: number;
}

/** Plumtree bounds sized for many senders at once (the defaults are sized for a board). */
const BIG_CACHES = { maxIds: 4096, cacheSize: 1024, maxMissing: 1024 };

function broadcastRun(nodes: number, senders: 'single' | 'random' | 'all', rounds: number, seed: number, every = 1000, plumtree?: object): ScenarioResult {
  const s: Scenario = {
    name: 'bcast-' + nodes + '-' + senders,
    seed,
    nodes,
    duration: WARM + rounds * every + 5000,
    sample: 5000,
    join: { spread: nodes > 1000 ? 1 : 0 },
    node: plumtree ? { plumtree } : {},
    workload: [{ kind: 'broadcast', label: 'w', start: WARM, rounds, every, senders }],
  };
  return runScenario(s);
}

interface BcastCase {
  nodes: number;
  senders: 'single' | 'random' | 'all';
  rounds: number;
  every: number;
  seeds: number[];
  caches: boolean;
}

function broadcastRow(c: BcastCase): BcastRow {
  const t0 = Date.now();
  const rs = c.seeds.map((seed) => broadcastRun(c.nodes, c.senders, c.rounds, seed, c.every, c.caches ? BIG_CACHES : undefined));
  const ws = rs.map((r) => r.broadcast.w);
  const row: BcastRow = {
    nodes: c.nodes,
    senders: c.senders + (c.caches ? ' (large caches)' : '') + (c.every !== 1000 ? ' (' + c.every / 1000 + ' s rounds)' : ''),
    seeds: c.seeds.length,
    rounds: c.rounds,
    messages: ws.reduce((a, w) => a + w.messages, 0),
    rmr: mean(ws.map((w) => w.rmr.mean)),
    rmrMax: Math.max(...ws.map((w) => w.rmr.max)),
    ldh: mean(ws.map((w) => w.ldh.mean)),
    ldhMax: Math.max(...ws.map((w) => w.ldh.max)),
    missed: ws.reduce((a, w) => a + w.missed, 0),
    delivery: ws.reduce((a, w) => a + w.delivered, 0) / Math.max(1, ws.reduce((a, w) => a + w.expected, 0)),
    bytesPerNode: mean(ws.map((w) => w.bytesPerNode.total)),
    payloadPerNode: mean(ws.map((w) => w.bytesPerNode.payload)),
    wallMs: Date.now() - t0,
  };
  log('broadcast ' + c.nodes + ' ' + row.senders + ': RMR ' + fmt(row.rmr, 3) + ' missed ' + row.missed + ' (' + row.wallMs + ' ms)');
  return row;
}

function broadcastCases(sizes: number[], seeds: number[]): BcastCase[] {
  const cases: BcastCase[] = [];
  for (const n of sizes) {
    cases.push({ nodes: n, senders: 'single', rounds: 30, every: 1000, seeds, caches: false });
    cases.push({ nodes: n, senders: 'random', rounds: 30, every: 1000, seeds, caches: false });
    if (n <= 100) {
      // Every node once per 1 s round: N messages per second network-wide.
      const rounds = n <= 20 ? 30 : 5;
      cases.push({ nodes: n, senders: 'all', rounds, every: 1000, seeds, caches: false });
      cases.push({ nodes: n, senders: 'all', rounds, every: 1000, seeds, caches: true });
    } else {
      // 1,000 messages: one round spread over 10 s (100 per second, the rate of the 100-node rows), one seed.
      // With the default bounds this rate makes ids expire before their duplicates stop coming, and messages
      // circulate again (a run grew past 3 GB); the row is run with caches sized for the rate.
      cases.push({ nodes: n, senders: 'all', rounds: 1, every: 10000, seeds: seeds.slice(0, 1), caches: true });
    }
  }
  return cases;
}

// ---- crash ------------------------------------------------------------------------------------------------

interface CrashRow {
  nodes: number;
  crash: number;
  survivors: number;
  rightAfter: number;
  afterRepair: number;
  missedAfterRepair: number;
  componentsMax: number;
  wallMs: number;
}

function crashLevel(nodes: number, f: number, seed: number): CrashRow {
  const at = nodes > 1000 ? 15000 : WARM;
  const t0 = Date.now();
  const r = runScenario({
    name: 'crash-' + f,
    seed,
    nodes,
    duration: at + 26000,
    sample: 5000,
    join: { spread: nodes > 1000 ? 1 : 0 },
    churn: [{ at, crash: { fraction: f } }],
    workload: [
      { kind: 'broadcast', label: 'right-after', start: at + 500, rounds: 3, every: 1000, senders: 'random' },
      { kind: 'broadcast', label: 'after-repair', start: at + 20000, rounds: 3, every: 1000, senders: 'random' },
    ],
  });
  const a = r.broadcast['right-after'];
  const b = r.broadcast['after-repair'];
  return {
    nodes,
    crash: f,
    survivors: r.overlay.final.alive,
    rightAfter: a ? a.deliveryRatio : NaN,
    afterRepair: b ? b.deliveryRatio : NaN,
    missedAfterRepair: b ? b.missed : NaN,
    componentsMax: Math.max(...r.series.components),
    wallMs: Date.now() - t0,
  };
}

// ---- sync -------------------------------------------------------------------------------------------------

/** Bytes to converge and the time it took (model: rounds; runtime: from the last update to the last change). */
interface SyncCell {
  bytes: number;
  ratio: number;
  time: string;
}

interface SyncRow {
  topology: string;
  what: string;
  /** The runtime, 150 updates over 10 s: about one per node per sync period, the model's regime. */
  spread: SyncCell | null;
  /** The runtime, 150 updates in 1 s: a burst within one sync period. */
  burst: SyncCell | null;
  /** tools/sim/syncmodel.ts. */
  model: SyncCell | null;
}

/** The anti-entropy settings compared, as AeConfig knobs (runtime/antientropy.ts) and as the model's name. */
const AE_MODES: [string, SyncAlgo, Record<string, unknown>][] = [
  ['state-based', 'state', { mode: 'state' }],
  ['plain delta', 'delta', { bp: false, rr: false }],
  ['delta + BP', 'delta-bp', { rr: false }],
  ['delta + RR', 'delta-rr', { bp: false }],
  ['delta + BP + RR', 'delta-bp-rr', {}],
];

/**
 * Buffer and frame bounds for the comparison runs: large enough that nothing overflows into a digest round and a
 * sync is one frame per neighbour (as in the model), so the rows differ by the algorithm alone. The defaults
 * (64 entries, 4 KB, 1 KB frames) overflow at these rates with one sync per second.
 */
const AE_ROOM = { maxEntries: 4096, maxBytes: 1000000, maxFrameBytes: 60000 };

/** ms between updates (150 of them at random nodes): the spread and the burst regimes. */
const SPREAD = 1000 / 15;
const BURST = 100 / 15;

function syncRun(name: string, updates: number, every: number, node: Scenario['node']): ScenarioResult {
  // 15 × `updates` G-Set adds at random nodes, one every `every` ms, after a 15 s start; membership 'full' on
  // the fixed topology (its heartbeats are not counted below).
  return runScenario({
    name: 'sync-' + name,
    seed: 1,
    nodes: 15,
    membership: 'full',
    topology: name as 'tree' | 'mesh',
    duration: 60000,
    node,
    workload: [{ kind: 'crdt', label: 'c', start: 15000, updates: 15 * updates, every, vars: [{ id: 's', type: 'gset', mutator: 'add', args: ['e$node.$k'] }] }],
  });
}

/** Plumtree plus anti-entropy bytes to converge (or only anti-entropy's), NaN when the run did not converge. */
function cell(r: ScenarioResult, op: number, aeOnly = false): SyncCell {
  const c = r.crdt;
  const ok = c !== undefined && c !== null && c.converged;
  const bytes = ok ? c.bytesToConverge.antientropy + (aeOnly ? 0 : c.bytesToConverge.plumtree) : NaN;
  const time = ok && c.convergenceTime !== null ? fmt(c.convergenceTime / 1000, 1) + ' s' : '–';
  return { bytes, ratio: bytes / op, time };
}

function syncTable(): SyncRow[] {
  const rows: SyncRow[] = [];
  const updates = 10;
  for (const [name, adj] of [['tree', tree(15)], ['mesh', mesh(15)]] as const) {
    const base = { adj, spec: 'gset' as const, updates };
    const op = opBound(base);
    const bound = { bytes: op, ratio: 1, time: '' };
    rows.push({ topology: name, what: 'op-based lower bound (deltas only)', spread: bound, burst: bound, model: bound });
    // The runtime with updates spread by anti-entropy alone (plumtreeDeltas off): its frames (DELTA and ACK;
    // DIGEST and STATE only where a neighbour is not covered by the buffer), envelopes included.
    for (const [what, algo, cfg] of AE_MODES) {
      const node = { plumtreeDeltas: false, antiEntropy: { ...AE_ROOM, ...cfg } };
      const m = syncModel({ ...base, algo });
      rows.push({
        topology: name,
        what,
        spread: cell(syncRun(name, updates, SPREAD, node), op),
        burst: cell(syncRun(name, updates, BURST, node), op),
        model: { bytes: m.bytes, ratio: m.bytes / op, time: String(m.rounds) },
      });
    }
    // The runtime as deployed: Plumtree carries each update at once, anti-entropy (BP+RR, default knobs) backs it.
    const spread = syncRun(name, updates, SPREAD, undefined);
    const burst = syncRun(name, updates, BURST, undefined);
    rows.push({ topology: name, what: 'as deployed: Plumtree + delta AE (BP+RR), default knobs', spread: cell(spread, op), burst: cell(burst, op), model: null });
    rows.push({ topology: name, what: '  of which anti-entropy', spread: cell(spread, op, true), burst: cell(burst, op, true), model: null });
    // The op-based bound in the runtime's own frames: each update in one GOSSIP frame (of that run's mean size)
    // to each other node exactly once. The ratio column stays against the data-only bound above.
    const framed = (r: ScenarioResult): SyncCell => {
      const bytes = r.frames.payload > 0 ? Math.round((r.bytes.total.payload / r.frames.payload) * 14 * 15 * updates) : NaN;
      return { bytes, ratio: bytes / op, time: '' };
    };
    rows.push({ topology: name, what: 'op-based bound in runtime frames (one GOSSIP per update and receiver)', spread: framed(spread), burst: framed(burst), model: null });
  }
  return rows;
}

// ---- big --------------------------------------------------------------------------------------------------

interface BigRow {
  nodes: number;
  rounds: number;
  wallS: number;
  /** CPU seconds of the child (user + system): the cost of the run even when other work shares the cores. */
  cpuS: number;
  peakRssMB: number;
  /** Live heap after a full collection at the end, less the heap before the run was built, per node. */
  heapPerNode: number;
  events: number;
  eventsPerS: number;
  rmr: number;
  ldh: number;
  missed: number;
  memPerNode: number;
}

/** Heap in use after full collections (the child runs with --expose-gc), or NaN without gc. */
function liveHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return NaN;
  for (let k = 0; k < 3; k++) gc();
  return process.memoryUsage().heapUsed;
}

function bigRun(nodes: number): BigRow {
  const h0 = liveHeap();
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  const sim = buildSim({
    name: 'big',
    seed: 1,
    nodes,
    duration: WARM + 30 * 1000 + 2000,
    sample: 10000,
    join: { spread: 1 },
    workload: [{ kind: 'broadcast', label: 'w', start: WARM, rounds: 30, every: 1000, senders: 'single' }],
  });
  sim.run(WARM + 30 * 1000 + 2000);
  const wall = (Date.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  // Measured with the simulator still held: what its nodes, queue and measures keep between events.
  const heap = liveHeap() - h0;
  const r = sim.result();
  const w = r.broadcast.w;
  return {
    nodes,
    rounds: 30,
    wallS: Math.round(wall * 10) / 10,
    cpuS: Math.round((c.user + c.system) / 1e5) / 10,
    heapPerNode: Math.round(heap / nodes),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    events: r.events,
    eventsPerS: Math.round(r.events / wall),
    rmr: w.rmr.mean,
    ldh: w.ldh.max,
    missed: w.missed,
    memPerNode: r.memory.bytesPerNode,
  };
}

/** Run `--child <job> <args>` of this file in another process; its stdout is one JSON value. */
function child(args: string[]): Promise<any> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error('bench child ' + args.join(' ') + ' exited ' + code))));
  });
}

/** Run jobs `width` at a time (the machine has 2 cores); results in job order. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const k = next++;
      out[k] = await jobs[k]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

// ---- main -------------------------------------------------------------------------------------------------

const USAGE = 'usage: npm run bench:sim -- [--quick] [--only broadcast,crash,sync,overlay,big] [--jobs N] [--json] [--progress]\n';
const SECTIONS = ['broadcast', 'crash', 'sync', 'overlay', 'big'];

function usageError(msg: string): number {
  process.stderr.write(msg + '\n\n' + USAGE);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--child') {
    const job = argv[1];
    let r: unknown;
    if (job === 'big') r = bigRun(Number(argv[2]));
    else if (job === 'crash') r = crashLevel(Number(argv[2]), Number(argv[3]), Number(argv[4]));
    else if (job === 'bcast') r = broadcastRow(JSON.parse(argv[2]) as BcastCase);
    else if (job === 'merge') r = mergeRuns(argv[2] as MergeCase, Number(argv[3]), Number(argv[4]));
    else throw new Error('unknown child job ' + job);
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  const a = parse(argv, { quick: { type: 'boolean' }, json: { type: 'boolean' }, only: { type: 'string' }, jobs: { type: 'string' }, progress: { type: 'boolean' } }, USAGE, false);
  if (typeof a === 'number') return a;
  const quick = a.values.quick === true;
  const json = a.values.json === true;
  const only = typeof a.values.only === 'string' ? a.values.only.split(',') : SECTIONS;
  for (const o of only) if (!SECTIONS.includes(o)) return usageError('--only takes ' + SECTIONS.join(', ') + '; got ' + o);
  let width: number;
  try {
    width = Math.floor(num(a.values.jobs, '--jobs', 2, 1));
  } catch (e) {
    return usageError((e as Error).message);
  }
  const seeds = quick ? [1, 2] : [1, 2, 3, 4];
  const t0 = Date.now();
  const out: Record<string, unknown> = { quick };
  const lines: string[] = [];
  // Independent runs go to child processes, `width` at a time; the big run goes alone at the end so that its
  // wall time and peak memory are its own.
  const bcastJobs = only.includes('broadcast') ? broadcastCases(quick ? [20, 100] : [20, 100, 1000], seeds).map((c) => () => child(['bcast', JSON.stringify(c)]) as Promise<BcastRow>) : [];
  const crashN = quick ? 1000 : 10000;
  const crashJobs = only.includes('crash') ? [0.1, 0.5, 0.8, 0.9, 0.95].map((f) => () => child(['crash', String(crashN), String(f), '1']).then((r: CrashRow) => (log('crash ' + crashN + ' ' + f * 100 + '%: right after ' + fmt(r.rightAfter, 3) + ', after repair ' + fmt(r.afterRepair, 3) + ' (' + r.wallMs + ' ms)'), r))) : [];
  // The merge runs in chunks of seeds, so they share the pool with the rest.
  const mergeCases: [MergeCase, number, number][] = [];
  if (only.includes('overlay')) {
    for (const [kind, total] of [['storm', quick ? 200 : 1000], ['churn', quick ? 40 : 200]] as [MergeCase, number][]) {
      const chunk = total / 4;
      for (let k = 0; k < 4; k++) mergeCases.push([kind, 1 + k * chunk, chunk]);
    }
  }
  const mergeJobs = mergeCases.map((c) => () => child(['merge', c[0], String(c[1]), String(c[2])]) as Promise<MergeRuns>);
  const steps = crashJobs.length + bcastJobs.length + mergeJobs.length + (only.includes('sync') ? 1 : 0) + (only.includes('big') ? 1 : 0);
  const bar = progress('bench:sim', steps, { force: a.values.progress === true });
  const ticked = (j: () => Promise<unknown>, label: string) => () => j().then((r) => (bar.tick(label), r));
  const all = await pool<unknown>([...crashJobs.map((j) => ticked(j, 'crash')), ...bcastJobs.map((j) => ticked(j, 'broadcast')), ...mergeJobs.map((j) => ticked(j, 'overlay'))], width);
  const crashRows = all.slice(0, crashJobs.length) as CrashRow[];
  const bcastRows = all.slice(crashJobs.length, crashJobs.length + bcastJobs.length) as BcastRow[];
  const mergeParts = all.slice(crashJobs.length + bcastJobs.length) as MergeRuns[];
  if (only.includes('broadcast')) {
    const rows = bcastRows;
    out.broadcast = rows;
    lines.push('### Broadcast over HyParView (Plumtree, default knobs; ' + seeds.length + ' seeds unless noted)\n');
    lines.push(
      table(
        ['nodes', 'senders', 'seeds', 'rounds', 'messages', 'RMR mean', 'RMR max', 'LDH mean', 'LDH max', 'missed', 'delivery', 'bytes/node', 'payload B/node'],
        rows.map((r) => [r.nodes, r.senders, r.seeds, r.rounds, r.messages, fmt(r.rmr, 3), fmt(r.rmrMax, 2), fmt(r.ldh, 1), r.ldhMax, r.missed, fmt(r.delivery * 100, 2) + '%', Math.round(r.bytesPerNode), Math.round(r.payloadPerNode)]),
      ),
    );
  }
  if (only.includes('crash')) {
    const n = crashN;
    const rows = crashRows;
    out.crash = rows;
    lines.push('\n### Massive crash at ' + n + ' nodes (HyParView + Plumtree, seed 1)\n');
    lines.push(
      table(
        ['crash', 'survivors', 'delivery right after (3 msgs, no repair yet)', 'delivery 20 s later (3 msgs)', 'missed later', 'max components'],
        rows.map((r) => [r.crash * 100 + '%', r.survivors, fmt(r.rightAfter * 100, 1) + '%', fmt(r.afterRepair * 100, 1) + '%', r.missedAfterRepair, r.componentsMax]),
      ),
    );
  }
  if (only.includes('overlay')) {
    const rows: { what: string; runs: number; whole: number; split: number[] }[] = [];
    for (const kind of ['storm', 'churn'] as MergeCase[]) {
      const parts = mergeParts.filter((_r, k) => mergeCases[k][0] === kind);
      rows.push({ what: kind, runs: parts.reduce((n, r) => n + r.runs, 0), whole: parts.reduce((n, r) => n + r.whole, 0), split: parts.flatMap((r) => r.split.map((x) => x.seed)) });
    }
    out.overlay = rows;
    lines.push('\n### Overlay merging (tools/sim/overlay.ts: 9 nodes, active view 3, all through n0)\n');
    lines.push(
      table(
        ['case', 'seeds', 'one component at the end', 'share', 'split seeds'],
        rows.map((r) => [r.what === 'storm' ? 'join storm, all at once' : 'churn: 30% crash + restart per 10 s, 2 min', r.runs, r.whole, fmt((r.whole / r.runs) * 100, 1) + '%', r.split.slice(0, 10).join(' ')]),
      ),
    );
  }
  if (only.includes('sync')) {
    const rows = syncTable();
    bar.tick('sync');
    out.sync = rows;
    lines.push('\n### Bytes to converge: 15 nodes, 10 G-Set adds per node\n');
    lines.push(
      'Runtime rows: the simulator, fixed topology, updates at random nodes spread by anti-entropy alone (Plumtree off:' +
        ' plumtreeDeltas false), one sync per second, buffers large enough never to overflow; bytes of every anti-entropy' +
        ' frame with its envelope, ACKs included, from the first update to the last change. Model rows' +
        ' (tools/sim/syncmodel.ts): encoded deltas or states only, lossless synchronous rounds, one update per node per' +
        ' round for 10 rounds; its state-based sends the whole state to every neighbour every round, the runtime only' +
        ' the states of variables changed since the neighbour last acknowledged.\n',
    );
    const cells = (c: SyncCell | null) => (c === null ? ['', '', ''] : [Number.isFinite(c.bytes) ? c.bytes : 'did not converge', fmt(c.ratio, 2), c.time]);
    lines.push(
      table(
        ['topology', 'synchronisation', 'runtime, 150 updates over 10 s: bytes', '× op', 'converged after', 'runtime, 150 updates in 1 s: bytes', '× op', 'converged after', 'model: bytes', '× op', 'rounds'],
        rows.map((r) => [r.topology, r.what, ...cells(r.spread), ...cells(r.burst), ...cells(r.model)]),
      ),
    );
  }
  if (only.includes('big')) {
    const n = quick ? 2000 : 10000;
    log('big run: ' + n + ' nodes × 30 rounds (child process) …');
    const row = (await child(['big', String(n)])) as BigRow;
    bar.tick('big');
    out.big = row;
    lines.push('\n### ' + n + ' nodes × 30 rounds (single sender, 20 s warm-up), one child process\n');
    lines.push(
      table(
        ['nodes', 'wall s', 'CPU s', 'peak RSS MB', 'live heap B/node', 'events', 'events/s', 'RMR', 'LDH max', 'missed', 'est. bytes/node'],
        [[row.nodes, row.wallS, row.cpuS, row.peakRssMB, row.heapPerNode, row.events, row.eventsPerS, fmt(row.rmr, 3), row.ldh, row.missed, row.memPerNode]],
      ),
    );
  }
  bar.done();
  lines.push('\n(total bench time ' + Math.round((Date.now() - t0) / 1000) + ' s)');
  process.stdout.write(lines.join('\n') + '\n');
  if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
      process.exitCode = 2;
    },
  );
}
