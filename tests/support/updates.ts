/**
 * The updates a multi-process test makes, and the state every replica must reach from them: a PN-Counter `hits`
 * and an OR-Set `tags`, updated through node processes (tests/support/proc.ts) and tallied here as they are sent.
 *
 *   const u = new Updates();
 *   u.declare(a);
 *   u.inc(a, 3); u.add(a, 'x');
 *   await b.until(u.converged, 'b has hits 3 and tags [x]');
 */
import type { NodeProc, NodeState } from './proc.ts';

export class Updates {
  /** What `hits` must add up to. */
  hits = 0;
  private added = new Set<string>();

  /** What `tags` must hold, sorted (as a state line lists an OR-Set). */
  get tags(): string[] {
    return [...this.added].sort();
  }

  /** Arrow properties, so a test may pull them out: `const { inc, add } = u`. */
  declare = (p: NodeProc): void => {
    p.cmd('declare hits pncounter');
    p.cmd('declare tags orset');
  };

  inc = (p: NodeProc, n: number): void => {
    p.cmd('update hits ' + (n >= 0 ? 'inc ' + n : 'dec ' + -n));
    this.hits += n;
  };

  add = (p: NodeProc, t: string): void => {
    p.cmd('update tags add "' + t + '"');
    this.added.add(t);
  };

  remove = (p: NodeProc, t: string): void => {
    p.cmd('update tags remove "' + t + '"');
    this.added.delete(t);
  };

  /** A reported state holds exactly what was sent so far. */
  converged = (s: NodeState): boolean => s.vars.hits === this.hits && JSON.stringify(s.vars.tags) === JSON.stringify(this.tags);
}
