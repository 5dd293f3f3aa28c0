import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MaxInt, raise } from '../../crdt/maxint.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('maxint');

test('raise: the new maximum as the delta, bottom when it would not raise', () => {
  assert.is(raise(3, 7), 7);
  assert.is(raise(7, 3), 0);
  assert.is(raise(7, 7), 0);
  assert.is(MaxInt.join(5, 2), 5);
  assert.is(MaxInt.join(2, 5), 5);
});

test('raise refuses negatives and fractions', () => {
  for (const n of [-1, 0.5, NaN, 2 ** 53, 'x' as unknown as number]) {
    assert.throws(() => raise(0, n), (e: unknown) => e instanceof MutatorError && e.reason === 'args', String(n));
  }
});

test('decompose: bottom is [], anything else is irreducible', () => {
  assert.equal(MaxInt.decompose(0), []);
  assert.equal(MaxInt.decompose(4), [4]);
});

test('decode accepts naturals only', () => {
  assert.is(MaxInt.decode(MaxInt.encode(42)), 42);
  const bad: Item[] = [-1, 1.5, '3', null, [3], 2 ** 53];
  for (const item of bad) assert.throws(() => MaxInt.decode(item), (e: unknown) => e instanceof DecodeError, String(item));
});

test.run();

lawSuite({
  type: MaxInt,
  op: fc.integer({ min: 0, max: 50 }).map((n): Op => ['raise', [n]]),
  sequential: (v, op) => Math.max(v, op[1][0] as number),
});
