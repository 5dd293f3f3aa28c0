/**
 * `pollen report` for real on a tiny matrix (one membership, two modes, one loss rate, two sizes): the Markdown
 * summary with its tables, results.json, every SVG plot, and `--baseline` against the first report (the same seed
 * and code: no figure changed) and against a doctored one (the change is printed).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cliproc.ts';

const TINY = ['--sizes', '8,16', '--losses', '0.1', '--memberships', 'hyparview', '--modes', 'state,delta+BP+RR', '--sync-nodes', '6'];

test('pollen report: summary, results and plots of a tiny matrix; --baseline prints the change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-report-'));
  try {
    const one = join(dir, 'one');
    const r = await runCli(['report', ...TINY, '--out', one], 180_000);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^4 runs in [\d.]+ s; wrote /m);
    const md = readFileSync(join(one, 'summary.md'), 'utf8');
    assert.match(md, /^\| hyparview\s+\| state\s+\|\s+0\.1 \| yes /m);
    assert.match(md, /^\| hyparview\s+\| delta\+BP\+RR\s+\|\s+0\.1 \| yes /m);
    assert.match(md, /^\| hyparview\s+\|\s+16 \|/m);
    for (const f of ['divergence.svg', 'transmission.svg', 'overhead.svg', 'memory.svg', 'rmr.svg', 'ldh.svg']) {
      assert.match(readFileSync(join(one, f), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, f);
      assert.match(md, new RegExp('!\\[' + f.replace('.', '\\.') + '\\]'));
    }
    const res = JSON.parse(readFileSync(join(one, 'results.json'), 'utf8'));
    assert.is(res.runs.length, 4);
    // Delta with BP+RR must send fewer bytes to converge than whole states: the plot is about that.
    const state = res.runs.find((x: any) => x.mode === 'state');
    const bprr = res.runs.find((x: any) => x.mode === 'delta+BP+RR');
    assert.ok(bprr.bytesToConverge < state.bytesToConverge, JSON.stringify([state.bytesToConverge, bprr.bytesToConverge]));

    // Against itself: the runs are seeded, nothing changes.
    const two = join(dir, 'two');
    const same = await runCli(['report', ...TINY, '--out', two, '--baseline', one], 180_000);
    assert.is(same.code, 0, same.err);
    assert.match(same.out, /No figure changed against /);
    // Against a baseline whose RMR was different: the change is printed with its percentage.
    const doctored = JSON.parse(readFileSync(join(one, 'results.json'), 'utf8'));
    const size16 = doctored.runs.find((x: any) => x.id === 'size hyparview 16');
    size16.rmr = size16.rmr * 2 + 1;
    writeFileSync(join(one, 'results.json'), JSON.stringify(doctored));
    const diff = await runCli(['report', ...TINY, '--out', two, '--baseline', one], 180_000);
    assert.is(diff.code, 0, diff.err);
    assert.match(diff.out, /^\| size hyparview 16 \| RMR\s+\|\s+[\d.]+ \|\s+[\d.]+ \|\s+-[\d.]+% \|$/m);
    assert.match(readFileSync(join(two, 'summary.md'), 'utf8'), /## Change against /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pollen report: a bad option or a missing baseline exits 2', async () => {
  const bad = await runCli(['report', '--memberships', 'gossip']);
  assert.is(bad.code, 2);
  assert.match(bad.err, /--memberships is one of hyparview, full, client-server/);
  const nob = await runCli(['report', '--baseline', '/nonexistent-report']);
  assert.is(nob.code, 2);
  assert.match(nob.err, /holds no results\.json/);
});

test.run();
