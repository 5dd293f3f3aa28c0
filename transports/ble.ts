/**
 * The BLE link, central role: finds boards that offer the Nordic UART Service (what every Espruino board exposes:
 * a Puck.js, a Pixl.js, a Bangle.js), connects, subscribes to their TX characteristic and writes to their RX one.
 * Frames are cut to the ATT payload of each connection and put back together by blefrag.ts.
 *
 *   const link = await bleLink({ id: 'pi' });                    // loads @stoprocent/noble, waits for the adapter
 *   link.on('peer', (p, up) => ...);                             // 'puck1', true after its hello
 *   link.send('puck1', bytes);
 *   await link.close();                                          // disconnects, stops scanning, stops noble
 *
 * Why @stoprocent/noble: it is the maintained noble fork, it ships prebuilt HCI bindings for Linux x64/arm/arm64
 * (a Pi) so it installs on Node 20 without a compiler, and it loads on a machine without Bluetooth and reports
 * the adapter as 'unsupported' instead of throwing (@abandonware/noble throws at load there; noble 1.9 is
 * unmaintained). It is an optional dependency: this file loads it only when a BLE link is made without an
 * injected `noble`, and says how to install it when it is missing.
 *
 * Inside the fragmented stream, each frame starts with a type byte, as on the serial link (serial.ts):
 *   HELLO [1, flags, ...id]  (flags bit 0: "I have heard yours")    DATA [2, ...payload]
 * The central says hello when the connection is ready; the board answers with its own, and is the peer `id` from
 * then until the connection drops. A board that does not answer within helloTimeout is disconnected.
 *
 * Per connection: one fragmenter and one reassembler (blefrag.ts), the ATT payload (MTU - 3; 20 until the stack
 * reports a larger MTU), and a bounded send queue (link.ts bounds, tail drop). Fragments are written one at a
 * time, the next only when the stack has taken the previous (the write callback): that is the link's
 * backpressure. When a connection drops, its queue is dropped and counted and the board is reconnected with
 * backoff; scanning goes on while there are fewer than maxConnections.
 *
 * maxFrame defaults to 4096 here, not link.ts's 64 KB: at MTU 23 a BLE link carries a few KB/s, so one 64 KB
 * frame would hold it for tens of seconds, and a board could not hold the reassembly buffer anyway.
 */
import type { PeerId } from '../runtime/io.ts';
import { BaseLink, BoundedQueue, LinkError, backoffDelay, type LinkOptions } from './link.ts';
import { DATA, HEARD, HELLO, dataFrame, helloFrame, helloId } from './hello.ts';
import { type Backoff, backoffKnobs, count, linkKnobs, ms } from './options.ts';
import { Fragmenter, Reassembler, MIN_PAYLOAD, MAX_PAYLOAD, MAX_TOTAL } from './blefrag.ts';

/** Nordic UART Service and its characteristics, in noble's form (lower case, no dashes). */
export const NUS_SERVICE = '6e400001b5a3f393e0a9e50e24dcca9e';
/** RX: the board receives what the central writes here. */
export const NUS_RX = '6e400002b5a3f393e0a9e50e24dcca9e';
/** TX: the board notifies what it sends. */
export const NUS_TX = '6e400003b5a3f393e0a9e50e24dcca9e';

/**
 * Peripherals whose reconnection backoff is remembered. 64: sixteen times the default maxConnections, so every
 * board near a gateway keeps its backoff, while advertisers with ever new (random) addresses that fail to connect
 * cannot grow the map. Policy when full: forget the oldest entry, preferring one with no reconnection pending;
 * a forgotten board starts its backoff again from `min` (and, if its reconnection was pending, waits for a scan).
 */
const MAX_RETRY = 64;

/** noble passes event-specific arguments to its listeners. */
type Listener = (...args: any[]) => void;

// The part of noble's API this link uses (callback style, present in every noble fork). A simulated adapter in
// the tests implements exactly this.
export interface NobleCharacteristic {
  uuid: string;
  properties: string[];
  write(data: Buffer, withoutResponse: boolean, cb?: (err?: Error | null) => void): void;
  subscribe(cb?: (err?: Error | null) => void): void;
  on(event: 'data', fn: Listener): unknown;
  removeListener(event: 'data', fn: Listener): unknown;
}
export interface NoblePeripheral {
  id: string;
  address?: string;
  mtu: number | null;
  state: string;
  advertisement?: { localName?: string; serviceUuids?: string[] };
  connect(cb?: (err?: Error | null) => void): void;
  disconnect(cb?: () => void): void;
  discoverSomeServicesAndCharacteristics(
    services: string[], characteristics: string[],
    cb?: (err: Error | null | undefined, services: unknown[], characteristics: NobleCharacteristic[]) => void,
  ): void;
  /** 'disconnect' (reason), 'mtu' (the negotiated ATT MTU). */
  on(event: 'disconnect' | 'mtu', fn: Listener): unknown;
  removeListener(event: 'disconnect' | 'mtu', fn: Listener): unknown;
}
export interface Noble {
  readonly state: string;
  /** 'stateChange' (the adapter state), 'discover' (a NoblePeripheral). */
  on(event: 'stateChange' | 'discover', fn: Listener): unknown;
  removeListener(event: 'stateChange' | 'discover', fn: Listener): unknown;
  startScanning(serviceUuids: string[], allowDuplicates: boolean, cb?: (err?: Error | null) => void): void;
  stopScanning(cb?: () => void): void;
  stop?(): void;
}

export interface BleOptions extends LinkOptions {
  /** A noble instance to use (tests pass a simulated one). Default: load @stoprocent/noble, and stop it on close. */
  noble?: Noble;
  /**
   * Connect only to boards whose advertised name starts with this (e.g. 'Puck.js'). When set the scan is not
   * filtered by service: some firmware advertises its name but leaves the NUS UUID to the scan response.
   */
  namePrefix?: string;
  /**
   * Boards connected at once, default 4: HyParView's active view is 5 and a Pi's controller manages 5 to 10 LE
   * links, so one slot stays free for other links; each connection also costs a reassembly buffer.
   */
  maxConnections?: number;
  /** Wait this long (ms) for the adapter to power on when the link is made (default 5000). */
  adapterTimeout?: number;
  /** A board must answer the hello within this many ms (default 5000: a connection interval of up to 4 s). */
  helloTimeout?: number;
  /** Reconnect delays in ms: from `min`, doubling to `max`, times 0.5..1 (default 500, 10000). */
  backoff?: { min?: number; max?: number };
}

/** The defaults of the options above (their reasons are there), and what each may be (transports/options.ts). */
export const BLE_DEFAULTS = { maxConnections: 4, adapterTimeout: 5000, helloTimeout: 5000 };
const BLE_RANGES = { maxConnections: count(1), adapterTimeout: ms(1), helloTimeout: ms(1) };
export const BLE_BACKOFF: Backoff = { min: 500, max: 10000 };

interface Conn {
  p: NoblePeripheral;
  rx?: NobleCharacteristic;
  tx?: NobleCharacteristic;
  peer?: PeerId;
  payload: number;
  frag: Fragmenter;
  reasm: Reassembler;
  queue: BoundedQueue<Uint8Array>;
  writing: boolean;
  withoutResponse: boolean;
  helloTimer?: NodeJS.Timeout;
  off: (() => void)[];
  ready: boolean;
}

/** Load @stoprocent/noble, or throw a LinkError that says how to get it. */
export async function loadNoble(): Promise<Noble> {
  const name = '@stoprocent/noble'; // a variable, so the typecheck does not need the optional package
  let mod: { default?: Noble };
  try {
    mod = await import(name);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') {
      throw new LinkError('ble', 'not-found', 'the BLE link needs the optional dependency @stoprocent/noble, which ' +
        'is not installed (npm install @stoprocent/noble)');
    }
    throw new LinkError('ble', 'not-found', 'cannot load @stoprocent/noble: ' + err.message);
  }
  const noble = (mod.default ?? mod) as Noble;
  if (typeof noble.startScanning !== 'function') {
    throw new LinkError('ble', 'not-found', '@stoprocent/noble loaded but does not look like noble (no startScanning)');
  }
  return noble;
}

/** ATT payload for an MTU: MTU - 3, within [20, 244]. */
export function attPayload(mtu: number | null | undefined): number {
  if (!mtu || !(mtu > 0)) return MIN_PAYLOAD;
  return Math.max(MIN_PAYLOAD, Math.min(MAX_PAYLOAD, mtu - 3));
}

export class BleLink extends BaseLink {
  readonly kind = 'ble';
  readonly noble: Noble;
  private ownNoble: boolean;
  private o: BleOptions;
  private conns = new Map<string, Conn>(); // by peripheral id
  private byPeer = new Map<PeerId, Conn>();
  private connecting = new Set<string>();
  /** Backoff state by peripheral id; bounded by MAX_RETRY (see reconnectLater). */
  private retry = new Map<string, { attempt: number; timer?: NodeJS.Timeout }>();
  private scanning = false;
  private idBytes: Uint8Array;
  private maxConnections: number;
  private k: typeof BLE_DEFAULTS;
  private backoff: Backoff;
  private onState = (s: string) => this.stateChanged(s);
  private onDiscover = (p: NoblePeripheral) => this.discovered(p);

  constructor(o: BleOptions & { noble: Noble }, ownNoble: boolean) {
    super({ ...o, maxFrame: Math.min(o.maxFrame ?? 4096, MAX_TOTAL - 1) }, 'ble');
    this.idBytes = new TextEncoder().encode(o.id);
    this.o = o;
    this.noble = o.noble;
    this.ownNoble = ownNoble;
    this.k = linkKnobs('ble link', BLE_DEFAULTS, BLE_RANGES, o);
    this.backoff = backoffKnobs('ble link', BLE_BACKOFF, o.backoff);
    this.maxConnections = this.k.maxConnections;
  }

  /** @internal wait for the adapter, then scan; `bleLink` calls it. */
  async start(): Promise<void> {
    const noble = this.noble;
    const wait = this.k.adapterTimeout;
    if (noble.state !== 'poweredOn') {
      await new Promise<void>((resolve, reject) => {
        const why = (s: string) => {
          if (s === 'unsupported') return 'no Bluetooth LE adapter here (noble reports "unsupported"; on Linux check `hciconfig`/`bluetoothctl list`)';
          if (s === 'unauthorized') return 'not allowed to use the Bluetooth adapter (noble reports "unauthorized"; on Linux grant cap_net_raw to node or run as root)';
          if (s === 'poweredOff') return 'the Bluetooth adapter is powered off (bluetoothctl power on)';
          return 'the Bluetooth adapter did not become ready (noble reports "' + s + '")';
        };
        const done = (err?: LinkError) => {
          clearTimeout(timer);
          noble.removeListener('stateChange', on);
          if (err) reject(err);
          else resolve();
        };
        const on = (s: string) => {
          if (s === 'poweredOn') done();
          else if (s === 'unsupported' || s === 'unauthorized') done(this.fail('not-found', why(s)));
        };
        const timer = setTimeout(() => done(this.fail('not-found', why(noble.state) + ' within ' + wait + ' ms')), wait);
        noble.on('stateChange', on);
        on(noble.state);
      });
    }
    noble.on('stateChange', this.onState);
    noble.on('discover', this.onDiscover);
    this.scan();
  }

  private stateChanged(s: string): void {
    if (this.closed) return;
    if (s === 'poweredOn') {
      this.scanning = false;
      this.scan();
    } else {
      this.scanning = false;
      this.fail('not-found', 'Bluetooth adapter went "' + s + '"');
    }
  }

  /** Scan while there is room for another connection. */
  private scan(): void {
    if (this.closed || this.noble.state !== 'poweredOn') return;
    const room = this.conns.size + this.connecting.size < this.maxConnections;
    if (room && !this.scanning) {
      this.scanning = true;
      const filter = this.o.namePrefix !== undefined ? [] : [NUS_SERVICE];
      this.noble.startScanning(filter, false, (err) => {
        if (err) {
          this.scanning = false;
          this.fail('io', 'cannot scan: ' + err.message);
        }
      });
    } else if (!room && this.scanning) {
      this.scanning = false;
      this.noble.stopScanning();
    }
  }

  private wanted(p: NoblePeripheral): boolean {
    const adv = p.advertisement ?? {};
    if (this.o.namePrefix !== undefined) return (adv.localName ?? '').startsWith(this.o.namePrefix);
    const uuids = (adv.serviceUuids ?? []).map((u) => u.replace(/-/g, '').toLowerCase());
    return uuids.length === 0 || uuids.includes(NUS_SERVICE); // scanning filtered by service already
  }

  private discovered(p: NoblePeripheral): void {
    if (this.closed || this.conns.has(p.id) || this.connecting.has(p.id) || !this.wanted(p)) return;
    const r = this.retry.get(p.id);
    if (r?.timer) return; // a reconnect is already scheduled
    if (this.conns.size + this.connecting.size >= this.maxConnections) return;
    this.connect(p);
  }

  private connect(p: NoblePeripheral): void {
    this.connecting.add(p.id);
    this.scan();
    const name = p.advertisement?.localName ? p.advertisement.localName + ' (' + p.id + ')' : p.id;
    p.connect((err) => {
      if (this.closed) {
        this.connecting.delete(p.id);
        if (!err) p.disconnect();
        return;
      }
      if (err) {
        this.connecting.delete(p.id);
        this.fail('refused', 'cannot connect to ' + name + ': ' + err.message);
        this.reconnectLater(p);
        this.scan(); // the slot is free again: look for other boards meanwhile
        return;
      }
      const c: Conn = {
        p,
        payload: attPayload(p.mtu),
        frag: new Fragmenter(),
        reasm: undefined as unknown as Reassembler,
        queue: new BoundedQueue<Uint8Array>(this.queueFrames, this.queueBytes),
        writing: false,
        withoutResponse: false,
        off: [],
        ready: false,
      };
      c.reasm = new Reassembler({ maxFrame: this.maxFrame + 1, maxFragment: c.payload }, {
        frame: (f) => this.onFrame(c, f),
        drop: (e) => this.fail('decode', 'from ' + (c.peer ?? name) + ': ' + e.message),
      });
      this.connecting.delete(p.id);
      this.conns.set(p.id, c);
      const onDisconnect = () => this.lost(c, 'disconnected');
      const onMtu = (mtu: number) => {
        c.payload = attPayload(mtu);
        c.reasm.cfg.maxFragment = c.payload;
      };
      p.on('disconnect', onDisconnect);
      p.on('mtu', onMtu);
      c.off.push(() => p.removeListener('disconnect', onDisconnect));
      c.off.push(() => p.removeListener('mtu', onMtu));
      p.discoverSomeServicesAndCharacteristics([NUS_SERVICE], [NUS_RX, NUS_TX], (err2, _s, chars) => {
        if (this.conns.get(p.id) !== c) return;
        const norm = (u: string) => u.replace(/-/g, '').toLowerCase();
        const rx = (chars ?? []).find((ch) => norm(ch.uuid) === NUS_RX);
        const tx = (chars ?? []).find((ch) => norm(ch.uuid) === NUS_TX);
        if (err2 || !rx || !tx) {
          this.fail('protocol', name + ' does not offer the Nordic UART Service' + (err2 ? ': ' + err2.message : ' (RX/TX characteristics missing)'));
          this.lost(c, 'no UART service');
          p.disconnect();
          return;
        }
        c.rx = rx;
        c.tx = tx;
        c.withoutResponse = rx.properties.includes('writeWithoutResponse');
        const onData = (data: Buffer) => {
          if (this.conns.get(p.id) === c) c.reasm.push(new Uint8Array(data.buffer, data.byteOffset, data.length));
        };
        tx.on('data', onData);
        c.off.push(() => tx.removeListener('data', onData));
        tx.subscribe((err3) => {
          if (this.conns.get(p.id) !== c) return;
          if (err3) {
            this.fail('io', 'cannot subscribe to ' + name + ': ' + err3.message);
            this.lost(c, 'subscribe failed');
            p.disconnect();
            return;
          }
          c.ready = true;
          c.helloTimer = setTimeout(() => {
            this.fail('protocol', 'no hello from ' + name + ' within ' + this.k.helloTimeout + ' ms');
            this.lost(c, 'no hello');
            p.disconnect();
          }, this.k.helloTimeout);
          this.hello(c, false);
        });
      });
    });
  }

  private reconnectLater(p: NoblePeripheral): void {
    if (this.closed) return;
    let r = this.retry.get(p.id);
    if (!r) {
      if (this.retry.size >= MAX_RETRY) this.forgetOldestRetry();
      r = { attempt: 0 };
      this.retry.set(p.id, r);
    }
    if (r.timer) return;
    const delay = backoffDelay(r.attempt, this.backoff.min, this.backoff.max);
    r.attempt++;
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (this.closed || this.conns.has(p.id) || this.connecting.has(p.id)) return;
      if (this.conns.size + this.connecting.size >= this.maxConnections) return;
      this.connect(p);
    }, delay);
  }

  /** Make room in `retry` (MAX_RETRY): the oldest entry without a pending reconnection, else the oldest. */
  private forgetOldestRetry(): void {
    let victim: string | undefined;
    for (const [id, r] of this.retry) {
      if (victim === undefined) victim = id;
      if (!r.timer) {
        victim = id;
        break;
      }
    }
    if (victim === undefined) return;
    clearTimeout(this.retry.get(victim)!.timer);
    this.retry.delete(victim);
  }

  /** A connection ended (or is given up): peer down, queue dropped, reconnect later. */
  private lost(c: Conn, why: string): void {
    if (this.conns.get(c.p.id) !== c) return;
    this.conns.delete(c.p.id);
    clearTimeout(c.helloTimer);
    for (const off of c.off) off();
    const n = c.queue.length;
    c.queue.clear();
    if (c.peer !== undefined) {
      if (this.byPeer.get(c.peer) === c) this.byPeer.delete(c.peer);
      this.peerDown(c.peer);
    }
    if (this.closed) return;
    if (n > 0) {
      this.counters.dropped += n - 1;
      this.drop('unreachable', (c.peer ?? c.p.id) + ' ' + why + ': ' + n + ' queued frame(s) dropped');
    }
    this.reconnectLater(c.p);
    this.scan();
  }

  private onFrame(c: Conn, f: Uint8Array): void {
    if (f.length === 0) return this.bad(c, 'an empty frame');
    if (f[0] === DATA) {
      if (c.peer === undefined) {
        this.counters.dropped++;
        return this.bad(c, 'a data frame before any hello');
      }
      this.deliver(c.peer, f.subarray(1));
      return;
    }
    if (f[0] !== HELLO) return this.bad(c, 'a frame of unknown type ' + f[0]);
    const id = helloId(f, 2);
    if (id === '' || id === this.self) return this.bad(c, id === '' ? 'a malformed hello' : 'a hello with our own id');
    clearTimeout(c.helloTimer);
    if (c.peer !== id) {
      if (c.peer !== undefined) {
        this.byPeer.delete(c.peer);
        this.peerDown(c.peer);
      }
      const other = this.byPeer.get(id);
      if (other && other !== c) {
        // The same node on two connections (it has two radios, or an old connection not yet timed out): keep one.
        this.fail('protocol', id + ' connected twice; dropping the older connection');
        this.lost(other, 'replaced');
        other.p.disconnect();
      }
      c.peer = id;
      this.byPeer.set(id, c);
      // It answered: its backoff starts afresh next time (no entry is the same as attempt 0).
      clearTimeout(this.retry.get(c.p.id)?.timer);
      this.retry.delete(c.p.id);
      // Answer before announcing the peer: a listener may send at once, and the board must hear who we are first.
      if ((f[1] & HEARD) === 0) this.hello(c, true);
      this.peerUp(id);
      return;
    }
    if ((f[1] & HEARD) === 0) this.hello(c, true);
  }

  private bad(c: Conn, what: string): void {
    this.fail('protocol', 'from ' + (c.peer ?? c.p.id) + ': ' + what + ', dropped');
  }

  private hello(c: Conn, heard: boolean): void {
    const body = helloFrame(this.idBytes, heard);
    // Queued like data, so the fragments of a hello and of a data frame never interleave.
    if (!c.queue.push(body, body.length)) return;
    this.pump(c);
  }

  send(to: PeerId, bytes: Uint8Array): boolean {
    if (!this.admit(to, bytes)) return false;
    const c = this.byPeer.get(to);
    if (!c || !c.ready) return this.drop('unreachable', 'no BLE connection to "' + to + '"');
    const body = dataFrame(bytes);
    if (!c.queue.push(body, body.length)) {
      return this.drop('queue-full', 'send queue to ' + to + ' full (' + c.queue.length + ' frames, ' + c.queue.bytes + ' bytes)');
    }
    this.pump(c);
    return true;
  }

  /** Write the next frame's fragments one by one, each after the stack took the previous. */
  private pump(c: Conn): void {
    if (c.writing || !c.ready || !c.rx) return;
    const body = c.queue.shift();
    if (!body) return;
    c.writing = true;
    const parts = c.frag.fragment(body, c.payload);
    const rx = c.rx;
    let i = 0;
    const next = (err?: Error | null) => {
      if (this.conns.get(c.p.id) !== c) return;
      if (err) {
        // The rest of this frame is abandoned; the peer's reassembler counts it as missing.
        this.drop('io', 'write to ' + (c.peer ?? c.p.id) + ' failed: ' + err.message);
        c.writing = false;
        this.pump(c);
        return;
      }
      if (i === parts.length) {
        c.writing = false;
        if (body[0] === DATA) this.sent(body.length - 1);
        this.pump(c);
        return;
      }
      rx.write(Buffer.from(parts[i++]), c.withoutResponse, next);
    };
    next();
  }

  /** Connections by peripheral id, with their peer and ATT payload (for tests and the CLI). */
  connections(): { id: string; peer?: PeerId; payload: number; queued: number }[] {
    return [...this.conns.values()].map((c) => ({ id: c.p.id, peer: c.peer, payload: c.payload, queued: c.queue.length }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.allDown();
    this.closed = true;
    this.noble.removeListener('stateChange', this.onState);
    this.noble.removeListener('discover', this.onDiscover);
    for (const r of this.retry.values()) clearTimeout(r.timer);
    const waits: Promise<void>[] = [];
    for (const c of [...this.conns.values()]) {
      clearTimeout(c.helloTimer);
      for (const off of c.off) off();
      c.queue.clear();
      waits.push(new Promise<void>((r) => {
        const t = setTimeout(r, 1000); // a stack that never confirms must not hold close forever
        c.p.disconnect(() => {
          clearTimeout(t);
          r();
        });
      }));
    }
    this.conns.clear();
    this.byPeer.clear();
    if (this.scanning && this.noble.state === 'poweredOn') {
      this.scanning = false;
      this.noble.stopScanning();
    }
    await Promise.all(waits);
    if (this.ownNoble && typeof this.noble.stop === 'function') this.noble.stop();
  }
}

/**
 * Make a BLE link: loads noble (unless given), waits for the adapter to power on, starts scanning. Rejects with a
 * LinkError ('not-found') when noble is missing or there is no usable adapter, saying which.
 */
export async function bleLink(o: BleOptions): Promise<BleLink> {
  const own = o.noble === undefined;
  const noble = o.noble ?? (await loadNoble());
  let link: BleLink;
  try {
    link = new BleLink({ ...o, noble }, own);
  } catch (e) {
    if (own && typeof noble.stop === 'function') noble.stop();
    throw e;
  }
  try {
    await link.start();
  } catch (e) {
    await link.close();
    throw e;
  }
  return link;
}
