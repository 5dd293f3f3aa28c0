/**
 * Frames cut to BLE's ATT payload and put back together. A write or a notification carries at most MTU - 3
 * bytes (20 at the default ATT MTU of 23; 244 at the 247 that Nordic's stack, and so a Puck.js, negotiates), so a
 * frame of a few hundred bytes travels as a run of fragments, each with one header byte:
 *
 *   bit 7      FIRST: this fragment starts a frame, and two bytes of total length (big-endian) follow the header
 *   bits 6..4  frame id, counting frames mod 8
 *   bits 3..0  fragment index within the frame, mod 16
 *
 *   const f = new Fragmenter();
 *   const parts = f.fragment(frame, 20);            // 20-byte writes: 17 data bytes in the first, 19 after
 *   const r = new Reassembler({ maxFrame: 4096 }, { frame: (p) => ..., drop: (e) => ... });
 *   for (const p of parts) r.push(p);               // the frame, once
 *
 * The link under it (GATT writes and notifications on one connection) keeps order and does not duplicate, but it
 * can lose a notification (a peripheral whose buffers overflowed) and a peer can send anything, so the
 * reassembler checks every step against what it expects and drops what does not fit, counting why:
 * - `missing`: a fragment index skipped, or the next frame started before this one was whole (its tail was lost);
 *   also counted, with nothing to drop, when a frame id is skipped (a whole frame was lost).
 * - `interleaved`: a fragment of another frame id arrived while a frame was in progress, or a new frame started
 *   whose id is not the next one: two frames mixed, and neither can be trusted.
 * - `oversized`: the announced total is above maxFrame; that frame's fragments are skipped without being stored.
 * - `overrun`: a frame's fragments carry more bytes than its announced total.
 * - `orphan`: a continuation with no frame in progress (its first fragment was lost or dropped).
 * - `truncated`: a fragment too short for its own header, or longer than the negotiated payload.
 * Memory: one frame in progress, allocated at its announced total after the maxFrame check.
 */
import { DecodeError } from '../crdt/errors.ts';

const FIRST = 0x80;
/** Bytes of header on the first fragment and on the others. */
export const FIRST_HEADER = 3;
export const NEXT_HEADER = 1;
/** ATT payload at the default MTU of 23 (Bluetooth Core 5.x, Vol 3, Part F, 3.2.8: ATT_MTU minimum 23, minus 3). */
export const MIN_PAYLOAD = 20;
/** ATT payload at MTU 247, the largest that fits one LE data PDU of 251 bytes with its 4-byte L2CAP header. */
export const MAX_PAYLOAD = 244;
/** The largest total the 16-bit length can announce. */
export const MAX_TOTAL = 0xffff;

/** Fragments needed for a frame of `n` bytes at ATT payload `size`. */
export function fragmentCount(n: number, size: number): number {
  const first = size - FIRST_HEADER;
  return n <= first ? 1 : 1 + Math.ceil((n - first) / (size - NEXT_HEADER));
}

/** Throws a RangeError when `frame` cannot be cut at `size`. */
function fits(frame: Uint8Array, size: number): void {
  if (!(size >= FIRST_HEADER + 1)) throw new RangeError('blefrag: payload size ' + size + ' leaves no room for data');
  if (frame.length > MAX_TOTAL) {
    throw new RangeError('blefrag: frame of ' + frame.length + ' bytes exceeds the 16-bit total ' + MAX_TOTAL);
  }
}

/**
 * Fragment `index` of `frame` (frame id `id`, ATT payload `size`), or null past the last one. Stateless, so a
 * sender short of memory (a board) cuts each fragment just before it writes it instead of holding them all.
 */
export function fragmentAt(frame: Uint8Array, size: number, id: number, index: number): Uint8Array | null {
  if (index === 0) fits(frame, size);
  const head = index === 0 ? FIRST_HEADER : NEXT_HEADER;
  const at = index === 0 ? 0 : size - FIRST_HEADER + (index - 1) * (size - NEXT_HEADER);
  if (index > 0 && at >= frame.length) return null;
  const n = Math.min(frame.length - at, size - head);
  const f = new Uint8Array(head + n);
  if (index === 0) {
    f[0] = FIRST | (id << 4);
    f[1] = frame.length >>> 8;
    f[2] = frame.length & 0xff;
  } else {
    f[0] = (id << 4) | (index & 0x0f);
  }
  f.set(frame.subarray(at, at + n), head);
  return f;
}

/** Cuts frames; holds the frame id counter of one direction of one connection. */
export class Fragmenter {
  private id = 0;

  /** The id of the next frame (0..7, counting on): fragmentAt's `id` for a sender that cuts lazily. */
  next(): number {
    const id = this.id;
    this.id = (this.id + 1) & 7;
    return id;
  }

  /** The fragments of `frame`, each at most `size` bytes (the ATT payload: MTU - 3). */
  fragment(frame: Uint8Array, size: number): Uint8Array[] {
    fits(frame, size); // before the id is used up
    const id = this.next();
    const out: Uint8Array[] = [];
    for (let i = 0; ; i++) {
      const f = fragmentAt(frame, size, id, i);
      if (!f) return out;
      out.push(f);
    }
  }
}

export interface ReassemblyConfig {
  /** Largest frame accepted, in bytes (at most MAX_TOTAL). Default 4096: a few seconds of a BLE link's time. */
  maxFrame: number;
  /** Longest fragment accepted: the negotiated ATT payload (default MAX_PAYLOAD; the link sets it after MTU). */
  maxFragment: number;
}

export interface ReassemblyHandlers {
  frame(payload: Uint8Array): void;
  drop?(err: DecodeError): void;
}

export type FragDrop = 'missing' | 'interleaved' | 'oversized' | 'overrun' | 'orphan' | 'truncated';

const IDLE = 0; // no frame in progress
const BUSY = 1; // a frame in progress: `buf` of `total` bytes, `got` so far, next index `index`
const SKIP = 2; // an oversized frame: ignore its continuations

export class Reassembler {
  cfg: ReassemblyConfig;
  frames = 0;
  bytes = 0;
  drops: { [K in FragDrop]: number } = { missing: 0, interleaved: 0, oversized: 0, overrun: 0, orphan: 0, truncated: 0 };
  private h: ReassemblyHandlers;
  private state = IDLE;
  private id = 0; // frame id in progress (or skipped, or last seen)
  private seen = false; // a first fragment has arrived (so `id` means something)
  private index = 0; // next fragment index expected, mod 16
  private buf = new Uint8Array(0);
  private got = 0;

  constructor(cfg: Partial<ReassemblyConfig>, handlers: ReassemblyHandlers) {
    this.cfg = {
      maxFrame: Math.min(cfg.maxFrame ?? 4096, MAX_TOTAL),
      maxFragment: cfg.maxFragment ?? MAX_PAYLOAD,
    };
    this.h = handlers;
  }

  /** Bytes held for the frame in progress. */
  get pending(): number {
    return this.state === BUSY ? this.got : 0;
  }

  /** One write or notification, as received. */
  push(f: Uint8Array): void {
    if (f.length < NEXT_HEADER || f.length > this.cfg.maxFragment) {
      this.fail('truncated', 'fragment of ' + f.length + ' bytes (the negotiated payload is ' + this.cfg.maxFragment + ')');
      return;
    }
    const h = f[0];
    const id = (h >> 4) & 7;
    if (h & FIRST) {
      if (f.length < FIRST_HEADER) {
        this.fail('truncated', 'first fragment of ' + f.length + ' bytes is shorter than its header');
        return;
      }
      if ((h & 0x0f) !== 0) {
        this.fail('truncated', 'first fragment with index ' + (h & 0x0f) + ', not 0');
        return;
      }
      const next = ((this.id + 1) & 7) === id;
      if (this.state === BUSY) {
        this.fail(next ? 'missing' : 'interleaved', 'frame ' + this.id + ' cut off at ' + this.got + ' of ' +
          this.buf.length + ' bytes by the start of frame ' + id);
      } else if (this.seen && !next) {
        // Nothing to drop, but whole frames went missing in between (every fragment of them lost): count it.
        this.fail('missing', 'frame ' + id + ' follows frame ' + this.id + '; the frames between were lost');
      }
      this.seen = true;
      this.start(id, (f[1] << 8) | f[2], f);
      return;
    }
    if (this.state === SKIP && id === this.id) return; // the rest of a frame already counted as oversized
    if (this.state !== BUSY) {
      this.state = IDLE;
      this.fail('orphan', 'fragment ' + (h & 0x0f) + ' of frame ' + id + ' without its first fragment');
      return;
    }
    if (id !== this.id) {
      this.fail('interleaved', 'fragment of frame ' + id + ' inside frame ' + this.id);
      this.state = IDLE;
      return;
    }
    if ((h & 0x0f) !== this.index) {
      this.fail('missing', 'frame ' + id + ': fragment ' + (h & 0x0f) + ' where ' + this.index + ' was due');
      this.state = SKIP; // its remaining fragments are part of the same loss
      return;
    }
    this.index = (this.index + 1) & 0x0f;
    this.take(f, NEXT_HEADER);
  }

  private start(id: number, total: number, f: Uint8Array): void {
    this.id = id;
    if (total > this.cfg.maxFrame) {
      this.state = SKIP;
      this.fail('oversized', 'frame ' + id + ' announces ' + total + ' bytes, maxFrame is ' + this.cfg.maxFrame);
      return;
    }
    this.state = BUSY;
    this.index = 1;
    this.buf = new Uint8Array(total);
    this.got = 0;
    this.take(f, FIRST_HEADER);
  }

  private take(f: Uint8Array, from: number): void {
    const n = f.length - from;
    if (this.got + n > this.buf.length) {
      this.fail('overrun', 'frame ' + this.id + ' carries more than its announced ' + this.buf.length + ' bytes');
      this.state = SKIP;
      return;
    }
    this.buf.set(f.subarray(from), this.got);
    this.got += n;
    if (this.got === this.buf.length) {
      const payload = this.buf;
      this.buf = new Uint8Array(0);
      this.state = IDLE;
      this.frames++;
      this.bytes += payload.length;
      this.h.frame(payload);
    }
  }

  private fail(reason: FragDrop, message: string): void {
    this.drops[reason]++;
    if (this.h.drop) this.h.drop(new DecodeError(reason, message));
  }
}
