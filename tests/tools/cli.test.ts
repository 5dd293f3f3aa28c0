import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Run the real bin (tools/pollen.js) as a user would. */
function pollen(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'tools/pollen.js')].concat(args), { cwd: ROOT, timeout: 60000 }, (e, out, err) => {
      resolve({ code: e ? Number((e as { code?: number }).code) : 0, out: String(out), err: String(err) });
    });
  });
}

test('help lists the commands and exits 0; no command is a usage error', async () => {
  const h = await pollen(['help']);
  assert.is(h.code, 0);
  assert.match(h.out, /^\s+demo\s/m);
  assert.match(h.out, /^\s+bench\s/m);
  const none = await pollen([]);
  assert.is(none.code, 2);
});

test('an unknown command says so and exits 2', async () => {
  const r = await pollen(['frobnicate']);
  assert.is(r.code, 2);
  assert.match(r.err, /unknown command "frobnicate"/);
});

test('version prints the package version', async () => {
  const r = await pollen(['version']);
  assert.is(r.code, 0);
  assert.match(r.out.trim(), /^\d+\.\d+\.\d+$/);
});

test('the demo converges its replicas and exits 0', async () => {
  const r = await pollen(['demo']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /All \d+ nodes hold the same values\./);
});

test('board-check fails on a file outside the subset, naming the construct', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-cli-'));
  const file = path.join(dir, 'spread.ts');
  fs.writeFileSync(file, 'export function f(xs: number[]): number {\n  return Math.max(...xs);\n}\n');
  const r = await pollen(['board-check', file]);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.is(r.code, 1);
  assert.match(r.out, /spread/);
});

test.run();
