/**
 * Max-int: a natural number that only goes up; join is max. A building block for dataflow results (the
 * highest reading seen, the latest epoch), as Lasp's max_int.
 *
 *   let s = MaxInt.bottom();            // 0
 *   s = MaxInt.join(s, raise(s, 7));    // delta 7
 *   raise(s, 3);                        // 0: bottom, nothing to say
 *
 * Wire: the number itself.
 */
import { MAX_SAFE, nat } from './check.ts';
import { MutatorError } from './errors.ts';
import type { Crdt, Item } from './types.ts';

export type MaxIntState = number;

/** Delta of raising to at least n (a natural number): n when it is higher than the state, else bottom. */
export function raise(s: MaxIntState, n: number): MaxIntState {
  if (typeof n !== 'number' || n < 0 || n > MAX_SAFE || Math.floor(n) !== n) {
    throw new MutatorError('args', 'maxint raise: expected an integer from 0 to 2^53 - 1, got ' + String(n));
  }
  return n > s ? n : 0;
}

function bottom(): MaxIntState {
  return 0;
}

function join(a: MaxIntState, b: MaxIntState): MaxIntState {
  return a < b ? b : a;
}

function leq(a: MaxIntState, b: MaxIntState): boolean {
  return a <= b;
}

function value(s: MaxIntState): number {
  return s;
}

function decompose(s: MaxIntState): MaxIntState[] {
  return s === 0 ? [] : [s];
}

function encode(s: MaxIntState): Item {
  return s;
}

function decode(item: Item): MaxIntState {
  return nat(item, 'maxint');
}

export const MaxInt: Crdt<MaxIntState, number> = {
  name: 'maxint',
  tag: 4,
  bottom: bottom,
  join: join,
  joinInto: join,
  copy: (s) => s,
  claims: () => undefined,
  leq: leq,
  value: value,
  decompose: decompose,
  encode: encode,
  decode: decode,
  mutators: {
    raise: (s, _r, a) => raise(s, a[0]),
  },
};
