import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, createServer, type Socket } from 'node:net';
import { tcpLink, LengthPrefixDecoder, type TcpLink } from '../../transports/tcp.ts';
import type { LinkError } from '../../transports/link.ts';
import { until, sleep } from '../support/wait.ts';

function frames(link: TcpLink): [string, Uint8Array][] {
  const got: [string, Uint8Array][] = [];
  link.on('frame', (from, bytes) => got.push([from, bytes.slice()]));
  return got;
}

function errors(link: TcpLink): LinkError[] {
  const errs: LinkError[] = [];
  link.on('error', (e) => errs.push(e));
  return errs;
}

test('decoder: frames cut anywhere come out whole; a length past the limit is an error', () => {
  const d = new LengthPrefixDecoder(10);
  const out: number[][] = [];
  const wire = Buffer.from([0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 2, 7, 8]);
  for (let cut = 0; cut <= wire.length; cut++) {
    out.length = 0;
    assert.is(d.push(wire.subarray(0, cut), (f) => out.push([...f])), undefined);
    assert.is(d.push(wire.subarray(cut), (f) => out.push([...f])), undefined);
    assert.equal(out, [[1, 2, 3], [], [7, 8]], 'cut at ' + cut);
  }
  assert.match(d.push(Buffer.from([0, 0, 0, 11]), () => {}) ?? '', /announces 11 bytes, limit is 10/);
});

test('a dialler and a listener exchange hellos, then frames both ways, large ones included', async () => {
  const a = await tcpLink({ id: 'a', listen: 0 });
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port] });
  const ga = frames(a), gb = frames(b);
  await until(() => a.peers().includes('b') && b.peers().includes('a'), 'both up');
  const big = new Uint8Array(60_000).map((_, i) => i * 7);
  assert.ok(b.send('a', big));
  assert.ok(b.send('a', new Uint8Array([1])));
  assert.ok(a.send('b', new Uint8Array([2, 3])));
  await until(() => ga.length === 2 && gb.length === 1, 'frames delivered');
  assert.equal(ga[0][0], 'b');
  assert.equal([...ga[0][1]], [...big]);
  assert.equal([...ga[1][1]], [1]);
  assert.equal(gb, [['a', new Uint8Array([2, 3])]]);
  assert.equal(b.counters.framesOut, 2);
  assert.equal(b.counters.bytesOut, 60_001);
  assert.equal(a.counters.bytesIn, 60_001);
  await b.close();
  await until(() => a.peers().length === 0, 'a sees b go down');
  await a.close();
});

test('two nodes that dial each other keep exactly one connection, without flapping', async () => {
  const pa = await freePort(), pb = await freePort();
  const events: string[] = [];
  const x = await tcpLink({ id: 'x', listen: pa, connect: ['127.0.0.1:' + pb], backoff: { min: 20, max: 100 } });
  x.on('peer', (p, up) => events.push('x:' + p + (up ? '+' : '-')));
  const y = await tcpLink({ id: 'y', listen: pb, connect: ['127.0.0.1:' + pa], backoff: { min: 20, max: 100 } });
  y.on('peer', (p, up) => events.push('y:' + p + (up ? '+' : '-')));
  await until(() => x.peers().includes('y') && y.peers().includes('x'), 'both up');
  await sleep(400); // several backoff periods: a loop of redial and close would show up as events here
  assert.equal(events.sort(), ['x:y+', 'y:x+']);
  const gy = frames(y), gx = frames(x);
  x.send('y', new Uint8Array([5]));
  y.send('x', new Uint8Array([6]));
  await until(() => gy.length === 1 && gx.length === 1, 'frames over the kept connection');
  await x.close();
  await y.close();
});

test('a dialler reconnects with backoff when its peer restarts on the same port', async () => {
  const port = await freePort();
  let b = await tcpLink({ id: 'b', listen: port });
  const a = await tcpLink({ id: 'a', connect: ['127.0.0.1:' + port], backoff: { min: 20, max: 200 } });
  const errs = errors(a);
  await until(() => a.peers().includes('b'), 'up');
  await b.close();
  await until(() => a.peers().length === 0, 'down');
  await sleep(150); // refused attempts while b is gone
  assert.ok(errs.some((e) => e.code === 'refused' && /cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/.test(e.message)), errs.map(String).join('\n'));
  b = await tcpLink({ id: 'b', listen: port });
  await until(() => a.peers().includes('b'), 'up again', 3000);
  const gb = frames(b);
  a.send('b', new Uint8Array([9]));
  await until(() => gb.length === 1, 'frame after reconnect');
  await a.close();
  await b.close();
});

test('hostile connections: no hello, a bad hello, a huge length; each closed and counted, the link lives on', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, maxFrame: 1000, helloTimeout: 150 });
  const errs = errors(a);
  const silent = await raw(a.port);
  const bad = await raw(a.port);
  bad.write(Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5]));
  const huge = await raw(a.port);
  huge.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  const late = await raw(a.port);
  late.write(frame(Buffer.concat([Buffer.from('PLN1'), Buffer.from('m')])));
  late.write(Buffer.from([0, 0, 0x10, 0])); // 4096 > maxFrame 1000
  await Promise.all([silent, bad, huge, late].map(closed));
  const codes = errs.map((e) => e.code).sort();
  assert.equal(codes, ['decode', 'decode', 'protocol', 'protocol'], errs.map(String).join('\n'));
  assert.ok(errs.some((e) => /no hello from 127\.0\.0\.1:\d+ within 150 ms/.test(e.message)));
  assert.ok(errs.some((e) => /from m: length prefix announces 4096 bytes, limit is 1000/.test(e.message)));
  assert.equal(a.counters.errors, 4);
  assert.equal(a.counters.framesIn, 0);
  // Still serving.
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port] });
  await until(() => a.peers().includes('b'), 'a good peer after the bad ones');
  await b.close();
  await a.close();
});

test('drops: unknown peer, oversize, queue full; a refused listen port rejects with the reason', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, maxFrame: 100, queue: { frames: 2 } });
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port] });
  const errs = errors(a);
  await until(() => a.peers().includes('b'), 'up');
  assert.not.ok(a.send('nobody', new Uint8Array(1)));
  assert.not.ok(a.send('b', new Uint8Array(101)));
  assert.ok(a.send('b', new Uint8Array(1)));
  assert.ok(a.send('b', new Uint8Array(1)));
  assert.not.ok(a.send('b', new Uint8Array(1)), 'a third frame passed a queue of two before the socket flushed');
  assert.equal(errs.map((e) => e.code), ['unreachable', 'oversize', 'queue-full']);
  assert.equal(a.counters.dropped, 3);
  try {
    await tcpLink({ id: 'c', listen: a.port });
    assert.unreachable('listening on a taken port');
  } catch (e) {
    assert.match(String(e), /tcp link: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  }
  await b.close();
  await a.close();
});

function frame(b: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(b.length);
  return Buffer.concat([h, b]);
}

function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.resume(); // read (and discard) what the link sends, so its close reaches us
    s.on('error', reject);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

test('close() flushes what is queued before the FIN: a leaving node\'s last frames arrive', async () => {
  // No receive budget: 12 MB at once is past the default (1 MiB/s, 2 s of burst), which would pace it over
  // seconds (tests/transports/fair.test.ts holds that); this test is about close() flushing.
  const a = await tcpLink({ id: 'a', listen: 0, budget: false });
  // 12 MB: more than the kernel's socket buffers take at once, so most of it is still queued at close.
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port], queue: { bytes: 16 << 20 } });
  const ga = frames(a);
  await until(() => b.peers().includes('a'), 'up');
  for (let i = 0; i < 200; i++) assert.ok(b.send('a', new Uint8Array(60_000).fill(i)));
  await b.close();
  await until(() => ga.length === 200, 'all 200 frames, sent just before close');
  assert.equal(ga.map((f) => f[1][0]), [...Array(200).keys()]);
  await a.close();
});

test.run();
