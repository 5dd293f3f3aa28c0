/**
 * A total order on element items, for the sorted arrays that `value` returns (set members, register values,
 * graph edges). Numbers come first in numeric order, then strings in code-unit order, then everything else
 * (booleans, null, bytes, arrays, maps) in the order of their canonical keys, so the order is the same on Node
 * and on the board and never depends on object key order.
 *
 *   sortItems([10, 'b', 9, true, 'a']); // [9, 10, 'a', 'b', true]
 */
import { keyOf } from './keys.ts';
import type { Item } from './types.ts';

export function cmpItem(a: Item, b: Item): number {
  // rank: numbers, strings, the rest; NaN has no numeric place: order it by its key
  const ra = typeof a === 'number' && a === a ? 0 : typeof a === 'string' ? 1 : 2;
  const rb = typeof b === 'number' && b === b ? 0 : typeof b === 'string' ? 1 : 2;
  if (ra !== rb) return ra - rb;
  // Numbers by value and strings by code unit; 0 and -0 (different elements, whose keys differ, that compare
  // equal as numbers) and the rest by their canonical keys.
  let x = a as number | string;
  let y = b as number | string;
  if (ra === 2 || (ra === 0 && x === y)) {
    x = keyOf(a);
    y = keyOf(b);
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A sorted copy; the argument is left alone. */
export function sortItems<T extends Item>(items: T[]): T[] {
  return items.slice().sort(cmpItem);
}
