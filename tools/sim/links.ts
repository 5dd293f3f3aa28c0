/**
 * The simulated network between nodes: what happens to a frame between `send` and its arrival. One model for
 * every directed link of a run (a scenario may give every link the same conditions; per-pair conditions are
 * not modelled).
 *
 *   const links = new Links({ latency: { dist: 'uniform', min: 5, max: 30 }, loss: 0.3, dup: 0.1 }, 100, rand);
 *   const at = links.transmit(0, 7, 120, now); // arrival time of the first copy, or -1 when it is lost
 *   if (links.dupAt >= 0) ...                  // a second copy arrives then
 *
 * In order, for each frame:
 * 1. partition: a frame between two sides of an active cut is dropped (and again at arrival, so a cut also
 *    loses what was in flight across it);
 * 2. bandwidth: the sender serialises frames one after another at `bandwidth` bits/s ('node': one radio
 *    shared by all its links, 'link': one per directed link). Frames wait in a FIFO of `queue` bytes; a frame
 *    that does not fit is dropped (drop-tail: what is already queued keeps its place, like a full socket buffer);
 * 3. loss with probability `loss`;
 * 4. latency: a draw from `latency` after serialisation ends; with probability `reorder` the copy is held an
 *    extra `reorderDelay`, so later frames overtake it (jittered latency reorders frames on its own as well);
 * 5. duplication with probability `dup`: a second copy with its own latency draw.
 */
import { type Dist, Random, checkDist } from './random.ts';

export interface LinkConfig {
  /** One-way delay in ms after serialisation. Default uniform 5–30 ms: MQTT through a LAN broker or a BLE hop. */
  latency: Dist;
  /** Bits per second; 0 for unlimited (no serialisation delay). */
  bandwidth: number;
  /** Whose serialiser a frame waits for: 'node' (one radio per node, the default) or 'link' (per peer). */
  bandwidthScope: 'node' | 'link';
  /** Bytes that may wait for serialisation; a frame past it is dropped (drop-tail). 64 KB, a socket buffer. */
  queue: number;
  /** Probability a frame is lost. */
  loss: number;
  /** Probability a frame arrives twice. */
  dup: number;
  /** Probability a frame is held back by `reorderDelay`. */
  reorder: number;
  /** Extra delay of a held-back frame. Default uniform 0–200 ms: several frames' worth of overtaking. */
  reorderDelay: Dist;
}

export const LINK_DEFAULTS: LinkConfig = {
  latency: { dist: 'uniform', min: 5, max: 30 },
  bandwidth: 0,
  bandwidthScope: 'node',
  queue: 65536,
  loss: 0,
  dup: 0,
  reorder: 0,
  reorderDelay: { dist: 'uniform', min: 0, max: 200 },
};

/** A cut of the network from `at` until `heal` (ms). Nodes on different sides cannot exchange frames. */
export interface Partition {
  at: number;
  /** When it heals; omitted: never. */
  heal?: number;
  /** Sides by node id; nodes listed nowhere form one more side together. */
  groups?: string[][];
  /** Or: the first ⌈split·N⌉ nodes (by index) on one side, the rest on the other. */
  split?: number;
}

/** Why frames did not arrive, counted over the run. */
export interface LinkDrops {
  loss: number;
  queue: number;
  partition: number;
  /** Sent to a node that is down (crashed, or not yet joined). */
  down: number;
  /** Sent to an id that no node of the run has. */
  unknown: number;
}

export function linkConfig(c: Partial<LinkConfig> | undefined): LinkConfig {
  const out: LinkConfig = { ...LINK_DEFAULTS };
  if (!c) return out;
  for (const k of Object.keys(c) as (keyof LinkConfig)[]) {
    if (!(k in LINK_DEFAULTS)) throw new Error('link: unknown knob "' + k + '" (' + Object.keys(LINK_DEFAULTS).join(', ') + ')');
    if (c[k] !== undefined) (out as any)[k] = c[k];
  }
  for (const k of ['latency', 'reorderDelay'] as const) {
    const e = checkDist(out[k], 'link.' + k);
    if (e) throw new Error(e);
  }
  for (const k of ['loss', 'dup', 'reorder'] as const) {
    if (!(out[k] >= 0 && out[k] <= 1)) throw new Error('link.' + k + ' must be a probability in [0, 1], not ' + out[k]);
  }
  if (!(out.bandwidth >= 0)) throw new Error('link.bandwidth must be ≥ 0 bits/s');
  if (!(out.queue > 0)) throw new Error('link.queue must be > 0 bytes');
  if (out.bandwidthScope !== 'node' && out.bandwidthScope !== 'link') throw new Error("link.bandwidthScope is 'node' or 'link'");
  return out;
}

export class Links {
  readonly cfg: LinkConfig;
  readonly drops: LinkDrops = { loss: 0, queue: 0, partition: 0, down: 0, unknown: 0 };
  /** Arrival of the duplicate of the last transmit, or -1. */
  dupAt = -1;
  private rand: Random;
  private n: number;
  /** When each serialiser is free again (ms), by node or by directed link. */
  private busyNode: Float64Array | null = null;
  private busyLink: Map<number, number> | null = null;
  /** Side of each node in each active cut. */
  private cuts: { part: Partition; side: Int32Array }[] = [];
  /** When a fixed topology is set: the allowed directed pairs (a * n + b). */
  private allowed: Set<number> | null = null;

  constructor(cfg: LinkConfig, n: number, rand: Random) {
    this.cfg = cfg;
    this.n = n;
    this.rand = rand;
    if (cfg.bandwidth > 0) {
      if (cfg.bandwidthScope === 'node') this.busyNode = new Float64Array(n);
      else this.busyLink = new Map();
    }
  }

  /** Start a cut; `index` maps node ids to indices. */
  cut(part: Partition, index: (id: string) => number): void {
    const side = new Int32Array(this.n);
    if (part.groups) {
      side.fill(part.groups.length);
      part.groups.forEach((g, k) => {
        for (const id of g) {
          const i = index(id);
          if (i >= 0) side[i] = k;
        }
      });
    } else {
      const m = Math.ceil((part.split ?? 0.5) * this.n);
      for (let i = 0; i < this.n; i++) side[i] = i < m ? 0 : 1;
    }
    this.cuts.push({ part, side });
  }

  heal(part: Partition): void {
    this.cuts = this.cuts.filter((c) => c.part !== part);
  }

  /** Allow frames only between adjacent nodes (topology.ts); everything else is dropped as cut. */
  restrict(adj: number[][]): void {
    this.allowed = new Set();
    adj.forEach((ns, a) => ns.forEach((b) => (this.allowed as Set<number>).add(a * this.n + b)));
  }

  /** Are a and b on different sides of an active cut, or not adjacent in a fixed topology? */
  blocked(a: number, b: number): boolean {
    if (this.allowed !== null && !this.allowed.has(a * this.n + b)) return true;
    for (let k = 0; k < this.cuts.length; k++) if (this.cuts[k].side[a] !== this.cuts[k].side[b]) return true;
    return false;
  }

  get partitioned(): boolean {
    return this.cuts.length > 0 || this.allowed !== null;
  }

  /**
   * Put a frame of `size` bytes on the link from `from` to `to` at `now`: returns the first copy's arrival time,
   * or -1 when it is dropped (counted in `drops`); sets `dupAt`.
   */
  transmit(from: number, to: number, size: number, now: number): number {
    this.dupAt = -1;
    const c = this.cfg;
    if (this.partitioned && this.blocked(from, to)) {
      this.drops.partition++;
      return -1;
    }
    let depart = now;
    if (c.bandwidth > 0) {
      const key = to * this.n + from;
      const free = this.busyNode ? this.busyNode[from] : (this.busyLink as Map<number, number>).get(key) ?? 0;
      const start = free > now ? free : now;
      // Bytes still waiting ahead of this frame: what the serialiser has left to send.
      const backlog = ((start - now) * c.bandwidth) / 8000;
      if (backlog + size > c.queue) {
        this.drops.queue++;
        return -1;
      }
      depart = start + (size * 8000) / c.bandwidth;
      if (this.busyNode) this.busyNode[from] = depart;
      else (this.busyLink as Map<number, number>).set(key, depart);
    }
    if (this.rand.chance(c.loss)) {
      this.drops.loss++;
      return -1;
    }
    const at = this.arrival(depart);
    if (this.rand.chance(c.dup)) this.dupAt = this.arrival(depart);
    return at;
  }

  private arrival(depart: number): number {
    let at = depart + this.rand.draw(this.cfg.latency);
    if (this.rand.chance(this.cfg.reorder)) at += this.rand.draw(this.cfg.reorderDelay);
    return at;
  }
}
