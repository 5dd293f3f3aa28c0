/**
 * Pair: the product of two lattices, joined component by component. A building block for dataflow results
 * (a count with its maximum, a set with its size). All pairs share one wire tag; the component types are
 * fixed by the factory, and the name spells them out so crdt/registry.ts can rebuild the type from it.
 *
 *   const P = pair(GCounter, MaxInt);              // name "pair(gcounter,maxint)"
 *   let s = P.bottom();                            // [{}, 0]
 *   s = P.join(s, P.mutators.first(s, 'a', ['inc', [2]]));
 *   s = P.join(s, P.mutators.second(s, 'a', ['raise', [9]]));
 *   P.value(s);                                    // [2, 9]
 *
 * Wire: [encoded first, encoded second].
 */
import { arr } from './check.ts';
import { MutatorError } from './errors.ts';
import { hasOwn, sortedKeys } from './keys.ts';
import type { Crdt, Item, Mutator } from './types.ts';

export type PairState<SA, SB> = [SA, SB];

/** The component's mutator named by the first argument; args is [mutatorName, mutatorArgs]. */
function component<S>(t: Crdt<S, any>, side: string, args: any[]): { m: Mutator<S>; args: any[] } {
  if (!Array.isArray(args)) throw new MutatorError('args', 'pair ' + side + ': expected [mutatorName, mutatorArgs]');
  const name = args[0];
  if (typeof name !== 'string' || !hasOwn(t.mutators, name)) {
    throw new MutatorError('args', 'pair ' + side + ': ' + t.name + ' has no mutator "' + String(name) + '" (it has: ' + sortedKeys(t.mutators).join(', ') + ')');
  }
  const inner = args[1] === undefined ? [] : args[1];
  if (!Array.isArray(inner)) throw new MutatorError('args', 'pair ' + side + ': the arguments of ' + t.name + ' ' + name + ' must be an array');
  return { m: t.mutators[name], args: inner };
}

/** The product lattice of A and B. */
export function pair<SA, VA, SB, VB>(A: Crdt<SA, VA>, B: Crdt<SB, VB>): Crdt<PairState<SA, SB>, [VA, VB]> {
  return {
    name: 'pair(' + A.name + ',' + B.name + ')',
    tag: 5,
    bottom: () => [A.bottom(), B.bottom()],
    join: (a, b) => [A.join(a[0], b[0]), B.join(a[1], b[1])],
    joinInto: (s, d) => {
      s[0] = A.joinInto(s[0], d[0]);
      s[1] = B.joinInto(s[1], d[1]);
      return s;
    },
    copy: (s) => [A.copy(s[0]), B.copy(s[1])],
    claims: (s, out) => {
      A.claims(s[0], out);
      B.claims(s[1], out);
    },
    leq: (a, b) => A.leq(a[0], b[0]) && B.leq(a[1], b[1]),
    value: (s) => [A.value(s[0]), B.value(s[1])],
    decompose: (s) => {
      const parts: PairState<SA, SB>[] = [];
      const as = A.decompose(s[0]);
      for (let i = 0; i < as.length; i++) parts.push([as[i], B.bottom()]);
      const bs = B.decompose(s[1]);
      for (let i = 0; i < bs.length; i++) parts.push([A.bottom(), bs[i]]);
      return parts;
    },
    encode: (s) => [A.encode(s[0]), B.encode(s[1])],
    decode: (item: Item) => {
      const two = arr(item, 'pair', 2);
      return [A.decode(two[0]), B.decode(two[1])];
    },
    mutators: {
      first: (s, r, a) => {
        const c = component(A, 'first', a);
        return [c.m(s[0], r, c.args), B.bottom()];
      },
      second: (s, r, a) => {
        const c = component(B, 'second', a);
        return [A.bottom(), c.m(s[1], r, c.args)];
      },
    },
  };
}
