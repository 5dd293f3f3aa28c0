/**
 * A pump for Plumtree alone (no membership, no codec): nodes on a fixed overlay exchange (type, body) items
 * through a seeded event queue with latency, optional loss and dead links. Bodies are deep-copied in flight so
 * aliasing between nodes' states shows up as a bug. It records every delivery and every payload message, which
 * is what RMR, LDH and missed need (ARCHITECTURE.md, "Where the measures come from").
 *
 *   const p = new PlumPump({ seed: 1 }, ['a', 'b']);
 *   p.link('a', 'b');
 *   const id = p.broadcast('a', 'x'); p.runFor(1000);
 *   p.receivers(id); // 2
 */
import type { Item } from '../../crdt/types.ts';
import type { Ctx } from '../../runtime/context.ts';
import type { NodeEvent, PeerId } from '../../runtime/io.ts';
import { GOSSIP } from '../../runtime/messages.ts';
import { below, float, rng, type Rng } from '../../runtime/rng.ts';
import * as pt from '../../runtime/plumtree.ts';
import { takeNext } from './evqueue.ts';

interface Ev {
  at: number;
  n: number;
  to: PeerId;
  from: PeerId;
  timer: string | null;
  gen: number;
  type: number;
  body: Item;
}

export interface PumpOptions {
  seed: number;
  /** Uniform per-message latency range, ms. */
  latency?: [number, number];
  /** Probability that a message is lost. */
  loss?: number;
  config?: Partial<pt.PlumtreeConfig>;
}

export interface Sent {
  at: number;
  from: PeerId;
  to: PeerId;
  type: number;
  body: Item;
}

export class PlumPump {
  now = 0;
  states: { [id: string]: pt.PlumtreeState } = {};
  /** msgId → node → hops of its delivery; a second delivery at one node is counted in `redelivered`. */
  deliveries: { [msgId: string]: { [node: string]: number } } = {};
  redelivered = 0;
  /** Payload (GOSSIP) messages per msgId. */
  payloadMsgs: { [msgId: string]: number } = {};
  /** Messages sent per type. */
  sentByType: { [type: number]: number } = {};
  counters: { [node: string]: { [name: string]: number } } = {};
  log: Sent[] | null = null;
  /** Directed links that silently lose everything ("from\0to"). */
  dead: { [key: string]: boolean } = {};
  latency: [number, number];
  loss: number;
  private q: Ev[] = [];
  private n = 0;
  private r: Rng;
  private rngs: { [id: string]: Rng } = {};
  private timers: { [key: string]: number } = {};
  private gen = 0;

  constructor(o: PumpOptions, ids: PeerId[]) {
    this.r = rng(o.seed);
    this.latency = o.latency ?? [5, 30];
    this.loss = o.loss ?? 0;
    for (let i = 0; i < ids.length; i++) {
      this.states[ids[i]] = pt.init(ids[i], o.config);
      this.rngs[ids[i]] = rng(o.seed * 1000 + i);
      this.counters[ids[i]] = {};
    }
  }

  private rand(): number {
    return float(this.r);
  }

  ctx(self: PeerId): Ctx {
    const pump = this;
    return {
      now: this.now,
      self: self,
      incarnation: 0,
      rng: this.rngs[self],
      send(to: PeerId, type: number, body: Item): void {
        pump.sentByType[type] = (pump.sentByType[type] || 0) + 1;
        if (type === GOSSIP) {
          const id = (body as Item[])[0] as string;
          pump.payloadMsgs[id] = (pump.payloadMsgs[id] || 0) + 1;
        }
        if (pump.log) pump.log.push({ at: pump.now, from: self, to: to, type: type, body: body });
        if (pump.dead[self + '\u0000' + to] || !pump.states[to]) return;
        if (pump.loss > 0 && pump.rand() < pump.loss) return;
        const lat = pump.latency[0] + pump.rand() * (pump.latency[1] - pump.latency[0]);
        pump.q.push({ at: pump.now + lat, n: pump.n++, to: to, from: self, timer: null, gen: 0, type: type, body: structuredClone(body) });
      },
      setTimer(id: string, at: number): void {
        const g = ++pump.gen;
        pump.timers[self + '\u0000' + id] = g;
        pump.q.push({ at: Math.max(at, pump.now), n: pump.n++, to: self, from: self, timer: id, gen: g, type: 0, body: null });
      },
      cancelTimer(id: string): void {
        delete pump.timers[self + '\u0000' + id];
      },
      emit(ev: NodeEvent): void {
        if (ev.type !== 'deliver') return;
        const d = pump.deliveries[ev.msgId] || (pump.deliveries[ev.msgId] = {});
        if (d[self] !== undefined) pump.redelivered++;
        else d[self] = ev.hops;
      },
      count(name: string, k: number): void {
        const c = pump.counters[self];
        c[name] = (c[name] || 0) + k;
      },
    };
  }

  /** A symmetric overlay link: each side learns of the other. */
  link(a: PeerId, b: PeerId): void {
    pt.neighborUp(this.states[a], this.ctx(a), b);
    pt.neighborUp(this.states[b], this.ctx(b), a);
  }

  /** Both directions of a link lose everything, and neither side is told. */
  kill(a: PeerId, b: PeerId): void {
    this.dead[a + '\u0000' + b] = true;
    this.dead[b + '\u0000' + a] = true;
  }

  broadcast(from: PeerId, payload: Item): string {
    return pt.broadcast(this.states[from], this.ctx(from), payload);
  }

  /** Run every event up to `until` (ms), in time order (ties in the order they were queued). */
  run(until: number): void {
    for (let e = takeNext(this.q, until); e; e = takeNext(this.q, until)) {
      this.now = e.at;
      if (e.timer !== null) {
        const key = e.to + '\u0000' + e.timer;
        if (this.timers[key] !== e.gen) continue;
        delete this.timers[key];
        if (!pt.onTimer(this.states[e.to], this.ctx(e.to), e.timer)) throw new Error('timer not taken: ' + e.timer);
      } else if (!pt.onMessage(this.states[e.to], this.ctx(e.to), e.from, e.type, e.body)) {
        throw new Error('message type not taken: ' + e.type);
      }
    }
    this.now = Math.max(this.now, until);
  }

  runFor(ms: number): void {
    this.run(this.now + ms);
  }

  receivers(msgId: string): number {
    return Object.keys(this.deliveries[msgId] || {}).length;
  }

  /** Hops of the last delivery (LDH). */
  ldh(msgId: string): number {
    const d = this.deliveries[msgId] || {};
    let m = 0;
    for (const k of Object.keys(d)) if (d[k] > m) m = d[k];
    return m;
  }

  /** RMR = payload messages / (receivers − 1) − 1 (ARCHITECTURE.md). */
  rmr(msgId: string): number {
    return (this.payloadMsgs[msgId] || 0) / (this.receivers(msgId) - 1) - 1;
  }
}

/** A random symmetric graph where every node has `degree` neighbours where the draw allows (5-regular-ish). */
export function overlay(ids: string[], degree: number, seed: number): [string, string][] {
  const r = rng(seed);
  const adj: { [id: string]: string[] } = {};
  for (const id of ids) adj[id] = [];
  const edges: [string, string][] = [];
  for (const a of ids) {
    while (adj[a].length < degree) {
      const c = ids.filter((b) => b !== a && adj[b].length < degree && adj[a].indexOf(b) < 0);
      if (c.length === 0) break;
      const b = c[below(r, c.length)];
      adj[a].push(b);
      adj[b].push(a);
      edges.push([a, b]);
    }
  }
  // The greedy pass can leave a node short of neighbours; split a random link between it and the ends, so a
  // node with one or two links (and so one or two chances to hear of a message) is not left to luck.
  for (let tries = 0; tries < 1000; tries++) {
    const a = ids.find((x) => adj[x].length <= degree - 2);
    if (a === undefined) break;
    const e = edges[below(r, edges.length)];
    if (e[0] === a || e[1] === a || adj[a].indexOf(e[0]) >= 0 || adj[a].indexOf(e[1]) >= 0) continue;
    edges.splice(edges.indexOf(e), 1);
    adj[e[0]].splice(adj[e[0]].indexOf(e[1]), 1);
    adj[e[1]].splice(adj[e[1]].indexOf(e[0]), 1);
    for (const b of e) {
      adj[a].push(b);
      adj[b].push(a);
      edges.push([a, b]);
    }
  }
  for (const id of ids) if (adj[id].length < degree - 1) throw new Error(id + ' has only ' + adj[id].length + ' neighbours');
  // Callers count on one component: check it rather than hope.
  const seen: { [id: string]: boolean } = { [ids[0]]: true };
  const stack = [ids[0]];
  while (stack.length > 0) for (const b of adj[stack.pop() as string]) if (!seen[b]) { seen[b] = true; stack.push(b); }
  if (Object.keys(seen).length !== ids.length) throw new Error('overlay is not connected');
  return edges;
}
