/**
 * The discrete-event run loop: N nodes' `step` functions (runtime/node.ts) driven by one seeded event queue.
 * The simulator is a driver like any other (ARCHITECTURE.md): it carries out sends through the link model,
 * fires timers, applies churn and workload, and watches outputs for the measures; it holds no protocol logic.
 *
 *   const sim = new Sim({ seed: 1, ids: ['a', 'b', 'c'] });
 *   sim.start(0); sim.start(1); sim.start(2);        // each joins through sim.contacts (default: the first id)
 *   sim.run(5000);
 *   sim.broadcast(1, 'hello', 'demo');
 *   sim.run(10000);
 *   sim.result().broadcast.demo.missed;               // 0
 *
 * Time is in ms (fractional: link delays are drawn from distributions). Events due at the same time run in the
 * order they were scheduled. A node's timers live in a table of generations: setting a timer again, cancelling
 * it, or the node crashing voids the queued firing, which is then skipped when it comes up.
 */
import { createNode, step, snapshot, neighbors, membershipStats, specOfVar, type NodeConfig, type PollenNode } from '../../runtime/full.ts';
import type { Command, Input, NodeEvent, Output } from '../../runtime/io.ts';
import type { Item } from '../../crdt/types.ts';
import { EventQueue, EV_ACTION, EV_FRAME, EV_LINK, EV_TIMER } from './queue.ts';
import { Links, linkConfig, type LinkConfig, type Partition } from './links.ts';
import { Random, SALT_CHURN, SALT_LINKS, SALT_NODES, SALT_WORK, mix, type Dist } from './random.ts';
import { SharedConfig } from './share.ts';
import { Measures, overlayStats, estimateBytes, stateKey, r3, LAYER_NAMES, type BroadcastResult, type ByteSplit, type OverlayStats, type Series } from './measures.ts';

/** What every node of a run is configured with (besides id, seed, incarnation and restore). */
export type NodeOptions = Omit<NodeConfig, 'id' | 'seed' | 'incarnation' | 'restore'>;

export interface SimConfig {
  seed: number;
  ids: string[];
  /** Node configuration, the same for all or per node index (client-server gives servers their own). */
  node?: NodeOptions | ((i: number) => NodeOptions);
  link?: Partial<LinkConfig>;
  /**
   * Feed link-down inputs to a crashed node's neighbours after `delay` ms, as links that know (MQTT's will
   * message, BLE disconnect, TCP reset) would. Off by default: liveness then comes from keepalives only.
   */
  linkEvents?: { delay: Dist } | null;
  /** ms between samples of overlay health and divergence; 0 for none. Default 1000. */
  sample?: number;
  /** Sample replica divergence too (costs a digest of each changed node's states per sample). */
  states?: boolean;
  /** Who a node joins through (default: the first id). A node never lists itself. */
  contacts?: string[];
  /** A fixed topology (topology.ts): frames only between adjacent nodes, and each joins through its neighbours. */
  topology?: number[][];
}

export interface CrdtResult {
  updates: number;
  /** Every live replica holds the same state of every variable (compared as deterministic CBOR bytes). */
  converged: boolean;
  /** Distinct states among live replicas at the end (1 when converged). */
  distinct: number;
  firstUpdate: number;
  lastUpdate: number;
  /** ms from the last update to the last change anywhere; null when not converged. */
  convergenceTime: number | null;
  /** Bytes sent from the first update until the last change, by class and by layer (all nodes together). */
  bytesToConverge: ByteSplit & { membership: number; plumtree: number; antientropy: number };
  /** The value of each variable on the first live node. */
  values: Record<string, unknown>;
}

export interface SimResult {
  seed: number;
  nodes: number;
  /** Simulated ms at the end. */
  time: number;
  /** Events processed (frames, timers, actions). */
  events: number;
  broadcast: Record<string, BroadcastResult>;
  crdt: CrdtResult | null;
  bytes: { perNode: ByteSplit; maxNode: ByteSplit; total: ByteSplit; byLayer: Record<string, number>; overhead: number };
  frames: ByteSplit;
  overlay: { final: OverlayStats; active: Record<string, number>; passive: Record<string, number> };
  series: Series;
  links: Links['drops'];
  dropped: Record<string, number>;
  /** Node counters summed over live nodes (pt.*, ae.*, membership counters, dropped.*). */
  counters: Record<string, number>;
  /** Estimated bytes held per live node (measures.ts estimateBytes), over up to 50 evenly spread nodes. */
  memory: { bytesPerNode: number; maxNode: number; sampled: number };
}

export class Sim {
  readonly seed: number;
  readonly ids: string[];
  readonly n: number;
  now = 0;
  readonly nodes: (PollenNode | null)[];
  /** Ever started (counts for bytes per node). */
  readonly started: Uint8Array;
  /** Time of the current life's start, or -1 while down. */
  readonly upSince: Float64Array;
  readonly incarnation: Int32Array;
  readonly snapshots: (Item | null)[];
  readonly q = new EventQueue(4096);
  readonly links: Links;
  readonly measures: Measures;
  readonly randChurn: Random;
  readonly randWork: Random;
  contacts: string[];
  events = 0;
  /** Called with every event a node emits besides deliveries, changes and drops (which the measures take):
   *  reads, neighbours, isolation, stale derivations. For tests and tools that watch the application's view. */
  onEvent: ((i: number, ev: NodeEvent, now: number) => void) | null = null;
  private index = new Map<string, number>();
  private timers: (Map<string, number> | null)[];
  private gen = 0;
  private nodeOpts: (i: number) => NodeOptions;
  /** One copy of each distinct node configuration for all nodes (share.ts). */
  private shared = new SharedConfig();
  private linkEvents: { delay: Dist } | null;
  private sampleEvery: number;
  private states: boolean;
  private nextSample = 0;
  /** Adjacency lists when the run has a fixed topology (frames only between neighbours), else null. */
  private topology: number[][] | null = null;
  /** Reused inputs: step never keeps its input object, so one of each saves an allocation per event. */
  private frameIn: { kind: 'frame'; from: string; bytes: Uint8Array } = { kind: 'frame', from: '', bytes: new Uint8Array(0) };
  private timerIn: { kind: 'timer'; id: string } = { kind: 'timer', id: '' };

  constructor(c: SimConfig) {
    this.seed = c.seed;
    this.ids = c.ids.slice();
    this.n = this.ids.length;
    this.ids.forEach((id, i) => {
      if (this.index.has(id)) throw new Error('sim: duplicate node id ' + id);
      this.index.set(id, i);
    });
    const opts = c.node;
    this.nodeOpts = typeof opts === 'function' ? opts : () => opts ?? {};
    this.nodes = new Array(this.n).fill(null);
    this.timers = new Array(this.n).fill(null);
    this.started = new Uint8Array(this.n);
    this.upSince = new Float64Array(this.n).fill(-1);
    this.incarnation = new Int32Array(this.n).fill(-1);
    this.snapshots = new Array(this.n).fill(null);
    this.links = new Links(linkConfig(c.link), this.n, new Random(c.seed, SALT_LINKS));
    this.measures = new Measures(this.ids);
    this.randChurn = new Random(c.seed, SALT_CHURN);
    this.randWork = new Random(c.seed, SALT_WORK);
    this.linkEvents = c.linkEvents ?? null;
    this.sampleEvery = c.sample ?? 1000;
    this.states = c.states ?? false;
    this.contacts = c.contacts ?? [this.ids[0]];
    if (c.topology) {
      if (c.topology.length !== this.n) throw new Error('sim: the topology has ' + c.topology.length + ' nodes, the run ' + this.n);
      this.links.restrict(c.topology);
      this.topology = c.topology;
    }
  }

  indexOf(id: string): number {
    const i = this.index.get(id);
    return i === undefined ? -1 : i;
  }

  isUp(i: number): boolean {
    return this.nodes[i] !== null;
  }

  /** Indices of nodes that are up, ascending. */
  live(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.nodes[i] !== null) out.push(i);
    return out;
  }

  /** Indices of nodes that are down (crashed, or never started), ascending. */
  down(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.nodes[i] === null) out.push(i);
    return out;
  }

  node(i: number): PollenNode {
    const x = this.nodes[i];
    if (!x) throw new Error('sim: node ' + this.ids[i] + ' is down');
    return x;
  }

  /**
   * Start node i (a first start, or a restart after a crash) and join through the contacts. A restart takes the
   * next incarnation; `persist` restores the snapshot taken when it crashed.
   */
  start(i: number, persist = false): void {
    if (this.nodes[i]) return;
    const inc = this.incarnation[i] + 1;
    this.incarnation[i] = inc;
    const restore = persist && this.snapshots[i] !== null ? (this.snapshots[i] as Item) : undefined;
    this.nodes[i] = createNode({
      ...this.nodeOpts(i),
      id: this.ids[i],
      seed: mix(mix(this.seed, SALT_NODES), i * 7919 + inc),
      incarnation: inc,
      restore,
    });
    this.shared.share(this.nodes[i] as PollenNode);
    this.timers[i] = new Map();
    this.started[i] = 1;
    this.upSince[i] = this.now;
    this.measures.touch(i);
    const contacts = this.topology ? this.topology[i].map((j) => this.ids[j]) : this.contacts.filter((c) => c !== this.ids[i]);
    this.input(i, { kind: 'command', command: { op: 'join', contacts } });
  }

  /** Crash node i: no goodbye, timers void, frames to it lost from now on; its snapshot is kept for a restart. */
  crash(i: number): void {
    const node = this.nodes[i];
    if (!node) return;
    this.snapshots[i] = snapshot(node);
    const before = this.linkEvents ? neighbors(node) : [];
    this.nodes[i] = null;
    this.timers[i] = null;
    this.upSince[i] = -1;
    if (this.linkEvents) {
      // The crashed node's neighbours hold a link to it that knows: each hears of the failure after a delay.
      for (const peer of before) {
        const j = this.indexOf(peer);
        if (j >= 0 && this.nodes[j]) this.q.push(this.now + this.randChurn.draw(this.linkEvents.delay), EV_LINK, j, i, 0, null);
      }
    }
  }

  /** A clean leave (DISCONNECT to neighbours), then down. */
  leave(i: number): void {
    if (!this.nodes[i]) return;
    this.input(i, { kind: 'command', command: { op: 'leave' } });
    this.crash(i);
  }

  /** Run an application command at node i now; returns the node's outputs (already carried out). */
  cmd(i: number, command: Command): Output[] {
    return this.input(i, { kind: 'command', command });
  }

  /** Broadcast an opaque payload from node i, tracked under `label` for RMR, LDH and missed. */
  broadcast(i: number, payload: Item, label: string): void {
    this.measures.label = label;
    try {
      this.cmd(i, { op: 'broadcast', payload });
    } finally {
      this.measures.label = '';
    }
  }

  /** Apply a CRDT update at node i (declaring the variable there first if needed), tracked under `label`. */
  update(i: number, id: string, type: string, mutator: string, args: Item[], label: string): void {
    const node = this.node(i);
    if (specOfVar(node, id) === undefined) this.cmd(i, { op: 'declare', id, type });
    this.measures.label = label;
    try {
      this.cmd(i, { op: 'update', id, mutator, args });
    } finally {
      this.measures.label = '';
    }
    this.measures.onUpdate(this.now);
  }

  /** Schedule a function at time t (scenario actions: churn, partitions, workload). */
  at(t: number, fn: () => void): void {
    this.q.push(Math.max(t, this.now), EV_ACTION, -1, -1, 0, fn);
  }

  partition(p: Partition): void {
    this.at(p.at, () => {
      this.links.cut(p, (id) => this.indexOf(id));
      if (this.linkEvents) {
        for (let i = 0; i < this.n; i++) {
          const node = this.nodes[i];
          if (!node) continue;
          for (const peer of neighbors(node)) {
            const j = this.indexOf(peer);
            if (j >= 0 && this.links.blocked(i, j)) this.q.push(this.now + this.randChurn.draw(this.linkEvents.delay), EV_LINK, i, j, 0, null);
          }
        }
      }
    });
    if (p.heal !== undefined) this.at(p.heal, () => this.links.heal(p));
  }

  /** Process every event due up to `until` (ms), then set the clock to `until`. */
  run(until: number): void {
    const q = this.q;
    for (;;) {
      if (this.sampleEvery > 0 && this.nextSample <= until && this.nextSample <= q.peekTime()) {
        this.now = Math.max(this.now, this.nextSample);
        this.sample();
        this.nextSample += this.sampleEvery;
        continue;
      }
      if (q.peekTime() > until) break;
      const e = q.pop();
      this.now = q.at[e];
      const kind = q.kind[e];
      const to = q.to[e];
      this.events++;
      if (kind === EV_FRAME) {
        const from = q.from[e];
        const bytes = q.ref[e] as Uint8Array;
        q.free(e);
        if (!this.nodes[to]) this.links.drops.down++;
        else if (this.links.partitioned && this.links.blocked(from, to)) this.links.drops.partition++;
        else {
          this.frameIn.from = this.ids[from];
          this.frameIn.bytes = bytes;
          this.input(to, this.frameIn);
        }
      } else if (kind === EV_TIMER) {
        const id = q.ref[e] as string;
        const g = q.gen[e];
        q.free(e);
        const t = this.timers[to];
        if (t && t.get(id) === g) {
          t.delete(id);
          this.timerIn.id = id;
          this.input(to, this.timerIn);
        }
      } else if (kind === EV_ACTION) {
        const fn = q.ref[e] as () => void;
        q.free(e);
        fn();
      } else if (kind === EV_LINK) {
        const peer = q.from[e];
        const up = q.gen[e] === 1;
        q.free(e);
        if (this.nodes[to]) this.input(to, { kind: 'link', peer: this.ids[peer], up });
      } else q.free(e);
    }
    if (until > this.now) this.now = until;
  }

  /** Feed one input to node i and carry out its outputs. */
  input(i: number, inp: Input): Output[] {
    const node = this.nodes[i];
    if (!node) return [];
    let outs: Output[];
    try {
      outs = step(node, inp, this.now);
    } catch (err) {
      if (inp.kind === 'command') throw err;
      // The node's contract is never to throw on input from a peer or a timer: that is a bug worth stopping for.
      const e = err instanceof Error ? err : new Error(String(err));
      e.message = 'sim: step threw at ' + this.ids[i] + ' (t=' + r3(this.now) + ' ms, seed ' + this.seed + ', input ' + inp.kind + '): ' + e.message;
      throw e;
    }
    this.carry(i, outs);
    return outs;
  }

  /** Carry out outputs of node i: those of a step the simulator ran, or of one a helper ran on the node itself
   *  (e.g. runtime/once.ts's enforceOnce, which steps the node and returns what it output). */
  carry(i: number, outs: Output[]): void {
    const m = this.measures;
    const now = this.now;
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k];
      if (o.kind === 'send') {
        m.onSend(i, o.cls, o.bytes);
        const j = this.index.get(o.to);
        if (j === undefined) {
          this.links.drops.unknown++;
          continue;
        }
        const at = this.links.transmit(i, j, o.bytes.length, now);
        if (at >= 0) this.q.push(at, EV_FRAME, j, i, 0, o.bytes);
        if (this.links.dupAt >= 0) this.q.push(this.links.dupAt, EV_FRAME, j, i, 0, o.bytes);
      } else if (o.kind === 'timer') {
        const g = ++this.gen;
        (this.timers[i] as Map<string, number>).set(o.id, g);
        this.q.push(o.at > now ? o.at : now, EV_TIMER, i, -1, g, o.id);
      } else if (o.kind === 'cancel') {
        (this.timers[i] as Map<string, number>).delete(o.id);
      } else {
        const ev = o.event;
        if (ev.type === 'deliver') m.onDeliver(i, ev.msgId, ev.hops, now);
        else if (ev.type === 'changed') m.onChanged(i, now);
        else if (ev.type === 'dropped') m.onDropped(ev.reason);
        else if (this.onEvent !== null) this.onEvent(i, ev, now);
      }
    }
  }

  /** Neighbour lists of live nodes (null for down ones). */
  neighborLists(): (string[] | null)[] {
    return this.nodes.map((x) => (x ? neighbors(x) : null));
  }

  overlay(): OverlayStats {
    return overlayStats(this.neighborLists(), this.ids, (id) => this.indexOf(id));
  }

  private sample(): void {
    this.measures.sample(this.now, this.nodes, this.neighborLists(), (id) => this.indexOf(id), this.states);
  }

  /** Should node i have received a broadcast made at `at`: up (and so joined) from then until now. */
  owed(i: number, at: number): boolean {
    return this.nodes[i] !== null && this.upSince[i] <= at;
  }

  /** Every live replica's state of every variable, compared byte for byte: how many distinct ones. */
  distinctStates(): number {
    const keys = new Set<string>();
    for (const x of this.nodes) if (x) keys.add(stateKey(x));
    return keys.size;
  }

  result(): SimResult {
    const m = this.measures;
    const live = this.live();
    let startedCount = 0;
    for (let i = 0; i < this.n; i++) startedCount += this.started[i];
    let crdt: CrdtResult | null = null;
    if (m.updates > 0) {
      if (this.states) m.finishDivergence(this.nodes);
      const distinct = this.distinctStates();
      const converged = distinct === 1;
      const values: Record<string, unknown> = {};
      if (live.length > 0) {
        const first = this.nodes[live[0]] as PollenNode;
        for (const id of Object.keys(first.store.vars).sort()) {
          const v = first.store.vars[id];
          values[id] = v.type.value(v.state);
        }
      }
      const t = m.totalAtLastChange;
      const f = m.totalAtFirstUpdate;
      const d = [t[0] - f[0], t[1] - f[1], t[2] - f[2], t[3] - f[3]];
      crdt = {
        updates: m.updates,
        converged,
        distinct,
        firstUpdate: r3(m.firstUpdate),
        lastUpdate: r3(m.lastUpdate),
        convergenceTime: converged ? r3(Math.max(0, m.lastChange - m.lastUpdate)) : null,
        bytesToConverge: {
          control: d[0],
          payload: d[1],
          delta: d[2],
          state: d[3],
          total: d[0] + d[1] + d[2] + d[3],
          membership: m.layerAtLastChange[0] - m.layerAtFirstUpdate[0],
          plumtree: m.layerAtLastChange[1] - m.layerAtFirstUpdate[1],
          antientropy: m.layerAtLastChange[2] - m.layerAtFirstUpdate[2],
        },
        values: JSON.parse(JSON.stringify(values)),
      };
    }
    const active: Record<string, number> = {};
    const passive: Record<string, number> = {};
    const counters: Record<string, number> = {};
    for (const i of live) {
      const node = this.nodes[i] as PollenNode;
      const s = membershipStats(node);
      active[s.active] = (active[s.active] || 0) + 1;
      passive[s.passive] = (passive[s.passive] || 0) + 1;
      for (const [k, v] of Object.entries(node.metrics)) {
        if (k.startsWith('bytes.') || k.startsWith('msgs.') || k === 'frames.in') continue;
        counters[k] = (counters[k] || 0) + v;
      }
    }
    const sortedCounters: Record<string, number> = {};
    for (const k of Object.keys(counters).sort()) sortedCounters[k] = counters[k];
    const dropped: Record<string, number> = {};
    for (const k of Object.keys(m.dropped).sort()) dropped[k] = m.dropped[k];
    const step = Math.max(1, Math.floor(live.length / 50));
    let memSum = 0;
    let memMax = 0;
    let memN = 0;
    for (let k = 0; k < live.length; k += step) {
      const b = estimateBytes(this.nodes[live[k]]);
      memSum += b;
      if (b > memMax) memMax = b;
      memN++;
    }
    const total = m.total;
    const bpn = m.bytesPerNode(this.started);
    const byLayer: Record<string, number> = {};
    LAYER_NAMES.forEach((name, k) => (byLayer[name] = m.layer[k]));
    const totalSplit: ByteSplit = { control: total[0], payload: total[1], delta: total[2], state: total[3], total: total[0] + total[1] + total[2] + total[3] };
    return {
      seed: this.seed,
      nodes: this.n,
      time: r3(this.now),
      events: this.events,
      broadcast: m.broadcasts((i, at) => this.owed(i, at), startedCount, this.now),
      crdt,
      bytes: { perNode: bpn.mean, maxNode: bpn.max, total: totalSplit, byLayer, overhead: total[1] > 0 ? r3(total[0] / total[1]) : 0 },
      frames: m.framesTotal(),
      overlay: { final: this.overlay(), active, passive },
      series: m.series,
      links: { ...this.links.drops },
      dropped,
      counters: sortedCounters,
      memory: { bytesPerNode: memN ? Math.round(memSum / memN) : 0, maxNode: memMax, sampled: memN },
    };
  }
}
