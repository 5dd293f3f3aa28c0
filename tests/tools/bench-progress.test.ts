/**
 * The benches' progress bar (tools/cli/progress.ts), run for real at their quickest: with --progress it goes to
 * stderr and reaches 100 %, without it a pipe sees no bar, and stdout carries the same tables either way.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function run(script: string, args: string[]): { out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  assert.is(r.status, 0, script + ' ' + args.join(' ') + ' exited with ' + r.status + ': ' + r.stderr);
  return { out: r.stdout, err: r.stderr };
}

const bars = (err: string, title: string) => err.split('\n').filter((l) => l.startsWith(title + ' ['));

test('npm run bench -- --progress draws its bar on stderr up to 100 %, and only when asked', () => {
  const on = run('tools/bench/crdt.ts', ['--quick', '--deltas', '--progress']);
  const lines = bars(on.err, 'bench');
  assert.ok(lines.length >= 2, 'bar lines: ' + JSON.stringify(on.err));
  assert.match(lines[lines.length - 1], /\[#{28}\] 100% .* deltas into a large state$/);
  assert.not.match(on.out, /\[#/, 'no bar on stdout');
  assert.match(on.out, /joinInto\/s/);
  const off = run('tools/bench/crdt.ts', ['--quick', '--deltas']);
  assert.equal(bars(off.err, 'bench'), [], 'a pipe without --progress sees no bar');
  assert.match(off.out, /joinInto\/s/);
});

test('bench:sim --progress ticks per section and ends at 100 %', () => {
  const on = run('tools/bench/sim.ts', ['--quick', '--only', 'sync', '--progress']);
  const lines = bars(on.err, 'bench:sim');
  assert.ok(lines.length >= 1, 'bar lines: ' + JSON.stringify(on.err));
  assert.match(lines[lines.length - 1], /100% .* sync$/);
  assert.match(on.out, /Bytes to converge/);
});

test('a bench refuses an unknown option with status 2 and its usage', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools/bench/crdt.ts'), '--progess'], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  assert.is(r.status, 2);
  assert.match(r.stderr, /usage: npm run bench -- \[--quick\] \[--deltas\] \[--progress\]/);
});

test.run();
