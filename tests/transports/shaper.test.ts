import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shape, type Clock, type ShapeOptions } from '../../transports/shaper.ts';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';

/** A manual clock: timers run in time order when the test advances it, each followed by one event-loop turn. */
class ManualClock implements Clock {
  t = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  now() { return this.t; }
  setTimeout(fn: () => void, ms: number) {
    const h = { at: this.t + ms, seq: this.seq++, fn };
    this.timers.push(h);
    return h;
  }
  clearTimeout(h: unknown) {
    const i = this.timers.indexOf(h as never);
    if (i >= 0) this.timers.splice(i, 1);
  }
  get pending() { return this.timers.length; }
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const h = this.timers[0];
      if (!h || h.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, h.at);
      h.fn();
      await new Promise((r) => setImmediate(r)); // the memory link delivers on the next turn
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

/** a (shaped) -> b over a memory hub; b records (time, first byte pair as a sequence number). */
function rig(o: ShapeOptions) {
  const clock = new ManualClock();
  const hub = new MemoryHub();
  const a = shape(memoryLink(hub, { id: 'a' }), { ...o, clock });
  const b = memoryLink(hub, { id: 'b' });
  const got: { t: number; n: number }[] = [];
  b.on('frame', (_from, bytes) => got.push({ t: clock.now(), n: bytes[0] | (bytes[1] << 8) }));
  const frame = (n: number, len: number) => {
    const f = new Uint8Array(len);
    f[0] = n & 0xff;
    f[1] = n >> 8;
    return f;
  };
  return { clock, hub, a, b, got, frame, close: async () => { await a.close(); await b.close(); } };
}

test('bandwidth: frames leave back to back at the line rate (9600 bit/s: 120 bytes per 100 ms)', async () => {
  const { clock, a, got, frame, close } = rig({ bitsPerSecond: 9600 });
  for (let i = 0; i < 10; i++) assert.ok(a.send('b', frame(i, 120)));
  await clock.advance(2000);
  assert.equal(got.map((g) => g.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(got.map((g) => Math.round(g.t)), [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  assert.is(a.counters.framesOut, 10);
  await close();
});

test('bandwidth: overhead and 8N1 bits per byte count; a burst goes at once', async () => {
  const u = rig({ bitsPerSecond: 9600, bitsPerByte: 10, overhead: 20 });
  for (let i = 0; i < 3; i++) u.a.send('b', u.frame(i, 76)); // 96 bytes of 10 bits: 100 ms each
  await u.clock.advance(1000);
  assert.equal(u.got.map((g) => Math.round(g.t)), [100, 200, 300]);
  await u.close();
  const b = rig({ bitsPerSecond: 8000, burst: 3000 });
  for (let i = 0; i < 3; i++) b.a.send('b', b.frame(i, 1000)); // 1 ms per byte, the burst covers all three
  await b.clock.advance(10000);
  assert.equal(b.got.map((g) => Math.round(g.t)), [1000, 1000, 1000]);
  await b.close();
});

test('latency and jitter delay every frame within bounds and keep FIFO order', async () => {
  const { clock, a, got, frame, close } = rig({ latency: 50, jitter: 30, seed: 3 });
  for (let i = 0; i < 200; i++) {
    a.send('b', frame(i, 10));
    await clock.advance(i % 3 === 0 ? 1 : 20); // bunched and spread sends: FIFO holds some frames back
  }
  await clock.advance(1000);
  assert.is(got.length, 200);
  assert.equal(got.map((g) => g.n), [...Array(200).keys()]);
  const sentAt = (n: number) => Math.floor(n / 3) * 41 + [0, 1, 21][n % 3];
  const delays = got.map((g) => g.t - sentAt(g.n));
  assert.ok(delays.every((d) => d >= 50 && d <= 80), 'delays within latency + jitter');
  assert.ok(new Set(delays.map(Math.round)).size > 10, 'jitter varies the delay');
  await close();
});

test('loss drops about the asked share, silently, counted in stats', async () => {
  const { clock, a, got, frame, close } = rig({ loss: 0.3, seed: 4 });
  for (let i = 0; i < 2000; i++) assert.ok(a.send('b', frame(i, 4)));
  await clock.advance(10);
  assert.is(got.length + a.stats.lost, 2000);
  assert.ok(a.stats.lost > 520 && a.stats.lost < 680, 'lost ' + a.stats.lost);
  await close();
});

test('duplication and reordering', async () => {
  const { clock, a, got, frame, close } = rig({ duplicate: 0.1, reorder: 0.1, latency: 10, seed: 5 });
  for (let i = 0; i < 500; i++) a.send('b', frame(i, 4));
  await clock.advance(1000);
  assert.is(got.length, 500 + a.stats.duplicated);
  assert.ok(a.stats.duplicated > 25 && a.stats.duplicated < 80, 'duplicated ' + a.stats.duplicated);
  assert.ok(a.stats.reordered > 25 && a.stats.reordered < 80, 'reordered ' + a.stats.reordered);
  assert.equal([...new Set(got.map((g) => g.n))].sort((x, y) => x - y), [...Array(500).keys()]);
  // A frame was overtaken when a later-numbered one arrived before its first copy: every held-back frame, except
  // those that no later frame was left to overtake.
  let overtaken = 0;
  let max = -1;
  const seen = new Set<number>();
  for (const g of got) {
    if (seen.has(g.n)) continue;
    seen.add(g.n);
    if (g.n < max) overtaken++;
    max = Math.max(max, g.n);
  }
  assert.ok(overtaken <= a.stats.reordered && overtaken >= a.stats.reordered - 3, 'overtaken ' + overtaken);
  await close();
});

test('the same seed gives the same run; another seed another', async () => {
  const run = async (seed: number) => {
    const r = rig({ loss: 0.2, duplicate: 0.1, reorder: 0.1, jitter: 20, latency: 5, bitsPerSecond: 64000, seed });
    for (let i = 0; i < 300; i++) r.a.send('b', r.frame(i, 40));
    await r.clock.advance(5000);
    await r.close();
    return JSON.stringify(r.got);
  };
  const x = await run(9);
  assert.is(await run(9), x);
  assert.is.not(await run(10), x);
});

test('partition cuts both directions, for everyone or for some peers, and heals', async () => {
  const clock = new ManualClock();
  const hub = new MemoryHub();
  const a = shape(memoryLink(hub, { id: 'a' }), { clock });
  const b = memoryLink(hub, { id: 'b' });
  const c = memoryLink(hub, { id: 'c' });
  const at: string[] = [];
  a.on('frame', (from, x) => at.push(from + '>a:' + x[0]));
  b.on('frame', (from, x) => at.push(from + '>b:' + x[0]));
  c.on('frame', (from, x) => at.push(from + '>c:' + x[0]));
  a.partition(true);
  a.send('b', new Uint8Array([1]));
  b.send('a', new Uint8Array([2]));
  await clock.advance(10);
  assert.equal(at, []);
  assert.is(a.stats.partitioned, 2);
  a.partition(false);
  a.partition(true, ['c']);
  a.send('b', new Uint8Array([3]));
  a.send('c', new Uint8Array([4]));
  c.send('a', new Uint8Array([5]));
  b.send('a', new Uint8Array([6]));
  await clock.advance(10);
  assert.equal(at.sort(), ['a>b:3', 'b>a:6']);
  a.partition(false, ['c']);
  a.send('c', new Uint8Array([7]));
  await clock.advance(10);
  assert.ok(at.includes('a>c:7'));
  assert.equal(a.peers(), ['b', 'c']);
  await a.close();
  await b.close();
  await c.close();
});

test('the bucket queue is bounded: tail drop, counted, and close clears its timers and closes the inner link', async () => {
  const { clock, a, got, frame, close } = rig({ bitsPerSecond: 800, queue: { frames: 4 } });
  const codes: string[] = [];
  a.on('error', (e) => codes.push(e.code));
  const ok = [...Array(10).keys()].map((i) => a.send('b', frame(i, 100)));
  // The first leaves at once (a UART has no burst, but an idle line starts sending at once), four wait.
  assert.equal(ok, [true, true, true, true, true, false, false, false, false, false]);
  assert.is(a.stats.queueFull, 5);
  assert.is(a.counters.dropped, 5);
  assert.equal(codes, Array(5).fill('queue-full'));
  await clock.advance(1000);
  assert.equal(got.map((g) => g.n), [0]);
  assert.ok(clock.pending > 0);
  await close();
  assert.is(clock.pending, 0);
  assert.is(a.send('b', frame(0, 1)), false);
  assert.is((a.inner as { send(to: string, b: Uint8Array): boolean }).send('b', frame(0, 1)), false);
});

test('options are checked', () => {
  const hub = new MemoryHub();
  const l = memoryLink(hub, { id: 'x' });
  assert.throws(() => shape(l, { loss: 1.5 }), /shaped link: knob loss = 1.5 is out of range \(probability, a number from 0 to 1\)/);
  assert.throws(() => shape(l, { latency: -1 }), /shaped link: knob latency = -1 is out of range \(ms, a number from 0/);
  void l.close();
});

test.run();
