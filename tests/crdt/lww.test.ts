import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LWW, type LWWState, set, LWWCore } from '../../crdt/lww.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import type { Item } from '../../crdt/types.ts';
import { coreOnly, lawSuite, type Op } from '../support/laws.ts';

const test = suite('lww');
const J = LWW.join;
const refused = (reason: string) => (e: unknown) => e instanceof MutatorError && e.reason === reason;

test('bottom reads null; a write reads its value', () => {
  let s = LWW.bottom();
  assert.is(LWW.value(s), null);
  s = J(s, set(s, 'a', { on: true }, 5));
  assert.equal(LWW.value(s), { on: true });
});

test('the later timestamp wins whatever the replica ids', () => {
  const early = set(null, 'z', 'early', 1);
  const late = set(null, 'a', 'late', 2);
  assert.is(LWW.value(J(early, late)), 'late');
  assert.is(LWW.value(J(late, early)), 'late');
});

test('equal timestamps: the greater replica id wins, in either order of arrival', () => {
  const a = set(null, 'a', 'from a', 7);
  const b = set(null, 'b', 'from b', 7);
  assert.is(LWW.value(J(a, b)), 'from b');
  assert.is(LWW.value(J(b, a)), 'from b');
  assert.ok(LWW.leq(a, b));
  assert.not.ok(LWW.leq(b, a));
  // And at a replica holding b's write, a write by 'c' at the same time wins, one by 'a' does not.
  assert.is(LWW.value(J(b, set(b, 'c', 'from c', 7))), 'from c');
  assert.throws(() => set(b, 'a', 'again', 7), refused('stale'));
});

test('a write that would not win is refused as stale, its own earlier timestamp included', () => {
  let s = LWW.bottom();
  s = J(s, set(s, 'a', 1, 10));
  assert.throws(() => set(s, 'a', 2, 10), refused('stale'));
  assert.throws(() => set(s, 'z', 2, 9), refused('stale'));
  assert.is(LWW.value(J(s, set(s, 'a', 2, 11))), 2);
});

test('bad timestamps, replica ids and values are refused', () => {
  for (const ts of [-1, 1.5, NaN, '3' as unknown as number, undefined as unknown as number]) {
    assert.throws(() => set(null, 'a', 'v', ts), refused('args'), String(ts));
  }
  assert.throws(() => set(null, '', 'v', 1), refused('args'));
  assert.throws(() => set(null, 'a', undefined as unknown as Item, 1), refused('args'));
});

test('two different values under one stamp (only a faulty peer sends that) still join the same everywhere', () => {
  const x: LWWState = { ts: 3, replica: 'a', value: 'x' };
  const y: LWWState = { ts: 3, replica: 'a', value: 'y' };
  assert.equal(J(x, y), J(y, x));
  assert.ok(LWW.leq(x, J(x, y)) && LWW.leq(y, J(x, y)));
});

test('encode: [] for bottom, else [ts, replica, value]; decode checks each part', () => {
  assert.equal(LWW.encode(null), []);
  assert.equal(LWW.encode(set(null, 'a', [1, 'x'], 12)), [12, 'a', [1, 'x']]);
  assert.is(LWW.decode([]), null);
  assert.equal(LWW.decode([12, 'a', [1, 'x']]), { ts: 12, replica: 'a', value: [1, 'x'] });
  const bad: Item[] = [null, 0, [12, 'a'], [12, 'a', 1, 2], [-1, 'a', 1], [1.5, 'a', 1], ['1', 'a', 1], [1, 2, 1], [1, '', 1], { ts: 1 }];
  for (const item of bad) assert.throws(() => LWW.decode(item), (e: unknown) => e instanceof DecodeError, JSON.stringify(item));
  assert.throws(() => LWW.decode([1, 'a', undefined as unknown as Item]), (e: unknown) => e instanceof DecodeError);
});

test('decompose: bottom is [], a write is irreducible', () => {
  assert.equal(LWW.decompose(null), []);
  const w = set(null, 'a', 1, 1);
  assert.equal(LWW.decompose(w), [w]);
});

test.run();

const value = fc.constantFrom<Item>('on', 'off', 0, 42, -1.5, true, null, [1, 'x'], { k: 'v' });
lawSuite({
  type: LWW,
  op: fc.tuple(value, fc.integer({ min: 0, max: 20 })).map((t): Op => ['set', [t[0], t[1]]]),
  sequential: (_v, op) => op[1][0] as Item,
});

// The board's table: the same laws for its own joinInto, leq, decompose and codec.
lawSuite({
  type: coreOnly(LWWCore),
  op: fc.tuple(value, fc.integer({ min: 0, max: 20 })).map((t): Op => ['set', [t[0], t[1]]]),
  sequential: (_v, op) => op[1][0] as Item,
});
