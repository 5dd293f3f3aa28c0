/**
 * `pollen sim` for real at a small size: the summary table on stdout, results.json and the SVG plots in the
 * output folder; a missing file is a usage error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cliproc.ts';

test('pollen sim: table, results JSON and plots in the output folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-sim-cli-'));
  try {
    const r = await runCli(['sim', 'tools/sim/scenarios/crdt-restart.json', '--nodes', '8', '--out', dir]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^\| measure\s+\| value\s+\|$/m);
    assert.match(r.out, /^\| converged\s+\| yes\s+\|$/m);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.is(res.nodes, 8);
    assert.ok(res.crdt.converged);
    for (const f of ['divergence.svg', 'overlay.svg', 'bytes.svg']) {
      const svg = readFileSync(join(dir, f), 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, f);
      assert.ok(svg.length > 2000, f + ' has marks');
    }
    // The divergence plot has a line with as many points as samples, not an empty frame.
    assert.match(readFileSync(join(dir, 'divergence.svg'), 'utf8'), /<path [^>]*d="M[\d.,-]+(L[\d.,-]+){20,}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pollen sim: no scenario, or a missing file, exits 2 with a message', async () => {
  const none = await runCli(['sim']);
  assert.is(none.code, 2);
  assert.match(none.err, /give one scenario file/);
  const missing = await runCli(['sim', 'no-such.json']);
  assert.is(missing.code, 2);
  assert.match(missing.err, /ENOENT|no such file/);
});

test.run();
