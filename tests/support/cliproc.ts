/**
 * A `pollen` subcommand in a child process (the real bin, tools/pollen.js), read from its JSON lines (--json):
 * wait for an event, send a command on stdin, stop it with SIGTERM and wait for the exit. Every wait is bounded.
 *
 *   const p = CliProc.start(['node', '--json', '--stdin', '--id', 'a', '--url', url]);
 *   const ready = await p.event((e) => e.ev === 'ready', 'a ready');
 *   p.send('update hits inc 1');
 *   await p.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type Ev = { ev: string; [k: string]: any };

export class CliProc {
  readonly child: ChildProcess;
  readonly events: Ev[] = [];
  stderr = '';
  out = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.out = (this.out + line + '\n').slice(-20000);
      try {
        const e = JSON.parse(line);
        if (e && typeof e.ev === 'string') this.events.push(e);
      } catch {
        /* a text line */
      }
      for (const w of this.waiters.slice()) w();
    });
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + d).slice(-8000)));
    child.once('exit', () => {
      for (const w of this.waiters.slice()) w();
    });
  }

  static start(args: string[], env: NodeJS.ProcessEnv = {}): CliProc {
    const child = spawn(process.execPath, [join(ROOT, 'tools', 'pollen.js'), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    return new CliProc(child);
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** The first event (seen already or to come) that satisfies `pred`. */
  event(pred: (e: Ev) => boolean, what: string, ms = 20_000): Promise<Ev> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.find(pred);
        if (e) {
          done();
          resolve(e);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error('process exited (' + this.child.exitCode + ') waiting for: ' + what + '; stderr: ' + this.stderr + '; stdout: ' + this.out.slice(-2000)));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error('timed out after ' + ms + ' ms waiting for: ' + what + '; stderr: ' + this.stderr + '; stdout: ' + this.out.slice(-2000)));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(check);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** SIGTERM, then SIGKILL after `ms`; resolves with the exit code. */
  async stop(ms = 5000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** Run a subcommand to its end: exit code, stdout, stderr. */
export function runCli(args: string[], ms = 120_000, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'tools', 'pollen.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}
