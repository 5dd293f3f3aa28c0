/**
 * The page's node: a Pollen node composed as a client profile (runtime/lean.ts's parts, like a board's), run on the
 * page's timers and one link. A phone in a game is a client: it joins a gateway with client-server membership and
 * talks to nobody else, so the page carries neither HyParView nor Plumtree nor dataflow, and only the CRDT types
 * the page registers. Deltas travel by anti-entropy alone; the gateway (targets/node/gateway.ts) relays them to the
 * cluster.
 *
 *   const n = await startPage({ id: 'web-1', link, types: register(registry(), ORSet), store: idbStore('web-1') });
 *   n.join(['gw']);
 *   await n.update('basket', 'add', ['milk']);     // resolves once saved (durability 'sync')
 *
 * It does what transports/driver.ts does for a Node node (sends to the link, timers, events, the store, the
 * incarnation and epoch of each life) with what a page needs and nothing more: Node's driver composes every part.
 */
import type { Item } from '../../crdt/types.ts';
import type { Registry } from '../../crdt/registry.ts';
import { DecodeError } from '../../crdt/errors.ts';
import { composeNode, step, read, stateOf, neighbors, metrics, snapshot, Client, DeltaSync, type CoreConfig, type PollenNode } from '../../runtime/lean.ts';
import type { Command, Input, NodeEvent, Output, PeerId } from '../../runtime/io.ts';
import type { Link } from '../../transports/link.ts';
import { StoreFileError, MAX_STORE_EPOCH, encodeState, decodeState, type NodeStore } from '../../transports/filestore.ts';
import { Saver, checkDurability, type Durability } from '../../transports/durability.ts';
import type { PageKey } from './key.ts';

export interface PageNodeOptions {
  id: PeerId;
  /** The one link (the page's MQTT link); closed by close(). */
  link: Link;
  /** The CRDT types this page holds: a variable of another type is refused (and counted) when a peer sends it. */
  types: Registry;
  /** Gateways to join at start. */
  contacts?: PeerId[];
  store?: NodeStore;
  durability?: Durability;
  /** The cluster key (targets/browser/key.ts's clusterKey): frames are tagged and checked with it. */
  key?: PageKey;
  /** Knobs of the node core (runtime/node.ts CoreConfig), e.g. clientserver's membershipConfig. */
  config?: Partial<CoreConfig>;
}

/** The events a page hears, by type. */
export type PageEvents = { [T in NodeEvent['type']]: (e: Extract<NodeEvent, { type: T }>) => void };

/** 2020-01-01 in ms: incarnations count seconds from here (as transports/driver.ts). */
const CLOCK_ORIGIN = 1577836800000;
/** Milliseconds per incarnation second: a life's key epoch is past every earlier life's (transports/crypto.ts). */
const EPOCH_PER_INCARNATION = 1000;
/** Without a store the epoch is drawn from [2^32, 2^48), as transports/driver.ts does and for the same reason. */
const RANDOM_EPOCH_BITS_HIGH = 0x10000;

function randomU32(): number {
  const r = new Uint32Array(1);
  crypto.getRandomValues(r);
  return r[0];
}

/** A random epoch in [2^32, 2^48): 16 high bits (not 0) and 32 low ones. */
function randomEpoch(): number {
  const hi = 1 + (randomU32() % (RANDOM_EPOCH_BITS_HIGH - 1));
  return hi * 2 ** 32 + randomU32();
}

export class PageNode {
  readonly id: PeerId;
  readonly node: PollenNode;
  readonly link: Link;
  readonly epoch: number;
  private t0 = performance.now();
  private timers: { [id: string]: ReturnType<typeof setTimeout> } = Object.create(null);
  private listeners: { [type: string]: ((e: any) => void)[] } = Object.create(null);
  private offs: (() => void)[] = [];
  private saver: Saver | undefined;
  private closed = false;
  readonly stats = { stepErrors: 0 };

  constructor(o: PageNodeOptions, incarnation: number, epoch: number, restore: Item | undefined) {
    this.id = o.id;
    this.link = o.link;
    this.epoch = epoch;
    try {
      const k = o.key;
      // The key's epoch, as transports/crypto.ts's epochFor: later than any earlier life's, for the replay window.
      const auth = k ? { keys: k.keys, primitives: k.primitives, epoch: Math.max(Date.now() - CLOCK_ORIGIN, incarnation * EPOCH_PER_INCARNATION) } : undefined;
      this.node = composeNode(
        { ...o.config, id: o.id, seed: randomU32() >>> 1, incarnation, epoch, restore, auth },
        { membership: Client, sync: DeltaSync, plumtree: null, dataflow: null, types: o.types, auth: k ? k.part : null },
      );
    } catch (e) {
      if (restore !== undefined && e instanceof DecodeError) {
        throw new StoreFileError('damaged', 'page ' + o.id + ': the saved state does not load (' + e.message + '): register the types it holds, or pass another db');
      }
      throw e;
    }
    if (o.store) {
      const mode = o.durability ?? 'sync';
      const bad = checkDurability(mode);
      if (bad) throw new Error('page ' + o.id + ': ' + bad);
      this.saver = new Saver(o.store, mode, () => encodeState({ epoch, incarnation, snapshot: snapshot(this.node) }), (e) => {
        if (!this.closed) console.error('pollen: page ' + this.id + ' could not save its state: ' + e.message);
      });
    }
  }

  /** @internal attach to the link, tell the node who is up, join the contacts. */
  start(contacts: PeerId[] | undefined): void {
    const l = this.link;
    this.offs.push(
      l.on('frame', (from, bytes) => this.input({ kind: 'frame', from, bytes })),
      l.on('peer', (peer, up) => this.input({ kind: 'link', peer, up })),
    );
    for (const p of l.peers()) this.input({ kind: 'link', peer: p, up: true });
    if (contacts && contacts.length) this.join(contacts);
  }

  /** ms on the node's clock, from the page's start. */
  now(): number {
    return performance.now() - this.t0;
  }

  join(contacts: PeerId[]): void {
    this.command({ op: 'join', contacts });
  }
  /** Declare a variable (a no-op when it is); resolves once the declaration is saved. */
  declare(id: string, type: string): Promise<void> {
    const had = stateOf(this.node, id) !== undefined;
    this.command({ op: 'declare', id, type });
    if (!had) this.saver?.changed();
    return this.durable();
  }
  /** Apply a mutator; a refusal throws, the promise resolves once the update is saved. */
  update(id: string, mutator: string, args: Item[]): Promise<void> {
    this.command({ op: 'update', id, mutator, args });
    return this.durable();
  }
  query(id: string): any {
    return read(this.node, id);
  }
  state(id: string): any {
    return stateOf(this.node, id);
  }
  neighbors(): PeerId[] {
    return neighbors(this.node);
  }
  /** The node's metrics, `driver.stepErrors`, the saver's (`driver.saves`, …) and the link's (`link.mqtt.…`). */
  metrics(): { [name: string]: number } {
    const m = metrics(this.node);
    m['driver.stepErrors'] = this.stats.stepErrors;
    const s: { [k: string]: number } = this.saver ? (this.saver.stats as any) : {};
    for (const k in s) m['driver.' + k] = s[k];
    const c = this.link.counters as any;
    for (const k in c) m['link.' + this.link.kind + '.' + k] = c[k];
    return m;
  }
  durable(): Promise<void> {
    return this.saver ? this.saver.durable() : Promise.resolve();
  }
  save(): Promise<void> {
    return this.saver ? this.saver.flush() : Promise.resolve();
  }
  on<E extends keyof PageEvents>(type: E, fn: PageEvents[E]): () => void {
    const list = this.listeners[type] || (this.listeners[type] = []);
    list.push(fn as (e: any) => void);
    return () => {
      const i = list.indexOf(fn as (e: any) => void);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Leave (DISCONNECT to the gateway), save, stop the timers, close the link. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.command({ op: 'leave' });
    } catch {
      this.stats.stepErrors++;
    }
    this.closed = true;
    for (const k in this.timers) clearTimeout(this.timers[k]);
    this.timers = Object.create(null);
    for (const off of this.offs) off();
    if (this.saver) {
      await this.saver.flush().catch(() => undefined);
      this.saver.stop();
    }
    await this.link.close();
  }

  /** Run an application command; a refusal throws to the caller. */
  command(c: Command): void {
    if (this.closed) throw new Error('page ' + this.id + ' is closed');
    this.carryOut(step(this.node, { kind: 'command', command: c }, this.now()));
  }

  /** Inputs from the link and timers never throw into the page; a step that did is counted. */
  private input(i: Input): void {
    if (this.closed) return;
    let out: Output[];
    try {
      out = step(this.node, i, this.now());
    } catch (e) {
      this.stats.stepErrors++;
      return;
    }
    this.carryOut(out);
  }

  private carryOut(out: Output[]): void {
    const events: NodeEvent[] = [];
    for (const o of out) {
      if (o.kind === 'send') this.link.send(o.to, o.bytes);
      else if (o.kind === 'timer') this.setTimer(o.id, o.at);
      else if (o.kind === 'cancel') {
        clearTimeout(this.timers[o.id]);
        delete this.timers[o.id];
      } else events.push(o.event);
    }
    for (const e of events) {
      if (e.type === 'changed') this.saver?.changed();
      for (const fn of (this.listeners[e.type] || []).slice()) {
        try {
          fn(e);
        } catch (err) {
          // A handler's mistake must not stop the node.
          console.error('pollen: a "' + e.type + '" handler threw: ' + String((err as Error)?.stack ?? err));
        }
      }
    }
  }

  private setTimer(id: string, at: number): void {
    if (this.closed) return;
    clearTimeout(this.timers[id]);
    const t = setTimeout(() => {
      if (this.timers[id] !== t) return;
      delete this.timers[id];
      this.input({ kind: 'timer', id });
    }, Math.max(0, at - this.now()));
    this.timers[id] = t;
  }
}

/**
 * Start the page's node: load the saved state, take the next incarnation and epoch and save them before the node
 * runs (as transports/driver.ts's startNode, for the same reasons), attach to the link, join the contacts.
 */
export async function startPage(o: PageNodeOptions): Promise<PageNode> {
  const bytes = o.store ? await o.store.load() : undefined;
  const saved = bytes ? decodeState(bytes, (o.store?.name ?? 'the store') + ' of page ' + o.id) : undefined;
  const clock = Math.max(0, Math.floor((Date.now() - CLOCK_ORIGIN) / 1000));
  const incarnation = Math.max(clock, saved ? saved.incarnation + 1 : 0);
  let epoch: number;
  if (o.store) {
    epoch = (saved ? saved.epoch : 0) + 1;
    if (epoch > MAX_STORE_EPOCH) throw new StoreFileError('epoch', 'page ' + o.id + ': the store has used all its epochs: pass another db');
  } else epoch = randomEpoch();
  const n = new PageNode(o, incarnation, epoch, saved?.snapshot);
  await n.save();
  n.start(o.contacts);
  return n;
}
