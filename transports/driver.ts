/**
 * The node driver: runs a sans-IO Pollen node (runtime/node.ts) for real, with real timers and one or more links
 * at once (a gateway may hold MQTT, serial and BLE together; its node sees the peers of all of them). It holds no
 * protocol logic (shared/DESIGN.md §2): a frame from a link goes in as a 'frame' input, a peer coming or going as
 * a 'link' input, an expired timer as a 'timer' input, an application call as a 'command'; and it carries out
 * what `step` returns: sends go to a link, timers are set and cancelled, events reach the application.
 *
 *   const broker = await startBroker();
 *   const link = await mqttLink({ id: 'a', url: broker.url, protocolVersion: 4 });
 *   const node = await createNode({ id: 'a', links: [link], contacts: ['seed'], store: fileStore('a.pollen') });
 *   node.declare('hits', 'gcounter');
 *   node.update('hits', 'inc', [1]);
 *   node.on('changed', (e) => console.log(e.id, node.query(e.id)));
 *   await node.read('hits', { atLeast: ... });   // resolves once the replica has reached that state
 *   await node.close();                          // DISCONNECT to every neighbour, state saved, links closed
 *
 * Reachability: the node hears a peer 'up' when the first of its links reaches it, 'down' when the last loses it.
 *
 * Routing a send: the first link (in the order given) that reports the peer up; else the link the peer was last
 * heard on; else the first link (an MQTT link can reach a peer it has not yet seen present). A link that cannot
 * deliver drops the frame and counts it; Plumtree and anti-entropy repair the loss.
 *
 * Re-entrance: the application may call the node from an event handler. Each step's sends and timers are carried
 * out before its events are emitted, so a nested step never has its timers overwritten by an older step's.
 *
 * Persistence (`store`): the node's snapshot (its variables, not its peers) and its incarnation number are saved
 * every `saveEvery` ms after a change and at close, and loaded at start. The incarnation grows at every start
 * (the larger of the saved one plus one and the seconds since 2020), so peers can tell a restarted node's messages
 * from those of its earlier life; without a store it is the clock's part alone.
 */
import { rename, readFile, writeFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import type { Item } from '../crdt/types.ts';
import { encode, decode } from '../crdt/codec/cbor.ts';
import { createNode as createRuntimeNode, step, read as valueOf, stateOf, neighbors, metrics, snapshot, type NodeConfig, type PollenNode } from '../runtime/node.ts';
import type { Command, NodeEvent, Output, PeerId } from '../runtime/io.ts';
import { register, type Fn } from '../runtime/dataflow.ts';
import * as api from '../runtime/dataflow/api.ts';
import * as completion from '../runtime/completion.ts';
import type { Link, LinkError } from './link.ts';
import { setKeys as setAuthKeys, keyIds, type AuthConfig } from '../runtime/auth.ts';
import { epochFor, keyBytes, nodeCrypto } from './crypto.ts';

/** Where a node keeps its state between runs. */
export interface NodeStore {
  /** The bytes last saved, or undefined when there are none yet. */
  load(): Promise<Uint8Array | undefined>;
  save(bytes: Uint8Array): Promise<void>;
}

/** A store in one file, replaced atomically (write a temporary file, then rename), so a crash leaves the old one. */
export function fileStore(path: string): NodeStore {
  return {
    async load() {
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new Error('node store: cannot read ' + path + ': ' + (e as Error).message);
      }
    },
    async save(bytes) {
      const tmp = path + '.tmp';
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    },
  };
}

/** A store in memory (tests, and the demo's "restart" of a node inside one process). */
export function memoryStore(): NodeStore & { bytes?: Uint8Array } {
  const s: NodeStore & { bytes?: Uint8Array } = {
    async load() {
      return s.bytes;
    },
    async save(bytes) {
      s.bytes = bytes.slice();
    },
  };
  return s;
}

export interface NodeOptions {
  id: PeerId;
  /** The links to reach peers over; the node driver closes them in close(). */
  links: Link[];
  /** Membership manager (default 'hyparview'). */
  membership?: 'hyparview' | 'full' | 'client-server';
  /** Join through these peers at start (seeds); none: call join() later, or wait to be joined. */
  contacts?: PeerId[];
  /** Seed of the node's random source (default: a random one; the simulator is where runs are replayed). */
  seed?: number;
  store?: NodeStore;
  /** ms to wait after a change before saving (default 1000: a burst of updates costs one write). */
  saveEvery?: number;
  /** The cluster key (hex, at least 32 digits, or bytes): every frame is sealed with it and checked against it
   *  (runtime/auth.ts). Shorthand for keys: [{ id: 0, key }]. */
  key?: string | Uint8Array;
  /** Cluster keys with their ids: the first seals, all are accepted (rotation; see setKeys). */
  keys?: { id: number; key: string | Uint8Array }[];
  /** Encrypt frames with the cluster key as well (AES-128-CTR, then the tag); default false. */
  encrypt?: boolean;
  /** Anything else runtime/node.ts takes (membershipConfig, plumtree, antiEntropy, limits, dataflow, ...). */
  config?: Partial<NodeConfig>;
}

/** What the driver emits: the node's events by their type, plus link trouble. */
export type DriverEvents = {
  [T in NodeEvent['type']]: (e: Extract<NodeEvent, { type: T }>) => void;
} & {
  /** A link dropped something or failed (already counted by the link). */
  linkError: (e: LinkError) => void;
};

/** Peers whose last link is remembered for routing: as many as a link holds up (link.ts DEFAULT_MAX_PEERS). */
const MAX_ROUTES = 1024;
/** The state format in a store: [version, incarnation, snapshot]. */
const STORE_VERSION = 1;
/** 2020-01-01 in ms: incarnations count seconds from here, small enough for a CBOR uint32 for a century. */
const EPOCH = 1577836800000;
/** Decoding a saved state: it is our own file, but a bound still keeps a damaged one from taking the process. */
const STORE_LIMITS = { maxFrame: 64 << 20, maxItems: 1 << 22, maxCount: 1 << 22, maxString: 1 << 20 };

export class PollenDriver {
  readonly id: PeerId;
  readonly incarnation: number;
  readonly links: Link[];
  /** The runtime node (for tests and tools that inspect it; do not step it directly). */
  readonly node: PollenNode;
  private t0 = performance.now();
  private timers = new Map<string, NodeJS.Timeout>();
  private lastHeard = new Map<PeerId, Link>();
  /** Peers some link reaches now (what the node was last told). */
  private reachable = new Set<PeerId>();
  private listeners = new Map<string, Set<(e: any) => void>>();
  private offs: (() => void)[] = [];
  private reads = new Map<string, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readSeq = 0;
  private closed = false;
  private store: NodeStore | undefined;
  private saveEvery: number;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Counters of the driver itself. */
  readonly stats = { noRoute: 0, stepErrors: 0, saves: 0, saveErrors: 0 };

  constructor(o: NodeOptions, incarnation: number, restore: Item | undefined) {
    this.id = o.id;
    this.incarnation = incarnation;
    this.links = o.links.slice();
    this.store = o.store;
    this.saveEvery = o.saveEvery ?? 1000;
    this.node = createRuntimeNode({
      ...o.config,
      auth: authOf(o, incarnation) ?? o.config?.auth,
      id: o.id,
      seed: o.seed ?? randomInt(1, 2 ** 31),
      incarnation,
      membership: o.membership ?? o.config?.membership,
      restore,
    });
  }

  /** @internal attach to the links and tell the node who is already up. */
  start(contacts: PeerId[] | undefined): void {
    for (const link of this.links) {
      this.offs.push(
        link.on('frame', (from, bytes) => {
          if (this.lastHeard.get(from) !== link) {
            // Bounded: the oldest entry goes first (a Map iterates in insertion order).
            this.lastHeard.delete(from);
            if (this.lastHeard.size >= MAX_ROUTES) this.lastHeard.delete(this.lastHeard.keys().next().value as PeerId);
            this.lastHeard.set(from, link);
          }
          this.input({ kind: 'frame', from, bytes });
        }),
        link.on('peer', (peer) => this.reach(peer)),
        link.on('error', (e) => this.emit('linkError', e)),
      );
    }
    for (const link of this.links) for (const p of link.peers()) this.reach(p);
    if (contacts && contacts.length) this.join(contacts);
  }

  /**
   * A link says a peer came or went: the node hears 'up' when the first link reaches it and 'down' when the last
   * one loses it, so a gateway that reaches a peer two ways does not mourn it when one way fails.
   */
  private reach(peer: PeerId): void {
    const up = this.links.some((l) => l.peers().includes(peer));
    if (up === this.reachable.has(peer)) return;
    if (up) this.reachable.add(peer);
    else this.reachable.delete(peer);
    this.input({ kind: 'link', peer, up });
  }

  /** ms on the node's clock: monotonic, from the driver's start. */
  now(): number {
    return performance.now() - this.t0;
  }

  // ---- the application's API ----

  join(contacts: PeerId[]): void {
    this.command({ op: 'join', contacts });
  }
  declare(id: string, type: string): void {
    this.run((n, now) => api.declare(n, id, type, now));
  }
  update(id: string, mutator: string, args: Item[]): void {
    this.run((n, now) => api.update(n, id, mutator, args, now));
  }
  /** Join another replica's state into a variable. */
  bind(id: string, state: any): void {
    this.run((n, now) => api.bind(n, id, state, now));
  }
  broadcast(payload: Item): void {
    this.command({ op: 'broadcast', payload });
  }
  /** The variable's value now, or undefined when it is not declared here. */
  query(id: string): any {
    return valueOf(this.node, id);
  }
  /** The variable's lattice state now, or undefined. */
  state(id: string): any {
    return stateOf(this.node, id);
  }
  /**
   * Resolves with the value once the variable reaches the threshold (at once when it has, or when no threshold
   * is given); rejects when the node closes first. The variable must be declared.
   */
  read(id: string, threshold: api.Threshold = {}): Promise<any> {
    if (this.closed) return Promise.reject(new Error('node ' + this.id + ' is closed'));
    if (threshold.atLeast === undefined && threshold.pred === undefined) {
      if (stateOf(this.node, id) === undefined) return Promise.reject(new Error('read: no variable ' + id + ' (declare it first)'));
      return Promise.resolve(valueOf(this.node, id));
    }
    return this.awaitRead((n, now, tag) => api.read(n, id, threshold, tag, now));
  }
  /** Completion detection (runtime/completion.ts): record that this node finished `phase` of `group`. */
  markDone(group: string, phase: number): void {
    this.run((n, now) => completion.markDone(n, group, phase, now));
  }
  /**
   * Resolves once every expected node (ids, or a count of any nodes) has finished `phase` of `group`, as this
   * node's replica of the group's phases shows: each node learns it on its own, no orchestrator asks around.
   */
  waitAll(group: string, expected: string[] | number, phase: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('node ' + this.id + ' is closed'));
    return this.awaitRead((n, now, tag) => completion.waitAll(n, group, expected, phase, tag, now));
  }
  /** Run a call that asks for a 'read' event under a fresh tag; resolves when that event comes. */
  private awaitRead(f: (n: PollenNode, now: number, tag: string) => Output[]): Promise<any> {
    const tag = 'driver.read.' + this.readSeq++;
    const p = new Promise<any>((resolve, reject) => this.reads.set(tag, { resolve, reject }));
    try {
      this.run((n, now) => f(n, now, tag));
    } catch (e) {
      this.reads.delete(tag);
      return Promise.reject(e);
    }
    return p;
  }
  /** Register a deterministic function by name, for map/filter/fold and read predicates. */
  fn(name: string, f: Fn): void {
    register(this.node.df, name, f);
  }
  map(id: string, input: string, f: string, share?: boolean): void {
    this.run((n, now) => api.map(n, id, input, f, now, share));
  }
  filter(id: string, input: string, f: string, share?: boolean): void {
    this.run((n, now) => api.filter(n, id, input, f, now, share));
  }
  fold(id: string, input: string, f: string, init: Item, share?: boolean): void {
    this.run((n, now) => api.fold(n, id, input, f, init, now, share));
  }
  union(id: string, inputs: string[], share?: boolean): void {
    this.run((n, now) => api.union(n, id, inputs, now, share));
  }
  intersection(id: string, a: string, b: string, share?: boolean): void {
    this.run((n, now) => api.intersection(n, id, a, b, now, share));
  }
  product(id: string, a: string, b: string, share?: boolean): void {
    this.run((n, now) => api.product(n, id, a, b, now, share));
  }
  neighbors(): PeerId[] {
    return neighbors(this.node);
  }
  /**
   * Key rotation without a restart: seal with keys[0] from now on, accept all of them. Throws (changing nothing)
   * on a bad key, and when the node was started without a key.
   */
  setKeys(keys: { id: number; key: string | Uint8Array }[]): void {
    if (!this.node.auth) throw new Error('node ' + this.id + ' has no cluster key: give key or keys at start');
    setAuthKeys(this.node.auth, keys.map((k) => ({ id: k.id, key: keyBytes(k.key, 'key ' + k.id) })));
  }
  /** Ids of the cluster keys held, the sealing one first ([] without a key). */
  keyIds(): number[] {
    return this.node.auth ? keyIds(this.node.auth) : [];
  }
  /**
   * The node's metrics (runtime/node.ts), the driver's own (`driver.noRoute`, `driver.stepErrors`, `driver.saves`,
   * `driver.saveErrors`) and each link's counters as `link.<kind>.<counter>` (`link.<kind>.<i>.<counter>` when two
   * links are of one kind), e.g. `link.mqtt.dropped`.
   */
  metrics(): { [name: string]: number } {
    const m = metrics(this.node);
    for (const [k, v] of Object.entries(this.stats)) m['driver.' + k] = v;
    this.links.forEach((l, i) => {
      const name = this.links.filter((o) => o.kind === l.kind).length > 1 ? l.kind + '.' + i : l.kind;
      for (const [k, v] of Object.entries(l.counters)) m['link.' + name + '.' + k] = v;
    });
    return m;
  }

  on<E extends keyof DriverEvents>(type: E, fn: DriverEvents[E]): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn as (e: any) => void);
    return () => set!.delete(fn as (e: any) => void);
  }

  /**
   * Leave cleanly: the node sends DISCONNECT to its neighbours, the state is saved, timers stop, and the links
   * are closed (each flushes what it holds first). Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.command({ op: 'leave' });
    } catch {
      this.stats.stepErrors++;
    }
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    clearTimeout(this.saveTimer);
    for (const off of this.offs) off();
    for (const r of this.reads.values()) r.reject(new Error('node ' + this.id + ' closed before the read was reached'));
    this.reads.clear();
    if (this.store) await this.save();
    await Promise.all(this.links.map((l) => l.close()));
  }

  // ---- carrying out ----

  /** Run one command (as runtime/io.ts defines them), e.g. the ones an app module builds. Throws on a refusal. */
  command(c: Command): void {
    this.run((n, now) => step(n, { kind: 'command', command: c }, now));
  }

  /** Application calls: a refusal (StoreError, DecodeError, MutatorError) is thrown to the caller. */
  private run(f: (n: PollenNode, now: number) => Output[]): void {
    if (this.closed) throw new Error('node ' + this.id + ' is closed');
    this.carryOut(f(this.node, this.now()));
  }

  /** Inputs from links and timers: the node never throws on them, but if it did, count it and go on. */
  private input(i: { kind: 'frame'; from: PeerId; bytes: Uint8Array } | { kind: 'link'; peer: PeerId; up: boolean } | { kind: 'timer'; id: string }): void {
    if (this.closed) return;
    let out: Output[];
    try {
      out = step(this.node, i, this.now());
    } catch (e) {
      this.stats.stepErrors++;
      this.emit('dropped', { type: 'dropped', from: i.kind === 'frame' ? i.from : '', reason: 'internal: ' + String(e) });
      return;
    }
    this.carryOut(out);
  }

  private carryOut(out: Output[]): void {
    const events: NodeEvent[] = [];
    let changed = false;
    for (const o of out) {
      if (o.kind === 'send') this.send(o.to, o.bytes);
      else if (o.kind === 'timer') this.setTimer(o.id, o.at);
      else if (o.kind === 'cancel') {
        clearTimeout(this.timers.get(o.id));
        this.timers.delete(o.id);
      } else {
        events.push(o.event);
        if (o.event.type === 'changed') changed = true;
      }
    }
    if (changed) this.scheduleSave();
    for (const e of events) {
      if (e.type === 'read' && this.reads.has(e.tag)) {
        const r = this.reads.get(e.tag)!;
        this.reads.delete(e.tag);
        r.resolve(e.value);
      }
      this.emit(e.type, e);
    }
  }

  private send(to: PeerId, bytes: Uint8Array): void {
    let link: Link | undefined;
    for (const l of this.links) {
      if (l.peers().includes(to)) {
        link = l;
        break;
      }
    }
    link = link ?? this.lastHeard.get(to) ?? this.links[0];
    if (!link) {
      this.stats.noRoute++;
      return;
    }
    link.send(to, bytes);
  }

  private setTimer(id: string, at: number): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(id));
    const t = setTimeout(() => {
      if (this.timers.get(id) !== t) return;
      this.timers.delete(id);
      this.input({ kind: 'timer', id });
    }, Math.max(0, at - this.now()));
    this.timers.set(id, t);
  }

  private emit(type: string, e: any): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(e);
      } catch (err) {
        // An application handler's mistake must not stop the node; it is reported on stderr once per throw.
        console.error('pollen: a "' + type + '" handler threw: ' + String((err as Error)?.stack ?? err));
      }
    }
  }

  private scheduleSave(): void {
    if (!this.store || this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, this.saveEvery);
  }

  /** Save now (serialised behind any save in progress). */
  save(): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    const bytes = encode([STORE_VERSION, this.incarnation, snapshot(this.node)], STORE_LIMITS);
    this.saving = this.saving.then(() =>
      store.save(bytes).then(
        () => {
          this.stats.saves++;
        },
        (e) => {
          this.stats.saveErrors++;
          console.error('pollen: node ' + this.id + ' could not save its state: ' + (e as Error).message);
        },
      ),
    );
    return this.saving;
  }
}

/** The runtime's auth config from the driver's key options, or undefined when none is given. */
function authOf(o: NodeOptions, incarnation: number): AuthConfig | undefined {
  if (o.key !== undefined && o.keys !== undefined) throw new Error('node ' + o.id + ': give key or keys, not both');
  const given = o.keys ?? (o.key !== undefined ? [{ id: 0, key: o.key }] : undefined);
  if (given === undefined) {
    if (o.encrypt) throw new Error('node ' + o.id + ': encrypt needs a key');
    return undefined;
  }
  const keys = given.map((k) => ({ id: k.id, key: keyBytes(k.key, 'node ' + o.id + ' key ' + k.id) }));
  return { keys, primitives: nodeCrypto, epoch: epochFor(incarnation), encrypt: o.encrypt === true };
}

/** Read a saved state: [incarnation, snapshot], or undefined for an empty store. Throws on a damaged one. */
async function loadState(store: NodeStore, id: string): Promise<{ incarnation: number; snapshot: Item } | undefined> {
  const bytes = await store.load();
  if (!bytes) return undefined;
  let item: Item;
  try {
    item = decode(bytes, STORE_LIMITS);
  } catch (e) {
    throw new Error('node ' + id + ': the saved state does not decode (' + (e as Error).message + '); move it away to start empty');
  }
  if (!Array.isArray(item) || item.length !== 3 || item[0] !== STORE_VERSION || typeof item[1] !== 'number') {
    throw new Error('node ' + id + ': the saved state is not a Pollen node state (version ' + STORE_VERSION + ')');
  }
  return { incarnation: item[1], snapshot: item[2] };
}

/**
 * Start a node on its links: load its state (if a store is given), take the next incarnation and save it at once
 * (a crash right after start still counts as a life), tell the node which peers are up, join the contacts.
 */
export async function createNode(o: NodeOptions): Promise<PollenDriver> {
  if (!o.links || o.links.length === 0) throw new Error('node ' + o.id + ': give at least one link');
  for (const l of o.links) {
    if (l.self !== o.id) throw new Error('node ' + o.id + ': its ' + l.kind + ' link is for id "' + l.self + '"');
  }
  const saved = o.store ? await loadState(o.store, o.id) : undefined;
  const clock = Math.max(0, Math.floor((Date.now() - EPOCH) / 1000));
  const incarnation = Math.max(clock, saved ? saved.incarnation + 1 : 0, o.config?.incarnation ?? 0);
  const d = new PollenDriver(o, incarnation, saved?.snapshot);
  if (o.store) await d.save();
  d.start(o.contacts);
  return d;
}
