/**
 * The TCP link, for Pi-to-Pi: length-prefixed frames over one connection per peer.
 *
 *   const a = await tcpLink({ id: 'a', listen: { port: 7000, host: '0.0.0.0' } });
 *   const b = await tcpLink({ id: 'b', connect: ['pi-a.local:7000'] });
 *   b.on('peer', (p, up) => ...);        // 'a', true once the hellos crossed
 *   b.send('a', bytes);
 *
 * Wire format: every frame is a 4-byte big-endian length N followed by N bytes. The first frame each side sends
 * is its hello, "PLN1" and then its id in UTF-8 (1..64 bytes); until the hello arrived the connection has no
 * peer and no other frame is accepted. With the cluster keys (`keys`) the hello is "PLK1", a nonce and the id,
 * and the connection becomes a peer only once the other end's proof of a key has arrived (transports/tcpproof.ts):
 * a stranger can then neither take a peer's connection by naming its id nor keep a slot past helloTimeout.
 * A length above maxFrame (or above a hello's size before the hello), a bad hello, or no hello within
 * helloTimeout closes the connection and counts an error: a byte stream cannot be resynchronised after a wrong
 * length, so the only safe move is to drop the connection and let the dialler retry.
 *
 * One connection per peer: when both sides dial each other, both keep the connection dialled by the smaller id
 * and close the other, so they agree without another message. A dialler retries with exponential backoff and
 * jitter; it rests while its peer is reachable over another connection and wakes when that one goes down.
 *
 * close() flushes each connection's queue before its FIN (waiting at most 1 s), so the frames a node sends while
 * leaving (DISCONNECT) still go out.
 *
 * The send queue of each connection is the socket's own write buffer, bounded by queue.frames and queue.bytes
 * (link.ts): a frame that would pass either is dropped (tail drop). Counters count payload bytes, not prefixes.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import type { PeerId } from '../runtime/io.ts';
import { BaseLink, MAX_PEER_ID, backoffDelay, type LinkOptions } from './link.ts';
import { helloId } from './hello.ts';
import { HELLO_HEAD, type LinkKey, helloNonce, keyedHello, linkKeys, newNonce, proofHolds, proofOf } from './tcpproof.ts';
import { type Backoff, backoffKnobs, count, linkKnobs, ms } from './options.ts';

const MAGIC = Buffer.from('PLN1');

export interface TcpOptions extends LinkOptions {
  /** Accept connections here. host defaults to 127.0.0.1; give '0.0.0.0' (or an address) to serve a LAN. */
  listen?: number | { port: number; host?: string };
  /** Addresses 'host:port' to dial and keep dialled. */
  connect?: string[];
  /** Redial delays in ms: first retry after `min`, doubling to `max`, each times a random 0.5..1 (default 100, 5000). */
  backoff?: { min?: number; max?: number };
  /** A connection that has not said hello after this many ms is closed (default 5000: generous for a slow Pi). */
  helloTimeout?: number;
  /** Connections with a peer at once (default 64: far above HyParView's active view, still a bound on sockets). */
  maxConnections?: number;
  /** Accepted connections still without a hello, bounded apart from the established ones so strangers that
   *  connect and say nothing cannot take the room of peers (default 16; one more is closed at once). */
  maxPending?: number;
  /** A connection that delivered no whole frame for this many ms is closed: idle, or sending a frame byte by
   *  byte (default 30000). Each side sends an empty frame (a link keepalive) after idleTimeout / 3 of silence. */
  idleTimeout?: number;
  /** The cluster keys (runtime/auth.ts's, ids 0..255, the first the one proved with): a connection is a peer only
   *  once its other end proved it holds one (transports/tcpproof.ts). Both ends need them; setKeys rotates. */
  keys?: { id: number; key: Uint8Array }[];
}

/** The defaults of the options above (their reasons are there), and what each may be (transports/options.ts). */
export const TCP_DEFAULTS = { helloTimeout: 5000, maxConnections: 64, maxPending: 16, idleTimeout: 30000 };
const TCP_RANGES = { helloTimeout: ms(1), maxConnections: count(1), maxPending: count(1), idleTimeout: ms(30) };
export const TCP_BACKOFF: Backoff = { min: 100, max: 5000 };

/**
 * The stream parser: a state machine that takes bytes as they come, cuts them into frames, and says what broke.
 * It holds at most one partial frame, whose size it checked before allocating it.
 */
export class LengthPrefixDecoder {
  limit: number;
  private head = Buffer.alloc(4);
  private headN = 0;
  private body: Buffer | undefined;
  private bodyN = 0;
  constructor(limit: number) {
    this.limit = limit;
  }
  /** Feed bytes; calls onFrame per whole frame. Returns an error message when the stream is broken (stop then). */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): string | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (!this.body) {
        const n = Math.min(4 - this.headN, chunk.length - i);
        chunk.copy(this.head, this.headN, i, i + n);
        this.headN += n;
        i += n;
        if (this.headN < 4) break;
        const len = this.head.readUInt32BE(0);
        this.headN = 0;
        if (len > this.limit) return 'length prefix announces ' + len + ' bytes, limit is ' + this.limit;
        if (len === 0) {
          onFrame(Buffer.alloc(0));
          continue;
        }
        this.body = Buffer.allocUnsafe(len);
        this.bodyN = 0;
      } else {
        const n = Math.min(this.body.length - this.bodyN, chunk.length - i);
        chunk.copy(this.body, this.bodyN, i, i + n);
        this.bodyN += n;
        i += n;
        if (this.bodyN === this.body.length) {
          const f = this.body;
          this.body = undefined;
          onFrame(f);
        }
      }
    }
    return undefined;
  }
}

interface Conn {
  socket: Socket;
  /** The peer, once its hello arrived. */
  peer?: PeerId;
  /** True when this side dialled. */
  dialed: boolean;
  dialer?: Dialer;
  dec: LengthPrefixDecoder;
  /** Frames handed to the socket and not yet flushed. */
  pending: number;
  helloTimer?: NodeJS.Timeout;
  /** When the last whole frame arrived and the last frame left (ms, Date.now()). */
  heard: number;
  said: number;
  /** Frames cut from the chunk being read, and the timer that resumes a connection paused past its budget. */
  got: number;
  resume?: NodeJS.Timeout;
  /** With keys: this side's nonce, and once the other's hello arrived, its id and nonce until its proof does. */
  nonce?: Buffer;
  claimed?: PeerId;
  theirs?: Buffer;
}

interface Dialer {
  host: string;
  port: number;
  attempt: number;
  timer?: NodeJS.Timeout;
  conn?: Conn;
  /** The peer id this address answered with last time. */
  peer?: PeerId;
  /** Resting: the peer is reachable over another connection. */
  parked: boolean;
}

function parseAddr(a: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(a);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || !(port > 0 && port < 65536)) throw new Error('tcp link: address "' + a + '" is not host:port');
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

export class TcpLink extends BaseLink {
  readonly kind = 'tcp';
  /** The port listened on (after `await tcpLink`), or 0 when not listening. */
  port = 0;
  private server: Server | undefined;
  private conns = new Set<Conn>();
  private byPeer = new Map<PeerId, Conn>();
  private dialers: Dialer[] = [];
  private backoffMin: number;
  private backoffMax: number;
  private helloTimeout: number;
  private maxConnections: number;
  private maxPending: number;
  private idleTimeout: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private o: TcpOptions;
  private keys: LinkKey[] | null;

  constructor(o: TcpOptions) {
    super(o, 'tcp');
    this.o = o;
    const b = backoffKnobs('tcp link', TCP_BACKOFF, o.backoff);
    const k = linkKnobs('tcp link', TCP_DEFAULTS, TCP_RANGES, o);
    this.backoffMin = b.min;
    this.backoffMax = b.max;
    this.helloTimeout = k.helloTimeout;
    this.maxConnections = k.maxConnections;
    this.maxPending = k.maxPending;
    this.idleTimeout = k.idleTimeout;
    this.keys = o.keys && o.keys.length > 0 ? linkKeys(o.keys) : null;
    // Past its receive budget a peer is not dropped but paused: its socket rests until the debt is paid, so
    // TCP flow control slows the sender and nothing an honest peer sent in a burst is lost.
    this.budgetByDefault(o);
    this.budgetDrops = false;
    for (const a of o.connect ?? []) this.dialers.push({ ...parseAddr(a), attempt: 0, parked: false });
  }

  /** @internal listen (if asked) and start dialling; `tcpLink` calls it. */
  async start(): Promise<void> {
    const l = this.o.listen;
    if (l !== undefined) {
      const port = typeof l === 'number' ? l : l.port;
      const host = typeof l === 'number' ? '127.0.0.1' : l.host ?? '127.0.0.1';
      const server = createServer((s) => this.accept(s));
      server.maxConnections = this.maxConnections + this.maxPending;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) => {
          const err = this.fail(e.code === 'EADDRNOTAVAIL' ? 'not-found' : 'refused', 'cannot listen on ' + host + ':' + port + ': ' + (e.code || e.message));
          reject(err);
        });
        server.listen(port, host, () => resolve());
      });
      server.on('error', (e) => this.fail('io', 'listener: ' + e.message));
      this.server = server;
      this.port = (server.address() as { port: number }).port;
    }
    for (const d of this.dialers) this.dial(d);
    const every = Math.max(10, Math.floor(this.idleTimeout / 3));
    this.idleTimer = setInterval(() => this.sweep(), every);
    this.idleTimer.unref();
  }

  /** Close connections silent past idleTimeout; keep our side of quiet ones alive with an empty frame. */
  private sweep(): void {
    const now = Date.now();
    for (const c of this.conns) {
      if (c.socket.destroyed) continue;
      if (now - c.heard > this.idleTimeout) {
        this.fail('protocol', 'no whole frame from ' + (c.peer ?? 'a connection') + ' in ' + this.idleTimeout + ' ms (idle or half-sent); closing it');
        c.socket.destroy();
      } else if (c.peer !== undefined && now - c.said > this.idleTimeout / 3) {
        this.write(c, Buffer.alloc(0), () => {});
      }
    }
  }

  /** Rotation: prove with keys[0] from now on and accept a proof with any of them (connections up stay up). */
  setKeys(keys: { id: number; key: Uint8Array }[]): void {
    if (this.keys === null || keys.length === 0) throw new Error('tcp link: setKeys needs keys, and a link started with keys');
    this.keys = linkKeys(keys);
  }

  /**
   * Dial one more address and keep it dialled, as discovery (mDNS in `pollen node`) finds listeners. False when
   * it is known already, the link is closed, or the dialled addresses reach maxConnections (a flood of answers
   * cannot grow the list without bound).
   */
  addAddress(addr: string): boolean {
    const a = parseAddr(addr);
    if (this.closed || this.dialers.some((d) => d.host === a.host && d.port === a.port)) return false;
    if (this.dialers.length >= this.maxConnections) return false;
    const d: Dialer = { ...a, attempt: 0, parked: false };
    this.dialers.push(d);
    this.dial(d);
    return true;
  }

  private accept(s: Socket): void {
    if (this.closed) {
      s.destroy();
      return;
    }
    let waiting = 0;
    for (const c of this.conns) if (c.peer === undefined && !c.dialed) waiting++;
    if (waiting >= this.maxPending) {
      this.fail('refused', waiting + ' connections have not said hello yet (maxPending ' + this.maxPending + '); closing a new one');
      s.destroy();
      return;
    }
    this.setup(s, false);
  }

  private dial(d: Dialer): void {
    d.timer = undefined;
    if (this.closed) return;
    d.parked = false;
    const s = netConnect({ host: d.host, port: d.port });
    d.conn = this.setup(s, true, d);
  }

  private redial(d: Dialer): void {
    if (this.closed || d.timer) return;
    if (d.peer && this.byPeer.has(d.peer)) {
      d.parked = true;
      return;
    }
    const delay = backoffDelay(d.attempt, this.backoffMin, this.backoffMax);
    d.attempt++;
    d.timer = setTimeout(() => this.dial(d), delay);
  }

  private setup(s: Socket, dialed: boolean, dialer?: Dialer): Conn {
    const c: Conn = { socket: s, dialed, dialer, dec: new LengthPrefixDecoder(HELLO_HEAD + MAX_PEER_ID), pending: 0, heard: Date.now(), said: Date.now(), got: 0 };
    if (this.keys !== null) c.nonce = newNonce();
    this.conns.add(c);
    s.setNoDelay(true);
    const where = dialer ? dialer.host + ':' + dialer.port : (s.remoteAddress ?? '?') + ':' + (s.remotePort ?? '?');
    const hello = () => {
      s.setKeepAlive(true, 10_000);
      this.write(c, c.nonce ? keyedHello(c.nonce, this.self) : Buffer.concat([MAGIC, Buffer.from(this.self)]), () => {});
    };
    if (dialed) s.once('connect', hello);
    else hello();
    c.helloTimer = setTimeout(() => {
      this.fail('protocol', 'no hello from ' + where + ' within ' + this.helloTimeout + ' ms');
      s.destroy();
    }, this.helloTimeout);
    s.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      c.got = 0;
      const bad = c.dec.push(chunk, (f) => {
        c.got++;
        this.onFrame(c, f, where);
      });
      if (bad !== undefined && !s.destroyed) {
        this.fail('decode', 'from ' + (c.peer ?? where) + ': ' + bad + '; closing the connection');
        s.destroy();
      }
      this.charge(c, chunk.length);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (this.closed) return;
      const code = e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? 'not-found' : 'io';
      const what = dialed && !c.peer ? 'cannot connect to ' + where : 'connection to ' + (c.peer ?? where);
      this.fail(code, what + ': ' + (e.code || e.message));
    });
    s.on('close', () => this.onClose(c));
    return c;
  }

  /** Charge a chunk to its peer's budget; past it, stop reading the socket until the debt is paid. */
  private charge(c: Conn, size: number): void {
    if (!this.budget || c.peer === undefined || c.socket.destroyed) return;
    const wait = this.budget.charge(c.peer, c.got, size, Date.now());
    if (wait <= 0) return;
    this.throttle(c.peer, c.got, false);
    c.socket.pause();
    clearTimeout(c.resume);
    c.resume = setTimeout(() => {
      c.resume = undefined;
      if (!c.socket.destroyed) c.socket.resume();
    }, wait);
  }

  private onFrame(c: Conn, f: Buffer, where: string): void {
    if (c.socket.destroyed) return;
    c.heard = Date.now();
    if (c.peer !== undefined) {
      if (f.length === 0) return; // a link keepalive
      this.deliver(c.peer, new Uint8Array(f.buffer, f.byteOffset, f.length));
      return;
    }
    if (c.claimed !== undefined) {
      // With keys: the frame after the hello is the proof, and nothing else is taken before it.
      const id = c.claimed;
      if (this.keys === null || !proofHolds(this.keys, f, c.nonce as Buffer, c.theirs as Buffer, id)) {
        this.fail('protocol', 'no proof of the cluster key from ' + where + ' (its hello named ' + id + '); closing the connection');
        c.socket.destroy();
        return;
      }
      this.establish(c, id);
      return;
    }
    // The hello.
    const theirs = this.keys !== null ? helloNonce(f) : null;
    const id = this.keys !== null
      ? (theirs !== null ? helloId(f, HELLO_HEAD) : '')
      : (f.subarray(0, MAGIC.length).equals(MAGIC) ? helloId(f, MAGIC.length) : '');
    if (id === '' || id === this.self) {
      const why = id !== '' ? 'connected to itself' : this.keys !== null ? 'a hello without the cluster key\'s nonce' : 'bad hello';
      this.fail('protocol', why + ' from ' + where + '; closing the connection');
      c.socket.destroy();
      return;
    }
    if (this.keys !== null) {
      c.claimed = id;
      c.theirs = theirs as Buffer;
      this.write(c, proofOf(this.keys, c.theirs, c.nonce as Buffer, this.self), () => {});
      return;
    }
    this.establish(c, id);
  }

  /** The hello (and with keys the proof) of `id` arrived: the connection is its, unless one is already. */
  private establish(c: Conn, id: PeerId): void {
    clearTimeout(c.helloTimer);
    let established = 0;
    for (const x of this.conns) if (x.peer !== undefined) established++;
    if (established >= this.maxConnections) {
      this.fail('refused', 'hello from ' + id + ' refused: ' + established + ' connections are up (maxConnections ' + this.maxConnections + ')');
      c.socket.destroy();
      return;
    }
    c.peer = id;
    c.dec.limit = this.maxFrame;
    if (c.dialer) {
      c.dialer.peer = id;
      c.dialer.attempt = 0;
    }
    const old = this.byPeer.get(id);
    if (old) {
      // Both dialled: keep the connection dialled by the smaller id; a newer one from the same dialler wins.
      const dialerOf = (x: Conn) => (x.dialed ? this.self : id);
      const keepNew = dialerOf(old) === dialerOf(c) || dialerOf(c) === (this.self < id ? this.self : id);
      const loser = keepNew ? old : c;
      if (keepNew) this.byPeer.set(id, c);
      loser.peer = undefined; // so its close is not a peer-down
      if (loser.dialer && loser.dialer.conn === loser) loser.dialer.parked = true;
      loser.socket.destroy();
      return;
    }
    this.byPeer.set(id, c);
    this.peerUp(id);
  }

  private onClose(c: Conn): void {
    clearTimeout(c.helloTimer);
    clearTimeout(c.resume);
    this.conns.delete(c);
    const p = c.peer;
    if (p !== undefined && this.byPeer.get(p) === c) {
      this.byPeer.delete(p);
      this.peerDown(p);
      // Wake diallers resting on this peer.
      for (const d of this.dialers) {
        if (d.parked && d.peer === p && d.conn === undefined) {
          d.parked = false;
          this.redial(d);
        }
      }
    }
    if (c.dialer && c.dialer.conn === c) {
      c.dialer.conn = undefined;
      if (c.dialer.parked && c.dialer.peer && this.byPeer.has(c.dialer.peer)) return;
      c.dialer.parked = false;
      this.redial(c.dialer);
    }
  }

  private write(c: Conn, payload: Buffer | Uint8Array, done: (ok: boolean) => void): void {
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(payload.length, 0);
    c.pending++;
    c.said = Date.now();
    c.socket.write(Buffer.concat([head, payload]), (err) => {
      c.pending--;
      done(!err);
    });
  }

  send(to: PeerId, bytes: Uint8Array): boolean {
    if (!this.admit(to, bytes)) return false;
    const c = this.byPeer.get(to);
    if (!c || c.socket.destroyed) return this.drop('unreachable', 'no connection to "' + to + '"');
    if (c.pending + 1 > this.queueFrames || c.socket.writableLength + 4 + bytes.length > this.queueBytes) {
      return this.drop('queue-full', 'send queue to ' + to + ' full (' + c.pending + ' frames, ' + c.socket.writableLength + ' bytes)');
    }
    const n = bytes.length;
    this.write(c, bytes, (ok) => {
      if (ok) this.sent(n);
    });
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.allDown();
    this.closed = true;
    for (const d of this.dialers) clearTimeout(d.timer);
    clearInterval(this.idleTimer);
    const waits: Promise<void>[] = [];
    for (const c of this.conns) {
      clearTimeout(c.helloTimer);
      const paused = c.resume !== undefined;
      clearTimeout(c.resume);
      const s = c.socket;
      waits.push(new Promise((r) => (s.destroyed ? r() : s.once('close', () => r()))));
      // A peer paused for its budget is not read, so its FIN would never be seen: it gets no flush.
      if (c.peer !== undefined && s.writable && !paused) {
        // Flush what is queued (a node's last DISCONNECTs), then FIN; a peer that does not read gets 1 s.
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      } else s.destroy();
    }
    if (this.server) {
      const server = this.server;
      waits.push(new Promise((r) => server.close(() => r())));
    }
    await Promise.all(waits);
  }
}

/** Make a TCP link: resolves once it listens (when asked to); diallers keep trying in the background. */
export async function tcpLink(o: TcpOptions): Promise<TcpLink> {
  const link = new TcpLink(o);
  try {
    await link.start();
  } catch (e) {
    await link.close();
    throw e;
  }
  return link;
}
