/**
 * The encoding half of the portable codec: an Item to its one deterministic CBOR form (RFC 8949 §4.2.1).
 * Heads are the shortest, lengths definite, numbers follow float.ts, and map keys are written in the order of
 * their encoded bytes, which for text keys with shortest heads is shorter first, then bytewise on the UTF-8.
 * That is not JavaScript's string order (UTF-16 puts U+10000.. before U+E000..), so keys are sorted as bytes,
 * and object key order never reaches the wire.
 *
 *   encodeItem({ b: [1, -1], a: 'é' }, 32);   // a2 61 61 62 c3 a9 61 62 82 01 20
 */
import type { Item, ItemMap } from '../types.ts';
import { type ReasonError, errorType } from '../errors.ts';
import { SCRATCH, halfBits, isWireInt } from './float.ts';
import { WIDE, utf8Invalid, utf8Length, writeUtf8 } from './utf8.ts';

/** A value handed to encode that is not an Item the wire can carry: a bug in the caller, not in a peer. */
export interface EncodeError extends ReasonError {}
/** reason: "type" (not an Item), "text" (no UTF-8 form), "key" (a "__proto__" key), "depth" (past maxDepth). */
export const EncodeError = /* @__PURE__ */ errorType<EncodeError>('EncodeError');

const TWO32 = 4294967296;

/** The output so far; the buffer doubles when it runs out. */
interface Writer {
  b: Uint8Array;
  p: number;
}

function room(w: Writer, n: number): void {
  if (w.p + n <= w.b.length) return;
  let len = w.b.length * 2;
  if (len < w.p + n) len = w.p + n;
  const nb = new Uint8Array(len);
  nb.set(w.b);
  w.b = nb;
}

function put32(w: Writer, n: number): void {
  const b = w.b;
  b[w.p++] = (n >>> 24) & 0xff;
  b[w.p++] = (n >>> 16) & 0xff;
  b[w.p++] = (n >>> 8) & 0xff;
  b[w.p++] = n & 0xff;
}

/** The shortest head for a non-negative safe integer n; a 64-bit argument goes as two 32-bit halves. */
function writeHead(w: Writer, major: number, n: number): void {
  room(w, 9);
  const b = w.b;
  const mt = major << 5;
  if (n < 24) b[w.p++] = mt | n;
  else if (n < 0x100) {
    b[w.p++] = mt | 24;
    b[w.p++] = n;
  } else if (n < 0x10000) {
    b[w.p++] = mt | 25;
    b[w.p++] = n >> 8;
    b[w.p++] = n & 0xff;
  } else if (n < TWO32) {
    b[w.p++] = mt | 26;
    put32(w, n);
  } else {
    b[w.p++] = mt | 27;
    const hi = Math.floor(n / TWO32);
    put32(w, hi);
    put32(w, n - hi * TWO32);
  }
}

function writeFloat(w: Writer, v: number): void {
  room(w, 9);
  const b = w.b;
  const h = halfBits(v);
  if (h >= 0) {
    b[w.p++] = 0xf9;
    b[w.p++] = h >> 8;
    b[w.p++] = h & 0xff;
    return;
  }
  let len = 4;
  SCRATCH.setFloat32(0, v);
  if (SCRATCH.getFloat32(0) === v) b[w.p++] = 0xfa;
  else {
    len = 8;
    SCRATCH.setFloat64(0, v);
    b[w.p++] = 0xfb;
  }
  for (let i = 0; i < len; i++) b[w.p++] = SCRATCH.getUint8(i);
}

function noText(s: string): EncodeError {
  return new EncodeError('text', 'a text string of ' + s.length + ' characters has no UTF-8 form (it holds a lone surrogate' +
    (WIDE ? '' : ', or bytes that are not UTF-8') + ')');
}

function writeText(w: Writer, s: string): void {
  const n = utf8Length(s, WIDE);
  if (n < 0) throw noText(s);
  writeHead(w, 3, n);
  room(w, n);
  const start = w.p;
  w.p = writeUtf8(s, w.b, w.p, WIDE);
  if (!WIDE && utf8Invalid(w.b, start, w.p) >= 0) throw noText(s);
}

function writeBytes(w: Writer, x: Uint8Array): void {
  writeHead(w, 2, x.length);
  room(w, x.length);
  w.b.set(x, w.p);
  w.p += x.length;
}

/** A map key and its UTF-8 bytes, which decide its place. */
interface Key {
  k: string;
  b: Uint8Array;
}

function keyBytes(k: string): Uint8Array {
  const n = utf8Length(k, WIDE);
  if (n < 0) throw noText(k);
  const b = new Uint8Array(n);
  writeUtf8(k, b, 0, WIDE);
  if (!WIDE && utf8Invalid(b, 0, n) >= 0) throw noText(k);
  return b;
}

/** Encoded text keys compare shorter first, then bytewise; the heads need not be written to compare. */
function cmpKey(x: Key, y: Key): number {
  const a = x.b;
  const b = y.b;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function sortedKeys(m: ItemMap): Key[] {
  const ks = Object.keys(m);
  const out: Key[] = [];
  for (let i = 0; i < ks.length; i++) {
    // A decoder would have to refuse it (on a plain object it replaces the prototype), so it is never written.
    if (ks[i] === '__proto__') throw new EncodeError('key', 'a map key "__proto__" cannot go on the wire');
    out.push({ k: ks[i], b: keyBytes(ks[i]) });
  }
  out.sort(cmpKey);
  return out;
}

/** The keys of m in wire order (the order of their encoded bytes). Throws EncodeError as encode would. */
export function canonicalKeys(m: ItemMap): string[] {
  const ks = sortedKeys(m);
  const out: string[] = [];
  for (let i = 0; i < ks.length; i++) out.push(ks[i].k);
  return out;
}

function describe(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (typeof x === 'object' && x !== null) {
    const c = (x as { constructor?: { name?: string } }).constructor;
    return c && c.name ? 'a ' + c.name : 'an object';
  }
  return 'a ' + typeof x;
}

/**
 * What kind of Item x is, for both encoders: "int", "float", "text", "true", "false", "null", "bytes", "array"
 * or "map". Anything else (undefined, a function, a BigInt, a typed array other than Uint8Array, an
 * ArrayBuffer or DataView) throws EncodeError "type". Any other object counts as a map of its own keys.
 */
export function kindOf(x: unknown): string {
  const t = typeof x;
  if (t === 'number') return isWireInt(x as number) ? 'int' : 'float';
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
  throw new EncodeError('type', 'cannot encode ' + describe(x) + ': an Item is a number, string, boolean, null, ' +
    'Uint8Array, array or map of them');
}

/** Called once per container: past maxDepth (or in a cycle, which never ends) the encoder stops. */
export function deeper(depth: number, maxDepth: number): number {
  if (depth >= maxDepth) {
    throw new EncodeError('depth', 'the item nests arrays and maps deeper than maxDepth ' + maxDepth +
      ' (or contains itself), so no peer would decode it');
  }
  return depth + 1;
}

function writeItem(w: Writer, x: Item, depth: number, maxDepth: number): void {
  const kind = kindOf(x);
  if (kind === 'int') {
    const v = x as number;
    if (v >= 0) writeHead(w, 0, v);
    else writeHead(w, 1, -1 - v);
  } else if (kind === 'float') writeFloat(w, x as number);
  else if (kind === 'text') writeText(w, x as string);
  else if (kind === 'bytes') writeBytes(w, x as Uint8Array);
  else if (kind === 'array') {
    const a = x as Item[];
    const d = deeper(depth, maxDepth);
    writeHead(w, 4, a.length);
    for (let i = 0; i < a.length; i++) writeItem(w, a[i], d, maxDepth);
  } else if (kind === 'map') {
    const m = x as ItemMap;
    const d = deeper(depth, maxDepth);
    const ks = sortedKeys(m);
    writeHead(w, 5, ks.length);
    for (let i = 0; i < ks.length; i++) {
      writeHead(w, 3, ks[i].b.length);
      room(w, ks[i].b.length);
      w.b.set(ks[i].b, w.p);
      w.p += ks[i].b.length;
      writeItem(w, m[ks[i].k], d, maxDepth);
    }
  } else {
    room(w, 1);
    w.b[w.p++] = kind === 'true' ? 0xf5 : kind === 'false' ? 0xf4 : 0xf6;
  }
}

/** The deterministic CBOR bytes of x; containers may nest maxDepth deep. */
export function encodeItem(x: Item, maxDepth: number): Uint8Array {
  const w: Writer = { b: new Uint8Array(64), p: 0 };
  writeItem(w, x, 0, maxDepth);
  if (w.p === w.b.length) return w.b;
  // A copy, not a view: the board's Uint8Array#slice returns a plain Array, and a view would pin the whole buffer.
  const out = new Uint8Array(w.p);
  out.set(w.b.subarray(0, w.p));
  return out;
}
