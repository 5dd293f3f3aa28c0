/**
 * The decoding half of the portable codec, and the structural check the Node codec runs before cbor-x: one walk
 * over a frame that accepts exactly the bytes encode would write for some Item and refuses the rest with a
 * DecodeError naming the reason and the offset. The frame is untrusted, so each length or count a head claims is
 * held against the bytes that remain and against the Limits before anything is made from it, and nesting lives
 * on an explicit stack, so neither a huge claim nor a deep frame can exhaust memory or the call stack.
 *
 *   walk(bytes, limits(), true);   // the Item
 *   walk(bytes, limits(), false);  // the same checks, building nothing: returns how deep the frame nests
 */
import { DecodeError } from '../errors.ts';
import type { Item, ItemMap } from '../types.ts';
import { MAX_SAFE, SCRATCH, floatWidth, halfValue, isWireInt } from './float.ts';
import type { Limits } from './limits.ts';
import { WIDE, readUtf8, utf8Invalid } from './utf8.ts';

const TWO32 = 4294967296;

/** What each major type is, for messages. */
const KIND = ['an unsigned integer', 'a negative integer', 'a byte string', 'a text string', 'an array', 'a map', 'a tag',
  'a float or simple value'];

/** The smallest argument each head size may carry; anything less fits a shorter head (RFC 8949 §4.2.1). */
const MIN_ARG = [24, 256, 0, 65536, 0, 0, 0, TWO32];

/** The encoded key "__proto__" (head 69, then its UTF-8), the one key a plain object cannot take as its own. */
const PROTO = [0x69, 0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f];

interface Reader {
  b: Uint8Array;
  p: number;
  end: number;
  /** The argument of the head just read (for major type 7, its additional information). */
  n: number;
  /** Items read so far, keys included. */
  items: number;
  /** The deepest container level seen. */
  deepest: number;
  lim: Limits;
}

/** An array or map still being filled. */
interface Frame {
  out: Item[] | ItemMap | null;
  /** Elements, or entries, still to come. */
  left: number;
  map: boolean;
  /** For a map: true when the value of `key` comes next, false when a key does. */
  needValue: boolean;
  key: string;
  /** The previous key's encoded bytes b[ks...ke), for the order check; ks < 0 before the first key. */
  ks: number;
  ke: number;
}

function fail(reason: string, message: string): never {
  throw new DecodeError(reason, message);
}

function need(r: Reader, len: number, at: number, what: string): void {
  if (r.p + len > r.end) {
    fail('truncated', 'the ' + r.end + '-byte frame ends inside ' + what + ' that starts at offset ' + at);
  }
}

function get32(r: Reader): number {
  const b = r.b;
  const n = b[r.p] * 16777216 + ((b[r.p + 1] << 16) | (b[r.p + 2] << 8) | b[r.p + 3]);
  r.p += 4;
  return n;
}

/** Reads one head, counts it as an item, and returns its major type; the argument is left in r.n. */
function head(r: Reader): number {
  const at = r.p;
  if (at >= r.end) fail('truncated', 'the ' + r.end + '-byte frame ends where an item should start');
  if (++r.items > r.lim.maxItems) fail('items', 'the frame holds more than maxItems ' + r.lim.maxItems + ' items');
  const ib = r.b[r.p++];
  const major = ib >> 5;
  const ai = ib & 0x1f;
  r.n = ai;
  if (major === 7 || ai < 24) return major;
  if (ai === 31) {
    if (major >= 2 && major <= 5) {
      fail('indefinite', 'indefinite-length ' + KIND[major].slice(KIND[major].indexOf(' ') + 1) + ' at offset ' + at +
        ': only definite lengths are in the subset');
    }
    fail('reserved', 'malformed head 0x' + ib.toString(16) + ' at offset ' + at + ' (additional information 31)');
  }
  if (ai > 27) fail('reserved', 'malformed head 0x' + ib.toString(16) + ' at offset ' + at + ' (reserved additional information ' + ai + ')');
  const len = 1 << (ai - 24);
  need(r, len, at, 'the head of ' + KIND[major]);
  let n: number;
  if (len === 8) {
    const hi = get32(r);
    n = hi * TWO32 + get32(r); // rounds above 2^53, but stays above 2^53, which is all the checks need
  } else if (len === 4) n = get32(r);
  else {
    n = 0;
    for (let k = 0; k < len; k++) n = n * 256 + r.b[r.p++];
  }
  if (n < MIN_ARG[len - 1]) {
    fail('non-canonical', KIND[major] + ' at offset ' + at + ' carries ' + n + ' in a ' + (len + 1) +
      '-byte head; deterministic CBOR requires the shortest head');
  }
  r.n = n;
  return major;
}

/** The length of a string whose head was just read, held against the frame and maxString. */
function stringLength(r: Reader, at: number, major: number): number {
  const n = r.n;
  if (n > r.end - r.p) {
    fail('truncated', KIND[major] + ' of ' + n + ' bytes at offset ' + at + ' runs past the end of the ' + r.end + '-byte frame');
  }
  if (n > r.lim.maxString) fail('string-size', KIND[major] + ' of ' + n + ' bytes at offset ' + at + ' exceeds maxString ' + r.lim.maxString);
  return n;
}

function checkUtf8(r: Reader, at: number, n: number): void {
  const bad = utf8Invalid(r.b, r.p, r.p + n);
  if (bad >= 0) fail('utf8', 'the text string at offset ' + at + ' is not well-formed UTF-8 (at byte offset ' + bad + ')');
}

/** A key for a message, cut short. Only called on text that has passed checkUtf8. */
function quote(r: Reader, start: number, end: number): string {
  const s = readUtf8(r.b, start, end, WIDE);
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
}

function float(r: Reader, at: number, ai: number): number {
  const len = ai === 25 ? 2 : ai === 26 ? 4 : 8;
  need(r, len, at, 'a float');
  const b = r.b;
  let v: number;
  if (len === 2) v = halfValue((b[r.p] << 8) | b[r.p + 1]);
  else {
    for (let k = 0; k < len; k++) SCRATCH.setUint8(k, b[r.p + k]);
    v = len === 4 ? SCRATCH.getFloat32(0) : SCRATCH.getFloat64(0);
  }
  r.p += len;
  if (v !== v) {
    if (len !== 2 || b[at + 1] !== 0x7e || b[at + 2] !== 0) fail('non-canonical', 'NaN at offset ' + at + ' must be written f97e00');
  } else if (isWireInt(v)) {
    fail('non-canonical', 'the float at offset ' + at + ' holds the integer ' + v + ', which deterministic CBOR writes as an integer');
  } else if (floatWidth(v) !== len) {
    fail('non-canonical', 'the float ' + v + ' at offset ' + at + ' takes ' + len + ' bytes where ' + floatWidth(v) +
      ' hold it exactly; deterministic CBOR requires the shortest');
  }
  return v;
}

/** Major type 7 after its initial byte: false, true, null or a float; everything else is outside the subset. */
function simple(r: Reader, at: number): Item {
  const ai = r.n;
  if (ai === 20) return false;
  if (ai === 21) return true;
  if (ai === 22) return null;
  if (ai >= 25 && ai <= 27) return float(r, at, ai);
  if (ai === 31) fail('indefinite', 'break code 0xff at offset ' + at + ' outside an indefinite-length item (those are outside the subset)');
  if (ai >= 28) fail('reserved', 'malformed head 0x' + (0xe0 | ai).toString(16) + ' at offset ' + at + ' (reserved additional information)');
  let v = ai;
  if (ai === 24) {
    need(r, 1, at, 'a simple value');
    v = r.b[r.p++];
  }
  return fail('simple', 'simple value ' + v + (v === 23 ? ' (undefined)' : '') + ' at offset ' + at +
    ' is outside the subset: only false, true and null are in it');
}

/** Any item other than an array or map, its head already read. */
function scalar(r: Reader, major: number, at: number, build: boolean): Item {
  if (major === 0) {
    if (r.n > MAX_SAFE) fail('range', 'the integer at offset ' + at + ' is beyond 2^53-1, past what a JavaScript number holds exactly');
    return r.n;
  }
  if (major === 1) {
    if (r.n > MAX_SAFE - 1) fail('range', 'the integer at offset ' + at + ' is beyond -(2^53-1), past what a JavaScript number holds exactly');
    return -1 - r.n;
  }
  if (major === 2) {
    const n = stringLength(r, at, 2);
    let out: Uint8Array | null = null;
    if (build) {
      // A copy: a view would keep the whole frame alive and let the caller's buffer change the item later.
      out = new Uint8Array(n);
      out.set(r.b.subarray(r.p, r.p + n));
    }
    r.p += n;
    return out;
  }
  if (major === 3) {
    const n = stringLength(r, at, 3);
    checkUtf8(r, at, n);
    const s = build ? readUtf8(r.b, r.p, r.p + n, WIDE) : null;
    r.p += n;
    return s;
  }
  if (major === 6) fail('tag', 'tag ' + r.n + ' at offset ' + at + ': tags are outside the subset');
  return simple(r, at);
}

/** Checks an array or map head against the frame and the limits before anything is made for it. */
function container(r: Reader, at: number, major: number, level: number): void {
  const n = r.n;
  const isMap = major === 5;
  const what = isMap ? 'a map of ' + n + ' entries' : 'an array of ' + n + ' items';
  // Each element takes at least one byte, each entry two: a claim past the remaining bytes is a lie or a cut.
  const least = isMap ? 2 * n : n;
  if (least > r.end - r.p) {
    fail('truncated', what + ' at offset ' + at + ' needs at least ' + least + ' more bytes; the frame has ' + (r.end - r.p) + ' left');
  }
  if (level > r.lim.maxDepth) fail('depth', what + ' at offset ' + at + ' nests deeper than maxDepth ' + r.lim.maxDepth);
  if (n > r.lim.maxCount) fail('count', what + ' at offset ' + at + ' exceeds maxCount ' + r.lim.maxCount);
  if (r.items + least > r.lim.maxItems) fail('items', what + ' at offset ' + at + ' takes the frame past maxItems ' + r.lim.maxItems);
  if (level > r.deepest) r.deepest = level;
}

/** Compares encoded byte ranges as RFC 8949 §4.2.1 orders map keys: bytewise, a prefix first. */
function cmpRange(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): number {
  const l1 = e1 - s1;
  const l2 = e2 - s2;
  const l = l1 < l2 ? l1 : l2;
  for (let i = 0; i < l; i++) if (b[s1 + i] !== b[s2 + i]) return b[s1 + i] - b[s2 + i];
  return l1 - l2;
}

function isProto(b: Uint8Array, s: number, e: number): boolean {
  if (e - s !== PROTO.length) return false;
  for (let i = 0; i < PROTO.length; i++) if (b[s + i] !== PROTO[i]) return false;
  return true;
}

/**
 * A map key: a text string after the previous key in encoded-byte order. Well-formed UTF-8 never holds byte
 * 0xff, so a key can never reach the "\xff"-prefixed hidden properties of the board's interpreter either.
 */
function readKey(r: Reader, f: Frame, build: boolean): void {
  const at = r.p;
  const major = head(r);
  if (major !== 3) fail('key-type', 'the map key at offset ' + at + ' is ' + KIND[major] + '; map keys must be text strings');
  const n = stringLength(r, at, 3);
  checkUtf8(r, at, n);
  const ke = r.p + n;
  if (f.ks >= 0) {
    const c = cmpRange(r.b, f.ks, f.ke, at, ke);
    if (c === 0) fail('duplicate-key', 'the map key ' + quote(r, r.p, ke) + ' at offset ' + at + ' repeats the previous key');
    if (c > 0) {
      fail('key-order', 'the map key ' + quote(r, r.p, ke) + ' at offset ' + at + ' sorts before the key before it; ' +
        'keys must be in the order of their encoded bytes (shorter first, then bytewise)');
    }
  }
  if (isProto(r.b, at, ke)) fail('key', 'the map key "__proto__" at offset ' + at + ' is refused: it would replace the prototype of the decoded object');
  if (build) f.key = readUtf8(r.b, r.p, ke, WIDE);
  r.p = ke;
  f.ks = at;
  f.ke = ke;
  f.needValue = true;
}

/**
 * Decodes one frame (build), or only checks it (!build), which returns the deepest nesting level in it instead
 * of the Item; see the module comment.
 */
export function walk(b: Uint8Array, lim: Limits, build: boolean): Item {
  if (!(b instanceof Uint8Array)) fail('type', 'a frame must be a Uint8Array');
  const end = b.length;
  if (end > lim.maxFrame) fail('frame-size', 'frame of ' + end + ' bytes exceeds maxFrame ' + lim.maxFrame);
  const r: Reader = { b: b, p: 0, end: end, n: 0, items: 0, deepest: 0, lim: lim };
  const stack: Frame[] = [];
  let root: Item = null;
  let done = false;
  while (!done) {
    const top = stack.length > 0 ? stack[stack.length - 1] : null;
    if (top !== null && top.map && !top.needValue) {
      readKey(r, top, build);
      continue;
    }
    const at = r.p;
    const major = head(r);
    let v: Item = null;
    if (major === 4 || major === 5) {
      container(r, at, major, stack.length + 1);
      const out: Item[] | ItemMap | null = build ? (major === 5 ? {} : []) : null;
      if (r.n > 0) {
        stack.push({ out: out, left: r.n, map: major === 5, needValue: false, key: '', ks: -1, ke: -1 });
        continue;
      }
      v = out;
    } else v = scalar(r, major, at, build);
    // Hand the item to its container, and each container it completes to the one around it.
    for (;;) {
      if (stack.length === 0) {
        root = v;
        done = true;
        break;
      }
      const f = stack[stack.length - 1];
      if (build) {
        if (f.map) (f.out as ItemMap)[f.key] = v;
        else (f.out as Item[]).push(v);
      }
      f.needValue = false;
      if (--f.left > 0) break;
      stack.pop();
      v = f.out;
    }
  }
  if (r.p < end) {
    fail('trailing', (end - r.p) + (end - r.p === 1 ? ' byte follows' : ' bytes follow') + ' the item that ends at offset ' + r.p +
      '; a frame holds exactly one item');
  }
  return build ? root : r.deepest;
}
