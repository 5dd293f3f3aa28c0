/**
 * The board's driver and its API for sensor code: a Pollen node run on Espruino's own timers, links and Storage.
 * It does what transports/driver.ts does on Node (sends to a link, timers set and cancelled, events out) with the
 * board's APIs and nothing else, so that each function here is one a Puck.js can afford.
 *
 *   var p = Pollen.start({ id: 'puck1', gateway: 'pi', vars: { hits: 'pncounter', seen: 'orset', mode: 'lww' },
 *                          serial: { baud: 9600 } });
 *   p.on('changed', function (id) { print(id, p.query(id)); });
 *   p.update('hits', 'inc', [1]);
 *
 * Memory: running out of variables cannot be caught on the board, so the node is built with bounds for the
 * board's pool (maxVariables = the variables of the config, maxStateBytes, small frame limits), and a link frame
 * is refused by size before it is decoded. Timers: one Espruino timeout per node timer id (the node has a few).
 */
import type { Registry } from '../../crdt/registry.ts';
import { composeNode, step, read, type NodeParts, type PollenNode, type CoreConfig } from '../../runtime/node.ts';
import type { Input, Output, PeerId } from '../../runtime/io.ts';
import type { Membership } from '../../runtime/membership/membership.ts';
import type { AuthConfig } from '../../runtime/auth.ts';
import { BOARD_KNOBS } from './knobs.ts';
import { get } from '../../runtime/store.ts';
import { openStore, type BoardStore } from './storage.ts';

/** A link on the board: it delivers frames and peer changes through `input`, and sends what the node says. */
export interface BoardLink {
  /** Send when this link reaches `to` now; false when it does not (the first link that does carries the frame). */
  send(to: PeerId, bytes: Uint8Array): boolean;
}

export interface BoardConfig {
  id: PeerId;
  /** Seed of the node's random draws (default: from the clock and E.hwRand where there is one). */
  seed?: number;
  /** The gateway a sensor node joins (client-server) or the contacts a HyParView node joins through. */
  contacts?: PeerId[];
  /** Variables and their type specs; the node hears of these and nothing else (selective hearing). */
  vars: { [id: string]: string };
  /** Keep state in Storage under this name (two slots: name + '.0', name + '.1'), or '' for none. */
  persist?: string;
  /** Knobs of the node core (CoreConfig), over the board's defaults (targets/espruino/knobs.ts). */
  core?: Partial<CoreConfig>;
  /** The cluster key, in hex (32 digits or more), on a profile that carries it (`puckkey`): every frame is
   *  tagged and checked as on a Pi (runtime/auth.ts). Needs `persist`, where the key's epoch is counted. */
  key?: string;
  /** Its id (0..255, default 0), as in the Pi's key file. */
  keyId?: number;
}

export interface Parts {
  membership: Membership<unknown>;
  plumtree: NodeParts['plumtree'];
  types: Registry;
  sync: NodeParts['sync'];
  /** The cluster key's part and its config from the key in hex (targets/espruino/hmac.ts), on a profile that
   *  carries them. */
  auth?: NodeParts['auth'];
  keyed?: (hex: string, id: number, epoch: number) => AuthConfig;
}

export interface Board {
  node: PollenNode;
  /** Apply a mutator to a variable (e.g. update('hits', 'inc', [1])). Throws on an unknown variable or mutator. */
  update(id: string, mutator: string, args: unknown[]): void;
  /** The variable's value. */
  query(id: string): unknown;
  /** 'changed' (id), 'neighbor' (peer, up), 'dropped' (from, reason). One handler per event name. */
  on(event: string, fn: (a: unknown, b?: unknown) => void): void;
  /** Feed an input (links call it; a test may too). */
  input(i: Input): void;
  /** The links frames go out on, tried in order (a link adds itself). */
  links: BoardLink[];
  /** Write the state now (the store also writes by itself, debounced, after changes). */
  save(): void;
}

declare const E: { hwRand?: () => number };

/** 32 random bits: E.hwRand where the board has it. */
function random(): number {
  return (typeof E !== 'undefined' && E.hwRand ? E.hwRand() : Math.random() * 4294967296) >>> 0;
}

export function start(cfg: BoardConfig, parts: Parts): Board {
  const store: BoardStore | null = cfg.persist ? openStore(cfg.persist) : null;
  let saved = store ? store.load() : null;
  const ids = Object.keys(cfg.vars);
  const inc = saved ? saved.incarnation + 1 : 0;
  let core: CoreConfig | null = {
    id: cfg.id,
    // From E.hwRand where there is one (and the clock) when the config names no seed.
    seed: cfg.seed !== undefined ? cfg.seed : (random() ^ Date.now()) >>> 0,
    // A restart is a new life: peers must tell its frames from the old one's, so the saved incarnation grows.
    incarnation: inc,
    // Dots are issued as id@epoch, a new epoch each boot (runtime/replica.ts): the state in Storage may be up
    // to persistMs behind what peers already hold, and a dot issued again for another element would make both
    // vanish. With Storage the epoch is the incarnation, written below before any update can issue a dot;
    // without it a random one in [2^32, 2^48), above any incarnation, as a Node node without a store draws.
    epoch: store ? inc : (1 + (random() % 65535)) * 4294967296 + random(),
    restore: saved ? saved.state : undefined,
    interest: ids,
    maxVariables: ids.length,
    maxStateBytes: BOARD_KNOBS.maxStateBytes,
    limits: BOARD_KNOBS.limits,
    plumtree: BOARD_KNOBS.plumtree,
  };
  if (cfg.key) {
    if (!parts.auth || !parts.keyed) throw new Error('this profile carries no cluster key (build puckkey)');
    // Each life seals under a greater epoch (the receivers' replay window needs it): the incarnation, kept.
    if (!store) throw new Error('a cluster key needs persist');
    core.auth = parts.keyed(cfg.key, cfg.keyId || 0, inc + 1);
  }
  if (cfg.core) {
    const ks = Object.keys(cfg.core);
    for (let i = 0; i < ks.length; i++) (core as any)[ks[i]] = (cfg.core as any)[ks[i]];
  }
  const node = composeNode(core, { membership: parts.membership, plumtree: parts.plumtree, dataflow: null, types: parts.types, sync: parts.sync, auth: parts.auth });
  // The closures below keep this scope for as long as the board runs (Espruino keeps a function's whole scope):
  // let go of what only starting needed, or the restored snapshot would stay held beside the live state.
  core = saved = null;
  const links: BoardLink[] = [];
  const timers: { [id: string]: any } = {};
  const handlers: { [ev: string]: (a: unknown, b?: unknown) => void } = {};
  let dirty = false;

  function carry(out: Output[]): void {
    for (let i = 0; i < out.length; i++) {
      const o = out[i];
      if (o.kind === 'send') {
        for (let j = 0; j < links.length; j++) if (links[j].send(o.to, o.bytes)) break;
      } else if (o.kind === 'timer') {
        if (timers[o.id] !== undefined) clearTimeout(timers[o.id]);
        timers[o.id] = setTimeout(board.input, Math.max(0, o.at - Date.now()), { kind: 'timer', id: o.id });
      } else if (o.kind === 'cancel') {
        if (timers[o.id] !== undefined) { clearTimeout(timers[o.id]); delete timers[o.id]; }
      } else {
        const e = o.event as any;
        if (e.type === 'changed') dirty = true;
        const h = handlers[e.type];
        if (h) {
          if (e.type === 'changed') h(e.id);
          else if (e.type === 'neighbor') h(e.peer, e.up);
          else if (e.type === 'dropped') h(e.from, e.reason);
          else h(e);
        }
      }
    }
    if (dirty && store) { dirty = false; store.touch(node); }
  }
  const board: Board = {
    node: node,
    update: function (id, mutator, args) {
      carry(step(node, { kind: 'command', command: { op: 'update', id: id, mutator: mutator, args: args as any } }, Date.now()));
    },
    query: function (id) { return read(node, id); },
    on: function (ev, fn) { handlers[ev] = fn; },
    // Also what a timer calls when it fires (its timeout is then gone).
    input: function (i) {
      if (i.kind === 'timer') delete timers[i.id];
      carry(step(node, i, Date.now()));
    },
    links: links,
    save: function () { if (store) store.write(node); },
  };
  for (let i = 0; i < ids.length; i++) {
    if (!get(node.store, ids[i])) carry(step(node, { kind: 'command', command: { op: 'declare', id: ids[i], type: cfg.vars[ids[i]] } }, Date.now()));
  }
  // The new incarnation is written at once: a board that resets in a loop still counts its lives up.
  if (store) store.write(node);
  return board;
}
