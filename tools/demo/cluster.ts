/**
 * The demo's cluster: N Pollen nodes in this process, each a real node driver on its own MQTT client of one
 * broker (HyParView membership, the default), with the two first nodes also joined by a thin shaped link, and
 * the last node's links behind a shaper so the demo can cut it off. Every node keeps its state in a memory store,
 * so `restart(i)` brings a node back with what it held, as a deployed node would come back from its file.
 *
 *   const c = new DemoCluster({ url: broker.url, protocolVersion: 4, root: 'pollen-demo', nodes: 5, seed: 1 });
 *   await c.start();
 *   c.nodes[2].update('visits', 'inc', [1]);
 *   c.cut(true);                     // the last node hears nothing and says nothing
 *   await c.stop(4);                 // close it cleanly (its state is saved in its store)
 *   await c.restart(4);              // start it again from its store
 *   await c.close();
 */
import { mqttLink } from '../../transports/mqtt.ts';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { shape, type ShapedLink } from '../../transports/shaper.ts';
import { startNode, memoryStore, type NodeStore, type PollenDriver } from '../../transports/driver.ts';
import type { Link } from '../../transports/link.ts';

export interface ClusterOptions {
  url: string;
  /** 4 for aedes (MQTT 3.1.1 only), 5 for Mosquitto and other MQTT 5 brokers. */
  protocolVersion: 4 | 5;
  /** Topic root: one per cluster, so two demos on one broker do not meet. */
  root: string;
  nodes: number;
  seed: number;
  /** Run once on every node as it starts (and restarts): declarations and registered functions. */
  setup?: (node: PollenDriver) => void;
}

/**
 * The thin link between n0 and n1: a 9600 bit/s UART (8N1, so 10 bits a byte) with 20 ms of latency, the
 * slowest link Pollen targets (an Espruino board on a serial line). Only with 3 nodes or more, so the node that
 * is cut off and restarted (the last one) is never on it.
 */
export const THIN = { bitsPerSecond: 9600, bitsPerByte: 10, overhead: 7, latency: 20 };

/** Traffic a node sent, over all its lives. */
export interface Sent {
  frames: number;
  bytes: number;
  /** Bytes by class, from the node's metrics: payload (broadcasts), delta, state, control (membership, acks). */
  byClass: { [cls: string]: number };
}

export class DemoCluster {
  readonly ids: string[];
  nodes: PollenDriver[] = [];
  /** The shapers around the last node's links (cut() drives them) and the thin link of n0 to n1. */
  private cutters: ShapedLink[] = [];
  thin: ShapedLink | undefined;
  private hub = new MemoryHub();
  private stores: NodeStore[];
  private past: Sent[];
  private o: ClusterOptions;

  constructor(o: ClusterOptions) {
    this.o = o;
    this.ids = Array.from({ length: o.nodes }, (_, i) => 'n' + i);
    this.stores = this.ids.map(() => memoryStore());
    this.past = this.ids.map(() => ({ frames: 0, bytes: 0, byClass: {} }));
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.ids.length; i++) this.nodes.push(await this.startNode(i));
  }

  private async startNode(i: number): Promise<PollenDriver> {
    const id = this.ids[i];
    const o = this.o;
    const links: Link[] = [];
    const last = i === this.ids.length - 1;
    if (this.ids.length >= 3 && i < 2) {
      // First in the list: the driver sends to a peer over the first link that reaches it.
      const thin = shape(memoryLink(this.hub, { id }), { ...THIN, seed: o.seed * 1000 + i });
      if (i === 0) this.thin = thin;
      links.push(thin);
    }
    let mqtt: Link;
    try {
      mqtt = await mqttLink({ id, url: o.url, root: o.root, protocolVersion: o.protocolVersion, keepalive: 5 });
    } catch (e) {
      for (const l of links) await l.close();
      throw e;
    }
    if (last) {
      const cutter = shape(mqtt, { seed: o.seed * 1000 + i });
      this.cutters = [cutter];
      links.push(cutter);
    } else links.push(mqtt);
    const node = await startNode({
      id,
      links,
      contacts: i === 0 ? undefined : ['n0'],
      seed: o.seed * 1000 + i,
      store: this.stores[i],
      saveEvery: 100,
    });
    o.setup?.(node);
    return node;
  }

  /** Cut the last node off from everyone (true), or heal it (false). */
  cut(on: boolean): void {
    for (const s of this.cutters) s.partition(on);
  }

  /** Start node i again, with the state its store kept (its links are new, its incarnation is the next one). */
  async restart(i: number): Promise<void> {
    this.nodes[i] = await this.startNode(i);
  }

  /** Close node i cleanly: DISCONNECT to its neighbours, state saved, links closed. */
  async stop(i: number): Promise<void> {
    const n = this.nodes[i];
    const s = sentBy(n);
    const p = this.past[i];
    p.frames += s.frames;
    p.bytes += s.bytes;
    for (const k of Object.keys(s.byClass)) p.byClass[k] = (p.byClass[k] ?? 0) + s.byClass[k];
    await n.close();
  }

  /** What node i sent since the demo began (its earlier lives included). */
  sent(i: number): Sent {
    const now = sentBy(this.nodes[i]);
    const p = this.past[i];
    const byClass: { [cls: string]: number } = { ...p.byClass };
    for (const k of Object.keys(now.byClass)) byClass[k] = (byClass[k] ?? 0) + now.byClass[k];
    return { frames: p.frames + now.frames, bytes: p.bytes + now.bytes, byClass };
  }

  /** Every node a neighbour, and the active views connect everyone. */
  connected(): boolean {
    const seen = new Set([this.ids[0]]);
    const todo = [this.ids[0]];
    while (todo.length) {
      const n = this.nodes[this.ids.indexOf(todo.pop()!)];
      for (const p of n.neighbors()) if (!seen.has(p)) seen.add(p), todo.push(p);
    }
    return seen.size === this.ids.length && this.nodes.every((n) => n.neighbors().length > 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

/** Frames and bytes a node's links sent (link counters), and its bytes by message class (node metrics). */
function sentBy(n: PollenDriver): Sent {
  let frames = 0;
  let bytes = 0;
  for (const l of n.links) {
    frames += l.counters.framesOut;
    bytes += l.counters.bytesOut;
  }
  const m = n.metrics();
  const byClass: { [cls: string]: number } = {};
  for (const cls of ['payload', 'delta', 'state', 'control']) byClass[cls] = m['bytes.' + cls] ?? 0;
  return { frames, bytes, byClass };
}
