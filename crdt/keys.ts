/**
 * Plain objects stand in for Map on the board, so anything used as a key (a set element, a map key, a replica
 * id) needs a canonical string. Object key order differs between Node and Espruino, so every walk that can
 * reach the wire, a hash or a comparison goes through sortedKeys.
 */
import type { Item } from './types.ts';

/**
 * Own keys of a plain object in ascending code-unit order: sort's own order for strings, the order of `<` on
 * Node and on the board alike, so it needs no comparator (a function object fewer on the board).
 */
export function sortedKeys(o: { [k: string]: unknown }): string[] {
  return Object.keys(o).sort();
}

/** The order of `<` on strings (that of sort() without a comparator), for sorts that need a comparator function. */
export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Taken from an instance: the board has the method on objects but not on Object.prototype (ARCHITECTURE.md),
 *  and calling it through the object itself would break on an own key named "hasOwnProperty". */
const HOP = ({} as any).hasOwnProperty as (this: object, k: string) => boolean;

export function hasOwn(o: object, k: string): boolean {
  return HOP.call(o, k);
}

const HEX = '0123456789abcdef';

/** Scratch for a float's bits, made on the first float keyed (a board that keys none never holds it): one per
 *  process instead of an ArrayBuffer and a DataView per number (with 16 characters added one by one, a 53 KB
 *  element of 10,000 floats took 30 ms to key). */
let bits: DataView | null = null;

/**
 * A canonical string for an element item: equal items give equal keys and different items different keys.
 * Strings are the common case and stay cheap ("s" + text); integers print exactly; everything else is spelled
 * out with a one-letter type prefix, map keys sorted.
 */
export function keyOf(item: Item): string {
  if (typeof item === 'string') return 's' + item;
  if (typeof item === 'number') {
    if (Math.floor(item) === item && item <= 9007199254740991 && item >= -9007199254740991 && !(item === 0 && 1 / item < 0)) {
      return 'i' + String(item);
    }
    // The exact bits of the float, as 16 hex digits (numbers printed as decimals differ on the board).
    if (bits === null) bits = new DataView(new ArrayBuffer(8));
    const dv = bits;
    dv.setFloat64(0, item);
    return 'f' + dv.getUint32(0).toString(16).padStart(8, '0') + dv.getUint32(4).toString(16).padStart(8, '0');
  }
  if (item === null) return 'z';
  if (item === true) return 't';
  if (item === false) return 'u';
  if (item instanceof Uint8Array) {
    let b = 'b';
    for (let i = 0; i < item.length; i++) b += HEX.charAt(item[i] >> 4) + HEX.charAt(item[i] & 15);
    return b;
  }
  if (Array.isArray(item)) {
    let s = 'a' + item.length + '(';
    for (let i = 0; i < item.length; i++) {
      const k = keyOf(item[i]);
      s += k.length + ':' + k;
    }
    return s + ')';
  }
  const ks = sortedKeys(item);
  let s = 'm' + ks.length + '(';
  for (let i = 0; i < ks.length; i++) {
    const v = keyOf(item[ks[i]]);
    s += ks[i].length + ':' + ks[i] + v.length + ':' + v;
  }
  return s + ')';
}
