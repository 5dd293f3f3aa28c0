import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import type { LinkError } from '../../transports/link.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('frames go from one link to another, copied, after the current turn', async () => {
  const hub = new MemoryHub();
  const a = memoryLink(hub, { id: 'a' });
  const b = memoryLink(hub, { id: 'b' });
  const got: [string, number[]][] = [];
  b.on('frame', (from, bytes) => got.push([from, Array.from(bytes)]));
  const f = new Uint8Array([1, 2, 3]);
  assert.ok(a.send('b', f));
  f[0] = 9; // the sender reusing its buffer must not change what b receives
  assert.equal(got, [], 'delivered inside send');
  await tick();
  assert.equal(got, [['a', [1, 2, 3]]]);
  assert.equal(a.counters.framesOut, 1);
  assert.equal(a.counters.bytesOut, 3);
  assert.equal(b.counters.framesIn, 1);
  assert.equal(b.counters.bytesIn, 3);
  await a.close();
  await b.close();
});

test('peers come up when they join the hub and go down when they close', async () => {
  const hub = new MemoryHub();
  const a = memoryLink(hub, { id: 'a' });
  const seen: string[] = [];
  a.on('peer', (p, up) => seen.push(p + (up ? '+' : '-')));
  const b = memoryLink(hub, { id: 'b' });
  const c = memoryLink(hub, { id: 'c' });
  assert.equal(a.peers(), ['b', 'c']);
  assert.equal(c.peers(), ['a', 'b']);
  await b.close();
  assert.equal(seen, ['b+', 'c+', 'b-']);
  assert.equal(a.peers(), ['c']);
  assert.equal(b.peers(), []);
  assert.throws(() => memoryLink(hub, { id: 'a' }), /already on this hub/);
  await a.close();
  await c.close();
});

test('drops are counted with a reason: unknown peer, oversize, full queue, after close', async () => {
  const hub = new MemoryHub();
  const a = memoryLink(hub, { id: 'a', maxFrame: 8, queue: { frames: 2, bytes: 100 } });
  const b = memoryLink(hub, { id: 'b' });
  const errs: LinkError[] = [];
  a.on('error', (e) => errs.push(e));
  let n = 0;
  b.on('frame', () => n++);
  assert.not.ok(a.send('zz', new Uint8Array(1)));
  assert.not.ok(a.send('b', new Uint8Array(9)));
  assert.ok(a.send('b', new Uint8Array(1)));
  assert.ok(a.send('b', new Uint8Array(1)));
  assert.not.ok(a.send('b', new Uint8Array(1)), 'third frame passed a queue of two');
  await tick();
  assert.equal(n, 2);
  assert.ok(a.send('b', new Uint8Array(1)), 'queue drained, room again');
  await a.close(); // delivers what it still holds: a leaving node's last frames must go out
  assert.equal(n, 3);
  assert.not.ok(a.send('b', new Uint8Array(1)));
  assert.equal(errs.map((e) => e.code), ['unreachable', 'oversize', 'queue-full', 'closed']);
  assert.match(errs[1].message, /memory link: frame of 9 bytes to b exceeds maxFrame 8/);
  assert.equal(a.counters.dropped, 4);
  await b.close();
});

test('a frame without a listener is counted as dropped, not lost silently', async () => {
  const hub = new MemoryHub();
  const a = memoryLink(hub, { id: 'a' });
  const b = memoryLink(hub, { id: 'b' });
  a.send('b', new Uint8Array(4));
  await tick();
  assert.equal(b.counters.framesIn, 1);
  assert.equal(b.counters.dropped, 1);
  await a.close();
  await b.close();
});

test('the peer set is bounded: past maxPeers a newcomer is ignored and counted', async () => {
  const hub = new MemoryHub();
  const a = memoryLink(hub, { id: 'a', maxPeers: 2 });
  const errs: LinkError[] = [];
  a.on('error', (e) => errs.push(e));
  const others = ['b', 'c', 'd'].map((id) => memoryLink(hub, { id }));
  assert.equal(a.peers(), ['b', 'c']);
  assert.equal(errs.map((e) => e.code), ['protocol']);
  assert.match(errs[0].message, /peer d ignored: 2 peers are up already \(maxPeers 2\)/);
  await others[0].close();
  assert.equal(a.peers(), ['c']);
  for (const l of [a, ...others]) await l.close();
});

test.run();
