/**
 * `npm run fuzz`: the project's own fuzzers (issue 12). Every target gets the same number of inputs from one
 * seed, and the report says, per target: inputs, accepted, rejects by reason, crashes and findings (with the
 * input's bytes to make a regression test of), slow inputs (over 50 ms of CPU in a target's run, the work a node
 * does with the input; checks of the result are not timed), the worst CPU time of one input and its size, and
 * peak memory. Exits 1 when anything crashed, broke an invariant or was slow.
 *
 *   npm run fuzz                                   # 20,000 inputs per target, seed 1
 *   npm run fuzz -- --inputs 1000000 --seed 7      # the long run
 *   npm run fuzz -- --targets node,type:orset      # targets whose name contains one of these
 *   npm run fuzz -- --tcp 20000                    # plus the live TCP node, with this many frames
 *   npm run fuzz -- --json report.json             # the reports as JSON too
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fuzz, type Report } from './engine.ts';
import { allTargets } from './targets.ts';
import { fuzzTcp, type TcpReport } from './tcp.ts';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    targets: { type: 'string' },
    tcp: { type: 'string' },
    json: { type: 'string' },
  },
});

function num(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!(n >= 0) || Math.floor(n) !== n) {
    console.error('fuzz: --' + name + ' must be a non-negative integer, got ' + String(v));
    process.exit(2);
  }
  return n;
}

const inputs = num('inputs', values.inputs);
const seed = num('seed', values.seed);
const wanted = values.targets ? values.targets.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : [];
const targets = allTargets(seed).filter((t) => wanted.length === 0 || wanted.some((w) => t.name.indexOf(w) >= 0));

function line(r: Report): string {
  const rej = Object.keys(r.rejects).sort((a, b) => r.rejects[b] - r.rejects[a]).slice(0, 4).map((k) => k + ' ' + r.rejects[k]).join(', ');
  return r.target.padEnd(28) + String(r.inputs).padStart(9) + String(r.accepted).padStart(9) + String(r.crashes).padStart(7) +
    String(r.findings).padStart(9) + String(r.slow).padStart(6) + (r.worstMs.toFixed(1) + ' ms/' + r.worstSize + ' B').padStart(18) +
    (r.peakHeapMB + ' MB').padStart(10) + String(r.seconds + ' s').padStart(9) + '   ' + rej;
}

async function main(): Promise<void> {
  console.log('fuzz: seed ' + seed + ', ' + inputs + ' inputs per target, ' + targets.length + ' targets');
  console.log('target'.padEnd(28) + 'inputs'.padStart(9) + 'accepted'.padStart(9) + 'crash'.padStart(7) + 'finding'.padStart(9) +
    'slow'.padStart(6) + 'worst CPU/input'.padStart(18) + 'peak heap'.padStart(10) + 'time'.padStart(9) + '   top rejects');
  const reports: (Report | TcpReport)[] = [];
  let bad = 0;
  for (const t of targets) {
    const r = fuzz(t, inputs, seed);
    reports.push(r);
    console.log(line(r));
    for (const s of r.samples) console.log('    ' + s.kind + ' (' + s.ms.toFixed(1) + ' ms, ' + s.size + ' B): ' + s.message + '\n      input ' + s.hex.slice(0, 400));
    bad += r.crashes + r.findings + r.slow;
  }
  if (values.tcp !== undefined) {
    const r = await fuzzTcp(num('tcp', values.tcp), seed);
    reports.push(r);
    console.log('tcp:live ' + JSON.stringify(r));
    bad += r.crashes + (r.converged ? 0 : 1);
  }
  const worst = reports.reduce((m, r) => Math.max(m, (r as Report).worstMs || 0), 0);
  console.log('worst CPU time of one input (all ≤ 64 KB): ' + worst.toFixed(1) + ' ms');
  if (values.json) writeFileSync(values.json, JSON.stringify(reports, null, 1));
  process.exit(bad > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
