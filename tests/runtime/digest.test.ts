import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fnv1a } from '../../runtime/digest.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The reference definition with BigInt, to hold the board-safe multiply to it. */
function reference(b: Uint8Array): number {
  let h = 0x811c9dc5n;
  for (const x of b) h = ((h ^ BigInt(x)) * 16777619n) % 4294967296n;
  return Number(h);
}

test('published FNV-1a 32-bit vectors', () => {
  assert.is(fnv1a(bytes('')), 0x811c9dc5);
  assert.is(fnv1a(bytes('a')), 0xe40c292c);
  assert.is(fnv1a(bytes('foobar')), 0xbf9cf968);
});

test('matches the BigInt reference on random bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => fnv1a(b) === reference(b)), { numRuns: 500 });
});

test.run();
