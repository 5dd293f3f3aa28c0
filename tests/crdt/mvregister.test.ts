import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MVRegister, set } from '../../crdt/mvregister.ts';
import { DecodeError } from '../../crdt/errors.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('mvregister');
const J = MVRegister.join;

test('bottom reads as no value; a write reads as itself', () => {
  let s = MVRegister.bottom();
  assert.equal(MVRegister.value(s), []);
  s = J(s, set(s, 'a', 'x'));
  s = J(s, set(s, 'a', 'y'));
  assert.equal(MVRegister.value(s), ['y']);
  assert.is(s.s.length, 1);
});

test('concurrent writes are all kept, sorted; a later write collapses them', () => {
  const s0 = MVRegister.bottom();
  const a = J(s0, set(s0, 'a', 'zebra'));
  const b = J(s0, set(s0, 'b', 3));
  const c = J(s0, set(s0, 'c', 'apple'));
  const m = J(J(a, b), c);
  assert.equal(MVRegister.value(m), [3, 'apple', 'zebra']);
  assert.equal(MVRegister.value(J(c, J(b, a))), [3, 'apple', 'zebra']);
  const after = J(m, set(m, 'b', 'one'));
  assert.equal(MVRegister.value(after), ['one']);
  // A replica that had only seen a's write overwrites only that one.
  const a2 = J(a, set(a, 'a', 'late'));
  assert.equal(MVRegister.value(J(a2, m)), [3, 'apple', 'late']);
});

test('the same value written concurrently shows once', () => {
  const s0 = MVRegister.bottom();
  const m = J(J(s0, set(s0, 'a', 7)), J(s0, set(s0, 'b', 7)));
  assert.is(m.s.length, 2);
  assert.equal(MVRegister.value(m), [7]);
});

test('a write delta carries one value and the dots it overwrites', () => {
  const s0 = MVRegister.bottom();
  const m = J(J(s0, set(s0, 'a', 1)), J(s0, set(s0, 'b', 2)));
  assert.equal(MVRegister.encode(set(m, 'a', 3)), [['a', 2, 3], [['a', 2, 'b', 1], []]]);
});

test('decode rejects a write whose dot the context has not seen', () => {
  assert.throws(() => MVRegister.decode([['a', 2, 'x'], [['a', 1], []]]), (e: unknown) => e instanceof DecodeError && /causal context/.test((e as Error).message));
  assert.throws(() => MVRegister.decode([['a', 1], [['a', 1], []]]), (e: unknown) => e instanceof DecodeError && /triples/.test((e as Error).message));
});

test.run();

lawSuite({
  type: MVRegister,
  op: fc.constantFrom<Item>('x', 'y', 1, 2, [0], false).map((v): Op => ['set', [v]]),
  sequential: (_v, op) => [op[1][0]],
});
