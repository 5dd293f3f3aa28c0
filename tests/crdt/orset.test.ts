import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ORSet, ORSetCore, type ORSetState, add, clear, remove } from '../../crdt/orset.ts';
import { encode, decode } from '../../crdt/codec/cbor.ts';
import { DecodeError } from '../../crdt/errors.ts';
import { keyOf } from '../../crdt/keys.ts';
import { sortItems } from '../../crdt/order.ts';
import type { Item } from '../../crdt/types.ts';
import { coreOnly, lawSuite, type Op } from '../support/laws.ts';

const test = suite('orset');
const J = ORSet.join;
const size = (s: ORSetState): number => encode(ORSet.encode(s)).length;

test('add then remove, sequentially', () => {
  let s = ORSet.bottom();
  s = J(s, add(s, 'a', 'x'));
  s = J(s, add(s, 'a', 2));
  assert.equal(ORSet.value(s), [2, 'x']);
  s = J(s, remove(s, 'x'));
  assert.equal(ORSet.value(s), [2]);
  s = J(s, clear(s));
  assert.equal(ORSet.value(s), []);
});

test('concurrent add and remove of the same element: the element stays', () => {
  let a = ORSet.bottom();
  a = J(a, add(a, 'a', 'x'));
  let b = J(ORSet.bottom(), a);
  const rm = remove(a, 'x');
  a = J(a, rm);
  const ad = add(b, 'b', 'x');
  b = J(b, ad);
  assert.equal(ORSet.value(J(a, ad)), ['x']);
  assert.equal(ORSet.value(J(b, rm)), ['x']);
  assert.equal(ORSet.value(J(a, b)), ['x']);
});

test('a remove that has seen the add wins over nothing: the element goes everywhere', () => {
  let a = ORSet.bottom();
  a = J(a, add(a, 'a', 'x'));
  const b = J(ORSet.bottom(), a);
  const c = J(b, remove(b, 'x'));
  assert.equal(ORSet.value(J(a, c)), []);
  assert.equal(ORSet.value(J(c, a)), []);
});

// An element's dots are flat, [r1, n1, r2, n2, …]: a dot is two slots.
test('re-adding replaces the observed dots, so an element keeps one dot', () => {
  let s = ORSet.bottom();
  for (let i = 0; i < 5; i++) s = J(s, add(s, i % 2 === 0 ? 'a' : 'b', 'x'));
  assert.is(s.m[keyOf('x')].d.length / 2, 1);
  // Concurrent adds keep one dot each until an add observes both.
  const a = J(s, add(s, 'a', 'x'));
  const b = J(s, add(s, 'b', 'x'));
  const m = J(a, b);
  assert.is(m.m[keyOf('x')].d.length / 2, 2);
  assert.is(J(m, add(m, 'c', 'x')).m[keyOf('x')].d.length / 2, 1);
});

test('encode hands the dot lists over as they are, decode keeps them, and no later join edits one', () => {
  for (const t of [ORSet, ORSetCore]) {
    let s = t.bottom();
    for (const e of ['x', 'y', 'z']) s = t.joinInto(s, add(s, 'a', e));
    const item = t.encode(s) as any[];
    // the element's list is the state's own, not a copy
    assert.ok(item[0][1] === s.m[keyOf('x')].d);
    const before = JSON.stringify(item);
    const back = t.decode(item);
    assert.ok(back.m[keyOf('y')].d === item[0][3]);
    // adds, re-adds, removes and a concurrent peer's adds, joined into both states: the shared lists stay as they were
    let peer = t.decode(decode(encode(item)));
    peer = t.joinInto(peer, add(peer, 'b', 'x'));
    for (const st of [s, back]) {
      let u = st;
      u = t.joinInto(u, add(u, 'a', 'x'));
      u = t.joinInto(u, remove(u, 'y'));
      u = t.joinInto(u, peer);
      u = t.joinInto(u, clear(u));
      assert.equal(t.value(u), []);
    }
    assert.is(JSON.stringify(item), before);
  }
});

test('an add delta is one dot plus the context of the dots it replaces', () => {
  let s = ORSet.bottom();
  for (let i = 0; i < 300; i++) s = J(s, add(s, 'a', 'x'));
  const d = add(s, 'a', 'x');
  assert.equal(ORSet.encode(d), [['x', ['a', 301]], [[], ['a', 300, 'a', 301]]]);
  assert.ok(encode(ORSet.encode(d)).length <= 24, 'add delta of ' + encode(ORSet.encode(d)).length + ' bytes');
  assert.equal(ORSet.encode(remove(s, 'x')), [[], [[], ['a', 300]]]);
  assert.equal(ORSet.encode(remove(s, 'absent')), [[], [[], []]]);
});

test('mutators never modify the state they are given', () => {
  let s = ORSet.bottom();
  s = J(s, add(s, 'a', 'x'));
  const before = JSON.stringify(s);
  add(s, 'a', 'x');
  remove(s, 'x');
  clear(s);
  J(s, add(s, 'b', 'y'));
  assert.is(JSON.stringify(s), before);
});

test('compact: 10,000 add/remove cycles on one replica stay ≤ 16 bytes with an empty dot cloud', () => {
  let s = ORSet.bottom();
  for (let i = 0; i < 10000; i++) {
    s = J(s, add(s, 'a', 'x'));
    s = J(s, remove(s, 'x'));
  }
  assert.equal(ORSet.value(s), []);
  assert.equal(s.c.cloud, {});
  assert.equal(s.c.vv, { a: 10000 });
  assert.ok(size(s) <= 16, 'state of ' + size(s) + ' bytes');
});

test('compact: two replicas, deltas shuffled in flight and full merges every 100 cycles, stay ≤ 24 bytes', () => {
  let a = ORSet.bottom();
  let b = ORSet.bottom();
  let toB: ORSetState[] = [];
  let bAdds = 0;
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 1; i <= 10000; i++) {
    const d1 = add(a, 'a', 'x');
    a = J(a, d1);
    const d2 = remove(a, 'x');
    a = J(a, d2);
    toB.push(d1, d2);
    // b works on the same element too.
    if (i % 7 === 0) {
      b = J(b, add(b, 'b', 'x'));
      bAdds++;
      if (i % 14 === 0) b = J(b, remove(b, 'x'));
    }
    if (i % 50 === 0) {
      while (toB.length > 0) b = J(b, toB.splice(rnd(toB.length), 1)[0]);
    }
    if (i % 100 === 0) {
      a = J(a, b);
      b = J(b, a);
      assert.equal(a.c.cloud, {});
      assert.ok(size(a) <= 24, 'state of ' + size(a) + ' bytes after ' + i + ' cycles');
      assert.ok(ORSet.leq(a, b) && ORSet.leq(b, a));
    }
  }
  toB = [];
  assert.equal(b.c.cloud, {});
  assert.ok(size(b) <= 24, 'state of ' + size(b) + ' bytes');
  assert.equal(b.c.vv, { a: 10000, b: bAdds });
});

test('join of two 2,000-element sets with concurrent removes is exact', () => {
  let a = ORSet.bottom();
  for (let i = 0; i < 2000; i++) a = J(a, add(a, 'a', i));
  let b = J(ORSet.bottom(), a);
  for (let i = 0; i < 2000; i += 2) b = J(b, remove(b, i));
  for (let i = 1; i < 2000; i += 4) a = J(a, add(a, 'a', i)); // re-adds concurrent with nothing
  for (let i = 0; i < 2000; i += 10) a = J(a, add(a, 'a', i)); // re-adds concurrent with b's removes
  const m = J(a, b);
  const v = ORSet.value(m) as number[];
  assert.is(v.length, 1000 + 200);
  assert.ok(v.every((x) => x % 2 === 1 || x % 10 === 0));
});

function decodeFails(item: Item, pattern: RegExp): void {
  try {
    ORSet.decode(item);
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable('decoded ' + JSON.stringify(item));
}

test('decode rejects malformed states with a reason', () => {
  decodeFails([['x', ['a', 2]], [['a', 1], []]], /not in the causal context/);
  decodeFails([['x', ['a', 1], 'y', ['a', 1]], [['a', 1], []]], /twice/);
  decodeFails([['y', ['a', 1], 'x', ['a', 2]], [['a', 2], []]], /ascending/);
  decodeFails([['x', []], [['a', 1], []]], /one or more/);
  decodeFails([['x', ['a', 2, 'a', 1]], [['a', 2], []]], /ascending/);
  decodeFails([['x'], [[], []]], /pairs/);
  decodeFails([[], [[], []], 1], /2 items/);
  assert.equal(ORSet.value(ORSet.decode(decode(encode([['x', ['a', 1]], [['a', 1], []]])))), ['x']);
});

test.run();

const elem = fc.constantFrom<Item>('x', 'y', 'z', 1, -2.5, true, null, [1, 'x'], { k: 'v' });

// Adds, removes and clears against a sequential set of items, for the Node table and the board's core alike.
const setOps = {
  op: fc.oneof(
    { weight: 4, arbitrary: elem.map((e): Op => ['add', [e]]) },
    { weight: 3, arbitrary: elem.map((e): Op => ['remove', [e]]) },
    { weight: 1, arbitrary: fc.constant<Op>(['clear', []]) },
  ),
  sequential: (v: Item[], op: Op): Item[] => {
    if (op[0] === 'clear') return [];
    const e = op[1][0] as Item;
    const rest = v.filter((x) => keyOf(x) !== keyOf(e));
    if (op[0] === 'add') return sortItems(rest.concat([e]));
    return rest;
  },
};

lawSuite({ type: ORSet, ...setOps });

// The board's table: the same laws for its own joinInto, leq, decompose and codec.
lawSuite({ type: coreOnly(ORSetCore), ...setOps });
