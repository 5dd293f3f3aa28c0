import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Fragmenter, Reassembler, fragmentAt, fragmentCount, MIN_PAYLOAD, MAX_PAYLOAD } from '../../transports/blefrag.ts';
import type { DecodeError } from '../../crdt/errors.ts';

const arr = (x: Uint8Array) => Array.from(x);
const frame = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

function collect(maxFrame = 4096, maxFragment = MAX_PAYLOAD) {
  const got: number[][] = [];
  const errs: DecodeError[] = [];
  const r = new Reassembler({ maxFrame, maxFragment }, { frame: (p) => got.push(arr(p)), drop: (e) => errs.push(e) });
  return { r, got, errs };
}

test('fragments fit the ATT payload: 20 bytes at MTU 23, 244 at MTU 247', () => {
  const f = new Fragmenter();
  const big = frame(1000);
  for (const size of [MIN_PAYLOAD, MAX_PAYLOAD]) {
    const parts = f.fragment(big, size);
    assert.ok(parts.every((p) => p.length <= size));
    assert.is(parts.length, fragmentCount(big.length, size));
    assert.is(parts[0].length, size);
  }
  assert.is(fragmentCount(17, 20), 1);
  assert.is(fragmentCount(18, 20), 2);
  assert.is(fragmentCount(17 + 19, 20), 2);
  assert.is(f.fragment(new Uint8Array(0), 20).length, 1);
  assert.throws(() => f.fragment(frame(10), 3), /no room/);
  assert.throws(() => f.fragment(new Uint8Array(70000), 244), /16-bit/);
});

test('round trip, empty frame included, and frame ids advance mod 8', () => {
  const f = new Fragmenter();
  const { r, got, errs } = collect();
  const frames = [frame(0), frame(1), frame(17), frame(18), frame(500, 3), frame(4096, 9)];
  for (let k = 0; k < 3; k++) for (const fr of frames) for (const p of f.fragment(fr, 20)) r.push(p);
  assert.equal(got, [...frames, ...frames, ...frames].map(arr));
  assert.is(errs.length, 0);
  assert.is(r.frames, 18);
});

test('a missing fragment drops that frame only', () => {
  const f = new Fragmenter();
  const { r, got, errs } = collect();
  const a = f.fragment(frame(100, 1), 20);
  const b = f.fragment(frame(100, 2), 20);
  a.splice(2, 1);
  for (const p of [...a, ...b]) r.push(p);
  assert.equal(got, [arr(frame(100, 2))]);
  assert.is(r.drops.missing, 1);
  assert.is(errs.length, 1);
  assert.match(errs[0].message, /fragment 3 where 2 was due/);
});

test('a lost tail is missing; the next frame still arrives', () => {
  const f = new Fragmenter();
  const { r, got } = collect();
  const a = f.fragment(frame(100, 1), 20);
  const b = f.fragment(frame(30, 2), 20);
  for (const p of [...a.slice(0, 3), ...b]) r.push(p);
  assert.equal(got, [arr(frame(30, 2))]);
  assert.is(r.drops.missing, 1);
});

test('interleaved frames are both dropped and counted', () => {
  const f1 = new Fragmenter();
  const f2 = new Fragmenter();
  f2.fragment(frame(1), 20); f2.fragment(frame(1), 20); f2.fragment(frame(1), 20); // f2 now at id 3
  const { r, got } = collect();
  const a = f1.fragment(frame(60, 1), 20); // id 0
  const b = f2.fragment(frame(60, 2), 20); // id 3
  // a0 a1 b0 a2 b1 b2 b3: b0 cuts a (not the next id: interleaved), a2 is inside b (interleaved), then b's
  // remaining fragments have lost their frame (orphans).
  for (const p of [a[0], a[1], b[0], a[2], b[1], b[2], b[3]]) r.push(p);
  assert.equal(got, []);
  assert.is(r.drops.interleaved, 2);
  assert.is(r.drops.orphan, 3);
  // And it recovers at the next first fragment.
  for (const p of f1.fragment(frame(5), 20)) r.push(p);
  assert.equal(got, [arr(frame(5))]);
});

test('an oversized total is refused before any allocation, its fragments skipped quietly', () => {
  const f = new Fragmenter();
  const { r, got, errs } = collect(64);
  for (const p of f.fragment(frame(65), 20)) r.push(p);
  assert.is(r.drops.oversized, 1);
  assert.is(errs.length, 1);
  assert.match(errs[0].message, /announces 65 bytes, maxFrame is 64/);
  assert.is(r.pending, 0);
  for (const p of f.fragment(frame(64), 20)) r.push(p);
  assert.equal(got, [arr(frame(64))]);
});

test('overrun, orphan and truncated fragments', () => {
  const { r, got } = collect(4096, 20);
  r.push(new Uint8Array([0x80, 0, 2, 1, 2, 3])); // announces 2, carries 3
  assert.is(r.drops.overrun, 1);
  r.push(new Uint8Array([0x11, 1, 2])); // continuation, nothing in progress
  assert.is(r.drops.orphan, 1);
  r.push(new Uint8Array([0x80, 0])); // first without its length
  r.push(new Uint8Array(0));
  r.push(new Uint8Array(21)); // longer than the negotiated payload
  r.push(new Uint8Array([0x85, 0, 1, 9])); // first fragment with index 5
  assert.is(r.drops.truncated, 4);
  r.push(new Uint8Array([0x80, 0, 1, 9]));
  assert.equal(got, [[9]]);
});

test('property: any frames at any payload size round trip', () => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 12 }),
    fc.integer({ min: 4, max: MAX_PAYLOAD }),
    (frames, size) => {
      const f = new Fragmenter();
      const { r, got, errs } = collect(2000, size);
      for (const fr of frames) for (const p of f.fragment(fr, size)) { assert.ok(p.length <= size); r.push(p); }
      assert.equal(got, frames.map(arr));
      assert.is(errs.length, 0);
    }), { seed: 21, numRuns: 300 });
});

test('property: losing any one fragment loses exactly its own frame, and is counted', () => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
    fc.nat(),
    (frames, k) => {
      const f = new Fragmenter();
      const parts = frames.map((fr) => f.fragment(fr, 20));
      const flat = parts.flatMap((ps, i) => ps.map((p) => ({ p, i })));
      const lost = flat[k % flat.length];
      const { r, got } = collect(300, 20);
      for (const x of flat) if (x !== lost) r.push(x.p);
      const want = frames.filter((_, i) => i !== lost.i).map(arr);
      assert.equal(got, want);
      // Every loss is counted, except at the two ends of the stream: the very last fragment (nothing comes after
      // it to tell) and a one-fragment first frame (nothing came before it).
      const silent = lost === flat[flat.length - 1] || (lost === flat[0] && parts[0].length === 1);
      if (!silent) assert.ok(Object.values(r.drops).reduce((a, b) => a + b, 0) >= 1);
    }), { seed: 22, numRuns: 300 });
});

test('property: arbitrary fragments never crash and hold at most maxFrame', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 200 }), (fs) => {
    const { r } = collect(100, 20);
    for (const p of fs) {
      r.push(p);
      assert.ok(r.pending <= 100);
    }
  }), { seed: 23, numRuns: 300 });
});

test('fragmentAt cuts lazily what fragment cuts at once (a board cuts each fragment just before it writes it)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), fc.integer({ min: 4, max: MAX_PAYLOAD }), (frame, size) => {
    const f = new Fragmenter();
    const all = f.fragment(frame, size);
    const lazy: Uint8Array[] = [];
    for (let i = 0; ; i++) {
      const p = fragmentAt(frame, size, 0, i);
      if (!p) break;
      lazy.push(p);
    }
    assert.equal(lazy.map((p) => [...p]), all.map((p) => [...p]));
    assert.is(f.next(), 1, 'fragment used up id 0');
  }), { seed: 24, numRuns: 200 });
});

test.run();
