/**
 * A tiny deterministic driver for runtime tests: nodes exchange real bytes through a seeded event queue with
 * latency, loss, duplication (and so reordering), partitions and crashes. The full simulator lives in tools/sim;
 * this is just enough to hold node.ts and antientropy.ts to their promises.
 */
import { createNode, step, type NodeConfig, type PollenNode } from '../../runtime/full.ts';
import type { Command, Input, Output } from '../../runtime/io.ts';
import { takeNext } from '../support/evqueue.ts';

interface Ev {
  at: number;
  n: number;
  to: string;
  input: Input;
  /** For timers: the generation that must still be current when it fires. */
  gen?: number;
}

export interface NetOptions {
  seed: number;
  latency?: [number, number];
  loss?: number;
  dup?: number;
  /** Frames longer than this are refused as a link refuses them (counted in `oversize`, never delivered). */
  maxFrame?: number;
}

export class Net {
  nodes: { [id: string]: PollenNode } = {};
  configs: { [id: string]: NodeConfig } = {};
  down: { [id: string]: boolean } = {};
  blocked: (a: string, b: string) => boolean = () => false;
  now = 0;
  /** Every send, with the time it left (`at`, ms). */
  sent: { from: string; to: string; out: Output; at: number }[] = [];
  events: { node: string; out: Output }[] = [];
  private q: Ev[] = [];
  private n = 0;
  private s: number;
  private timers: { [key: string]: number } = {};
  private gen = 0;
  latency: [number, number];
  loss: number;
  dup: number;
  maxFrame: number;
  /** Frames refused for passing maxFrame. */
  oversize = 0;

  constructor(o: NetOptions) {
    this.s = (o.seed * 2654435761) >>> 0 || 1;
    this.latency = o.latency ?? [5, 30];
    this.loss = o.loss ?? 0;
    this.dup = o.dup ?? 0;
    this.maxFrame = o.maxFrame ?? Infinity;
  }

  rand(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }

  add(config: NodeConfig): PollenNode {
    this.configs[config.id] = config;
    this.nodes[config.id] = createNode(config);
    delete this.down[config.id];
    return this.nodes[config.id];
  }

  crash(id: string): void {
    this.down[id] = true;
    for (const k of Object.keys(this.timers)) if (k.startsWith(id + '\u0000')) delete this.timers[k];
  }

  input(id: string, input: Input): Output[] {
    if (this.down[id]) return [];
    const outs = step(this.nodes[id], input, this.now);
    for (const o of outs) this.carry(id, o);
    return outs;
  }

  cmd(id: string, command: Command): Output[] {
    return this.input(id, { kind: 'command', command });
  }

  /** Run a call that steps node `id` itself (e.g. runtime/dataflow/api.ts, runtime/completion.ts) at the
   *  net's time, and carry its outputs as input() does. */
  via(id: string, call: (now: number) => Output[]): Output[] {
    if (this.down[id]) return [];
    const outs = call(this.now);
    for (const o of outs) this.carry(id, o);
    return outs;
  }

  /** Deliver raw bytes to a node as if from `from` (for hostile-input tests). */
  inject(to: string, from: string, bytes: Uint8Array): Output[] {
    return this.input(to, { kind: 'frame', from, bytes });
  }

  private push(e: Ev): void {
    this.q.push(e);
  }

  private carry(from: string, o: Output): void {
    if (o.kind === 'send') {
      this.sent.push({ from, to: o.to, out: o, at: this.now });
      if (o.bytes.length > this.maxFrame) {
        this.oversize++;
        return;
      }
      if (this.down[o.to] || !this.nodes[o.to] || this.blocked(from, o.to)) return;
      if (this.rand() < this.loss) return;
      const copies = this.rand() < this.dup ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const lat = this.latency[0] + this.rand() * (this.latency[1] - this.latency[0]);
        this.push({ at: this.now + lat, n: this.n++, to: o.to, input: { kind: 'frame', from, bytes: o.bytes } });
      }
    } else if (o.kind === 'timer') {
      const g = ++this.gen;
      this.timers[from + '\u0000' + o.id] = g;
      this.push({ at: Math.max(o.at, this.now), n: this.n++, to: from, input: { kind: 'timer', id: o.id }, gen: g });
    } else if (o.kind === 'cancel') {
      delete this.timers[from + '\u0000' + o.id];
    } else {
      this.events.push({ node: from, out: o });
    }
  }

  /** Run events up to time `until` (ms). */
  run(until: number): void {
    for (let e = takeNext(this.q, until); e; e = takeNext(this.q, until)) {
      this.now = e.at;
      if (this.down[e.to]) continue;
      if (e.input.kind === 'timer') {
        const key = e.to + '\u0000' + e.input.id;
        if (this.timers[key] !== e.gen) continue;
        delete this.timers[key];
      }
      this.input(e.to, e.input);
    }
    this.now = Math.max(this.now, until);
  }
}

/** What an overlay looks like among the live nodes `ids` (added for the membership tests). */
export interface OverlayReport {
  /** Connected components of the live nodes, over active links to live nodes. */
  components: number;
  /** Active links u→v between live nodes where v does not hold u. */
  asymmetric: number;
  /** Active links to nodes that are down. */
  stale: number;
  /** Live nodes with no neighbour. */
  isolated: number;
  /** Live nodes by neighbour count. */
  histogram: { [size: number]: number };
}

export function overlayReport(net: Net, ids: string[], neighborsOf: (n: PollenNode) => string[]): OverlayReport {
  const live = ids.filter((id) => !net.down[id]);
  const isLive: { [id: string]: boolean } = {};
  for (const id of live) isLive[id] = true;
  const r: OverlayReport = { components: 0, asymmetric: 0, stale: 0, isolated: 0, histogram: {} };
  for (const id of live) {
    const nb = neighborsOf(net.nodes[id]);
    r.histogram[nb.length] = (r.histogram[nb.length] || 0) + 1;
    if (nb.length === 0) r.isolated++;
    for (const p of nb) {
      if (!isLive[p]) r.stale++;
      else if (!neighborsOf(net.nodes[p]).includes(id)) r.asymmetric++;
    }
  }
  const seen: { [id: string]: boolean } = {};
  for (const id of live) {
    if (seen[id]) continue;
    r.components++;
    const stack = [id];
    seen[id] = true;
    while (stack.length > 0) {
      const x = stack.pop() as string;
      for (const p of neighborsOf(net.nodes[x])) {
        if (isLive[p] && !seen[p]) {
          seen[p] = true;
          stack.push(p);
        }
      }
    }
  }
  return r;
}
