/**
 * Pacing and batching (transports/pace.ts, batch.ts) over real memory links with a manual clock: the rate holds,
 * waiting frames travel as one batch and arrive whole and in order, bad batches are dropped and counted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { pace } from '../../transports/pace.ts';
import { BatchError, isBatch, packBatch, unpackBatch } from '../../transports/batch.ts';
import type { Clock } from '../../transports/shaper.ts';

function manualClock() {
  let t = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let n = 0;
  const clock: Clock = {
    now: () => t,
    setTimeout: (fn, ms) => {
      const id = ++n;
      timers.push({ at: t + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      timers = timers.filter((x) => x.id !== h);
    },
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      timers.sort((x, y) => x.at - y.at);
      const next = timers[0];
      if (!next || next.at > end) break;
      timers.shift();
      t = next.at;
      next.fn();
    }
    t = end;
  };
  return { clock, advance };
}

const tick = () => new Promise((r) => setImmediate(r));

test('batch: pack and unpack round trip, raw and deflated', () => {
  const frames = [new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7), new Uint8Array(0)];
  for (const compress of [false, true]) {
    const b = packBatch(frames, compress);
    assert.ok(isBatch(b));
    assert.equal(unpackBatch(b, 1000, 10000).map((f) => Array.from(f)), frames.map((f) => Array.from(f)));
  }
  assert.ok(packBatch(frames, true).length < packBatch(frames, false).length);
});

test('batch: bounds hold (oversize frame, inflate limit, wrong count, trailing bytes)', () => {
  const big = packBatch([new Uint8Array(5000)], true);
  assert.throws(() => unpackBatch(big, 1000, 100000), (e: unknown) => e instanceof BatchError && e.reason === 'oversize');
  assert.throws(() => unpackBatch(big, 10000, 1000), (e: unknown) => e instanceof BatchError && e.reason === 'size');
  const raw = packBatch([new Uint8Array([1]), new Uint8Array([2])], false);
  const lied = raw.slice();
  lied[3] = 3; // announces 3 frames, holds 2
  assert.throws(() => unpackBatch(lied, 100, 100), (e: unknown) => e instanceof BatchError && e.reason === 'count');
  const cut = raw.subarray(0, raw.length - 1);
  assert.throws(() => unpackBatch(cut, 100, 100), (e: unknown) => e instanceof BatchError);
});

test('paced link: a burst leaves at the rate, batched, and arrives whole and in order', async () => {
  const { clock, advance } = manualClock();
  const hub = new MemoryHub();
  // 8000 bit/s = 1 byte/ms at share 1.
  const a = pace(memoryLink(hub, { id: 'a' }), { bitsPerSecond: 8000, share: 1, clock, batchMs: 10000 });
  const b = pace(memoryLink(hub, { id: 'b' }), { bitsPerSecond: 8000, share: 1, clock });
  const got: number[] = [];
  b.on('frame', (_from, f) => got.push(f[0]));
  for (let i = 0; i < 50; i++) assert.ok(a.send('b', new Uint8Array(40).fill(i)));
  // The first frame went at once (40 bytes of debt); the other 49 wait.
  assert.is(a.queued, 49);
  advance(39);
  assert.is(a.queued, 49);
  advance(1);
  assert.is(a.queued, 0); // all 49 in one batch
  await tick();
  assert.equal(got, Array.from({ length: 50 }, (_, i) => i));
  assert.is(a.stats.batches, 1);
  assert.is(a.stats.batchedFrames, 49);
  assert.ok(a.stats.wireBytes < a.stats.frameBytes / 4, 'deflated: ' + a.stats.wireBytes + ' of ' + a.stats.frameBytes);
  await a.close();
  await b.close();
});

test('paced link: a bad batch is dropped and counted, single frames pass as they are', async () => {
  const hub = new MemoryHub();
  const raw = memoryLink(hub, { id: 'a' });
  const b = pace(memoryLink(hub, { id: 'b' }), { bitsPerSecond: 0 });
  const got: Uint8Array[] = [];
  const errs: string[] = [];
  b.on('frame', (_f, x) => got.push(x));
  b.on('error', (e) => errs.push(e.code));
  raw.send('b', new Uint8Array([0x85, 0x02, 0x00, 0x02, 0x07, 0x40]));
  raw.send('b', new Uint8Array([0x85, 0x01, 0x02]));
  await tick();
  assert.is(got.length, 1);
  assert.equal(Array.from(got[0]), [0x85, 0x01, 0x02]);
  assert.equal(errs, ['decode']);
  assert.is(b.stats.badBatches, 1);
  await raw.close();
  await b.close();
});

test.run();
