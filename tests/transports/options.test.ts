/**
 * The links' options go through one checked reader (transports/options.ts over runtime/knobs.ts): every link
 * refuses a value of the wrong type or out of range when it is made, naming the link, the option and its range,
 * and keeps its stated defaults otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { serialLink, SERIAL_DEFAULTS, SERIAL_BACKOFF } from '../../transports/serial.ts';
import { tcpLink } from '../../transports/tcp.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { shape } from '../../transports/shaper.ts';
import { DEFAULT_MAX_FRAME, DEFAULT_MAX_PEERS, DEFAULT_QUEUE } from '../../transports/link.ts';
import { backoffKnobs, linkKnobs, ms } from '../../transports/options.ts';

const MS1 = '(ms, a number from 1 to 2147483647)';

async function refusal(make: () => Promise<unknown>): Promise<string> {
  try {
    await make();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

test('the reader: defaults kept, given values checked, the link\'s other options ignored', () => {
  const d = { keepalive: 1000, peerTimeout: 3500 };
  const r = { keepalive: ms(1), peerTimeout: ms(1) };
  assert.equal(linkKnobs('x link', d, r, { id: 'a', path: '/dev/tty', keepalive: 50 }), { keepalive: 50, peerTimeout: 3500 });
  assert.equal(linkKnobs('x link', d, r, undefined), d);
  assert.throws(() => linkKnobs('x link', d, r, { keepalive: NaN }), /x link: knob keepalive = NaN is out of range/);
  assert.throws(() => linkKnobs('x link', d, r, { peerTimeout: '100' }), /x link: knob peerTimeout = "100" is out of range/);
  assert.equal(backoffKnobs('x link', { min: 100, max: 5000 }, { max: 200 }), { min: 100, max: 200 });
  assert.throws(() => backoffKnobs('x link', { min: 100, max: 5000 }, { min: 0 }), /x link: backoff: knob min = 0 is out of range/);
  assert.throws(() => backoffKnobs('x link', { min: 100, max: 5000 }, { max: 50 }), /x link: backoff max 50 ms is below its min 100 ms/);
  assert.throws(() => backoffKnobs('x link', { min: 100, max: 5000 }, { maximum: 50 }), /x link: backoff: unknown knob "maximum"/);
});

test('every link refuses a bad option when it is made, before it opens anything', async () => {
  const hub = new MemoryHub();
  assert.throws(() => memoryLink(hub, { id: 'a', maxFrame: 0 }), /memory link: knob maxFrame = 0 is out of range \(bytes/);
  assert.throws(() => memoryLink(hub, { id: 'a', maxPeers: 2.5 }), /memory link: knob maxPeers = 2.5 is out of range \(count/);
  assert.throws(() => memoryLink(hub, { id: 'a', queue: { frames: 0 } }), /memory link: queue: knob frames = 0 is out of range/);
  assert.throws(() => memoryLink(hub, { id: 'a', queue: { size: 3 } as never }), /memory link: queue: unknown knob "size"/);
  // The path does not exist: had the options passed, the error would be a not-found LinkError instead.
  const path = '/dev/ttyPOLLEN-NO-SUCH-PORT';
  assert.is(await refusal(() => serialLink({ id: 'a', path, keepalive: 0 })), 'serial link: knob keepalive = 0 is out of range ' + MS1);
  assert.is(await refusal(() => serialLink({ id: 'a', path, backoff: { min: 500, max: 100 } })), 'serial link: backoff max 100 ms is below its min 500 ms');
  assert.match(await refusal(() => serialLink({ id: 'a', path, baudRate: -9600 })), /serial link: knob baudRate = -9600 is out of range \(bit\/s/);
  assert.is(await refusal(() => tcpLink({ id: 'a', helloTimeout: Infinity })), 'tcp link: knob helloTimeout = Infinity is out of range ' + MS1);
  assert.match(await refusal(() => tcpLink({ id: 'a', maxConnections: 0 })), /tcp link: knob maxConnections = 0 is out of range/);
  // No broker at this port; a bad keepalive is refused before any connection is tried.
  assert.match(await refusal(() => mqttLink({ id: 'a', url: 'mqtt://127.0.0.1:1', keepalive: 70000 })), /mqtt link: knob keepalive = 70000 is out of range \(seconds, a whole number from 0 to 65535\)/);
  assert.match(await refusal(() => mqttLink({ id: 'a', url: 'mqtt://127.0.0.1:1', backoff: { min: -1 } })), /mqtt link: backoff: knob min = -1/);
  const l = memoryLink(hub, { id: 'x' });
  assert.throws(() => shape(l, { bitsPerByte: 0 }), /shaped link: knob bitsPerByte = 0 is out of range/);
  assert.throws(() => shape(l, { reorderDelay: -5 }), /shaped link: knob reorderDelay = -5 is out of range/);
  await l.close();
});

test('the stated defaults are what a link takes when given nothing', async () => {
  const hub = new MemoryHub();
  const l = memoryLink(hub, { id: 'a' });
  assert.is(l.maxFrame, DEFAULT_MAX_FRAME);
  assert.is(l.maxPeers, DEFAULT_MAX_PEERS);
  assert.equal([l.queueFrames, l.queueBytes], [DEFAULT_QUEUE.frames, DEFAULT_QUEUE.bytes]);
  await l.close();
  assert.ok(SERIAL_DEFAULTS.keepalive < SERIAL_DEFAULTS.peerTimeout, 'a live but quiet peer is heard before it times out');
  assert.ok(SERIAL_BACKOFF.min <= SERIAL_BACKOFF.max);
});

test.run();
