/**
 * The encoding half of the codec: an Item to its one deterministic CBOR form (RFC 8949 §4.2.1). Heads are the
 * shortest, lengths definite, numbers follow float.ts, and map keys are written in the order of their encoded
 * bytes, which for text keys with shortest heads is shorter first, then bytewise on the UTF-8. That is not
 * JavaScript's string order (UTF-16 puts U+10000.. before U+E000..), so keys are sorted by keyOrder, and object
 * key order never reaches the wire.
 *
 *   encode({ b: [1, -1], a: 'é' });   // a2 61 61 62 c3 a9 61 62 82 01 20
 *
 * Two passes over the item: the first measures (writing nothing), the second writes into one Uint8Array of
 * exactly that size, so an encode holds the item and its bytes and never a half-grown second buffer (on a board,
 * a state's bytes are the largest thing it allocates). Written for the board's interpreter: four functions with
 * encode itself, and no recursion (put keeps the open containers on an explicit stack, at most maxDepth deep).
 */
import type { Item, ItemMap } from '../types.ts';
import { type ReasonError, errorType } from '../errors.ts';
import { MAX_SAFE, floatBits } from './float.ts';
import { DEFAULT_LIMITS, type Limits, limits } from './limits.ts';
import { WIDE, utf8Invalid, utf8Length, writeUtf8 } from './utf8.ts';

/** A value handed to encode that is not an Item the wire can carry: a bug in the caller, not in a peer. */
export interface EncodeError extends ReasonError {}
/** reason: "type" (not an Item), "text" (no UTF-8 form), "key" (a "__proto__" key), "depth" (past maxDepth). */
export const EncodeError = /* @__PURE__ */ errorType<EncodeError>('EncodeError', function (reason, message) {
  this.reason = reason;
  this.message = this.name + ': ' + message;
});

/** 2^32: an 8-byte head goes as two 32-bit halves, since the bit operators work on 32 bits. */
export const TWO32 = 4294967296;

/** The deterministic CBOR bytes of an Item. Only limits.maxDepth applies: a peer would refuse anything deeper. */
export function encode(item: Item, lim?: Partial<Limits>): Uint8Array {
  const depth = lim ? limits(lim).maxDepth : DEFAULT_LIMITS.maxDepth;
  const out = new Uint8Array(put(item, null, depth));
  put(item, out, depth);
  return out;
}

/**
 * What kind of Item x is, for both encoders and the decoder's float check: "int", "float", "text", "true",
 * "false", "null", "bytes", "array" or "map". An integer within ±(2^53-1) is "int" (-0 is not: it would come
 * back as 0). Anything else (undefined, a function, a BigInt, a typed array other than Uint8Array, an
 * ArrayBuffer or DataView) throws EncodeError "type". Any other object counts as a map of its own keys.
 */
export function kindOf(x: unknown): string {
  const t = typeof x;
  if (t === 'number') {
    const v = x as number;
    return Math.floor(v) === v && v <= MAX_SAFE && v >= -MAX_SAFE && (v !== 0 || 1 / v > 0) ? 'int' : 'float';
  }
  if (t === 'string') return 'text';
  if (x === true) return 'true';
  if (x === false) return 'false';
  if (x === null) return 'null';
  if (t === 'object') {
    if (x instanceof Uint8Array) return 'bytes';
    if (Array.isArray(x)) return 'array';
    // Other views (typed arrays, DataView) and ArrayBuffer would otherwise pass for maps of their indices. A map
    // Item cannot hold an ArrayBuffer, so a "buffer" that is one marks a view.
    if (!(x instanceof ArrayBuffer) && !((x as { buffer?: unknown }).buffer instanceof ArrayBuffer)) return 'map';
  }
  const c = t === 'object' ? (x as { constructor?: { name?: string } }).constructor : undefined;
  throw new EncodeError('type', 'not an Item: ' + (x === undefined ? 'undefined' : c && c.name ? c.name : t));
}

/**
 * The keys of m in wire order (the order of their encoded bytes). Throws EncodeError "key" for "__proto__": a
 * decoder must refuse it (on a plain object it replaces the prototype). A key with no UTF-8 form is left to the
 * encoder to refuse.
 */
export function canonicalKeys(m: ItemMap): string[] {
  const ks = Object.keys(m);
  if (ks.indexOf('__proto__') >= 0) throw new EncodeError('key', 'the key "__proto__"');
  return ks.sort(keyOrder);
}

/** Encoded text keys compare shorter first, then bytewise on the UTF-8, which is code point order. */
function keyOrder(a: string, b: string): number {
  const d = utf8Length(a, WIDE) - utf8Length(b, WIDE);
  if (d !== 0) return d;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (code points past U+FFFF) below U+E000..U+FFFF; code point order puts them above.
    if (x >= 0xd800 && y >= 0xd800) {
      x += x < 0xe000 ? 0x2000 : -0x800;
      y += y < 0xe000 ? 0x2000 : -0x800;
    }
    return x - y;
  }
  return 0;
}

/**
 * Writes the item at out[0...] and returns where it ends; with out null, only measures. Floats and simple values
 * are one initial byte (and the float's bits); every other item is a head, the shortest for its major type and
 * its value or length (8-byte ones go as two 32-bit halves), then its content. Containers nest on an explicit
 * stack, three slots per open one (the array or map, a map's keys in wire order or null for an array, and how
 * many of its items are written), not in recursive calls: on a board each level of recursion kept a call's
 * arguments and locals alive (on the interpreter, the peak of saving a 20-element OR-Set fell by about 100
 * variables without it). Past maxDepth nested containers (or in an item that contains itself, which never ends)
 * the encoder stops.
 */
function put(item: Item, out: Uint8Array | null, maxDepth: number): number {
  const st: any[] = [];
  let sp = 0;
  let p = 0;
  let x = item;
  for (;;) {
    const kind = kindOf(x);
    let major = 4;
    let n = 0;
    let ks: string[] | null = null;
    if (kind === 'float') {
      const v = x as number;
      const h = floatBits(v);
      n = h >= 0 ? 2 : -h;
      if (out !== null) {
        out[p] = n === 2 ? 0xf9 : n === 4 ? 0xfa : 0xfb;
        if (n === 2) {
          out[p + 1] = h >> 8;
          out[p + 2] = h & 0xff;
        } else {
          const d = new DataView(out.buffer, out.byteOffset + p + 1, n);
          if (n === 4) d.setFloat32(0, v);
          else d.setFloat64(0, v);
        }
      }
      p += 1 + n;
    } else if (kind === 'true' || kind === 'false' || kind === 'null') {
      if (out !== null) out[p] = kind === 'true' ? 0xf5 : kind === 'false' ? 0xf4 : 0xf6;
      p++;
    } else {
      if (kind === 'int') {
        const v = x as number;
        major = v >= 0 ? 0 : 1;
        n = v >= 0 ? v : -1 - v;
      } else if (kind === 'text') {
        major = 3;
        // below 0: a lone surrogate on a wide interpreter, refused below once the head is measured
        n = utf8Length(x as string, WIDE);
      } else if (kind === 'bytes') {
        major = 2;
        n = (x as Uint8Array).length;
      } else {
        if (sp / 3 >= maxDepth) {
          throw new EncodeError('depth', 'past maxDepth (or cyclic)');
        }
        if (kind === 'array') n = (x as Item[]).length;
        else {
          major = 5;
          // The order of the keys does not change the size: the measuring pass skips the sort.
          ks = Object.keys(x as ItemMap);
          if (out !== null) {
            if (ks.indexOf('__proto__') >= 0) throw new EncodeError('key', 'the key "__proto__"');
            ks = ks.sort(keyOrder);
          }
          n = ks.length;
        }
      }
      const len = n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : n < TWO32 ? 4 : 8;
      if (out !== null) {
        out[p] = (major << 5) | (len === 0 ? n : len === 1 ? 24 : len === 2 ? 25 : len === 4 ? 26 : 27);
        let v = n;
        let stop = p;
        if (len === 8) {
          const hi = Math.floor(n / TWO32);
          v = n - hi * TWO32;
          for (let i = p + 4; i > p; i--) out[i] = (hi >>> (8 * (p + 4 - i))) & 0xff;
          stop = p + 4;
        }
        for (let i = p + len; i > stop; i--) {
          out[i] = v & 0xff;
          v = v >>> 8;
        }
      }
      p += 1 + len;
      if (major === 3) {
        const s = x as string;
        if (out === null && n >= 0) p += n;
        else {
          const e = n < 0 ? -1 : writeUtf8(s, out as Uint8Array, p, WIDE);
          // A lone surrogate on a wide interpreter; on an 8-bit one, bytes that are not UTF-8.
          if (n < 0 || (!WIDE && utf8Invalid(out as Uint8Array, p, e) >= 0)) {
            throw new EncodeError('text', 'text with no UTF-8 form: ' + JSON.stringify(s.length > 20 ? s.substring(0, 20) + '...' : s));
          }
          p = e;
        }
      } else if (major === 2) {
        if (out !== null) out.set(x as Uint8Array, p);
        p += n;
      } else if (major >= 4 && n > 0) {
        st[sp] = x;
        st[sp + 1] = ks;
        st[sp + 2] = 0;
        sp += 3;
      }
    }
    // The next item: of the innermost open container, closing each that is complete.
    for (;;) {
      if (sp === 0) return p;
      const c = st[sp - 3];
      const keys = st[sp - 2] as string[] | null;
      const i = st[sp - 1] as number;
      if (keys === null ? i < c.length : i < 2 * keys.length) {
        // a map's items alternate: key, value, key, value
        x = keys === null ? c[i] : i % 2 === 0 ? keys[i >> 1] : c[keys[i >> 1]];
        st[sp - 1] = i + 1;
        break;
      }
      sp -= 3;
      st[sp] = st[sp + 1] = null;
    }
  }
}
