import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EWFlag, disable, enable } from '../../crdt/ewflag.ts';
import { DecodeError } from '../../crdt/errors.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('ewflag');
const J = EWFlag.join;

test('starts off; enable and disable switch it', () => {
  let s = EWFlag.bottom();
  assert.is(EWFlag.value(s), false);
  s = J(s, enable(s, 'a'));
  assert.is(EWFlag.value(s), true);
  s = J(s, disable(s));
  assert.is(EWFlag.value(s), false);
  assert.equal(s.s, []);
});

test('concurrent enable and disable: enable wins', () => {
  let s = EWFlag.bottom();
  s = J(s, enable(s, 'a'));
  const off = disable(s);
  const on = enable(s, 'b');
  assert.is(EWFlag.value(J(J(s, off), on)), true);
  assert.is(EWFlag.value(J(J(s, on), off)), true);
});

test('a disable that observed the enable turns it off everywhere', () => {
  let a = EWFlag.bottom();
  a = J(a, enable(a, 'a'));
  const b = J(a, disable(a));
  assert.is(EWFlag.value(J(a, b)), false);
});

test('repeated enables keep one dot', () => {
  let s = EWFlag.bottom();
  for (let i = 0; i < 100; i++) s = J(s, enable(s, i % 3 === 0 ? 'a' : 'b'));
  assert.is(s.s.length, 1);
  assert.equal(s.c.cloud, {});
});

test('decode rejects a dot the context has not seen', () => {
  assert.throws(() => EWFlag.decode([['a', 3], [['a', 2], []]]), (e: unknown) => e instanceof DecodeError);
});

test.run();

lawSuite({
  type: EWFlag,
  op: fc.constantFrom<Op>(['enable', []], ['disable', []]),
  sequential: (_v, op) => op[0] === 'enable',
});
