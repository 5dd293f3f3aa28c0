/**
 * tools/run-node.ts on a damaged store file: it does not start, and says so in one line with exit code 3 (not a
 * stack trace), so a supervisor (systemd) and its operator see what to do: move the file away to start empty.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'run-node.ts'), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

test('a damaged store: exit 3 and one line that names the file, no stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-damaged-'));
  try {
    const store = join(dir, 'a.pollen');
    writeFileSync(store, Buffer.from('not a Pollen state at all, just some bytes of something else'));
    const r = await run(['--id', 'a', '--url', 'none', '--tcp-listen', '127.0.0.1:0', '--store', store]);
    assert.is(r.code, 3, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0], /damaged/);
    assert.ok(lines[0].includes(store), lines[0]);
    assert.not.match(r.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
