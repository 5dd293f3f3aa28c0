import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DWFlag, disable, enable } from '../../crdt/dwflag.ts';
import { DecodeError } from '../../crdt/errors.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('dwflag');
const J = DWFlag.join;

test('starts off; enable and disable switch it', () => {
  let s = DWFlag.bottom();
  assert.is(DWFlag.value(s), false);
  s = J(s, enable(s, 'a'));
  assert.is(DWFlag.value(s), true);
  s = J(s, disable(s, 'a'));
  assert.is(DWFlag.value(s), false);
  s = J(s, enable(s, 'b'));
  assert.is(DWFlag.value(s), true);
  assert.is(s.s.length, 1);
});

test('concurrent enable and disable: disable wins, whatever the order', () => {
  let s = DWFlag.bottom();
  s = J(s, enable(s, 'a'));
  const off = disable(s, 'a');
  const on = enable(s, 'b');
  assert.is(DWFlag.value(J(J(s, off), on)), false);
  assert.is(DWFlag.value(J(J(s, on), off)), false);
  // A disable concurrent with an enable wins even when the flag was never on.
  const s0 = DWFlag.bottom();
  assert.is(DWFlag.value(J(disable(s0, 'a'), enable(s0, 'b'))), false);
});

test('an enable that observed the disable turns it back on', () => {
  let s = DWFlag.bottom();
  s = J(s, disable(s, 'a'));
  const t = J(s, enable(s, 'b'));
  assert.is(DWFlag.value(J(s, t)), true);
});

test('decode rejects a switch that is not a boolean', () => {
  assert.throws(() => DWFlag.decode([['a', 1, 1], [['a', 1], []]]), (e: unknown) => e instanceof DecodeError && /boolean/.test((e as Error).message));
});

test.run();

lawSuite({
  type: DWFlag,
  op: fc.constantFrom<Op>(['enable', []], ['disable', []]),
  sequential: (_v, op) => op[0] === 'enable',
});
