/**
 * Both wire codecs against every example of RFC 8949 Appendix A (vectors/cbor-rfc-appendix-a.json; its README
 * names the source and how the file was made): an example inside Pollen's subset decodes to the expected value
 * and, where the RFC's encoding is the deterministic one, encodes back byte for byte; an example outside it is a
 * DecodeError with the reason listed below.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as portable from '../../crdt/codec/cbor.ts';
import * as cborx from '../../crdt/codec/cborx.ts';
import { DecodeError } from '../../crdt/errors.ts';
import type { Item, ItemMap } from '../../crdt/types.ts';

interface Vector {
  hex: string;
  roundtrip: boolean;
  decoded?: unknown;
  diagnostic?: string;
}

const VECTORS: Vector[] = JSON.parse(
  readFileSync(new URL('./vectors/cbor-rfc-appendix-a.json', import.meta.url), 'utf8'),
);

const CODECS: [string, { encode(x: Item): Uint8Array; decode(b: Uint8Array): Item }][] = [['cbor.ts', portable], ['cborx.ts', cborx]];

const NON_CANONICAL = 'non-canonical';

/** The examples outside the subset, and why each is refused. */
const OUTSIDE: { [hex: string]: string } = {
  // Integers past ±(2^53-1), and the bignum tags.
  '1bffffffffffffffff': 'range',
  '3bffffffffffffffff': 'range',
  'c249010000000000000000': 'tag',
  'c349010000000000000000': 'tag',
  // Floats that hold integers: the deterministic form of 0, 1, 65504, 100000 and -4 is an integer.
  'f90000': NON_CANONICAL,
  'f93c00': NON_CANONICAL,
  'f97bff': NON_CANONICAL,
  'fa47c35000': NON_CANONICAL,
  'f9c400': NON_CANONICAL,
  // Infinity and NaN in more bytes than a half.
  'fa7f800000': NON_CANONICAL,
  'fa7fc00000': NON_CANONICAL,
  'faff800000': NON_CANONICAL,
  'fb7ff0000000000000': NON_CANONICAL,
  'fb7ff8000000000000': NON_CANONICAL,
  'fbfff0000000000000': NON_CANONICAL,
  // undefined and the other simple values.
  'f7': 'simple',
  'f0': 'simple',
  'f818': 'simple',
  'f8ff': 'simple',
  // Tags.
  'c074323031332d30332d32315432303a30343a30305a': 'tag',
  'c11a514b67b0': 'tag',
  'c1fb41d452d9ec200000': 'tag',
  'd74401020304': 'tag',
  'd818456449455446': 'tag',
  'd82076687474703a2f2f7777772e6578616d706c652e636f6d': 'tag',
  // A map with integer keys.
  'a201020304': 'key-type',
  // Indefinite lengths.
  '5f42010243030405ff': 'indefinite',
  '7f657374726561646d696e67ff': 'indefinite',
  '9fff': 'indefinite',
  '9f018202039f0405ffff': 'indefinite',
  '9f01820203820405ff': 'indefinite',
  '83018202039f0405ff': 'indefinite',
  '83019f0203ff820405': 'indefinite',
  '9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff': 'indefinite',
  'bf61610161629f0203ffff': 'indefinite',
  '826161bf61626163ff': 'indefinite',
  'bf6346756ef563416d7421ff': 'indefinite',
};

const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The expected item of an example inside the subset: its JSON value, or one of the few diagnostics used. */
function expected(v: Vector): Item {
  if ('decoded' in v) return toItem(v.decoded);
  const d = v.diagnostic!;
  const h = /^h'([0-9a-f]*)'$/.exec(d);
  if (h) return bytes(h[1]);
  if (d === 'Infinity') return Infinity;
  if (d === '-Infinity') return -Infinity;
  if (d === 'NaN') return NaN;
  throw new Error('no expectation for the diagnostic ' + d + ' (' + v.hex + ')');
}

function toItem(j: unknown): Item {
  if (Array.isArray(j)) return j.map(toItem);
  if (j !== null && typeof j === 'object') {
    const m: ItemMap = {};
    for (const k of Object.keys(j)) m[k] = toItem((j as { [k: string]: unknown })[k]);
    return m;
  }
  return j as Item;
}

function same(actual: unknown, want: Item, what: string): void {
  if (typeof want === 'number') assert.ok(Object.is(actual, want), what + ': expected ' + String(want) + ', got ' + String(actual));
  else if (want instanceof Uint8Array) {
    assert.ok(actual instanceof Uint8Array && actual.constructor === Uint8Array, what + ': expected a plain Uint8Array');
    assert.is(hex(actual as Uint8Array), hex(want), what);
  } else if (Array.isArray(want)) {
    assert.ok(Array.isArray(actual) && actual.length === want.length, what + ': array length');
    want.forEach((w, i) => same((actual as unknown[])[i], w, what + '[' + i + ']'));
  } else if (want !== null && typeof want === 'object') {
    assert.equal(Object.keys(actual as object).sort(), Object.keys(want).sort(), what + ': keys');
    for (const k of Object.keys(want)) same((actual as ItemMap)[k], want[k], what + '.' + k);
  } else assert.is(actual, want, what);
}

test('every example the table names as outside the subset is in the file', () => {
  assert.ok(VECTORS.length >= 80, 'the vector file looks truncated');
  const inFile = new Set(VECTORS.map((v) => v.hex));
  for (const h of Object.keys(OUTSIDE)) assert.ok(inFile.has(h), h + ' is not an example in the file');
});

test('examples outside the subset are a DecodeError with the reason, from both codecs', () => {
  for (const v of VECTORS) {
    const reason = OUTSIDE[v.hex];
    if (reason === undefined) continue;
    for (const [name, codec] of CODECS) {
      let error: unknown = null;
      try {
        codec.decode(bytes(v.hex));
      } catch (e) {
        error = e;
      }
      assert.instance(error, DecodeError, name + ' on ' + v.hex + ': ' + String(error));
      assert.is((error as DecodeError).reason, reason, name + ' on ' + v.hex + ': ' + (error as DecodeError).message);
    }
  }
});

test('examples inside the subset decode to their value and re-encode byte for byte, with both codecs', () => {
  let inside = 0;
  for (const v of VECTORS) {
    if (OUTSIDE[v.hex] !== undefined) continue;
    inside++;
    const want = expected(v);
    for (const [name, codec] of CODECS) {
      same(codec.decode(bytes(v.hex)), want, name + ' decodes ' + v.hex);
      // decode accepts only deterministic bytes, so whatever it accepts must be what an encoder reproduces.
      assert.ok(v.roundtrip, v.hex + ' was accepted, but the RFC marks it as not reproduced by an encoder');
      assert.is(hex(codec.encode(want)), v.hex, name + ' encodes ' + v.hex);
    }
  }
  assert.ok(inside >= 40, 'only ' + inside + ' examples inside the subset');
});

test.run();
