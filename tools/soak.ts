/**
 * `npm run soak`: kill -9 a real node process (tools/run-node.ts with --store) at random moments, over and over,
 * and check that no acknowledged update is ever lost and no store file is ever unreadable.
 *
 *   npm run soak                                # 1,000 kills, seed 1
 *   npm run soak -- --kills 200 --seed 7 --durability 50
 *   npm run soak -- --lanes 3                   # three node processes side by side, 1,000 kills in all
 *
 * A round: start the node on its store; once it is ready, ask for its state and check that it holds every
 * element an "ack" line ever confirmed (run-node prints one per update once it is durable); then stream
 * `update xs add eN` lines (unique elements, in small bursts) and kill -9 the process once it has acknowledged a
 * random number (0 to 19) of them and a random delay more (up to --max-run ms).
 * One round in ten kills it during its start instead (while it reads its store and saves its new epoch). After
 * each kill the store file is read with the library's own decoder. All delays come from a seeded generator; the
 * moments the kernel delivers the kill at are the machine's.
 *
 * The node runs as tools/run-node.ts bundled once by esbuild (the same code, started in a fraction of tsx's
 * time). Exit code 0 when nothing acknowledged was lost and every store was readable, 1 otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { rng, below, float } from '../runtime/rng.ts';
import { decodeState } from '../transports/filestore.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface SoakOptions {
  kills: number;
  seed: number;
  /** run-node's --durability (default 'sync'). */
  durability?: string;
  /** Node processes killed side by side, each on its own store (default 1): the kills are shared out. */
  lanes?: number;
  /** Longest time a node runs (after its state check) before the kill, ms (default 400). */
  maxRunMs?: number;
  /** Progress lines (every 10% and at the end). */
  log?: (line: string) => void;
}

export interface SoakResult {
  kills: number;
  /** Kills during a start (before the ready line). */
  killsInStart: number;
  restarts: number;
  /** Updates sent, acknowledged, and acknowledged ones missing after a restart (must be 0). */
  sent: number;
  acked: number;
  lostAcked: number;
  /** Updates sent but not acknowledged before the kill, and how many of those were kept anyway. */
  unacked: number;
  unackedKept: number;
  /** Store files that did not decode after a kill, and starts that failed (must both be 0). */
  unreadable: number;
  failedStarts: number;
  /** Epochs seen that did not grow (must be 0). */
  epochNotGrown: number;
  lastEpoch: number;
  storeBytes: number;
  ms: number;
  /** The first few problems, spelled out. */
  problems: string[];
}

/** Bundle run-node once per soak (a file of its own, so two soaks at once do not share one). */
async function bundle(): Promise<string> {
  const dir = join(ROOT, 'node_modules', '.cache', 'pollen-soak');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'run-node-' + process.pid);
  // Split at run-node's dynamic imports, so the links it does not use (MQTT, serial) are not loaded at each start.
  await build({
    entryPoints: [join(ROOT, 'tools', 'run-node.ts')],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  return join(out, 'run-node.mjs');
}

interface Life {
  child: ChildProcess;
  ready: Promise<{ epoch: number } | undefined>;
  /** Resolves with the next state line's xs. */
  nextState(): Promise<string[] | undefined>;
  acks: string[];
  /** stdout fully read (after the process is gone). */
  closed: Promise<void>;
  exit: Promise<number | null>;
  stderr: string;
}

function launch(script: string, store: string, durability: string): Life {
  const child = spawn(process.execPath, [script, '--id', 'soak', '--url', 'none', '--tcp-listen', '127.0.0.1:0', '--store', store, '--durability', durability], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A write after the kill fails with EPIPE: expected, ignored.
  child.stdin!.on('error', () => undefined);
  const life: Life = {
    child,
    acks: [],
    stderr: '',
    ready: undefined as any,
    nextState: undefined as any,
    closed: undefined as any,
    exit: new Promise((r) => child.once('exit', (code) => r(code))),
  };
  let readyResolve: (v: { epoch: number } | undefined) => void;
  life.ready = new Promise((r) => (readyResolve = r));
  let stateWaiters: ((xs: string[] | undefined) => void)[] = [];
  life.nextState = () => new Promise((r) => stateWaiters.push(r));
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    let m: any;
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    if (m.ev === 'ready') readyResolve({ epoch: m.epoch });
    else if (m.ev === 'ack') life.acks.push(String(m.args[0]));
    else if (m.ev === 'state') {
      const ws = stateWaiters;
      stateWaiters = [];
      for (const w of ws) w(m.vars.xs ?? []);
    }
  });
  life.closed = new Promise((r) =>
    rl.on('close', () => {
      readyResolve(undefined);
      for (const w of stateWaiters) w(undefined);
      r();
    }),
  );
  child.stderr!.on('data', (d) => (life.stderr = (life.stderr + d).slice(-2000)));
  return life;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error('timed out: ' + what)), ms)))]).finally(() => clearTimeout(t));
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  const durability = o.durability ?? 'sync';
  const maxRun = o.maxRunMs ?? 400;
  const script = await bundle();
  const dir = mkdtempSync(join(tmpdir(), 'pollen-soak-'));
  const lanes = Math.max(1, Math.min(o.lanes ?? 1, o.kills));
  const res: SoakResult = {
    kills: 0, killsInStart: 0, restarts: 0, sent: 0, acked: 0, lostAcked: 0, unacked: 0, unackedKept: 0,
    unreadable: 0, failedStarts: 0, epochNotGrown: 0, lastEpoch: 0, storeBytes: 0, ms: 0, problems: [],
  };
  const problem = (s: string) => {
    if (res.problems.length < 10) res.problems.push(s);
  };
  let ackedAll = 0;
  const progressEvery = Math.max(1, Math.round(o.kills / 10));

  /** One node process and its store, killed `kills` times, with a generator of its own. */
  const lane = async (li: number, kills: number): Promise<void> => {
    const r = rng(o.seed * 1000 + li);
    const store = join(dir, 'soak-' + li + '.pollen');
    /** Every element ever acknowledged, and those sent but not (yet known to be) acknowledged. */
    const acked = new Set<string>();
    let unackedPending: string[] = [];
    let nextElem = 0;
    let lastEpoch = 0;
    let myKills = 0;
    for (let round = 0; myKills < kills; round++) {
      const inStart = round > 0 && below(r, 10) === 0;
      const life = launch(script, store, durability);
      let sentThisLife: string[] = [];
      if (inStart) {
        // Kill while it starts: reading the store, saving the new epoch, opening its link.
        await sleep(Math.floor(float(r) * 600));
        life.child.kill('SIGKILL');
        res.killsInStart++;
      } else {
        const ready = await within(life.ready, 60_000, 'the node to be ready').catch(() => undefined);
        if (!ready) {
          res.failedStarts++;
          problem('lane ' + li + ' round ' + round + ': the node did not start: ' + life.stderr.trim());
          life.child.kill('SIGKILL');
          await life.exit;
          break;
        }
        res.restarts++;
        if (ready.epoch <= lastEpoch) {
          res.epochNotGrown++;
          problem('round ' + round + ': epoch ' + ready.epoch + ' after ' + lastEpoch);
        }
        lastEpoch = ready.epoch;
        life.child.stdin!.write('declare xs orset\nshow\n');
        const xs = await within(life.nextState(), 30_000, 'the state line').catch(() => undefined);
        if (!xs) {
          res.failedStarts++;
          problem('round ' + round + ': no state line: ' + life.stderr.trim());
          life.child.kill('SIGKILL');
          await life.exit;
          break;
        }
        const have = new Set(xs);
        for (const e of acked) {
          if (!have.has(e)) {
            res.lostAcked++;
            problem('round ' + round + ': acknowledged ' + e + ' is missing');
          }
        }
        for (const e of unackedPending) if (have.has(e)) res.unackedKept++;
        unackedPending = [];
        // Stream updates in small bursts until the kill: first until the node has acknowledged a random number
        // of them (so a loaded machine still tests something), then for a random time more.
        const wantAcks = below(r, 20);
        const giveUp = performance.now() + 30_000;
        let killAt = Infinity;
        while (performance.now() < killAt) {
          if (killAt === Infinity && (life.acks.length >= wantAcks || performance.now() > giveUp)) killAt = performance.now() + float(r) * maxRun;
          const burst = 1 + below(r, 5);
          let lines = '';
          for (let k = 0; k < burst; k++) {
            const e = 'l' + li + 'e' + nextElem++;
            sentThisLife.push(e);
            lines += 'update xs add ' + e + '\n';
          }
          life.child.stdin!.write(lines);
          await sleep(below(r, 40));
        }
        life.child.kill('SIGKILL');
      }
      res.kills++;
      myKills++;
      await life.exit;
      await life.closed;
      for (const e of life.acks) if (!acked.has(e)) (acked.add(e), ackedAll++);
      res.sent += sentThisLife.length;
      const ackedHere = new Set(life.acks);
      for (const e of sentThisLife) if (!ackedHere.has(e)) unackedPending.push(e);
      res.unacked += sentThisLife.length - life.acks.length;
      // The store as the kill left it must read.
      if (existsSync(store)) {
        try {
          decodeState(new Uint8Array(readFileSync(store)), store);
        } catch (e) {
          res.unreadable++;
          problem('after kill ' + res.kills + ': ' + (e as Error).message);
        }
      }
      if (res.kills % progressEvery === 0 || res.kills === o.kills) {
        log('soak: ' + res.kills + '/' + o.kills + ' kills, ' + ackedAll + ' acknowledged updates, ' + res.lostAcked + ' lost, ' + res.unreadable + ' unreadable stores, ' + Math.round((performance.now() - t0) / 1000) + ' s');
      }
    }
    // A last start, to check the updates acknowledged before the last kill.
    const life = launch(script, store, durability);
    const ready = await within(life.ready, 60_000, 'the last start').catch(() => undefined);
    if (!ready) {
      res.failedStarts++;
      problem('the last start failed: ' + life.stderr.trim());
    } else {
      life.child.stdin!.write('show\n');
      const xs = await within(life.nextState(), 30_000, 'the last state').catch(() => undefined);
      const have = new Set(xs ?? []);
      for (const e of acked) {
        if (!have.has(e)) {
          res.lostAcked++;
          problem('at the end: acknowledged ' + e + ' is missing');
        }
      }
      for (const e of unackedPending) if (have.has(e)) res.unackedKept++;
      lastEpoch = ready.epoch;
    }
    life.child.stdin!.write('quit\n');
    await within(life.exit, 10_000, 'the last node to quit').catch(() => life.child.kill('SIGKILL'));
    res.acked += acked.size;
    res.lastEpoch = Math.max(res.lastEpoch, lastEpoch);
    res.storeBytes = Math.max(res.storeBytes, existsSync(store) ? statSync(store).size : 0);
  };

  try {
    const all: Promise<void>[] = [];
    for (let li = 0; li < lanes; li++) all.push(lane(li, Math.floor(o.kills / lanes) + (li < o.kills % lanes ? 1 : 0)));
    await Promise.all(all);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(script), { recursive: true, force: true });
  }
  res.ms = performance.now() - t0;
  return res;
}

export function summary(s: SoakResult): string {
  return [
    'kills ' + s.kills + ' (' + s.killsInStart + ' during a start), restarts checked ' + s.restarts,
    'updates sent ' + s.sent + ', acknowledged ' + s.acked + ', acknowledged and lost ' + s.lostAcked,
    'not acknowledged before the kill ' + s.unacked + ' (kept anyway ' + s.unackedKept + ')',
    'unreadable store files ' + s.unreadable + ', failed starts ' + s.failedStarts + ', epochs that did not grow ' + s.epochNotGrown,
    'highest epoch ' + s.lastEpoch + ', largest store file ' + s.storeBytes + ' bytes, ' + (s.ms / 1000).toFixed(1) + ' s',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      kills: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      durability: { type: 'string', default: 'sync' },
      'max-run': { type: 'string', default: '400' },
      lanes: { type: 'string', default: '1' },
    },
  });
  const res = await soak({ kills: Number(a.kills), seed: Number(a.seed), durability: a.durability, maxRunMs: Number(a['max-run']), lanes: Number(a.lanes), log: (l) => console.log(l) });
  console.log(summary(res));
  for (const p of res.problems) console.log('problem: ' + p);
  const ok = res.lostAcked === 0 && res.unreadable === 0 && res.failedStarts === 0 && res.epochNotGrown === 0 && res.kills >= Number(a.kills);
  console.log(ok ? 'soak: OK, no acknowledged update lost' : 'soak: FAILED');
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
