/**
 * The pages' gateway: pages (targets/browser) are clients, composed with client-server membership and nothing of
 * HyParView or Plumtree, so they cannot be members of a HyParView cluster themselves. A gateway is two nodes in
 * one process under one id: `cluster`, a HyParView member on the cluster's topic root, and `pages`, the server of
 * a client-server star on the pages' root; `relay` keeps their variables joined, so what a page writes reaches the
 * cluster and the reverse.
 *
 *   const gw = await startGateway({ id: 'gw', url: broker.url, root: 'pollen/shop', contacts: ['n1'] });
 *   // pages: connect({ url: broker.wsUrl, root: 'pollen/shop/pages' })   (gw.pagesRoot)
 *   await gw.close();
 *
 * Relaying joins lattice states, so it is what anti-entropy does between two replicas: a page's dots stay the
 * page's, a join that adds nothing emits no 'changed' (so the two relays stop after one round), and a variable one
 * side introduces is declared on the other with the same type spec. Neither node issues dots of its own.
 */
import { ids } from '../../runtime/store.ts';
import { specOfVar } from '../../runtime/node.ts';
import { startNode, type PollenDriver, type NodeStore } from '../../transports/driver.ts';
import { mqttLink, type MqttOptions } from '../../transports/mqtt.ts';

export interface GatewayOptions {
  id: string;
  /** The broker both nodes use (mqtt://…; the pages reach it over its WebSocket listener). */
  url: string;
  /** The cluster's topic root (default 'pollen'). */
  root?: string;
  /** The pages' topic root (default root + '/pages'). */
  pagesRoot?: string;
  /** Cluster nodes to join through (none: the others join this one). */
  contacts?: string[];
  /** MQTT version of both links (default 4, which every broker speaks). */
  protocolVersion?: 4 | 5;
  /** Where the cluster node keeps its state (the pages' node keeps none: it holds what the cluster holds). */
  store?: NodeStore;
  /** The cluster's key (startNode's `key`), for the cluster node. */
  key?: string | Uint8Array;
  /** The pages' key, for the pages' node: tags only, no `encrypt` (a page cannot decrypt; targets/browser/key.ts). */
  pagesKey?: string | Uint8Array;
  /** Options both MQTT links take (username, password, TLS...). */
  mqtt?: MqttOptions['mqtt'];
}

export interface Gateway {
  readonly cluster: PollenDriver;
  readonly pages: PollenDriver;
  readonly pagesRoot: string;
  /** Relay errors: a variable one side has under another type, or a derived one (counted, not relayed). */
  readonly stats: { relayed: number; refused: number };
  close(): Promise<void>;
}

/**
 * Keep every variable of `a` and `b` joined, now and after every change of either; returns the unsubscriber.
 * A variable that cannot be relayed (another type on the other side, derived there) is counted in `stats.refused`.
 */
export function relay(a: PollenDriver, b: PollenDriver, stats = { relayed: 0, refused: 0 }): () => void {
  const copy = (from: PollenDriver, to: PollenDriver, id: string): void => {
    const spec = specOfVar(from.node, id);
    if (spec === undefined) return;
    try {
      // Both promises are the store's durability: a failed save is reported by that driver; nothing to add here.
      if (to.state(id) === undefined) to.declare(id, spec).catch(() => {});
      to.bind(id, from.state(id)).catch(() => {});
      stats.relayed++;
    } catch {
      stats.refused++;
    }
  };
  for (const id of ids(a.node.store)) copy(a, b, id);
  for (const id of ids(b.node.store)) copy(b, a, id);
  const offA = a.on('changed', (e) => copy(a, b, e.id));
  const offB = b.on('changed', (e) => copy(b, a, e.id));
  return () => {
    offA();
    offB();
  };
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const root = o.root ?? 'pollen';
  const pagesRoot = o.pagesRoot ?? root + '/pages';
  if (pagesRoot === root) throw new Error('gateway ' + o.id + ': the pages need a topic root of their own (pagesRoot), not the cluster\'s');
  const common = { id: o.id, url: o.url, protocolVersion: o.protocolVersion ?? 4, mqtt: o.mqtt };
  const cluster = await startNode({ id: o.id, links: [await mqttLink({ ...common, root })], contacts: o.contacts, store: o.store, key: o.key });
  let pages: PollenDriver;
  try {
    pages = await startNode({ id: o.id, links: [await mqttLink({ ...common, root: pagesRoot })], membership: 'client-server', key: o.pagesKey });
  } catch (e) {
    await cluster.close();
    throw e;
  }
  const stats = { relayed: 0, refused: 0 };
  const off = relay(cluster, pages, stats);
  return {
    cluster,
    pages,
    pagesRoot,
    stats,
    async close() {
      off();
      await Promise.all([pages.close(), cluster.close()]);
    },
  };
}
