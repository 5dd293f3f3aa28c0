/**
 * The serial link: one peer at the other end of a UART, a USB CDC port (an Espruino board on /dev/ttyACM0) or a
 * pty, with frames as in serialframe.ts (COBS, CRC-32, zero delimiters) so line noise and a board that resets
 * mid-frame cost only the frames they touch.
 *
 *   const link = await serialLink({ id: 'pi', path: '/dev/ttyACM0', baudRate: 115200 });
 *   link.on('peer', (p, up) => ...);   // 'puck1', true once the other end said hello
 *   link.send('puck1', bytes);
 *   await link.close();
 *
 * Inside each frame the first byte says what it is (hello.ts, shared with BLE):
 *   HELLO  [1, flags, ...id in UTF-8 (1..64 bytes)]   flags bit 0: "I have heard your hello" (no reply wanted)
 *   DATA   [2, ...payload]                            a frame for the node
 * A serial line does not say who is at the other end, nor when that end went away (a board reset, a cable
 * left plugged in a powered-off device), so each side says hello when the port opens and again as a keepalive
 * whenever it has sent nothing for `keepalive` ms; a hello that has not heard ours is answered at once. The peer
 * is up from its first hello and down after `peerTimeout` ms without a byte from it, or when its hello names
 * another id (the board was swapped). DATA before any hello is dropped: its sender is unknown.
 *
 * Reading never stops while a write waits for the port (readWhileWriting: a flaw of the native poller).
 *
 * Send queue and backpressure: frames wait in a bounded queue (queue.frames / queue.bytes of link.ts, counted
 * in wire bytes) and go to the port only while the port's stream accepts them; when `write` returns false the
 * link waits for 'drain'. So a slow or stuck line fills the queue and then new frames are refused (tail drop,
 * counted, a 'queue-full' error), and memory stays bounded. When the port goes away the queued frames are
 * dropped and counted (their peer is gone) and the port is reopened with backoff.
 */
import { SerialPort } from 'serialport';
import type { PeerId } from '../runtime/io.ts';
import { BaseLink, BoundedQueue, LinkError, MAX_PEER_ID, backoffDelay, type LinkOptions } from './link.ts';
import { DATA, HEARD, HELLO, dataFrame, helloFrame, helloId } from './hello.ts';
import { type Backoff, backoffKnobs, linkKnobs, ms, whole } from './options.ts';
import { Deframer, encodeFrame, framedSize } from './serialframe.ts';
import { PIECE, Pieces, STATUS } from './pieces.ts';
import { readWhileWriting } from './serialpoller.ts';


export interface SerialOptions extends LinkOptions {
  /** The port: '/dev/ttyACM0', '/dev/ttyUSB0', '/dev/serial0' on a Pi, 'COM3', or a pty's path. */
  path: string;
  /**
   * Bits per second, default 115200: Espruino's default for its USB and Serial1 console. A pty ignores it (shape
   * the link with shaper.ts to test a slow line).
   */
  baudRate?: number;
  /**
   * Say hello after this many ms of sending nothing, default 1000: at 9600 bit/s a 10-byte hello each second is
   * 1% of the line, and it lets the other end notice us within about a second of a reset.
   */
  keepalive?: number;
  /**
   * The peer is down after this many ms without a byte from it, default 3500: three and a half keepalives, so
   * two lost hellos in a row (noise, a busy board) do not flap the link.
   */
  peerTimeout?: number;
  /** Reopen delays in ms after the port went away: from `min`, doubling to `max`, times 0.5..1 (default 200, 5000). */
  backoff?: { min?: number; max?: number };
  /** On close, wait up to this many ms for queued frames to reach the port (default 500; the DISCONNECT). */
  flushTimeout?: number;
  /**
   * The line's real rate in bit/s when the port does not set it (a pty, a radio modem, a relay; default 0: none).
   * When given, the link writes no faster than the line carries, so its own queue holds the backlog and the
   * frames that must go first (hellos, piece statuses and repeats) overtake it, and piece timers know the line.
   */
  lineRate?: number;
  /** Bits each byte costs on the line (default 10: a UART's 8N1). */
  bitsPerByte?: number;
  /**
   * Send each frame as pieces of at most this many bytes with selective repeat (pieces.ts), for a noisy line:
   * default 0, whole DATA frames. Pieces are always understood when received.
   */
  pieceSize?: number;
}

/** The defaults of the options above (their reasons are there), and what each may be (transports/options.ts). */
export const SERIAL_DEFAULTS = { baudRate: 115200, keepalive: 1000, peerTimeout: 3500, flushTimeout: 500, lineRate: 0, bitsPerByte: 10, pieceSize: 0 };
const SERIAL_RANGES = {
  lineRate: { min: 0, max: 100000000, int: false, kind: 'bit/s' },
  bitsPerByte: whole(1, 64, 'bits'),
  pieceSize: whole(0, 65536, 'bytes'),
  baudRate: whole(1, 100000000, 'bit/s'),
  keepalive: ms(1),
  peerTimeout: ms(1),
  flushTimeout: ms(0),
};
/** Urgent frames (piece statuses and repeats) waiting at most; more are dropped and asked for again. */
const URGENT_MAX = 64;
export const SERIAL_BACKOFF: Backoff = { min: 200, max: 5000 };

interface Out {
  wire: Uint8Array;
  /** Payload bytes, for the counters. */
  n: number;
}

export class SerialLink extends BaseLink {
  readonly kind = 'serial';
  readonly path: string;
  readonly baudRate: number;
  /** The framing's own drop counts (truncated, crc, oversized): each is also one `counters.errors`. */
  readonly deframer: Deframer;
  private port: SerialPort | undefined;
  private queue: BoundedQueue<Out>;
  private blocked = false;
  private peer: PeerId | undefined;
  private lastHeard = 0;
  private lastSent = 0;
  private ticker: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closing: Promise<void> | undefined;
  private keepalive: number;
  private peerTimeout: number;
  private flushTimeout: number;
  private backoff: Backoff;
  private idBytes: Uint8Array;
  /** Frames that go before the queue (hellos, piece statuses and repeats): few and small, at most URGENT_MAX. */
  private urgent: Out[] = [];
  private bytesPerMs: number;
  private tokens = 0;
  private filledAt = 0;
  private paceTimer: NodeJS.Timeout | undefined;
  /** Frames as pieces with selective repeat (always there to receive; used to send when pieceSize > 0). */
  readonly pieces: Pieces;
  private pieceSize: number;

  constructor(o: SerialOptions) {
    super(o, 'serial');
    if (typeof o.path !== 'string' || o.path === '') throw new Error('serial link: path must be a non-empty string');
    this.idBytes = new TextEncoder().encode(o.id);
    this.path = o.path;
    const k = linkKnobs('serial link', SERIAL_DEFAULTS, SERIAL_RANGES, o);
    this.baudRate = k.baudRate;
    this.keepalive = k.keepalive;
    this.peerTimeout = k.peerTimeout;
    this.flushTimeout = k.flushTimeout;
    this.backoff = backoffKnobs('serial link', SERIAL_BACKOFF, o.backoff);
    this.queue = new BoundedQueue<Out>(this.queueFrames, this.queueBytes);
    this.bytesPerMs = k.lineRate / k.bitsPerByte / 1000;
    this.pieceSize = k.pieceSize;
    const rate = this.bytesPerMs > 0 ? this.bytesPerMs : this.baudRate / k.bitsPerByte / 1000;
    this.pieces = new Pieces({ pieceSize: Math.max(1, this.pieceSize), maxFrame: this.maxFrame }, {
      write: (payload, urgent) => this.writeOwn(payload, urgent),
      deliver: (m) => {
        if (this.peer !== undefined) this.deliver(this.peer, m);
      },
      // What waits ahead, this, and a status back, at the line's rate, twice over, plus room for the far end.
      lineTime: (extra) => Math.ceil((2 * (this.queue.bytes + this.urgentBytes() + extra + 64)) / rate) + 200,
      problem: (what) => this.fail('protocol', 'pieces from ' + (this.peer ?? this.path) + ': ' + what),
    }, Math.floor(Math.random() * 0x10000));
    // One byte of type in front of the payload; a hello is far smaller than any sane maxFrame.
    this.deframer = new Deframer({ maxFrame: Math.max(this.maxFrame, 2 + MAX_PEER_ID) + 1 }, {
      frame: (p) => this.onFrame(p),
      drop: (e) => this.fail('decode', 'from ' + (this.peer ?? this.path) + ': ' + e.message),
    });
  }

  /** @internal open the port for the first time; `serialLink` calls it and rejects with its error. */
  async start(): Promise<void> {
    await this.open();
    const tick = Math.max(10, Math.min(this.keepalive, this.peerTimeout) / 4);
    this.ticker = setInterval(() => this.tick(), tick);
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
      port.on('error', (e) => {
        if (!this.closed) this.fail('io', 'port ' + this.path + ': ' + e.message);
      });
      port.open((err) => {
        if (err) {
          reject(this.openError(err));
          return;
        }
        if (this.closed || this.closing) {
          port.close(() => resolve());
          return;
        }
        this.port = port;
        readWhileWriting(port);
        this.attempt = 0;
        this.blocked = false;
        this.deframer.reset();
        port.on('data', (chunk: Buffer) => {
          if (this.closed || this.port !== port) return;
          this.lastHeard = Date.now();
          this.deframer.push(chunk);
        });
        port.on('close', () => this.onPortClose(port));
        this.hello(false);
        this.pump();
        resolve();
      });
    });
  }

  private openError(err: Error): LinkError {
    const m = err.message;
    let hint = '';
    let code: 'not-found' | 'io' = 'io';
    if (/No such file|ENOENT|cannot find|File not found/i.test(m)) {
      code = 'not-found';
      hint = '; no such port (is the board plugged in? list ports with `ls /dev/ttyACM* /dev/ttyUSB*`)';
    } else if (/ioctl|Is a directory/i.test(m)) {
      code = 'not-found';
      hint = '; this path is not a serial port';
    } else if (/Permission denied|EACCES/i.test(m)) {
      hint = '; permission denied (on Linux add the user to the dialout group)';
    } else if (/lock|busy/i.test(m)) {
      hint = '; the port is in use by another program';
    }
    return this.fail(code, 'cannot open serial port ' + this.path + ': ' + m + hint);
  }

  /** The port went away under us (unplugged, or the pty's other side died): peer down, reopen with backoff. */
  private onPortClose(port: SerialPort): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.blocked = false;
    if (this.closed || this.closing) return;
    this.fail('io', 'port ' + this.path + ' closed; reopening');
    this.lostPeer();
    this.dropQueue('port ' + this.path + ' closed');
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed || this.closing || this.reopenTimer) return;
    const delay = backoffDelay(this.attempt, this.backoff.min, this.backoff.max);
    this.attempt++;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.open().catch(() => this.scheduleReopen()); // already counted and reported by openError
    }, delay);
  }

  private tick(): void {
    const now = Date.now();
    if (this.peer !== undefined && now - this.lastHeard > this.peerTimeout) this.lostPeer();
    if (now - this.lastSent >= this.keepalive) this.hello(this.peer !== undefined);
  }

  private lostPeer(): void {
    const p = this.peer;
    if (p === undefined) return;
    this.peer = undefined;
    this.counters.dropped += this.pieces.clearSender();
    this.peerDown(p);
  }

  private dropQueue(why: string): void {
    this.urgent = [];
    this.counters.dropped += this.pieces.clearSender();
    const n = this.queue.length;
    if (n === 0) return;
    this.queue.clear();
    this.counters.dropped += n - 1;
    this.drop('unreachable', why + ': ' + n + ' queued frame(s) dropped');
  }

  /** A hello goes straight to the port (never queued) unless the line is backed up, when it would not help. */
  private hello(heard: boolean): void {
    const port = this.port;
    if (!port || this.blocked || this.closed) return;
    this.lastSent = Date.now();
    if (!port.write(encodeFrame(helloFrame(this.idBytes, heard)))) this.block(port);
  }

  private onFrame(p: Uint8Array): void {
    if (p.length === 0) return this.bad('an empty frame');
    if (p[0] === DATA) {
      if (this.peer === undefined) {
        this.counters.dropped++;
        return this.bad('a data frame before any hello');
      }
      this.deliver(this.peer, p.subarray(1));
      return;
    }
    if (p[0] === PIECE || p[0] === STATUS) {
      if (this.peer === undefined) {
        this.counters.dropped++;
        return this.bad('a piece before any hello');
      }
      if (p[0] === PIECE) this.pieces.onPiece(p);
      else this.pieces.onStatus(p);
      return;
    }
    if (p[0] !== HELLO) return this.bad('a frame of unknown type ' + p[0]);
    const id = helloId(p, 2);
    if (id === '') return this.bad('a malformed hello');
    if (id === this.self) return this.bad('its own hello (is the line looped back?)');
    const fresh = this.peer !== id;
    if (fresh) {
      this.lostPeer();
      this.pieces.resetReceiver();
    }
    this.peer = id;
    // Answer before announcing the peer: a listener may send at once, and its data must not reach the other end
    // ahead of the hello that tells it who we are.
    if ((p[1] & HEARD) === 0) this.hello(true);
    if (fresh) this.peerUp(id);
  }

  private bad(what: string): void {
    this.fail('protocol', 'from ' + (this.peer ?? this.path) + ': ' + what + ', dropped');
  }

  send(to: PeerId, bytes: Uint8Array): boolean {
    if (!this.admit(to, bytes)) return false;
    if (this.closing) return this.drop('closed', 'send to ' + to + ' while closing');
    if (this.peer !== to) {
      return this.drop('unreachable', 'no peer "' + to + '" on ' + this.path + ' (' +
        (this.peer === undefined ? 'no hello yet' : 'the peer is "' + this.peer + '"') + ')');
    }
    if (this.pieceSize > 0) {
      const wire = framedSize(bytes.length + 7) + Math.ceil(bytes.length / this.pieceSize) * 15;
      if (this.queue.length + this.pieces.pending + 1 > this.queueFrames || this.queue.bytes + this.pieces.waitingBytes + wire > this.queueBytes) {
        return this.drop('queue-full', 'send queue on ' + this.path + ' full (' + this.queue.length + ' pieces, ' + this.pieces.pending +
          ' messages unacknowledged or waiting)');
      }
      this.pieces.send(bytes.slice());
      this.sent(bytes.length);
      return true;
    }
    const wire = encodeFrame(dataFrame(bytes));
    if (!this.queue.push({ wire, n: bytes.length }, wire.length)) {
      return this.drop('queue-full', 'send queue on ' + this.path + ' full (' + this.queue.length + ' frames, ' +
        this.queue.bytes + ' bytes)');
    }
    this.pump();
    return true;
  }

  /** Frames waiting in the link's queue (not yet handed to the port). */
  get queued(): number {
    return this.queue.length;
  }

  /** A frame of the pieces protocol: urgent ones (statuses, repeats, probes) before the queue. A piece that finds
   *  no room is dropped (counted): the receiver's STATUS or the sender's probe brings it back. */
  private writeOwn(payload: Uint8Array, urgent: boolean): void {
    const wire = encodeFrame(payload);
    if (urgent ? this.urgent.length >= URGENT_MAX : !this.queue.push({ wire, n: -1 }, wire.length)) this.counters.dropped++;
    else if (urgent) this.urgent.push({ wire, n: -1 });
    this.pump();
  }

  private urgentBytes(): number {
    let n = 0;
    for (const f of this.urgent) n += f.wire.length;
    return n;
  }

  /** Hand queued frames to the port while it accepts them (urgent ones first), at the line's rate when known. */
  private pump(): void {
    const port = this.port;
    while (port && !this.blocked && this.paceTimer === undefined && (this.urgent.length > 0 || this.queue.length > 0)) {
      if (this.bytesPerMs > 0) {
        const now = performance.now();
        this.tokens = Math.min(0, this.tokens + (now - this.filledAt) * this.bytesPerMs);
        this.filledAt = now;
        if (this.tokens < 0) {
          this.paceTimer = setTimeout(() => {
            this.paceTimer = undefined;
            this.pump();
          }, Math.max(1, Math.ceil(-this.tokens / this.bytesPerMs)));
          return;
        }
      }
      const f = this.urgent.length > 0 ? this.urgent.shift()! : this.queue.shift()!;
      this.tokens -= f.wire.length;
      this.lastSent = Date.now();
      const ok = port.write(f.wire, (err) => {
        if (!err && f.n >= 0) this.sent(f.n);
      });
      if (!ok) this.block(port);
    }
  }

  private block(port: SerialPort): void {
    if (this.blocked) return;
    this.blocked = true;
    port.once('drain', () => {
      if (this.port !== port) return;
      this.blocked = false;
      this.pump();
    });
  }

  /** Wait until the queue is empty and the port has written everything, or `ms` passed. */
  private flush(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = setTimeout(done, ms);
      let finished = false;
      function done() {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        resolve();
      }
      const step = () => {
        if (finished) return;
        const port = this.port;
        if (!port) return done();
        if (this.queue.length > 0 || this.urgent.length > 0 || this.blocked) {
          setTimeout(step, 5);
          return;
        }
        port.drain(() => done());
      };
      step();
    });
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.ticker);
    this.pieces.close();
    clearTimeout(this.reopenTimer);
    if (this.port) await this.flush(this.flushTimeout);
    this.allDown();
    this.peer = undefined;
    this.closed = true;
    this.queue.clear();
    this.urgent = [];
    clearTimeout(this.paceTimer);
    const port = this.port;
    this.port = undefined;
    if (port && port.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }
}

/** Open a serial link; rejects with a LinkError ('not-found' for a wrong path) when the port cannot be opened. */
export async function serialLink(o: SerialOptions): Promise<SerialLink> {
  const link = new SerialLink(o);
  try {
    await link.start();
  } catch (e) {
    await link.close();
    throw e;
  }
  return link;
}
