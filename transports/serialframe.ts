/**
 * Frames on a byte stream (a UART, a USB CDC port, a pty): each frame is COBS(payload ‖ CRC-32 LE) followed by a
 * zero byte, and the sender also puts a zero in front (see LEAD below). The receiver is a streaming state machine
 * in the manner of mqtt-packet: it consumes bytes as they arrive, in chunks of any size, keeps no more than one
 * frame's worth of state, and at every zero byte either delivers a frame or drops what it held, counts the
 * reason, and starts afresh. So a receiver that starts mid-stream, a burst of line noise, or a lost byte costs at
 * most the frames it touched; the stream resynchronises at the next delimiter.
 *
 *   const d = new Deframer({ maxFrame: 4096 }, { frame: (p) => got.push(p), drop: (e) => log(e.message) });
 *   d.push(encodeFrame(new Uint8Array([1, 2, 3])));  // got: [[1, 2, 3]]
 *   d.push(new Uint8Array([7, 7, 0]));                // noise: counted in d.drops.crc or d.drops.truncated
 *
 * Drop reasons (each a DecodeError reason and a key of `drops`):
 * - `truncated`: a delimiter arrived inside a COBS block (bytes were lost or the frame was cut), or the frame is
 *   shorter than its CRC.
 * - `crc`: the CRC-32 over the payload does not match the four bytes after it (corruption, or noise that happened
 *   to be valid COBS).
 * - `oversized`: the decoded frame outgrew `maxFrame` + 4 before its delimiter; the rest up to the next zero is
 *   skipped without being stored, so a stream that never sends a zero costs no memory.
 * Empty frames (two zeros in a row) are the idle fill and the sender's lead byte: ignored, not counted.
 *
 * This file, cobs.ts, crc.ts, blefrag.ts and hello.ts keep to the board's JavaScript subset (ARCHITECTURE.md), so the
 * Espruino target can frame Serial1 and Bluetooth UART traffic with the same code (`tools/board-check.ts`). On the
 * board every function object costs variables as long as the bundle is loaded, so the whole receiver is three
 * methods (constructor, push, reset) and the sender one function that stuffs payload and CRC in one pass (the
 * blocks cobs.ts's encodeInto writes, without a copy of the payload to append the CRC to).
 */
import { DecodeError } from '../crdt/errors.ts';
import { DEFAULT_LIMITS } from '../crdt/codec/limits.ts';
import { crc32, CRC_BYTES } from './crc.ts';

export interface FrameConfig {
  /**
   * Payload bytes in one frame. Default 65536 (DEFAULT_LIMITS.maxFrame, the codec's own bound: a larger payload
   * could not be decoded anyway). The receiver holds one buffer of this size plus the CRC per link.
   */
  maxFrame: number;
}

export const DEFAULT_FRAME_CONFIG: FrameConfig = { maxFrame: DEFAULT_LIMITS.maxFrame };

/**
 * LEAD: a zero in front of every frame. Costs one byte per frame; buys the frame after a burst of noise: without
 * it, noise that arrives between two frames is glued to the front of the next one and both are lost to the CRC.
 * With it the noise is closed off as its own (dropped) frame. Two zeros in a row are an empty frame, ignored.
 */
export const LEAD = true;

/** Bytes on the wire for a payload of `n` bytes: lead zero, COBS of payload and CRC (cobs.ts's bound), trailing zero. */
export function framedSize(n: number, lead?: boolean): number {
  return ((lead === undefined ? LEAD : lead) ? 1 : 0) + n + CRC_BYTES + Math.floor((n + CRC_BYTES) / 254) + 2;
}

/**
 * The wire bytes of one frame: COBS (cobs.ts) of the payload followed by its CRC-32 little-endian (crcbytes.ts),
 * stuffed in one pass into one array. The caller checks the payload against its maxFrame (the receiver will).
 */
export function encodeFrame(payload: Uint8Array, lead?: boolean): Uint8Array {
  const n = payload.length;
  const crc = crc32(payload);
  const out = new Uint8Array((lead === false ? 0 : 1) + n + CRC_BYTES + Math.floor((n + CRC_BYTES) / 254) + 2);
  let codeAt = lead === false ? 0 : 1; // where the open block's code byte goes, filled in when the block closes
  let w = codeAt + 1;
  let code = 1; // 1 + data bytes in the open block
  for (let i = 0; i < n + CRC_BYTES; i++) {
    const b = i < n ? payload[i] : (crc >>> (8 * (i - n))) & 0xff;
    if (b !== 0) {
      out[w++] = b;
      code++;
    }
    // A zero closes the block (its code implies the zero); so does a full block of 254 data bytes (no zero implied).
    if (b === 0 || code === 0xff) {
      out[codeAt] = code;
      codeAt = w++;
      code = 1;
    }
  }
  out[codeAt] = code;
  out[w++] = 0;
  return out.subarray(0, w);
}

export interface DeframerHandlers {
  /** A frame whose CRC matched; the array is the caller's to keep. */
  frame(payload: Uint8Array): void;
  /** A frame dropped (already counted in `drops`); optional. */
  drop?(err: DecodeError): void;
}

/** Where the state machine is between two bytes. */
const CODE = 0; // the next byte is a block's code byte (or a delimiter)
const DATA = 1; // inside a block: `left` data bytes to go
const SKIP = 2; // an oversized frame: skip to the next delimiter

export class Deframer {
  readonly cfg: FrameConfig;
  /** Frames delivered and their payload bytes. */
  frames = 0;
  bytes = 0;
  /** Frames dropped, by reason. */
  drops = { truncated: 0, crc: 0, oversized: 0 };
  /** Bytes held for the frame in progress (for tests and metrics). */
  pending = 0;

  private h: DeframerHandlers;
  private buf: Uint8Array;
  private state = CODE;
  private code = 0; // the current block's code byte
  private left = 0; // data bytes left in the current block
  private pendingZero = false; // a short block ended: a zero follows unless that block was the last
  private started = false; // this frame has at least one byte (so a delimiter ends a frame, not idle fill)

  constructor(cfg: Partial<FrameConfig>, handlers: DeframerHandlers) {
    this.cfg = { maxFrame: cfg.maxFrame !== undefined ? cfg.maxFrame : DEFAULT_FRAME_CONFIG.maxFrame };
    this.h = handlers;
    this.buf = new Uint8Array(this.cfg.maxFrame + CRC_BYTES);
  }

  /** Consume a chunk of any size (one byte, half a frame, many frames). */
  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      // Set when the frame in progress is dropped, with why.
      let why: 'truncated' | 'crc' | 'oversized' | '' = '';
      let msg = '';
      if (this.state === SKIP) {
        if (b === 0) this.reset();
        continue;
      }
      if (b === 0) {
        if (this.state === DATA) {
          why = 'truncated';
          msg = 'delimiter inside a COBS block, ' + this.left + ' data bytes short';
        } else if (!this.started) {
          continue; // idle fill / lead byte
        } else {
          // A delimiter after a complete block: check and deliver. The pending zero was the encoder's own.
          const n = this.pending - CRC_BYTES;
          const buf = this.buf;
          if (n < 0) {
            why = 'truncated';
            msg = 'frame of ' + this.pending + ' bytes is shorter than its ' + CRC_BYTES + '-byte CRC';
          } else {
            const want = (buf[n] | (buf[n + 1] << 8) | (buf[n + 2] << 16) | (buf[n + 3] << 24)) >>> 0;
            const got = crc32(buf.subarray(0, n));
            if (want !== got) {
              why = 'crc';
              msg = 'CRC-32 mismatch on a frame of ' + n + ' bytes (got 0x' + got.toString(16) + ', frame says 0x' + want.toString(16) + ')';
            } else {
              this.frames++;
              this.bytes += n;
              // A copy (the buffer is reused); never Uint8Array#slice, which the board's interpreter gets wrong.
              const payload = new Uint8Array(n);
              payload.set(buf.subarray(0, n));
              this.reset();
              this.h.frame(payload);
              continue;
            }
          }
        }
      } else {
        let put = -1; // the decoded byte to append, if any
        if (this.state === DATA) {
          put = b;
          if (--this.left === 0) this.state = CODE;
        } else {
          if (this.pendingZero) {
            put = 0;
            this.pendingZero = false;
          }
          this.started = true;
          this.code = b;
          this.left = b - 1;
          if (this.left > 0) this.state = DATA;
        }
        // After a block's last byte: a short block stands for its data and one zero, unless it is the last block.
        if (this.state === CODE) this.pendingZero = this.code < 0xff;
        if (put >= 0 && this.pending === this.buf.length) {
          why = 'oversized';
          msg = 'frame exceeds maxFrame ' + this.cfg.maxFrame + ' (+' + CRC_BYTES + ' CRC bytes)';
        } else if (put >= 0) {
          this.buf[this.pending++] = put;
          continue;
        } else continue;
      }
      this.drops[why]++;
      this.reset();
      if (why === 'oversized') this.state = SKIP;
      if (this.h.drop) this.h.drop(new DecodeError(why, msg));
    }
  }

  /** Forget the frame in progress (the line was reopened: what came before belongs to another session). */
  reset(): void {
    this.pending = 0;
    this.state = CODE;
    this.code = 0;
    this.left = 0;
    this.pendingZero = false;
    this.started = false;
  }
}
