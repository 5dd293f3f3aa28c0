/**
 * Pacing and batching for a slow link: wraps any link (MQTT, TCP, serial, a shaped memory link) that is told
 * its line rate, and sends no faster than that rate, so the backlog waits here, in a bounded queue the node's
 * frames share, instead of in the kernel's or the broker's queue where it would be dropped or would hold up
 * the link's own control traffic (MQTT CONNACK and PINGREQ, TCP keepalives, serial hellos go straight to the
 * inner link and never wait behind our data). When frames for a peer wait, the next send packs them into one
 * batch (transports/batch.ts, deflated when that is smaller), so a burst costs one frame's overhead per batch.
 *
 *   const link = pace(await tcpLink({ id: 'a', connect: ['10.0.0.2:7000'] }), { bitsPerSecond: 9600, overhead: 70 });
 *   startNode({ id: 'a', links: [link], config: thinConfig(9600) });   // the node's periods scaled to the line
 *
 * The bucket: tokens in bytes, filled at `share` × bitsPerSecond / 8 per second, never above `burst`. A send
 * leaves when the bucket is not in debt and puts it in debt by its size plus `overhead` (what the layers under
 * us add per frame: TCP/IP and Ethernet headers, an MQTT PUBLISH header and topic, serial COBS and CRC). So the
 * line carries no more than the rate, and the frame after a big batch waits until that batch has gone.
 *
 * Receiving: every frame from the inner link that is a batch is unpacked (bounded, see batch.ts) and its frames
 * delivered in order, before the node sees any; other frames pass as they are. A bad batch is dropped whole,
 * counted under errors and reported ('decode').
 *
 * Queue: one FIFO per peer, bounded together by the link's queue bounds (link.ts DEFAULT_QUEUE); a frame past
 * them is refused (tail drop, counted). Peers take turns. A peer that goes down keeps its queue (a reconnecting
 * MQTT client must not lose its backlog), and frames for it wait until it is up again (MQTT: the inner link's own
 * offline queue takes them); still bounded by the same tail drop.
 *
 * Learning the rate is not done here: the rate is an option, as a UART's baud rate or a radio's data rate is
 * known to whoever deploys the link (run-node's --rate).
 */
import type { PeerId } from '../runtime/io.ts';
import { BaseLink, type Link } from './link.ts';
import { PROBABILITY, atLeast, bytes, linkKnobs } from './options.ts';
import { BatchError, MAX_BATCH_FRAMES, isBatch, packBatch, unpackBatch } from './batch.ts';
import { realClock, type Clock } from './shaper.ts';

export interface PaceOptions {
  /** The line's rate in bits per second (required; 0 turns pacing and batching off, unpacking stays on). */
  bitsPerSecond: number;
  /** Bits each byte costs on the line (8; 10 for a UART's 8N1). */
  bitsPerByte?: number;
  /** Bytes the layers below add to each frame we send (default 0). */
  overhead?: number;
  /**
   * Bytes our direction of the line carries for each frame we receive (default 0): a TCP link's kernel answers
   * every segment it is sent with an ACK of its own (66 bytes with Ethernet, IP and TCP timestamps), which takes
   * our direction's line time as our frames do; on a line of a few hundred bit/s the ACKs of the other side's
   * frames are a fifth of it, and a pacer that did not count them would keep the kernel's queue growing until the
   * inner link's keepalive waited tens of seconds behind it. Each frame received (a batch counts once) puts the
   * bucket in debt by this many bytes. Serial has no ACKs: 0.
   */
  ackOverhead?: number;
  /** Share of the rate our frames may use (default 0.9): the rest is for the inner link's control traffic and
   *  the other direction's acknowledgements (TCP ACKs ride the same line). */
  share?: number;
  /** Bytes that may leave at once above the rate (default 0: strict pacing, like a UART). */
  burst?: number;
  /** Most bytes of frames in one batch before packing (default: what the line carries in `batchMs`, times 4 for
   *  deflate, at least 512 and at most 32 KiB). */
  maxBatch?: number;
  /** Line time one batch should take, ms (default batchMsFor(bitsPerSecond): 2 s at 9600 bit/s and above, up to
   *  10 s on slower lines, where a batch must be larger to deflate well). A peer hears something at least this
   *  often, and control traffic of the inner link (MQTT PINGREQ, TCP keepalives) waits at most this long behind
   *  a batch on the line: keep their timeouts above it (lineTimeouts). */
  batchMs?: number;
  /** Deflate batches when that makes them smaller (default true). */
  compress?: boolean;
  /** Most bytes one received batch may unpack to (default 4 × maxFrame of the inner link). */
  maxUnpacked?: number;
  queue?: { frames?: number; bytes?: number };
  clock?: Clock;
}

export const PACE_DEFAULTS = { bitsPerByte: 8, overhead: 0, ackOverhead: 0, share: 0.9, burst: 0 };
const PACE_RANGES = {
  bitsPerSecond: atLeast(0, 'bit/s'),
  bitsPerByte: atLeast(1, 'bits'),
  overhead: atLeast(0, 'bytes'),
  ackOverhead: atLeast(0, 'bytes'),
  share: { ...PROBABILITY, min: 0.01 },
  burst: atLeast(0, 'bytes'),
  batchMs: atLeast(1, 'ms'),
  maxBatch: bytes(1),
  maxUnpacked: bytes(1),
};

/** What pacing did, beside the link counters. */
export interface PaceStats {
  /** Batches sent and the frames inside them. */
  batches: number;
  batchedFrames: number;
  /** Bytes handed to the inner link (after packing) and the frames' own bytes. */
  wireBytes: number;
  frameBytes: number;
  /** Batches received and unpacked, and bad ones dropped. */
  unpacked: number;
  badBatches: number;
}

export class PacedLink extends BaseLink {
  readonly kind: string;
  readonly inner: Link;
  readonly bitsPerSecond: number;
  readonly stats: PaceStats = { batches: 0, batchedFrames: 0, wireBytes: 0, frameBytes: 0, unpacked: 0, badBatches: 0 };
  private clock: Clock;
  private bytesPerMs: number;
  private overhead: number;
  private ackOverhead: number;
  private burst: number;
  private maxBatch: number;
  private maxUnpacked: number;
  private compress: boolean;
  private tokens: number;
  private filledAt: number;
  private timer: unknown = undefined;
  private queues = new Map<PeerId, Uint8Array[]>();
  /** Frames and bytes in all the queues together, against the link's bounds. */
  private waitingFrames = 0;
  private waitingBytes = 0;
  private turn: PeerId[] = [];
  private down = new Set<PeerId>();
  private offs: (() => void)[] = [];

  constructor(inner: Link, o: PaceOptions) {
    super({ id: inner.self, maxFrame: inner.maxFrame, queue: o.queue }, 'paced');
    this.kind = inner.kind;
    this.inner = inner;
    this.clock = o.clock ?? realClock;
    const k = linkKnobs('paced link', { bitsPerSecond: 0, ...PACE_DEFAULTS, batchMs: 0 }, PACE_RANGES, o);
    if (k.batchMs === 0) k.batchMs = batchMsFor(k.bitsPerSecond);
    this.bitsPerSecond = k.bitsPerSecond;
    this.bytesPerMs = (k.bitsPerSecond * k.share) / k.bitsPerByte / 1000;
    this.overhead = k.overhead;
    this.ackOverhead = k.ackOverhead;
    this.burst = k.burst;
    const lineBytes = (this.bytesPerMs * k.batchMs);
    const dflt = { maxBatch: Math.min(32768, Math.max(512, Math.round(lineBytes * 4))), maxUnpacked: 4 * inner.maxFrame };
    const kb = linkKnobs('paced link', dflt, PACE_RANGES, o);
    this.maxBatch = kb.maxBatch;
    this.maxUnpacked = kb.maxUnpacked;
    this.compress = o.compress !== false;
    this.tokens = this.burst;
    this.filledAt = this.clock.now();
    this.offs.push(
      inner.on('frame', (from, b) => this.receive(from, b)),
      inner.on('peer', (peer, up) => {
        if (up) {
          this.down.delete(peer);
          this.peerUp(peer);
          this.pump();
        } else {
          if (this.queues.has(peer)) this.down.add(peer);
          this.peerDown(peer);
        }
      }),
      inner.on('error', (e) => this.fail(e.code, e.message)),
    );
    for (const p of inner.peers()) this.peerUp(p);
  }

  private receive(from: PeerId, b: Uint8Array): void {
    if (this.ackOverhead > 0 && this.bytesPerMs > 0) {
      // The kernel's ACK for it leaves on our direction of the line: the next send waits for it too.
      this.refill(this.clock.now());
      this.tokens -= this.ackOverhead;
    }
    if (!isBatch(b)) return this.deliver(from, b);
    let frames: Uint8Array[];
    try {
      frames = unpackBatch(b, this.maxFrame, this.maxUnpacked);
    } catch (e) {
      if (!(e instanceof BatchError)) throw e;
      this.stats.badBatches++;
      this.counters.dropped++;
      this.fail('decode', 'bad batch from ' + from + ' (' + e.reason + '): ' + e.message);
      return;
    }
    this.stats.unpacked++;
    for (const f of frames) this.deliver(from, f);
  }

  /** Frames waiting here for the line. */
  get queued(): number {
    return this.waitingFrames;
  }

  send(to: PeerId, b: Uint8Array): boolean {
    if (!this.admit(to, b)) return false;
    if (this.bytesPerMs === 0) {
      const ok = this.inner.send(to, b);
      if (ok) this.sent(b.length);
      return ok;
    }
    if (this.waitingFrames + 1 > this.queueFrames || this.waitingBytes + b.length > this.queueBytes) {
      return this.drop('queue-full', 'paced queue full (' + this.waitingFrames + ' frames, ' + this.waitingBytes + ' bytes) at ' +
        this.bitsPerSecond + ' bit/s');
    }
    let q = this.queues.get(to);
    if (!q) {
      this.queues.set(to, (q = []));
      this.turn.push(to);
    }
    q.push(b.slice());
    this.waitingFrames++;
    this.waitingBytes += b.length;
    this.pump();
    return true;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.filledAt) * this.bytesPerMs);
    this.filledAt = now;
  }

  /** Send while the bucket allows, one peer's waiting frames (as one batch when several) at a time. */
  private pump(): void {
    if (this.timer !== undefined || this.closed) return;
    for (;;) {
      const peer = this.nextPeer();
      if (peer === undefined) return;
      this.refill(this.clock.now());
      if (this.tokens < 0) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.max(1, Math.ceil(-this.tokens / this.bytesPerMs)));
        return;
      }
      const q = this.queues.get(peer)!;
      const take: Uint8Array[] = [];
      let raw = 0;
      while (q.length > 0 && take.length < MAX_BATCH_FRAMES && (take.length === 0 || raw + q[0].length <= this.maxBatch)) {
        const f = q.shift()!;
        raw += f.length;
        take.push(f);
      }
      this.waitingFrames -= take.length;
      this.waitingBytes -= raw;
      if (q.length === 0) {
        this.queues.delete(peer);
        this.turn.splice(this.turn.indexOf(peer), 1);
      } else {
        // Its turn is over: to the back of the line.
        this.turn.splice(this.turn.indexOf(peer), 1);
        this.turn.push(peer);
      }
      let wire = take[0];
      if (take.length > 1 || (this.compress && take[0].length > 64)) {
        const packed = packBatch(take, this.compress);
        if (take.length > 1 || packed.length < take[0].length) {
          wire = packed;
          this.stats.batches++;
          this.stats.batchedFrames += take.length;
        }
      }
      this.tokens -= wire.length + this.overhead;
      this.stats.wireBytes += wire.length;
      this.stats.frameBytes += raw;
      if (this.inner.send(peer, wire)) this.sent(wire.length);
    }
  }

  /** The next peer in turn whose frames may go (not one that went down). */
  private nextPeer(): PeerId | undefined {
    for (const p of this.turn) if (!this.down.has(p)) return p;
    return undefined;
  }

  /** Close: frames still waiting are dropped (counted); the inner link is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.allDown();
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.counters.dropped += this.waitingFrames;
    this.queues.clear();
    this.turn = [];
    for (const off of this.offs) off();
    await this.inner.close();
  }
}

/** Wrap `link` so it paces its sends to `bitsPerSecond` and batches what waits (see the header). */
export function pace(link: Link, o: PaceOptions): PacedLink {
  return new PacedLink(link, o);
}

/** A batch's line time: 2 s at 9600 bit/s, growing as the line slows (a batch needs about 1 KB of frames to
 *  deflate well), capped at 10 s. */
export function batchMsFor(bitsPerSecond: number): number {
  if (!(bitsPerSecond > 0)) return 2000;
  return Math.min(10000, Math.max(2000, Math.round((2000 * 9600) / bitsPerSecond)));
}

/**
 * The inner links' own timeouts on a line of this rate, so that none fires while a batch is on the line: MQTT
 * keepalive (s; mqtt.js sends its PINGREQ after a keepalive without news and gives up half a keepalive later, so
 * that half must hold a PINGREQ and its PINGRESP each waiting behind a batch: six batch times), the MQTT connect
 * timeout (ms; at 300 bit/s the TCP handshake, CONNECT and CONNACK alone take about 10 s of line), the TCP link's
 * idleTimeout (ms) and the serial link's peerTimeout (ms). Each is the link's default or a few batch times,
 * whichever is longer.
 */
export function lineTimeouts(bitsPerSecond: number): {
  mqttKeepalive: number; mqttConnectTimeout: number; tcpIdleTimeout: number; serialPeerTimeout: number;
} {
  const b = batchMsFor(bitsPerSecond);
  return {
    mqttKeepalive: Math.max(10, Math.ceil((6 * b) / 1000)),
    mqttConnectTimeout: Math.max(5000, 3 * b),
    tcpIdleTimeout: Math.max(30000, 4 * b),
    serialPeerTimeout: Math.max(3500, 3 * b),
  };
}

/**
 * Per-frame bytes the layers under each link kind add on the line, for `overhead`: TCP over IPv4 with
 * timestamps and Ethernet (14 + 20 + 32) plus the link's 4-byte length; MQTT adds a PUBLISH header and the
 * inbox topic (about 30 bytes with short ids) on top of TCP's; serial adds COBS, CRC-32, two delimiters and
 * the type byte (about 7, plus one per 254).
 */
export const LINK_OVERHEAD: { [kind: string]: number } = { tcp: 70, mqtt: 96, serial: 8, memory: 0, shaped: 0 };

/** Share of the line a pacer over a serial link in pieces leaves its frames: each 48-byte piece carries 15 bytes
 *  of header and framing, and on a line with 1 bit error in 10^3 about a third of the pieces go twice. */
export const SERIAL_PIECES_SHARE = 0.75;

/** Bytes our direction of the line carries for each frame received, for `ackOverhead`: a TCP ACK (Ethernet 14,
 *  IPv4 20, TCP with timestamps 32) for the TCP-based links, nothing for the others. */
export const LINK_ACK_OVERHEAD: { [kind: string]: number } = { tcp: 66, mqtt: 66 };

/**
 * The node's periods scaled to a thin line, so keepalives, heartbeats and anti-entropy rounds stay a small share
 * of it: at REFERENCE_BPS (38,400 bit/s) and above the runtime's defaults stand; below, every period and timeout
 * grows in proportion to how much slower the line is. Pass it as the driver's `config` (run-node's --rate does).
 */
export const REFERENCE_BPS = 38400;

export function thinConfig(bitsPerSecond: number, membership: 'hyparview' | 'full' | 'client-server' = 'hyparview'): {
  membershipConfig?: object; antiEntropy?: { period: number; retry: number };
} {
  if (!(bitsPerSecond > 0) || bitsPerSecond >= REFERENCE_BPS) return {};
  const u = REFERENCE_BPS / bitsPerSecond;
  const s = (ms: number) => Math.round(ms * u);
  const antiEntropy = { period: s(1000), retry: s(1000) };
  const m = membership === 'full' ? { keepalive: s(1000), peerTimeout: s(5000), joinTimeout: s(1000), reconnect: s(10000) }
    : membership === 'client-server' ? { keepalive: s(1000), peerTimeout: s(8000), joinTimeout: s(1000) }
    : { keepalive: s(2000), peerTimeout: s(8000), joinTimeout: s(2000), neighborTimeout: s(1000), shufflePeriod: s(10000), probePeriod: s(10000) };
  return { membershipConfig: m, antiEntropy };
}
