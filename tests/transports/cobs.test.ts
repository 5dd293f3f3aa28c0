import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { crc32 as zcrc32 } from 'node:zlib';
import { encode, decode, encodedMax } from '../../transports/cobs.ts';
import { crc32, putCrc, getCrc } from '../../transports/crc.ts';
import { DecodeError } from '../../crdt/errors.ts';

const u8 = (...xs: number[]) => new Uint8Array(xs);
const arr = (x: Uint8Array) => Array.from(x);
const seq = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i));

// The worked examples of Cheshire and Baker's paper (and the usual test vectors).
test('encodes the reference examples', () => {
  assert.equal(arr(encode(u8())), [1]);
  assert.equal(arr(encode(u8(0))), [1, 1]);
  assert.equal(arr(encode(u8(0, 0))), [1, 1, 1]);
  assert.equal(arr(encode(u8(0x11, 0x22, 0, 0x33))), [3, 0x11, 0x22, 2, 0x33]);
  assert.equal(arr(encode(u8(0x11, 0x22, 0x33, 0x44))), [5, 0x11, 0x22, 0x33, 0x44]);
  assert.equal(arr(encode(u8(0x11, 0, 0, 0))), [2, 0x11, 1, 1, 1]);
});

test('a run of 254 non-zero bytes takes one full block', () => {
  const src = seq(254, (i) => i + 1);
  const enc = encode(src);
  assert.is(enc[0], 0xff);
  assert.is(enc.length, 256); // FF, 254 data, and the empty closing block
  assert.equal(arr(decode(enc)), arr(src));
  const src255 = seq(255, (i) => (i % 255) + 1);
  const enc255 = encode(src255);
  assert.equal(arr(enc255.subarray(0, 1)), [0xff]);
  assert.equal(arr(enc255.subarray(255)), [2, src255[254]]);
  assert.equal(arr(decode(enc255)), arr(src255));
});

test('decode accepts a final full block without the empty closing block', () => {
  const src = seq(254, () => 7);
  const enc = encode(src);
  assert.equal(arr(decode(enc.subarray(0, 255))), arr(src));
});

test('decode rejects a zero inside, a cut block and an empty packet with typed errors', () => {
  const reason = (f: () => unknown) => {
    try { f(); } catch (e) { assert.instance(e, DecodeError); return (e as DecodeError).reason; }
    assert.unreachable('no error');
  };
  assert.is(reason(() => decode(u8(3, 1, 0))), 'cobs');
  assert.is(reason(() => decode(u8(0))), 'cobs');
  assert.is(reason(() => decode(u8(5, 1, 2))), 'truncated');
  assert.is(reason(() => decode(u8())), 'cobs');
});

test('property: round trip, no zero on the wire, overhead within the bound', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), (src) => {
    const enc = encode(src);
    assert.ok(!enc.includes(0));
    assert.ok(enc.length <= encodedMax(src.length));
    assert.ok(enc.length >= src.length + 1);
    assert.equal(arr(decode(enc)), arr(src));
  }), { seed: 5, numRuns: 400 });
});

test('property: zero-heavy and zero-free inputs round trip', () => {
  const zeros = fc.uint8Array({ maxLength: 700, min: 0, max: 1 });
  const nonzero = fc.uint8Array({ maxLength: 700, min: 1, max: 255 });
  fc.assert(fc.property(fc.oneof(zeros, nonzero), (src) => {
    assert.equal(arr(decode(encode(src))), arr(src));
  }), { seed: 6, numRuns: 300 });
});

test('CRC-32 check value, zlib agreement, incremental form and byte order', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.is(crc32(u8()), 0);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (b, k) => {
    const cut = Math.min(k, b.length);
    assert.is(crc32(b), zcrc32(b) >>> 0);
    assert.is(crc32(b.subarray(cut), crc32(b.subarray(0, cut))), crc32(b));
  }), { seed: 7, numRuns: 200 });
  const out = new Uint8Array(4);
  putCrc(out, 0, 0xcbf43926);
  assert.equal(arr(out), [0x26, 0x39, 0xf4, 0xcb]);
  assert.is(getCrc(out, 0), 0xcbf43926);
});

test.run();
