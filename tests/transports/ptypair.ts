/**
 * A pair of real pseudo-terminals joined like a null-modem cable, for the serial tests: bytes written to one end
 * come out of the other. The pair is made by ptypair.py over python3's os.openpty (python3 is on every machine
 * that builds Node packages; socat is not), so `npm test` runs the serial suites on a fresh machine, and the same
 * way everywhere. A missing python3 is an error that says so (the tests fail, they do not skip).
 *
 *   const pair = await ptyPair();        // pair.a, pair.b: paths under a fresh temporary directory
 *   ...
 *   await pair.close();                  // ends the helper and waits for it: both paths vanish
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HELPER = fileURLToPath(new URL('./ptypair.py', import.meta.url));

export interface PtyPair {
  a: string;
  b: string;
  dir: string;
  proc: ChildProcess;
  close(): Promise<void>;
}

/**
 * Start the helper on two fresh paths (or the given ones) and resolve once both ptys are linked and copying.
 * The wait bounds a start and measures nothing: 30 s, because python3 reached through a version manager's shim
 * (pyenv) took 2.5 s just to start at a load average of 33, and two pairs in a row missed a 5 s bound there.
 */
export function ptyPair(paths?: { a: string; b: string }, timeoutMs = 30000): Promise<PtyPair> {
  const dir = paths ? '' : mkdtempSync(join(tmpdir(), 'pollen-pty-'));
  const a = paths ? paths.a : join(dir, 'A');
  const b = paths ? paths.b : join(dir, 'B');
  return new Promise((resolve, reject) => {
    const proc = spawn('python3', [HELPER, a, b], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let log = '';
    let done = false;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const close = async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      if (dir) rmSync(dir, { recursive: true, force: true });
    };
    const fail = (message: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(message));
    };
    const timer = setTimeout(() => {
      if (done) return;
      void close();
      fail('the pty pair helper did not start within ' + timeoutMs + ' ms; its log:\n' + log);
    }, timeoutMs);
    proc.once('error', (e: NodeJS.ErrnoException) => {
      if (dir) rmSync(dir, { recursive: true, force: true }); // no 'exit' follows a failed spawn: close() would wait forever
      fail(e.code === 'ENOENT'
        ? 'python3 is not installed, and the serial tests make their real pty pair with it: apt-get install python3'
        : 'cannot start the pty pair helper: ' + e.message);
    });
    proc.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!done && out.includes('ready\n')) {
        done = true;
        clearTimeout(timer);
        resolve({ a, b, dir, proc, close });
      }
    });
    proc.once('exit', (code) => {
      if (done) return;
      if (dir) rmSync(dir, { recursive: true, force: true });
      fail('the pty pair helper exited (' + code + ') before it was ready; its log:\n' + log);
    });
  });
}
