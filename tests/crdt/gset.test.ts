import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GSet, type GSetState, add, has } from '../../crdt/gset.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import { keyOf } from '../../crdt/keys.ts';
import { sortItems } from '../../crdt/order.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('gset');
const J = GSet.join;

test('add: the element alone as the delta, bottom when it is already in', () => {
  let s = GSet.bottom();
  const d = add(s, 'milk');
  assert.equal(GSet.value(d), ['milk']);
  s = J(s, d);
  assert.equal(add(s, 'milk'), {});
  assert.ok(has(s, 'milk'));
  assert.not.ok(has(s, 'eggs'));
});

test('elements are compared by value: equal arrays and maps are one element, 1 and "1" are two', () => {
  let s = GSet.bottom();
  for (const x of [[1, 'x'], [1, 'x'], { k: 1, j: 2 }, { j: 2, k: 1 }, 1, '1'] as Item[]) s = J(s, add(s, x));
  assert.is(GSet.value(s).length, 4);
  assert.equal(GSet.value(s), sortItems([1, '1', [1, 'x'], { j: 2, k: 1 }]));
});

test('value is sorted whatever the order of adds', () => {
  let a = GSet.bottom();
  for (const x of ['c', 2, 'a', 10]) a = J(a, add(a, x));
  let b = GSet.bottom();
  for (const x of [10, 'a', 'c', 2]) b = J(b, add(b, x));
  assert.equal(GSet.value(a), [2, 10, 'a', 'c']);
  assert.equal(GSet.value(b), GSet.value(a));
  assert.equal(GSet.encode(b), GSet.encode(a));
});

test('union, and leq as inclusion', () => {
  let a = GSet.bottom();
  a = J(a, add(a, 'x'));
  let b = GSet.bottom();
  b = J(b, add(b, 'y'));
  const ab = J(a, b);
  assert.equal(GSet.value(ab), ['x', 'y']);
  assert.ok(GSet.leq(a, ab));
  assert.not.ok(GSet.leq(a, b));
  assert.not.ok(GSet.leq(ab, a));
});

test('add refuses what is not plain data', () => {
  for (const x of [undefined, () => 1, [1, undefined], { k: undefined }]) {
    assert.throws(() => add(GSet.bottom(), x as unknown as Item), (e: unknown) => e instanceof MutatorError && e.reason === 'args');
  }
});

test('the join does not touch its arguments', () => {
  const a = Object.freeze(add({}, 'x')) as GSetState;
  const b = Object.freeze(add({}, 'y')) as GSetState;
  J(a, b);
  add(a, 'z');
  assert.equal(GSet.value(a), ['x']);
});

test('decompose: one element each', () => {
  let s = GSet.bottom();
  for (const x of ['b', 'a', 1]) s = J(s, add(s, x));
  assert.equal(GSet.decompose(s).map((p) => GSet.value(p)), [[1], ['a'], ['b']]);
});

test('decode insists on canonical order without repeats', () => {
  let s = GSet.bottom();
  for (const x of ['b', 'a', 1, [2]] as Item[]) s = J(s, add(s, x));
  const enc = GSet.encode(s) as Item[];
  assert.equal(GSet.value(GSet.decode(enc)), GSet.value(s));
  const bad: Item[] = [null, 'a', { a: 1 }, enc.slice().reverse(), ['a', 'a'], [1, 1.0], [[1], [1]]];
  for (const item of bad) assert.throws(() => GSet.decode(item), (e: unknown) => e instanceof DecodeError, JSON.stringify(item));
  assert.throws(() => GSet.decode([undefined as unknown as Item]), (e: unknown) => e instanceof DecodeError);
});

test.run();

const elem = fc.constantFrom<Item>('x', 'y', '', 1, -2, 2.5, true, null, [1, 'x'], { k: 'v' }, new Uint8Array([1, 2]));
lawSuite({
  type: GSet,
  op: elem.map((e): Op => ['add', [e]]),
  sequential: (v, op) => {
    const e = op[1][0] as Item;
    return sortItems(v.filter((x) => keyOf(x) !== keyOf(e)).concat([e]));
  },
});
