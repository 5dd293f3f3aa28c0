/**
 * A Pollen node in a child process (tools/run-node.ts), driven over its stdin and read from its JSON lines, for
 * the multi-process tests. Every wait is bounded; `kill` and `quit` resolve once the process is gone.
 *
 *   const a = await NodeProc.start(['--id', 'a', '--url', url]);
 *   a.cmd('declare hits gcounter');
 *   await a.until((s) => s.vars.hits === 3, 'a sees 3');
 *   await a.quit();
 *   const [b, c] = await startAll(procs, [NodeProc.start(bArgs), NodeProc.start(cArgs)]); // both land in procs
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface NodeState {
  id: string;
  neighbors: string[];
  vars: { [id: string]: any };
}

export class NodeProc {
  readonly child: ChildProcess;
  readonly id: string;
  state: NodeState;
  stderr = '';
  private exited: Promise<number | null>;
  private waiters: (() => void)[] = [];
  private ready = false;

  private constructor(child: ChildProcess, id: string) {
    this.child = child;
    this.id = id;
    this.state = { id, neighbors: [], vars: {} };
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: any;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.ev === 'ready') this.ready = true;
      if (m.ev === 'state') this.state = m;
      for (const w of this.waiters.slice()) w();
    });
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
  }

  static async start(args: string[], ms = 40_000): Promise<NodeProc> {
    const script = join(ROOT, 'tools', 'run-node.ts');
    const i = args.indexOf('--id');
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const p = new NodeProc(child, args[i + 1]);
    try {
      await p.wait(() => p.ready, 'node ' + p.id + ' ready', ms);
    } catch (e) {
      await p.kill(); // a node that did not come up must not outlive the test
      throw e;
    }
    return p;
  }

  cmd(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** Wait until the reported state satisfies `pred` (asking for it every 200 ms too). */
  async until(pred: (s: NodeState) => boolean, what: string, ms = 15_000): Promise<void> {
    const t = setInterval(() => this.cmd('show'), 200);
    try {
      await this.wait(() => pred(this.state), what, ms);
    } finally {
      clearInterval(t);
    }
  }

  private wait(cond: () => boolean, what: string, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.child.off('exit', gone);
        this.waiters.splice(this.waiters.indexOf(done), 1);
        resolve();
      };
      const fail = (why: string) => {
        clearTimeout(timer);
        this.child.off('exit', gone);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(why + ' waiting for: ' + what + '; last state ' + JSON.stringify(this.state) + '; stderr: ' + this.stderr));
      };
      const gone = () => fail('node ' + this.id + ' exited');
      const timer = setTimeout(() => fail('timed out after ' + ms + ' ms'), ms);
      this.child.once('exit', gone);
      this.waiters.push(done);
      done();
    });
  }

  /** Leave cleanly (DISCONNECT, presence cleared) and wait for the exit, at most `ms` before SIGKILL. */
  async quit(ms = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.cmd('quit');
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(t);
  }

  /** Die at once, no goodbye (the broker's will announces it). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Start processes together (each takes seconds on a busy machine). Every one that came up is pushed to `procs`,
 * in the order given, even when another failed to: the caller's cleanup stops them (Promise.all would drop them).
 */
export async function startAll(procs: NodeProc[], starts: Promise<NodeProc>[]): Promise<NodeProc[]> {
  const r = await Promise.allSettled(starts);
  for (const x of r) if (x.status === 'fulfilled') procs.push(x.value);
  for (const x of r) if (x.status === 'rejected') throw x.reason;
  return r.map((x) => (x as PromiseFulfilledResult<NodeProc>).value);
}
