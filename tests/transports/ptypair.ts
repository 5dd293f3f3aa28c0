/**
 * A pair of real pseudo-terminals joined by socat, for the serial tests: bytes written to one end come out of the
 * other, as over a null-modem cable. A missing socat is an error that says how to install it (the tests fail,
 * they do not skip).
 *
 *   const pair = await ptyPair();        // pair.a, pair.b: paths under a fresh temporary directory
 *   ...
 *   await pair.close();                  // kills socat and waits for it
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  a: string;
  b: string;
  dir: string;
  proc: ChildProcess;
  close(): Promise<void>;
}

/** Start socat on two fresh paths (or the given ones) and resolve once its transfer loop runs. */
export function ptyPair(paths?: { a: string; b: string }, timeoutMs = 5000): Promise<PtyPair> {
  const dir = paths ? '' : mkdtempSync(join(tmpdir(), 'pollen-pty-'));
  const a = paths ? paths.a : join(dir, 'A');
  const b = paths ? paths.b : join(dir, 'B');
  return new Promise((resolve, reject) => {
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    let done = false;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const close = async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      if (dir) rmSync(dir, { recursive: true, force: true });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      void close();
      reject(new Error('socat did not start its transfer loop within ' + timeoutMs + ' ms; its log:\n' + log));
    }, timeoutMs);
    proc.once('error', (e: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (dir) rmSync(dir, { recursive: true, force: true }); // no 'exit' follows a failed spawn: close() would wait forever
      reject(new Error(e.code === 'ENOENT'
        ? 'socat is not installed, and the serial tests need a real pty pair from it: apt-get install socat'
        : 'cannot start socat: ' + e.message));
    });
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (!done && log.includes('starting data transfer loop')) {
        done = true;
        clearTimeout(timer);
        resolve({ a, b, dir, proc, close });
      }
    });
    proc.once('exit', (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (dir) rmSync(dir, { recursive: true, force: true });
      reject(new Error('socat exited (' + code + ') before its transfer loop started; its log:\n' + log));
    });
  });
}
