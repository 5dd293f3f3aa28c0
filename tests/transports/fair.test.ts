/**
 * Fair links (issue 12): a peer that sends at full rate gets its receive budget and no more, and an honest peer
 * sending at the same time loses nothing. Real loopback sockets for TCP, the embedded aedes broker (or MQTT_URL)
 * and a plain MQTT client as the attacker for MQTT; the budget's own rules on a given clock.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { frame, open } from '../support/rawtcp.ts';
import { PeerBudgets } from '../../transports/budget.ts';
import { tcpLink } from '../../transports/tcp.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { testBroker } from '../support/broker.ts';
import { until, sleep } from '../support/wait.ts';

test('a budget admits its burst, then its rate; charge goes into debt and says how long to rest', () => {
  const b = new PeerBudgets({ frames: 10, bytes: 1000, burst: 2 });
  let n = 0;
  while (b.admit('p', 10, 0)) n++;
  assert.is(n, 20, 'the burst is 2 s of 10 frames');
  assert.not.ok(b.admit('p', 10, 50), 'nothing refilled within 50 ms');
  assert.ok(b.admit('p', 10, 100), 'one frame refilled after 100 ms');
  assert.ok(b.admit('q', 10, 100), 'another peer has its own budget');
  assert.not.ok(b.admit('q', 2001, 100), 'a frame past the byte budget is refused');
  const c = new PeerBudgets({ frames: 100, bytes: 1 << 20, burst: 1 });
  assert.is(c.charge('p', 100, 10, 0), 0);
  assert.is(c.charge('p', 50, 10, 0), 500, '50 frames of debt at 100 a second: rest 500 ms');
});

test('when the table is full, newcomers share one overflow budget and known peers keep theirs', () => {
  const b = new PeerBudgets({ frames: 5, bytes: 1 << 20, burst: 1, maxPeers: 4 });
  for (let i = 0; i < 4; i++) assert.ok(b.admit('known' + i, 1, 0));
  let fresh = 0;
  for (let i = 0; i < 1000; i++) if (b.admit('fake' + i, 1, 10)) fresh++;
  assert.is(fresh, 5, 'a thousand made-up ids get one budget between them');
  assert.is(b.size(), 4);
  for (let i = 0; i < 4; i++) assert.ok(b.admit('known' + i, 1, 20), 'known peers were not evicted');
  // Once the known peers have been quiet long enough (full buckets), a newcomer gets a bucket of its own.
  assert.ok(b.admit('late', 1, 5000));
  assert.ok(b.admit('late', 1, 5000));
  assert.ok(b.size() <= 4);
});

test('TCP: a connection flooding at full rate is paused at its budget; an honest peer loses nothing', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, budget: { frames: 300, bytes: 1 << 20, burst: 1 } });
  const evil = await open(a.port);
  evil.on('error', () => {});
  let evilClosed = false;
  evil.on('close', () => (evilClosed = true));
  const b = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + a.port], backoff: { min: 50, max: 300 } });
  const got: { [from: string]: number } = { evil: 0, b: 0 };
  const delays: number[] = [];
  a.on('frame', (from, bytes) => {
    got[from] = (got[from] || 0) + 1;
    if (from === 'b') delays.push(Date.now() - Number(Buffer.from(bytes).toString()));
  });
  try {
    evil.write(frame(Buffer.from('PLN1evil')));
    await until(() => a.peers().includes('evil') && a.peers().includes('b'), 'both said hello');
    // 200 frames of 40 bytes per write, as fast as the socket takes them.
    const burst = Buffer.concat(Array.from({ length: 200 }, () => frame(Buffer.alloc(40, 0x85))));
    let flooding = true;
    let written = 0;
    const pump = async () => {
      while (flooding && !evil.destroyed) {
        written += 200;
        if (!evil.write(burst)) {
          await new Promise<void>((r) => {
            evil.once('drain', () => r());
            evil.once('close', () => r());
          });
        }
      }
    };
    const t0 = Date.now();
    const p = pump();
    for (let i = 0; i < 40; i++) {
      b.send('a', Buffer.from(String(Date.now())));
      await sleep(50);
    }
    await until(() => got.b === 40, 'every honest frame arrives', 5000);
    const secs = (Date.now() - t0) / 1000;
    flooding = false;
    assert.ok(a.peers().includes('evil') && !evilClosed, 'the flooder is paused, not cut off');
    evil.destroy();
    await p;
    const rate = got.evil / secs;
    console.log('  tcp flood: ' + written + ' frames written, ' + got.evil + ' delivered in ' + secs.toFixed(1) + ' s (' + rate.toFixed(0) +
      '/s, budget 300/s + 300 burst), throttled ' + a.counters.throttled + '; honest frames 40/40, worst delay ' + Math.max(...delays) + ' ms');
    assert.ok(written > got.evil * 2, 'the flood was not faster than the budget: the test proves nothing');
    // The budget plus its burst, plus one socket read (at most 64 KB, 1,456 such frames) of debt.
    assert.ok(got.evil <= 300 * secs + 300 + 1500, 'the flooder got past its budget: ' + got.evil + ' in ' + secs + ' s');
    assert.ok(a.counters.throttled > 0);
    assert.ok(Math.max(...delays) < 1000, 'an honest frame waited ' + Math.max(...delays) + ' ms');
  } finally {
    evil.destroy();
    await b.close();
    await a.close();
  }
});

test('TCP: a half-sent frame is closed after idleTimeout even while the sender is paused for its budget', async () => {
  const a = await tcpLink({ id: 'a', listen: 0, idleTimeout: 400, budget: { frames: 5, bytes: 1 << 20, burst: 1 } });
  const s = await open(a.port);
  s.on('error', () => {});
  let closed = false;
  s.on('close', () => (closed = true));
  try {
    s.write(Buffer.concat([frame(Buffer.from('PLN1half')), ...Array.from({ length: 50 }, () => frame(Buffer.alloc(3)))]));
    await until(() => a.peers().includes('half'), 'hello');
    const h = Buffer.alloc(4);
    h.writeUInt32BE(100, 0);
    s.write(h);
    const t0 = Date.now();
    while (!closed && Date.now() - t0 < 8000) {
      s.write(Buffer.from([1]));
      await sleep(100);
    }
    assert.ok(closed, 'the half-sent frame kept the connection');
  } finally {
    s.destroy();
    await a.close();
  }
});

test('MQTT: a client publishing at full rate under one id, then under thousands, gets its budget; an honest peer loses nothing', async () => {
  const br = await testBroker();
  const o = { url: br.url, protocolVersion: br.protocolVersion, root: br.root, keepalive: 5 };
  const a = await mqttLink({ id: 'a', ...o, budget: { frames: 200, bytes: 1 << 20, burst: 1, maxPeers: 8 } });
  const b = await mqttLink({ id: 'b', ...o });
  const evil = await mqtt.connectAsync(br.url, { protocolVersion: br.protocolVersion, clientId: 'evil-' + process.pid });
  const got: { [from: string]: number } = {};
  let fakes = 0;
  let flooding = true;
  a.on('frame', (from) => {
    if (from.startsWith('fake')) fakes++;
    else got[from] = (got[from] || 0) + 1;
  });
  try {
    await until(() => a.peers().includes('b'), 'a sees b');
    const payload = Buffer.alloc(60, 0x85);
    const t0 = Date.now();
    let sent = 0;
    const pump = async () => {
      let i = 0;
      while (flooding) {
        const id = sent < 6000 ? 'evil' : 'fake' + i++;
        evil.publish(br.root + '/inbox/a/' + id, payload, { qos: 0 });
        sent++;
        if ((sent & 255) === 0) await sleep(0);
      }
    };
    const p = pump();
    for (let i = 0; i < 30; i++) {
      b.send('a', new Uint8Array([i]));
      await sleep(50);
    }
    await until(() => got.b === 30, 'every honest frame arrives', 8000);
    flooding = false;
    await p;
    const secs = (Date.now() - t0) / 1000;
    console.log('  mqtt flood: ' + sent + ' frames published, ' + (got.evil || 0) + ' from "evil" and ' + fakes + ' from made-up ids delivered in ' +
      secs.toFixed(1) + ' s (budget 200/s + 200 burst each, 8 peers then one shared), ' + a.counters.throttled + ' dropped; honest 30/30');
    assert.ok(sent > 6000);
    assert.ok((got.evil || 0) <= 200 * secs + 200, 'the flooder got past its budget');
    assert.ok(fakes <= 8 * (200 * secs + 200), 'made-up ids multiplied the budget: ' + fakes);
    assert.ok(a.counters.throttled > 0 && a.counters.dropped >= a.counters.throttled);
  } finally {
    flooding = false;
    await evil.endAsync();
    await b.close();
    await a.close();
    await br.close();
  }
});

test('MQTT: frames to one peer hold at most their share of the send queue', async () => {
  // A broker that is not there: every frame waits in the offline queue, so the bound is exact.
  const a = await mqttLink({ id: 'a', url: 'mqtt://127.0.0.1:1', offlineStart: true, backoff: { min: 10000, max: 10000 }, queue: { frames: 100, bytes: 1 << 20 }, queueShare: 0.25 });
  try {
    let toX = 0;
    for (let i = 0; i < 200; i++) if (a.send('x', new Uint8Array(10))) toX++;
    assert.is(toX, 25, 'a quarter of 100 frames');
    let toY = 0;
    for (let i = 0; i < 200; i++) if (a.send('y', new Uint8Array(10))) toY++;
    assert.is(toY, 25);
    assert.ok(a.send('z', new Uint8Array(10)), 'a third peer still has room');
  } finally {
    await a.close();
  }
});

test.run();
