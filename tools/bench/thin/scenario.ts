/**
 * The thin-link burst, one run: two nodes (full membership) share one OR-Set; once they are neighbours, 200
 * elements are added in a burst, 1 ms apart, each at a node drawn from a seeded generator; the run ends when
 * both hold all 200 or at the cap. Time to converge counts from the first add to the moment both hold them all.
 * The bound: each node must at least receive what the other added, as the OR-Set state of just those elements
 * in CBOR (the shortest the codec writes them), at the link's rate in each direction; the larger of the two.
 */
import { encode } from '../../../crdt/codec/cbor.ts';
import { ORSet } from '../../../crdt/orset.ts';

export const ADDS = 200;
export const VAR = 'set';

export interface Side {
  id: string;
  replica: string;
  update(element: string): void;
  count(): number;
}

export interface Outcome {
  converged: boolean;
  /** ms from the first add to convergence (or to the cap). */
  ms: number;
  /** ms the bytes of the adds need at the rate. */
  boundMs: number;
  adds: number;
}

/** A small seeded generator (xorshift32), so both modes see the same sequence of sides. */
function picker(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function boundMs(bitsPerSecond: number, added: { [replica: string]: string[] }): number {
  let most = 0;
  for (const r of Object.keys(added)) {
    let st = ORSet.bottom();
    for (const e of added[r]) st = ORSet.join(st, ORSet.mutators.add(st, r, [e]));
    most = Math.max(most, encode(ORSet.encode(st)).length);
  }
  return (most * 8 * 1000) / bitsPerSecond;
}

/**
 * Run the burst over two started sides. `changed(cb)` calls cb whenever a side may have changed (a state line, a
 * 'changed' event); resolves with the outcome. The cap is `capFactor` × the bound, at least `minCapMs`.
 */
export async function burst(sides: [Side, Side], bitsPerSecond: number, seed: number, capFactor: number, minCapMs: number,
  changed: (cb: () => void) => () => void): Promise<Outcome> {
  const next = picker(seed);
  const added: { [replica: string]: string[] } = {};
  const order: { side: Side; element: string }[] = [];
  for (let k = 0; k < ADDS; k++) {
    const side = sides[next() % 2];
    const element = side.id + '-' + k;
    (added[side.replica] ??= []).push(element);
    order.push({ side, element });
  }
  const bound = boundMs(bitsPerSecond, added);
  const cap = Math.max(minCapMs, capFactor * bound);
  const t0 = performance.now();
  let done = false;
  const result = new Promise<Outcome>((resolve) => {
    const check = () => {
      if (done) return;
      const now = performance.now();
      const both = sides[0].count() === ADDS && sides[1].count() === ADDS;
      if (both || now - t0 >= cap) {
        done = true;
        off();
        clearInterval(tick);
        resolve({ converged: both, ms: now - t0, boundMs: bound, adds: ADDS });
      }
    };
    const off = changed(check);
    const tick = setInterval(check, 50);
  });
  for (let i = 0; i < order.length && !done; i++) {
    order[i].side.update(order[i].element);
    await new Promise((r) => setTimeout(r, 1));
  }
  return result;
}
