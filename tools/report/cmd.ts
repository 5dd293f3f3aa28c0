/**
 * `pollen report` (also `npm run report`): the fixed matrix of scenarios (matrix.ts), run two at a time in child
 * processes, written as SVG plots and a Markdown summary, so that a change to the protocol is reviewed by its
 * plots. With `--baseline DIR` (an earlier report's folder) it prints, and writes into the summary, the change of
 * every figure against that report.
 *
 *   pollen report                               # out/report/: summary.md, results.json, *.svg
 *   pollen report --out /tmp/r2 --baseline out/report
 *   pollen report --sizes 10 --losses 0 --memberships hyparview --sync-nodes 8   # a tiny matrix
 *
 * Plots: divergence over time (per mode), state transmission (bytes to converge per mode, membership and loss),
 * overhead (control against payload, delta and state bytes per node), memory per node by size, RMR and LDH by
 * size. Exit status: 0 when written, 1 when a run failed, 2 for a usage error.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guard, list, num, oneOf, parse, UsageError } from '../cli/args.ts';
import { progress } from '../cli/progress.ts';
import { packed } from '../cli/packed.ts';
import { fmt, table, type Cell } from '../cli/table.ts';
import { FULL_MATRIX, MODES, cases, type Case, type Matrix, type Membership, type RunSummary } from './matrix.ts';
import { bars, lines, stacked, writeSvg, type Row } from './plots.ts';

const USAGE = `usage: pollen report [--out DIR] [--baseline DIR] [--jobs N] [--progress]
                     [--sizes N,..] [--losses P,..] [--memberships M,..] [--modes M,..] [--sync-nodes N]

Runs the scenario matrix (membership managers × dissemination modes × loss rates, and broadcast at sizes up to
1,000 nodes) and writes summary.md, results.json and SVG plots to --out (default out/report). --baseline DIR
compares with an earlier report. The other options shrink the matrix (tests, quick looks).
`;

/** The worker's script: job.ts run by tsx in a checkout, dist/report-job.js in an installed package. */
const job = () => packed(import.meta.url, './job.ts', 'report-job.js');

/** A worker process (job.ts): cases go in on stdin, summaries come back in order on stdout. */
class Worker {
  private j = job();
  private p = spawn(process.execPath, this.j.ts ? ['--import', 'tsx', this.j.path] : [this.j.path], { stdio: ['pipe', 'pipe', 'pipe'] });
  private buf = '';
  private err = '';
  private waiting: { resolve: (r: RunSummary) => void; reject: (e: Error) => void; id: string } | undefined;
  constructor() {
    this.p.stdout.setEncoding('utf8');
    this.p.stdout.on('data', (d: string) => {
      this.buf += d;
      let k;
      while ((k = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, k);
        this.buf = this.buf.slice(k + 1);
        const w = this.waiting;
        this.waiting = undefined;
        w?.resolve(JSON.parse(line));
      }
    });
    this.p.stderr.on('data', (d) => (this.err = (this.err + d).slice(-4000)));
    this.p.on('close', (code) => this.waiting?.reject(new Error('run "' + this.waiting.id + '" failed: the worker exited ' + code + ': ' + this.err.trim())));
  }
  run(c: Case): Promise<RunSummary> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, id: c.id };
      this.p.stdin.write(JSON.stringify(c) + '\n');
    });
  }
  close(): void {
    this.p.stdin.end();
  }
}

/** Run the cases on `width` workers, the longest first (so the last to finish is a short one); results in order. */
async function runAll(cs: Case[], width: number, done: (c: Case) => void): Promise<RunSummary[]> {
  const out: RunSummary[] = new Array(cs.length);
  const order = cs.map((_c, k) => k).sort((x, y) => cs[y].nodes - cs[x].nodes);
  let next = 0;
  const workers = Array.from({ length: Math.min(width, cs.length) }, () => new Worker());
  try {
    await Promise.all(
      workers.map(async (w) => {
        while (next < order.length) {
          const k = order[next++];
          out[k] = await w.run(cs[k]);
          done(cs[k]);
        }
      }),
    );
  } finally {
    for (const w of workers) w.close();
  }
  return out;
}

const pretty = (b: number) => (b >= 1e6 ? fmt(b / 1e6, 2) + ' MB' : b >= 1e3 ? fmt(b / 1e3, 1) + ' kB' : Math.round(b) + ' B');

/** Write the plots; returns their file names. */
async function plots(dir: string, runs: RunSummary[]): Promise<string[]> {
  const files: string[] = [];
  const sync = runs.filter((r) => r.family === 'sync');
  const size = runs.filter((r) => r.family === 'size');
  const worstLoss = Math.max(...sync.map((r) => r.loss), 0);
  if (sync.length) {
    // Divergence over time: the default membership (the first given) at the worst loss, one line per mode.
    const m0 = sync[0].membership;
    const rows: Row[] = [];
    for (const r of sync.filter((x) => x.membership === m0 && x.loss === worstLoss && x.divergence)) {
      // From just before the first update (10 s): before it every replica is off the final state, trivially.
      r.divergence!.t.forEach((t, k) => t >= 9 && rows.push({ t, divergence: r.divergence!.d[k], mode: r.mode ?? '' }));
    }
    await writeSvg(join(dir, 'divergence.svg'), lines('Divergence over time (' + m0 + ', ' + sync[0].nodes + ' nodes, loss ' + worstLoss + ')', rows, 't', 'divergence', 'mode', 'simulated time (s)', 'share of replicas off the final state'));
    files.push('divergence.svg');
    const tx: Row[] = sync.map((r) => ({ run: r.membership + ', loss ' + r.loss, bytes: r.converged ? (r.bytesToConverge ?? 0) : null, mode: r.mode ?? '' }));
    await writeSvg(join(dir, 'transmission.svg'), bars('State transmission: bytes to converge (all nodes)', tx, 'run', 'bytes', 'mode', 'bytes (log scale)', { logY: true }));
    files.push('transmission.svg');
    const ov: Row[] = [];
    for (const r of sync.filter((x) => x.loss === worstLoss)) {
      const run = r.membership + ' ' + r.mode;
      ov.push({ run, bytes: r.bytesPerNode.control, class: 'control' });
      ov.push({ run, bytes: r.bytesPerNode.payload + r.bytesPerNode.delta + r.bytesPerNode.state, class: 'payload, delta, state' });
    }
    await writeSvg(join(dir, 'overhead.svg'), stacked('Overhead: control against data bytes per node (loss ' + worstLoss + ')', ov, 'run', 'bytes', 'class', 'bytes per node'));
    files.push('overhead.svg');
  }
  if (size.length) {
    const rows = (k: 'rmr' | 'ldh' | 'memoryPerNode') => size.map((r) => ({ nodes: r.nodes, value: (r[k] as number) ?? null, membership: r.membership }));
    await writeSvg(join(dir, 'memory.svg'), lines('Memory per node (estimate) by size', rows('memoryPerNode'), 'nodes', 'value', 'membership', 'nodes', 'bytes per node', { points: true }));
    await writeSvg(join(dir, 'rmr.svg'), lines('Relative message redundancy (RMR) by size', rows('rmr'), 'nodes', 'value', 'membership', 'nodes', 'RMR (mean)', { points: true }));
    await writeSvg(join(dir, 'ldh.svg'), lines('Last delivery hop (LDH) by size', rows('ldh'), 'nodes', 'value', 'membership', 'nodes', 'LDH (mean)', { points: true }));
    files.push('memory.svg', 'rmr.svg', 'ldh.svg');
  }
  return files;
}

/** The figures compared against a baseline, per run. */
function figures(r: RunSummary): { [k: string]: number | null | undefined } {
  return r.family === 'sync'
    ? { 'bytes to converge': r.converged ? r.bytesToConverge : null, 'convergence s': r.convergenceS, 'bytes/node': r.bytesPerNode.total, 'memory/node': r.memoryPerNode }
    : { RMR: r.rmr, LDH: r.ldh, delivery: r.delivery, 'bytes/node': r.bytesPerNode.total, 'memory/node': r.memoryPerNode };
}

function compare(runs: RunSummary[], base: RunSummary[]): { rows: Cell[][]; changed: number } {
  const rows: Cell[][] = [];
  let changed = 0;
  for (const r of runs) {
    const b = base.find((x) => x.id === r.id);
    if (!b) {
      rows.push([r.id, '(new run)', '', '', '']);
      continue;
    }
    const now = figures(r);
    const then = figures(b);
    for (const k of Object.keys(now)) {
      const x = now[k];
      const y = then[k];
      if (x === y || (x == null && y == null)) continue;
      changed++;
      const pct = typeof x === 'number' && typeof y === 'number' && y !== 0 ? ((x - y) / Math.abs(y)) * 100 : NaN;
      rows.push([r.id, k, y == null ? '–' : fmt(y, 3), x == null ? '–' : fmt(x, 3), Number.isFinite(pct) ? (pct > 0 ? '+' : '') + fmt(pct, 1) + '%' : '–']);
    }
  }
  return { rows, changed };
}

function markdown(runs: RunSummary[], files: string[], wallS: number, cmp?: { rows: Cell[][]; changed: number; from: string }): string {
  const sync = runs.filter((r) => r.family === 'sync');
  const size = runs.filter((r) => r.family === 'size');
  const out: string[] = ['# Pollen report', '', 'Every run is seeded (seed 1): the same code gives the same figures. ' + runs.length + ' runs in ' + fmt(wallS, 0) + ' s.', ''];
  if (cmp) {
    out.push('## Change against ' + cmp.from, '', cmp.changed === 0 ? 'No figure changed.' : table(['run', 'figure', 'before', 'now', 'change'], cmp.rows), '');
  }
  if (sync.length) {
    out.push('## Convergence (' + sync[0].nodes + ' nodes, 60 updates of an OR-Set and a PN-Counter)', '');
    out.push(
      table(
        ['membership', 'mode', 'loss', 'converged', 'time', 'bytes to converge', 'control/node', 'payload/node', 'delta/node', 'state/node', 'memory/node'],
        sync.map((r) => [r.membership, r.mode ?? '', r.loss, r.converged ? 'yes' : 'NO', r.convergenceS == null ? '–' : fmt(r.convergenceS, 2) + ' s', r.converged ? pretty(r.bytesToConverge ?? 0) : '–', Math.round(r.bytesPerNode.control), Math.round(r.bytesPerNode.payload), Math.round(r.bytesPerNode.delta), Math.round(r.bytesPerNode.state), r.memoryPerNode]),
      ),
      '',
    );
  }
  if (size.length) {
    out.push('## Broadcast by size (10 rounds, a random sender each, no loss)', '');
    out.push(table(['membership', 'nodes', 'RMR', 'LDH mean', 'LDH max', 'delivery', 'bytes/node', 'memory/node'], size.map((r) => [r.membership, r.nodes, fmt(r.rmr ?? NaN, 3), fmt(r.ldh ?? NaN, 1), r.ldhMax, fmt((r.delivery ?? NaN) * 100, 2) + '%', Math.round(r.bytesPerNode.total), r.memoryPerNode])), '');
  }
  out.push('## Plots', '', ...files.map((f) => '![' + f + '](' + f + ')'), '');
  return out.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const a = parse(
    argv,
    {
      out: { type: 'string' },
      baseline: { type: 'string' },
      jobs: { type: 'string' },
      progress: { type: 'boolean' },
      sizes: { type: 'string' },
      losses: { type: 'string' },
      memberships: { type: 'string' },
      modes: { type: 'string' },
      'sync-nodes': { type: 'string' },
    },
    USAGE,
    false,
  );
  if (typeof a === 'number') return a;
  return guard('report', USAGE, async () => {
    const v = a.values;
    const m: Matrix = { ...FULL_MATRIX };
    if (v.sizes !== undefined) m.sizes = list(v.sizes).map((s) => num(s, '--sizes', undefined, 2));
    if (v.losses !== undefined) m.losses = list(v.losses).map((s) => num(s, '--losses', undefined, 0));
    if (v.memberships !== undefined) m.memberships = list(v.memberships).map((s) => oneOf(s, '--memberships', ['hyparview', 'full', 'client-server'] as Membership[], 'hyparview'));
    if (v.modes !== undefined) m.modes = list(v.modes).map((s) => oneOf(s, '--modes', Object.keys(MODES), 'delta+BP+RR'));
    if (v['sync-nodes'] !== undefined) m.syncNodes = num(v['sync-nodes'], '--sync-nodes', undefined, 3);
    const jobs = num(v.jobs, '--jobs', 2, 1);
    const dir = (v.out as string | undefined) ?? join('out', 'report');
    let base: RunSummary[] | undefined;
    if (v.baseline !== undefined) {
      const f = join(v.baseline as string, 'results.json');
      if (!existsSync(f)) throw new UsageError('--baseline ' + v.baseline + ' holds no results.json (give the folder of an earlier report)');
      base = JSON.parse(readFileSync(f, 'utf8')).runs as RunSummary[];
    }
    const cs = cases(m);
    const t0 = Date.now();
    const bar = progress('report', cs.length, { force: v.progress === true });
    const runs = await runAll(cs, jobs, (c) => bar.tick(c.id));
    bar.done();
    const wallS = (Date.now() - t0) / 1000;
    mkdirSync(dir, { recursive: true });
    const files = await plots(dir, runs);
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ matrix: m, wallS, runs }, null, 1) + '\n');
    const cmp = base ? { ...compare(runs, base), from: v.baseline as string } : undefined;
    writeFileSync(join(dir, 'summary.md'), markdown(runs, files, wallS, cmp));
    if (cmp) process.stdout.write(cmp.changed === 0 ? 'No figure changed against ' + cmp.from + '.\n' : '## Change against ' + cmp.from + '\n\n' + table(['run', 'figure', 'before', 'now', 'change'], cmp.rows) + '\n\n');
    process.stdout.write(runs.length + ' runs in ' + fmt(wallS, 1) + ' s; wrote ' + join(dir, 'summary.md') + ', results.json and ' + files.join(', ') + '\n');
    return 0;
  });
}
