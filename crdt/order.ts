/**
 * A total order on element items, for the sorted arrays that `value` returns (set members, register values,
 * graph edges). Numbers come first in numeric order, then strings in code-unit order, then everything else
 * (booleans, null, bytes, arrays, maps) in the order of their canonical keys, so the order is the same on Node
 * and on the board and never depends on object key order.
 *
 *   sortItems([10, 'b', 9, true, 'a']); // [9, 10, 'a', 'b', true]
 */
import { cmpStr, keyOf } from './keys.ts';
import type { Item } from './types.ts';

export function cmpItem(a: Item, b: Item): number {
  // rank: numbers, strings, the rest; NaN has no numeric place: order it by its key
  const ra = typeof a === 'number' && a === a ? 0 : typeof a === 'string' ? 1 : 2;
  const rb = typeof b === 'number' && b === b ? 0 : typeof b === 'string' ? 1 : 2;
  if (ra !== rb) return ra - rb;
  if (ra === 0) {
    const x = a as number;
    const y = b as number;
    if (x !== y) return x < y ? -1 : 1;
    // 0 and -0 are different elements (their keys differ) that compare equal as numbers.
    return cmpStr(keyOf(a), keyOf(b));
  }
  if (ra === 1) return cmpStr(a as string, b as string);
  return cmpStr(keyOf(a), keyOf(b));
}

/** A sorted copy; the argument is left alone. */
export function sortItems<T extends Item>(items: T[]): T[] {
  return items.slice().sort(cmpItem);
}
