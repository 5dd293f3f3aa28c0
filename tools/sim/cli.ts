/**
 * `pollen sim <scenario.json>` (also `npm run sim -- <scenario.json>`): run a scenario and print its results as
 * JSON on stdout.
 *
 *   npm run sim -- tools/sim/scenarios/plumtree-100.json
 *   npm run sim -- tools/sim/scenarios/crdt-lossy.json --seed 7 --compact
 *
 * Options: --seed N and --nodes N override the file's; --duration MS likewise; --compact prints one line;
 * --perf adds wall time and peak memory (these differ between runs, so they are kept out of the results
 * unless asked for). Exit status: 0 after a run, 2 for a usage or scenario error.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseScenario, runScenario } from './scenario.ts';

const USAGE = 'usage: pollen sim <scenario.json> [--seed N] [--nodes N] [--duration MS] [--compact] [--perf]\n';

export async function main(argv: string[]): Promise<number> {
  let file: string | undefined;
  const over: Record<string, number> = {};
  let compact = false;
  let perf = false;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--compact') compact = true;
    else if (a === '--perf') perf = true;
    else if (a === '--seed' || a === '--nodes' || a === '--duration') {
      const v = Number(argv[++k]);
      if (!Number.isFinite(v)) {
        process.stderr.write(a + ' needs a number\n' + USAGE);
        return 2;
      }
      over[a.slice(2)] = v;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a.startsWith('-') || file !== undefined) {
      process.stderr.write('unexpected argument ' + a + '\n' + USAGE);
      return 2;
    } else file = a;
  }
  if (file === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  let result: unknown;
  const t0 = process.hrtime.bigint();
  try {
    const s = parseScenario(readFileSync(file, 'utf8'));
    Object.assign(s, over);
    result = runScenario(s);
  } catch (e) {
    process.stderr.write(file + ': ' + (e instanceof Error ? e.message : String(e)) + '\n');
    return 2;
  }
  if (perf) {
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    // maxRSS (kB) is the process's peak resident set, so it catches the peak of a synchronous run.
    (result as Record<string, unknown>).perf = { wallMs: Math.round(wallMs), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  }
  process.stdout.write(JSON.stringify(result, null, compact ? undefined : 2) + '\n');
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
