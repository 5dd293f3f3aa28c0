import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GCounter, type GCounterState, inc } from '../../crdt/gcounter.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('gcounter');

test('inc returns only the grown entry, holding the new total', () => {
  const s: GCounterState = { a: 3, b: 2 };
  assert.equal(inc(s, 'a', 2), { a: 5 });
  assert.equal(inc(s, 'c', 1), { c: 1 });
  assert.equal(GCounter.value(GCounter.join(s, inc(s, 'a', 2))), 7);
});

test('join keeps the larger count per replica (a re-delivered delta is not counted twice)', () => {
  const a: GCounterState = { a: 3 };
  const b: GCounterState = { a: 2, b: 1 };
  assert.equal(GCounter.join(a, b), { a: 3, b: 1 });
  assert.is(GCounter.value(GCounter.join(GCounter.join(a, b), b)), 4);
});

test('leq compares entry by entry; missing entries count 0', () => {
  assert.ok(GCounter.leq({ a: 1 }, { a: 1, b: 2 }));
  assert.not.ok(GCounter.leq({ a: 2 }, { a: 1, b: 2 }));
  assert.not.ok(GCounter.leq({ c: 1 }, { a: 1 }));
  assert.ok(GCounter.leq({}, {}));
});

test('replica ids that name Object.prototype members are ordinary keys', () => {
  let s = GCounter.bottom();
  s = GCounter.join(s, inc(s, 'constructor', 2));
  s = GCounter.join(s, inc(s, 'toString', 1));
  assert.is(GCounter.value(s), 3);
  assert.ok(GCounter.leq({ constructor: 2 }, s));
  assert.not.ok(GCounter.leq({ hasOwnProperty: 1 }, {}));
});

test('inc refuses amounts below 1, fractions, and replica ids that cannot be keys', () => {
  for (const n of [0, -1, 1.5, NaN, Infinity, '2' as unknown as number]) {
    assert.throws(() => inc({}, 'a', n), (e: unknown) => e instanceof MutatorError && e.reason === 'args', 'amount ' + String(n));
  }
  for (const r of ['', '__proto__', 7 as unknown as string]) {
    assert.throws(() => inc({}, r, 1), (e: unknown) => e instanceof MutatorError, 'replica ' + String(r));
  }
  assert.throws(() => inc({ a: 9007199254740990 }, 'a', 5), (e: unknown) => e instanceof MutatorError && e.reason === 'overflow');
});

test('arguments are never mutated', () => {
  const a = Object.freeze({ a: 1, b: 4 }) as GCounterState;
  const b = Object.freeze({ a: 3 }) as GCounterState;
  GCounter.join(a, b);
  GCounter.join(b, a);
  inc(a, 'a', 1);
  GCounter.decompose(a);
  assert.equal(a, { a: 1, b: 4 });
  assert.equal(b, { a: 3 });
});

test('decompose gives one entry per replica, in replica order', () => {
  assert.equal(GCounter.decompose({ b: 2, a: 1 }), [{ a: 1 }, { b: 2 }]);
  assert.equal(GCounter.decompose({}), []);
});

test('encode is flat and ascending by replica whatever the insertion order', () => {
  const s: GCounterState = {};
  s['b'] = 2;
  s['10'] = 5;
  s['9'] = 1;
  s['a'] = 3;
  assert.equal(GCounter.encode(s), ['10', 5, '9', 1, 'a', 3, 'b', 2]);
  assert.equal(GCounter.encode({}), []);
  assert.equal(GCounter.decode(GCounter.encode(s)), s);
});

test('decode rejects anything a later join could trip on', () => {
  const bad: Item[] = [
    null, 5, 'a', { a: 1 },
    ['a'], // odd length
    ['b', 1, 'a', 1], // unsorted
    ['a', 1, 'a', 2], // duplicate
    ['a', -1], ['a', 0], ['a', 1.5], ['a', '1'], ['a', 2 ** 53],
    [1, 1], ['', 1], ['__proto__', 1],
  ];
  for (const item of bad) {
    assert.throws(() => GCounter.decode(item), (e: unknown) => e instanceof DecodeError, JSON.stringify(item));
  }
});

test.run();

lawSuite({
  type: GCounter,
  op: fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 1, max: 5 }).map((n): Op => ['inc', [n]]) },
    { weight: 1, arbitrary: fc.constant<Op>(['inc', [0]]) }, // refused
  ),
  sequential: (v, op) => v + (op[1][0] as number),
});
