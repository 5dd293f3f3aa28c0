/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, "Consistent Overhead Byte Stuffing", IEEE/ACM ToN 1999).
 * COBS rewrites a packet so it holds no zero byte, so a zero can delimit packets on a byte stream (serial, a pty,
 * a pipe) and a receiver that joins mid-stream or loses bytes finds the next packet at the next zero. The cost is
 * at most one byte per 254 and never less than one: `encodedMax(n) = n + ceil(n / 254)` (one code byte when n=0).
 *
 * Each block is a code byte c (1..255) followed by c-1 non-zero data bytes; a block with c < 255 stands for its
 * data plus one zero, except that the zero after the last block is the one the encoder appended to the packet and
 * is not part of it. A block of 255 (254 data bytes) has no implied zero, which is what bounds the overhead.
 *
 *   const wire = encode(new Uint8Array([1, 0, 2]));   // [2, 1, 2, 2]: no zero inside
 *   decode(wire);                                     // [1, 0, 2]
 *
 * The streaming decoder (a byte-at-a-time state machine) lives in serialframe.ts; this file holds the one-shot
 * forms, used for encoding on every link and for decoding where a whole packet is already in hand.
 */
import { DecodeError } from '../crdt/errors.ts';

/** The most bytes `encode` writes for `n` input bytes (the delimiter not counted). */
export function encodedMax(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

/** Encode `src` into a new array that holds no zero byte (no delimiter appended). */
export function encode(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(encodedMax(src.length));
  const n = encodeInto(src, out, 0);
  return out.subarray(0, n);
}

/**
 * Encode `src` into `out` from `at`; returns the index after the last byte written. `out` must have
 * `encodedMax(src.length)` bytes free from `at` (a caller framing several pieces sizes one buffer once).
 */
export function encodeInto(src: Uint8Array, out: Uint8Array, at: number): number {
  let codeAt = at; // where the current block's code byte goes, filled in when the block closes
  let w = at + 1;
  let code = 1; // 1 + data bytes in the current block
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    if (b === 0) {
      out[codeAt] = code;
      codeAt = w++;
      code = 1;
    } else {
      out[w++] = b;
      code++;
      // A full block (254 data bytes) closes without an implied zero. When the input ends right here, the
      // encoder still opens an empty block: the decoder then sees a final code of 1, which stands for nothing.
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = w++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return w;
}

/**
 * Decode one COBS packet (without its delimiter). A zero byte inside, or a code byte that claims more bytes than
 * remain, is a DecodeError: the packet was cut or corrupted on the way.
 */
export function decode(src: Uint8Array): Uint8Array {
  if (src.length === 0) throw new DecodeError('cobs', 'empty COBS packet (at least one code byte is needed)');
  const out = new Uint8Array(src.length); // decoding never grows a packet
  let w = 0;
  let i = 0;
  while (i < src.length) {
    const code = src[i];
    if (code === 0) throw new DecodeError('cobs', 'zero byte at ' + i + ' inside a COBS packet');
    const end = i + code;
    if (end > src.length) {
      throw new DecodeError('truncated', 'COBS block at ' + i + ' claims ' + (code - 1) + ' bytes, ' +
        (src.length - i - 1) + ' remain');
    }
    for (let j = i + 1; j < end; j++) {
      const b = src[j];
      if (b === 0) throw new DecodeError('cobs', 'zero byte at ' + j + ' inside a COBS packet');
      out[w++] = b;
    }
    i = end;
    // The implied zero after a short block, except after the last block (see the header).
    if (code < 0xff && i < src.length) out[w++] = 0;
  }
  return out.subarray(0, w);
}
