/**
 * The small tables the protocol modules keep (Plumtree, anti-entropy, the membership managers): dictionaries
 * keyed by ids that come from peers, and sorted lists of peer ids.
 *
 *   const seen = dict<number>();      // seen['__proto__'] = 1 is an ordinary entry
 *   const view: PeerId[] = [];
 *   insertSorted(view, 'b'); insertSorted(view, 'a'); insertSorted(view, 'b');   // ['a', 'b']
 *   removeFrom(view, 'a');                                                        // true; ['b']
 */
import type { PeerId } from './io.ts';

/**
 * A table without a prototype, so `k in t` is exact (no "constructor" or "__proto__" surprises for keys from
 * peers) and needs no Object.prototype.hasOwnProperty, which the board reaches only through a prototype.
 */
export function dict<T>(): { [k: string]: T } {
  return Object.create(null);
}

// Sorted peer lists are small (a view, an eager or lazy set), so a linear insert is cheapest in code and
// memory. The order is by code unit, as cmpStr (crdt/keys.ts) sorts.

/** Insert `p` into the sorted list `xs` unless it is there already. */
export function insertSorted(xs: PeerId[], p: PeerId): void {
  let i = 0;
  while (i < xs.length && xs[i] < p) i++;
  if (xs[i] !== p) xs.splice(i, 0, p);
}

/** Remove `p` from `xs`; false when it was not there. */
export function removeFrom(xs: PeerId[], p: PeerId): boolean {
  const i = xs.indexOf(p);
  if (i < 0) return false;
  xs.splice(i, 1);
  return true;
}
