/**
 * The CRDT types the fuzzers cover (every registered type, and the nested and paired forms the runtime meets),
 * with operations to build real states from: the seed corpus of the type targets and the node's variables.
 */
import type { Item } from '../../crdt/types.ts';
import { type Rng, below } from '../../runtime/rng.ts';

/** A spec and a generator of one random mutator call (name and arguments). */
export interface TypeCase {
  spec: string;
  op(r: Rng): [string, Item[]];
}

const ELEMS: Item[] = ['milk', 'eggs', 'bread', 1, 2, [1, 'x'], { k: 'v' }, true, null];

function el(r: Rng): Item {
  return ELEMS[below(r, ELEMS.length)];
}

function key(r: Rng): string {
  return ['hits', 'errs', 'temp', 'k'][below(r, 4)];
}

export const TYPE_CASES: TypeCase[] = [
  { spec: 'gcounter', op: (r) => ['inc', [1 + below(r, 5)]] },
  { spec: 'pncounter', op: (r) => [below(r, 2) ? 'inc' : 'dec', [1 + below(r, 5)]] },
  { spec: 'bcounter', op: (r) => { const k = below(r, 3); return k === 0 ? ['inc', [1 + below(r, 9)]] : k === 1 ? ['dec', [1]] : ['transfer', ['r' + below(r, 3), 1]]; } },
  { spec: 'maxint', op: (r) => ['raise', [below(r, 1000)]] },
  { spec: 'gset', op: (r) => ['add', [el(r)]] },
  { spec: 'twopset', op: (r) => [below(r, 3) ? 'add' : 'remove', [el(r)]] },
  { spec: 'lww', op: (r) => ['set', [el(r), 1000 + below(r, 100000)]] },
  { spec: 'lamport', op: (r) => ['set', [el(r)]] },
  { spec: 'orset', op: (r) => [below(r, 3) ? 'add' : below(r, 4) ? 'remove' : 'clear', [el(r)]] },
  { spec: 'mvregister', op: (r) => ['set', [el(r)]] },
  { spec: 'ewflag', op: (r) => [below(r, 2) ? 'enable' : 'disable', []] },
  { spec: 'dwflag', op: (r) => [below(r, 2) ? 'enable' : 'disable', []] },
  { spec: 'awmap(gcounter)', op: (r) => (below(r, 4) ? ['apply', [key(r), 'inc', [1 + below(r, 3)]]] : ['remove', [key(r)]]) },
  { spec: 'awmap(orset)', op: (r) => (below(r, 4) ? ['apply', [key(r), below(r, 3) ? 'add' : 'remove', [el(r)]]] : ['remove', [key(r)]]) },
  { spec: 'awmap(lww)', op: (r) => (below(r, 4) ? ['apply', [key(r), 'set', [el(r), 1000 + below(r, 100000)]]] : ['remove', [key(r)]]) },
  { spec: 'awmap(lamport)', op: (r) => (below(r, 4) ? ['apply', [key(r), 'set', [el(r)]]] : ['remove', [key(r)]]) },
  {
    spec: 'awgraph',
    op: (r) => {
      const k = below(r, 4);
      const a = below(r, 4);
      const b = below(r, 4);
      return k === 0 ? ['addVertex', [a]] : k === 1 ? ['addEdge', [a, b]] : k === 2 ? ['removeVertex', [a]] : ['removeEdge', [a, b]];
    },
  },
  { spec: 'pair(orset,mvregister)', op: (r) => (below(r, 2) ? ['first', ['add', [el(r)]]] : ['second', ['set', [el(r)]]]) },
  { spec: 'pair(gcounter,lww)', op: (r) => (below(r, 2) ? ['first', ['inc', [1]]] : ['second', ['set', [el(r), 1000 + below(r, 100000)]]]) },
];
