import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../tools/sim/scenario.ts';
import { scenario } from './load.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('two runs with the same seed give identical results byte for byte; another seed does not', () => {
  // Loss, duplication, reordering, a partition, and CRDT updates: every random stream of the simulator is drawn.
  const a = JSON.stringify(runScenario(scenario('crdt-lossy', { seed: 4, nodes: 30 })));
  const b = JSON.stringify(runScenario(scenario('crdt-lossy', { seed: 4, nodes: 30 })));
  assert.ok(a === b, 'same seed, different results');
  const c = JSON.stringify(runScenario(scenario('crdt-lossy', { seed: 5, nodes: 30 })));
  assert.ok(a !== c, 'the seed changed nothing');
});

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/sim/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('pollen sim: the CLI prints the same JSON for the same scenario twice (bandwidth, link events, churn)', () => {
  const one = cli(['tools/sim/scenarios/bandwidth-ble.json', '--compact']);
  const two = cli(['tools/sim/scenarios/bandwidth-ble.json', '--compact']);
  assert.is(one.code, 0, one.err);
  assert.is(two.code, 0, two.err);
  assert.ok(one.out === two.out, 'CLI output differs between runs');
  const r = JSON.parse(one.out);
  assert.is(r.name, 'bandwidth-ble');
  assert.ok(r.links.queue >= 0 && r.crdt.updates === 60);
  assert.ok(r.crdt.converged, JSON.stringify(r.crdt));
});

test('pollen sim: a bad scenario file is refused with the field and exit status 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-sim-'));
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify({ seed: 1, nodes: 3, duration: 100, link: { loss: 2 } }));
  const r = cli([f]);
  assert.is(r.code, 2);
  assert.match(r.err, /link\.loss must be a probability/);
  assert.is(cli([]).code, 2);
});

test.run();
