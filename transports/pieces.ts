/**
 * Frames in pieces with selective repeat, for a noisy serial line (serial.ts, `pieceSize`). At one bit error in
 * 10^3 a 2.5 KB frame arrives intact about once in 10^7 tries, and a 40-byte piece two times in three: so a large
 * frame travels as numbered pieces, each in its own CRC-checked serial frame, the receiver says which pieces it
 * holds, and the sender repeats only the ones lost. A lost piece costs that piece and a few status bytes.
 *
 * On the wire (the payload of one serial frame, after its type byte; integers little-endian):
 *   PIECE  [3, id u16, index u16, count u16, ...bytes]   piece `index` of `count` of message `id`
 *   STATUS [4, id u16, count u16, ...bitmap]             the pieces of `id` the receiver holds (bit i of byte
 *                                                         i >> 3 = piece i); all set: delivered (an ACK)
 * The receiver answers with a STATUS when a message completes, when the last piece of an incomplete one arrives,
 * and when a piece of a message it already delivered or is still missing pieces of arrives again (the sender's
 * probe). The sender, after the last piece of a message has had time to cross the line and its STATUS to come
 * back, probes by repeating the last piece; on a STATUS it repeats the pieces missing (before any new piece) and
 * forgets the message once all are held. After `maxProbes` probes without an answer it gives the message up
 * (counted); the node's own repair (anti-entropy) covers it then.
 *
 * Bounds (every byte from the line may be hostile): the receiver holds at most `maxPartial` incomplete messages
 * (the oldest is dropped when another starts) of at most `maxFrame` bytes and MAX_PIECES pieces each (a piece that would make one larger,
 * a count of 0 or one that changes, an index past the count: dropped, reported); it remembers the ids of the last
 * DONE_MEMORY delivered messages to answer probes. The sender keeps at most `window` messages unacknowledged;
 * further ones wait in its queue (bounded by the serial link's queue). Messages may be delivered out of the order
 * they were sent in when a repair is needed (the node's protocol does not depend on order).
 * Ids start at a random value at each link open, and the receiver forgets everything when a new peer says hello,
 * so a restarted peer's ids are not taken for old ones.
 */
export const PIECE = 3;
export const STATUS = 4;
const HEAD = 7;
const DONE_MEMORY = 64;
/** Most pieces in one message: bounds a STATUS to 517 bytes whatever a peer claims. */
export const MAX_PIECES = 4096;

export interface PieceOptions {
  /** Most bytes of message in one piece. */
  pieceSize: number;
  /** Largest message accepted, bytes. */
  maxFrame: number;
  /** Unacknowledged messages the sender keeps (default 8). */
  window?: number;
  /** Incomplete messages the receiver keeps (default 8). */
  maxPartial?: number;
  /** Probes without a STATUS before a message is given up (default 8). */
  maxProbes?: number;
}

export interface PieceIo {
  /** Hand one serial payload (type byte first) to the line; `urgent` ones go before queued data. */
  write(payload: Uint8Array, urgent: boolean): void;
  deliver(message: Uint8Array): void;
  /** ms until everything handed to `write` so far and `extra` bytes more have crossed the line and an answer came. */
  lineTime(extra: number): number;
  problem(what: string): void;
}

interface Sending {
  id: number;
  pieces: Uint8Array[];
  probes: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Partial {
  count: number;
  got: (Uint8Array | undefined)[];
  have: number;
  bytes: number;
}

export interface PieceStats {
  messagesSent: number;
  piecesSent: number;
  piecesRepeated: number;
  probes: number;
  givenUp: number;
  messagesDelivered: number;
  piecesDropped: number;
}

export class Pieces {
  readonly stats: PieceStats = { messagesSent: 0, piecesSent: 0, piecesRepeated: 0, probes: 0, givenUp: 0, messagesDelivered: 0, piecesDropped: 0 };
  private o: Required<PieceOptions>;
  private io: PieceIo;
  private nextId: number;
  private sending = new Map<number, Sending>();
  private waiting: Uint8Array[] = [];
  private partial = new Map<number, Partial>();
  private done: { id: number; count: number }[] = [];
  private closed = false;

  constructor(o: PieceOptions, io: PieceIo, firstId: number) {
    if (!(o.pieceSize >= 1)) throw new Error('pieces: pieceSize must be at least 1');
    this.o = { window: 8, maxPartial: 8, maxProbes: 8, ...o };
    this.io = io;
    this.nextId = firstId & 0xffff;
  }

  /** Messages not yet acknowledged plus those waiting for room in the window. */
  get pending(): number {
    return this.sending.size + this.waiting.length;
  }

  /** Bytes of the messages waiting for room in the window. */
  get waitingBytes(): number {
    let n = 0;
    for (const m of this.waiting) n += m.length;
    return n;
  }

  send(message: Uint8Array): void {
    this.waiting.push(message);
    this.fill();
  }

  private fill(): void {
    while (!this.closed && this.waiting.length > 0 && this.sending.size < this.o.window) {
      const m = this.waiting.shift()!;
      const id = this.nextId;
      this.nextId = (this.nextId + 1) & 0xffff;
      const count = Math.max(1, Math.ceil(m.length / this.o.pieceSize));
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const body = m.subarray(i * this.o.pieceSize, Math.min(m.length, (i + 1) * this.o.pieceSize));
        const p = new Uint8Array(HEAD + body.length);
        p[0] = PIECE;
        put16(p, 1, id);
        put16(p, 3, i);
        put16(p, 5, count);
        p.set(body, HEAD);
        pieces.push(p);
      }
      const s: Sending = { id, pieces, probes: 0, timer: undefined };
      this.sending.set(id, s);
      this.stats.messagesSent++;
      for (const p of pieces) this.io.write(p, false);
      this.stats.piecesSent += count;
      this.arm(s, 0);
    }
  }

  /** Wait for the line to carry what is queued and the STATUS to come back, then probe. */
  private arm(s: Sending, extra: number): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => this.probe(s), this.io.lineTime(extra));
  }

  private probe(s: Sending): void {
    if (this.closed || this.sending.get(s.id) !== s) return;
    if (s.probes >= this.o.maxProbes) {
      this.sending.delete(s.id);
      this.stats.givenUp++;
      this.io.problem('message ' + s.id + ' given up after ' + s.probes + ' probes without an answer');
      this.fill();
      return;
    }
    s.probes++;
    this.stats.probes++;
    const last = s.pieces[s.pieces.length - 1];
    this.io.write(last, true);
    this.arm(s, last.length);
  }

  /** A STATUS from the peer. */
  onStatus(p: Uint8Array): void {
    if (p.length < 5) return this.io.problem('a STATUS of ' + p.length + ' bytes');
    const id = get16(p, 1);
    const count = get16(p, 3);
    const s = this.sending.get(id);
    if (!s) return; // already acknowledged or given up: a late or repeated STATUS
    if (count !== s.pieces.length || p.length < 5 + ((count + 7) >> 3)) return this.io.problem('a STATUS for ' + id + ' that does not fit it');
    let missing = 0;
    let extra = 0;
    for (let i = 0; i < count; i++) {
      if ((p[5 + (i >> 3)] & (1 << (i & 7))) !== 0) continue;
      missing++;
      extra += s.pieces[i].length;
      this.io.write(s.pieces[i], true);
    }
    if (missing === 0) {
      clearTimeout(s.timer);
      this.sending.delete(id);
      this.fill();
      return;
    }
    s.probes = 0;
    this.stats.piecesRepeated += missing;
    this.arm(s, extra);
  }

  /** A PIECE from the peer. */
  onPiece(p: Uint8Array): void {
    if (p.length < HEAD) return this.drop('a PIECE of ' + p.length + ' bytes');
    const id = get16(p, 1);
    const index = get16(p, 3);
    const count = get16(p, 5);
    if (count === 0 || index >= count) return this.drop('piece ' + index + ' of ' + count);
    for (const d of this.done) {
      if (d.id === id) return this.status(id, d.count, undefined); // a repeat of what we delivered: the probe wants its ACK
    }
    let m = this.partial.get(id);
    if (m && m.count !== count) return this.drop('message ' + id + ' changed its count from ' + m.count + ' to ' + count);
    if (!m) {
      if (count > MAX_PIECES) return this.drop('a message of ' + count + ' pieces (at most ' + MAX_PIECES + ')');
      if (this.partial.size >= this.o.maxPartial) {
        const oldest = this.partial.keys().next().value as number;
        this.partial.delete(oldest);
        this.stats.piecesDropped++;
        this.io.problem('incomplete message ' + oldest + ' dropped for a newer one (' + this.o.maxPartial + ' at most)');
      }
      m = { count, got: [], have: 0, bytes: 0 };
      this.partial.set(id, m);
    }
    const body = p.subarray(HEAD);
    if (m.got[index] === undefined) {
      if (m.bytes + body.length > this.o.maxFrame) {
        this.partial.delete(id);
        return this.drop('message ' + id + ' outgrew ' + this.o.maxFrame + ' bytes');
      }
      m.got[index] = body.slice();
      m.have++;
      m.bytes += body.length;
    } else if (m.have < count) {
      return this.status(id, count, m); // the sender's probe of an incomplete message
    }
    if (m.have === count) {
      this.partial.delete(id);
      const out = new Uint8Array(m.bytes);
      let at = 0;
      for (const g of m.got) {
        out.set(g!, at);
        at += g!.length;
      }
      this.done.push({ id, count });
      if (this.done.length > DONE_MEMORY) this.done.shift();
      this.status(id, count, undefined);
      this.stats.messagesDelivered++;
      this.io.deliver(out);
    } else if (index === count - 1) {
      this.status(id, count, m);
    }
  }

  private drop(what: string): void {
    this.stats.piecesDropped++;
    this.io.problem(what + ', dropped');
  }

  private status(id: number, count: number, m: Partial | undefined): void {
    const p = new Uint8Array(5 + ((count + 7) >> 3));
    p[0] = STATUS;
    put16(p, 1, id);
    put16(p, 3, count);
    for (let i = 0; i < count; i++) if (!m || m.got[i] !== undefined) p[5 + (i >> 3)] |= 1 << (i & 7);
    this.io.write(p, true);
  }

  /** The peer changed (a new hello): forget what we were receiving from the old one. */
  resetReceiver(): void {
    this.partial.clear();
    this.done = [];
  }

  /** The peer is gone or the port closed: stop every timer and forget what was in flight; returns how many. */
  clearSender(): number {
    const n = this.sending.size + this.waiting.length;
    for (const s of this.sending.values()) clearTimeout(s.timer);
    this.sending.clear();
    this.waiting = [];
    return n;
  }

  close(): void {
    this.closed = true;
    this.clearSender();
    this.resetReceiver();
  }
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >> 8) & 0xff;
}

function get16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}
