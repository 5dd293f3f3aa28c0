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
 * Written as one closure rather than a class, so that the minifier can shorten its state's names.
 */
import type { Item } from '../../crdt/types.ts';
import type { Registry } from '../../crdt/registry.ts';
import { DecodeError } from '../../crdt/errors.ts';
import { composeNode, step, read, stateOf, neighbors, metrics, snapshot, Client, DeltaSync, type CoreConfig, type PollenNode } from '../../runtime/lean.ts';
import type { Command, Input, NodeEvent, PeerId } from '../../runtime/io.ts';
import type { Link } from '../../transports/link.ts';
import { StoreFileError, MAX_STORE_EPOCH, encodeState, decodeState, type NodeStore } from '../../transports/savedstate.ts';
import { saver as newSaver, checkDurability, type Durability, type Saver } from '../../transports/durability.ts';
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

/** A running page node: the calls of the page API (targets/browser/index.ts), and the node and link beneath. */
export interface PageNode {
  readonly id: PeerId;
  /** The node core, for runtime/node.ts's functions (step, read, membershipStats…). */
  readonly node: PollenNode;
  readonly link: Link;
  /** This life's epoch (runtime/replica.ts). */
  readonly epoch: number;
  /** Run an application command (runtime/io.ts Command); a refusal throws. */
  command(c: Command): void;
  join(contacts: PeerId[]): void;
  /** Declare a variable (a no-op when it is); resolves once the declaration is saved. */
  declare(id: string, type: string): Promise<void>;
  /** Apply a mutator; a refusal throws, the promise resolves once the update is saved. */
  update(id: string, mutator: string, args: Item[]): Promise<void>;
  query(id: string): any;
  neighbors(): PeerId[];
  /** The node's metrics, `driver.stepErrors`, the saver's (`driver.saves`, …) and the link's (`link.mqtt.…`). */
  metrics(): { [name: string]: number };
  /** Save now; resolves once saved (at once without a store). */
  save(): Promise<void>;
  on<E extends keyof PageEvents>(type: E, fn: PageEvents[E]): () => void;
  /** Leave (DISCONNECT to the gateway), save, stop the timers, close the link. Idempotent. */
  close(): Promise<void>;
}

/** 2020-01-01 in ms: incarnations count seconds from here (as transports/driver.ts). */
const CLOCK_ORIGIN = 1577836800000;
/** Milliseconds per incarnation second: a life's key epoch is past every earlier life's (transports/crypto.ts). */
const EPOCH_PER_INCARNATION = 1000;
/** Without a store the epoch is drawn from [2^32, 2^48), as transports/driver.ts does and for the same reason. */
const RANDOM_EPOCH_BITS_HIGH = 0x10000;

function randomU32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * Start the page's node: load the saved state, take the next incarnation and epoch and save them before the node
 * runs (as transports/driver.ts's startNode, for the same reasons), attach to the link, join the contacts.
 */
export async function startPage(o: PageNodeOptions): Promise<PageNode> {
  const id = o.id;
  const link = o.link;
  const store = o.store;
  const bytes = store ? await store.load() : undefined;
  const saved = bytes ? decodeState(bytes, (store!.name ?? 'the store') + ' of page ' + id) : undefined;
  const incarnation = Math.max(Math.floor((Date.now() - CLOCK_ORIGIN) / 1000), saved ? saved.incarnation + 1 : 0);
  // With a store, the next of its epochs; without one, a random epoch in [2^32, 2^48): 16 high bits (not 0) and
  // 32 low ones, never one a store gives out.
  const epoch = store ? (saved ? saved.epoch : 0) + 1 : (1 + (randomU32() % (RANDOM_EPOCH_BITS_HIGH - 1))) * 2 ** 32 + randomU32();
  if (epoch > MAX_STORE_EPOCH && store) throw new StoreFileError('epoch', 'page ' + id + ': the store has used all its epochs: pass another db');

  const k = o.key;
  let node: PollenNode;
  try {
    node = composeNode(
      // The key's epoch, as transports/crypto.ts's epochFor: later than any earlier life's, for the replay window.
      { ...o.config, id, seed: randomU32() >>> 1, incarnation, epoch, restore: saved?.snapshot, auth: k ? { keys: k.keys, primitives: k.primitives, epoch: Math.max(Date.now() - CLOCK_ORIGIN, incarnation * EPOCH_PER_INCARNATION) } : undefined },
      { membership: Client, sync: DeltaSync, plumtree: null, dataflow: null, types: o.types, auth: k ? k.part : null },
    );
  } catch (e) {
    if (saved && e instanceof DecodeError) {
      throw new StoreFileError('damaged', 'page ' + id + ': the saved state does not load (' + e.message + '): register the types it holds, or pass another db');
    }
    throw e;
  }

  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  let timers: { [id: string]: ReturnType<typeof setTimeout> } = Object.create(null);
  const listeners: { [type: string]: ((e: any) => void)[] } = Object.create(null);
  const stats = { stepErrors: 0 };
  let closed = false;
  let saver: Saver | undefined;
  if (store) {
    const mode = o.durability ?? 'sync';
    const bad = checkDurability(mode);
    if (bad) throw new Error('page ' + id + ': ' + bad);
    saver = newSaver(store, mode, () => encodeState({ epoch, incarnation, snapshot: snapshot(node) }), (e) => {
      if (!closed) console.error('pollen: page ' + id + ' could not save its state: ' + e.message);
    });
  }
  const durable = (): Promise<void> => (saver ? saver.durable() : Promise.resolve());
  const save = (): Promise<void> => (saver ? saver.flush() : Promise.resolve());

  const carryOut = (out: ReturnType<typeof step>): void => {
    const events: NodeEvent[] = [];
    for (const x of out) {
      if (x.kind === 'send') link.send(x.to, x.bytes);
      else if (x.kind === 'timer') {
        if (closed) continue;
        const tid = x.id;
        clearTimeout(timers[tid]);
        const t = setTimeout(() => {
          if (timers[tid] !== t) return;
          delete timers[tid];
          input({ kind: 'timer', id: tid });
        }, Math.max(0, x.at - now()));
        timers[tid] = t;
      } else if (x.kind === 'cancel') {
        clearTimeout(timers[x.id]);
        delete timers[x.id];
      } else events.push(x.event);
    }
    for (const e of events) {
      if (e.type === 'changed') saver?.changed();
      for (const fn of (listeners[e.type] || []).slice()) {
        try {
          fn(e);
        } catch (err) {
          // A handler's mistake must not stop the node.
          console.error('pollen: a "' + e.type + '" handler threw: ' + String((err as Error)?.stack ?? err));
        }
      }
    }
  };
  /** Inputs from the link and timers never throw into the page; a step that did is counted. */
  const input = (i: Input): void => {
    if (closed) return;
    let out;
    try {
      out = step(node, i, now());
    } catch {
      stats.stepErrors++;
      return;
    }
    carryOut(out);
  };
  const command = (c: Command): void => {
    if (closed) throw new Error('page ' + id + ' is closed');
    carryOut(step(node, { kind: 'command', command: c }, now()));
  };
  const join = (contacts: PeerId[]): void => command({ op: 'join', contacts });

  // The new incarnation and epoch are saved before the node hears anything.
  await save();
  const offs = [
    link.on('frame', (from, b) => input({ kind: 'frame', from, bytes: b })),
    link.on('peer', (peer, up) => input({ kind: 'link', peer, up })),
  ];
  for (const p of link.peers()) input({ kind: 'link', peer: p, up: true });
  if (o.contacts && o.contacts.length) join(o.contacts);

  return {
    id,
    node,
    link,
    epoch,
    command,
    join,
    declare(v, type) {
      const had = stateOf(node, v) !== undefined;
      command({ op: 'declare', id: v, type });
      if (!had) saver?.changed();
      return durable();
    },
    update(v, mutator, args) {
      command({ op: 'update', id: v, mutator, args });
      return durable();
    },
    query: (v) => read(node, v),
    neighbors: () => neighbors(node),
    metrics() {
      const m = metrics(node);
      m['driver.stepErrors'] = stats.stepErrors;
      const s: { [k: string]: number } = saver ? (saver.stats as any) : {};
      for (const x in s) m['driver.' + x] = s[x];
      const c = link.counters as any;
      for (const x in c) m['link.' + link.kind + '.' + x] = c[x];
      return m;
    },
    save,
    on(type, fn) {
      const list = listeners[type] || (listeners[type] = []);
      list.push(fn as (e: any) => void);
      return () => {
        const i = list.indexOf(fn as (e: any) => void);
        if (i >= 0) list.splice(i, 1);
      };
    },
    async close() {
      if (closed) return;
      try {
        command({ op: 'leave' });
      } catch {
        stats.stepErrors++;
      }
      closed = true;
      for (const t in timers) clearTimeout(timers[t]);
      timers = Object.create(null);
      for (const off of offs) off();
      if (saver) {
        await saver.flush().catch(() => undefined);
        saver.stop();
      }
      await link.close();
    },
  };
}
