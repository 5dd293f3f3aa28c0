/**
 * Pollen in a browser page: a client node (targets/browser/page.ts) whose one link is MQTT over WebSockets to the
 * broker of a gateway (targets/node/gateway.ts), with its state kept in IndexedDB so that a reloaded page, online
 * or not, starts from where it was. The page names the CRDT types it uses, so a bundler keeps those and drops the
 * rest; built as one ES module with every type by targets/browser/build.ts (dist/browser.js).
 *
 *   import { connect, ORSet } from './pollen-browser.js';
 *   const p = await connect({ url: 'ws://gateway.local:8080', root: 'pollen/shop/pages', types: [ORSet] });
 *   p.declare('basket', 'orset');
 *   p.on('changed', (e) => render(p.query('basket')));   // local and remote changes alike
 *   p.update('basket', 'add', ['milk']);
 *   p.query('basket');                                  // ['milk']
 *
 * `connect` resolves once the saved state is loaded, without waiting for the broker: updates made offline are
 * kept and saved, and spread when the link comes back (the MQTT link retries with backoff; anti-entropy sends
 * what the gateway missed). The page joins, as a client, every gateway it sees present on the pages' root (any
 * present node whose id is not a tab's 'web-…' id), unless `contacts` names them.
 *
 * Identity: each tab is its own replica. Its id is kept in sessionStorage, which survives a reload of that tab
 * and is not shared with other tabs, and its state is kept in IndexedDB under that id. Two tabs never share an
 * id (they would reuse each other's dots); a tab opened afresh starts a new replica with an empty state and
 * catches up from the cluster. Pass `id` to choose it yourself (e.g. one device, one id).
 */
import type { Core } from '../../crdt/types.ts';
import { registry, register, type Registry } from '../../crdt/registry.ts';
import { badId } from '../../transports/mqtttopics.ts';
import { pageLink } from './mqtt.ts';
import { startPage, type PageNode } from './page.ts';
import { idbStore } from './idb.ts';
import type { PageKey } from './key.ts';

export { idbStore } from './idb.ts';
export { clusterKey, type PageKey } from './key.ts';
export { registry, register, registerFactory } from '../../crdt/registry.ts';
// The types' core tables, as a board registers them (targets/espruino/puck.ts): the same state, wire form and
// mutators as the full tables a Node node uses, without the faster joins bounded by the delta and the extras
// only full anti-entropy asks for. A page's states are small, so a join that walks the state costs little, and
// the OR-Set's core weighs 5 KB less minified. GCounter has one table only. A page may pass full tables too.
export { ORSetCore as ORSet } from '../../crdt/orset.ts';
export { PNCounterCore as PNCounter } from '../../crdt/pncounter.ts';
export { GCounter } from '../../crdt/gcounter.ts';
export { LWWCore as LWW } from '../../crdt/lww.ts';

export interface ConnectOptions {
  /** The broker's MQTT-over-WebSockets URL: ws://host:port (wss:// behind TLS). */
  url: string;
  /** Topic root the gateway serves pages on (default 'pollen/pages', a gateway's default for root 'pollen'). */
  root?: string;
  /** The CRDT types this page uses (e.g. [ORSet, PNCounter]), or a registry for factories (awmap, pair). */
  types: Core<any, any>[] | Registry;
  /** This replica's id (default: the tab's id from sessionStorage, else a new random 'web-…' id). */
  id?: string;
  /** The gateways to join (default: every node seen present on the root whose id is not a tab's 'web-…'). */
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
  /** The cluster key, clusterKey(hex) (targets/browser/key.ts): frames are tagged and checked (not encrypted). */
  key?: PageKey;
  /** Username and password for the broker, if it asks. */
  username?: string;
  password?: string;
}

/**
 * A browser replica: the page node's calls (targets/browser/page.ts's PageNode: declare, update, query, on,
 * neighbors, metrics, save, close, and the `node` and `link` beneath), and whether the broker is there.
 * `declare` and `update` throw on a refusal and resolve once the change is saved in IndexedDB (see `durability`);
 * `query` is undefined for a variable not declared; `on` returns an unsubscriber.
 */
export interface PollenPage extends PageNode {
  /** Connected to the broker now. */
  online(): boolean;
}

/** sessionStorage key of the tab's replica id. */
const TAB_ID_KEY = 'pollen.id';
/** Prefix of the ids tabs give themselves; a present node without it is taken for a gateway. */
const TAB_PREFIX = 'web-';

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
  id = TAB_PREFIX + r[0].toString(36) + r[1].toString(36);
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
  if (!o.types) throw new Error('pollen connect: name the CRDT types the page uses, e.g. types: [ORSet]');
  let types: Registry;
  if (Array.isArray(o.types)) {
    types = registry();
    for (const t of o.types) register(types, t);
  } else types = o.types;
  const id = o.id ?? tabId();
  const link = pageLink({ id, url: o.url, root: o.root ?? 'pollen/pages', protocolVersion: o.protocolVersion, keepalive: o.keepalive, username: o.username, password: o.password });
  let page: PageNode;
  try {
    page = await startPage({
      id,
      link,
      types,
      contacts: o.contacts,
      // No store at all rather than one in memory: the node then draws a random epoch, so a reloaded page never
      // issues the dots an earlier load gave out.
      store: o.db === false ? undefined : idbStore(id, o.db ?? 'pollen'),
      durability: o.durability ?? 'sync',
      key: o.key,
    });
  } catch (e) {
    await link.close();
    throw e;
  }

  // Without contacts, join every gateway the broker says is present (client-server retries an unanswered join
  // with backoff and rejoins a gateway that went silent; a gateway coming back is joined at once).
  const gateway = (peer: string): boolean => (o.contacts ? o.contacts.includes(peer) : !peer.startsWith(TAB_PREFIX));
  const offPeer = link.on('peer', (peer, up) => {
    if (up && gateway(peer)) page.join([peer]);
  });
  const present = link.peers().filter(gateway);
  if (!o.contacts && present.length) page.join(present);

  // A page being hidden may be the last chance to save (the tab closed, the phone locked).
  const onHide = () => {
    // A failed save was counted and reported by the node; there is nobody left to tell here.
    page.save().catch(() => {});
  };
  // The browser says the network is back: try the broker now rather than after the backoff wait.
  const onOnline = () => link.retryNow();
  if (typeof addEventListener === 'function') {
    addEventListener('pagehide', onHide);
    addEventListener('online', onOnline);
  }

  return {
    ...page,
    online: link.connected,
    async close() {
      offPeer();
      if (typeof removeEventListener === 'function') {
        removeEventListener('pagehide', onHide);
        removeEventListener('online', onOnline);
      }
      await page.close();
    },
  };
}
