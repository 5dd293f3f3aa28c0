/**
 * The measures of ARCHITECTURE.md ("Where the measures come from"), gathered while a simulation runs: the simulator calls `onSend`,
 * `onDeliver`, `onChanged` as outputs come out of `step`, and `sample` every sampling period.
 *
 *   const m = new Measures(ids);
 *   m.onSend(0, CLS_PAYLOAD, bytes, now);          // bytes per node split state/delta/control/payload
 *   m.onDeliver(3, 'n0:0:5', 'n0', 2, now);        // RMR, LDH, missed
 *   m.onChanged(3, now);                           // convergence time, divergence
 *
 * Definitions, per broadcast message m (the origin counts as a receiver, hops 0):
 * - RMR(m) = payload messages sent for m / (receivers(m) − 1) − 1 (Leitão et al., SRDS 2007), counting every
 *   GOSSIP frame that carries m, eager pushes and GRAFT answers alike, lost on the link or not;
 * - LDH(m) = the largest hop count of a first delivery of m;
 * - missed(m) = nodes that should have received m and did not: those up, and joined, from the broadcast until the
 *   end of the run (the paper's "correct" nodes).
 * Convergence time: from the last update until the last 'changed' event of the run, provided every live replica
 * then holds the same state (states only inflate, so the last change anywhere is when the last replica caught
 * up). Divergence at a sample: the share of live replicas whose state differs from the final one.
 */
import { encode } from '../../crdt/codec/cbor.ts';
import type { Item } from '../../crdt/types.ts';
import { fnv1a } from '../../runtime/digest.ts';
import { GOSSIP, LAYER_ANTIENTROPY, LAYER_PLUMTREE, layerOf as typeLayer } from '../../runtime/messages.ts';
import { CLS_CONTROL, CLS_DELTA, CLS_PAYLOAD, CLS_STATE } from '../../runtime/io.ts';
import type { PollenNode } from '../../runtime/node.ts';
import { ids as storeIds } from '../../runtime/store.ts';

interface Bcast {
  id: string;
  label: string;
  origin: number;
  at: number;
  /** One bit per node: has it had its first delivery? */
  seen: Uint8Array;
  receivers: number;
  ldh: number;
  payloadMsgs: number;
  /** Time of the last first-delivery. */
  lastAt: number;
}

export interface Summary {
  mean: number;
  max: number;
  min: number;
}

export interface BroadcastResult {
  messages: number;
  /** Deliveries owed: Σ over messages of the nodes that should receive it. */
  expected: number;
  delivered: number;
  missed: number;
  /** delivered / expected, 1 when nothing was owed. */
  deliveryRatio: number;
  /** Messages that at least one owed node missed. */
  incomplete: number;
  rmr: Summary;
  ldh: Summary;
  /** ms from the broadcast to its last first-delivery. */
  latency: Summary;
  /** Bytes sent per started node while this workload ran (from its start to the next workload or the end). */
  bytesPerNode: ByteSplit;
}

export interface ByteSplit {
  control: number;
  payload: number;
  delta: number;
  state: number;
  total: number;
}

export interface OverlayStats {
  alive: number;
  /** Live, joined nodes whose active view is empty. */
  isolated: number;
  /** Directed active links a→b, b live, that b does not hold as b→a. */
  asymmetric: number;
  /** Active links to nodes that are down. */
  dangling: number;
  /** Connected components of the live nodes over active links (taken as undirected). */
  components: number;
  largest: number;
}

export interface Series {
  t: number[];
  alive: number[];
  isolated: number[];
  asymmetric: number[];
  dangling: number[];
  components: number[];
  /** Share of live replicas whose state differs from the final state (CRDT runs; empty otherwise). */
  divergence: number[];
}

/** Round to 3 decimals, so results print short and stay stable. */
export function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function summary(xs: number[]): Summary {
  if (xs.length === 0) return { mean: 0, max: 0, min: 0 };
  let s = 0;
  let mx = -Infinity;
  let mn = Infinity;
  for (const x of xs) {
    s += x;
    if (x > mx) mx = x;
    if (x < mn) mn = x;
  }
  return { mean: r3(s / xs.length), max: r3(mx), min: r3(mn) };
}

function split(v: ArrayLike<number>, div: number): ByteSplit {
  const d = div > 0 ? div : 1;
  return {
    control: r3(v[CLS_CONTROL] / d),
    payload: r3(v[CLS_PAYLOAD] / d),
    delta: r3(v[CLS_DELTA] / d),
    state: r3(v[CLS_STATE] / d),
    total: r3((v[0] + v[1] + v[2] + v[3]) / d),
  };
}

/** The message id of a GOSSIP frame, read from its first bytes without decoding the payload; null if not one. */
export function peekGossipId(b: Uint8Array): string | null {
  // [VERSION, type, sender, incarnation, [msgId, hops, payload]] in deterministic CBOR.
  let p = 0;
  const head = (): number => {
    if (p >= b.length) return -1;
    const ib = b[p++];
    const ai = ib & 31;
    let v = ai;
    if (ai === 24) v = b[p++];
    else if (ai === 25) {
      v = (b[p] << 8) | b[p + 1];
      p += 2;
    } else if (ai === 26) {
      v = ((b[p] << 24) >>> 0) + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
      p += 4;
    } else if (ai > 26) return -1;
    return (ib >> 5) * 0x100000000 + v;
  };
  const M = 0x100000000;
  if (head() !== 4 * M + 5) return null;
  const ver = head();
  if (ver < 0 || ver >= M) return null;
  if (head() !== GOSSIP) return null;
  const s = head();
  if (Math.floor(s / M) !== 3) return null;
  p += s % M;
  const inc = head();
  if (inc < 0 || inc >= M) return null;
  if (head() !== 4 * M + 3) return null;
  const id = head();
  if (Math.floor(id / M) !== 3) return null;
  const len = id % M;
  if (p + len > b.length) return null;
  let out = '';
  for (let i = 0; i < len; i++) out += String.fromCharCode(b[p + i]);
  return out;
}

export const LAYER_NAMES = ['membership', 'plumtree', 'antientropy'] as const;

/** The layer of a frame (an index of LAYER_NAMES) by its message type, read from the envelope's third byte and
 *  placed by runtime/messages.ts's layerOf; a type no layer takes counts as membership. */
export function layerOf(b: Uint8Array): number {
  // 0x85 (array of 5), 0x01 (VERSION), then the type: one byte below 24, or 0x18 and one byte.
  const t = b[2] < 24 ? b[2] : b[2] === 24 ? b[3] : 0;
  const l = typeLayer(t);
  return l === LAYER_PLUMTREE ? 1 : l === LAYER_ANTIENTROPY ? 2 : 0;
}

/** A digest of all of a node's variables: the basis of divergence samples. */
export function stateDigest(node: PollenNode): number {
  const names = storeIds(node.store);
  let h = 0x811c9dc5;
  for (const k of names) {
    const v = node.store.vars[k];
    h = Math.imul(h ^ fnv1a(encode(v.type.encode(v.state))), 16777619) >>> 0;
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 16777619) >>> 0;
  }
  return h;
}

/** The exact state of all a node's variables as a string (deterministic CBOR: equal states, equal bytes). */
export function stateKey(node: PollenNode): string {
  const names = storeIds(node.store);
  const parts: Item[] = [];
  for (const k of names) {
    const v = node.store.vars[k];
    parts.push([k, v.spec, v.type.encode(v.state)]);
  }
  return Buffer.from(encode(parts)).toString('base64');
}

/**
 * A rough, deterministic estimate of the bytes a node's own objects hold on a 64-bit V8 (pointers compressed to 4
 * bytes, small integers inline, 8 bytes per heap number, one byte per ASCII character). Shared objects (the CRDT
 * type tables, the membership manager's functions) are not counted. It is an estimate for comparing
 * configurations, not a heap snapshot.
 */
export function estimateBytes(root: unknown): number {
  const seen = new Set<object>();
  let total = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || x === undefined) continue;
    const t = typeof x;
    if (t === 'number') {
      total += Number.isInteger(x) && Math.abs(x as number) < 2 ** 30 ? 0 : 12;
      continue;
    }
    if (t === 'string') {
      total += 12 + (((x as string).length + 3) & ~3);
      continue;
    }
    if (t !== 'object') continue;
    const o = x as object;
    if (seen.has(o)) continue;
    seen.add(o);
    if (ArrayBuffer.isView(o)) {
      total += 64 + (o as ArrayBufferView).byteLength;
      continue;
    }
    if (Array.isArray(o)) {
      total += 16 + 4 * o.length;
      for (const e of o) stack.push(e);
      continue;
    }
    const ks = Object.keys(o);
    total += 12 + 4 * ks.length + (ks.length > 8 ? 8 * ks.length : 0);
    for (const k of ks) {
      if (k === 'mem' || k === 'type') continue;
      stack.push((o as any)[k]);
    }
  }
  return total;
}

/** Overlay health over the live nodes' neighbour lists (null for a node that is down). */
export function overlayStats(nbrs: (string[] | null)[], ids: string[], index: (id: string) => number): OverlayStats {
  const n = nbrs.length;
  let alive = 0;
  let isolated = 0;
  let asym = 0;
  let dangling = 0;
  // Union-find over live nodes.
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (let i = 0; i < n; i++) {
    const ns = nbrs[i];
    if (ns === null) continue;
    alive++;
    if (ns.length === 0) isolated++;
    for (const p of ns) {
      const j = index(p);
      if (j < 0 || nbrs[j] === null) {
        dangling++;
        continue;
      }
      if ((nbrs[j] as string[]).indexOf(ids[i]) < 0) asym++;
      const a = find(i);
      const b = find(j);
      if (a !== b) parent[a] = b;
    }
  }
  const size = new Int32Array(n);
  let components = 0;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    if (nbrs[i] === null) continue;
    const r = find(i);
    if (size[r] === 0) components++;
    size[r]++;
    if (size[r] > largest) largest = size[r];
  }
  return { alive, isolated, asymmetric: asym, dangling, components, largest };
}

export class Measures {
  readonly n: number;
  readonly ids: string[];
  /** Bytes and frames sent, per node and class: [node * 4 + cls]. */
  readonly bytes: Float64Array;
  readonly frames: Float64Array;
  /** Run totals per class, and their value at the last 'changed' event. */
  readonly total = new Float64Array(4);
  readonly totalAtLastChange = new Float64Array(4);
  /** Bytes by layer (membership and overlay health, Plumtree, anti-entropy), and at the last 'changed' event. */
  readonly layer = new Float64Array(3);
  readonly layerAtLastChange = new Float64Array(3);
  /** Run totals when the first update was made (the start of "bytes to converge"). */
  readonly totalAtFirstUpdate = new Float64Array(4);
  readonly layerAtFirstUpdate = new Float64Array(3);
  /** Label under which the origin's first delivery registers a broadcast (set by the driver around commands). */
  label = '';
  private byId = new Map<string, Bcast>();
  private bcasts: Bcast[] = [];
  redelivered = 0;
  /** CRDT tracking. */
  updates = 0;
  firstUpdate = -1;
  lastUpdate = -1;
  lastChange = -1;
  private dirty: Uint8Array;
  private digest: Float64Array;
  private samples: Map<number, number>[] = [];
  readonly series: Series = { t: [], alive: [], isolated: [], asymmetric: [], dangling: [], components: [], divergence: [] };
  /** 'dropped' events from nodes, by reason. */
  readonly dropped: Record<string, number> = {};
  /** Byte totals at the start of each workload label. */
  private marks: { label: string; at: number; total: Float64Array }[] = [];

  constructor(ids: string[]) {
    this.ids = ids;
    this.n = ids.length;
    this.bytes = new Float64Array(this.n * 4);
    this.frames = new Float64Array(this.n * 4);
    this.dirty = new Uint8Array(this.n).fill(1);
    this.digest = new Float64Array(this.n);
  }

  onSend(i: number, cls: number, b: Uint8Array): void {
    const c = cls >= 0 && cls < 4 ? cls : CLS_CONTROL;
    this.bytes[i * 4 + c] += b.length;
    this.frames[i * 4 + c]++;
    this.total[c] += b.length;
    this.layer[layerOf(b)] += b.length;
    if (c === CLS_PAYLOAD && this.byId.size > 0) {
      const id = peekGossipId(b);
      if (id !== null) {
        const m = this.byId.get(id);
        if (m) m.payloadMsgs++;
      }
    }
  }

  onDeliver(i: number, msgId: string, hops: number, now: number): void {
    let m = this.byId.get(msgId);
    if (!m) {
      // Only broadcasts seen at their origin (hops 0) while the driver ran a workload are tracked.
      if (hops !== 0 || this.label === '') return;
      m = { id: msgId, label: this.label, origin: i, at: now, seen: new Uint8Array((this.n + 7) >> 3), receivers: 0, ldh: 0, payloadMsgs: 0, lastAt: now };
      this.byId.set(msgId, m);
      this.bcasts.push(m);
    }
    const bit = 1 << (i & 7);
    if (m.seen[i >> 3] & bit) {
      this.redelivered++;
      return;
    }
    m.seen[i >> 3] |= bit;
    m.receivers++;
    if (hops > m.ldh) m.ldh = hops;
    m.lastAt = now;
  }

  onUpdate(now: number): void {
    this.updates++;
    if (this.firstUpdate < 0) {
      this.firstUpdate = now;
      this.totalAtFirstUpdate.set(this.total);
      this.layerAtFirstUpdate.set(this.layer);
    }
    this.lastUpdate = now;
  }

  onChanged(i: number, now: number): void {
    this.dirty[i] = 1;
    this.lastChange = now;
    this.totalAtLastChange.set(this.total);
    this.layerAtLastChange.set(this.layer);
  }

  /** A node (re)started with a store that may differ from before. */
  touch(i: number): void {
    this.dirty[i] = 1;
  }

  onDropped(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] || 0) + 1;
  }

  mark(label: string, now: number): void {
    this.marks.push({ label, at: now, total: Float64Array.from(this.total) });
  }

  /** One sample of overlay health and (when `states`) of replica divergence. */
  sample(now: number, nodes: (PollenNode | null)[], nbrs: (string[] | null)[], index: (id: string) => number, states: boolean): void {
    const o = overlayStats(nbrs, this.ids, index);
    const s = this.series;
    s.t.push(r3(now));
    s.alive.push(o.alive);
    s.isolated.push(o.isolated);
    s.asymmetric.push(o.asymmetric);
    s.dangling.push(o.dangling);
    s.components.push(o.components);
    if (!states) return;
    const counts = new Map<number, number>();
    for (let i = 0; i < this.n; i++) {
      const node = nodes[i];
      if (!node) continue;
      if (this.dirty[i]) {
        this.digest[i] = stateDigest(node);
        this.dirty[i] = 0;
      }
      counts.set(this.digest[i], (counts.get(this.digest[i]) || 0) + 1);
    }
    this.samples.push(counts);
  }

  /** Finish the divergence series against the final digest (the one most live replicas hold at the end). */
  finishDivergence(nodes: (PollenNode | null)[]): void {
    const counts = new Map<number, number>();
    for (let i = 0; i < this.n; i++) {
      const node = nodes[i];
      if (!node) continue;
      const d = stateDigest(node);
      counts.set(d, (counts.get(d) || 0) + 1);
    }
    let best = -1;
    let bestN = -1;
    for (const [d, c] of counts) if (c > bestN || (c === bestN && d < best)) [best, bestN] = [d, c];
    this.series.divergence = this.samples.map((m) => {
      let live = 0;
      for (const c of m.values()) live += c;
      return live === 0 ? 0 : r3(1 - (m.get(best) || 0) / live);
    });
  }

  /**
   * Broadcast results per workload label. `owed(i, at)`: should node i have received a message broadcast at `at`
   * (up and joined from then to the end)?
   */
  broadcasts(owed: (i: number, at: number) => boolean, started: number, end: number): Record<string, BroadcastResult> {
    const out: Record<string, BroadcastResult> = {};
    const labels = [...new Set(this.bcasts.map((b) => b.label))];
    for (const label of labels) {
      const ms = this.bcasts.filter((b) => b.label === label);
      let expected = 0;
      let delivered = 0;
      let incomplete = 0;
      const rmr: number[] = [];
      const ldh: number[] = [];
      const lat: number[] = [];
      for (const m of ms) {
        let owedHere = 0;
        let got = 0;
        for (let i = 0; i < this.n; i++) {
          if (!owed(i, m.at)) continue;
          owedHere++;
          if (m.seen[i >> 3] & (1 << (i & 7))) got++;
        }
        expected += owedHere;
        delivered += got;
        if (got < owedHere) incomplete++;
        if (m.receivers > 1) rmr.push(m.payloadMsgs / (m.receivers - 1) - 1);
        ldh.push(m.ldh);
        lat.push(m.lastAt - m.at);
      }
      out[label] = {
        messages: ms.length,
        expected,
        delivered,
        missed: expected - delivered,
        deliveryRatio: expected === 0 ? 1 : r3(delivered / expected),
        incomplete,
        rmr: summary(rmr),
        ldh: summary(ldh),
        latency: summary(lat),
        bytesPerNode: this.bytesOf(label, started, end),
      };
    }
    return out;
  }

  /** Bytes per started node from the mark of `label` to the next mark (or the end). */
  bytesOf(label: string, started: number, _end: number): ByteSplit {
    const k = this.marks.findIndex((m) => m.label === label);
    if (k < 0) return split([0, 0, 0, 0], 1);
    const from = this.marks[k].total;
    const to = k + 1 < this.marks.length ? this.marks[k + 1].total : this.total;
    return split([to[0] - from[0], to[1] - from[1], to[2] - from[2], to[3] - from[3]], started);
  }

  /** Bytes per node over the whole run: the mean over started nodes and the largest. */
  bytesPerNode(started: Uint8Array): { mean: ByteSplit; max: ByteSplit } {
    const sum = [0, 0, 0, 0];
    const max = [0, 0, 0, 0];
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (!started[i]) continue;
      k++;
      for (let c = 0; c < 4; c++) {
        const v = this.bytes[i * 4 + c];
        sum[c] += v;
        if (v > max[c]) max[c] = v;
      }
    }
    return { mean: split(sum, k), max: split(max, 1) };
  }

  framesTotal(): ByteSplit {
    const t = [0, 0, 0, 0];
    for (let i = 0; i < this.n; i++) for (let c = 0; c < 4; c++) t[c] += this.frames[i * 4 + c];
    return split(t, 1);
  }
}
