/**
 * The link shaper: wraps any link and makes it behave like a worse one, reproducibly. Experiments and tests use
 * it to put a 9600 bit/s UART, a lossy radio or a partitioned network under a real node (PROTOCOL.md, "Links").
 *
 *   const slow = shape(await serialLink({ id: 'a', path }), { bitsPerSecond: 9600, latency: 5, seed: 1 });
 *   const radio = shape(memoryLink(hub, { id: 'b' }), { loss: 0.1, duplicate: 0.01, reorder: 0.05, jitter: 20 });
 *   radio.partition(true);            // everything in and out is dropped until partition(false)
 *   radio.partition(true, ['c']);     // only traffic with c
 *
 * What happens to a frame sent through the shaper, in order:
 *   1. partition: dropped (counted in `stats.partitioned`) when its peer is cut off.
 *   2. loss: dropped with probability `loss` (`stats.lost`). send() still says true: a lossy wire does not tell.
 *   3. bandwidth: a token bucket in bytes, filled at bitsPerSecond / bitsPerByte per second up to `burst`. A frame
 *      (its length plus `overhead`) leaves when the bucket is not in debt, and puts it that far in debt, so frames
 *      leave back to back at the line rate like bytes from a UART, and a burst of `burst` bytes goes at once.
 *      Frames waiting for tokens sit in a bounded queue (the link's queue bounds, tail drop when full).
 *   4. latency + jitter: it reaches the inner link `latency` + uniform(0, jitter) ms after it left the bucket,
 *      but never before the frame ahead of it (a wire is FIFO, jitter alone does not reorder);
 *   5. reorder: with probability `reorder` it is held `reorderDelay` ms longer and frames behind it overtake it;
 *   6. duplicate: with probability `duplicate` a second copy follows it (not charged to the bucket: a link layer
 *      retransmission whose ack was lost).
 * Only the sending direction is shaped (shape both ends for both directions); a partition cuts both directions.
 * Every random draw comes from one seeded generator, so a run is reproducible from its seed given the same
 * sequence of sends. Timers come from `clock` (real by default; tests pass a manual one).
 */
import type { PeerId } from '../runtime/io.ts';
import { rng, float, type Rng } from '../runtime/rng.ts';
import { BaseLink, BoundedQueue, type Link } from './link.ts';
import { PROBABILITY, atLeast, linkKnobs } from './options.ts';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ShapeOptions {
  /** Line rate in bits per second; undefined or 0 for no limit. */
  bitsPerSecond?: number;
  /** Bits each byte costs on the line: 8 by default; 10 for a UART's 8N1 (start and stop bits). */
  bitsPerByte?: number;
  /** Bytes that may go at once above the rate (default 0: a UART has no burst). */
  burst?: number;
  /** Bytes the framing adds per frame and the line carries too (default 0; serial COBS+CRC+delimiters: about 7). */
  overhead?: number;
  /** One-way delay in ms added to every frame (default 0). */
  latency?: number;
  /** Extra delay, uniform in [0, jitter] ms (default 0). */
  jitter?: number;
  /** Probability in [0, 1] that a frame is lost (default 0). */
  loss?: number;
  /** Probability that a frame arrives twice (default 0). */
  duplicate?: number;
  /** Probability that a frame is held back and overtaken (default 0). */
  reorder?: number;
  /** How long a reordered frame is held, in ms (default 2 × (latency + jitter) + 10: long enough to be overtaken). */
  reorderDelay?: number;
  /** Seed of the generator behind loss, jitter, duplication and reordering (default 1). */
  seed?: number;
  /** Start partitioned (default false). */
  partitioned?: boolean;
  /** Bound of the queue of frames waiting for bandwidth (default DEFAULT_QUEUE of link.ts; tail drop). */
  queue?: { frames?: number; bytes?: number };
  clock?: Clock;
}

/** What the shaper did, beside the link counters. */
export interface ShapeStats {
  lost: number;
  duplicated: number;
  reordered: number;
  /** Frames dropped in either direction because of a partition. */
  partitioned: number;
  /** Frames refused because the bucket's queue was full (also counted in counters.dropped). */
  queueFull: number;
}

interface Waiting {
  to: PeerId;
  bytes: Uint8Array;
  cost: number;
}

/** The defaults of the options above (their reasons are there), and what each may be (transports/options.ts).
 *  reorderDelay's default depends on latency and jitter, so it is read after them. */
export const SHAPE_DEFAULTS = {
  bitsPerSecond: 0, bitsPerByte: 8, burst: 0, overhead: 0, latency: 0, jitter: 0, loss: 0, duplicate: 0, reorder: 0,
};
const SHAPE_RANGES = {
  bitsPerSecond: atLeast(0, 'bit/s'),
  bitsPerByte: atLeast(1, 'bits'), // 0 would make every byte free
  burst: atLeast(0, 'bytes'),
  overhead: atLeast(0, 'bytes'),
  latency: atLeast(0, 'ms'),
  jitter: atLeast(0, 'ms'),
  loss: PROBABILITY,
  duplicate: PROBABILITY,
  reorder: PROBABILITY,
  reorderDelay: atLeast(0, 'ms'),
};

export class ShapedLink extends BaseLink {
  readonly kind = 'shaped';
  readonly inner: Link;
  readonly stats: ShapeStats = { lost: 0, duplicated: 0, reordered: 0, partitioned: 0, queueFull: 0 };
  private clock: Clock;
  private r: Rng;
  private bytesPerMs: number; // 0: unlimited
  private burst: number;
  private overhead: number;
  private latency: number;
  private jitter: number;
  private loss: number;
  private dup: number;
  private reord: number;
  private reorderDelay: number;
  private q: BoundedQueue<Waiting>;
  private tokens: number;
  private filledAt: number;
  private pumpTimer: unknown = undefined;
  private lastArrival = -Infinity; // when the last in-order frame reaches the inner link
  private inFlight = new Set<unknown>();
  private cutAll: boolean;
  private cut = new Set<PeerId>();
  private offs: (() => void)[] = [];

  constructor(inner: Link, o: ShapeOptions = {}) {
    super({ id: inner.self, maxFrame: inner.maxFrame, queue: o.queue }, 'shaped');
    this.inner = inner;
    this.clock = o.clock ?? realClock;
    this.r = rng(o.seed ?? 1);
    const k = linkKnobs('shaped link', SHAPE_DEFAULTS, SHAPE_RANGES, o);
    this.bytesPerMs = k.bitsPerSecond > 0 ? k.bitsPerSecond / k.bitsPerByte / 1000 : 0;
    this.burst = k.burst;
    this.overhead = k.overhead;
    this.latency = k.latency;
    this.jitter = k.jitter;
    this.loss = k.loss;
    this.dup = k.duplicate;
    this.reord = k.reorder;
    const delay = { reorderDelay: 2 * (this.latency + this.jitter) + 10 };
    this.reorderDelay = linkKnobs('shaped link', delay, SHAPE_RANGES, o).reorderDelay;
    this.q = new BoundedQueue<Waiting>(this.queueFrames, this.queueBytes);
    this.tokens = this.burst;
    this.filledAt = this.clock.now();
    this.cutAll = o.partitioned ?? false;
    this.offs.push(
      inner.on('frame', (from, bytes) => {
        if (this.isCut(from)) {
          this.stats.partitioned++;
          return;
        }
        this.deliver(from, bytes);
      }),
      inner.on('peer', (peer, up) => (up ? this.peerUp(peer) : this.peerDown(peer))),
      inner.on('error', (e) => this.fail(e.code, e.message)),
    );
    for (const p of inner.peers()) this.peerUp(p);
  }

  /** Cut (true) or heal (false) the link: for the given peers, or for everyone when `peers` is left out. */
  partition(on: boolean, peers?: PeerId[]): void {
    if (peers === undefined) {
      this.cutAll = on;
      if (!on) this.cut.clear();
      return;
    }
    for (const p of peers) on ? this.cut.add(p) : this.cut.delete(p);
  }

  private isCut(peer: PeerId): boolean {
    return this.cutAll || this.cut.has(peer);
  }

  /** Frames waiting for bandwidth. */
  get queued(): number {
    return this.q.length;
  }

  send(to: PeerId, bytes: Uint8Array): boolean {
    if (!this.admit(to, bytes)) return false;
    if (this.isCut(to)) {
      this.stats.partitioned++;
      return true; // a partition is silent, like loss
    }
    if (this.loss > 0 && float(this.r) < this.loss) {
      this.stats.lost++;
      return true;
    }
    const cost = bytes.length + this.overhead;
    if (!this.q.push({ to, bytes: bytes.slice(), cost }, cost)) {
      this.stats.queueFull++;
      return this.drop('queue-full', 'shaper queue full (' + this.q.length + ' frames, ' + this.q.bytes +
        ' bytes) at ' + this.bytesPerMs * 8000 + ' bit/s');
    }
    this.pump();
    return true;
  }

  private refill(now: number): void {
    if (this.bytesPerMs === 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.filledAt) * this.bytesPerMs);
    this.filledAt = now;
  }

  private pump(): void {
    if (this.pumpTimer !== undefined || this.closed) return;
    for (;;) {
      const w = this.q.peek();
      if (!w) return;
      const now = this.clock.now();
      this.refill(now);
      if (this.bytesPerMs > 0 && this.tokens < 0) {
        // In debt: wait until the bucket is back at zero.
        const wait = -this.tokens / this.bytesPerMs;
        this.pumpTimer = this.clock.setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump();
        }, Math.max(1, Math.ceil(wait)));
        return;
      }
      this.q.shift();
      // The frame is on the line from now until its last byte has gone: that is when the far end has it.
      const onLine = this.bytesPerMs > 0 ? w.cost / this.bytesPerMs : 0;
      if (this.bytesPerMs > 0) this.tokens -= w.cost;
      this.launch(w, now + onLine);
    }
  }

  /** Schedule the frame's arrival at the inner link, with latency, jitter, reordering and duplication. */
  private launch(w: Waiting, sentAt: number): void {
    let at = sentAt + this.latency + (this.jitter > 0 ? float(this.r) * this.jitter : 0);
    if (this.reord > 0 && float(this.r) < this.reord) {
      this.stats.reordered++;
      at += this.reorderDelay; // held back; does not hold up the frames behind it
    } else {
      at = Math.max(at, this.lastArrival);
      this.lastArrival = at;
    }
    this.at(at, () => this.forward(w));
    if (this.dup > 0 && float(this.r) < this.dup) {
      this.stats.duplicated++;
      this.at(at, () => this.forward(w));
    }
  }

  private at(t: number, fn: () => void): void {
    const h = this.clock.setTimeout(() => {
      this.inFlight.delete(h);
      fn();
    }, Math.max(0, t - this.clock.now()));
    this.inFlight.add(h);
  }

  private forward(w: Waiting): void {
    if (this.closed) return;
    if (this.isCut(w.to)) {
      this.stats.partitioned++; // cut while the frame was on the wire
      return;
    }
    if (this.inner.send(w.to, w.bytes)) this.sent(w.bytes.length);
  }

  /** Close the shaper and the link inside it; frames still waiting or on the wire are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.allDown();
    this.closed = true;
    if (this.pumpTimer !== undefined) this.clock.clearTimeout(this.pumpTimer);
    for (const h of this.inFlight) this.clock.clearTimeout(h);
    this.inFlight.clear();
    this.q.clear();
    for (const off of this.offs) off();
    await this.inner.close();
  }
}

/** Wrap `link` in a shaper (see the header for what each option does). */
export function shape(link: Link, o: ShapeOptions = {}): ShapedLink {
  return new ShapedLink(link, o);
}
