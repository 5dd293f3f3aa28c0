/**
 * Churn: which nodes crash, restart or join late, and when. A scenario lists churn events; each picks its nodes
 * with a selector, at random from the churn stream (or by id), among the nodes the action makes sense for.
 *
 *   { "at": 20000, "crash": { "fraction": 0.8 }, "except": ["n0"] }      // 80% of live nodes, n0 spared
 *   { "at": 30000, "restart": { "count": 5 }, "persist": false }          // 5 crashed nodes, empty stores
 *   { "at": 5000, "join": { "ids": ["n98", "n99"] } }                      // two late joiners arrive
 *
 * A crash stops a node at once: no DISCONNECT, its timers are void and frames to it are lost. Its last state is
 * kept (snapshot(), runtime/node.ts) so a restart with `persist: true` starts from it, as a board that writes
 * its store to flash would; `persist: false` starts from empty stores, as after a wiped or replaced device.
 * A restart takes the next incarnation number and joins through the scenario's contacts again.
 */
import type { Random } from './random.ts';

/** Which nodes: by id, a count, or a fraction (rounded to the nearest count) of those eligible. */
export interface Selector {
  ids?: string[];
  count?: number;
  fraction?: number;
}

export type ChurnEvent =
  | { at: number; crash: Selector; except?: string[] }
  | { at: number; restart: Selector; persist?: boolean; except?: string[] }
  | { at: number; join: Selector; except?: string[] }
  | { at: number; leave: Selector; except?: string[] };

export type ChurnAction = 'crash' | 'restart' | 'join' | 'leave';

export function actionOf(e: ChurnEvent): ChurnAction {
  if ('crash' in e) return 'crash';
  if ('restart' in e) return 'restart';
  if ('join' in e) return 'join';
  return 'leave';
}

export function selectorOf(e: ChurnEvent): Selector {
  return (e as any)[actionOf(e)];
}

export function checkChurn(e: unknown, k: number): string | null {
  const w = 'churn[' + k + ']';
  if (typeof e !== 'object' || e === null) return w + ': expected an object';
  const o = e as Record<string, unknown>;
  if (!(typeof o.at === 'number' && o.at >= 0)) return w + '.at must be a time in ms ≥ 0';
  const acts = ['crash', 'restart', 'join', 'leave'].filter((a) => a in o);
  if (acts.length !== 1) return w + ': exactly one of crash, restart, join, leave';
  const s = o[acts[0]] as Record<string, unknown>;
  if (typeof s !== 'object' || s === null) return w + '.' + acts[0] + ': expected a selector { ids | count | fraction }';
  const ways = ['ids', 'count', 'fraction'].filter((x) => s[x] !== undefined);
  if (ways.length !== 1) return w + '.' + acts[0] + ': exactly one of ids, count, fraction';
  if (s.ids !== undefined && !(Array.isArray(s.ids) && s.ids.every((x) => typeof x === 'string'))) return w + ': ids must be strings';
  if (s.count !== undefined && !(typeof s.count === 'number' && s.count >= 0 && Math.floor(s.count) === s.count)) return w + ': count must be an integer ≥ 0';
  if (s.fraction !== undefined && !(typeof s.fraction === 'number' && s.fraction >= 0 && s.fraction <= 1)) return w + ': fraction must be in [0, 1]';
  if (o.except !== undefined && !(Array.isArray(o.except) && o.except.every((x) => typeof x === 'string'))) return w + '.except must be a list of ids';
  if (o.persist !== undefined && typeof o.persist !== 'boolean') return w + '.persist must be true or false';
  return null;
}

/**
 * The node indices a selector picks among `eligible` (ascending indices), in ascending order. Ids that are not
 * eligible are skipped (crashing a node that is down already does nothing).
 */
export function select(sel: Selector, eligible: number[], rand: Random, index: (id: string) => number): number[] {
  let picked: number[];
  if (sel.ids) {
    const ok = new Set(eligible);
    picked = sel.ids.map(index).filter((i) => i >= 0 && ok.has(i));
  } else {
    const k = sel.count !== undefined ? Math.min(sel.count, eligible.length) : Math.round((sel.fraction as number) * eligible.length);
    picked = rand.sample(eligible.length, k).map((j) => eligible[j]);
  }
  return picked.sort((a, b) => a - b);
}
