/**
 * Enforce once (Lasp's enforce_once): a threshold read that fires on one node of the cluster, not on every node
 * that reaches it. Every node runs the same call; the one that fires is decided by a claim in a CRDT, and "at
 * most one" is the bounded counter's invariant, not a matter of timing.
 *
 *   enforceOnce(node, 'hits', { atLeast: 100 }, 'full', 'n0', now);   // on every node, owner n0
 *   // one node in the cluster gets a 'read' event tagged 'full' (then its `then` callback runs, if given)
 *
 * How. A variable `once.<tag>` of type pair(bcounter, gset) holds one right (the bounded counter) and the
 * claims (a G-Set of replica ids):
 * - The owner mints the right (increments the counter by one, once: a G-Counter entry, so minting again after
 *   a restart with its state adds nothing).
 * - A node whose read on the watched variable reaches the threshold claims: it adds its replica id.
 * - The owner, holding the right, hands it (a bounded-counter transfer) to the lowest claim it knows of; if
 *   that is its own, it keeps it.
 * - A node that holds the right and has claimed fires: it spends the right (decrements) and emits the read
 *   event. The counter never goes below zero (crdt/bcounter.ts): one right, so one firing, whatever the
 *   order of deltas, losses, duplicates or partitions.
 * The owner decides alone, so the decision is deterministic given what it has seen and needs no agreement.
 * Liveness: it fires once the owner and one node that reached the threshold (the owner itself, as the watched
 * variable converges) can exchange deltas. What it cannot survive: the owner losing its state (a restart
 * without its store under the same replica id could mint and spend again; runtime/replica.ts's epochs give a
 * restarted node a fresh replica id, whose minting is a new right: give the owner a durable store), or the
 * holder of the right crashing for good before it fires (then it never fires: at most once, not exactly once).
 *
 * Costs: one variable per tag (a one-entry counter, a transfer, the claims: every node that reached the
 * threshold before it fired), three pending reads per node and tag (the claim, the firing, and on the owner
 * the hand-over); five functions registered once per node.
 */
import type { Item } from '../crdt/types.ts';
import type { BCounterState } from '../crdt/bcounter.ts';
import { localRights } from '../crdt/bcounter.ts';
import type { Command, Output } from './io.ts';
import { type PollenNode, step, stateOf, specOfVar } from './node.ts';
import { typeOf } from '../crdt/registry.ts';
import { dataflowOf } from './dataflow/glue.ts';
import { register } from './dataflow.ts';

/** The type of a tag's variable: the right and the claims. */
export const ONCE_TYPE = 'pair(bcounter,gset)';

/** The variable that decides a tag. */
export function varOf(tag: string): string {
  return 'once.' + tag;
}

/** Prefix of the tags of the helper reads (claim, hand-over): their 'read' events are the module's, not the
 *  application's; the application's event carries its own tag. */
export const INTERNAL = 'once:';

export interface Threshold {
  /** A state of the watched variable's type: reached once atLeast ≤ state. */
  atLeast?: any;
  /** Or a registered monotone predicate over (value, arg, state). */
  pred?: string;
  arg?: Item;
}

/** Claims as the pair's value shows them: sorted, so the lowest is first. */
function claimsOf(value: any): Item[] {
  return Array.isArray(value) && Array.isArray(value[1]) ? value[1] : [];
}

function has(xs: Item[], x: Item): boolean {
  for (let i = 0; i < xs.length; i++) if (xs[i] === x) return true;
  return false;
}

/** The functions, bound to this node (its replica id and whether it owns a tag), registered once. */
function registerFns(node: PollenNode): void {
  const df = dataflowOf(node);
  if (df.fns['once.fire'] !== undefined) return;
  // Read T's callback: claim.
  register(df, 'once.claim', function (_v: any, tag: Item) {
    return [{ op: 'update', id: varOf(tag as string), mutator: 'second', args: ['add', [node.replica]] }];
  });
  // Read F's predicate: I hold the right and claimed; an owner holding it also needs to be the lowest claim
  // (else it hands the right over instead).
  register(df, 'once.fire', function (value: any, arg: Item, state: any) {
    const a = arg as Item[];
    const claims = claimsOf(value);
    if (localRights(state[0] as BCounterState, node.replica) < 1 || !has(claims, node.replica)) return false;
    return node.id !== a[1] || claims[0] === node.replica;
  });
  // Read F's callback: spend the right, then the application's own callback.
  register(df, 'once.fired', function (value: any, arg: Item) {
    const a = arg as Item[];
    const cmds: any[] = [{ op: 'update', id: varOf(a[0] as string), mutator: 'first', args: ['dec', [1]] }];
    const then = a[1] as string;
    if (then !== '' && df.fns[then] !== undefined) {
      const more = df.fns[then](value, a[2]);
      if (Array.isArray(more)) for (let i = 0; i < more.length; i++) cmds.push(more[i]);
    }
    return cmds;
  });
  // Read G's predicate (the owner): I hold the right and someone else is the lowest claim.
  register(df, 'once.give', function (value: any, _arg: Item, state: any) {
    const claims = claimsOf(value);
    return localRights(state[0] as BCounterState, node.replica) >= 1 && claims.length > 0 && claims[0] !== node.replica;
  });
  register(df, 'once.gave', function (value: any, tag: Item) {
    return [{ op: 'update', id: varOf(tag as string), mutator: 'first', args: ['transfer', [claimsOf(value)[0], 1]] }];
  });
}

/**
 * The commands that set up enforce-once for `tag` on this node (registering its functions): watch `id` for
 * `threshold`, and fire the application's 'read' event tagged `tag` (then call `then`, a registered function,
 * as then(value, thenArg); it may return commands) on the one node the owner's claim decides. Run the same on
 * every node that may fire, with the same owner (a node id).
 */
export function onceCommands(node: PollenNode, id: string, threshold: Threshold, tag: string, owner: string, then?: string, thenArg?: Item): Command[] {
  registerFns(node);
  const v = varOf(tag);
  const cmds: Command[] = [];
  const s = stateOf(node, v);
  if (s === undefined) cmds.push({ op: 'declare', id: v, type: ONCE_TYPE });
  // Mint once: the owner's increment entry is 1 for good after this (a G-Counter entry only grows).
  const minted = s !== undefined && (s[0] as BCounterState).p[node.replica] !== undefined;
  if (node.id === owner && !minted) cmds.push({ op: 'update', id: v, mutator: 'first', args: ['inc', [1]] });
  // F before T: a read that fires at once (the threshold already reached) then finds F registered.
  cmds.push({ op: 'read', id: v, tag: tag, pred: 'once.fire', arg: [tag, owner], then: 'once.fired', thenArg: [tag, then === undefined ? '' : then, thenArg === undefined ? null : thenArg] });
  if (node.id === owner) cmds.push({ op: 'read', id: v, tag: INTERNAL + 'give:' + tag, pred: 'once.give', arg: null, then: 'once.gave', thenArg: tag });
  const t: Command = { op: 'read', id: id, tag: INTERNAL + 'claim:' + tag, then: 'once.claim', thenArg: tag };
  const spec = specOfVar(node, id);
  // A threshold state travels in its wire form, as every read command's does.
  if (threshold.atLeast !== undefined) t.threshold = spec === undefined ? threshold.atLeast : typeOf(node.store.types, spec).encode(threshold.atLeast);
  else {
    t.pred = threshold.pred;
    t.arg = threshold.arg === undefined ? null : threshold.arg;
  }
  cmds.push(t);
  return cmds;
}

/** Set up enforce-once for `tag` (see onceCommands) and return the outputs to carry out. */
export function enforceOnce(node: PollenNode, id: string, threshold: Threshold, tag: string, owner: string, now: number, then?: string, thenArg?: Item): Output[] {
  const cmds = onceCommands(node, id, threshold, tag, owner, then, thenArg);
  const out: Output[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const o = step(node, { kind: 'command', command: cmds[i] }, now);
    for (let j = 0; j < o.length; j++) out.push(o[j]);
  }
  return out;
}
