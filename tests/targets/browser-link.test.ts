/**
 * A page's MQTT link (targets/browser/mqtt.ts) run on Node against the embedded aedes broker's WebSocket
 * listener, with the Node link (transports/mqtt.ts) as its peer and a plain MQTT client as a stranger on the
 * broker: the two links agree on topics and presence, the page link drops what a stranger sends outside the
 * rules (and counts it), keeps its send queue to its bounds while offline, and clears its presence on close.
 * The browser test (browser.test.ts) runs the same link in Chromium through a whole page.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { startBroker } from '../../transports/broker.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { DEFAULT_MAX_FRAME, DEFAULT_QUEUE } from '../../transports/link.ts';
import { pageLink } from '../../targets/browser/mqtt.ts';
import { until } from '../support/wait.ts';

const ROOT = 'pl-test/pages';

test('a page link and a Node link find each other by presence, trade frames, and a close is seen at once', async () => {
  const broker = await startBroker({ ws: true });
  const page = pageLink({ id: 'web-1', url: broker.wsUrl!, root: ROOT });
  const gw = await mqttLink({ id: 'gw', url: broker.url, root: ROOT, protocolVersion: 4 });
  const atPage: string[] = [];
  const atGw: string[] = [];
  page.on('frame', (from, b) => atPage.push(from + ':' + Array.from(b).join(',')));
  gw.on('frame', (from, b) => atGw.push(from + ':' + Array.from(b).join(',')));
  await until(() => page.connected() && page.peers().includes('gw') && gw.peers().includes('web-1'), 'both present to each other', 10_000);
  assert.ok(page.send('gw', new Uint8Array([1, 2])));
  gw.send('web-1', new Uint8Array([3]));
  await until(() => atPage.length === 1 && atGw.length === 1, 'a frame each way', 10_000);
  assert.equal(atPage, ['gw:3']);
  assert.equal(atGw, ['web-1:1,2']);
  assert.is(page.counters.framesOut, 1);
  assert.is(page.counters.framesIn, 1);
  await page.close();
  await until(() => !gw.peers().includes('web-1'), 'the gateway sees the page leave (its presence cleared)', 10_000);
  assert.not.ok(page.send('gw', new Uint8Array([1])), 'no send after close');
  await gw.close();
  await broker.close();
});

test('what a stranger publishes outside the rules is dropped and counted; frames within them are counted in and out of the budget', async () => {
  const broker = await startBroker({ ws: true });
  const page = pageLink({ id: 'web-2', url: broker.wsUrl!, root: ROOT });
  const got: string[] = [];
  const codes: string[] = [];
  page.on('frame', (from) => got.push(from));
  page.on('error', (e) => codes.push(e.code));
  await until(() => page.connected(), 'the page link connects', 10_000);
  const evil = mqtt.connect(broker.url, { protocolVersion: 4 });
  await new Promise<void>((r) => evil.on('connect', () => r()));
  const pub = (topic: string, payload: Uint8Array, retain = false) => new Promise<void>((r) => evil.publish(topic, payload as Buffer, { qos: 1, retain }, () => r()));
  const inbox = ROOT + '/inbox/web-2/';
  await pub(inbox + 'x'.repeat(65), new Uint8Array([1])); // a sender id past 64 bytes
  await pub(inbox + 'web-2', new Uint8Array([1])); // a frame claiming to come from the page itself
  await pub(ROOT + '/presence/liar', new Uint8Array(65).fill(0x31)); // a presence payload past 64 bytes
  await pub(ROOT + '/presence/' + 'y'.repeat(65), new Uint8Array([0x31])); // no peer id: not ours, ignored
  await pub(inbox + 'big', new Uint8Array(DEFAULT_MAX_FRAME + 1)); // past maxFrame
  const sent = 50;
  for (let i = 0; i < sent; i++) await pub(inbox + 'evil', new Uint8Array([i]));
  await pub(ROOT + '/presence/evil', new Uint8Array([0x31]));
  await until(() => page.peers().includes('evil'), 'the well-formed presence is taken', 10_000);
  await until(() => page.counters.framesIn + page.counters.throttled === sent, 'every well-formed frame is delivered or counted past the budget', 10_000);
  assert.is(got.length, page.counters.framesIn, 'what was counted in was delivered');
  assert.ok(got.every((f) => f === 'evil'), got.join());
  assert.not.ok(page.peers().includes('liar'), 'an oversized presence is ignored');
  assert.is(page.counters.dropped, 3 + page.counters.throttled, 'the long sender id, the self-claim and the oversized frame were dropped');
  assert.ok(page.counters.errors >= 1, 'the oversized presence is counted under errors');
  assert.ok(codes.includes('protocol') && codes.includes('oversize'), codes.join());
  evil.end(true);
  await page.close();
  await broker.close();
});

test('offline, the send queue keeps its bounds: half of it per peer, then all of it, tail drop past either', async () => {
  const probe = await startBroker({ ws: true });
  const url = probe.wsUrl!;
  await probe.close();
  const page = pageLink({ id: 'web-3', url, root: ROOT });
  const codes: string[] = [];
  page.on('error', (e) => codes.push(e.code));
  const half = DEFAULT_QUEUE.frames / 2;
  let a = 0;
  while (a <= half && page.send('gw-a', new Uint8Array([1]))) a++;
  assert.is(a, half, 'frames to one peer hold at most half the queue');
  let b = 0;
  while (b <= half && page.send('gw-b', new Uint8Array([1]))) b++;
  assert.is(b, half);
  assert.not.ok(page.send('gw-c', new Uint8Array([1])), 'the whole queue is full');
  assert.not.ok(page.send('gw-c', new Uint8Array(DEFAULT_MAX_FRAME + 1)), 'a frame past maxFrame is refused');
  assert.not.ok(page.send('a/b', new Uint8Array([1])), 'an id that is no topic level is refused');
  assert.ok(codes.includes('queue-full') && codes.includes('oversize') && codes.includes('unreachable'), codes.join());
  assert.is(page.counters.dropped, 5);
  assert.not.ok(page.connected());
  await page.close();
});

test('bad options throw when the link is made', () => {
  assert.throws(() => pageLink({ id: 'a/b', url: 'ws://127.0.0.1:9', root: ROOT }), /reserve/);
  assert.throws(() => pageLink({ id: 'web', url: 'ws://127.0.0.1:9', root: 'r/' }), /root/);
  assert.throws(() => pageLink({ id: 'web', url: 'ws://127.0.0.1:9', root: ROOT, keepalive: -1 }), /keepalive/);
});

test.run();
