/**
 * 2P-Set: a G-Set of added elements and a G-Set of removed ones (tombstones); an element is in the set when
 * it was added and not removed. Removal is final: a removed element can never come back.
 *
 *   let s = TwoPSet.bottom();
 *   s = TwoPSet.join(s, add(s, 'milk'));
 *   s = TwoPSet.join(s, remove(s, 'milk'));
 *   TwoPSet.value(s);   // []
 *   add(s, 'milk');     // throws MutatorError "removed"
 *
 * Both mutators refuse what could not be meant, with a MutatorError rather than a silent no-op:
 * - remove of an element this replica has never seen added ("not-present"): a tombstone for it would
 *   silently veto every later add anywhere, which is never what a caller who mistyped an element wants;
 * - add of an element already removed ("removed"): it would not show, since removal is final.
 * Removing an element that is already removed, or adding one already in, returns bottom.
 *
 * Wire: [added, removed], each a G-Set's list of elements. A delta may hold a removal without the add.
 */
import { arr } from './check.ts';
import { MutatorError } from './errors.ts';
import { decodeElements, GSet, type GSetState, union, unionInto } from './gset.ts';
import { itemArg } from './guards.ts';
import { hasOwn, keyOf } from './keys.ts';
import { sortItems } from './order.ts';
import type { Crdt, Item } from './types.ts';

export interface TwoPSetState {
  added: GSetState;
  removed: GSetState;
}

export function has(s: TwoPSetState, x: Item): boolean {
  const k = keyOf(x);
  return hasOwn(s.added, k) && !hasOwn(s.removed, k);
}

/** Delta of adding x: x in `added`, or bottom when it is already in; MutatorError "removed" after a removal. */
export function add(s: TwoPSetState, x: Item): TwoPSetState {
  const k = keyOf(itemArg(x, 'twopset add'));
  if (hasOwn(s.removed, k)) throw new MutatorError('removed', 'twopset add: this element was removed, and removal in a 2P-Set is final');
  const d: GSetState = {};
  if (!hasOwn(s.added, k)) d[k] = x;
  return { added: d, removed: {} };
}

/** Delta of removing x: its tombstone, or bottom when already removed; MutatorError "not-present" if never added. */
export function remove(s: TwoPSetState, x: Item): TwoPSetState {
  const k = keyOf(itemArg(x, 'twopset remove'));
  if (hasOwn(s.removed, k)) return { added: {}, removed: {} };
  if (!hasOwn(s.added, k)) throw new MutatorError('not-present', 'twopset remove: this element is not in the set (add it first, or wait until its add arrives)');
  const d: GSetState = {};
  d[k] = x;
  return { added: {}, removed: d };
}

function bottom(): TwoPSetState {
  return { added: {}, removed: {} };
}

function join(a: TwoPSetState, b: TwoPSetState): TwoPSetState {
  return { added: union(a.added, b.added), removed: union(a.removed, b.removed) };
}

function joinInto(a: TwoPSetState, b: TwoPSetState): TwoPSetState {
  unionInto(a.added, b.added);
  unionInto(a.removed, b.removed);
  return a;
}

function copy(s: TwoPSetState): TwoPSetState {
  return { added: union({}, s.added), removed: union({}, s.removed) };
}

function leq(a: TwoPSetState, b: TwoPSetState): boolean {
  return GSet.leq(a.added, b.added) && GSet.leq(a.removed, b.removed);
}

function value(s: TwoPSetState): Item[] {
  const ks = Object.keys(s.added);
  const out: Item[] = [];
  for (let i = 0; i < ks.length; i++) if (!hasOwn(s.removed, ks[i])) out.push(s.added[ks[i]]);
  return sortItems(out);
}

function decompose(s: TwoPSetState): TwoPSetState[] {
  const parts: TwoPSetState[] = [];
  const as = GSet.decompose(s.added);
  for (let i = 0; i < as.length; i++) parts.push({ added: as[i], removed: {} });
  const rs = GSet.decompose(s.removed);
  for (let i = 0; i < rs.length; i++) parts.push({ added: {}, removed: rs[i] });
  return parts;
}

function encode(s: TwoPSetState): Item {
  return [GSet.encode(s.added), GSet.encode(s.removed)];
}

function decode(item: Item): TwoPSetState {
  const two = arr(item, 'twopset', 2);
  return { added: decodeElements(two[0], 'twopset added'), removed: decodeElements(two[1], 'twopset removed') };
}

export const TwoPSet: Crdt<TwoPSetState, Item[]> = {
  name: 'twopset',
  tag: 7,
  bottom: bottom,
  join: join,
  joinInto: joinInto,
  copy: copy,
  claims: () => undefined,
  leq: leq,
  value: value,
  decompose: decompose,
  encode: encode,
  decode: decode,
  mutators: {
    add: (s, _r, a) => add(s, a[0]),
    remove: (s, _r, a) => remove(s, a[0]),
  },
};
