/**
 * The TCP link with the cluster keys (transports/tcpproof.ts), over real loopback sockets: a connection is a peer
 * only once it proved a key. A stranger that names a real peer's id does not take its connection, and strangers
 * that say hello and then send keepalives are closed at helloTimeout instead of holding the listener's slots.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { frame, open } from '../support/rawtcp.ts';
import { tcpLink, type TcpLink } from '../../transports/tcp.ts';
import { until, sleep } from '../support/wait.ts';

const K1 = { id: 1, key: new Uint8Array(randomBytes(32)) };
const K2 = { id: 2, key: new Uint8Array(randomBytes(32)) };

function errors(l: TcpLink): string[] {
  const out: string[] = [];
  l.on('error', (e) => out.push(e.message));
  return out;
}

test('two ends with the key become peers and carry frames; a wrong key or none never does', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, keys: [K1] });
  const errs = errors(a);
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port], keys: [K1], backoff: { min: 50, max: 200 } });
  const c = await tcpLink({ id: 'c', connect: ['127.0.0.1:' + a.port], keys: [{ id: 1, key: new Uint8Array(randomBytes(32)) }], backoff: { min: 50, max: 200 } });
  const d = await tcpLink({ id: 'd', connect: ['127.0.0.1:' + a.port], backoff: { min: 50, max: 200 } });
  try {
    await until(() => a.peers().includes('b') && b.peers().includes('a'), 'b and a are peers');
    const got: number[][] = [];
    a.on('frame', (_p, bytes) => got.push([...bytes]));
    b.send('a', new Uint8Array([7, 8]));
    await until(() => got.length === 1, 'a frame from b arrives');
    assert.equal(got[0], [7, 8]);
    await until(() => errs.filter((m) => /no proof of the cluster key/.test(m)).length >= 1, 'c\'s proof fails');
    await until(() => errs.filter((m) => /without the cluster key/.test(m)).length >= 1, 'd\'s keyless hello is refused');
    assert.equal(a.peers(), ['b']);
    assert.equal(c.peers(), []);
    assert.equal(d.peers(), []);
  } finally {
    await Promise.all([b.close(), c.close(), d.close()]);
    await a.close();
  }
});

test('a stranger naming a real peer\'s id does not take its connection', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, keys: [K1] });
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port], keys: [K1], backoff: { min: 50, max: 200 } });
  const socks: Socket[] = [];
  try {
    await until(() => a.peers().includes('b'), 'b is a peer');
    // Replacing a connection is no peer-down on a's side, but b sees its own connection closed.
    let downs = 0;
    b.on('peer', (p, up) => { if (p === 'a' && !up) downs++; });
    // Keyed hellos that name b (with a nonce), then a made-up proof, then keepalives; and one that names b and
    // repeats a hello where its proof should be.
    for (let i = 0; i < 3; i++) {
      const s = await open(a.port);
      s.on('error', () => {});
      s.on('data', () => {}); // read what a sends, so that its close is seen
      s.write(frame(Buffer.concat([Buffer.from('PLK1'), randomBytes(16), Buffer.from('b')])));
      s.write(frame(i === 2 ? Buffer.concat([Buffer.from('PLK1'), randomBytes(16), Buffer.from('b')]) : Buffer.concat([Buffer.from([1]), randomBytes(16)])));
      s.write(frame(Buffer.alloc(0)));
      socks.push(s);
    }
    // And the plain hello that named b before keys existed ("PLN1" and the id): without keys it took b's place.
    const plain = await open(a.port);
    plain.on('error', () => {});
    plain.on('data', () => {});
    plain.write(frame(Buffer.from('PLN1b')));
    socks.push(plain);
    await sleep(300);
    assert.is(downs, 0, 'b\'s connection was taken');
    const got: number[][] = [];
    b.on('frame', (_p, bytes) => got.push([...bytes]));
    a.send('b', new Uint8Array([1]));
    await until(() => got.length === 1, 'a frame from a still reaches the real b');
    for (const s of socks) assert.ok(s.destroyed || s.readableEnded || (await closed(s)), 'a stranger\'s connection is still open');
  } finally {
    for (const s of socks) s.destroy();
    await b.close();
    await a.close();
  }
});

test('strangers that say hello, then keepalives or nothing, are closed (at once, or at helloTimeout); a peer with the key gets in', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, keys: [K1], maxPending: 16, helloTimeout: 400 });
  const socks: Socket[] = [];
  let keep: NodeJS.Timeout | undefined;
  try {
    for (let i = 0; i < 16; i++) {
      const s = await open(a.port);
      s.on('error', () => {});
      s.on('data', () => {});
      s.write(frame(Buffer.concat([Buffer.from('PLK1'), randomBytes(16), Buffer.from('s' + i)])));
      socks.push(s);
    }
    // Half of them send link keepalives (taken as a proof, and failing), half stay silent after the hello.
    keep = setInterval(() => { for (let i = 0; i < socks.length; i += 2) if (!socks[i].destroyed) socks[i].write(frame(Buffer.alloc(0))); }, 50);
    await until(() => socks.every((s) => s.destroyed || s.readableEnded), 'the strangers are closed', 3000);
    const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port], keys: [K1], backoff: { min: 50, max: 200 } });
    try {
      await until(() => a.peers().includes('b'), 'b gets in');
      assert.equal(a.peers(), ['b']);
    } finally {
      await b.close();
    }
  } finally {
    clearInterval(keep);
    for (const s of socks) s.destroy();
    await a.close();
  }
});

test('rotation: ends that prove with the new key and ends that still prove with the old one, both holding both, connect', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, keys: [K1] });
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port], keys: [K1], backoff: { min: 50, max: 200 } });
  try {
    await until(() => a.peers().includes('b') && b.peers().includes('a'), 'peers on K1');
    a.setKeys([K2, K1]);
    const c = await tcpLink({ id: 'c', connect: ['127.0.0.1:' + a.port], keys: [K2], backoff: { min: 50, max: 200 } });
    // e has not switched yet: it proves with K1 and accepts K2 (the first step of a rotation, PROTOCOL.md).
    const e = await tcpLink({ id: 'e', connect: ['127.0.0.1:' + a.port], keys: [K1, K2], backoff: { min: 50, max: 200 } });
    try {
      await until(() => a.peers().includes('c') && a.peers().includes('e'), 'c (new key) and e (old key) get in');
      await until(() => c.peers().includes('a') && e.peers().includes('a'), 'a\'s proof with K2 is accepted by both');
      // b connected on K1 before the switch and stays up.
      assert.ok(a.peers().includes('b'));
    } finally {
      await Promise.all([c.close(), e.close()]);
    }
  } finally {
    await b.close();
    await a.close();
  }
});

function closed(s: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), 1000);
    s.once('close', () => { clearTimeout(t); resolve(true); });
  });
}

test.run();
