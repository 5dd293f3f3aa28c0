/**
 * The decoding half of the codec, and the structural check cborx.ts runs before cbor-x: one walk over a frame
 * that accepts exactly the bytes encode would write for some Item and refuses the rest with a DecodeError naming
 * the reason and the offset. The frame is untrusted, so each length or count a head claims is held against the
 * bytes that remain and against the Limits before anything is made from it, and nesting lives on an explicit
 * stack, so neither a huge claim nor a deep frame can exhaust memory or the call stack; the work done is bounded
 * by the frame's bytes (every item takes at least one).
 *
 *   decode(bytes);                         // the Item
 *   decode(bytes, { maxDepth: 1 });        // throws DecodeError, reason "depth", on [[]]
 *   decode(bytes, undefined, true);        // the same checks, building nothing: how deep the frame nests
 *
 * One function with a switch on the major type: on the board a function object costs variables whatever its
 * body, so the decoder is one function (the reasons are listed in cbor.ts).
 */
import { DecodeError } from '../errors.ts';
import type { Item, ItemMap } from '../types.ts';
import { TWO32, kindOf } from './encode.ts';
import { MAX_SAFE, floatBits } from './float.ts';
import { DEFAULT_LIMITS, type Limits, limits } from './limits.ts';
import { WIDE, readUtf8, utf8Invalid } from './utf8.ts';

/** Every message ends with where: the reason (cbor.ts lists them) says what. */
const AT = ' at offset ';

/** The encoded key "__proto__" after its head 0x69, the one key a plain object cannot take as its own. */
const PROTO = '__proto__';

/**
 * The Item in one frame, within the limits (defaults: DEFAULT_LIMITS); with `only`, the same checks building
 * nothing, returning how deeply the frame nests arrays and maps (0 for a scalar). Throws DecodeError.
 */
export function decode(b: Uint8Array, lim?: Partial<Limits>, only?: boolean): Item {
  if (!(b instanceof Uint8Array)) throw new DecodeError('type', 'not a Uint8Array');
  const L = lim ? limits(lim) : DEFAULT_LIMITS;
  const end = b.length;
  if (end > L.maxFrame) throw new DecodeError('frame-size', end + ' bytes > maxFrame ' + L.maxFrame);
  // The open containers, five slots each from st[t]: the array or object being filled (null when only
  // checking), the items still to come (a map counts its keys and values, so a key comes when that is even),
  // whether it is a map, and the previous key's UTF-8 bytes b[ks...ke) for the order check (ks -1 before it).
  const st: (Item | number | boolean)[] = [];
  let sp = 0;
  let p = 0;
  let items = 0;
  let deepest = 0;
  for (;;) {
    const at = p;
    if (p >= end) throw new DecodeError('truncated', 'the frame ends' + AT + at);
    if (++items > L.maxItems) throw new DecodeError('items', '> maxItems ' + L.maxItems + AT + at);
    const ib = b[p++];
    const major = ib >> 5;
    const ai = ib & 0x1f;
    let n = ai;
    if (ai >= 24 && major !== 7) {
      if (ai === 31 && major >= 2 && major <= 5) {
        throw new DecodeError('indefinite', 'indefinite length' + AT + at);
      }
      if (ai > 27) throw new DecodeError('reserved', 'head 0x' + ib.toString(16) + AT + at);
      const len = 1 << (ai - 24);
      if (p + len > end) throw new DecodeError('truncated', 'the frame ends' + AT + at);
      // Above 2^53 the sum rounds, but stays above 2^53, which is all the range checks need.
      n = 0;
      for (let k = 0; k < len; k++) n = n * 256 + b[p++];
      if (n < (len === 1 ? 24 : len === 2 ? 256 : len === 4 ? 65536 : TWO32)) {
        throw new DecodeError('non-canonical', 'a longer head than needed' + AT + at);
      }
    }
    const t = sp - 5;
    const isKey = t >= 0 && st[t + 2] === true && ((st[t + 1] as number) & 1) === 0;
    if (isKey && major !== 3) throw new DecodeError('key-type', 'a key that is not text' + AT + at);
    let v: Item = null;
    switch (major) {
      case 0:
        if (n > MAX_SAFE) throw new DecodeError('range', 'past 2^53-1' + AT + at);
        v = n;
        break;
      case 1:
        if (n > MAX_SAFE - 1) throw new DecodeError('range', 'past -(2^53-1)' + AT + at);
        v = -1 - n;
        break;
      case 2:
      case 3:
        if (n > end - p) {
          throw new DecodeError('truncated', n + ' bytes past the end of the frame' + AT + at);
        }
        if (n > L.maxString) throw new DecodeError('string-size', n + ' bytes > maxString ' + L.maxString + AT + at);
        if (major === 2) {
          if (!only) {
            // A copy: a view would keep the whole frame alive and let the caller's buffer change the item later.
            v = new Uint8Array(n);
            v.set(b.subarray(p, p + n));
          }
          p += n;
          break;
        }
        if (utf8Invalid(b, p, p + n) >= 0) throw new DecodeError('utf8', 'text not well-formed UTF-8' + AT + at);
        if (isKey) {
          const ks = st[t + 3] as number;
          const ke = st[t + 4] as number;
          if (ks >= 0) {
            // Same length: bytewise; the heads need not be compared (a shorter key has the shorter or equal head).
            let c = ke - ks - n;
            for (let k = 0; c === 0 && k < n; k++) c = b[ks + k] - b[p + k];
            if (c === 0) throw new DecodeError('duplicate-key', 'a repeated key' + AT + at);
            if (c > 0) {
              throw new DecodeError('key-order', 'a key out of order' + AT + at);
            }
          }
          let proto = n === PROTO.length;
          for (let k = 0; proto && k < n; k++) proto = b[p + k] === PROTO.charCodeAt(k);
          if (proto) throw new DecodeError('key', 'the key "__proto__"' + AT + at);
          // Well-formed UTF-8 never holds 0xff, so a key cannot reach the board's "\xff" hidden properties either.
          st[t + 3] = p;
          st[t + 4] = p + n;
          st[t + 1] = (st[t + 1] as number) - 1;
          p += n;
          continue;
        }
        if (!only) v = readUtf8(b, p, p + n, WIDE);
        p += n;
        break;
      case 4:
      case 5: {
        // Each element takes at least one byte, each entry two: a claim past the remaining bytes is a lie or a cut.
        const least = major === 5 ? 2 * n : n;
        if (least > end - p) {
          throw new DecodeError('truncated', n + ' items past the end of the frame' + AT + at);
        }
        const level = sp / 5 + 1;
        if (level > L.maxDepth) throw new DecodeError('depth', '> maxDepth ' + L.maxDepth + AT + at);
        if (n > L.maxCount) throw new DecodeError('count', n + ' > maxCount ' + L.maxCount + AT + at);
        if (items + least > L.maxItems) throw new DecodeError('items', '> maxItems ' + L.maxItems + AT + at);
        if (level > deepest) deepest = level;
        v = only ? null : major === 5 ? {} : [];
        if (n > 0) {
          st[sp] = v;
          st[sp + 1] = least;
          st[sp + 2] = major === 5;
          st[sp + 3] = -1;
          st[sp + 4] = -1;
          sp += 5;
          continue;
        }
        break;
      }
      case 6:
        throw new DecodeError('tag', 'tag ' + n + AT + at);
      default:
        if (ai === 20) v = false;
        else if (ai === 21) v = true;
        else if (ai === 22) v = null;
        else if (ai >= 25 && ai <= 27) {
          const len = ai === 25 ? 2 : ai === 26 ? 4 : 8;
          if (p + len > end) throw new DecodeError('truncated', 'the frame ends' + AT + at);
          let f: number;
          if (len === 2) {
            const e = (b[p] >> 2) & 0x1f;
            const m = ((b[p] & 3) << 8) | b[p + 1];
            f = e === 0 ? m * Math.pow(2, -24) : e === 31 ? (m === 0 ? Infinity : NaN) : (m + 1024) * Math.pow(2, e - 25);
            if (b[p] & 0x80) f = -f;
          } else {
            const d = new DataView(b.buffer, b.byteOffset + p, len);
            f = len === 4 ? d.getFloat32(0) : d.getFloat64(0);
          }
          p += len;
          const h = floatBits(f);
          if (f !== f ? len !== 2 || b[at + 1] !== 0x7e || b[at + 2] !== 0 : kindOf(f) === 'int' || (h >= 0 ? 2 : -h) !== len) {
            throw new DecodeError('non-canonical', 'not the one form of the float' + AT + at);
          }
          v = f;
        } else if (ai === 31) throw new DecodeError('indefinite', 'break code' + AT + at);
        else if (ai >= 28) throw new DecodeError('reserved', 'head 0x' + ib.toString(16) + AT + at);
        else {
          if (ai === 24 && p >= end) throw new DecodeError('truncated', 'the frame ends' + AT + at);
          const sv = ai === 24 ? b[p] : ai;
          throw new DecodeError('simple', 'simple value ' + sv + AT + at);
        }
    }
    // Hand the item to its container, and each container it completes to the one around it.
    for (;;) {
      if (sp === 0) {
        if (p < end) {
          throw new DecodeError('trailing', 'the item ends' + AT + p + ', the frame at ' + end);
        }
        return only ? deepest : v;
      }
      const c = sp - 5;
      if (!only) {
        if (st[c + 2]) (st[c] as ItemMap)[readUtf8(b, st[c + 3] as number, st[c + 4] as number, WIDE)] = v;
        else (st[c] as Item[]).push(v);
      }
      const left = (st[c + 1] as number) - 1;
      st[c + 1] = left;
      if (left > 0) break;
      v = st[c] as Item;
      st[c] = null;
      sp = c;
    }
  }
}
