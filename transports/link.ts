/**
 * The Link contract (PROTOCOL.md, "Links"): what every transport (memory, TCP, MQTT, serial, BLE, the shaper)
 * gives the node driver. A link carries whole frames (Uint8Array) between this node and peers named by PeerId;
 * it knows nothing of what a frame means. The driver (transports/driver.ts) turns its events into node inputs.
 *
 *   const link = await tcpLink({ id: 'a', listen: 7000 });
 *   link.on('frame', (from, bytes) => step(node, { kind: 'frame', from, bytes }, now));
 *   link.on('peer', (peer, up) => step(node, { kind: 'link', peer, up }, now));
 *   link.send('b', bytes);   // false: dropped and counted (queue full, no route, too big, closed)
 *   await link.close();
 *
 * Rules every link keeps:
 * - `send` never throws and never blocks. It returns true when the frame was queued, false when it was dropped;
 *   a drop is counted in `counters.dropped` and reported as an 'error' event with a LinkError saying why.
 * - The send queue is bounded (frames and bytes, see DEFAULT_QUEUE). Policy when full: tail drop, i.e. the new
 *   frame is refused and the queued ones keep their order. Pollen can afford it: Plumtree's GRAFT and delta
 *   anti-entropy re-send what was lost, and an older queued frame is no less useful than a newer one.
 * - A frame larger than `maxFrame` is refused on send and dropped on receipt (counted, never delivered).
 * - Bytes that arrive are hostile: a link checks its own framing with limits; the node decodes the payload.
 * - 'peer' events say when a peer became reachable or unreachable (TCP connection, MQTT presence, BLE
 *   connection); `peers()` is the current set, so a listener attached late can catch up.
 * - `close()` is idempotent, releases every socket and timer, and resolves when they are gone.
 */
import type { PeerId } from '../runtime/io.ts';
import { MAX_PEER_ID, peerIdProblem } from '../runtime/messages.ts';
import { backoff } from '../runtime/backoff.ts';
import { bytes, count, linkKnobs, queueKnobs } from './options.ts';
import { PeerBudgets, budgetKnobs, type BudgetOptions } from './budget.ts';

/** Traffic and trouble seen by one link since it was made. */
export interface LinkCounters {
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Frames not sent or not delivered: queue full, unknown peer, oversize, closed, nobody listening. */
  dropped: number;
  /** Malformed input and transport failures (a bad length prefix, a socket error, a refused broker). */
  errors: number;
  /** Frames past their sender's receive budget (transports/budget.ts): dropped (also counted under dropped) on
   *  links that cannot push back (MQTT), or held back by pausing the connection (TCP). */
  throttled: number;
}

/** Why something went wrong; `code` is stable for programs, `message` is for people. */
export type LinkErrorCode =
  | 'oversize' // a frame larger than maxFrame
  | 'queue-full' // the bounded send queue refused a frame
  | 'unreachable' // no route to that peer right now
  | 'closed' // the link was closed
  | 'refused' // the other end (broker, listener) refused or could not be reached
  | 'timeout' // the other end did not answer in time (MQTT CONNACK or PINGRESP): not a refusal
  | 'not-found' // a port path, a device or an adapter that does not exist
  | 'decode' // framing of the incoming byte stream is broken
  | 'protocol' // the peer broke the link's own protocol (e.g. no hello)
  | 'budget' // a peer sent past its receive budget (frames or bytes per second)
  | 'io'; // any other transport failure

export class LinkError extends Error {
  readonly code: LinkErrorCode;
  /** The link kind ('tcp', 'mqtt', ...) that raised it. */
  readonly link: string;
  constructor(link: string, code: LinkErrorCode, message: string) {
    super(link + ' link: ' + message);
    this.name = 'LinkError';
    this.code = code;
    this.link = link;
  }
}

export interface LinkEvents {
  /** A whole frame from a peer, within maxFrame; its contents are still unchecked. */
  frame: (from: PeerId, bytes: Uint8Array) => void;
  /** A peer became reachable (up) or unreachable (down). */
  peer: (peer: PeerId, up: boolean) => void;
  /** Something was dropped or failed; already counted. Links never throw these at the caller. */
  error: (err: LinkError) => void;
}

export interface Link {
  /** 'memory', 'tcp', 'mqtt', 'serial', 'ble', 'shaped', ... */
  readonly kind: string;
  /** This node's id on the link. */
  readonly self: PeerId;
  /** The largest frame this link sends or delivers, in bytes. */
  readonly maxFrame: number;
  readonly counters: LinkCounters;
  /** Queue a frame for a peer; false when it was dropped (see the policy above). Never throws. */
  send(to: PeerId, bytes: Uint8Array): boolean;
  /** Peers reachable now, sorted. */
  peers(): PeerId[];
  /** Listen; returns a function that stops listening. */
  on<E extends keyof LinkEvents>(event: E, fn: LinkEvents[E]): () => void;
  /** Release everything; idempotent. */
  close(): Promise<void>;
}

/**
 * 64 KB, the same as the codec's DEFAULT_LIMITS.maxFrame: the node could not decode a larger frame anyway, and
 * it is the most a 16-bit length (serial, BLE reassembly) can announce.
 */
export const DEFAULT_MAX_FRAME = 65536;

/**
 * Send queue bound per link (or per connection, where a link has several). 256 frames or 1 MiB, whichever comes
 * first: a few seconds of Plumtree and anti-entropy traffic on a busy Pi, so a short stall is absorbed, while a
 * peer that stays slower than its traffic is cut off by tail drop instead of growing memory without bound.
 */
export const DEFAULT_QUEUE = { frames: 256, bytes: 1 << 20 };

/**
 * Peers a link holds as up at once. 1024: far above HyParView's views (5 active, 30 passive) and a full-membership
 * cluster of a few hundred, while a flood of made-up ids (say, fake MQTT presence) cannot grow the set forever.
 */
export const DEFAULT_MAX_PEERS = 1024;

const BASE_DEFAULTS = { maxFrame: DEFAULT_MAX_FRAME, maxPeers: DEFAULT_MAX_PEERS };
const BASE_RANGES = { maxFrame: /* @__PURE__ */ bytes(1), maxPeers: /* @__PURE__ */ count(1) };

/** The longest peer id, the same bound for every link and layer (runtime/messages.ts). */
export { MAX_PEER_ID };

/**
 * Delay before reconnection attempt number `attempt` (0 first): `min` doubling to `max` (runtime/backoff.ts, the
 * same backoff the membership managers use), times a random 0.5..1 so links that lost the same broker or port
 * do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, min: number, max: number): number {
  return backoff(min, max, attempt) * (0.5 + Math.random() / 2);
}

export interface LinkOptions {
  /** This node's id. */
  id: PeerId;
  /** Peers up at once (default DEFAULT_MAX_PEERS); one more is ignored and counted under errors. */
  maxPeers?: number;
  /** Largest frame in bytes (default DEFAULT_MAX_FRAME). */
  maxFrame?: number;
  /** Send queue bound (default DEFAULT_QUEUE). */
  queue?: { frames?: number; bytes?: number };
  /**
   * Receive budget per peer (transports/budget.ts, defaults RECEIVE_BUDGET: 1,000 frames and 1 MiB a second,
   * bursts of 2 s). On by default on the links strangers can reach (TCP, MQTT); `false` turns it off there.
   * Other links take it when given.
   */
  budget?: BudgetOptions | false;
}

/** A FIFO bounded in frames and bytes; `push` refuses (tail drop) when either bound would be passed. */
export class BoundedQueue<T> {
  readonly maxFrames: number;
  readonly maxBytes: number;
  private items: { v: T; n: number }[] = [];
  private head = 0;
  bytes = 0;
  constructor(maxFrames: number, maxBytes: number) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
  }
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T, size: number): boolean {
    if (this.length + 1 > this.maxFrames || this.bytes + size > this.maxBytes) return false;
    this.items.push({ v, n: size });
    this.bytes += size;
    return true;
  }
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head].v : undefined;
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const it = this.items[this.head++];
    this.bytes -= it.n;
    // Compact now and then so a long-lived queue does not keep its whole history.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return it.v;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}

/**
 * The shared half of every link: listeners, counters, the up/down peer set and the checks on frames in and out.
 * A subclass calls `deliver` for each whole frame it received, `peerUp`/`peerDown` as reachability changes,
 * `drop`/`fail` for trouble, and implements `send` and `close`.
 */
export abstract class BaseLink implements Link {
  abstract readonly kind: string;
  readonly self: PeerId;
  readonly maxFrame: number;
  readonly queueFrames: number;
  readonly queueBytes: number;
  readonly maxPeers: number;
  readonly counters: LinkCounters = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, dropped: 0, errors: 0, throttled: 0 };
  protected closed = false;
  /** Receive budgets per peer; `deliver` drops a frame past it, unless the link pushes back itself (budgetDrops
   *  false: it charges the budget before delivering and pauses the peer). */
  protected budget: PeerBudgets | undefined;
  protected budgetDrops = true;
  private budgetReported = -Infinity;
  private budgetUnreported = 0;
  private up: { [peer: string]: true } = Object.create(null);
  private upCount = 0;
  private listeners: { [E in keyof LinkEvents]: LinkEvents[E][] } = { frame: [], peer: [], error: [] };

  /** `kind` names the link in errors about its options (the subclass's own `kind` is not set yet here). */
  constructor(o: LinkOptions, kind?: string) {
    const who = kind ? kind + ' link' : 'link';
    // The bound every layer accepts: a longer id would be refused later by membership and Plumtree, silently.
    const bad = peerIdProblem(o.id);
    if (bad) throw new Error(who + ': ' + bad);
    this.self = o.id;
    const k = linkKnobs(who, BASE_DEFAULTS, BASE_RANGES, o);
    const q = queueKnobs(who, DEFAULT_QUEUE, o.queue);
    this.maxFrame = k.maxFrame;
    this.maxPeers = k.maxPeers;
    this.queueFrames = q.frames;
    this.queueBytes = q.bytes;
    if (o.budget) this.budget = new PeerBudgets(budgetKnobs(o.budget, who));
  }

  /** For the links strangers can reach: a receive budget unless the options turned it off. */
  protected budgetByDefault(o: LinkOptions): void {
    if (o.budget !== false && !this.budget) this.budget = new PeerBudgets(budgetKnobs(o.budget || undefined, this.kind + ' link'));
  }

  /** Count frames past a budget; reported as one 'budget' error a second at most (a flood must not become a
   *  flood of events). */
  protected throttle(from: PeerId, frames: number, dropped: boolean): void {
    this.counters.throttled += frames;
    if (dropped) this.counters.dropped += frames;
    this.budgetUnreported += frames;
    const now = Date.now();
    if (now - this.budgetReported < 1000) return;
    this.budgetReported = now;
    const n = this.budgetUnreported;
    this.budgetUnreported = 0;
    this.report(new LinkError(this.kind, 'budget', n + ' frame(s) past the receive budget, last from ' + from + (dropped ? ', dropped' : ', held back')));
  }

  abstract send(to: PeerId, bytes: Uint8Array): boolean;
  abstract close(): Promise<void>;

  peers(): PeerId[] {
    return Object.keys(this.up).sort();
  }

  on<E extends keyof LinkEvents>(event: E, fn: LinkEvents[E]): () => void {
    const list = this.listeners[event] as LinkEvents[E][];
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** The checks every send starts with; returns false (counted and reported) when the frame cannot go. */
  protected admit(to: PeerId, bytes: Uint8Array): boolean {
    if (this.closed) return this.drop('closed', 'send to ' + to + ' after close');
    if (!(bytes instanceof Uint8Array)) return this.drop('io', 'send to ' + to + ': frame is not a Uint8Array');
    if (bytes.length > this.maxFrame) {
      return this.drop('oversize', 'frame of ' + bytes.length + ' bytes to ' + to + ' exceeds maxFrame ' + this.maxFrame);
    }
    return true;
  }

  /** Count a frame that left. */
  protected sent(bytes: number): void {
    this.counters.framesOut++;
    this.counters.bytesOut += bytes;
  }

  /** Hand a received frame to listeners, after the size check. */
  protected deliver(from: PeerId, bytes: Uint8Array): void {
    if (this.closed) return;
    if (bytes.length > this.maxFrame) {
      this.fail('oversize', 'frame of ' + bytes.length + ' bytes from ' + from + ' exceeds maxFrame ' + this.maxFrame);
      this.counters.dropped++;
      return;
    }
    if (this.budgetDrops && this.budget && !this.budget.admit(from, bytes.length, Date.now())) {
      this.throttle(from, 1, true);
      return;
    }
    this.counters.framesIn++;
    this.counters.bytesIn += bytes.length;
    const list = this.listeners.frame;
    if (list.length === 0) {
      this.counters.dropped++;
      return;
    }
    for (const fn of list.slice()) fn(from, bytes);
  }

  protected peerUp(peer: PeerId): void {
    if (this.closed || peer === this.self || this.up[peer]) return;
    if (this.upCount >= this.maxPeers) {
      this.fail('protocol', 'peer ' + peer + ' ignored: ' + this.upCount + ' peers are up already (maxPeers ' + this.maxPeers + ')');
      return;
    }
    this.up[peer] = true;
    this.upCount++;
    for (const fn of this.listeners.peer.slice()) fn(peer, true);
  }

  protected peerDown(peer: PeerId): void {
    if (!this.up[peer]) return;
    delete this.up[peer];
    this.upCount--;
    for (const fn of this.listeners.peer.slice()) fn(peer, false);
  }

  protected isUp(peer: PeerId): boolean {
    return this.up[peer] === true;
  }

  /** Mark every peer down (on close or on losing the broker). */
  protected allDown(): void {
    for (const p of this.peers()) this.peerDown(p);
  }

  /** A frame that will not go or will not be delivered: counted under dropped, reported; returns false. */
  protected drop(code: LinkErrorCode, message: string): false {
    this.counters.dropped++;
    this.report(new LinkError(this.kind, code, message));
    return false;
  }

  /** A failure (bad input, transport error): counted under errors, reported. */
  protected fail(code: LinkErrorCode, message: string): LinkError {
    this.counters.errors++;
    const err = new LinkError(this.kind, code, message);
    this.report(err);
    return err;
  }

  private report(err: LinkError): void {
    for (const fn of this.listeners.error.slice()) fn(err);
  }
}
