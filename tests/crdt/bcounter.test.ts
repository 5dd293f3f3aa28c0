import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BCounter, type BCounterState, dec, inc, localRights, transfer } from '../../crdt/bcounter.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import type { Item } from '../../crdt/types.ts';
import { applyOp, lawSuite, type Op } from '../support/laws.ts';

const test = suite('bcounter');
const J = BCounter.join;
const refused = (reason: string) => (e: unknown) => e instanceof MutatorError && e.reason === reason;

test('a replica decrements within its own increments, no further', () => {
  let s = BCounter.bottom();
  s = J(s, inc(s, 'a', 5));
  s = J(s, dec(s, 'a', 3));
  assert.is(BCounter.value(s), 2);
  assert.is(localRights(s, 'a'), 2);
  assert.throws(() => dec(s, 'a', 3), (e: unknown) => e instanceof MutatorError && e.reason === 'insufficient-rights' && /insufficient rights/.test(e.message));
});

test('rights are per replica: a positive total does not let a replica without rights decrement', () => {
  let s = BCounter.bottom();
  s = J(s, inc(s, 'a', 5));
  assert.is(BCounter.value(s), 5);
  assert.is(localRights(s, 'b'), 0);
  assert.throws(() => dec(s, 'b', 1), refused('insufficient-rights'));
});

test('a transfer moves rights without changing the value, and lets the receiver decrement once it arrives', () => {
  let a = BCounter.bottom();
  a = J(a, inc(a, 'a', 5));
  const t = transfer(a, 'a', 'b', 2);
  assert.equal(t, { p: {}, n: {}, t: { a: { b: 2 } } });
  a = J(a, t);
  assert.is(BCounter.value(a), 5);
  assert.is(localRights(a, 'a'), 3);
  let b = BCounter.bottom();
  assert.throws(() => dec(b, 'b', 1), refused('insufficient-rights'));
  b = J(b, a);
  assert.is(localRights(b, 'b'), 2);
  b = J(b, dec(b, 'b', 2));
  assert.throws(() => dec(b, 'b', 1), refused('insufficient-rights'));
  // A second transfer accumulates in the same entry (the delta holds the running total).
  assert.equal(transfer(a, 'a', 'b', 1).t, { a: { b: 3 } });
});

test('transfers are refused beyond the rights held, to oneself, and to a bad id', () => {
  let s = BCounter.bottom();
  s = J(s, inc(s, 'a', 2));
  assert.throws(() => transfer(s, 'a', 'b', 3), refused('insufficient-rights'));
  assert.throws(() => transfer(s, 'a', 'a', 1), refused('args'));
  assert.throws(() => transfer(s, 'a', '__proto__', 1), refused('args'));
  assert.throws(() => transfer(s, 'a', 'b', 0), refused('args'));
});

test('concurrent decrements at replicas that split the rights: all that fit succeed, the total ends at zero', () => {
  let a = BCounter.bottom();
  a = J(a, inc(a, 'a', 6));
  a = J(a, transfer(a, 'a', 'b', 2));
  a = J(a, transfer(a, 'a', 'c', 2));
  let b = J(BCounter.bottom(), a);
  let c = J(BCounter.bottom(), a);
  // Now partitioned: each spends its 2 and is refused a third.
  for (const r of ['a', 'b', 'c']) {
    let s = r === 'a' ? a : r === 'b' ? b : c;
    s = J(s, dec(s, r, 1));
    s = J(s, dec(s, r, 1));
    assert.throws(() => dec(s, r, 1), refused('insufficient-rights'), r);
    if (r === 'a') a = s;
    else if (r === 'b') b = s;
    else c = s;
  }
  const all = J(J(a, b), c);
  assert.is(BCounter.value(all), 0);
  for (const r of ['a', 'b', 'c']) assert.is(localRights(all, r), 0);
});

test('never below zero: random decrements and transfers, deltas reordered, duplicated and dropped', () => {
  const R = ['a', 'b', 'c', 'd'];
  const op = fc.oneof(
    fc.integer({ min: 1, max: 4 }).map((n): Op => ['inc', [n]]),
    fc.integer({ min: 1, max: 6 }).map((n): Op => ['dec', [n]]),
    fc.tuple(fc.constantFrom(...R), fc.integer({ min: 1, max: 4 })).map((t): Op => ['transfer', [t[0], t[1]]]),
  );
  // Each step: an op at a replica, then the delivery of one in-flight delta, or a full-state merge.
  const step = fc.tuple(fc.nat(R.length - 1), op, fc.nat(), fc.nat(9));
  fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
    const states: BCounterState[] = R.map(() => BCounter.bottom());
    const inflight: { to: number; d: BCounterState }[] = [];
    for (const [r, o, pick, fate] of steps) {
      const d = applyOp(BCounter, states[r], R[r], o);
      if (d !== null) {
        states[r] = J(states[r], d);
        for (let to = 0; to < R.length; to++) if (to !== r && fate !== 0) inflight.push({ to, d });
      }
      if (fate < 3 && inflight.length > 0) {
        const m = inflight.splice(pick % inflight.length, 1)[0];
        states[m.to] = J(states[m.to], m.d);
      } else if (fate === 9) {
        states[pick % R.length] = J(states[pick % R.length], states[r]);
      }
      for (let i = 0; i < R.length; i++) assert.ok(localRights(states[i], R[i]) >= 0, R[i] + ' overspent');
      let all = BCounter.bottom();
      for (const s of states) all = J(all, s);
      assert.ok(BCounter.value(all) >= 0, 'the merged total went below zero: ' + BCounter.value(all));
    }
    let all = BCounter.bottom();
    for (const s of states) all = J(all, s);
    let rights = 0;
    for (const r of R) {
      assert.ok(localRights(all, r) >= 0);
      rights += localRights(all, r);
    }
    assert.is(rights, BCounter.value(all), 'the total is the sum of the rights');
  }), { numRuns: 200 });
});

test('decompose: increments, decrements and single transfer entries', () => {
  const s: BCounterState = { p: { a: 5 }, n: { a: 1 }, t: { a: { c: 1, b: 2 } } };
  assert.equal(BCounter.decompose(s), [
    { p: { a: 5 }, n: {}, t: {} },
    { p: {}, n: { a: 1 }, t: {} },
    { p: {}, n: {}, t: { a: { b: 2 } } },
    { p: {}, n: {}, t: { a: { c: 1 } } },
  ]);
});

test('encode is [p, n, [from, tos, ...]]; decode rejects malformed transfers', () => {
  const s: BCounterState = { p: { a: 5 }, n: {}, t: { b: { a: 1 }, a: { c: 1, b: 2 } } };
  assert.equal(BCounter.encode(s), [['a', 5], [], ['a', ['b', 2, 'c', 1], 'b', ['a', 1]]]);
  assert.equal(BCounter.decode(BCounter.encode(s)), s);
  const bad: Item[] = [
    [[], []],
    [[], [], ['a']],
    [[], [], ['a', []]], // empty entry
    [[], [], ['a', ['a', 1]]], // to itself
    [[], [], ['b', ['a', 1], 'a', ['b', 1]]], // unsorted
    [[], [], ['a', ['b', 1], 'a', ['c', 1]]], // duplicate source
    [[], [], ['a', ['b', -1]]],
    [['a', 0], [], []],
  ];
  for (const item of bad) {
    assert.throws(() => BCounter.decode(item), (e: unknown) => e instanceof DecodeError, JSON.stringify(item));
  }
});

test.run();

const REPLICAS = ['a', 'b', 'c', 'd', 'e'];
lawSuite({
  type: BCounter,
  op: fc.oneof(
    fc.integer({ min: 1, max: 5 }).map((n): Op => ['inc', [n]]),
    fc.integer({ min: 1, max: 5 }).map((n): Op => ['dec', [n]]),
    fc.tuple(fc.constantFrom(...REPLICAS), fc.integer({ min: 1, max: 5 })).map((t): Op => ['transfer', [t[0], t[1]]]),
  ),
  sequential: (v, op) => (op[0] === 'inc' ? v + op[1][0] : op[0] === 'dec' ? v - op[1][0] : v),
});
