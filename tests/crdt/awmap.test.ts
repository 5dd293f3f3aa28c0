import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type AWMapState, apply, awmap, remove } from '../../crdt/awmap.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import { GCounter } from '../../crdt/gcounter.ts';
import { keyOf } from '../../crdt/keys.ts';
import { sortItems } from '../../crdt/order.ts';
import { ORSet, type ORSetState } from '../../crdt/orset.ts';
import { PNCounter } from '../../crdt/pncounter.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('awmap');
const Counters = awmap(GCounter);
const Sets = awmap(ORSet);

/** Apply one nested update at a replica and join it in. */
function upd<S>(t: typeof GCounter | typeof ORSet, s: AWMapState<S>, r: string, key: string, name: string, args: any[]): AWMapState<S> {
  const M = awmap(t as any);
  return M.join(s, apply(t as any, s, r, key, name, args) as AWMapState<S>) as AWMapState<S>;
}

test('apply creates the key and updates the nested value; remove drops it', () => {
  let s = Counters.bottom();
  s = upd(GCounter, s, 'a', 'hits', 'inc', [2]);
  s = upd(GCounter, s, 'b', 'hits', 'inc', [3]);
  s = upd(GCounter, s, 'a', 'errs', 'inc', [1]);
  assert.equal(Counters.value(s), { errs: 1, hits: 5 });
  assert.equal(Object.keys(Counters.value(s)), ['errs', 'hits']);
  s = Counters.join(s, remove(s, 'hits'));
  assert.equal(Counters.value(s), { errs: 1 });
  assert.equal(s.c.cloud, {});
});

test('a replica keeps one dot per key: its new update replaces its older one', () => {
  let s = Counters.bottom();
  for (let i = 0; i < 50; i++) s = upd(GCounter, s, i % 2 === 0 ? 'a' : 'b', 'k', 'inc', [1]);
  assert.is(s.m[keyOf('k')].length, 2);
  assert.equal(Counters.value(s), { k: 50 });
});

test('remove then re-add: the nested value starts again from bottom (G-Counter)', () => {
  let s = Counters.bottom();
  s = upd(GCounter, s, 'a', 'k', 'inc', [5]);
  s = upd(GCounter, s, 'b', 'k', 'inc', [7]);
  s = Counters.join(s, remove(s, 'k'));
  s = upd(GCounter, s, 'a', 'k', 'inc', [1]);
  assert.equal(Counters.value(s), { k: 1 });
});

test('remove then re-add: the nested value starts again from bottom (PN-Counter)', () => {
  const M = awmap(PNCounter);
  let s = M.bottom();
  s = M.join(s, apply(PNCounter, s, 'a', 'k', 'inc', [5]));
  s = M.join(s, apply(PNCounter, s, 'b', 'k', 'dec', [2]));
  assert.equal(M.value(s), { k: 3 });
  s = M.join(s, remove(s, 'k'));
  assert.equal(M.value(s), {});
  s = M.join(s, apply(PNCounter, s, 'b', 'k', 'dec', [1]));
  assert.equal(M.value(s), { k: -1 });
});

test('concurrent update and remove: the key survives with the effect concurrent to the removal', () => {
  let a = Counters.bottom();
  a = upd(GCounter, a, 'a', 'k', 'inc', [5]);
  let b = Counters.join(Counters.bottom(), a);
  const rm = remove(a, 'k');
  a = Counters.join(a, rm);
  const up = apply(GCounter, b, 'b', 'k', 'inc', [1]);
  b = Counters.join(b, up);
  assert.equal(Counters.value(Counters.join(a, b)), { k: 1 });
  assert.equal(Counters.value(Counters.join(b, a)), { k: 1 });
});

test('documented cost: an update concurrent to a remove revives its replica\'s whole contribution', () => {
  let a = Counters.bottom();
  a = upd(GCounter, a, 'b', 'k', 'inc', [2]);
  let b = Counters.join(Counters.bottom(), a);
  a = Counters.join(a, remove(a, 'k'));
  b = upd(GCounter, b, 'b', 'k', 'inc', [1]);
  // The remove saw b's 2, yet b's new dot carries b's contribution so far: 2 + 1.
  assert.equal(Counters.value(Counters.join(a, b)), { k: 3 });
});

test('nested OR-Set: concurrent add in the nested set and remove of the key: add wins', () => {
  let a = Sets.bottom();
  a = upd(ORSet, a, 'a', 'k', 'add', ['x']);
  let b = Sets.join(Sets.bottom(), a);
  a = Sets.join(a, remove(a, 'k'));
  b = upd(ORSet, b, 'b', 'k', 'add', ['y']);
  assert.equal(Sets.value(Sets.join(a, b)), { k: ['y'] });
});

test('nested OR-Set: a fresh contribution after a remove never reuses nested dots (epochs)', () => {
  // a adds x; b sees it and removes x in the nested set, so b's contribution's context holds a's nested dot.
  let a = Sets.bottom();
  a = upd(ORSet, a, 'a', 'k', 'add', ['x']);
  let b = Sets.join(Sets.bottom(), a);
  b = upd(ORSet, b, 'b', 'k', 'remove', ['x']);
  a = Sets.join(a, b);
  // a removes the key; b concurrently adds y, so b's contribution (with that context) survives.
  a = Sets.join(a, remove(a, 'k'));
  b = upd(ORSet, b, 'b', 'k', 'add', ['y']);
  // a starts the key again; had it reused its old nested dot, b's context would delete z on merge.
  a = upd(ORSet, a, 'a', 'k', 'add', ['z']);
  assert.equal(Sets.value(Sets.join(a, b)), { k: ['y', 'z'] });
  assert.equal(Sets.value(Sets.join(b, a)), { k: ['y', 'z'] });
});

test('nested maps: awmap(awmap(gcounter)) removes a whole inner map', () => {
  const Inner = Counters;
  const Outer = awmap(Inner);
  let s = Outer.bottom();
  s = Outer.join(s, apply(Inner, s, 'a', 'room1', 'apply', ['t', 'inc', [3]]));
  s = Outer.join(s, apply(Inner, s, 'b', 'room1', 'apply', ['h', 'inc', [4]]));
  assert.equal(Outer.value(s), { room1: { h: 4, t: 3 } });
  s = Outer.join(s, apply(Inner, s, 'a', 'room1', 'remove', ['t']));
  assert.equal(Outer.value(s), { room1: { h: 4 } });
  s = Outer.join(s, remove(s, 'room1'));
  assert.equal(Outer.value(s), {});
});

test('a delta carries one dot and the context of the dot it replaces', () => {
  let s = Counters.bottom();
  for (let i = 0; i < 3; i++) s = upd(GCounter, s, 'a', 'k', 'inc', [1]);
  const d = apply(GCounter, s, 'a', 'k', 'inc', [1]);
  // Dot (a, 4) of epoch 1 (2 * 4 + 1, then the epoch); the context less the dot the entry holds: (a, 3).
  assert.equal(Counters.encode(d), [['k', 'a', 9, 1, ['a.1', 4]], [[], ['a', 3]]]);
  // A first write: its epoch is its dot (written 2n), and its context is its dot alone (left out, and with it the
  // array that would pair entries and context); one contribution to a key goes in line.
  assert.equal(Counters.encode(apply(GCounter, Counters.bottom(), 'a', 'k', 'inc', [2])), ['k', 'a', 2, ['a.1', 2]]);
});

test('the context on the wire leaves out the held dots at the top of each vector entry and in the cloud', () => {
  let s = Counters.bottom();
  s = upd(GCounter, s, 'a', 'k', 'inc', [1]); // (a, 1)
  s = upd(GCounter, s, 'a', 'j', 'inc', [1]); // (a, 2)
  s = upd(GCounter, s, 'b', 'k', 'inc', [1]); // (b, 1)
  s = Counters.join(s, remove(s, 'j')); // (a, 2) removed
  s = upd(GCounter, s, 'a', 'k', 'inc', [1]); // (a, 3) replaces (a, 1)
  // Whole context: a 1..3, b 1; held: (a, 3), (b, 1). Sent: a up to 2 (its top dot is held), b left out.
  assert.equal(Counters.encode(s), [['k', ['a', 7, 1, ['a.1', 2], 'b', 2, ['b.1', 1]]], [['a', 2], []]]);
  assert.equal(Counters.decode(Counters.encode(s)), s);
});

test('bad arguments are MutatorErrors with a reason', () => {
  const s = Counters.bottom();
  assert.throws(() => apply(GCounter, s, 'a', 'k', 'nope', []), (e: unknown) => e instanceof MutatorError && /has no mutator "nope"/.test((e as Error).message));
  assert.throws(() => apply(GCounter, s, 'a', 1 as any, 'inc', [1]), (e: unknown) => e instanceof MutatorError && /strings/.test((e as Error).message));
  assert.throws(() => apply(GCounter, s, 'a', '__proto__', 'inc', [1]), (e: unknown) => e instanceof MutatorError);
});

test('decode validates the map, its compact form and the nested states', () => {
  const ok = Counters.decode(['k', 'a', 2, ['a.1', 2]]);
  assert.equal(Counters.value(ok), { k: 2 });
  assert.equal(ok.c.vv, { a: 1 });
  const bad = (item: Item, re: RegExp) => assert.throws(() => Counters.decode(item), (e: unknown) => e instanceof DecodeError && re.test((e as Error).message), JSON.stringify(item));
  // The context listing a dot the entries hold (the form before the compact wire, too) is not the one encoding.
  bad([['k', 'a', 2, ['a.1', 2]], [['a', 1], []]], /compact form/);
  bad([['k', 'a', 1, 1, ['a.1', 2]], [['a', 1], []]], /start at 1/);
  bad([['k', 'a', 4, ['a.1', 2]], [['a', 2], []]], /compact form/);
  bad([['k', 'a', 4, ['a.1', 2]], [[], ['a', 2]]], /not compacted|compact form/);
  bad([['k', 'a', 2, ['a.1', 2]], [[], []]], /left out/);
  bad(['k', 'a', 3, 1, ['a.1', 2]], /epoch/);
  bad(['k', 'a', 5, 2, ['a.1', 2]], /epoch/);
  bad(['k', 'a', 5, 0, ['a.1', 2]], /epoch/);
  bad(['k', 'a', 5, 1], /cut short/);
  bad(['k', 'a', 2], /cut short/);
  bad(['k'], /cut short/);
  bad(['k', 'a', 2, ['a.1', 0]], /zero/);
  // One state, one encoding: one contribution only in line, an array only for two or more.
  bad(['k', []], /two or more in an array/);
  bad(['k', ['a', 2, ['a.1', 2]]], /two or more in an array/);
  bad(['k', 'a', 2, [], 'j', 'a', 4, []], /ascending/);
  bad(['k', ['b', 2, [], 'a', 2, []]], /ascending/);
  bad(['k', ['a', 4, [], 'a', 2, []]], /ascending/);
  bad(['j', 'a', 2, [], 'k', 'a', 2, []], /twice/);
  bad(['k', 'a', 2 ** 50, []], /2\^48/);
  bad([2, 'a', 2, []], /key/);
  // The form before this one, [[key, [contributions]]] with no context, is refused by name.
  bad([['k', ['a', 2, ['a.1', 2]]]], /older awmap wire form/);
  bad([[], [[], ['a', 1]], []], /older awmap wire form/);
});

test('joinInto: one dot under two keys (only a forgery has it) is removed on both sides, as join does', () => {
  const a = Counters.decode(['hits', 'r2', 16, ['r2.8', 1]]);
  const b = Counters.decode(['k', 'r2', 16, ['r2.8', 1]]);
  const j = Counters.join(a, b);
  assert.equal(Counters.encode(j), [[], [[], ['r2', 8]]]);
  assert.equal(Counters.encode(Counters.joinInto(Counters.copy(a), b)), Counters.encode(j));
});

test('joinInto folds many concurrent writes to one key, then a replacing write and a remove, as join does', () => {
  let s = Counters.bottom();
  let t = Counters.bottom();
  const ds = [];
  for (let i = 0; i < 60; i++) ds.push(apply(GCounter, Counters.bottom(), 'r' + String(100 + ((i * 37) % 60)), 'k', 'inc', [1]));
  for (const d of ds) {
    s = Counters.joinInto(s, d);
    t = Counters.join(t, d);
  }
  assert.equal(Counters.encode(s), Counters.encode(t));
  assert.is(Counters.value(s).k, 60);
  for (const d of [apply(GCounter, t, 'r105', 'k', 'inc', [2]), remove(t, 'k'), apply(GCounter, t, 'r200', 'k', 'inc', [1])]) {
    s = Counters.joinInto(s, d);
    t = Counters.join(t, d);
    assert.equal(Counters.encode(s), Counters.encode(t));
  }
  // r105's new write is concurrent with the remove (add wins, its whole contribution: 1 + 2), and r200's is new.
  assert.equal(Counters.value(s), { k: 4 });
});

test.run();

// ---- laws, with a nested OR-Set (a causal type: the demanding case) and a nested G-Counter ----

const keys = fc.constantFrom('k1', 'k2');
const elem = fc.constantFrom<Item>('x', 'y', 3);

function setSeq(v: Item[], name: string, args: any[]): Item[] {
  if (name === 'clear') return [];
  const rest = v.filter((x) => keyOf(x) !== keyOf(args[0]));
  return name === 'add' ? sortItems(rest.concat([args[0]])) : rest;
}

lawSuite<AWMapState<ORSetState>, { [k: string]: any }>({
  type: Sets,
  op: fc.oneof(
    { weight: 4, arbitrary: fc.tuple(keys, elem).map(([k, e]): Op => ['apply', [k, 'add', [e]]]) },
    { weight: 2, arbitrary: fc.tuple(keys, elem).map(([k, e]): Op => ['apply', [k, 'remove', [e]]]) },
    { weight: 1, arbitrary: keys.map((k): Op => ['apply', [k, 'clear', []]]) },
    { weight: 2, arbitrary: keys.map((k): Op => ['remove', [k]]) },
  ),
  sequential: (v, op) => {
    const out: { [k: string]: any } = { ...v };
    const k = op[1][0] as string;
    if (op[0] === 'remove') delete out[k];
    else out[k] = setSeq(out[k] ?? [], op[1][1], op[1][2]);
    return out;
  },
});

lawSuite({
  type: Counters,
  op: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(keys, fc.integer({ min: 1, max: 5 })).map(([k, n]): Op => ['apply', [k, 'inc', [n]]]) },
    { weight: 1, arbitrary: keys.map((k): Op => ['remove', [k]]) },
  ),
  sequential: (v, op) => {
    const out: { [k: string]: any } = { ...v };
    const k = op[1][0] as string;
    if (op[0] === 'remove') delete out[k];
    else out[k] = (out[k] ?? 0) + op[1][2][0];
    return out;
  },
  runs: 100,
});
