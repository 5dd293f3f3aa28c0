import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TwoPSet, add, has, remove } from '../../crdt/twopset.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import { keyOf } from '../../crdt/keys.ts';
import { sortItems } from '../../crdt/order.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('twopset');
const J = TwoPSet.join;
const refused = (reason: string) => (e: unknown) => e instanceof MutatorError && e.reason === reason;

test('add and remove, sequentially', () => {
  let s = TwoPSet.bottom();
  s = J(s, add(s, 'x'));
  s = J(s, add(s, 'y'));
  assert.equal(TwoPSet.value(s), ['x', 'y']);
  s = J(s, remove(s, 'x'));
  assert.equal(TwoPSet.value(s), ['y']);
  assert.not.ok(has(s, 'x'));
  assert.ok(has(s, 'y'));
});

test('removal is final: re-adding is refused here, and a concurrent add elsewhere does not bring it back', () => {
  let a = TwoPSet.bottom();
  a = J(a, add(a, 'x'));
  let b = J(TwoPSet.bottom(), a);
  a = J(a, remove(a, 'x'));
  assert.throws(() => add(a, 'x'), refused('removed'));
  // b has not seen the removal and adds again (a no-op delta: it already holds x), then merges.
  b = J(b, add(b, 'x'));
  assert.equal(TwoPSet.value(b), ['x']);
  assert.equal(TwoPSet.value(J(b, a)), []);
  assert.equal(TwoPSet.value(J(a, b)), []);
});

test('a removal delivered before its add still hides the element', () => {
  let a = TwoPSet.bottom();
  const addX = add(a, 'x');
  a = J(a, addX);
  const rmX = remove(a, 'x');
  let c = J(TwoPSet.bottom(), rmX);
  assert.equal(TwoPSet.value(c), []);
  c = J(c, addX);
  assert.equal(TwoPSet.value(c), []);
});

test('remove of an element never added is refused; a second removal is bottom', () => {
  let s = TwoPSet.bottom();
  assert.throws(() => remove(s, 'x'), refused('not-present'));
  s = J(s, add(s, 'x'));
  s = J(s, remove(s, 'x'));
  assert.equal(remove(s, 'x'), TwoPSet.bottom());
  assert.equal(add(J(s, add(s, 'y')), 'y'), TwoPSet.bottom());
});

test('deltas carry only the element that changed', () => {
  let s = TwoPSet.bottom();
  for (const x of ['a', 'b', 'c']) s = J(s, add(s, x));
  assert.equal(TwoPSet.encode(remove(s, 'b')), [[], ['b']]);
  assert.equal(TwoPSet.encode(add(s, 'd')), [['d'], []]);
});

test('decompose: each add and each tombstone on its own', () => {
  let s = TwoPSet.bottom();
  for (const x of ['b', 'a']) s = J(s, add(s, x));
  s = J(s, remove(s, 'a'));
  assert.equal(TwoPSet.decompose(s).map((p) => TwoPSet.encode(p)), [[['a'], []], [['b'], []], [[], ['a']]]);
});

test('decode checks both lists', () => {
  const bad: Item[] = [[], [[]], [['a'], ['b'], []], [['b', 'a'], []], [[], ['a', 'a']], { added: [], removed: [] }];
  for (const item of bad) assert.throws(() => TwoPSet.decode(item), (e: unknown) => e instanceof DecodeError, JSON.stringify(item));
  assert.equal(TwoPSet.value(TwoPSet.decode([['a', 'b'], ['a', 'z']])), ['b']);
});

test.run();

const elem = fc.constantFrom<Item>('x', 'y', 'z', 1, -2.5, true, null, [1, 'x'], { k: 'v' });
lawSuite({
  type: TwoPSet,
  op: fc.oneof(
    { weight: 3, arbitrary: elem.map((e): Op => ['add', [e]]) },
    { weight: 2, arbitrary: elem.map((e): Op => ['remove', [e]]) },
  ),
  sequential: (v, op) => {
    const e = op[1][0] as Item;
    const rest = v.filter((x) => keyOf(x) !== keyOf(e));
    return op[0] === 'add' ? sortItems(rest.concat([e])) : rest;
  },
});
