/**
 * `pollen flash` against the real interpreter whose console sits on a pty (socat runs it as a board on a USB
 * port): the bundle lands in Storage as the boot code, verified by CRC, and runs from there; a port where nothing
 * answers fails with an error that says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extra } from '../support/extras.ts';
import { flash, FlashError } from '../../tools/flash.ts';
import { buildBoard } from '../../targets/espruino/build.ts';
import { runStored } from '../../tools/espruino.ts';
import { ptyPair } from '../transports/ptypair.ts';

const dir = extra('espruino', 'pollen flash against the Espruino interpreter on a pty');

/** The interpreter on a pty: its console is the board's USB serial port at `port`. */
function boardOnPty(bin: string, cwd: string): Promise<{ port: string; proc: ChildProcess; child: number }> {
  const port = path.join(cwd, 'ttyBOARD');
  const proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0,link=' + port, 'EXEC:' + bin + ',pty,raw,echo=0'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      // The interpreter outlives socat's SIGTERM: its pid (from socat's log) is killed by the test itself.
      const child = /forked off child process (\d+)/.exec(log);
      if (child && log.includes('starting data transfer loop')) { proc.stderr!.destroy(); resolve({ port, proc, child: Number(child[1]) }); }
    });
    proc.once('exit', (c) => reject(new Error('socat exited (' + c + '): ' + log)));
  });
}

function stopBoard(b: { proc: ChildProcess; child: number }): void {
  try { process.kill(b.child, 'SIGKILL'); } catch { /* already gone */ }
  b.proc.kill('SIGTERM');
}

if (dir) {
  test('uploads the bundle as boot code, verified, and it runs from Storage', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-flash-'));
    const board = await boardOnPty(path.join(dir, 'espruino-12000'), cwd);
    try {
      const code = (await buildBoard('puck', { check: false })).code;
      const seen: number[] = [];
      const r = await flash({ port: board.port, code, onProgress: (d) => { seen.push(d); } });
      assert.is(r.bytes, code.length);
      assert.is(seen[seen.length - 1], code.length);
      assert.ok(seen.length >= Math.ceil(code.length / 512), 'progress ' + seen.length);
      stopBoard(board);
      await new Promise((r) => (board.proc.exitCode !== null ? r(null) : board.proc.once('exit', r)));
      // The same Storage, booted: the code is there and runs.
      const run = await runStored({ dir, pool: 12000 }, cwd, 'print("profile " + Pollen.profile);', { file: '.bootcde' });
      assert.is(run.failure, undefined, run.raw.slice(-800));
      assert.ok(run.lines.indexOf('profile sensor') >= 0, run.lines.join('\n'));
    } finally {
      stopBoard(board);
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('a port where nothing answers fails with a clear error', async () => {
    const pair = await ptyPair();
    try {
      await flash({ port: pair.a, code: 'print(1)', timeoutMs: 800 });
      assert.unreachable('flash succeeded with nobody on the line');
    } catch (e) {
      assert.instance(e, FlashError);
      assert.match((e as Error).message, /no answer for the first command \(a prompt\) within 800 ms/);
    } finally {
      await pair.close();
    }
  });

  test.run();
}
