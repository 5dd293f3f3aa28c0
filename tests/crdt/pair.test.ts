import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pair } from '../../crdt/pair.ts';
import { GCounter } from '../../crdt/gcounter.ts';
import { MaxInt } from '../../crdt/maxint.ts';
import { PNCounter } from '../../crdt/pncounter.ts';
import { GSet } from '../../crdt/gset.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import { keyOf } from '../../crdt/keys.ts';
import { sortItems } from '../../crdt/order.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('pair');
const P = pair(GCounter, MaxInt);

test('name spells out the components; the tag is shared by every pair', () => {
  assert.is(P.name, 'pair(gcounter,maxint)');
  assert.is(pair(GSet, PNCounter).name, 'pair(gset,pncounter)');
  assert.is(P.tag, 5);
  assert.is(pair(GSet, PNCounter).tag, 5);
});

test('each mutator changes its own component and leaves the other at bottom', () => {
  let s = P.bottom();
  const d1 = P.mutators.first(s, 'a', ['inc', [2]]);
  assert.equal(d1, [{ a: 2 }, 0]);
  s = P.join(s, d1);
  const d2 = P.mutators.second(s, 'b', ['raise', [9]]);
  assert.equal(d2, [{}, 9]);
  s = P.join(s, d2);
  assert.equal(P.value(s), [2, 9]);
});

test('join and leq work component-wise (a product, not a lexicographic order)', () => {
  const a: [{ [r: string]: number }, number] = [{ a: 3 }, 1];
  const b: [{ [r: string]: number }, number] = [{ a: 1 }, 5];
  assert.equal(P.join(a, b), [{ a: 3 }, 5]);
  assert.not.ok(P.leq(a, b));
  assert.not.ok(P.leq(b, a));
  assert.ok(P.leq(a, P.join(a, b)));
});

test('unknown component mutators and malformed arguments are MutatorErrors', () => {
  const s = P.bottom();
  const isArgs = (e: unknown) => e instanceof MutatorError && e.reason === 'args';
  assert.throws(() => P.mutators.first(s, 'a', ['raise', [1]]), isArgs);
  assert.throws(() => P.mutators.second(s, 'a', ['toString', []]), isArgs);
  assert.throws(() => P.mutators.first(s, 'a', ['inc', 1]), isArgs);
  assert.throws(() => P.mutators.first(s, 'a', 'inc' as unknown as any[]), isArgs);
  // The component's own refusal comes through as it is.
  assert.throws(() => P.mutators.first(s, 'a', ['inc', [0]]), isArgs);
});

test('decompose pairs each component part with the other bottom', () => {
  assert.equal(P.decompose([{ b: 1, a: 2 }, 4]), [[{ a: 2 }, 0], [{ b: 1 }, 0], [{}, 4]]);
  assert.equal(P.decompose(P.bottom()), []);
});

test('encode is [first, second]; decode checks both sides', () => {
  assert.equal(P.encode([{ a: 2 }, 4]), [['a', 2], 4]);
  const bad: Item[] = [[], [['a', 2]], [['a', 2], 4, 5], [['a', 0], 4], [['a', 2], -4], { 0: [], 1: 0 }];
  for (const item of bad) assert.throws(() => P.decode(item), (e: unknown) => e instanceof DecodeError, JSON.stringify(item));
});

test.run();

lawSuite({
  type: P,
  op: fc.oneof(
    fc.integer({ min: 1, max: 5 }).map((n): Op => ['first', ['inc', [n]]]),
    fc.integer({ min: 0, max: 30 }).map((n): Op => ['second', ['raise', [n]]]),
  ),
  sequential: (v, op): [number, number] => (op[0] === 'first' ? [v[0] + op[1][1][0], v[1]] : [v[0], Math.max(v[1], op[1][1][0])]),
});

const elem = fc.constantFrom<Item>('x', 'y', 3, [1, 'x'], { k: 'v' });
lawSuite({
  type: pair(PNCounter, GSet),
  op: fc.oneof(
    fc.tuple(fc.constantFrom('inc', 'dec'), fc.integer({ min: 1, max: 5 })).map((t): Op => ['first', [t[0], [t[1]]]]),
    elem.map((e): Op => ['second', ['add', [e]]]),
  ),
  sequential: (v, op): [number, Item[]] => {
    if (op[0] === 'first') return [op[1][0] === 'inc' ? v[0] + op[1][1][0] : v[0] - op[1][1][0], v[1]];
    const e = op[1][1][0] as Item;
    return [v[0], sortItems(v[1].filter((x) => keyOf(x) !== keyOf(e)).concat([e]))];
  },
});
