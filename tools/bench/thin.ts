/**
 * `npm run bench:thin`: a burst of 200 OR-Set adds between two nodes over a thin link, time to converge ÷ the
 * transmission bound (tools/bench/thin/scenario.ts), at 9600, 1,200 and 300 bit/s, three ways:
 *   - in-process: two node drivers on memory links wrapped in the link shaper (transports/shaper.ts) at the rate,
 *     20 ms one-way latency, no framing overhead: the line alone;
 *   - kernel MQTT: two run-node processes (tools/run-node.ts) in network namespaces joined by a veth pair rate
 *     limited with tc tbf (tools/bench/thin/netns.ts), a mosquitto broker in the first namespace;
 *   - kernel TCP: the same namespaces, the nodes joined by a TCP link.
 * Writes its section of BENCHMARKS.md beside the figures recorded before the thin-link work (tools/bench/thin/
 * before.json, written by `--baseline`).
 *
 *   npm run bench:thin                          # all modes, all rates; writes BENCHMARKS.md
 *   npm run bench:thin -- --rates 9600 --modes inproc,tcp    # a subset; prints only
 *   npm run bench:thin -- --baseline            # record the figures as the "before" ones
 *   npm run bench:thin -- --modes mqtt --rates 300 --trace /tmp/t   # with traces of the kernel runs (see startTrace)
 *
 * The kernel modes need root, ip, tc and mosquitto. When namespaces cannot be made the bench says why and exits
 * 1: it never skips them silently. Namespaces and processes it made are removed at the end, on error and on
 * SIGINT/SIGTERM.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, ROOT, version, writeSection } from './peers/report.ts';
import { parse } from '../cli/args.ts';
import { burst, VAR, type Outcome, type Side } from './thin/scenario.ts';
import { BenchProc } from './thin/proc.ts';
import { thinNet, NetnsError, THIN_MTU, type ThinNet } from './thin/netns.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { shape } from '../../transports/shaper.ts';
import { nodeConfig, pacedLinks, rateArgs } from './thin/pacing.ts';
import { serialLine } from './thin/serialline.ts';

const NAME = 'bench:thin';
const BEFORE = join(ROOT, 'tools', 'bench', 'thin', 'before.json');
const MODES = ['inproc', 'mqtt', 'tcp', 'serial'] as const;
type Mode = (typeof MODES)[number];
/** The serial line's bit error rate, and the size of the pieces the nodes send on it (transports/pieces.ts). */
const SERIAL_BER = 1e-3;
const SERIAL_PIECES = 48;
const MODE_NAME: { [m in Mode]: string } = {
  inproc: 'in-process, shaper', mqtt: 'kernel tbf, MQTT', tcp: 'kernel tbf, TCP', serial: 'ptys, serial 8N1, 1 bit error in 10^3',
};
/** Serial runs at 9600 bit/s only (the goal's rate). */
const SERIAL_RATES = [9600];
/** A run stops at this many times its bound (at least MIN_CAP_MS): the goals are 1.3 and 2, so 3 shows a miss. */
let CAP = 3;
const MIN_CAP_MS = 15000;
/** --trace DIR: each run writes its processes' lines, the broker's log and a sample of the line every second there. */
let TRACE: string | undefined;
/** The longest wait for two fresh nodes to become neighbours over the line (a join at 300 bit/s takes seconds). */
const JOIN_MS = 90000;

interface Row {
  mode: Mode;
  bps: number;
  converged: boolean;
  ms: number;
  boundMs: number;
  /** Bytes the line carried during the burst (both directions), when known. */
  lineBytes?: number;
  /** Packets the kernel's queue dropped (both directions), when known. */
  drops?: number;
  /** Bits the noisy serial line flipped during the burst. */
  flipped?: number;
}

const cleanups = new Set<() => Promise<void>>();
async function cleanAll(): Promise<void> {
  for (const c of [...cleanups]) await c().catch(() => undefined);
  cleanups.clear();
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void cleanAll().then(() => process.exit(130));
  });
}

async function inproc(bps: number, seed: number): Promise<Row> {
  const hub = new MemoryHub();
  const mk = (id: string) => pacedLinks(shape(memoryLink(hub, { id }), { bitsPerSecond: bps, latency: 20, seed }), bps);
  const nodes: PollenDriver[] = [];
  const stop = async () => {
    for (const n of nodes.splice(0)) await n.close();
  };
  cleanups.add(stop);
  try {
    nodes.push(await startNode({ id: 'a', links: [mk('a')], membership: 'full', seed, config: nodeConfig(bps) }));
    nodes.push(await startNode({ id: 'b', links: [mk('b')], membership: 'full', seed: seed + 1, contacts: ['a'], config: nodeConfig(bps) }));
    for (const n of nodes) await n.declare(VAR, 'orset');
    await until(() => nodes[0].neighbors().includes('b') && nodes[1].neighbors().includes('a'), JOIN_MS, 'in-process nodes to join');
    await sleep(500);
    const sides = nodes.map((n): Side => ({
      id: n.id, replica: n.replica,
      update: (e) => void n.update(VAR, 'add', [e]),
      count: () => (n.query(VAR) as unknown[]).length,
    })) as [Side, Side];
    const o = await burst(sides, bps, seed, CAP, MIN_CAP_MS, (cb) => {
      const offs = nodes.map((n) => n.on('changed', cb));
      return () => offs.forEach((f) => f());
    });
    return row('inproc', bps, o);
  } finally {
    await stop();
    cleanups.delete(stop);
  }
}

async function kernel(mode: 'mqtt' | 'tcp', bps: number, seed: number): Promise<Row> {
  const net: ThinNet = await thinNet({ bitsPerSecond: bps });
  const procs: BenchProc[] = [];
  let broker: ChildProcess | undefined;
  let dir: string | undefined;
  const stop = async () => {
    for (const p of procs.splice(0)) await p.stop();
    if (broker && broker.exitCode === null) {
      const gone = new Promise((r) => broker!.once('exit', r));
      broker.kill('SIGTERM');
      await gone;
    }
    broker = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
    await net.close();
  };
  cleanups.add(stop);
  const trace = TRACE ? startTrace(TRACE, mode + '-' + bps, net, procs) : undefined;
  try {
    const rate = rateArgs(bps);
    const common = ['--membership', 'full', '--seed', String(seed), ...rate];
    let argsA: string[];
    let argsB: string[];
    if (mode === 'mqtt') {
      dir = mkdtempSync(join(tmpdir(), 'pollen-thin-'));
      const conf = join(dir, 'mosquitto.conf');
      writeFileSync(conf, 'listener 1883 ' + net.addrA + '\nallow_anonymous true\npersistence false\n' +
        (trace ? 'user root\nlog_type all\nlog_timestamp_format %H:%M:%S\nlog_dest file ' + trace.dir + '/mosquitto.log\n' : ''));
      broker = spawn('ip', ['netns', 'exec', net.a, 'mosquitto', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      broker.stderr!.on('data', (d) => (log += d));
      await sleep(500);
      if (broker.exitCode !== null) throw new Error('mosquitto did not start: ' + log.trim());
      const url = ['--url', 'mqtt://' + net.addrA + ':1883'];
      argsA = [...url, ...common];
      argsB = [...url, ...common, '--join', 'a'];
    } else {
      argsA = ['--url', 'none', '--tcp-listen', net.addrA + ':7000', ...common];
      argsB = ['--url', 'none', '--tcp-connect', net.addrA + ':7000', ...common, '--join', 'a'];
    }
    const a = new BenchProc('a', argsA, net.a, trace && { file: trace.dir + '/a.log', t0: trace.t0 });
    procs.push(a);
    if (!(await a.until(() => a.replica !== '', performance.now() + 30000))) throw new Error('node a did not start: ' + a.stderr);
    const b = new BenchProc('b', argsB, net.b, trace && { file: trace.dir + '/b.log', t0: trace.t0 });
    procs.push(b);
    if (!(await b.until(() => b.replica !== '', performance.now() + 30000))) throw new Error('node b did not start: ' + b.stderr);
    for (const p of procs) p.cmd('declare ' + VAR + ' orset');
    const deadline = performance.now() + JOIN_MS;
    const tick = setInterval(() => procs.forEach((p) => p.cmd('show')), 250);
    const joined = (await a.until(() => a.neighbors.includes('b'), deadline)) && (await b.until(() => b.neighbors.includes('a'), deadline));
    if (!joined) {
      clearInterval(tick);
      throw new Error(mode + ' at ' + bps + ' bit/s: the nodes did not become neighbours within ' + JOIN_MS + ' ms\n' + a.stderr + b.stderr);
    }
    await sleep(1000);
    trace?.mark('burst starts');
    const before = await net.stats();
    const sides = procs.map((p): Side => ({
      id: p.id, replica: p.replica,
      update: (e) => p.cmd('update ' + VAR + ' add ' + e),
      count: () => p.count(VAR),
    })) as [Side, Side];
    const o = await burst(sides, bps, seed, CAP, MIN_CAP_MS, (cb) => {
      const t = setInterval(cb, 20);
      return () => clearInterval(t);
    });
    clearInterval(tick);
    const after = await net.stats();
    const r = row(mode, bps, o);
    r.lineBytes = after.a.bytes - before.a.bytes + after.b.bytes - before.b.bytes;
    r.drops = after.a.dropped - before.a.dropped + after.b.dropped - before.b.dropped;
    return r;
  } finally {
    trace?.stop();
    await stop();
    cleanups.delete(stop);
  }
}

/** Trace one kernel run into DIR/<mode>-<rate>/: a.log, b.log (the nodes' lines and, every second, their link
 *  metrics), mosquitto.log, line.log (both qdiscs and the TCP sockets of both namespaces, every second). */
function startTrace(root: string, name: string, net: ThinNet, procs: BenchProc[]) {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const line = join(dir, 'line.log');
  const sh = (ns: string, cmd: string) => new Promise<string>((r) => execFile('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], (_e, o) => r(o)));
  let busy = false;
  const t = setInterval(() => {
    for (const p of procs) p.cmd('metrics');
    if (busy) return;
    busy = true;
    const at = (performance.now() - t0).toFixed(0);
    void Promise.all([net.a, net.b].map((ns) => sh(ns, 'tc -s qdisc show; ss -tin'))).then((o) => {
      appendFileSync(line, '@' + at + ' ns a\n' + o[0] + '@' + at + ' ns b\n' + o[1]);
      busy = false;
    });
  }, 1000);
  return {
    dir, t0,
    mark: (what: string) => appendFileSync(line, '@' + (performance.now() - t0).toFixed(0) + ' ' + what + '\n'),
    stop: () => clearInterval(t),
  };
}

/** Two run-node processes over a pty serial line of this rate with bit errors (tools/bench/thin/serialline.ts). */
async function serial(bps: number, seed: number): Promise<Row> {
  const line = await serialLine({ bitsPerSecond: bps, bitsPerByte: 10, ber: SERIAL_BER, seed });
  const procs: BenchProc[] = [];
  const stop = async () => {
    for (const p of procs.splice(0)) await p.stop();
    await line.close();
  };
  cleanups.add(stop);
  try {
    const common = ['--url', 'none', '--membership', 'full', '--seed', String(seed), ...rateArgs(bps), '--serial-pieces', String(SERIAL_PIECES)];
    const trace = TRACE ? join(TRACE, 'serial-' + bps) : undefined;
    if (trace) {
      rmSync(trace, { recursive: true, force: true });
      mkdirSync(trace, { recursive: true });
    }
    const t0 = performance.now();
    const a = new BenchProc('a', ['--serial', line.a, ...common], undefined, trace ? { file: trace + '/a.log', t0 } : undefined);
    procs.push(a);
    const b = new BenchProc('b', ['--serial', line.b, ...common, '--join', 'a'], undefined, trace ? { file: trace + '/b.log', t0 } : undefined);
    procs.push(b);
    for (const p of procs) {
      if (!(await p.until(() => p.replica !== '', performance.now() + 30000))) throw new Error('node ' + p.id + ' did not start: ' + p.stderr);
      p.cmd('declare ' + VAR + ' orset');
    }
    const deadline = performance.now() + JOIN_MS;
    const tick = setInterval(() => procs.forEach((p) => p.cmd(trace ? 'show\nmetrics' : 'show')), 250);
    const joined = (await a.until(() => a.neighbors.includes('b'), deadline)) && (await b.until(() => b.neighbors.includes('a'), deadline));
    if (!joined) {
      clearInterval(tick);
      throw new Error('serial at ' + bps + ' bit/s: the nodes did not become neighbours within ' + JOIN_MS + ' ms\n' + a.stderr + b.stderr);
    }
    await sleep(1000);
    const before = line.stats();
    const sides = procs.map((p): Side => ({
      id: p.id, replica: p.replica,
      update: (e) => p.cmd('update ' + VAR + ' add ' + e),
      count: () => p.count(VAR),
    })) as [Side, Side];
    // The bound at the UART's byte rate: 10 bits a byte.
    const o = await burst(sides, (bps * 8) / 10, seed, CAP, MIN_CAP_MS, (cb) => {
      const t = setInterval(cb, 20);
      return () => clearInterval(t);
    });
    clearInterval(tick);
    const after = line.stats();
    const r = row('serial', bps, o);
    r.lineBytes = after.bytes - before.bytes;
    r.flipped = after.flipped - before.flipped;
    return r;
  } finally {
    await stop();
    cleanups.delete(stop);
  }
}

function row(mode: Mode, bps: number, o: Outcome): Row {
  return { mode, bps, converged: o.converged, ms: o.ms, boundMs: o.boundMs };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(20);
  }
}

function ratio(r: Row): string {
  return r.converged ? (r.ms / r.boundMs).toFixed(2) : '> ' + (r.ms / r.boundMs).toFixed(1) + ' (not converged)';
}

function table(rows: Row[], before: Row[]): string {
  const find = (r: Row) => before.find((x) => x.mode === r.mode && x.bps === r.bps);
  const out = ['| link | bit/s | bound | time to converge | × bound | before: time | before: × bound | line bytes | kernel drops (serial: bits flipped) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const b = find(r);
    out.push('| ' + MODE_NAME[r.mode] + ' | ' + r.bps + ' | ' + (r.boundMs / 1000).toFixed(2) + ' s | ' + (r.ms / 1000).toFixed(2) + ' s | ' +
      ratio(r) + ' | ' + (b ? (b.ms / 1000).toFixed(2) + ' s' : '–') + ' | ' + (b ? ratio(b) : '–') + ' | ' +
      (r.lineBytes ?? '–') + ' | ' + (r.drops ?? (r.flipped !== undefined ? r.flipped + ' bits flipped' : '–')) + ' |');
  }
  return out.join('\n');
}

function section(rows: Row[], before: Row[], args: string[], when: string): string {
  return [
    '<!-- ' + NAME + ' start -->',
    '## Thin links: a burst of 200 OR-Set adds at 9600, 1,200 and 300 bit/s',
    '',
    'Written by `npm run bench:thin` (`node --import tsx tools/bench/thin.ts' + (args.length ? ' ' + args.join(' ') : '') + '`); every figure below comes from one run, the "before" columns from the run recorded before the links paced and batched (`--baseline`, tools/bench/thin/before.json).',
    '',
    '- Date: ' + when,
    '- Machine: ' + machine(),
    '- Versions: pollen ' + version('pollen') + ', mqtt ' + version('mqtt') + ', Linux tc tbf, mosquitto',
    '- Method: two nodes (full membership) declare one OR-Set and become neighbours; then 200 elements are added, 1 ms apart, each at a node drawn from a seeded generator (seed 1). Time to converge runs from the first add until both hold all 200. The bound is what the adds need at the link\'s rate: each node must at least receive the other\'s elements as the OR-Set state of just those in CBOR; the larger of the two directions. A run stops at ' + CAP + '× its bound (at least ' + MIN_CAP_MS / 1000 + ' s).',
    '- In-process: node drivers on memory links inside the link shaper (transports/shaper.ts) at the rate, 20 ms one-way latency, no framing overhead. Kernel: run-node processes in two network namespaces joined by a veth pair, MTU ' + THIN_MTU + ', each end limited by `tc qdisc … tbf` at the rate with a bucket of one packet and a queue of two (tools/bench/thin/netns.ts); MQTT through mosquitto in the first namespace (so only the second node\'s connection crosses the line), TCP straight between the nodes. "line bytes" are what the two qdiscs sent during the burst (IP packets with their Ethernet header), "kernel drops" what they dropped.',
    '- Serial (9600 bit/s only): two run-node processes on two real pty pairs joined by a relay (tools/bench/thin/serialline.ts) that carries ' +
      'bytes at the rate of a UART sending 8N1 (960 bytes a second each way) and flips each bit with probability ' + SERIAL_BER + ' (transports/noise.ts); ' +
      'the nodes send in pieces of ' + SERIAL_PIECES + ' bytes with selective repeat (`--serial-pieces`, transports/pieces.ts). Its bound counts 10 bits a byte; ' +
      '"line bytes" are the bytes the relay carried, both ways, during the burst. The issue\'s goal for it: converges, at most 3× the bound.',
    '- The kernel rows use `--rate`: each node paces and batches to the line and counts the TCP ACKs its received frames cost its direction (transports/pace.ts); an MQTT link takes any packet from the broker as a sign of life, with keepalive and connect timeout scaled to the line. `--trace DIR` writes each run\'s node lines, link metrics, the broker\'s log and the line\'s qdisc and socket state every second.',
    '',
    table(rows, before),
    '<!-- ' + NAME + ' end -->',
  ].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const a = parse(args, { rates: { type: 'string' }, modes: { type: 'string' }, baseline: { type: 'boolean' }, seed: { type: 'string' }, cap: { type: 'string' }, trace: { type: 'string' } },
    'usage: npm run bench:thin -- [--rates 9600,1200,300] [--modes inproc,mqtt,tcp,serial] [--baseline] [--seed N] [--cap X (× bound, default 3)] [--trace DIR]\n', false);
  if (typeof a === 'number') return a;
  const rates = (a.values.rates as string | undefined ?? '9600,1200,300').split(',').map(Number);
  const modes = (a.values.modes as string | undefined ?? MODES.join(',')).split(',') as Mode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error('unknown mode ' + m + ' (inproc, mqtt, tcp, serial)');
  for (const r of rates) if (!(r > 0)) throw new Error('bad rate ' + r);
  const seed = Number(a.values.seed ?? 1);
  if (a.values.cap !== undefined) CAP = Number(a.values.cap);
  TRACE = a.values.trace as string | undefined;
  if (!(CAP > 0)) throw new Error('--cap takes a positive factor');
  const rows: Row[] = [];
  for (const mode of modes) {
    for (const bps of rates) {
      if (mode === 'serial' && !SERIAL_RATES.includes(bps)) continue;
      process.stderr.write('bench:thin ' + mode + ' at ' + bps + ' bit/s ... ');
      let r: Row;
      try {
        r = mode === 'inproc' ? await inproc(bps, seed) : mode === 'serial' ? await serial(bps, seed) : await kernel(mode, bps, seed);
      } catch (e) {
        if (e instanceof NetnsError) {
          process.stderr.write('\nbench:thin: cannot make the kernel-shaped link: ' + e.message + '\n' +
            'bench:thin: the kernel modes need root, ip and tc (run as root, or give --modes inproc); no figures written\n');
          return 1;
        }
        throw e;
      }
      process.stderr.write((r.converged ? 'converged' : 'NOT converged') + ' in ' + (r.ms / 1000).toFixed(2) + ' s, bound ' + (r.boundMs / 1000).toFixed(2) + ' s, ' + ratio(r) + '×\n');
      rows.push(r);
    }
  }
  const before: Row[] = existsSync(BEFORE) ? JSON.parse(readFileSync(BEFORE, 'utf8')) : [];
  if (a.values.baseline) {
    const kept = before.filter((x) => !rows.some((r) => r.mode === x.mode && r.bps === x.bps));
    writeFileSync(BEFORE, JSON.stringify([...kept, ...rows], null, 1) + '\n');
  }
  const text = section(rows, a.values.baseline ? [] : before, args, new Date().toISOString());
  console.log(text);
  const full = modes.length === MODES.length && rates.length === 3 && !a.values.rates;
  if (full && !a.values.baseline) writeSection(join(ROOT, 'BENCHMARKS.md'), NAME, text);
  return 0;
}

main().then(
  async (code) => {
    await cleanAll();
    process.exit(code);
  },
  async (e) => {
    process.stderr.write('\nbench:thin: ' + ((e as Error).stack ?? String(e)) + '\n');
    await cleanAll();
    process.exit(1);
  },
);
