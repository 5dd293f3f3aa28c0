import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PNCounter, PNCounterCore, dec, inc } from '../../crdt/pncounter.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import type { Item } from '../../crdt/types.ts';
import { coreOnly, lawSuite, type Op } from '../support/laws.ts';

const test = suite('pncounter');
const J = PNCounter.join;

test('increments minus decrements, across replicas, and below zero', () => {
  let a = PNCounter.bottom();
  a = J(a, inc(a, 'a', 5));
  let b = PNCounter.bottom();
  b = J(b, dec(b, 'b', 7));
  b = J(b, inc(b, 'b', 1));
  assert.is(PNCounter.value(J(a, b)), -1);
  assert.is(PNCounter.value(J(J(a, b), a)), -1);
});

test('each delta carries one entry of one half', () => {
  const s = { p: { a: 2, b: 1 }, n: { a: 4 } };
  assert.equal(inc(s, 'a', 1), { p: { a: 3 }, n: {} });
  assert.equal(dec(s, 'a', 1), { p: {}, n: { a: 5 } });
  assert.equal(dec(s, 'b', 2), { p: {}, n: { b: 2 } });
});

test('mutators refuse bad amounts and name themselves', () => {
  assert.throws(() => dec(PNCounter.bottom(), 'a', 0), (e: unknown) => e instanceof MutatorError && /pncounter dec/.test(e.message));
  assert.throws(() => inc(PNCounter.bottom(), 'a', -3), (e: unknown) => e instanceof MutatorError && /pncounter inc/.test(e.message));
});

test('decompose splits both halves into single entries', () => {
  const parts = PNCounter.decompose({ p: { b: 1, a: 2 }, n: { a: 4 } });
  assert.equal(parts, [{ p: { a: 2 }, n: {} }, { p: { b: 1 }, n: {} }, { p: {}, n: { a: 4 } }]);
});

test('encode is [p, n]; decode rejects malformed halves', () => {
  assert.equal(PNCounter.encode({ p: { b: 1, a: 2 }, n: { a: 4 } }), [['a', 2, 'b', 1], ['a', 4]]);
  const bad: Item[] = [[], [[]], [[], [], []], [['a', -1], []], [[], ['b', 1, 'a', 1]], { p: [], n: [] }];
  for (const item of bad) {
    assert.throws(() => PNCounter.decode(item), (e: unknown) => e instanceof DecodeError, JSON.stringify(item));
  }
});

test.run();

lawSuite({
  type: PNCounter,
  op: fc.tuple(fc.constantFrom('inc', 'dec'), fc.integer({ min: 1, max: 5 })).map((t): Op => [t[0], [t[1]]]),
  sequential: (v, op) => (op[0] === 'inc' ? v + op[1][0] : v - op[1][0]),
});

// The board's table: the same laws for its own joinInto, leq, decompose and codec.
lawSuite({
  type: coreOnly(PNCounterCore),
  op: fc.tuple(fc.constantFrom('inc', 'dec'), fc.integer({ min: 1, max: 5 })).map((t): Op => [t[0], [t[1]]]),
  sequential: (v, op) => (op[0] === 'inc' ? v + op[1][0] : v - op[1][0]),
});
