/**
 * Pollen's wire codec, the portable one (PROTOCOL.md, "CBOR subset"): deterministic CBOR (RFC 8949 §4.2.1) for exactly
 * the subset the wire uses, hand-written for the board's interpreter and dependency-free. Node peers use
 * cborx.ts, which writes the same bytes and accepts the same frames. The board takes only encode and decode
 * (encode.ts, decode.ts, float.ts, limits.ts and utf8.ts: eight function objects on the board).
 *
 *   const bytes = encode([1, 'milk', { a: true }]);  // 83 01 64 6d696c6b a1 6161 f5
 *   decode(bytes);                                   // [1, 'milk', { a: true }]
 *   decode(bytes, { maxDepth: 1 });                  // throws DecodeError, reason "depth"
 *
 * The subset, one encoding per Item:
 * - integers within ±(2^53-1) as major types 0/1 with the shortest head (an 8-byte head goes as two 32-bit
 *   halves); every other number as the shortest of half, single or double that holds it exactly, NaN as f97e00;
 * - text strings (UTF-8, checked both ways), byte strings, arrays, and maps with text keys sorted by their
 *   encoded bytes (shorter first, then bytewise), all with definite lengths; false, true, null.
 *
 * decode accepts only the bytes encode writes, so a frame re-encodes to itself. Anything else is a DecodeError
 * whose reason says what was wrong (the message adds where):
 *   frame-size    the frame is longer than maxFrame
 *   truncated     the frame ends early, or a head claims more bytes or items than remain
 *   trailing      bytes follow the one item
 *   depth         arrays and maps nest deeper than maxDepth
 *   items / count more data items in the frame than maxItems / in one container than maxCount
 *   string-size   a text or byte string longer than maxString
 *   non-canonical a head, or a float, longer than needed; an integral float; a NaN other than f97e00
 *   range         an integer beyond ±(2^53-1)
 *   tag, indefinite, simple, reserved   tags, indefinite lengths, simple values other than false/true/null
 *                 (undefined included), malformed heads
 *   key-type, key-order, duplicate-key  a map key that is not text, out of order, or repeated
 *   key           the key "__proto__" (maps decode to plain objects, where it would set the prototype;
 *                 encode refuses it too, and the CRDTs never use it)
 *   utf8          text that is not well-formed UTF-8
 *   type          the input is not a Uint8Array
 * Decoded byte strings are copies, never views into the frame. encode throws EncodeError for a value that is
 * not an Item (reason "type"), text with no UTF-8 form ("text"), a "__proto__" key ("key"), or nesting past
 * maxDepth, which also catches an item that contains itself ("depth").
 */
import { decode } from './decode.ts';
import type { Limits } from './limits.ts';

export { decode } from './decode.ts';
export { EncodeError, canonicalKeys, encode, kindOf } from './encode.ts';
export { type Limits, DEFAULT_LIMITS, limits } from './limits.ts';

/**
 * Runs every check decode runs, building nothing: the gate in front of a decoder that trusts its input.
 * Returns how deeply the frame nests arrays and maps (0 for a scalar). Throws DecodeError.
 */
export function check(bytes: Uint8Array, lim?: Partial<Limits>): number {
  return decode(bytes, lim, true) as number;
}
