import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SerialPort } from 'serialport';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialLink, type SerialLink, type SerialOptions } from '../../transports/serial.ts';
import { LinkError } from '../../transports/link.ts';
import { rng, below } from '../../runtime/rng.ts';
import { ptyPair, type PtyPair } from './ptypair.ts';
import { until } from '../support/wait.ts';
import { bitErrors } from '../../transports/noise.ts';

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
}
const closePort = (p: SerialPort) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));

type Opts = Omit<SerialOptions, 'id' | 'path'>;

/**
 * A man in the middle on real ptys: link a on pair 1, link b on pair 2, and the test holding the two other ends
 * (m1 faces a, m2 faces b), so a and b hear only what the test forwards. `body` wires the middle first, then calls
 * `connect` for the two links (it resolves once both peers are up); everything is closed after, whatever happened.
 */
async function inTheMiddle(
  body: (m1: SerialPort, m2: SerialPort, connect: (oa?: Opts, ob?: Opts) => Promise<[SerialLink, SerialLink]>) => Promise<void>,
): Promise<void> {
  const pairs: PtyPair[] = [];
  const ports: SerialPort[] = [];
  const links: SerialLink[] = [];
  try {
    pairs.push(await ptyPair());
    pairs.push(await ptyPair());
    for (const p of pairs) ports.push(await openPort(p.b));
    await body(ports[0], ports[1], async (oa, ob) => {
      links.push(await serialLink({ ...oa, id: 'a', path: pairs[0].a }));
      links.push(await serialLink({ ...ob, id: 'b', path: pairs[1].a }));
      const [la, lb] = links;
      await until(() => la.peers().join() === 'b' && lb.peers().join() === 'a', 'both peers up');
      return [la, lb];
    });
  } finally {
    for (const l of links) await l.close();
    for (const p of ports) await closePort(p);
    for (const p of pairs) await p.close();
  }
}

function frameOf(i: number, len: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let k = 0; k < len; k++) f[k] = (i * 31 + k) & 0xff; // plenty of zeros, so COBS has work to do
  f[0] = i & 0xff;
  f[1] = i >> 8;
  return f;
}

test('a wrong port path is a not-found LinkError that names the path', async () => {
  try {
    await serialLink({ id: 'a', path: '/dev/ttyPOLLEN-NO-SUCH-PORT' });
    assert.unreachable('opened a port that does not exist');
  } catch (e) {
    assert.instance(e, LinkError);
    assert.is((e as LinkError).code, 'not-found');
    assert.match((e as Error).message, /serial link: cannot open serial port \/dev\/ttyPOLLEN-NO-SUCH-PORT/);
    assert.match((e as Error).message, /plugged in/);
  }
  try {
    await serialLink({ id: 'a', path: '/etc/hostname' });
    assert.unreachable('opened a regular file as a port');
  } catch (e) {
    assert.instance(e, LinkError);
    assert.match((e as Error).message, /not a serial port/);
  }
});

test('two links over a pty pair: hellos, peers up, frames both ways, counters', async () => {
  const pair = await ptyPair();
  let a: SerialLink | undefined, b: SerialLink | undefined;
  try {
    a = await serialLink({ id: 'a', path: pair.a });
    b = await serialLink({ id: 'b', path: pair.b });
    const la = a, lb = b;
    await until(() => la.peers().join() === 'b' && lb.peers().join() === 'a', 'both peers up');
    const gotB: number[][] = [];
    const gotA: number[][] = [];
    lb.on('frame', (from, bytes) => { assert.is(from, 'a'); gotB.push([...bytes]); });
    la.on('frame', (from, bytes) => { assert.is(from, 'b'); gotA.push([...bytes]); });
    const sent: number[][] = [];
    for (let i = 0; i < 50; i++) {
      const f = frameOf(i, 1 + ((i * 97) % 600));
      assert.ok(la.send('b', f));
      sent.push([...f]);
    }
    assert.ok(lb.send('a', new Uint8Array([0, 0, 0])));
    assert.ok(la.send('b', new Uint8Array(0)));
    sent.push([]);
    await until(() => gotB.length === 51 && gotA.length === 1, 'all frames');
    assert.equal(gotB, sent);
    assert.equal(gotA, [[0, 0, 0]]);
    assert.is(la.counters.framesOut, 51);
    assert.is(lb.counters.framesIn, 51);
    assert.is(lb.counters.bytesIn, sent.reduce((n, f) => n + f.length, 0));
    assert.is(la.counters.errors + lb.counters.errors, 0);
    // A peer that is not the one at the other end, and a frame over maxFrame, are refused and counted.
    const errs: LinkError[] = [];
    la.on('error', (e) => errs.push(e));
    assert.is(la.send('c', new Uint8Array([1])), false);
    assert.is(la.send('b', new Uint8Array(la.maxFrame + 1)), false);
    assert.equal(errs.map((e) => e.code), ['unreachable', 'oversize']);
    assert.match(errs[0].message, /the peer is "b"/);
    assert.is(la.counters.dropped, 2);
  } finally {
    await a?.close();
    await b?.close();
    await pair.close();
  }
});

test('a frame sent from a peer-up listener reaches the other end (the hello goes first)', async () => {
  const pair = await ptyPair();
  let a: SerialLink | undefined, b: SerialLink | undefined;
  try {
    a = await serialLink({ id: 'a', path: pair.a });
    const la = a;
    la.on('peer', (p, up) => { if (up) la.send(p, new Uint8Array([42])); });
    b = await serialLink({ id: 'b', path: pair.b });
    const lb = b;
    lb.on('peer', (p, up) => { if (up) lb.send(p, new Uint8Array([43])); });
    const atA: number[] = [], atB: number[] = [];
    la.on('frame', (_f, x) => atA.push(x[0]));
    lb.on('frame', (_f, x) => atB.push(x[0]));
    await until(() => atA.length === 1 && atB.length === 1, 'both first frames');
    assert.equal([atA, atB], [[43], [42]]);
    assert.is(la.counters.errors + lb.counters.errors + la.counters.dropped + lb.counters.dropped, 0);
  } finally {
    await a?.close();
    await b?.close();
    await pair.close();
  }
});

/**
 * In the middle (inTheMiddle), the test writes seeded garbage after the trailing zero of every frame it forwards
 * from a to b (so between frames; now and then a zero inside the garbage cuts it into several bad frames).
 */
test('garbage injected between frames: every frame arrives, the garbage is counted', async () => {
  await inTheMiddle(async (mm1, mm2, connect) => {
    const r = rng(99);
    let injected = 0;
    let prev = 0;
    mm1.on('data', (chunk: Buffer) => {
      let from = 0;
      for (let i = 0; i < chunk.length; i++) {
        // A frame's trailing zero is a zero after a non-zero byte; the next frame's lead zero follows it.
        const end = chunk[i] === 0 && prev !== 0;
        prev = chunk[i];
        if (!end) continue;
        mm2.write(chunk.subarray(from, i + 1));
        from = i + 1;
        const g = Buffer.alloc(1 + below(r, 24));
        for (let k = 0; k < g.length; k++) g[k] = below(r, 8) === 0 ? 0 : 1 + below(r, 255);
        injected += g.length;
        mm2.write(g);
      }
      if (from < chunk.length) mm2.write(chunk.subarray(from));
    });
    mm2.on('data', (chunk: Buffer) => mm1.write(chunk)); // b's hellos back to a, untouched
    const [la, lb] = await connect();
    const got: number[][] = [];
    lb.on('frame', (_from, bytes) => got.push([...bytes]));
    const sent: number[][] = [];
    for (let i = 0; i < 100; i++) {
      const f = frameOf(i, 1 + ((i * 53) % 300));
      assert.ok(la.send('b', f));
      sent.push([...f]);
    }
    await until(() => got.length >= 100, '100 frames through the noise');
    assert.equal(got, sent);
    const d = lb.deframer.drops;
    assert.ok(injected > 0);
    // About one bad frame per burst (a burst may hold zeros that cut it further, or be a lone zero): seeded.
    assert.ok(d.crc + d.truncated >= 50, 'garbage frames were dropped and counted: ' + JSON.stringify(d));
    assert.is(lb.counters.errors, d.crc + d.truncated + d.oversized);
  });
});

test('backpressure: a stalled line fills the bounded queue, tail drop, then the rest arrives in order', async () => {
  await inTheMiddle(async (mm1, mm2, connect) => {
    mm1.on('data', (chunk: Buffer) => mm2.write(chunk));
    mm2.on('data', (chunk: Buffer) => mm1.write(chunk));
    // A long peerTimeout: b hears nothing from a while the line stalls.
    const [la, lb] = await connect({ queue: { frames: 16 }, peerTimeout: 20000 }, { peerTimeout: 20000 });
    const got: number[][] = [];
    lb.on('frame', (_from, bytes) => got.push([...bytes]));
    mm1.pause(); // the middle stops reading: the pty fills, the pair helper stops copying, and a's port stops draining
    const accepted: number[][] = [];
    let refused = 0;
    const errs: string[] = [];
    la.on('error', (e) => errs.push(e.code));
    for (let round = 0; round < 40 && refused === 0; round++) {
      for (let i = 0; i < 50; i++) {
        const f = frameOf(round * 50 + i, 1000);
        if (la.send('b', f)) accepted.push([...f]);
        else refused++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(refused > 0, 'the queue filled and refused frames');
    assert.ok(la.queued <= 16);
    assert.ok(errs.includes('queue-full'));
    assert.is(la.counters.dropped, refused);
    mm1.resume();
    await until(() => got.length === accepted.length, accepted.length + ' accepted frames', 10000);
    assert.equal(got, accepted);
  });
});

test('the link reads while a write waits: frames from the peer arrive while our line is stalled', async () => {
  await inTheMiddle(async (mm1, mm2, connect) => {
    mm1.on('data', (chunk: Buffer) => mm2.write(chunk));
    mm2.on('data', (chunk: Buffer) => mm1.write(chunk));
    // Long timeouts: neither side may lose the other while a's line is stalled.
    const [la, lb] = await connect({ queue: { frames: 64, bytes: 1 << 20 }, peerTimeout: 60000, keepalive: 60000 },
      { peerTimeout: 60000, keepalive: 60000 });
    const got: number[][] = [];
    la.on('frame', (_from, bytes) => got.push([...bytes]));
    const toB: number[] = [];
    lb.on('frame', (_from, bytes) => toB.push(bytes[0] | (bytes[1] << 8)));
    mm1.pause(); // a's writes go nowhere: the ptys fill and a's port waits to write
    // Until a's link holds frames the port would not take, its write is pending on a full kernel buffer.
    let sent = 0;
    while (la.queued === 0) {
      for (let i = 0; i < 20; i++) assert.ok(la.send('b', frameOf(sent++, 1000)));
      await new Promise((r) => setTimeout(r, 10));
    }
    const fromB: number[][] = [];
    for (let i = 0; i < 5; i++) {
      const f = frameOf(1000 + i, 200);
      fromB.push([...f]);
      assert.ok(lb.send('a', f));
    }
    await until(() => got.length === fromB.length, 'b\'s frames at a while a\'s write waits');
    assert.equal(got, fromB);
    assert.ok(la.queued > 0, 'a\'s line was still stalled when b\'s frames arrived');
    mm1.resume();
    await until(() => toB.length === sent, 'all of a\'s frames at b once the line moves', 20000);
    assert.equal(toB, [...Array(sent).keys()]);
  });
});

test('a noisy line (1 bit error in 10^3): large frames in pieces all arrive whole; lost pieces are repeated', async () => {
  await inTheMiddle(async (mm1, mm2, connect) => {
    const toB = bitErrors(1e-3, 11);
    const toA = bitErrors(1e-3, 12);
    mm1.on('data', (chunk: Buffer) => mm2.write(toB(chunk)));
    mm2.on('data', (chunk: Buffer) => mm1.write(toA(chunk)));
    const o = { pieceSize: 48, peerTimeout: 60000, keepalive: 500 };
    const [la, lb] = await connect(o, o);
    const atB: number[][] = [];
    const atA: number[][] = [];
    lb.on('frame', (_f, x) => atB.push([...x]));
    la.on('frame', (_f, x) => atA.push([...x]));
    const fromA: number[][] = [];
    const fromB: number[][] = [];
    for (let i = 0; i < 8; i++) {
      const f = frameOf(i, 2500);
      fromA.push([...f]);
      assert.ok(la.send('b', f));
      const g = frameOf(100 + i, 1200);
      fromB.push([...g]);
      assert.ok(lb.send('a', g));
    }
    await until(() => atB.length === fromA.length && atA.length === fromB.length, 'every frame both ways', 60000);
    const order = (xs: number[][]) => [...xs].sort((x, y) => x[0] - y[0]);
    assert.equal(order(atB), fromA);
    assert.equal(order(atA), fromB);
    // The line was noisy, the framing caught it, and pieces were repeated rather than whole frames.
    assert.ok(toB.flipped > 0 && toA.flipped > 0);
    assert.ok(lb.deframer.drops.crc + lb.deframer.drops.truncated > 0, 'b dropped damaged frames');
    assert.ok(la.pieces.stats.piecesRepeated > 0, 'a repeated lost pieces');
    assert.is(la.pieces.stats.givenUp + lb.pieces.stats.givenUp, 0);
  });
});

test('the line goes away and comes back: peer down, reopen with backoff, peer up again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-pty-'));
  const paths = { a: join(dir, 'A'), b: join(dir, 'B') };
  let a: SerialLink | undefined, b: SerialLink | undefined;
  let pair: PtyPair | undefined, pair2: PtyPair | undefined;
  try {
    pair = await ptyPair(paths);
    a = await serialLink({ id: 'a', path: pair.a, backoff: { min: 50, max: 200 }, keepalive: 100, peerTimeout: 400 });
    b = await serialLink({ id: 'b', path: pair.b, backoff: { min: 50, max: 200 }, keepalive: 100, peerTimeout: 400 });
    const la = a, lb = b;
    await until(() => la.peers().join() === 'b', 'peer up');
    const events: string[] = [];
    la.on('peer', (p, up) => events.push(p + (up ? ' up' : ' down')));
    const errs: string[] = [];
    la.on('error', (e) => errs.push(e.code));
    await pair.close(); // the helper ends: both ptys vanish
    await until(() => events.includes('b down'), 'peer down');
    await until(() => errs.includes('not-found'), 'a failed reopen of the vanished path');
    pair2 = await ptyPair(paths);
    await until(() => la.peers().join() === 'b' && lb.peers().join() === 'a', 'peers up again', 8000);
    assert.equal(events.slice(-2), ['b down', 'b up']);
    const got: number[][] = [];
    lb.on('frame', (_f, bytes) => got.push([...bytes]));
    assert.ok(la.send('b', new Uint8Array([4, 0, 4])));
    await until(() => got.length === 1, 'a frame after the reopen');
  } finally {
    await a?.close();
    await b?.close();
    await pair2?.close();
    await pair?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close is idempotent, refuses sends, reports the peer down; the far end notices by peerTimeout', async () => {
  const pair = await ptyPair();
  try {
    const a = await serialLink({ id: 'a', path: pair.a });
    const b = await serialLink({ id: 'b', path: pair.b, keepalive: 100, peerTimeout: 300 });
    await until(() => a.peers().join() === 'b' && b.peers().join() === 'a', 'peers up');
    const events: string[] = [];
    a.on('peer', (p, up) => events.push(p + (up ? ' up' : ' down')));
    const atB: string[] = [];
    b.on('peer', (p, up) => atB.push(p + (up ? ' up' : ' down')));
    await Promise.all([a.close(), a.close()]);
    await a.close();
    assert.equal(events, ['b down']);
    assert.is(a.send('b', new Uint8Array([1])), false);
    // The pty stays (the helper holds it): b learns that a went quiet from the silence alone.
    await until(() => atB.includes('a down'), 'b notices a is gone', 3000);
    await b.close();
  } finally {
    await pair.close();
  }
});

test.run();
