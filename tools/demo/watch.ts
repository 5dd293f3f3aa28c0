/**
 * Watching the demo's cluster: what the values should be (a model of the updates made), waiting until nodes hold
 * them, and printing each node as it gets there. Every wait ends at the demo's deadline with an Error that says
 * what was awaited and what each node held, so a cluster that does not converge fails the demo instead of
 * hanging it.
 *
 *   const want = new Model();
 *   want.inc(5); want.add('milk');
 *   const ms = await converge(cluster.nodes, want, performance.now(), Date.now() + 10000, console.log, 1);
 *   // logs '  n3      +41 ms  visits=5 ...' as each node gets there
 */
import type { PollenDriver } from '../../transports/driver.ts';

/** Which basket items the derived variable keeps (registered on every node under this name). */
export const FRUIT = ['apples', 'pears', 'plums'];
export const isFruit = (x: unknown) => typeof x === 'string' && FRUIT.includes(x);

/** The values every node must end with: the counter's total and the basket's contents, kept as updates are made. */
export class Model {
  visits = 0;
  basket = new Set<string>();
  inc(n: number): void {
    this.visits += n;
  }
  add(x: string): void {
    this.basket.add(x);
  }
  remove(x: string): void {
    this.basket.delete(x);
  }
  values(): Values {
    const basket = [...this.basket].sort();
    return { visits: this.visits, basket, fruit: basket.filter(isFruit) };
  }
}

export interface Values {
  visits: number | undefined;
  basket: string[] | undefined;
  fruit: string[] | undefined;
}

export function valuesOf(n: PollenDriver): Values {
  return { visits: n.query('visits'), basket: n.query('basket'), fruit: n.query('fruit') };
}

export function same(a: Values, b: Values): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function show(v: Values): string {
  const list = (xs: string[] | undefined) => (xs ? '[' + xs.join(', ') + ']' : '-');
  return 'visits=' + (v.visits ?? '-') + '  basket=' + list(v.basket) + '  fruit=' + list(v.fruit);
}

/** The demo's completion group: each story is a phase (runtime/completion.ts). */
export const GROUP = 'demo';

/**
 * Resolve once every node has learned, from its own replica of the completion group, that all of `ids` finished
 * `phase`: the nodes find out by themselves, as an application would before moving on, with no one asking
 * around. The ms from `since` to the last node's knowing.
 */
export async function allKnow(nodes: PollenDriver[], ids: string[], phase: number, since: number, deadline: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('gave up waiting for every node to know that phase ' + phase + ' is done')), Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([Promise.all(nodes.map((n) => n.waitAll(GROUP, ids, phase))), late]);
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - since;
}

/** How often the watch looks at the nodes, in ms: fine enough for the convergence times it prints. */
const POLL = 5;

/** Resolve once `cond` holds; reject at `deadline` (a Date.now() time) saying what was awaited. */
export async function waitFor(cond: () => boolean, what: string, deadline: number): Promise<void> {
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('gave up waiting for ' + what);
    await new Promise((r) => setTimeout(r, POLL));
  }
}

/**
 * Wait until every one of `nodes` holds the model's values, printing each node when it first does; resolves
 * with the ms from `since` (a performance.now() time: the last update, or the moment a partition healed) to the
 * last node's arrival. A node that gets there marks `phase` of the demo's completion group done (see allKnow).
 */
export async function converge(nodes: PollenDriver[], want: Model, since: number, deadline: number, log: (s: string) => void, phase: number): Promise<number> {
  const t0 = since;
  const target = want.values();
  const done = new Set<string>();
  let last = 0;
  try {
    await waitFor(
      () => {
        for (const n of nodes) {
          if (done.has(n.id) || !same(valuesOf(n), target)) continue;
          done.add(n.id);
          n.markDone(GROUP, phase);
          last = performance.now() - t0;
          log('  ' + n.id.padEnd(4) + ('+' + Math.round(last) + ' ms').padStart(9) + '  ' + show(valuesOf(n)));
        }
        return done.size === nodes.length;
      },
      'convergence',
      deadline,
    );
  } catch {
    const behind = nodes.filter((n) => !done.has(n.id)).map((n) => n.id + ' holds ' + show(valuesOf(n)));
    throw new Error('no convergence before the deadline: want ' + show(target) + '; ' + behind.join('; '));
  }
  return last;
}
