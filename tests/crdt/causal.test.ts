import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Context, type Dot, contains, contextDots, contextOf, decodeContext, emptyContext, encodeContext, joinContext,
  joinStore, leqContext, leqStore, nextDot,
} from '../../crdt/causal.ts';
import { DecodeError } from '../../crdt/errors.ts';
import type { Item } from '../../crdt/types.ts';

const keep = (x: Dot): Dot => x;

test('contextOf compacts contiguous dots into the vector and leaves gaps in the cloud', () => {
  const c = contextOf([['a', 2], ['a', 1], ['a', 4], ['b', 3], ['a', 2]]);
  assert.equal(c.vv, { a: 2 });
  assert.equal(c.cloud, { a: [4], b: [3] });
  assert.ok(contains(c, ['a', 1]));
  assert.ok(contains(c, ['a', 4]));
  assert.not.ok(contains(c, ['a', 3]));
  assert.not.ok(contains(c, ['b', 1]));
  assert.ok(contains(c, ['b', 3]));
});

test('join moves cloud dots into the vector once the gap is filled', () => {
  const a = contextOf([['a', 1], ['a', 3], ['a', 5]]);
  assert.equal(a.vv, { a: 1 });
  assert.equal(a.cloud, { a: [3, 5] });
  const j = joinContext(a, contextOf([['a', 2]]));
  assert.equal(j.vv, { a: 3 });
  assert.equal(j.cloud, { a: [5] });
  const k = joinContext(j, contextOf([['a', 4], ['b', 1]]));
  assert.equal(k.vv, { a: 5, b: 1 });
  assert.equal(k.cloud, {});
  // A vector that already covers the other side's cloud swallows it.
  const big: Context = { vv: { a: 9 }, cloud: {} };
  assert.equal(joinContext(a, big), { vv: { a: 9 }, cloud: {} });
});

test('join does not modify its arguments', () => {
  const a = contextOf([['a', 1], ['a', 3]]);
  const b = contextOf([['a', 2]]);
  const before = JSON.stringify([a, b]);
  joinContext(a, b);
  assert.is(JSON.stringify([a, b]), before);
});

test('nextDot is one past the highest counter seen, cloud included', () => {
  assert.equal(nextDot(emptyContext(), 'a'), ['a', 1]);
  assert.equal(nextDot(contextOf([['a', 1], ['a', 7]]), 'a'), ['a', 8]);
  assert.throws(() => nextDot(emptyContext(), ''), /replica id/);
});

test('leqContext is dot inclusion', () => {
  const a = contextOf([['a', 1], ['a', 3]]);
  const b = contextOf([['a', 1], ['a', 2], ['a', 3], ['b', 1]]);
  assert.ok(leqContext(a, b));
  assert.not.ok(leqContext(b, a));
  assert.not.ok(leqContext(contextOf([['a', 4]]), b));
  assert.ok(leqContext(emptyContext(), a));
});

test('contextDots lists every dot in order', () => {
  assert.equal(contextDots(contextOf([['b', 1], ['a', 1], ['a', 2], ['a', 5]])), [['a', 1], ['a', 2], ['a', 5], ['b', 1]]);
});

test('joinStore keeps dots on both sides or unseen by the other side, drops the observed-removed', () => {
  // a holds a1 and b1; b has seen a1 (and dropped it) but not b1; b holds b2 which a has not seen.
  const ca = contextOf([['a', 1], ['b', 1]]);
  const cb = contextOf([['a', 1], ['b', 2]]);
  const sa: Dot[] = [['a', 1], ['b', 1]];
  const sb: Dot[] = [['b', 2]];
  assert.equal(joinStore(sa, ca, sb, cb, keep), [['b', 1], ['b', 2]]);
  assert.equal(joinStore(sb, cb, sa, ca, keep), [['b', 1], ['b', 2]]);
});

test('leqStore: a state that removed a dot is not below one that still holds it', () => {
  const c = contextOf([['a', 1]]);
  assert.not.ok(leqStore([], c, [['a', 1]], null));
  assert.ok(leqStore([['a', 1]], c, [], null));
  assert.ok(leqStore([], emptyContext(), [['a', 1]], null));
});

function decodeFails(item: Item, pattern: RegExp): void {
  try {
    decodeContext(item, 'ctx');
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable('decoded ' + JSON.stringify(item));
}

test('encodeContext is [vector, cloud], sorted, and decodes back', () => {
  const c = contextOf([['b', 1], ['a', 1], ['a', 2], ['a', 5], ['b', 4], ['b', 3]]);
  const item = encodeContext(c);
  assert.equal(item, [['a', 2, 'b', 1], ['a', 5, 'b', 3, 'b', 4]]);
  assert.equal(decodeContext(item, 'ctx'), c);
});

test('decodeContext rejects contexts that are not in compacted canonical form', () => {
  decodeFails([['b', 1, 'a', 1], []], /ascending/);
  decodeFails([['a', 0], []], /start at 1/);
  decodeFails([['a', 2], ['a', 3]], /not compacted/);
  decodeFails([[], ['a', 1]], /not compacted/);
  decodeFails([[], ['a', 5, 'a', 3]], /ascending/);
  decodeFails([['', 1], []], /replica id/);
  decodeFails([['__proto__', 1], []], /replica id/);
  decodeFails([['a'], []], /pairs/);
  decodeFails(['a', 1], /array/);
});

test.run();
