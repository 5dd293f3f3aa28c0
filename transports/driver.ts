/**
 * The node driver: runs a sans-IO Pollen node (runtime/node.ts) for real, with real timers and one or more links
 * at once (a gateway may hold MQTT, serial and BLE together; its node sees the peers of all of them). It holds no
 * protocol logic (ARCHITECTURE.md): a frame from a link goes in as a 'frame' input, a peer coming or going as
 * a 'link' input, an expired timer as a 'timer' input, an application call as a 'command'; and it carries out
 * what `step` returns: sends go to a link, timers are set and cancelled, events reach the application.
 *
 *   const broker = await startBroker();
 *   const link = await mqttLink({ id: 'a', url: broker.url, protocolVersion: 4 });
 *   const node = await startNode({ id: 'a', links: [link], contacts: ['seed'], store: fileStore('a.pollen') });
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
 * Persistence (`store`, transports/filestore.ts; `durability`, transports/durability.ts): the node's snapshot (its
 * variables, not its peers), its incarnation and its epoch are saved after every change, durably before an
 * update's promise resolves ('sync', the default) or within `durability` ms, and at close; they are loaded at
 * start. The incarnation grows at every start (the larger of the saved one plus one and the seconds since 2020),
 * so peers can tell a restarted node's messages from those of its earlier life; without a store it is the
 * clock's part alone. The epoch (runtime/replica.ts) names the replica the node issues dots under: with a store
 * it is the saved one plus one, saved durably before the node starts; without one it is drawn at random from
 * [2^32, 2^48), so a restart never reissues a dot an earlier life gave out, whatever that life failed to save.
 */
import { dataflowOf } from '../runtime/dataflow/glue.ts';
import { randomInt } from 'node:crypto';
import type { Item } from '../crdt/types.ts';
import { DecodeError } from '../crdt/errors.ts';
import { createNode as createRuntimeNode, step, read as valueOf, stateOf, neighbors, metrics, snapshot, type NodeConfig, type PollenNode } from '../runtime/full.ts';
import type { Command, NodeEvent, Output, PeerId } from '../runtime/io.ts';
import { register, type Fn } from '../runtime/dataflow.ts';
import * as api from '../runtime/dataflow/api.ts';
import * as completion from '../runtime/completion.ts';
import type { Link, LinkError } from './link.ts';
import { StoreFileError, MAX_STORE_EPOCH, encodeState, decodeState, type NodeStore } from './filestore.ts';
import { saver, checkDurability, type Durability, type Saver } from './durability.ts';
import { setKeys as setAuthKeys, keyIds, type AuthConfig } from '../runtime/auth.ts';
import { epochFor, keyBytes, nodeCrypto } from './crypto.ts';

export { fileStore, memoryStore, StoreFileError, DEFAULT_MAX_STORE_BYTES, type NodeStore } from './filestore.ts';
export type { Durability } from './durability.ts';

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
  /** When an update is durable (transports/durability.ts): 'sync' (default) saves at once and resolves the
   *  update's promise after the save; N (ms) saves N ms after a change, and resolves then. */
  durability?: Durability;
  /** Earlier name of a numeric `durability` (ms between a change and its save). */
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
/** 2020-01-01 in ms: incarnations count seconds from here, small enough for a CBOR uint32 for a century. */
const CLOCK_ORIGIN = 1577836800000;
/** A node without a store draws its epoch from [2^32, 2^48): above every store's epochs, and two draws meet
 *  with a chance of about k^2 / 2^49 over k restarts (under 10^-8 for 1,000). */
const RANDOM_EPOCH_MIN = 2 ** 32;
const RANDOM_EPOCH_MAX = 2 ** 48;

export class PollenDriver {
  readonly id: PeerId;
  readonly incarnation: number;
  /** This life's epoch, and the replica id its dots carry (runtime/replica.ts). */
  readonly epoch: number;
  readonly replica: string;
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
  private saver: Saver | undefined;
  private started = false;
  /** Counters of the driver itself. */
  readonly stats = { noRoute: 0, stepErrors: 0 };

  constructor(o: NodeOptions, incarnation: number, epoch: number, restore: Item | undefined) {
    this.id = o.id;
    this.incarnation = incarnation;
    this.epoch = epoch;
    this.links = o.links.slice();
    try {
      this.node = createRuntimeNode({
        ...o.config,
        auth: authOf(o, incarnation) ?? o.config?.auth,
        id: o.id,
        seed: o.seed ?? randomInt(1, 2 ** 31),
        incarnation,
        epoch,
        membership: o.membership ?? o.config?.membership,
        restore,
      });
    } catch (e) {
      // The snapshot's bytes passed the checksum yet do not make a state: a store written by something else.
      if (restore !== undefined && e instanceof DecodeError) {
        throw new StoreFileError('damaged', 'node ' + o.id + ': the saved state is damaged (' + e.message + '): move the store away to start empty, or put back a copy');
      }
      throw e;
    }
    this.replica = this.node.replica;
    const store = o.store;
    if (store) {
      const mode = o.durability ?? o.saveEvery ?? 'sync';
      const bad = checkDurability(mode);
      if (bad) throw new Error('node ' + o.id + ': ' + bad);
      this.saver = saver(
        store,
        mode,
        () => encodeState({ epoch: this.epoch, incarnation: this.incarnation, snapshot: snapshot(this.node) }),
        (e) => {
          if (this.started && !this.closed) console.error('pollen: node ' + this.id + ' could not save its state: ' + e.message);
        },
      );
    }
  }

  /** @internal attach to the links and tell the node who is already up. */
  start(contacts: PeerId[] | undefined): void {
    this.started = true;
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
  /** Declare a variable; the promise resolves once the declaration is durable (see `update`). */
  declare(id: string, type: string): Promise<void> {
    const had = stateOf(this.node, id) !== undefined;
    this.run((n, now) => api.declare(n, id, type, now));
    if (!had) this.saver?.changed();
    return this.durable();
  }
  /**
   * Apply a mutator. A refusal throws at once; the promise resolves once the update is durable as the
   * `durability` option asks (at once without a store) and rejects with StoreFileError when its save failed
   * (the update stays applied in memory and spreads to peers: only its durability here is in doubt).
   */
  update(id: string, mutator: string, args: Item[]): Promise<void> {
    this.run((n, now) => api.update(n, id, mutator, args, now));
    return this.durable();
  }
  /** Join another replica's state into a variable; the promise as for `update`. */
  bind(id: string, state: any): Promise<void> {
    this.run((n, now) => api.bind(n, id, state, now));
    return this.durable();
  }
  /** Resolves once every change so far is durable (at once without a store). */
  durable(): Promise<void> {
    return this.saver ? this.saver.durable() : Promise.resolve();
  }
  /** Save now, whatever the durability mode; rejects with StoreFileError when the save fails. */
  save(): Promise<void> {
    return this.saver ? this.saver.flush() : Promise.resolve();
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
    register(dataflowOf(this.node), name, f);
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
   * `driver.saveErrors`, `driver.lastSaveMs`, `driver.lastSaveBytes`) and each link's counters as `link.<kind>.<counter>` (`link.<kind>.<i>.<counter>` when two
   * links are of one kind), e.g. `link.mqtt.dropped`.
   */
  metrics(): { [name: string]: number } {
    const m = metrics(this.node);
    for (const [k, v] of Object.entries(this.stats)) m['driver.' + k] = v;
    if (this.saver) for (const [k, v] of Object.entries(this.saver.stats)) m['driver.' + k] = v;
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
    for (const off of this.offs) off();
    for (const r of this.reads.values()) r.reject(new Error('node ' + this.id + ' closed before the read was reached'));
    this.reads.clear();
    if (this.saver) {
      await this.saver.flush().catch(() => undefined);
      this.saver.stop();
    }
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
    if (changed) this.saver?.changed();
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

/**
 * Start a node on its links: load its state (if a store is given), take the next incarnation and epoch and save
 * them durably before the node runs (a life whose dots may have reached a peer always has its epoch on disk, so
 * no later life takes it again), tell the node which peers are up, join the contacts. A store that does not hold
 * a node state rejects with StoreFileError('damaged'); one that cannot be written, with StoreFileError('io').
 */
export async function startNode(o: NodeOptions): Promise<PollenDriver> {
  if (!o.links || o.links.length === 0) throw new Error('node ' + o.id + ': give at least one link');
  for (const l of o.links) {
    if (l.self !== o.id) throw new Error('node ' + o.id + ': its ' + l.kind + ' link is for id "' + l.self + '"');
  }
  const bytes = o.store ? await o.store.load() : undefined;
  const saved = bytes ? decodeState(bytes, (o.store?.name ? 'the store ' + o.store.name : 'the store') + ' of node ' + o.id) : undefined;
  const clock = Math.max(0, Math.floor((Date.now() - CLOCK_ORIGIN) / 1000));
  const incarnation = Math.max(clock, saved ? saved.incarnation + 1 : 0, o.config?.incarnation ?? 0);
  let epoch: number;
  if (o.config?.epoch !== undefined) epoch = o.config.epoch;
  else if (o.store) {
    epoch = (saved ? saved.epoch : 0) + 1;
    if (epoch > MAX_STORE_EPOCH) throw new StoreFileError('epoch', 'node ' + o.id + ': the store has used all its ' + MAX_STORE_EPOCH + ' epochs: start with a new store');
  } else epoch = randomInt(RANDOM_EPOCH_MIN, RANDOM_EPOCH_MAX);
  const d = new PollenDriver(o, incarnation, epoch, saved?.snapshot);
  await d.save();
  d.start(o.contacts);
  return d;
}
