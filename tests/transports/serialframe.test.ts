import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Deframer, encodeFrame, framedSize } from '../../transports/serialframe.ts';
import type { DecodeError } from '../../crdt/errors.ts';
import { checkBoard, formatViolation } from '../../tools/board-check.ts';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const arr = (x: Uint8Array) => Array.from(x);
const cat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let w = 0;
  for (const p of parts) { out.set(p, w); w += p.length; }
  return out;
};

function collect(maxFrame = 1024) {
  const got: number[][] = [];
  const errs: DecodeError[] = [];
  const d = new Deframer({ maxFrame }, { frame: (p) => got.push(arr(p)), drop: (e) => errs.push(e) });
  return { d, got, errs };
}

/** Cut `bytes` at the given offsets (sorted, deduplicated, clipped) and push each piece. */
function pushChunked(d: Deframer, bytes: Uint8Array, cuts: number[]) {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const c of [...at, bytes.length]) { d.push(bytes.subarray(prev, c)); prev = c; }
}

test('one frame: lead zero, COBS body with CRC, trailing zero', () => {
  const wire = encodeFrame(new Uint8Array([1, 0, 2]));
  assert.is(wire[0], 0);
  assert.is(wire[wire.length - 1], 0);
  assert.ok(!wire.subarray(1, wire.length - 1).includes(0));
  assert.is(wire.length, framedSize(3));
  const { d, got } = collect();
  d.push(wire);
  assert.equal(got, [[1, 0, 2]]);
  assert.is(d.frames, 1);
  assert.is(d.bytes, 3);
});

test('empty payload and idle fill', () => {
  const { d, got, errs } = collect();
  d.push(new Uint8Array([0, 0, 0]));
  d.push(encodeFrame(new Uint8Array(0)));
  d.push(new Uint8Array([0, 0]));
  assert.equal(got, [[]]);
  assert.is(errs.length, 0);
});

test('a corrupted byte is dropped as crc and the next frame still arrives', () => {
  const a = encodeFrame(new Uint8Array([10, 20, 30, 40]));
  const b = encodeFrame(new Uint8Array([50, 60]));
  a[3] ^= 0x01; // a data byte (never zero after the flip: 20 ^ 1 = 21)
  const { d, got, errs } = collect();
  d.push(cat([a, b]));
  assert.equal(got, [[50, 60]]);
  assert.is(d.drops.crc, 1);
  assert.is(errs[0].reason, 'crc');
  assert.match(errs[0].message, /CRC-32 mismatch/);
});

test('a cut frame is dropped as truncated and the stream resynchronises', () => {
  const a = encodeFrame(new Uint8Array(40).fill(9));
  const b = encodeFrame(new Uint8Array([1, 2, 3]));
  const { d, got } = collect();
  d.push(a.subarray(0, 20)); // the rest of `a` is lost on the line, then `b` arrives
  d.push(b);
  assert.equal(got, [[1, 2, 3]]);
  assert.is(d.drops.truncated, 1);
  // A frame shorter than its CRC.
  d.push(new Uint8Array([0, 3, 1, 1, 0]));
  assert.is(d.drops.truncated, 2);
});

test('an oversized frame is skipped to its delimiter without being stored', () => {
  const { d, got, errs } = collect(16);
  d.push(encodeFrame(new Uint8Array(17).fill(3)));
  assert.is(d.drops.oversized, 1);
  assert.is(errs[0].reason, 'oversized');
  assert.match(errs[0].message, /maxFrame 16/);
  // A stream without a single zero: nothing accumulates.
  d.push(new Uint8Array(10000).fill(0x55));
  assert.is(d.pending, 0);
  assert.is(d.drops.oversized, 2);
  d.push(new Uint8Array([0]));
  d.push(encodeFrame(new Uint8Array(16).fill(4)));
  assert.equal(got, [Array(16).fill(4)]);
});

test('garbage between frames costs no frame', () => {
  const frames = [[1], [2, 0, 2], [], [3, 3, 3]].map((x) => new Uint8Array(x));
  const garbage = new Uint8Array([0x47, 0x41, 0x52, 0xff, 0x01, 0x02]);
  const { d, got } = collect();
  d.push(cat([garbage, encodeFrame(frames[0]), garbage, encodeFrame(frames[1]), garbage, garbage,
    encodeFrame(frames[2]), encodeFrame(frames[3]), garbage]));
  assert.equal(got, frames.map(arr));
  // Each run of garbage before a frame is closed off by that frame's lead zero and dropped; the trailing run
  // waits for its delimiter.
  assert.is(d.drops.crc + d.drops.truncated, 3);
  assert.ok(d.pending > 0);
});

test('property: any frames under any chunking come out whole and in order', () => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 30 }),
    (payloads, cuts) => {
      const { d, got, errs } = collect(600);
      pushChunked(d, cat(payloads.map((p) => encodeFrame(p))), cuts);
      assert.equal(got, payloads.map(arr));
      assert.is(errs.length, 0);
    }), { seed: 11, numRuns: 300 });
});

test('property: noise between frames never loses a frame or crashes', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 20 }),
    (pairs, cuts) => {
      const { d, got } = collect(80);
      pushChunked(d, cat(pairs.flatMap(([p, noise]) => [noise, encodeFrame(p)])), cuts);
      // Noise may contain a valid frame by chance (a 2^-32 CRC match): only demand every real frame, in order.
      const want = pairs.map(([p]) => arr(p));
      let k = 0;
      for (const g of got) if (k < want.length && JSON.stringify(g) === JSON.stringify(want[k])) k++;
      assert.is(k, want.length);
    }), { seed: 12, numRuns: 300 });
});

test('property: arbitrary bytes never crash and never hold more than maxFrame + 4', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
    const { d } = collect(64);
    pushChunked(d, bytes, cuts);
    assert.ok(d.pending <= 68);
  }), { seed: 13, numRuns: 300 });
});

test('the framing (COBS, CRC-32, deframer, BLE fragments) keeps to the board subset', async () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const r = await checkBoard(['transports/serialframe.ts', 'transports/blefrag.ts'], { cwd: root });
  assert.equal(r.violations.map(formatViolation), []);
});


test('encodeFrame writes the blocks of cobs.ts over payload and CRC, the same bytes as framing in two steps', async () => {
  const { encode: cobsEncode } = await import('../../transports/cobs.ts');
  const { crc32, putCrc } = await import('../../transports/crc.ts');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), fc.boolean(), (p, zeros) => {
    if (zeros) p = p.map((b) => (b % 3 === 0 ? 0 : b)); // many zeros as well as long zero-free runs
    const body = new Uint8Array(p.length + 4);
    body.set(p);
    putCrc(body, p.length, crc32(p));
    const want = [0, ...cobsEncode(body), 0];
    assert.equal(arr(encodeFrame(p)), want);
    assert.equal(arr(encodeFrame(p, false)), want.slice(1));
  }), { numRuns: 300 });
});

test.run();
