/**
 * The embedded broker's WebSocket listener and the MQTT link's offline start, on Node with the real aedes: a
 * link over ws:// meets a link over TCP on one broker; a link started with `offlineStart` while no broker
 * listens resolves at once, keeps its frames, and connects and delivers them once a broker comes up on that port.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBroker } from '../../transports/broker.ts';
import { mqttLink, type MqttLink } from '../../transports/mqtt.ts';

async function until(what: string, f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out waiting for: ' + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a link over WebSockets and a link over TCP reach each other through one broker', async () => {
  const broker = await startBroker({ ws: true });
  assert.match(broker.wsUrl!, /^ws:\/\/127\.0\.0\.1:\d+$/);
  const a = await mqttLink({ id: 'a', url: broker.wsUrl, protocolVersion: 4 });
  const b = await mqttLink({ id: 'b', url: broker.url, protocolVersion: 4 });
  const got: string[] = [];
  a.on('frame', (from, bytes) => got.push(from + ':' + Array.from(bytes).join(',')));
  await until('each sees the other present', () => a.peers().includes('b') && b.peers().includes('a'));
  b.send('a', new Uint8Array([1, 2, 3]));
  await until('a gets the frame', () => got.length === 1);
  assert.equal(got, ['b:1,2,3']);
  assert.ok(a.connected());
  await a.close();
  await b.close();
  await broker.close();
});

test('the WebSocket listener refuses plain HTTP and stops with the broker', async () => {
  const broker = await startBroker({ ws: true });
  const r = await fetch('http://127.0.0.1:' + broker.wsPort + '/');
  assert.is(r.status, 426);
  await broker.close();
  assert.not.ok(await fetch('http://127.0.0.1:' + broker.wsPort + '/').then(() => true, () => false), 'nothing listens after close');
});

test('offlineStart: resolves without a broker, queues, and connects when one comes up on that port', async () => {
  const probe = await startBroker();
  const port = probe.port;
  await probe.close();
  const errors: string[] = [];
  let link: MqttLink | undefined;
  const t0 = Date.now();
  link = await mqttLink({ id: 'late', url: 'mqtt://127.0.0.1:' + port, protocolVersion: 4, offlineStart: true, backoff: { min: 300, max: 300 } });
  link.on('error', (e) => errors.push(e.code));
  assert.ok(Date.now() - t0 < 1000, 'resolved at once');
  assert.not.ok(link.connected());
  assert.ok(link.send('other', new Uint8Array([9])), 'a frame is queued while offline');
  await until('a failed attempt is reported', () => errors.length > 0);
  assert.ok(errors.every((c) => c === 'refused'), errors.join());

  const broker = await startBroker({ port });
  const other = await mqttLink({ id: 'other', url: broker.url, protocolVersion: 4 });
  const got: number[] = [];
  other.on('frame', (from, bytes) => from === 'late' && got.push(bytes[0]));
  await until('the late link connects', () => link!.connected());
  await until('the queued frame arrives', () => got.length === 1);
  assert.equal(got, [9]);
  await link.close();
  await other.close();
  await broker.close();
});

test('retryNow: a link waiting out a long backoff tries at once when told the network is back', async () => {
  const probe = await startBroker();
  const port = probe.port;
  await probe.close();
  const link = await mqttLink({ id: 'r', url: 'mqtt://127.0.0.1:' + port, protocolVersion: 4, offlineStart: true, backoff: { min: 60_000, max: 60_000 } });
  link.on('error', () => {});
  await new Promise((r) => setTimeout(r, 300)); // the first attempt failed; the next is 30..60 s away
  const broker = await startBroker({ port });
  assert.not.ok(link.connected());
  link.retryNow();
  await until('connected long before the backoff ran out', () => link.connected(), 5000);
  await link.close();
  await broker.close();
});

test('offlineStart: a link that never reached a broker closes cleanly', async () => {
  const link = await mqttLink({ id: 'x', url: 'mqtt://127.0.0.1:9', protocolVersion: 4, offlineStart: true, backoff: { min: 50, max: 100 } });
  await new Promise((r) => setTimeout(r, 300));
  await link.close();
  assert.not.ok(link.connected());
});

test.run();
