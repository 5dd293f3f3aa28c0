/**
 * `npm run bench:sim`: the simulator's figures for the runtime (issue 3). Prints markdown tables; figures, not
 * pass/fail (the scenario tests in tests/sim/ hold the thresholds).
 *
 *   npm run bench:sim                    # everything (10,000-node runs included: many minutes on 2 cores)
 *   npm run bench:sim -- --quick         # smaller: 2 seeds, crash table at 1,000 nodes, 2,000-node big run
 *   npm run bench:sim -- --only sync,big # some sections: broadcast, crash, sync, big
 *   npm run bench:sim -- --json          # the results as JSON after the tables
 *   npm run bench:sim -- --jobs 1        # child processes at once (default 2, for a 2-core machine)
 *
 * Sections:
 * - broadcast: RMR, LDH, missed and bytes per node at 20, 100, 1,000 nodes over HyParView, for one sender, a
 *   random sender per round and every node sending once per round (spread over the round), 4 seeds, default
 *   knobs. 30 rounds of 1 s after a 20 s warm-up; 'all' runs fewer rounds (N messages per round), with the
 *   default Plumtree bounds and with caches sized for the rate; at 1,000 nodes one 10 s round, large caches.
 * - crash: N nodes, then X% crash at once; delivery of 3 broadcasts right after the crash (before any repair)
 *   and of 3 broadcasts 20 s later (after repair), each level on a fresh overlay.
 * - sync: bytes to converge on a 15-node tree and a 15-node partial mesh, state-based vs plain delta vs delta+BP+RR
 *   (the round model of tools/sim/syncmodel.ts on the real lattices and codec), next to the op-based lower
 *   bound, and what the runtime itself sends (simulator, fixed topology, Plumtree plus anti-entropy).
 * - big: wall time and peak memory of a 10,000-node × 30-round single-sender run, in a child process so its
 *   peak resident memory is its own.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runScenario, type Scenario, type ScenarioResult } from '../sim/scenario.ts';
import { mesh, opBound, syncModel, tree, type SyncAlgo } from '../sim/syncmodel.ts';

const WARM = 20000;

function fmt(x: number, d = 2): string {
  return Number.isFinite(x) ? x.toFixed(d) : '–';
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (r: (string | number)[]) => '| ' + r.join(' | ') + ' |';
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

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

interface SyncRow {
  topology: string;
  what: string;
  bytes: number;
  ratio: number;
}

function syncTable(): SyncRow[] {
  const rows: SyncRow[] = [];
  const updates = 10;
  for (const [name, adj] of [['tree', tree(15)], ['mesh', mesh(15)]] as const) {
    const base = { adj, spec: 'gset' as const, updates };
    const op = opBound(base);
    rows.push({ topology: name, what: 'op-based lower bound (model)', bytes: op, ratio: 1 });
    const algos: [SyncAlgo, string][] = [
      ['state', 'state-based (model)'],
      ['delta', 'plain delta (model)'],
      ['delta-bp', 'delta + BP (model)'],
      ['delta-rr', 'delta + RR (model)'],
      ['delta-bp-rr', 'delta + BP + RR (model)'],
    ];
    for (const [algo, what] of algos) {
      const r = syncModel({ ...base, algo });
      rows.push({ topology: name, what, bytes: r.bytes, ratio: r.bytes / op });
    }
    // The runtime on the same topology: 15 × 10 G-Set adds (one per node and 100 ms "round"), Plumtree and
    // anti-entropy layers only (membership heartbeats left out), envelopes included.
    const r = runScenario({
      name: 'sync-' + name,
      seed: 1,
      nodes: 15,
      membership: 'full',
      topology: name,
      duration: 60000,
      workload: [{ kind: 'crdt', label: 'c', start: 15000, updates: 15 * updates, every: 100 / 15, vars: [{ id: 's', type: 'gset', mutator: 'add', args: ['e$node.$k'] }] }],
    });
    const c = r.crdt;
    const bytes = c && c.converged ? c.bytesToConverge.plumtree + c.bytesToConverge.antientropy : NaN;
    rows.push({ topology: name, what: 'runtime: Plumtree + delta AE (BP+RR), frames with envelopes', bytes, ratio: bytes / op });
    // The op-based bound in the runtime's own frames: each update in one GOSSIP frame (of the run's mean size)
    // to each other node exactly once. The ratio column stays against the data-only bound above.
    const opFrames = r.frames.payload > 0 ? Math.round((r.bytes.total.payload / r.frames.payload) * 14 * 15 * updates) : NaN;
    rows.push({ topology: name, what: '  op-based bound in runtime frames (one GOSSIP per update and receiver); runtime ÷ it = ' + fmt(bytes / opFrames, 2), bytes: opFrames, ratio: opFrames / op });
    const ae = c && c.converged ? c.bytesToConverge.antientropy : NaN;
    rows.push({ topology: name, what: '  of which anti-entropy (DELTA, ACK, DIGEST, STATE)', bytes: ae, ratio: ae / op });
  }
  return rows;
}

// ---- big --------------------------------------------------------------------------------------------------

interface BigRow {
  nodes: number;
  rounds: number;
  wallS: number;
  peakRssMB: number;
  events: number;
  eventsPerS: number;
  rmr: number;
  ldh: number;
  missed: number;
  memPerNode: number;
}

function bigRun(nodes: number): BigRow {
  const t0 = Date.now();
  const r = runScenario({
    name: 'big',
    seed: 1,
    nodes,
    duration: WARM + 30 * 1000 + 2000,
    sample: 10000,
    join: { spread: 1 },
    workload: [{ kind: 'broadcast', label: 'w', start: WARM, rounds: 30, every: 1000, senders: 'single' }],
  });
  const wall = (Date.now() - t0) / 1000;
  const w = r.broadcast.w;
  return {
    nodes,
    rounds: 30,
    wallS: Math.round(wall * 10) / 10,
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
    const p = spawn(process.execPath, ['--import', 'tsx', self, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--child') {
    const job = argv[1];
    let r: unknown;
    if (job === 'big') r = bigRun(Number(argv[2]));
    else if (job === 'crash') r = crashLevel(Number(argv[2]), Number(argv[3]), Number(argv[4]));
    else if (job === 'bcast') r = broadcastRow(JSON.parse(argv[2]) as BcastCase);
    else throw new Error('unknown child job ' + job);
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const k = argv.indexOf('--only');
  const only = k >= 0 ? (argv[k + 1] ?? '').split(',') : ['broadcast', 'crash', 'sync', 'big'];
  const j = argv.indexOf('--jobs');
  const width = j >= 0 ? Math.max(1, Number(argv[j + 1]) || 1) : 2;
  const seeds = quick ? [1, 2] : [1, 2, 3, 4];
  const t0 = Date.now();
  const out: Record<string, unknown> = { quick };
  const lines: string[] = [];
  // Independent runs go to child processes, `width` at a time; the big run goes alone at the end so that its
  // wall time and peak memory are its own.
  const bcastJobs = only.includes('broadcast') ? broadcastCases(quick ? [20, 100] : [20, 100, 1000], seeds).map((c) => () => child(['bcast', JSON.stringify(c)]) as Promise<BcastRow>) : [];
  const crashN = quick ? 1000 : 10000;
  const crashJobs = only.includes('crash') ? [0.1, 0.5, 0.8, 0.9, 0.95].map((f) => () => child(['crash', String(crashN), String(f), '1']).then((r: CrashRow) => (log('crash ' + crashN + ' ' + f * 100 + '%: right after ' + fmt(r.rightAfter, 3) + ', after repair ' + fmt(r.afterRepair, 3) + ' (' + r.wallMs + ' ms)'), r))) : [];
  const all = await pool<unknown>([...crashJobs, ...bcastJobs], width);
  const crashRows = all.slice(0, crashJobs.length) as CrashRow[];
  const bcastRows = all.slice(crashJobs.length) as BcastRow[];
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
  if (only.includes('sync')) {
    const rows = syncTable();
    out.sync = rows;
    lines.push('\n### Bytes to converge: 15 nodes, 10 G-Set adds per node\n');
    lines.push(table(['topology', 'synchronisation', 'bytes', '× op-based'], rows.map((r) => [r.topology, r.what, Number.isFinite(r.bytes) ? r.bytes : 'did not converge', fmt(r.ratio, 2)])));
  }
  if (only.includes('big')) {
    const n = quick ? 2000 : 10000;
    log('big run: ' + n + ' nodes × 30 rounds (child process) …');
    const row = (await child(['big', String(n)])) as BigRow;
    out.big = row;
    lines.push('\n### ' + n + ' nodes × 30 rounds (single sender, 20 s warm-up), one child process\n');
    lines.push(
      table(
        ['nodes', 'wall s', 'peak RSS MB', 'events', 'events/s', 'RMR', 'LDH max', 'missed', 'est. bytes/node'],
        [[row.nodes, row.wallS, row.peakRssMB, row.events, row.eventsPerS, fmt(row.rmr, 3), row.ldh, row.missed, row.memPerNode]],
      ),
    );
  }
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
