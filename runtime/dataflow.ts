/**
 * Lasp's dataflow over the node's store (README, "Dataflow (Lasp)"): derived variables that are re-derived whenever
 * an input inflates, and threshold reads that fire once a variable's local state reaches a threshold.
 *
 *   const df = createDataflow(undefined);
 *   register(df, 'big', (x) => x > 10);
 *   define(df, store, 'bigOnes', 'filter', ['readings'], 'big', null, true);   // declares bigOnes (an orset)
 *   const changed = { readings: true };
 *   propagate(df, store, changed, publish, count);   // re-derives bigOnes; changed.bigOnes if it inflated
 *   addRead(df, store, 'bigOnes', 'seen', null, 'nonEmpty', null, '', null);
 *   dueReads(df, store, changed, count);             // the reads that fired, removed from the registry
 *
 * The derivations themselves (runtime/dataflow/ops.ts) are pure functions of the input states, monotone in the
 * lattice order; the output's state is what they compute, joined into the store variable (through RR, so the
 * caller learns the new part and can replicate it like a local update). A derived variable is an ordinary
 * replicated variable: a node that does not run the derivation reads it as any other. Every node that runs it
 * must define it identically (same operation, inputs and function), which a program running everywhere does.
 *
 * Functions are plain functions registered by name (no closures over Node APIs: the board runs them too), and
 * must be deterministic. Definitions are made after their inputs exist and name a fresh (or not yet derived)
 * output that no definition reads yet, so definition order is a topological order: one pass in that order
 * re-derives everything a batch of changes reaches. Cycles cannot be written.
 *
 * Thresholds (Lasp's monotonic read): a lattice state (fires when threshold ≤ state) or a registered
 * predicate over (value, arg, state) that the caller promises is monotone (once true, true on every later
 * state). A read fires once, and is then gone; `then` names a registered function called as then(value,
 * thenArg) that may return commands for the node to run (e.g. remove the ad from the served set).
 */
import type { Item } from '../crdt/types.ts';
import { hasOwn, sortedKeys } from '../crdt/keys.ts';
import { type Store, StoreError, applyRemote, declare, get } from './store.ts';
import { DataflowError, MAX_PAIR_ENTRIES, derive, outSpec, takesFn } from './dataflow/ops.ts';
import * as kn from './knobs.ts';

export { DataflowError } from './dataflow/ops.ts';

export interface DataflowConfig {
  /** Registered functions. 32: an application's handful, with room for the completion helper's. */
  maxFns: number;
  /** Derived variables. 32: half of the store's DEFAULT_MAX_VARS (64), the rest for inputs. */
  maxDerivations: number;
  /** Pending threshold reads. 128: one per ad or per phase, for a few dozen of each. */
  maxReads: number;
  /** Bound on one product's or intersection's pairs (context entries, and a product's elements): the default,
   *  ops.ts MAX_PAIR_ENTRIES (4096), is about 40 KB of state; a node with room raises it. Past it the output
   *  stays as it was and the node emits a 'stale' event (never silently). */
  maxPairEntries: number;
}

export const DATAFLOW_DEFAULTS: DataflowConfig = { maxFns: 32, maxDerivations: 32, maxReads: 128, maxPairEntries: MAX_PAIR_ENTRIES };

export type Fn = (...xs: any[]) => any;

export interface Derivation {
  out: string;
  op: string;
  ins: string[];
  /** Registered function name ('' for union, intersection, product). */
  fn: string;
  /** fold's starting value. */
  init: Item;
  /** Replicate the output's new parts like local updates (false: every node that needs it derives it). */
  share: boolean;
  /** Why the last re-derivation failed (a DataflowError or StoreError reason), '' when it succeeded: while
   *  set, the output holds the last state derived and is behind its inputs. */
  stale: string;
}

export interface PendingRead {
  id: string;
  tag: string;
  /** Lattice threshold (a state of the variable's type), or null for a predicate read. */
  state: any;
  pred: string;
  arg: Item;
  then: string;
  thenArg: Item;
}

export interface Dataflow {
  cfg: DataflowConfig;
  fns: { [name: string]: Fn };
  nfns: number;
  defs: Derivation[];
  /** Derived output ids. */
  outs: { [id: string]: boolean };
  /** Ids some definition reads. */
  ins: { [id: string]: boolean };
  reads: PendingRead[];
}

const RANGES = { maxFns: 'count 0', maxDerivations: 'count 0', maxReads: 'count 0', maxPairEntries: 'count 1' };

/** Throws (as every layer's knobs do, runtime/knobs.ts) on an unknown knob or one out of range. */
export function createDataflow(config: Partial<DataflowConfig> | undefined): Dataflow {
  const cfg = kn.knobs('dataflow', DATAFLOW_DEFAULTS, RANGES, config);
  return { cfg: cfg, fns: {}, nfns: 0, defs: [], outs: {}, ins: {}, reads: [] };
}

/** Register (or replace) a plain function by name, for map/filter/fold, predicates and read callbacks. */
export function register(df: Dataflow, name: string, fn: Fn): void {
  if (typeof name !== 'string' || name.length === 0 || name === '__proto__') throw new DataflowError('fn', 'function names are non-empty strings');
  if (typeof fn !== 'function') throw new DataflowError('fn', 'register ' + name + ': not a function');
  if (!hasOwn(df.fns, name)) {
    if (df.nfns >= df.cfg.maxFns) throw new DataflowError('full', 'cannot register ' + name + ': maxFns ' + df.cfg.maxFns + ' reached');
    df.nfns++;
  }
  df.fns[name] = fn;
}

export function isDerived(df: Dataflow, id: string): boolean {
  return hasOwn(df.outs, id);
}

function fnOf(df: Dataflow, name: string): Fn {
  if (!hasOwn(df.fns, name)) throw new DataflowError('fn', 'no function registered as "' + name + '" (registered: ' + sortedKeys(df.fns).join(', ') + ')');
  return df.fns[name];
}

/**
 * Define `out` as `op` over the input variables, and declare it in the store with the operation's output type.
 * Throws StoreError (unknown input, full store, `out` already a variable of another type), DataflowError (the
 * operation does not apply, unknown function, the function fails on the current inputs, `out` already derived
 * or already read by a definition, bounds), in each case before anything changed.
 * The caller derives it once at once (rederive), since the inputs may hold state already.
 */
export function define(df: Dataflow, store: Store, out: string, op: string, ins: string[], fn: string, init: Item, share: boolean): Derivation {
  if (!Array.isArray(ins)) throw new DataflowError('arity', op + ': inputs must be a list of variable ids');
  const specs: string[] = [];
  const states: any[] = [];
  for (let i = 0; i < ins.length; i++) {
    const v = get(store, ins[i]);
    if (!v) throw new StoreError('unknown', op + ': no input variable ' + ins[i] + ' (declare or derive it first)');
    if (ins[i] === out) throw new DataflowError('cycle', op + ': ' + out + ' cannot be its own input');
    specs.push(v.spec);
    states.push(v.state);
  }
  const spec = outSpec(op, specs);
  const f = takesFn(op) ? fnOf(df, fn) : null;
  if (hasOwn(df.outs, out)) throw new DataflowError('derived', out + ' is already derived');
  // Keeps definition order topological: nothing defined so far may read the new output.
  if (hasOwn(df.ins, out)) throw new DataflowError('cycle', out + ' is already an input of a derivation; define it before its readers');
  if (df.defs.length >= df.cfg.maxDerivations) throw new DataflowError('full', 'cannot derive ' + out + ': maxDerivations ' + df.cfg.maxDerivations + ' reached');
  // A dry run, so that a function that fails on the current inputs is refused before anything changes.
  derive(op, specs, states, f, init === undefined ? null : init, df.cfg.maxPairEntries);
  declare(store, out, spec);
  const d: Derivation = { out: out, op: op, ins: ins.slice(), fn: takesFn(op) ? fn : '', init: init === undefined ? null : init, share: share, stale: '' };
  df.defs.push(d);
  df.outs[out] = true;
  for (let i = 0; i < ins.length; i++) df.ins[ins[i]] = true;
  return d;
}

/**
 * Compute the derivation from the current input states and join it into its output: the new part (RR), or
 * null when the output already held it. Throws DataflowError when the function fails or a bound is passed.
 */
export function rederive(df: Dataflow, store: Store, d: Derivation): any {
  const specs: string[] = [];
  const states: any[] = [];
  for (let i = 0; i < d.ins.length; i++) {
    const v = get(store, d.ins[i]);
    if (!v) throw new StoreError('unknown', 'no input variable ' + d.ins[i]);
    specs.push(v.spec);
    states.push(v.state);
  }
  const fn = d.fn === '' ? null : fnOf(df, d.fn);
  return applyRemote(store, d.out, derive(d.op, specs, states, fn, d.init, df.cfg.maxPairEntries));
}

/** Told when a derivation goes stale (reason and message of the failure) or is derived again (reason ''). */
export type StaleFn = (d: Derivation, reason: string, message: string) => void;

/**
 * Re-derive, in definition order, every derivation with an input in `changed`; each output that inflated is
 * added to `changed` (so its readers follow in the same pass) and handed to `publish` with its new part. A
 * derivation that fails is counted (`count('dataflow.error.<reason>')`) and left as it was: a change from a
 * peer never throws out of here. `stale` hears of each derivation that starts failing (once, not at every
 * change that fails again) and of each that succeeds again, so the application is told its output is behind.
 */
export function propagate(df: Dataflow, store: Store, changed: { [id: string]: boolean }, publish: (d: Derivation, fresh: any) => void, count: (name: string, n: number) => void, stale?: StaleFn): void {
  for (let i = 0; i < df.defs.length; i++) {
    const d = df.defs[i];
    let hit = false;
    for (let k = 0; k < d.ins.length; k++) if (hasOwn(changed, d.ins[k])) hit = true;
    if (!hit) continue;
    let fresh: any = null;
    try {
      fresh = rederive(df, store, d);
    } catch (e) {
      const reason = e instanceof DataflowError || e instanceof StoreError ? e.reason : 'internal';
      count('dataflow.error.' + reason, 1);
      if (d.stale !== reason) {
        d.stale = reason;
        if (stale) stale(d, reason, String((e as Error).message || e));
      }
      continue;
    }
    count('dataflow.derived', 1);
    if (d.stale !== '') {
      d.stale = '';
      if (stale) stale(d, '', '');
    }
    if (fresh === null) continue;
    changed[d.out] = true;
    publish(d, fresh);
  }
}

/**
 * Register a threshold read on variable `id`: `threshold` (a state of its type, already decoded) or, when it
 * is null, the predicate `pred` (a registered function of (value, arg, state)). Call dueReads with the id in
 * `changed` to check it at once. Throws StoreError (unknown variable) or DataflowError (no such function, full).
 */
export function addRead(df: Dataflow, store: Store, id: string, tag: string, threshold: any, pred: string, arg: Item, then: string, thenArg: Item): PendingRead {
  if (!get(store, id)) throw new StoreError('unknown', 'read: no variable ' + id + ' (declare it first)');
  if (threshold === null || threshold === undefined) fnOf(df, pred);
  if (then !== '' && then !== undefined) fnOf(df, then);
  if (df.reads.length >= df.cfg.maxReads) throw new DataflowError('full', 'read ' + tag + ': maxReads ' + df.cfg.maxReads + ' pending');
  const r: PendingRead = {
    id: id,
    tag: typeof tag === 'string' ? tag : '',
    state: threshold === undefined ? null : threshold,
    pred: threshold === null || threshold === undefined ? pred : '',
    arg: arg === undefined ? null : arg,
    then: then === undefined ? '' : then,
    thenArg: thenArg === undefined ? null : thenArg,
  };
  df.reads.push(r);
  return r;
}

/** Has the variable's local state reached the read's threshold? A predicate that throws counts as not yet. */
function reached(df: Dataflow, store: Store, r: PendingRead, count: (name: string, n: number) => void): boolean {
  const v = get(store, r.id);
  if (!v) return false;
  if (r.pred === '') return v.type.leq(r.state, v.state);
  if (!hasOwn(df.fns, r.pred)) return false;
  try {
    return !!df.fns[r.pred](v.type.value(v.state), r.arg, v.state);
  } catch (e) {
    count('dataflow.error.pred', 1);
    return false;
  }
}

/** The pending reads on a changed variable that have reached their threshold, in registration order; they
 *  leave the registry (a read fires once). */
export function dueReads(df: Dataflow, store: Store, changed: { [id: string]: boolean }, count: (name: string, n: number) => void): PendingRead[] {
  const fired: PendingRead[] = [];
  const keep: PendingRead[] = [];
  for (let i = 0; i < df.reads.length; i++) {
    const r = df.reads[i];
    if (hasOwn(changed, r.id) && reached(df, store, r, count)) fired.push(r);
    else keep.push(r);
  }
  if (fired.length > 0) df.reads = keep;
  return fired;
}

/** A fired read's callback: what it returns, if it is a list (of commands, for the node to run); else []. */
export function callThen(df: Dataflow, store: Store, r: PendingRead, count: (name: string, n: number) => void): any[] {
  if (r.then === '' || !hasOwn(df.fns, r.then)) return [];
  const v = get(store, r.id);
  try {
    const out = df.fns[r.then](v ? v.type.value(v.state) : null, r.thenArg);
    return Array.isArray(out) ? out : [];
  } catch (e) {
    count('dataflow.error.then', 1);
    return [];
  }
}
