/**
 * The two wire codecs (crdt/codec/cbor.ts, the board's; crdt/codec/cborx.ts, Node's on cbor-x): the same bytes
 * for every Item and the same answer for every frame, pinned golden vectors, encode's refusals, and the
 * bounds that keep a hostile frame from costing memory or stack.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as portable from '../../crdt/codec/cbor.ts';
import * as cborx from '../../crdt/codec/cborx.ts';
import { DEFAULT_LIMITS, type Limits, limits } from '../../crdt/codec/limits.ts';
import { readUtf8, utf8Invalid, utf8Length, writeUtf8 } from '../../crdt/codec/utf8.ts';
import { DecodeError } from '../../crdt/errors.ts';
import type { Item, ItemMap } from '../../crdt/types.ts';

interface Codec {
  encode(item: Item, lim?: Partial<Limits>): Uint8Array;
  decode(bytes: Uint8Array, lim?: Partial<Limits>): Item;
}
const CODECS: [string, Codec][] = [['cbor.ts', portable], ['cborx.ts', cborx]];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** Strict Item equality: -0 is not 0, NaN is NaN, byte strings are plain Uint8Arrays, maps plain objects. */
function same(actual: unknown, expected: Item, path = '$'): void {
  if (typeof expected === 'number') {
    assert.ok(Object.is(actual, expected), path + ': expected ' + String(expected) + (Object.is(expected, -0) ? ' (-0)' : '') + ', got ' + String(actual));
  } else if (expected instanceof Uint8Array) {
    assert.ok(actual instanceof Uint8Array && actual.constructor === Uint8Array, path + ': expected a plain Uint8Array');
    assert.is(hex(actual as Uint8Array), hex(expected), path);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), path + ': expected an array');
    const a = actual as unknown[];
    assert.is(a.length, expected.length, path + ': length');
    for (let i = 0; i < a.length; i++) same(a[i], expected[i], path + '[' + i + ']');
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual) && !(actual instanceof Uint8Array), path + ': expected a map');
    assert.is(Object.getPrototypeOf(actual), Object.prototype, path + ': a decoded map is a plain {}');
    const m = actual as ItemMap;
    assert.equal(Object.keys(m).sort(), Object.keys(expected).sort(), path + ': keys');
    for (const k of Object.keys(expected)) same(m[k], expected[k], path + '.' + k);
  } else {
    assert.is(actual, expected, path);
  }
}

type Outcome = { ok: true; item: Item } | { ok: false; error: unknown };

function attempt(f: () => Item): Outcome {
  try {
    return { ok: true, item: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Both decoders refuse the frame with a DecodeError for the given reason; returns the portable one's message. */
function rejects(frame: Uint8Array | string, reason: string, lim?: Partial<Limits>): string {
  const b = typeof frame === 'string' ? bytes(frame) : frame;
  let message = '';
  for (const [name, codec] of CODECS) {
    const r = attempt(() => codec.decode(b, lim));
    const what = name + ' on ' + (b.length <= 40 ? hex(b) : b.length + ' bytes');
    assert.not.ok(r.ok, what + ': expected DecodeError "' + reason + '", got an item');
    const e = (r as { error: unknown }).error;
    assert.instance(e, DecodeError, what + ': ' + String(e));
    assert.is((e as DecodeError).reason, reason, what + ': ' + (e as DecodeError).message);
    assert.ok((e as DecodeError).message.startsWith('DecodeError: '), what);
    if (!message) message = (e as DecodeError).message;
  }
  return message;
}

function accepts(frame: string, expected: Item, lim?: Partial<Limits>): void {
  for (const [name, codec] of CODECS) same(codec.decode(bytes(frame), lim), expected, name + ' ' + frame);
}

function encodeFails(x: unknown, reason: string, lim?: Partial<Limits>): void {
  for (const [name, codec] of CODECS) {
    const r = attempt(() => codec.encode(x as Item, lim) as unknown as Item);
    assert.not.ok(r.ok, name + ': expected EncodeError "' + reason + '"');
    const e = (r as { error: unknown }).error;
    assert.instance(e, portable.EncodeError, name + ': ' + String(e));
    assert.is((e as portable.EncodeError).reason, reason, name + ': ' + (e as Error).message);
  }
}

// ---- random Items ----

const near = (c: number) => fc.integer({ min: -3, max: 3 }).map((d) => c + d);
const ints = fc.oneof(
  fc.integer({ min: -30, max: 30 }),
  fc.integer(),
  fc.maxSafeInteger(),
  near(255), near(256), near(65536), near(-256), near(-65536),
  near(4294967296), near(-4294967296), near(2147483648), near(-2147483648),
  // Past ±(2^53-1) these are no longer wire integers: they must go as floats.
  near(9007199254740991), near(-9007199254740991),
);
/** m·2^e with |m| < 2^11 and -24 ≤ e ≤ 5: exactly the finite values a half holds. */
const halves = fc.tuple(fc.integer({ min: -2047, max: 2047 }), fc.integer({ min: -24, max: 5 })).map(([m, e]) => m * Math.pow(2, e));
const floats = fc.oneof(
  fc.double(),
  fc.float(), // single-exact, with -0, NaN and ±Infinity among them
  halves,
  halves.map((h) => h + 0.5 * Math.pow(2, -30)), // just past a half: a single or a double
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 0.5, 1.1, 65504, 65504.5, 65520, 100000.5, 9007199254740992, -9007199254740992, 1e300, 5e-324),
);
const texts = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.string({ unit: 'binary', minLength: 20, maxLength: 90 }), // past 23 bytes, and past cbor-x's 64-character fast path
  fc.constantFrom('é', '水', '😀', '\ue000', '\uffff', '\u{10ffff}', 'constructor', 'toString', '__proto_'),
);
const keys = texts.filter((k) => k !== '__proto__');
const scalars = fc.oneof(ints, floats, texts, fc.uint8Array({ maxLength: 30 }), fc.boolean(), fc.constant(null));
const items: fc.Arbitrary<Item> = fc.letrec<{ item: Item; arr: Item[]; map: ItemMap }>((tie) => ({
  item: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalars, tie('arr'), tie('map')),
  arr: fc.array(tie('item'), { maxLength: 6 }),
  map: fc.dictionary(keys, tie('item'), { maxKeys: 6 }),
})).item;

test('property: both codecs write identical bytes, and each decodes them back to the item', () => {
  fc.assert(fc.property(items, (x) => {
    const a = portable.encode(x);
    const b = cborx.encode(x);
    assert.is(hex(b), hex(a), 'cborx.ts and cbor.ts bytes');
    same(portable.decode(a), x, 'cbor.ts decode');
    same(cborx.decode(a), x, 'cborx.ts decode');
  }), { numRuns: 600 });
});

test('property: decode accepts only canonical bytes, and both decoders give the same answer', () => {
  // Damaged encodings (a byte replaced, inserted or dropped) and random bytes: either both decoders refuse them
  // for the same reason, or both return the same item, which encodes back to exactly the frame.
  const damaged = fc.tuple(items, fc.nat(), fc.nat(255), fc.constantFrom('set', 'insert', 'drop')).map(([x, i, v, op]) => {
    const b = Array.from(portable.encode(x));
    const at = i % (b.length + 1);
    if (op === 'set' && at < b.length) b[at] = v;
    else if (op === 'insert') b.splice(at, 0, v);
    else if (at < b.length) b.splice(at, 1);
    return new Uint8Array(b);
  });
  const frames = fc.oneof(damaged, fc.uint8Array({ minLength: 1, maxLength: 12 }));
  let accepted = 0;
  fc.assert(fc.property(frames, (f) => {
    const p = attempt(() => portable.decode(f));
    const c = attempt(() => cborx.decode(f));
    if (!p.ok) {
      assert.instance(p.error, DecodeError, String(p.error));
      assert.not.ok(c.ok, 'cborx.ts accepted ' + hex(f) + ', cbor.ts did not');
      assert.instance((c as { error: unknown }).error, DecodeError, String((c as { error: unknown }).error));
      assert.is(((c as { error: unknown }).error as DecodeError).reason, p.error instanceof DecodeError ? p.error.reason : '', hex(f));
      return;
    }
    accepted++;
    assert.ok(c.ok, 'cbor.ts accepted ' + hex(f) + ', cborx.ts did not: ' + String((c as { error: unknown }).error));
    same((c as { item: Item }).item, p.item, 'cborx.ts vs cbor.ts');
    assert.is(hex(portable.encode(p.item)), hex(f), 'an accepted frame re-encodes to itself');
  }), { numRuns: 1500 });
  assert.ok(accepted > 50, 'the property saw too few accepted frames to mean anything (' + accepted + ')');
});

// ---- golden vectors ----

interface Golden {
  name: string;
  hex: string;
  item: unknown;
}
const GOLDEN: Golden[] = JSON.parse(readFileSync(new URL('./codec-vectors.json', import.meta.url), 'utf8'));

/** The file's notation (see tools/gen-codec-vectors.ts): JSON, with every object a one-key wrapper. */
function fromJson(j: unknown): Item {
  if (Array.isArray(j)) return j.map(fromJson);
  if (j !== null && typeof j === 'object') {
    const o = j as { map?: { [k: string]: unknown }; bytes?: string; float?: string };
    if (o.bytes !== undefined) return bytes(o.bytes);
    if (o.float !== undefined) return ({ NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 } as { [k: string]: number })[o.float];
    const m: ItemMap = {};
    for (const k of Object.keys(o.map!)) m[k] = fromJson(o.map![k]);
    return m;
  }
  return j as Item;
}

test('golden vectors: both codecs write each pinned hex and decode it back', () => {
  assert.ok(GOLDEN.length >= 40, 'codec-vectors.json looks truncated');
  for (const v of GOLDEN) {
    const item = fromJson(v.item);
    for (const [name, codec] of CODECS) {
      assert.is(hex(codec.encode(item)), v.hex, name + ' encodes "' + v.name + '"');
      same(codec.decode(bytes(v.hex)), item, name + ' decodes "' + v.name + '"');
    }
  }
});

test('map keys go in the order of their UTF-8 bytes, shorter first, whatever the object order', () => {
  const a = { '😀': 1, b: 2, '\ue000a': 3, aa: 4 };
  const b = { aa: 4, '\ue000a': 3, b: 2, '😀': 1 };
  for (const [name, codec] of CODECS) {
    assert.is(hex(codec.encode(a)), hex(codec.encode(b)), name);
    // b (1 byte) < aa (2) < U+E000 a (ee 80 80 61) < 😀 (f0 9f 98 80); UTF-16 order would put the emoji before U+E000.
    assert.is(hex(codec.encode(a)), 'a4' + '616202' + '62616104' + '64ee80806103' + '64f09f988001', name);
  }
  assert.equal(portable.canonicalKeys(a), ['b', 'aa', '\ue000a', '😀']);
});

test('cborx.ts writes plain CBOR: no tags on bytes or maps, integers past 32 bits as integers', () => {
  // Each of these is where cbor-x by default writes something else (tag 64, tag 259, a float64, the integer 0).
  assert.is(hex(cborx.encode(new Uint8Array([1]))), '4101');
  assert.is(hex(cborx.encode(Buffer.from([1]))), '4101');
  assert.is(hex(cborx.encode({ a: {} })), 'a16161a0');
  assert.is(hex(cborx.encode(1099511627776)), '1b0000010000000000');
  assert.is(hex(cborx.encode(-1099511627777)), '3b0000010000000000');
  assert.is(hex(cborx.encode([-0, 0.5])), '82f98000f93800');
  const big: ItemMap = {};
  for (let i = 0; i < 300; i++) big['k' + i] = i;
  assert.is(hex(cborx.encode(big)), hex(portable.encode(big)), 'a map of 300 entries');
  assert.is(hex(cborx.encode(big)).slice(0, 6), 'b9012c');
});

test('decoded byte strings are copies, never views into the frame', () => {
  const frame = bytes('82' + '43010203' + '41ff');
  for (const [name, codec] of CODECS) {
    for (const input of [frame.slice(), Buffer.from(frame)]) {
      const out = codec.decode(input) as Uint8Array[];
      assert.is(out[0].constructor, Uint8Array, name);
      assert.ok(out[0].buffer !== input.buffer, name + ': shares the frame buffer');
      input[2] = 0x77;
      assert.is(hex(out[0]), '010203', name + ': changed with the frame');
      assert.is(out[0].buffer.byteLength, 3, name + ': keeps a larger buffer alive');
    }
  }
});

test('decode reads a frame that is a view into a larger buffer, and leaves it as it was', () => {
  const big = bytes('ffff' + '8301820203820405' + 'ffff');
  const view = big.subarray(2, 10);
  for (const [name, codec] of CODECS) {
    same(codec.decode(view), [1, [2, 3], [4, 5]], name);
    assert.equal(Object.keys(view), ['0', '1', '2', '3', '4', '5', '6', '7'], name + ': added a property to the input');
  }
});

test('"__proto__" is refused as a map key both ways; other Object.prototype names are ordinary keys', () => {
  const msg = rejects('a1' + '69' + hex(new TextEncoder().encode('__proto__')) + 'a0', 'key');
  assert.match(msg, '__proto__');
  encodeFails(JSON.parse('{"__proto__": 1}'), 'key');
  accepts('a1' + '6b636f6e7374727563746f72' + '01', { constructor: 1 });
  const m = portable.decode(bytes('a1' + '6b636f6e7374727563746f72' + '01')) as ItemMap;
  assert.is(Object.getPrototypeOf(m), Object.prototype);
});

test('encode refuses what is not an Item, with a reason', () => {
  encodeFails(undefined, 'type');
  encodeFails([1, undefined], 'type');
  encodeFails({ a: () => 1 }, 'type');
  encodeFails(BigInt(1), 'type');
  encodeFails(new Uint16Array(2), 'type');
  encodeFails(new ArrayBuffer(2), 'type');
  encodeFails(new DataView(new ArrayBuffer(2)), 'type');
  encodeFails('a\ud800b', 'text');
  encodeFails({ ['\udc00']: 1 }, 'text');
  const cycle: Item[] = [];
  cycle.push(cycle);
  encodeFails(cycle, 'depth');
  const deep = JSON.parse('['.repeat(33) + ']'.repeat(33));
  encodeFails(deep, 'depth');
  assert.is(portable.encode(deep, { maxDepth: 33 }).length, 33);
  assert.is(hex(cborx.encode(deep, { maxDepth: 33 })), hex(portable.encode(deep, { maxDepth: 33 })));
  // An object with a "byteLength" or "buffer" key is still a map.
  assert.is(hex(portable.encode({ byteLength: 1, buffer: new Uint8Array(0) })), hex(cborx.encode({ byteLength: 1, buffer: new Uint8Array(0) })));
});

test('the portable encoder keeps nesting on its own stack: 50000 levels encode (and decode back) without a stack overflow', () => {
  const n = 50000; // the frame stays within maxFrame (64 KB)
  let deep: Item = [{ a: 'x' }];
  for (let i = 1; i < n; i++) deep = [deep];
  const bytes = portable.encode(deep, { maxDepth: n + 1 });
  assert.is(bytes.length, n + 5); // n one-byte array heads, then a1 61 61 61 78
  assert.is(hex(bytes.subarray(n - 1)), '81a161616178');
  const lim = { maxDepth: n + 1, maxItems: n + 3 };
  assert.is(portable.check(bytes, lim), n + 1);
  assert.is(hex(portable.encode(portable.decode(bytes, lim), lim)), hex(bytes));
  // one level more than maxDepth allows is refused, as before
  assert.throws(() => portable.encode(deep, { maxDepth: n }), (e: any) => e.reason === 'depth');
});

// ---- bounded decoding ----

/** Runs f with Uint8Array construction watched; returns the lengths of the arrays made. */
function allocations(f: () => void): number[] {
  const Original = globalThis.Uint8Array;
  const sizes: number[] = [];
  globalThis.Uint8Array = new Proxy(Original, {
    construct(target, args, newTarget) {
      sizes.push(typeof args[0] === 'number' ? args[0] : -1);
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    f();
  } finally {
    globalThis.Uint8Array = Original;
  }
  return sizes;
}

test('a frame over maxFrame is refused before it is read', () => {
  const frame = new Uint8Array(70000); // all zeros: not even a valid frame past the first byte
  const msg = rejects(frame, 'frame-size', { maxFrame: 4096 });
  assert.is(msg, 'DecodeError: 70000 bytes > maxFrame 4096');
  rejects(new Uint8Array(DEFAULT_LIMITS.maxFrame + 1), 'frame-size');
});

test('a 4 GB string header in a 10-byte frame is "truncated", before anything is allocated', () => {
  const frames = [
    '5b0000000100000000' + '00', // byte string of 2^32 bytes
    '5affffffff' + '0000000000', // byte string of 2^32-1 bytes
    '7b0000000100000000' + '61', // text string of 2^32 bytes
    '5b001fffffffffffff' + '00', // 2^53-1 bytes
    '5bffffffffffffffff' + '00', // 2^64-1 bytes
  ];
  for (const f of frames) {
    assert.is(bytes(f).length, 10);
    let msg = '';
    const sizes = allocations(() => {
      msg = rejects(f, 'truncated');
    });
    assert.match(msg, /bytes past the end of the frame at offset 0/);
    assert.ok(sizes.every((n) => n < 64), 'allocated ' + JSON.stringify(sizes) + ' for ' + f);
  }
});

test('an array or map header claiming 2^32 items is "truncated", before anything is allocated', () => {
  const frames = ['9b0000000100000000' + '00', '9affffffff' + '00', 'bb0000000100000000' + '6161', 'baffffffff' + '616100', '8200'];
  for (const f of frames) {
    const sizes = allocations(() => {
      const msg = rejects(f, 'truncated');
      assert.match(msg, /items past the end of the frame/);
    });
    assert.ok(sizes.every((n) => n < 64), 'allocated ' + JSON.stringify(sizes) + ' for ' + f);
  }
  // The claim is held against the frame even inside a container, and limits do not rescue a lie.
  rejects('81' + '9a00010000' + '00', 'truncated', { maxItems: 1e9, maxCount: 1e9 });
});

test('every proper prefix of a frame is "truncated"', () => {
  const full = portable.encode([1, 'é', { a: [1.1, -4294967297] }, new Uint8Array([9, 9]), 0.5, 100000.5]);
  for (let n = 0; n < full.length; n++) rejects(full.subarray(0, n), 'truncated');
});

test('nesting past maxDepth is "depth"; 100000 levels are a DecodeError, not a stack overflow', () => {
  const nested = (n: number, open: string, leaf: string) => open.repeat(n) + leaf;
  accepts(nested(32, '81', '00'), JSON.parse('['.repeat(32) + '0' + ']'.repeat(32)));
  rejects(nested(33, '81', '00'), 'depth');
  accepts(nested(31, '81', '80'), JSON.parse('['.repeat(32) + ']'.repeat(32)));
  rejects(nested(32, '81', '80'), 'depth'); // an empty container counts as a level too
  rejects(nested(4, 'a16161', 'a0'), 'depth', { maxDepth: 4 });
  rejects(nested(2, '81', '00'), 'depth', { maxDepth: 1 });
  accepts('00', 0, { maxDepth: 0 });
  rejects('80', 'depth', { maxDepth: 0 });
  const deep = bytes(nested(100000, '81', '00'));
  rejects(deep, 'depth', { maxFrame: 1 << 20 });
  rejects(bytes(nested(100000, 'a16161', '00')), 'depth', { maxFrame: 1 << 20 });
  // With the bound lifted, both still decode it: the walk keeps its stack on the heap, and cborx.ts does not
  // hand a frame that deep to cbor-x (which recurses).
  for (const [name, codec] of CODECS) {
    let x = codec.decode(deep, { maxFrame: 1 << 20, maxDepth: Infinity, maxItems: Infinity });
    let levels = 0;
    while (Array.isArray(x)) {
      x = x[0];
      levels++;
    }
    assert.is(levels, 100000, name);
    assert.is(x, 0, name);
  }
});

test('more items than maxItems is "items" (keys count), one container over maxCount is "count"', () => {
  const zeros = (n: number) => '8' + n.toString(16) + '00'.repeat(n);
  accepts(zeros(9), [0, 0, 0, 0, 0, 0, 0, 0, 0], { maxItems: 10 });
  rejects(zeros(10), 'items', { maxItems: 10 });
  rejects('8a' + '00'.repeat(10), 'items', { maxItems: 10 });
  rejects('82' + '8200008200' + '00', 'items', { maxItems: 5 });
  // A map of 3 entries is 7 items: the map, 3 keys, 3 values.
  accepts('a3616100616201616302', { a: 0, b: 1, c: 2 }, { maxItems: 7 });
  rejects('a3616100616201616302', 'items', { maxItems: 6 });
  accepts(zeros(4), [0, 0, 0, 0], { maxCount: 4 });
  rejects(zeros(5), 'count', { maxCount: 4 });
  rejects('a3616100616201616302', 'count', { maxCount: 2 });
});

test('a string over maxString is "string-size"', () => {
  accepts('50' + '00'.repeat(16), new Uint8Array(16), { maxString: 16 });
  rejects('51' + '00'.repeat(17), 'string-size', { maxString: 16 });
  rejects('71' + '61'.repeat(17), 'string-size', { maxString: 16 });
  // UTF-8 bytes count, not characters: 6 characters of 水 are 18 bytes.
  rejects(portable.encode('水水水水水水'), 'string-size', { maxString: 16 });
  rejects('a1' + '71' + '61'.repeat(17) + '00', 'string-size', { maxString: 16 });
});

test('bytes after the item are "trailing"; an empty frame is "truncated"', () => {
  assert.match(rejects('0000', 'trailing'), 'the item ends at offset 1, the frame at 2');
  rejects('8301020300ff', 'trailing');
  rejects('a0a0', 'trailing');
  rejects('', 'truncated');
});

test('non-canonical heads and floats are refused', () => {
  for (const f of [
    '1817', '190017', '19 00ff', '1a0000ffff', '1b00000000ffffffff', '1b0000000000000000', // integers
    '3817', '39 00ff', '3b00000000ffffffff', // negative integers
    '5800', '5817' + '00'.repeat(23), '7800', '9800', 'b800', '590000', '9a00000000', // lengths
    'f93c00', 'f90000', 'fa47c35000', 'fb4059000000000000', 'fbc010000000000000', // integral floats
    'fa3fc00000', 'fb3ff8000000000000', 'fa80000000', 'fb8000000000000000', 'fa7f800000', 'fb7ff0000000000000', // longer than needed
    'fa477fe000', 'fb40effc0000000000', // 65504 as single, as double
    'f97e01', 'f9fe00', 'f97c01', 'fa7fc00000', 'fb7ff8000000000000', 'fb7ff8000000000001', // NaN other than f97e00
  ]) rejects(f.replace(/ /g, ''), 'non-canonical');
  accepts('fa477fe080', 65504.5);
  accepts('f97e00', NaN);
  accepts('3b001ffffffffffffe', -9007199254740991);
});

test('integers past ±(2^53-1) are "range"', () => {
  rejects('1b0020000000000000', 'range');
  rejects('1bffffffffffffffff', 'range');
  rejects('3b001fffffffffffff', 'range');
  rejects('3bffffffffffffffff', 'range');
  accepts('1b001fffffffffffff', 9007199254740991);
});

test('tags, indefinite lengths, simple values and malformed heads are outside the subset', () => {
  for (const f of ['c000', 'c11a514b67b0', 'd818456449455446', 'd9ffff00', 'da0001000000', 'db000000010000000000', '81c100']) rejects(f, 'tag');
  for (const f of ['5f4101ff', '7f6161ff', '9fff', '9f00ff', 'bfff', 'ff', '819f00ff']) rejects(f, 'indefinite');
  for (const f of ['f7', 'e0', 'f0', 'f3', 'f818', 'f8ff', 'f800', '82f5f7']) rejects(f, 'simple');
  assert.match(rejects('f7', 'simple'), 'simple value 23');
  for (const f of ['1c', '1d', '1e', '1f', '3f', 'df', '5c', '9d', 'bc', 'fc', 'fd', 'fe']) rejects(f, 'reserved');
});

test('text that is not well-formed UTF-8 is "utf8", as a value or as a key', () => {
  for (const f of [
    '61ff', '6180', '61c3', '62c328', '62c0af', '62c1bf', // stray, cut, bad continuation, overlong 2-byte
    '63e08080', '63eda080', '63edbfbf', '63efbf', // overlong 3-byte, surrogates (U+D800, U+DFFF); a 2-byte string cut short
    '64f08080af', '64f4908080', '64f5808080', '64f0908061', // overlong 4-byte, past U+10FFFF, bad lead, bad last byte
  ]) {
    if (f === '63efbf') rejects(f, 'truncated');
    else rejects(f, 'utf8');
  }
  rejects('a1' + '61ff' + '00', 'utf8');
  accepts('63efbfbf', '\uffff');
  accepts('64f48fbfbf', '\u{10ffff}');
  accepts('63ed9fbf', '\ud7ff');
});

test('map keys must be text, sorted by encoded bytes, without repeats', () => {
  for (const f of ['a10102', 'a14000', 'a18000', 'a1f600', 'a1a000', 'a1c16161']) rejects(f, 'key-type');
  rejects('a2' + '616101' + '616102', 'duplicate-key');
  rejects('a2' + '616201' + '616102', 'key-order');
  rejects('a2' + '62616101' + '616202', 'key-order'); // "aa" before "b": shorter first
  rejects('a2' + '64f09f988001' + '63ee808002', 'key-order'); // UTF-8 order, not UTF-16
  rejects('a3' + '616101' + '616202' + '616103', 'key-order'); // the order holds across the whole map
  accepts('a2' + '616201' + '62616102', { b: 1, aa: 2 });
});

test('decode refuses input that is not a Uint8Array', () => {
  for (const [name, codec] of CODECS) {
    for (const bad of ['00', [0], null, new ArrayBuffer(1)]) {
      const r = attempt(() => codec.decode(bad as unknown as Uint8Array));
      assert.not.ok(r.ok, name);
      assert.is(((r as { error: unknown }).error as DecodeError).reason, 'type', name);
    }
  }
});

test('limits(): defaults, partial overrides, and refusal of nonsense', () => {
  assert.equal(limits(), DEFAULT_LIMITS);
  assert.equal(limits({ maxDepth: 4 }), { ...DEFAULT_LIMITS, maxDepth: 4 });
  assert.equal(limits({ maxDepth: undefined }), DEFAULT_LIMITS);
  assert.not.ok(limits() === DEFAULT_LIMITS, 'a fresh object each time');
  for (const bad of [-1, 1.5, NaN, '3']) {
    assert.throws(() => limits({ maxItems: bad as number }), /maxItems must be a non-negative integer/);
  }
  assert.is(limits({ maxFrame: Infinity }).maxFrame, Infinity);
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    assert.ok(DEFAULT_LIMITS[k] > 0 && DEFAULT_LIMITS[k] <= DEFAULT_LIMITS.maxFrame, k);
  }
});

test('utf8.ts on an 8-bit interpreter: text stays UTF-8 bytes, one character per byte', () => {
  const b = new Uint8Array([0xe6, 0xb0, 0xb4, 0x61]);
  const narrow = readUtf8(b, 0, 4, false);
  assert.is(narrow, '\xe6\xb0\xb4a');
  assert.is(utf8Length(narrow, false), 4);
  const out = new Uint8Array(4);
  assert.is(writeUtf8(narrow, out, 0, false), 4);
  assert.is(hex(out), 'e6b0b461');
  assert.is(utf8Length('水', false), -1, 'a character above 0xff cannot be a byte');
  // On a wide interpreter the same bytes are one character and an "a".
  assert.is(readUtf8(b, 0, 4, true), '水a');
  assert.is(utf8Length('水a', true), 4);
  assert.is(utf8Length('\ud83d\ude00', true), 4);
  assert.is(utf8Length('\ud83d', true), -1);
  assert.is(utf8Length('\ude00\ud83d', true), -1);
  assert.is(utf8Invalid(bytes('61c3a9e6b0b4f09f9880'), 0, 10), -1);
  assert.is(utf8Invalid(bytes('6161ff'), 0, 3), 2);
  assert.is(utf8Invalid(bytes('61e6b0'), 0, 3), 1);
});

test.run();
