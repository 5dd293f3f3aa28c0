/**
 * Writes tests/crdt/codec-vectors.json: hand-picked Items with the deterministic CBOR the codec writes for them,
 * pinned so that a change to either codec's bytes fails tests/crdt/codec.test.ts. Run it once when the wire
 * format changes on purpose, read the diff, and commit the file:
 *
 *   node --import tsx tools/gen-codec-vectors.ts
 *
 * The file is plain JSON, readable by another implementation. An item is written as JSON where JSON can hold it
 * (finite numbers other than -0, strings, booleans, null, arrays); every object is a one-key wrapper:
 * {"map": {...}} for a map, {"bytes": "<hex>"} for a byte string, {"float": "NaN" | "Infinity" | "-Infinity" |
 * "-0"} for the numbers JSON lacks.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encode as portable } from '../crdt/codec/cbor.ts';
import { encode as cborx } from '../crdt/codec/cborx.ts';
import type { Item, ItemMap } from '../crdt/types.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

function nest(depth: number, leaf: Item): Item {
  let x = leaf;
  for (let i = 0; i < depth; i++) x = [x];
  return x;
}

/** [name, item]: each shows one rule of the wire format, or one edge of it. */
const VECTORS: [string, Item][] = [
  ['zero', 0],
  ['largest one-byte integer', 23],
  ['smallest two-byte head', 24],
  ['largest two-byte head', 255],
  ['smallest three-byte head', 256],
  ['smallest five-byte head', 65536],
  ['2^32-1, largest five-byte head', 4294967295],
  ['2^32, smallest nine-byte head', 4294967296],
  ['2^53-1, largest integer on the wire', 9007199254740991],
  ['-1', -1],
  ['-24, largest negative in one byte', -24],
  ['-25', -25],
  ['-2^32, largest magnitude in a five-byte head', -4294967296],
  ['-2^32-1, smallest magnitude in a nine-byte head', -4294967297],
  ['-(2^53-1), smallest integer on the wire', -9007199254740991],
  ['0.5 as half', 0.5],
  ['1.5 as half', 1.5],
  ['65504 is an integer, not a half', 65504],
  ['65504.5 as single', 65504.5],
  ['100000.5 as single', 100000.5],
  ['smallest half subnormal', 5.960464477539063e-8],
  ['largest single', 3.4028234663852886e38],
  ['2^53 is past the integers: a single', 9007199254740992],
  ['1.1 as double', 1.1],
  ['-4.1 as double', -4.1],
  ['1e300 as double', 1e300],
  ['-0 as half', -0],
  ['NaN as f97e00', NaN],
  ['Infinity as half', Infinity],
  ['-Infinity as half', -Infinity],
  ['false', false],
  ['true', true],
  ['null', null],
  ['empty text', ''],
  ['ascii text', 'IETF'],
  ['text é (2 UTF-8 bytes)', 'é'],
  ['text 水 (3 UTF-8 bytes)', '水'],
  ['text with an emoji (4 UTF-8 bytes, a surrogate pair in JS)', 'hi 😀'],
  ['text of 24 bytes, a two-byte head', 'abcdefghijklmnopqrstuvwx'],
  ['empty bytes', new Uint8Array(0)],
  ['bytes', bytes('01020304')],
  ['bytes of 24, a two-byte head', bytes('000102030405060708090a0b0c0d0e0f1011121314151617')],
  ['empty array', []],
  ['nested arrays', [1, [2, 3], [4, 5]]],
  ['array of 25, a two-byte head', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]],
  ['arrays 20 deep, within the default maxDepth', nest(20, 0)],
  ['empty map', {}],
  ['map', { a: 1, b: [2, 3] }],
  ['map keys: shorter first, then bytewise on UTF-8', { b: 1, a: 2, aa: 3, 'é': 4, z: 5 }],
  ['map keys: UTF-8 order, not UTF-16 (U+E000 before an emoji)', { '😀': 1, '\ue000a': 2, '\ue000': 3 }],
  ['map keys that are property names of Object.prototype', { constructor: 1, toString: 2, hasOwnProperty: 3 }],
  ['a frame-shaped item', [1, 3, 'node-a', { d: [[1, 'x', 7]], n: 4294967296 }]],
];

function toJson(x: Item): unknown {
  if (typeof x === 'number') {
    if (x !== x) return { float: 'NaN' };
    if (x === Infinity) return { float: 'Infinity' };
    if (x === -Infinity) return { float: '-Infinity' };
    if (x === 0 && 1 / x < 0) return { float: '-0' };
    return x;
  }
  if (x instanceof Uint8Array) return { bytes: hex(x) };
  if (Array.isArray(x)) return x.map(toJson);
  if (x !== null && typeof x === 'object') {
    const m: { [k: string]: unknown } = {};
    for (const k of Object.keys(x as ItemMap)) m[k] = toJson((x as ItemMap)[k]);
    return { map: m };
  }
  return x;
}

const out = VECTORS.map(([name, item]) => {
  const h = hex(portable(item));
  if (hex(cborx(item)) !== h) throw new Error('the codecs disagree on "' + name + '": ' + h + ' vs ' + hex(cborx(item)));
  return { name, hex: h, item: toJson(item) };
});

const file = fileURLToPath(new URL('../tests/crdt/codec-vectors.json', import.meta.url));
writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
console.log('wrote ' + out.length + ' vectors to ' + file);
