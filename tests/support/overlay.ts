/**
 * Is a set of node processes one connected overlay? Read from the active views each process last reported, for
 * the multi-process tests (cluster, gateway).
 *
 *   await procs[0].until(() => overlay(procs), 'a connected overlay');
 */
import type { NodeProc } from './proc.ts';

/** Every node has a neighbour and the active views (as last reported) connect all of them. */
export function overlay(ps: NodeProc[]): boolean {
  const byId = new Map(ps.map((p) => [p.id, p.state.neighbors]));
  const seen = new Set([ps[0].id]);
  const todo = [ps[0].id];
  while (todo.length) for (const q of byId.get(todo.pop()!) ?? []) if (byId.has(q) && !seen.has(q)) seen.add(q), todo.push(q);
  return seen.size === ps.length && ps.every((p) => p.state.neighbors.length > 0);
}
