/**
 * Pollen's wire codec on Node, built on cbor-x: the same exports as cbor.ts, the same bytes out and the same
 * frames accepted. NODE ONLY: cbor-x needs TextDecoder and Buffer and is about 32 KB minified, so crdt/index.ts
 * (the board's entry) does not export this module; Node code imports it by path.
 *
 *   import { encode, decode } from './crdt/codec/cborx.ts';
 *   decode(encode({ n: 2 ** 40 }));   // { n: 1099511627776 }, from the bytes cbor.ts writes too
 *
 * cbor-x out of the box is not the wire format, so both directions are guarded:
 * - Encoding. Its defaults add record extensions and tag 64 on Uint8Array, and wrap a Map in tag 259: the
 *   options below turn all three off. It writes an integer beyond 32 bits as a float64, so such integers are
 *   handed over as BigInt, which it writes with an 8-byte head. It keeps an object's key order, so maps are
 *   handed over as Map objects built in wire order (cbor.ts's canonicalKeys). It never writes half or single
 *   floats and writes -0 as the integer 0, so a frame holding a number whose shortest form is a half or a single
 *   (-0, NaN and ±Infinity among them) is written by the portable encoder instead: the output is the same bytes
 *   either way, only the route differs. Values that are not Items fail in kindOf exactly as in cbor.ts.
 * - Decoding. cbor-x has no depth limit, decodes its own extension tags from untrusted input and returns byte
 *   strings that share memory with the frame. So every frame first passes cbor.ts's check (the one
 *   implementation of the subset and the limits), which refuses everything outside the subset with the same
 *   DecodeError as the portable decoder; only then does cbor-x read it, and what it returns is converted to
 *   plain Items (byte strings copied into plain Uint8Arrays, maps as plain objects, numbers not BigInt).
 */
import { Decoder, Encoder } from 'cbor-x';
import type { Item, ItemMap } from '../types.ts';
import { EncodeError, canonicalKeys, check, decode as portableDecode, encode as portableEncode, kindOf } from './cbor.ts';
import { floatWidth } from './float.ts';
import { type Limits, limits } from './limits.ts';
import { utf8Length } from './utf8.ts';

export { EncodeError, canonicalKeys, kindOf, check } from './cbor.ts';
export { type Limits, DEFAULT_LIMITS, limits } from './limits.ts';

const ENCODER = new Encoder({
  useRecords: false, // plain maps, not the record extension (tag 0xd9dfff..)
  variableMapSize: true, // the shortest map head, not always a 16-bit one
  tagUint8Array: false, // a byte string, not tag 64 around it
  useTag259ForMaps: false, // a Map as a plain map, not tag 259 around it
} as ConstructorParameters<typeof Encoder>[0]);

const DECODER = new Decoder({
  useRecords: false,
  mapsAsObjects: true,
  int64AsNumber: true, // 8-byte integer heads as numbers: the check has already held them within 2^53-1
} as ConstructorParameters<typeof Decoder>[0]);

/** Frames nesting deeper than this go through the portable decoder, whose stack is explicit; cbor-x recurses. */
const CBORX_DEPTH = 256;

/** Called once per container: past maxDepth (or in a cycle, which never ends) the encoder stops, as encode.ts does. */
function deeper(depth: number, maxDepth: number): number {
  if (depth >= maxDepth) {
    throw new EncodeError('depth', 'the item nests arrays and maps deeper than maxDepth (or contains itself), so no peer would decode it');
  }
  return depth + 1;
}

/** Thrown out of prepare when only the portable encoder can write the item. */
const PORTABLE = { portable: true };

/** The item as cbor-x must see it to write the wire bytes. */
function prepare(x: Item, depth: number, maxDepth: number): unknown {
  const kind = kindOf(x);
  if (kind === 'int') {
    const v = x as number;
    return v > 0xffffffff || v < -0x100000000 ? BigInt(v) : v;
  }
  if (kind === 'float') {
    if (floatWidth(x as number) !== 8) throw PORTABLE;
    return x;
  }
  if (kind === 'text') {
    // A lone surrogate: cbor-x would write it anyway; the portable encoder throws the EncodeError.
    if (utf8Length(x as string, true) < 0) throw PORTABLE;
    return x;
  }
  if (kind === 'array') {
    const a = x as Item[];
    const d = deeper(depth, maxDepth);
    const out: unknown[] = [];
    for (let i = 0; i < a.length; i++) out.push(prepare(a[i], d, maxDepth));
    return out;
  }
  if (kind === 'map') {
    const m = x as ItemMap;
    const d = deeper(depth, maxDepth);
    const ks = canonicalKeys(m);
    const out = new Map<string, unknown>();
    for (let i = 0; i < ks.length; i++) {
      if (utf8Length(ks[i], true) < 0) throw PORTABLE; // the portable encoder throws the EncodeError
      out.set(ks[i], prepare(m[ks[i]], d, maxDepth));
    }
    return out;
  }
  return x; // bytes, booleans, null: cbor-x writes them as the wire does
}

/** The deterministic CBOR bytes of an Item, identical to cbor.ts's encode. */
export function encode(item: Item, lim?: Partial<Limits>): Uint8Array {
  const maxDepth = limits(lim).maxDepth;
  let ready: unknown;
  try {
    ready = prepare(item, 0, maxDepth);
  } catch (e) {
    if (e === PORTABLE) return portableEncode(item, lim);
    throw e;
  }
  // cbor-x returns a view into its reusable buffer: copy it out into a plain Uint8Array of its own.
  return new Uint8Array(ENCODER.encode(ready));
}

/** What cbor-x returned, as the Item the portable decoder returns. */
function plain(x: unknown): Item {
  if (typeof x === 'bigint') return Number(x);
  if (x === null || typeof x !== 'object') return x as Item;
  if (x instanceof Uint8Array) return new Uint8Array(x);
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) x[i] = plain(x[i]);
    return x as Item[];
  }
  if (x instanceof Map) {
    const o: ItemMap = {};
    x.forEach((v, k) => {
      o[k as string] = plain(v);
    });
    return o;
  }
  const o = x as ItemMap;
  const ks = Object.keys(o);
  for (let i = 0; i < ks.length; i++) o[ks[i]] = plain(o[ks[i]]);
  return o;
}

/** The Item in one frame, within the limits; the same result, or the same DecodeError, as cbor.ts's decode. */
export function decode(bytes: Uint8Array, lim?: Partial<Limits>): Item {
  const depth = check(bytes, lim);
  if (depth > CBORX_DEPTH) return portableDecode(bytes, lim);
  // cbor-x caches a DataView on the array it reads: give it a view of its own, not the caller's array.
  return plain(DECODER.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)));
}
