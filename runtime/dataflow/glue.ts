/**
 * Dataflow as a part of a node (runtime/node.ts's NodeParts): the commands bind, derive and read, and the pass
 * after every step that re-derives what the step's 'changed' events reach and fires due threshold reads. The
 * derivations and reads themselves live in runtime/dataflow.ts; this file only ties them to a node's step. A
 * profile that leaves dataflow out (the board) passes `dataflow: null` and this file stays out of its bundle.
 *
 *   const n = composeNode({ id: 'a', seed: 1 }, { membership: Full, plumtree: Plumtree, dataflow: Dataflow, types: ALL });
 *   step(n, { kind: 'command', command: { op: 'derive', id: 'evens', operation: 'filter', inputs: ['xs'], fn: 'even' } }, 0);
 */
import type { Command } from '../io.ts';
import { type FlowPart, type PollenNode, count, read, runCommand, share } from '../node.ts';
import { StoreError, applyRemote, get } from '../store.ts';
import * as df from '../dataflow.ts';
import * as interest from '../interest.ts';

/** Bound on propagation rounds per step: a read callback's commands may change variables that fire further
 *  reads; 8 rounds cover any sane chain and stop a callback loop from running forever. */
const MAX_FLOW_ROUNDS = 8;

/** The node's dataflow state; throws StoreError "part" for a node composed without dataflow. */
export function dataflowOf(node: PollenNode): df.Dataflow {
  if (node.df === null) throw new StoreError('part', 'this node was composed without dataflow');
  return node.df;
}

function guard(node: PollenNode, id: string): void {
  // A derived variable is a function of its inputs; writing it directly would break that.
  if (node.df !== null && df.isDerived(node.df, id)) throw new StoreError('derived', id + ' is derived: update its inputs instead');
}

function command(node: PollenNode, c: Command): boolean {
  const d = dataflowOf(node);
  const ca = node.ca;
  if (c.op === 'bind') {
    if (df.isDerived(d, c.id)) throw new StoreError('derived', c.id + ' is derived: bind its inputs instead');
    const v = get(node.store, c.id);
    if (!v) throw new StoreError('unknown', 'no variable ' + c.id + ' (declare it first)');
    const fresh = applyRemote(node.store, c.id, v.type.decode(c.state));
    if (fresh === null) return true;
    share(node, c.id, fresh);
    ca.emit({ type: 'changed', id: c.id });
  } else if (c.op === 'derive') {
    const def = df.define(d, node.store, c.id, c.operation, c.inputs, c.fn === undefined ? '' : c.fn, c.init === undefined ? null : c.init, c.share !== false);
    // Deriving declares the output: with an interest set, the node now hears it too (as a declare does).
    interest.add(node.hear, ca, node.nbrs, def.out);
    // Derive once now: the inputs may already hold state. A failure here is the application's (its function).
    const fresh = df.rederive(d, node.store, def);
    if (fresh === null) return true;
    if (def.share) share(node, def.out, fresh);
    ca.emit({ type: 'changed', id: def.out });
  } else if (c.op === 'read') {
    const v = get(node.store, c.id);
    if (!v) throw new StoreError('unknown', 'read: no variable ' + c.id + ' (declare it first)');
    const t = c.threshold === undefined ? null : v.type.decode(c.threshold);
    df.addRead(d, node.store, c.id, c.tag, t, c.pred === undefined ? '' : c.pred, c.arg === undefined ? null : c.arg, c.then === undefined ? '' : c.then, c.thenArg === undefined ? null : c.thenArg);
    // Already reached? It fires now, in this step.
    const once: { [id: string]: boolean } = {};
    once[c.id] = true;
    fireReads(node, d, once);
  } else return false;
  return true;
}

/** Fire the due reads on changed variables: a 'read' event each, then its callback's commands. */
function fireReads(node: PollenNode, d: df.Dataflow, changed: { [id: string]: boolean }): void {
  const counter = (name: string, n: number): void => count(node, name, n);
  const fired = df.dueReads(d, node.store, changed, counter);
  for (let i = 0; i < fired.length; i++) {
    const r = fired[i];
    node.cm.out.push({ kind: 'event', event: { type: 'read', id: r.id, tag: r.tag, value: read(node, r.id) } });
    const cmds = df.callThen(d, node.store, r, counter);
    for (let k = 0; k < cmds.length; k++) {
      try {
        runCommand(node, cmds[k] as Command);
      } catch (e) {
        // The callback may run inside a peer's frame: its mistakes are counted, never thrown into the driver.
        count(node, 'dataflow.error.then', 1);
      }
    }
  }
}

/** After a step: re-derive the derivations the step's 'changed' events reach, then fire due reads; repeat
 *  for the changes the reads' callbacks made, up to MAX_FLOW_ROUNDS. */
function afterStep(node: PollenNode): void {
  const d = node.df;
  if (d === null || (d.defs.length === 0 && d.reads.length === 0)) return;
  const out = node.cm.out;
  let from = 0;
  for (let round = 0; round < MAX_FLOW_ROUNDS && from < out.length; round++) {
    const changed: { [id: string]: boolean } = {};
    let any = false;
    for (let i = from; i < out.length; i++) {
      const o = out[i];
      if (o.kind === 'event' && o.event.type === 'changed') {
        changed[o.event.id] = true;
        any = true;
      }
    }
    if (!any) return;
    df.propagate(d, node.store, changed, (def, fresh) => {
      if (def.share) share(node, def.out, fresh);
      out.push({ kind: 'event', event: { type: 'changed', id: def.out } });
    }, (name, n) => count(node, name, n), (def, reason, message) => {
      out.push({ kind: 'event', event: { type: 'stale', id: def.out, stale: reason !== '', reason: reason, message: message } });
    });
    // Outputs were propagated in the pass above: the next round looks only at what callbacks change.
    from = out.length;
    fireReads(node, d, changed);
  }
}

export const Dataflow: FlowPart = {
  init: df.createDataflow,
  command: command,
  guard: guard,
  afterStep: afterStep,
};
