/**
 * transports/hello.ts, the hello of the serial and BLE links (and the id decoder TCP's hello uses too), and the
 * one peer-id bound every link holds itself and its peers to.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DATA, HEARD, HELLO, dataFrame, helloFrame, helloId } from '../../transports/hello.ts';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { tcpLink } from '../../transports/tcp.ts';
import { serialLink } from '../../transports/serial.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

test('the frames, byte for byte', () => {
  assert.equal([HELLO, DATA, HEARD], [1, 2, 1]);
  assert.equal([...helloFrame(utf8('pi'), false)], [1, 0, 0x70, 0x69]);
  assert.equal([...helloFrame(utf8('pi'), true)], [1, 1, 0x70, 0x69]);
  assert.equal([...dataFrame(new Uint8Array([0, 9]))], [2, 0, 9]);
  assert.equal([...dataFrame(new Uint8Array(0))], [2]);
});

test('helloId: 1 to 64 bytes of well-formed UTF-8, anything else is no id', () => {
  assert.is(helloId(helloFrame(utf8('puck-1'), false), 2), 'puck-1');
  assert.is(helloId(helloFrame(utf8('水'.repeat(21) + 'a'), false), 2), '水'.repeat(21) + 'a');
  assert.is(helloId(helloFrame(utf8('x'.repeat(64)), false), 2), 'x'.repeat(64));
  assert.is(helloId(helloFrame(utf8('x'.repeat(65)), false), 2), '', 'past the bound');
  assert.is(helloId(new Uint8Array([1, 0]), 2), '', 'empty');
  assert.is(helloId(new Uint8Array([1, 0, 0xc0, 0x80]), 2), '', 'an overlong NUL');
  assert.is(helloId(new Uint8Array([1, 0, 0xed, 0xa0, 0x80]), 2), '', 'an encoded surrogate');
  assert.is(helloId(new Uint8Array([1, 0, 0x61, 0xe6, 0xb0]), 2), '', 'cut off');
  assert.is(helloId(new Uint8Array([0x50, 0x4c, 0x4e, 0x31, 0x61]), 4), 'a', 'after TCP\'s PLN1');
});

test('every link refuses an id past 64 bytes for itself, before it opens anything', async () => {
  const long = 'x'.repeat(65);
  const want = /link: peer id "x{20}\.\.\." is 65 bytes of UTF-8, at most 64/;
  assert.throws(() => memoryLink(new MemoryHub(), { id: long }), want);
  for (const make of [() => tcpLink({ id: long, listen: 0 }), () => serialLink({ id: long, path: '/dev/ttyPOLLEN-NO-SUCH-PORT' })]) {
    try {
      await make();
      assert.unreachable('a link took an id of 65 bytes');
    } catch (e) {
      assert.match((e as Error).message, want);
    }
  }
});

test.run();
