/**
 * Pollen in a browser page: a full node (the same runtime as on a Pi) whose one link is MQTT over WebSockets to a
 * broker that the cluster's other nodes also use, with its state kept in IndexedDB so that a reloaded page, online
 * or not, starts from where it was. Built into one ES module by targets/browser/build.ts (dist/browser.js).
 *
 *   import { connect } from './pollen-browser.js';
 *   const p = await connect({ url: 'ws://gateway.local:8080', root: 'pollen/shop' });
 *   p.declare('basket', 'orset');
 *   p.on('changed', (e) => render(p.query('basket')));   // local and remote changes alike
 *   p.update('basket', 'add', ['milk']);
 *   p.query('basket');                                  // ['milk']
 *
 * `connect` resolves once the saved state is loaded, without waiting for the broker: updates made offline are
 * kept and saved, and spread when the link comes back (the MQTT link retries with backoff; anti-entropy sends
 * what the others missed). The page joins the cluster through the first node it sees present on the broker,
 * unless `contacts` names the nodes to join through.
 *
 * Identity: each tab is its own replica. Its id is kept in sessionStorage, which survives a reload of that tab
 * and is not shared with other tabs, and its state is kept in IndexedDB under that id. Two tabs never share an
 * id (they would reuse each other's dots); a tab opened afresh starts a new replica with an empty state and
 * catches up from the cluster. Pass `id` to choose it yourself (e.g. one device, one id).
 */
import type { Item } from '../../crdt/types.ts';
import { startNode, type DriverEvents, type PollenDriver } from '../../transports/driver.ts';
import { mqttLink, badId, type MqttLink } from '../../transports/mqtt.ts';
import { idbStore } from './idb.ts';

export { idbStore } from './idb.ts';

export interface ConnectOptions {
  /** The broker's MQTT-over-WebSockets URL: ws://host:port (wss:// behind TLS). */
  url: string;
  /** Topic root of the cluster (default 'pollen'). */
  root?: string;
  /** This replica's id (default: the tab's id from sessionStorage, else a new random 'web-…' id). */
  id?: string;
  /** Nodes to join through (default: the first node seen present on the broker). */
  contacts?: string[];
  /** MQTT version (default 4, MQTT 3.1.1, which the embedded aedes broker and Mosquitto both speak). */
  protocolVersion?: 4 | 5;
  /** IndexedDB database name (default 'pollen'); false keeps nothing across reloads. */
  db?: string | false;
  /**
   * When an update is saved (transports/durability.ts): 'sync' (default) writes IndexedDB after each change and
   * resolves the update's promise once the write committed, so a reload never loses an update that resolved;
   * N (ms) gathers the changes of N ms into one write, for pages that update many times a second.
   */
  durability?: 'sync' | number;
  /**
   * Seconds between MQTT pings when idle (default 10). A page whose network silently goes away (a phone leaving
   * Wi-Fi) notices after about 1.5 × this, and the broker announces it gone after the same time.
   */
  keepalive?: number;
  /** Membership manager (default 'hyparview', as the Node nodes). */
  membership?: 'hyparview' | 'full' | 'client-server';
  /** Username and password for the broker, if it asks. */
  username?: string;
  password?: string;
}

/** A browser replica: the node driver's calls that a page needs, and its events. */
export interface PollenPage {
  readonly id: string;
  /**
   * A variable of a type spec ('orset', 'pncounter', 'awmap(lww)', …); declaring it again is a no-op. A bad spec
   * throws; the promise resolves once the declaration is saved.
   */
  declare(id: string, type: string): Promise<void>;
  /**
   * Apply a mutator ('add', 'remove', 'inc', …): applied and sent at once (or once back online); a refusal throws.
   * The promise resolves once the update is saved in IndexedDB (see `durability`).
   */
  update(id: string, mutator: string, args: Item[]): Promise<void>;
  /** The variable's value, or undefined when it is not declared. */
  query(id: string): any;
  /** Listen to 'changed' (a variable changed, here or remotely), 'neighbor', 'isolated', …; returns an unsubscriber. */
  on<E extends keyof DriverEvents>(type: E, fn: DriverEvents[E]): () => void;
  /** Connected to the broker now. */
  online(): boolean;
  neighbors(): string[];
  metrics(): { [name: string]: number };
  /** Save the state now (it is also saved `saveEvery` ms after each change, and when the page is hidden). */
  save(): Promise<void>;
  /** Leave the cluster cleanly, save, disconnect. */
  close(): Promise<void>;
  /** The underlying node driver, for what this API leaves out (dataflow, reads, completion). */
  readonly driver: PollenDriver;
}

/** sessionStorage key of the tab's replica id. */
const TAB_ID_KEY = 'pollen.id';
/** Least ms between two automatic joins while this page has no neighbour. */
const JOIN_EVERY = 1000;

function tabId(): string {
  let id: string | null = null;
  try {
    id = sessionStorage.getItem(TAB_ID_KEY);
  } catch {
    // sessionStorage may be blocked (sandboxed frame): the tab then gets a new replica at each load.
  }
  if (id && !badId(id)) return id;
  const r = new Uint32Array(2);
  crypto.getRandomValues(r);
  id = 'web-' + r[0].toString(36) + r[1].toString(36);
  try {
    sessionStorage.setItem(TAB_ID_KEY, id);
  } catch {
    // as above
  }
  return id;
}

export async function connect(o: ConnectOptions): Promise<PollenPage> {
  if (!o || typeof o.url !== 'string' || !/^wss?:\/\//.test(o.url)) {
    throw new Error('pollen connect: url must be the broker\'s MQTT-over-WebSockets address, ws://host:port or wss://host:port');
  }
  const id = o.id ?? tabId();
  const link: MqttLink = await mqttLink({
    id,
    url: o.url,
    root: o.root,
    protocolVersion: o.protocolVersion ?? 4,
    keepalive: o.keepalive,
    offlineStart: true,
    mqtt: { username: o.username, password: o.password },
  });
  let driver: PollenDriver;
  try {
    driver = await startNode({
      id,
      links: [link],
      contacts: o.contacts,
      membership: o.membership,
      // No store at all rather than one in memory: the driver then draws a random epoch, so a reloaded page never
      // issues the dots an earlier load gave out.
      store: o.db === false ? undefined : idbStore(id, o.db ?? 'pollen'),
      durability: o.durability ?? 'sync',
    });
  } catch (e) {
    await link.close();
    throw e;
  }

  // Without contacts, or after a long time offline, join through a node that the broker says is present.
  let lastJoin = -Infinity;
  const joinVia = (peer: string) => {
    if (driver.neighbors().length > 0 || driver.now() - lastJoin < JOIN_EVERY) return;
    lastJoin = driver.now();
    driver.join([peer]);
  };
  const offPeer = link.on('peer', (peer, up) => {
    if (up) joinVia(peer);
  });
  const offIsolated = driver.on('isolated', (e) => {
    const peers = link.peers();
    if (e.isolated && peers.length > 0) joinVia(peers[Math.floor(Math.random() * peers.length)]);
  });
  for (const p of link.peers()) joinVia(p);

  // A page being hidden may be the last chance to save (the tab closed, the phone locked).
  const onHide = () => {
    // A failed save was counted and reported by the driver; there is nobody left to tell here.
    driver.save().catch(() => {});
  };
  // The browser says the network is back: try the broker now rather than after the backoff wait.
  const onOnline = () => link.retryNow();
  if (typeof addEventListener === 'function') {
    addEventListener('pagehide', onHide);
    addEventListener('online', onOnline);
  }

  return {
    id,
    driver,
    declare: (v, type) => driver.declare(v, type),
    update: (v, mutator, args) => driver.update(v, mutator, args),
    query: (v) => driver.query(v),
    on: (type, fn) => driver.on(type, fn),
    online: () => link.connected(),
    neighbors: () => driver.neighbors(),
    metrics: () => driver.metrics(),
    save: () => driver.save(),
    async close() {
      offPeer();
      offIsolated();
      if (typeof removeEventListener === 'function') {
        removeEventListener('pagehide', onHide);
        removeEventListener('online', onOnline);
      }
      await driver.close();
    },
  };
}
