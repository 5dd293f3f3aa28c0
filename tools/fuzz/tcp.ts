/**
 * The live TCP fuzz target: a real node (transports/driver.ts over transports/tcp.ts) listening on loopback,
 * a legitimate peer connected to it, and an attacker socket that says hello and then writes mutated frames as
 * fast as the socket takes them (reconnecting whenever the node closes it). At the end the legitimate peer
 * updates a counter and the node must converge with it: hostile traffic may cost frames, never the node.
 * Reported: frames sent, the node's drops by reason, crashes (uncaught exceptions, internal drops), the longest
 * event-loop block (the worst single step, as the process felt it), peak memory, and convergence with its delay.
 */
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fork, rng } from '../../runtime/rng.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { tcpLink } from '../../transports/tcp.ts';
import { nextInput } from './mutate.ts';
import { clusterFrames } from './targets.ts';

export interface TcpReport {
  target: string;
  seed: number;
  inputs: number;
  connections: number;
  dropped: { [reason: string]: number };
  crashes: number;
  crashSamples: string[];
  worstBlockMs: number;
  peakHeapMB: number;
  converged: boolean;
  convergeMs: number;
  seconds: number;
}

function framed(b: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(b.length, 0);
  return Buffer.concat([head, Buffer.from(b)]);
}

function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const tick = () => {
      if (cond()) resolve(true);
      else if (Date.now() - t0 > ms) resolve(false);
      else setTimeout(tick, 20);
    };
    tick();
  });
}

export async function fuzzTcp(inputs: number, seed: number): Promise<TcpReport> {
  const rep: TcpReport = {
    target: 'tcp:live', seed: seed, inputs: 0, connections: 0, dropped: {}, crashes: 0, crashSamples: [], worstBlockMs: 0,
    peakHeapMB: 0, converged: false, convergeMs: -1, seconds: 0,
  };
  const start = Date.now();
  const onCrash = (e: unknown) => {
    rep.crashes++;
    if (rep.crashSamples.length < 8) rep.crashSamples.push(String((e as Error)?.stack ?? e).split('\n').slice(0, 3).join(' | '));
  };
  process.on('uncaughtException', onCrash);
  const vl = await tcpLink({ id: 'v', listen: 0 });
  const victim: PollenDriver = await startNode({ id: 'v', seed: seed, membership: 'full', links: [vl] });
  const good: PollenDriver = await startNode({
    id: 'g', seed: seed + 1, membership: 'full', links: [await tcpLink({ id: 'g', connect: ['127.0.0.1:' + vl.port] })], contacts: ['v'],
  });
  victim.on('dropped', (e) => {
    rep.dropped[e.reason] = (rep.dropped[e.reason] || 0) + 1;
    if (e.reason === 'internal') onCrash(new Error('internal drop from ' + e.from));
  });
  for (const n of [victim, good]) {
    n.declare('hits', 'gcounter');
    n.declare('set', 'orset');
  }
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const r = rng(seed);
  const gen = fork(r, 1);
  const corpus = clusterFrames(seed);
  let sock: Socket | undefined;
  let open = false;
  const dial = (): Promise<void> => new Promise((resolve) => {
    rep.connections++;
    const s = connect(vl.port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => {
      open = false;
    });
    s.once('connect', () => {
      s.write(framed(Buffer.from('PLN1evil')));
      open = true;
      sock = s;
      resolve();
    });
  });
  await dial();
  for (let i = 0; i < inputs; i++) {
    if (!open) await dial();
    const b = nextInput(gen, corpus, 65536);
    rep.inputs++;
    const more = sock!.write(framed(b));
    if (!more) await new Promise<void>((res) => { sock!.once('drain', res); sock!.once('close', res); });
    if ((i & 63) === 0) await new Promise((res) => setImmediate(res));
    if ((i & 1023) === 0) {
      rep.peakHeapMB = Math.max(rep.peakHeapMB, process.memoryUsage().heapUsed / 1048576);
      good.update('hits', 'inc', [1]);
    }
  }
  sock?.destroy();
  // The legitimate peer's last word must reach the node.
  good.update('hits', 'inc', [1]);
  const want = good.query('hits');
  const t0 = Date.now();
  rep.converged = await until(() => victim.query('hits') === want, 15000);
  rep.convergeMs = rep.converged ? Date.now() - t0 : -1;
  loop.disable();
  rep.worstBlockMs = Math.round(loop.max / 1e4) / 100;
  rep.peakHeapMB = Math.round(rep.peakHeapMB * 10) / 10;
  await good.close();
  await victim.close();
  process.off('uncaughtException', onCrash);
  rep.seconds = Math.round((Date.now() - start) / 100) / 10;
  return rep;
}
