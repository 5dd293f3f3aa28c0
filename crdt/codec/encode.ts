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
 * a state's bytes are the largest thing it allocates). Written for the board's interpreter: four functions,
 * recursion bounded by maxDepth.
 */
import type { Item, ItemMap } from '../types.ts';
import { type ReasonError, errorType } from '../errors.ts';
import { MAX_SAFE, SCRATCH, floatBits } from './float.ts';
import { DEFAULT_LIMITS, type Limits, limits } from './limits.ts';
import { WIDE, utf8Invalid, utf8Length, writeUtf8 } from './utf8.ts';

/** A value handed to encode that is not an Item the wire can carry: a bug in the caller, not in a peer. */
export interface EncodeError extends ReasonError {}
/** reason: "type" (not an Item), "text" (no UTF-8 form), "key" (a "__proto__" key), "depth" (past maxDepth). */
export const EncodeError = /* @__PURE__ */ errorType<EncodeError>('EncodeError');

const TWO32 = 4294967296;

/** The deterministic CBOR bytes of an Item. Only limits.maxDepth applies: a peer would refuse anything deeper. */
export function encode(item: Item, lim?: Partial<Limits>): Uint8Array {
  const depth = lim ? limits(lim).maxDepth : DEFAULT_LIMITS.maxDepth;
  const out = new Uint8Array(put(item, null, 0, depth));
  put(item, out, 0, depth);
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
 * Writes x at out[p...] and returns where it ends; with out null, only measures. depth is how many more
 * containers may nest: past maxDepth (or in an item that contains itself, which never ends) the encoder stops.
 */
function put(x: Item, out: Uint8Array | null, p: number, depth: number): number {
  const kind = kindOf(x);
  if (kind === 'int') {
    const v = x as number;
    return v >= 0 ? head(out, p, 0, v) : head(out, p, 1, -1 - v);
  }
  if (kind === 'text') {
    const s = x as string;
    const n = utf8Length(s, WIDE);
    let e = -1;
    if (n >= 0) {
      p = head(out, p, 3, n);
      if (out === null) return p + n;
      e = writeUtf8(s, out, p, WIDE);
    }
    // A lone surrogate on a wide interpreter; on an 8-bit one, bytes that are not UTF-8.
    if (n < 0 || (!WIDE && utf8Invalid(out as Uint8Array, p, e) >= 0)) {
      throw new EncodeError('text', 'text with no UTF-8 form: ' + JSON.stringify(s.length > 20 ? s.substring(0, 20) + '...' : s));
    }
    return e;
  }
  if (kind === 'float') {
    const v = x as number;
    const h = floatBits(v);
    const len = h >= 0 ? 2 : -h;
    if (out !== null) {
      out[p] = len === 2 ? 0xf9 : len === 4 ? 0xfa : 0xfb;
      if (len === 2) {
        out[p + 1] = h >> 8;
        out[p + 2] = h & 0xff;
      } else {
        if (len === 4) SCRATCH.setFloat32(0, v);
        else SCRATCH.setFloat64(0, v);
        for (let i = 0; i < len; i++) out[p + 1 + i] = SCRATCH.getUint8(i);
      }
    }
    return p + 1 + len;
  }
  if (kind === 'bytes') {
    const u = x as Uint8Array;
    p = head(out, p, 2, u.length);
    if (out !== null) out.set(u, p);
    return p + u.length;
  }
  if (kind === 'array' || kind === 'map') {
    if (depth <= 0) {
      throw new EncodeError('depth', 'past maxDepth (or cyclic)');
    }
    if (kind === 'array') {
      const a = x as Item[];
      p = head(out, p, 4, a.length);
      for (let i = 0; i < a.length; i++) p = put(a[i], out, p, depth - 1);
      return p;
    }
    const m = x as ItemMap;
    // The order of the keys does not change the size: the measuring pass skips the sort.
    let ks = Object.keys(m);
    if (out !== null) {
      if (ks.indexOf('__proto__') >= 0) throw new EncodeError('key', 'the key "__proto__"');
      ks = ks.sort(keyOrder);
    }
    p = head(out, p, 5, ks.length);
    for (let i = 0; i < ks.length; i++) {
      p = put(ks[i], out, p, depth);
      p = put(m[ks[i]], out, p, depth - 1);
    }
    return p;
  }
  if (out !== null) out[p] = kind === 'true' ? 0xf5 : kind === 'false' ? 0xf4 : 0xf6;
  return p + 1;
}

/** The shortest head for major type `major` and a non-negative safe integer n; 8-byte ones go as two halves. */
function head(out: Uint8Array | null, p: number, major: number, n: number): number {
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
  return p + 1 + len;
}
