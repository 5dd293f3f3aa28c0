/**
 * G-Set: a grow-only set of items; join is union. Elements are keyed by keyOf (crdt/keys.ts), so any plain
 * data (numbers, strings, bytes, arrays, maps) can be an element and equal items are one element. Items are
 * kept by reference: treat an element as frozen once it is added.
 *
 *   let s = GSet.bottom();
 *   s = GSet.join(s, add(s, 'milk'));  // delta: just 'milk'
 *   add(s, 'milk');                    // {}: already there, nothing to say
 *   GSet.value(s);                     // ['milk']
 *
 * Wire: the elements in strictly ascending keyOf order (which also rules out repeats).
 */
import { arr, ascending } from './check.ts';
import { elementItem, itemArg } from './guards.ts';
import { hasOwn, keyOf, sortedKeys } from './keys.ts';
import { sortItems } from './order.ts';
import type { Crdt, Item } from './types.ts';

/** keyOf(element) → element. */
export interface GSetState {
  [key: string]: Item;
}

export function has(s: GSetState, x: Item): boolean {
  return hasOwn(s, keyOf(x));
}

/** Delta of adding x: x alone, or bottom when x is already in. */
export function add(s: GSetState, x: Item): GSetState {
  const k = keyOf(itemArg(x, 'gset add'));
  const d: GSetState = {};
  if (!hasOwn(s, k)) d[k] = x;
  return d;
}

function bottom(): GSetState {
  return {};
}

/** Union. Exported for the 2P-Set, whose halves are G-Sets. */
export function union(a: GSetState, b: GSetState): GSetState {
  const out: GSetState = {};
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) out[ka[i]] = a[ka[i]];
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) if (!hasOwn(out, kb[i])) out[kb[i]] = b[kb[i]];
  return out;
}

/** union(a, b) written into a (the caller owns a): O(elements of b). Exported for the 2P-Set. */
export function unionInto(a: GSetState, b: GSetState): GSetState {
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) if (!hasOwn(a, kb[i])) a[kb[i]] = b[kb[i]];
  return a;
}

function leq(a: GSetState, b: GSetState): boolean {
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) if (!hasOwn(b, ka[i])) return false;
  return true;
}

function value(s: GSetState): Item[] {
  const ks = Object.keys(s);
  const out: Item[] = [];
  for (let i = 0; i < ks.length; i++) out.push(s[ks[i]]);
  return sortItems(out);
}

function decompose(s: GSetState): GSetState[] {
  const ks = sortedKeys(s);
  const parts: GSetState[] = [];
  for (let i = 0; i < ks.length; i++) {
    const p: GSetState = {};
    p[ks[i]] = s[ks[i]];
    parts.push(p);
  }
  return parts;
}

function encode(s: GSetState): Item {
  const ks = sortedKeys(s);
  const out: Item[] = [];
  for (let i = 0; i < ks.length; i++) out.push(s[ks[i]]);
  return out;
}

/** Decode a list of elements in canonical order; `what` names it in errors. Exported for the 2P-Set. */
export function decodeElements(item: Item, what: string): GSetState {
  const xs = arr(item, what);
  const s: GSetState = {};
  let prev: string | undefined;
  for (let i = 0; i < xs.length; i++) {
    const k = keyOf(elementItem(xs[i], what + ' element'));
    ascending(prev, k, what + ' elements');
    prev = k;
    s[k] = xs[i];
  }
  return s;
}

export const GSet: Crdt<GSetState, Item[]> = {
  name: 'gset',
  tag: 6,
  bottom: bottom,
  join: union,
  joinInto: unionInto,
  copy: (s) => union({}, s),
  claims: () => undefined,
  leq: leq,
  value: value,
  decompose: decompose,
  encode: encode,
  decode: (item) => decodeElements(item, 'gset'),
  mutators: {
    add: (s, _r, a) => add(s, a[0]),
  },
};
