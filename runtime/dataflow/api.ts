/**
 * The Lasp API over a Pollen node: each call is one command through `step`, so it returns the Outputs the
 * driver must carry out (sends, timers, events), exactly as any other input does. Sans-IO: `now` comes from
 * the driver.
 *
 *   fn(node, 'even', (x) => x % 2 === 0);
 *   declare(node, 'xs', 'orset', now);
 *   filter(node, 'evens', 'xs', 'even', now);               // a derived OR-Set, re-derived as xs changes
 *   update(node, 'xs', 'add', [4], now);
 *   query(node, 'evens');                                   // [4]
 *   fn(node, 'atLeast', (v, min) => v.length >= min);
 *   read(node, 'evens', { pred: 'atLeast', arg: 2 }, 'two', now); // a 'read' event once two evens are in
 *
 * Derived variables replicate their changes like local updates unless `share` is false (then every node that
 * needs the output derives it itself, and no bytes are spent on it).
 */
import { dataflowOf } from './glue.ts';
import type { Item } from '../../crdt/types.ts';
import type { Output } from '../io.ts';
import { type PollenNode, step, read as valueOf, stateOf, specOfVar } from '../node.ts';
import { register, type Fn } from '../dataflow.ts';
import { typeOf } from '../../crdt/registry.ts';

/** Register a plain, deterministic function by name for map/filter/fold, predicates and read callbacks. */
export function fn(node: PollenNode, name: string, f: Fn): void {
  register(dataflowOf(node), name, f);
}

export function declare(node: PollenNode, id: string, type: string, now: number): Output[] {
  return step(node, { kind: 'command', command: { op: 'declare', id: id, type: type } }, now);
}

export function update(node: PollenNode, id: string, mutator: string, args: Item[], now: number): Output[] {
  return step(node, { kind: 'command', command: { op: 'update', id: id, mutator: mutator, args: args } }, now);
}

/** Join a state of the variable's type (an in-memory state, e.g. another replica's stateOf) into it. */
export function bind(node: PollenNode, id: string, state: any, now: number): Output[] {
  const spec = specOfVar(node, id);
  const item = spec === undefined ? null : typeOf(node.store.types, spec).encode(state);
  return step(node, { kind: 'command', command: { op: 'bind', id: id, state: item } }, now);
}

/** The variable's value (its type's query), or undefined when it is not declared here. */
export function query(node: PollenNode, id: string): any {
  return valueOf(node, id);
}

/** The variable's lattice state, or undefined. */
export function state(node: PollenNode, id: string): any {
  return stateOf(node, id);
}

export interface Threshold {
  /** A state of the variable's type: the read fires once threshold ≤ state. */
  atLeast?: any;
  /** Or a registered monotone predicate over (value, arg, state). */
  pred?: string;
  arg?: Item;
}

/**
 * Fire a 'read' event tagged `tag` once the variable reaches the threshold (at once if it already has), and
 * call the registered function `then` (if given) as then(value, thenArg); a list it returns is run as commands.
 */
export function read(node: PollenNode, id: string, threshold: Threshold, tag: string, now: number, then?: string, thenArg?: Item): Output[] {
  const spec = specOfVar(node, id);
  const t = threshold.atLeast !== undefined && spec !== undefined ? typeOf(node.store.types, spec).encode(threshold.atLeast) : undefined;
  return step(node, {
    kind: 'command',
    command: { op: 'read', id: id, tag: tag, threshold: t, pred: threshold.pred, arg: threshold.arg, then: then, thenArg: thenArg },
  }, now);
}

function derived(node: PollenNode, id: string, operation: string, inputs: string[], f: string | undefined, init: Item | undefined, now: number, share: boolean | undefined): Output[] {
  return step(node, { kind: 'command', command: { op: 'derive', id: id, operation: operation, inputs: inputs, fn: f, init: init, share: share } }, now);
}

export function map(node: PollenNode, id: string, input: string, f: string, now: number, share?: boolean): Output[] {
  return derived(node, id, 'map', [input], f, undefined, now, share);
}

export function filter(node: PollenNode, id: string, input: string, f: string, now: number, share?: boolean): Output[] {
  return derived(node, id, 'filter', [input], f, undefined, now, share);
}

/** An LWW register holding f folded over the input's elements (see runtime/dataflow/ops.ts). */
export function fold(node: PollenNode, id: string, input: string, f: string, init: Item, now: number, share?: boolean): Output[] {
  return derived(node, id, 'fold', [input], f, init, now, share);
}

export function union(node: PollenNode, id: string, inputs: string[], now: number, share?: boolean): Output[] {
  return derived(node, id, 'union', inputs, undefined, undefined, now, share);
}

export function intersection(node: PollenNode, id: string, a: string, b: string, now: number, share?: boolean): Output[] {
  return derived(node, id, 'intersection', [a, b], undefined, undefined, now, share);
}

/** Pairs [x, y] for x in a and y in b. */
export function product(node: PollenNode, id: string, a: string, b: string, now: number, share?: boolean): Output[] {
  return derived(node, id, 'product', [a, b], undefined, undefined, now, share);
}
