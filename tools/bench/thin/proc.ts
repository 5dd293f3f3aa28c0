/**
 * A run-node process (tools/run-node.ts) for the thin-link bench, optionally inside a network namespace: driven
 * over stdin, read from its JSON lines. Every wait is bounded by the caller's deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT } from '../peers/report.ts';

export class BenchProc {
  readonly id: string;
  readonly child: ChildProcess;
  replica = '';
  neighbors: string[] = [];
  vars: { [id: string]: any } = {};
  stderr = '';
  exited: number | null | undefined = undefined;
  private waiters: (() => void)[] = [];

  /** When given, every line the process writes (stdout and stderr) is appended here with ms since `t0`. */
  constructor(id: string, args: string[], netns?: string, trace?: { file: string; t0: number }) {
    this.id = id;
    const log = (tag: string, text: string) => {
      if (trace) appendFileSync(trace.file, (performance.now() - trace.t0).toFixed(0) + ' ' + tag + ' ' + text.trimEnd() + '\n');
    };
    const node = [process.execPath, '--import', 'tsx', join(ROOT, 'tools', 'run-node.ts'), '--id', id, ...args];
    const [cmd, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
    this.child = spawn(cmd, rest, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.once('exit', (code) => {
      this.exited = code;
      this.poke();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"ev":"state"')) log('out', line);
      let m: any;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.ev === 'ready') this.replica = m.replica;
      if (m.ev === 'state') {
        this.neighbors = m.neighbors;
        this.vars = m.vars;
      }
      this.poke();
    });
    this.child.stderr!.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
      log('err', String(d));
    });
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  cmd(line: string): void {
    if (this.exited === undefined) this.child.stdin!.write(line + '\n');
  }

  /** Resolves when `ok()` holds (checked at every line), false at the deadline or when the process exits. */
  until(ok: () => boolean, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (ok()) return resolve(true);
        if (this.exited !== undefined || performance.now() >= deadline) return resolve(false);
        this.waiters.push(check);
      };
      const t = setInterval(() => this.poke(), 100);
      const done = resolve;
      resolve = (v) => {
        clearInterval(t);
        done(v);
      };
      check();
    });
  }

  count(v: string): number {
    const x = this.vars[v];
    return Array.isArray(x) ? x.length : 0;
  }

  /** Quit cleanly (1 s), then kill. */
  async stop(): Promise<void> {
    if (this.exited !== undefined) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.cmd('quit');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(t);
  }
}
