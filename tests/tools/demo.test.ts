/**
 * The demo (`npm start`) run as a user runs it: a child process on the embedded aedes broker (MQTT_URL is taken
 * out of its environment, so this is the fresh-machine path), with a small cluster. It must go through its three
 * stories, end with the final line and exit 0; a bad flag is a usage error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function demo(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env };
  delete env.MQTT_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'demo.ts'), ...args], { cwd: ROOT, env, timeout: 60_000 }, (e, out, err) => {
      resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: String(out), err: String(err) });
    });
  });
}

test('three nodes on aedes converge after updates, a partition and a restart, and the demo exits 0', async () => {
  const r = await demo(['--nodes', '3', '--seed', '2']);
  assert.is(r.code, 0, r.err + r.out);
  assert.match(r.out, /broker aedes on mqtt:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.out, /n2 is cut off/);
  // The restarted n2 starts from what it saved (story 2's values), not from nothing.
  assert.match(r.out, /n2 restarts from its store with  visits=14  basket=\[apples, eggs, pears, plums\]/);
  // Each node is printed once in each of the three stories as it converges (n2 in the third: when it catches up).
  for (const id of ['n0', 'n1', 'n2']) {
    const arrivals = r.out.match(new RegExp('^  ' + id + ' +\\+\\d+ ms  visits=', 'gm')) ?? [];
    assert.is(arrivals.length, 3, id + ' converged in each story:\n' + r.out);
  }
  // The counter's final value: 1+2+3 in story 1, +10 and -2 in story 2, +1 in story 3.
  assert.match(r.out, /^  n2 +\+\d+ ms  visits=15  basket=\[apples, bread, eggs, pears, plums\]  fruit=\[apples, pears, plums\]$/m);
  assert.match(r.out, /of which on the thin link n0 -> n1: [1-9]\d* frames/);
  // Completion detection: after each story every node learns by itself that all nodes finished it.
  for (const story of [1, 2, 3]) {
    assert.match(r.out, new RegExp('every node now knows, from its own replica, that all 3 finished story ' + story + ' \\(\\+\\d+ ms\\)'));
  }
  assert.match(r.out, /\nAll 3 nodes hold the same values\.\n$/);
});

test('--quiet prints the summary and the final line only; a bad --nodes is a usage error (exit 2)', async () => {
  const q = await demo(['--nodes', '2', '--quiet']);
  assert.is(q.code, 0, q.err + q.out);
  assert.not.match(q.out, /visits=/);
  assert.match(q.out, /time to converge: updates \d+ ms/);
  assert.match(q.out, /All 2 nodes hold the same values\.\n$/);
  const bad = await demo(['--nodes', '1']);
  assert.is(bad.code, 2);
  assert.match(bad.err, /--nodes takes a whole number from 2 to 50, got 1/);
});

test.run();
