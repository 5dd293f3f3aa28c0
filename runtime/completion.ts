/**
 * Completion detection (the seed's "convergence structure"): each node records the last phase it finished in
 * a replicated G-Counter, one entry per node and life (its entry is its phase number; a G-Counter entry only
 * grows, as phases do; a restarted node marks under a fresh replica id, runtime/replica.ts, and its phase is the
 * largest of its lives' entries), and a threshold read on that counter tells every node, on its own and with no orchestrator,
 * that all the expected nodes have finished a phase. The predicate "every expected entry ≥ phase" is monotone,
 * so once it holds on one replica it holds there forever, and every replica reaches it once the entries
 * have spread.
 *
 *   markDone(node, 'exp1', 1, now);                                  // my phase 1 is done
 *   waitAll(node, 'exp1', ['a', 'b', 'c'], 1, 'p1', now);           // a 'read' event tagged p1, once all are
 *   waitAll(node, 'exp1', 50, 2, 'p2', now);                         // or: once any 50 nodes finished phase 2
 *
 * Costs: the counter holds one entry per node that ever marked (id plus number), and a mark is a one-entry
 * delta; with hundreds of nodes the state is a few kilobytes, which is why boards should use small node ids.
 */
import { dataflowOf } from './dataflow/glue.ts';
import type { Item } from '../crdt/types.ts';
import { hasOwn } from '../crdt/keys.ts';
import type { GCounterState } from '../crdt/gcounter.ts';
import type { Command, Output } from './io.ts';
import { type PollenNode, step, stateOf } from './node.ts';
import { register } from './dataflow.ts';
import { peerOf } from './replica.ts';

/** The predicate's registered name (one function serves every phase and every group). */
export const PRED = 'completion.all';

/** The variable that holds a group's phases. */
export function varOf(name: string): string {
  return 'done.' + name;
}

function entry(s: GCounterState, r: string): number {
  return hasOwn(s, r) ? s[r] : 0;
}

/**
 * The phase each node finished: a node marks under its replica id (runtime/replica.ts), one entry per life, so
 * a node's phase is the largest entry of any of its lives.
 */
function phases(s: GCounterState): { [peer: string]: number } {
  const out: { [peer: string]: number } = {};
  const ks = Object.keys(s);
  for (let i = 0; i < ks.length; i++) {
    const p = peerOf(ks[i]);
    if (!hasOwn(out, p) || s[ks[i]] > out[p]) out[p] = s[ks[i]];
  }
  return out;
}

/** Have the expected nodes (a list of ids, or a count of any nodes) all finished `phase`? */
export function finished(s: GCounterState, expected: string[] | number, phase: number): boolean {
  const ph = phases(s);
  if (typeof expected === 'number') {
    let n = 0;
    const ks = Object.keys(ph);
    for (let i = 0; i < ks.length; i++) if (ph[ks[i]] >= phase) n++;
    return n >= expected;
  }
  for (let i = 0; i < expected.length; i++) if (entry(ph, expected[i]) < phase) return false;
  return true;
}

/** The lowest phase finished by every expected node (0 when one has finished none). */
export function progress(s: GCounterState, expected: string[]): number {
  const ph = phases(s);
  let low = -1;
  for (let i = 0; i < expected.length; i++) {
    const p = entry(ph, expected[i]);
    if (low < 0 || p < low) low = p;
  }
  return low < 0 ? 0 : low;
}

/** arg is [phase, expected]: see waitAll. */
function allDone(_value: number, arg: Item, s: GCounterState): boolean {
  const a = arg as Item[];
  return finished(s, a[1] as string[] | number, a[0] as number);
}

/** The declare command of a group's variable, when this node does not hold it yet. */
function declaring(node: PollenNode, name: string): Command[] {
  return stateOf(node, varOf(name)) === undefined ? [{ op: 'declare', id: varOf(name), type: 'gcounter' }] : [];
}

/**
 * The commands that record this node's finishing `phase` (a natural number ≥ 1) of group `name`: none when it
 * already had. For drivers that run commands (the simulator, an app module); markDone runs them itself.
 */
export function doneCommands(node: PollenNode, name: string, phase: number): Command[] {
  const s = stateOf(node, varOf(name)) as GCounterState | undefined;
  const have = s === undefined ? 0 : entry(phases(s), node.id);
  if (phase <= have) return [];
  // This life's entry becomes the phase (an earlier life's entry may be higher than this one's, never lower
  // than the phase once marked).
  const mine = s === undefined ? 0 : entry(s, node.replica);
  return declaring(node, name).concat([{ op: 'update', id: varOf(name), mutator: 'inc', args: [phase - mine] }]);
}

/**
 * The commands that ask for a 'read' event tagged `tag` once every expected node finished `phase` (at once if
 * they already have); `then` (a registered function) is called as then(value, thenArg) and may return commands.
 * Registers the predicate on the node. waitAll runs them itself.
 */
export function waitCommands(node: PollenNode, name: string, expected: string[] | number, phase: number, tag: string, then?: string, thenArg?: Item): Command[] {
  register(dataflowOf(node), PRED, allDone);
  return declaring(node, name).concat([
    { op: 'read', id: varOf(name), tag: tag, pred: PRED, arg: [phase, expected], then: then, thenArg: thenArg },
  ]);
}

function run(node: PollenNode, cmds: Command[], now: number): Output[] {
  const out: Output[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const o = step(node, { kind: 'command', command: cmds[i] }, now);
    for (let j = 0; j < o.length; j++) out.push(o[j]);
  }
  return out;
}

/** Record that this node finished `phase` (a natural number ≥ 1) of group `name`; nothing if it already had. */
export function markDone(node: PollenNode, name: string, phase: number, now: number): Output[] {
  return run(node, doneCommands(node, name, phase), now);
}

/**
 * Emit a 'read' event tagged `tag` once every expected node finished `phase` (at once if they already have);
 * `then` (a registered function) is called as then(value, thenArg) and may return commands to run.
 */
export function waitAll(node: PollenNode, name: string, expected: string[] | number, phase: number, tag: string, now: number, then?: string, thenArg?: Item): Output[] {
  return run(node, waitCommands(node, name, expected, phase, tag, then, thenArg), now);
}
