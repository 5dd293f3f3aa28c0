/**
 * The TCP listener under the attacks of issue 12, over real loopback sockets: dozens of idle connections that
 * sent a hello, dozens that say nothing, and a slow-loris that sends a length prefix and then one byte at a time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Socket } from 'node:net';
import { frame, open } from '../support/rawtcp.ts';
import { tcpLink } from '../../transports/tcp.ts';
import { until, sleep } from '../support/wait.ts';

test('70 idle connections that said hello and 40 that said nothing do not lock the listener', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, idleTimeout: 600, maxConnections: 64, maxPending: 16, helloTimeout: 5000 });
  const socks: Socket[] = [];
  try {
    for (let i = 0; i < 70; i++) {
      const s = await open(a.port).catch(() => undefined);
      if (!s) continue;
      s.on('error', () => {});
      s.write(frame(Buffer.from('PLN1idle' + i)));
      socks.push(s);
    }
    for (let i = 0; i < 40; i++) {
      const s = await open(a.port).catch(() => undefined);
      if (s) {
        s.on('error', () => {});
        socks.push(s);
      }
    }
    const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port], backoff: { min: 50, max: 300 } });
    try {
      await until(() => a.peers().includes('b') && b.peers().includes('a'), 'b gets in', 8000);
      let got = 0;
      a.on('frame', () => got++);
      b.send('a', new Uint8Array([1, 2, 3]));
      await until(() => got === 1, 'a frame from b arrives');
      // The legitimate pair stays up past several idle timeouts: the link's keepalives hold it.
      await sleep(2000);
      assert.ok(a.peers().includes('b'), 'b was closed as idle');
      assert.not.ok(a.peers().some((p) => p.startsWith('idle')), 'idle connections are still up');
    } finally {
      await b.close();
    }
  } finally {
    for (const s of socks) s.destroy();
    await a.close();
  }
});

test('a slow-loris (a length prefix, then one byte at a time) is closed', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, idleTimeout: 500 });
  const s = await open(a.port);
  s.on('error', () => {});
  let closed = false;
  s.on('close', () => (closed = true));
  try {
    s.write(frame(Buffer.from('PLN1loris')));
    await until(() => a.peers().includes('loris'), 'the loris said hello');
    const h = Buffer.alloc(4);
    h.writeUInt32BE(1000, 0);
    s.write(h);
    const t0 = Date.now();
    while (!closed && Date.now() - t0 < 5000) {
      s.write(Buffer.from([7]));
      await sleep(100);
    }
    assert.ok(closed, 'the half-sent frame kept the connection open');
    assert.not.ok(a.peers().includes('loris'));
    console.log('  slow-loris closed after ' + (Date.now() - t0) + ' ms (idleTimeout 500 ms)');
  } finally {
    s.destroy();
    await a.close();
  }
});

test.run();
