/**
 * A running node for `pollen node` and `pollen bridge`: its links (links.ts), the node driver, its variables
 * declared, the HTTP endpoint (/metrics, /state) and mDNS discovery when asked, and what it says about itself:
 * each peer a link finds (MQTT presence, a TCP or serial hello, a BLE board, an mDNS answer), neighbours coming and
 * going. Events go to `log` as objects; the command prints them as text or JSON lines.
 */
import { statSync } from 'node:fs';
import { startNode as startDriver, fileStore, type PollenDriver } from '../../transports/driver.ts';
import type { NodeConfigFile } from './config.ts';
import { makeLinks } from './links.ts';
import { readKeyFile } from '../../transports/crypto.ts';
import type { MeteredLink } from './meter.ts';
import { render, samples, type Extra, type Sample } from './prometheus.ts';
import { serve, type HttpServer } from './http.ts';
import { nodeSnapshot } from '../view/snapshot.ts';

export interface Running {
  cfg: NodeConfigFile;
  driver: PollenDriver;
  links: MeteredLink[];
  http?: HttpServer;
  extra: Extra;
  /** Samples the caller adds to /metrics (the bridge's). */
  more: (() => Sample[])[];
  /** Read the key file again and use its keys (rotation): the key ids held after it, [] without a key file.
   *  Rejects, keeping the keys held, when the file is bad. */
  rotate(): Promise<number[]>;
  close(): Promise<void>;
}

export type Log = (ev: { ev: string; [k: string]: unknown }) => void;

export async function startNode(cfg: NodeConfigFile, log: Log): Promise<Running> {
  const keys = cfg.keyFile ? await readKeyFile(cfg.keyFile) : undefined;
  const { links, tcp } = await makeLinks(cfg, keys);
  const extra: Extra = { linkErrors: {}, lastChange: 0 };
  for (const l of links) {
    l.on('peer', (peer, up) => {
      if (up) log({ ev: 'found', peer, link: l.kind });
    });
  }
  let driver: PollenDriver;
  try {
    driver = await startDriver({
      id: cfg.id,
      links,
      membership: cfg.membership,
      contacts: cfg.contacts.length ? cfg.contacts : undefined,
      store: cfg.store ? fileStore(cfg.store) : undefined,
      durability: cfg.durability,
      seed: cfg.seed,
      keys,
      encrypt: cfg.encrypt,
    });
  } catch (e) {
    await Promise.all(links.map((l) => l.close()));
    throw e;
  }
  driver.on('linkError', (e) => {
    const k = e.link + '|' + e.code;
    extra.linkErrors[k] = (extra.linkErrors[k] ?? 0) + 1;
  });
  driver.on('changed', () => (extra.lastChange = Date.now()));
  driver.on('neighbor', (e) => log({ ev: 'neighbor', peer: e.peer, up: e.up }));
  for (const [name, type] of Object.entries(cfg.variables)) {
    // A variable restored from the store is already declared: declaring it again with its type is a no-op.
    driver.declare(name, type);
  }
  // With no contacts, join whatever a link finds: the first peer found is the contact (HyParView then learns the
  // rest through it). Peers already up when the node started count as found.
  if (cfg.contacts.length === 0) {
    let joined = false;
    const tryJoin = (peer: string) => {
      if (joined || peer === cfg.id) return;
      joined = true;
      log({ ev: 'joining', peer });
      driver.join([peer]);
    };
    for (const l of links) {
      for (const p of l.peers()) tryJoin(p);
      l.on('peer', (p, up) => up && tryJoin(p));
    }
  }
  const more: (() => Sample[])[] = [];
  const metricsText = () => {
    if (cfg.store) {
      try {
        extra.storeBytes = statSync(cfg.store).size;
      } catch {
        extra.storeBytes = 0;
      }
    }
    extra.more = more.flatMap((f) => f());
    return render(samples(driver, links, extra));
  };
  let http: HttpServer | undefined;
  let stopMdns: (() => Promise<void>) | undefined;
  try {
    if (cfg.http) {
      http = await serve(cfg.http.host, cfg.http.port, {
        '/metrics': () => ({ type: 'text/plain; version=0.0.4; charset=utf-8', body: metricsText() }),
        '/state': () => ({ type: 'application/json', body: JSON.stringify(nodeSnapshot(driver.node)) }),
      });
    }
    if (cfg.mdns) {
      if (!tcp || !tcp.port) throw new Error('--mdns needs a TCP listener (--tcp-listen) to announce');
      const { announceAndBrowse } = await import('./mdns.ts');
      stopMdns = await announceAndBrowse(cfg.id, tcp, log, cfg.mdns);
    }
  } catch (e) {
    await http?.close();
    await driver.close();
    throw e;
  }
  return {
    cfg,
    driver,
    links,
    http,
    extra,
    more,
    async rotate() {
      if (!cfg.keyFile) return [];
      const ks = await readKeyFile(cfg.keyFile);
      driver.setKeys(ks);
      if (tcp) tcp.setKeys(ks);
      return driver.keyIds();
    },
    async close() {
      await stopMdns?.();
      await http?.close();
      await driver.close();
    },
  };
}
