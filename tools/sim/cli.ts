/**
 * `pollen sim <scenario.json>` (also `npm run sim -- <scenario.json>`): run a scenario, print a summary table, and
 * write the results JSON and SVG plots (divergence over time, overlay health, bytes per node by class) to a folder.
 *
 *   pollen sim tools/sim/scenarios/plumtree-100.json                 # table; files in out/sim/plumtree-100/
 *   pollen sim tools/sim/scenarios/crdt-lossy.json --seed 7 --out runs/lossy
 *   pollen sim tools/sim/scenarios/crdt-lossy.json --compact         # only the results JSON on stdout, one line
 *
 * Options: --seed N, --nodes N and --duration MS override the file's; --out DIR (default out/sim/<name>);
 * --json prints the results JSON instead of the table (--compact: on one line, and no files); --perf adds wall
 * time and peak memory (these differ between runs, so they stay out of the results unless asked for);
 * --progress draws the progress bar even when stderr is not a terminal. Exit status: 0 after a run, 2 for a
 * usage or scenario error, 1 when the files cannot be written.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSim, checkScenario, parseScenario, type ScenarioResult } from './scenario.ts';
import { parse, num } from '../cli/args.ts';
import { progress } from '../cli/progress.ts';
import { table, fmt, type Cell } from '../cli/table.ts';

const USAGE = `usage: pollen sim <scenario.json> [--seed N] [--nodes N] [--duration MS] [--out DIR] [--json | --compact] [--perf] [--progress]

Runs a simulator scenario (tools/sim/scenarios/ has examples), prints a summary table, and writes results.json
and plots (divergence.svg, overlay.svg, bytes.svg) to --out (default out/sim/<name>).
`;

/** Run a scenario in slices of simulated time, so a progress bar can follow it; the same result as runScenario. */
export function runWithProgress(text: string, over: Record<string, number>, force: boolean): ScenarioResult {
  const s = checkScenario({ ...parseScenario(text), ...over });
  const sim = buildSim(s);
  const bar = progress('sim ' + (s.name ?? ''), s.duration, { force });
  const slice = Math.max(1, s.duration / 100);
  for (let t = slice; t < s.duration; t += slice) {
    sim.run(t);
    bar.set(t, Math.round(t / 1000) + ' s simulated');
  }
  sim.run(s.duration);
  bar.done();
  return { name: s.name ?? 'scenario', ...sim.result() };
}

/** The summary table's rows: one line per measure. */
export function summaryRows(r: ScenarioResult): Cell[][] {
  const rows: Cell[][] = [
    ['nodes', r.nodes],
    ['seed', r.seed],
    ['simulated time', fmt(r.time / 1000, 1) + ' s'],
    ['events', r.events],
  ];
  for (const [label, b] of Object.entries(r.broadcast)) {
    rows.push(['broadcast ' + label + ': messages', b.messages]);
    rows.push(['broadcast ' + label + ': delivery', fmt(b.deliveryRatio * 100, 2) + '%']);
    rows.push(['broadcast ' + label + ': RMR mean / max', fmt(b.rmr.mean, 3) + ' / ' + fmt(b.rmr.max, 2)]);
    rows.push(['broadcast ' + label + ': LDH mean / max', fmt(b.ldh.mean, 1) + ' / ' + b.ldh.max]);
  }
  if (r.crdt) {
    rows.push(['CRDT updates', r.crdt.updates]);
    rows.push(['converged', r.crdt.converged ? 'yes' : 'NO (' + r.crdt.distinct + ' distinct states)']);
    rows.push(['convergence time', r.crdt.convergenceTime === null ? '–' : fmt(r.crdt.convergenceTime / 1000, 2) + ' s']);
    rows.push(['bytes to converge', r.crdt.bytesToConverge.total]);
  }
  const b = r.bytes.perNode;
  rows.push(['bytes per node (control / payload / delta / state)', [b.control, b.payload, b.delta, b.state].map((x) => Math.round(x)).join(' / ')]);
  rows.push(['overhead (control ÷ payload bytes)', fmt(r.bytes.overhead, 2)]);
  const o = r.overlay.final;
  rows.push(['overlay at the end: alive / isolated / components', o.alive + ' / ' + o.isolated + ' / ' + o.components]);
  rows.push(['memory per node (estimate)', r.memory.bytesPerNode + ' B']);
  return rows;
}

/** results.json and the plots of one run. */
export async function writeRun(dir: string, r: ScenarioResult): Promise<string[]> {
  const { writeSvg, lines, stacked } = await import('../report/plots.ts');
  mkdirSync(dir, { recursive: true });
  const files = ['results.json'];
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  const s = r.series;
  if (s.divergence.length) {
    const rows = s.t.map((t, k) => ({ t: t / 1000, divergence: s.divergence[k], run: r.name }));
    await writeSvg(path.join(dir, 'divergence.svg'), lines('Divergence over time: ' + r.name, rows, 't', 'divergence', 'run', 'simulated time (s)', 'share of live replicas off the final state'));
    files.push('divergence.svg');
  }
  const health: { t: number; count: number; measure: string }[] = [];
  s.t.forEach((t, k) => {
    for (const m of ['alive', 'isolated', 'asymmetric', 'components'] as const) health.push({ t: t / 1000, count: s[m][k], measure: m });
  });
  await writeSvg(path.join(dir, 'overlay.svg'), lines('Overlay health: ' + r.name, health, 't', 'count', 'measure', 'simulated time (s)', 'nodes / links / components', { logY: true }));
  files.push('overlay.svg');
  const b = r.bytes.perNode;
  const bytes = (['control', 'payload', 'delta', 'state'] as const).map((c) => ({ run: r.name, bytes: b[c], class: c }));
  await writeSvg(path.join(dir, 'bytes.svg'), stacked('Bytes sent per node, by class: ' + r.name, bytes, 'run', 'bytes', 'class', 'bytes per node'));
  files.push('bytes.svg');
  return files;
}

export async function main(argv: string[]): Promise<number> {
  const a = parse(
    argv,
    {
      seed: { type: 'string' },
      nodes: { type: 'string' },
      duration: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      compact: { type: 'boolean' },
      perf: { type: 'boolean' },
      progress: { type: 'boolean' },
    },
    USAGE,
  );
  if (typeof a === 'number') return a;
  const v = a.values;
  const file = a.positionals[0];
  if (file === undefined || a.positionals.length > 1) {
    process.stderr.write((file === undefined ? 'give one scenario file\n\n' : 'unexpected argument ' + a.positionals[1] + '\n\n') + USAGE);
    return 2;
  }
  const over: Record<string, number> = {};
  let result: ScenarioResult;
  const t0 = process.hrtime.bigint();
  try {
    for (const k of ['seed', 'nodes', 'duration']) if (v[k] !== undefined) over[k] = num(v[k], '--' + k, undefined, 0);
    result = runWithProgress(readFileSync(file, 'utf8'), over, v.progress === true);
  } catch (e) {
    process.stderr.write(file + ': ' + (e instanceof Error ? e.message : String(e)) + '\n');
    return 2;
  }
  if (v.perf) {
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    // maxRSS (kB) is the process's peak resident set, so it catches the peak of a synchronous run.
    (result as unknown as Record<string, unknown>).perf = { wallMs: Math.round(wallMs), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  }
  if (v.compact) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  }
  const dir = typeof v.out === 'string' ? v.out : path.join('out', 'sim', result.name.replace(/[^\w.-]+/g, '-'));
  let files: string[];
  try {
    files = await writeRun(dir, result);
  } catch (e) {
    process.stderr.write('pollen sim: cannot write ' + dir + ': ' + (e as Error).message + '\n');
    return 1;
  }
  if (v.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write('### ' + result.name + '\n\n' + table(['measure', 'value'], summaryRows(result)) + '\n\nwrote ' + files.map((f) => path.join(dir, f)).join(', ') + '\n');
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
