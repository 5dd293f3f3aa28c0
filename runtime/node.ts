/**
 * A Pollen node: a value plus `step(node, input, now) -> Output[]` (shared/DESIGN.md §2, runtime/io.ts). One step
 * decodes a frame with limits, checks its envelope [VERSION, type, sender, incarnation, body], routes it by type
 * range (membership 1–19 and 40–49, Plumtree 20–29, anti-entropy 30–39), runs timers and commands, and then tells
 * Plumtree and anti-entropy about every neighbour the membership manager gained or lost during the step.
 *
 *   const n = createNode({ id: 'a', seed: 1 });
 *   step(n, { kind: 'command', command: { op: 'declare', id: 'hits', type: 'gcounter' } }, 0);
 *   const out = step(n, { kind: 'command', command: { op: 'update', id: 'hits', mutator: 'inc', args: [1] } }, 5);
 *   read(n, 'hits'); // 1
 *
 * Nothing a peer sends makes `step` throw: a frame that does not decode, or whose envelope or body is wrong, is
 * counted under metrics "dropped" and "dropped.<reason>" and reported as a 'dropped' event. A bad command from
 * the application (unknown variable or type, a mutator that refuses) throws StoreError, DecodeError or
 * MutatorError, before the node changed anything.
 *
 * CRDT updates go out twice: at once through Plumtree as the payload [1, varId, spec, delta] (the fast path),
 * and through the anti-entropy buffer (the backstop for loss, partitions and restarts; with plumtreeDeltas off,
 * the only path). An application's own
 * broadcast travels as [0, payload] and is delivered unwrapped.
 */
import type { Item } from '../crdt/types.ts';
import { DecodeError } from '../crdt/errors.ts';
import { arr, str, nat } from '../crdt/check.ts';
import { encode, decode } from '../crdt/codec/cbor.ts';
import { limits, type Limits } from '../crdt/codec/limits.ts';
import { canonicalSpec, typeOf } from '../crdt/registry.ts';
import type { Ctx } from './context.ts';
import type { Command, Input, NodeEvent, Output, PeerId } from './io.ts';
import { VERSION } from './messages.ts';
import { type Rng, rng, fork } from './rng.ts';
import type { Membership, MembershipStats } from './membership/membership.ts';
import { managerOf } from './membership/index.ts';
import * as plumtree from './plumtree.ts';
import * as ae from './antientropy.ts';
import { type Store, StoreError, DEFAULT_MAX_VARS, createStore, declare, update, applyRemote, get, ids, validId } from './store.ts';
import * as df from './dataflow.ts';
import * as auth from './auth.ts';
import * as admission from './admission.ts';

export interface NodeConfig {
  id: PeerId;
  /** Seed of the node's random source: a run is reproducible from its seeds. */
  seed: number;
  /** Grows at every restart (default 0); travels in every envelope so peers can tell lives apart. */
  incarnation?: number;
  /** Membership manager (default 'hyparview'). */
  membership?: 'hyparview' | 'full' | 'client-server';
  /** The manager's own knobs (see its defaults). */
  membershipConfig?: any;
  /** Plumtree's knobs (see runtime/plumtree.ts). */
  plumtree?: any;
  /** Anti-entropy's knobs (see runtime/antientropy.ts). */
  antiEntropy?: Partial<ae.AeConfig>;
  /** Do CRDT deltas also travel through Plumtree (default true)? False leaves them to anti-entropy alone:
   *  slower, but it measures anti-entropy on its own (tools/bench/sim.ts's sync table). */
  plumtreeDeltas?: boolean;
  /** Decoding limits for frames from peers (crdt/codec/cbor.ts defaults when omitted). */
  limits?: Partial<Limits>;
  /** Bound on variables (runtime/store.ts DEFAULT_MAX_VARS when omitted). */
  maxVariables?: number;
  /** A snapshot(node) taken before a crash: the restarted node starts with these states. */
  restore?: Item;
  /** Dataflow bounds (runtime/dataflow.ts DATAFLOW_DEFAULTS when omitted). */
  dataflow?: Partial<df.DataflowConfig>;
  /** Which variables peers may introduce (runtime/admission.ts; default: any, within a per-peer budget, never
   *  the store's reserve for the application). */
  admission?: admission.AdmissionConfig;
  /** The cluster key (runtime/auth.ts): frames are sealed and checked with it. None: frames go as they are. */
  auth?: auth.AuthConfig;
}

export interface PollenNode {
  id: PeerId;
  incarnation: number;
  limits: Limits;
  mem: Membership<any>;
  ms: any;
  pt: any;
  store: Store;
  ae: ae.AeState;
  /** NodeConfig.plumtreeDeltas. */
  ptDeltas: boolean;
  /** Neighbours after the last step, sorted: the reference for the before/after diff. */
  nbrs: PeerId[];
  metrics: { [name: string]: number };
  /** One generator per module, so extra draws in one never shift another's sequence. */
  rngMem: Rng;
  rngPt: Rng;
  rngAe: Rng;
  /** Derived variables, registered functions and pending threshold reads (runtime/dataflow.ts). */
  df: df.Dataflow;
  /** The cluster key's state (runtime/auth.ts), or null without one. */
  auth: auth.Auth | null;
}

/** Traffic class names by CLS_* number, for the byte and message counters. */
const CLASSES = ['control', 'payload', 'delta', 'state'];
/** Snapshot format version (the first item of snapshot()). */
const SNAPSHOT_VERSION = 1;

/** The Ctx a module sees during one step; `intercept` marks Plumtree's, whose deliveries the node unwraps. */
class StepCtx implements Ctx {
  readonly now: number;
  readonly self: PeerId;
  readonly incarnation: number;
  readonly rng: Rng;
  node: PollenNode;
  out: Output[];
  intercept: boolean;
  /** The peer whose frame is being handled ('' outside a frame): the origin for BP. */
  from: PeerId;
  constructor(node: PollenNode, out: Output[], now: number, r: Rng, intercept: boolean, from: PeerId) {
    this.node = node;
    this.out = out;
    this.now = now;
    this.self = node.id;
    this.incarnation = node.incarnation;
    this.rng = r;
    this.intercept = intercept;
    this.from = from;
  }
  send(to: PeerId, type: number, body: Item, cls: number): void {
    const bytes = auth.seal(this.node.auth, this.self, to, encode([VERSION, type, this.self, this.incarnation, body]));
    const name = CLASSES[cls] || 'control';
    count(this.node, 'bytes.' + name, bytes.length);
    count(this.node, 'msgs.' + name, 1);
    this.out.push({ kind: 'send', to: to, bytes: bytes, cls: cls });
  }
  setTimer(id: string, at: number): void {
    this.out.push({ kind: 'timer', id: id, at: at });
  }
  cancelTimer(id: string): void {
    this.out.push({ kind: 'cancel', id: id });
  }
  emit(event: NodeEvent): void {
    if (this.intercept && event.type === 'deliver') onDeliver(this, event);
    else this.out.push({ kind: 'event', event: event });
  }
  count(name: string, n: number): void {
    count(this.node, name, n);
  }
}

function count(node: PollenNode, name: string, n: number): void {
  node.metrics[name] = (node.metrics[name] || 0) + n;
}

export function createNode(config: NodeConfig): PollenNode {
  const inc = config.incarnation === undefined ? 0 : config.incarnation;
  const r = rng(config.seed);
  const mem = managerOf(config.membership === undefined ? 'hyparview' : config.membership);
  const ptDeltas = config.plumtreeDeltas;
  if (ptDeltas !== undefined && ptDeltas !== true && ptDeltas !== false) {
    throw new Error('node: plumtreeDeltas = ' + String(ptDeltas) + ' is out of range (true or false)');
  }
  const node: PollenNode = {
    id: config.id,
    incarnation: inc,
    limits: limits(config.limits),
    mem: mem,
    ms: mem.init(config.id, config.membershipConfig),
    pt: plumtree.init(config.id, config.plumtree),
    store: createStore(config.maxVariables),
    ae: ae.init(config.antiEntropy, inc, admission.init(config.admission, config.maxVariables === undefined ? DEFAULT_MAX_VARS : config.maxVariables)),
    ptDeltas: ptDeltas !== false,
    nbrs: [],
    metrics: {},
    rngMem: fork(r, 1),
    rngPt: fork(r, 2),
    rngAe: fork(r, 3),
    df: df.createDataflow(config.dataflow),
    auth: config.auth ? auth.init(config.auth) : null,
  };
  if (config.restore !== undefined) restore(node, config.restore);
  return node;
}

/** Feed one input; returns what the driver must do, in order. */
export function step(node: PollenNode, input: Input, now: number): Output[] {
  const out: Output[] = [];
  const from = input.kind === 'frame' ? input.from : '';
  const cm = new StepCtx(node, out, now, node.rngMem, false, from);
  const cp = new StepCtx(node, out, now, node.rngPt, true, from);
  const ca = new StepCtx(node, out, now, node.rngAe, false, from);
  if (input.kind === 'frame') onFrame(node, cm, cp, ca, input.from, input.bytes);
  else if (input.kind === 'timer') onTimer(node, cm, cp, ca, input.id);
  else if (input.kind === 'link') node.mem.onLink(node.ms, cm, input.peer, input.up);
  else if (input.kind === 'command') onCommand(node, cm, cp, ca, input.command);
  // Dataflow: re-derive what this step's changes reach and fire threshold reads (after every kind of input).
  runDataflow(node, cm, cp, ca);
  syncNeighbors(node, cp);
  ae.arm(node.ae, ca);
  return out;
}

function drop(ctx: StepCtx, from: PeerId, reason: string): void {
  count(ctx.node, 'dropped', 1);
  count(ctx.node, 'dropped.' + reason, 1);
  ctx.out.push({ kind: 'event', event: { type: 'dropped', from: from, reason: reason } });
}

function reasonOf(e: unknown): string {
  return e instanceof DecodeError ? e.reason : 'internal';
}

function onFrame(node: PollenNode, cm: StepCtx, cp: StepCtx, ca: StepCtx, from: PeerId, bytes: Uint8Array): void {
  count(node, 'frames.in', 1);
  count(node, 'bytes.in', bytes.length);
  // The tag is checked before anything of the body is decoded.
  const opened = auth.open(node.auth, node.id, from, bytes);
  if (typeof opened === 'string') return drop(cm, from, opened);
  let item: Item;
  try {
    item = decode(opened, node.limits);
  } catch (e) {
    drop(cm, from, reasonOf(e));
    return;
  }
  if (!Array.isArray(item) || item.length !== 5) return drop(cm, from, 'envelope');
  if (item[0] !== VERSION) return drop(cm, from, 'version');
  const type = item[1];
  if (typeof type !== 'number' || Math.floor(type) !== type) return drop(cm, from, 'type');
  if (item[2] !== from) return drop(cm, from, 'sender');
  const inc = item[3];
  if (typeof inc !== 'number' || inc < 0 || Math.floor(inc) !== inc) return drop(cm, from, 'envelope');
  const body = item[4];
  try {
    let taken = false;
    if ((type >= 1 && type <= 19) || (type >= 40 && type <= 49)) taken = node.mem.onMessage(node.ms, cm, from, inc, type, body);
    else if (type >= 20 && type <= 29) taken = plumtree.onMessage(node.pt, cp, from, type, body);
    else if (type >= 30 && type <= 39) taken = ae.onMessage(node.ae, ca, node.store, from, inc, type, body);
    if (!taken) drop(cm, from, 'type');
  } catch (e) {
    drop(cm, from, reasonOf(e));
  }
}

function onTimer(node: PollenNode, cm: StepCtx, cp: StepCtx, ca: StepCtx, id: string): void {
  if (ae.onTimer(node.ae, ca, node.store, id)) return;
  if (node.mem.onTimer(node.ms, cm, id)) return;
  if (plumtree.onTimer(node.pt, cp, id)) return;
  count(node, 'timers.unknown', 1);
}

function onCommand(node: PollenNode, cm: StepCtx, cp: StepCtx, ca: StepCtx, c: Command): void {
  if (c.op === 'join') node.mem.join(node.ms, cm, c.contacts);
  else if (c.op === 'leave') node.mem.leave(node.ms, cm);
  else if (c.op === 'declare') declare(node.store, c.id, c.type);
  else if (c.op === 'update') {
    // Dataflow: a derived variable is a function of its inputs; writing it directly would break that.
    if (df.isDerived(node.df, c.id)) throw new StoreError('derived', c.id + ' is derived: update its inputs instead');
    const delta = update(node.store, c.id, c.mutator, node.id, c.args);
    if (delta === null) return;
    share(node, ca, cp, c.id, delta);
    ca.emit({ type: 'changed', id: c.id });
  } else if (c.op === 'broadcast') plumtree.broadcast(node.pt, cp, [0, c.payload]);
  else if (c.op === 'bind' || c.op === 'derive' || c.op === 'read') onDataflowCommand(node, cm, cp, ca, c);
}

// ---- dataflow (runtime/dataflow.ts): the commands bind/derive/read and the per-step propagation ----

/** Bound on propagation rounds per step: a read callback's commands may change variables that fire further
 *  reads; 8 rounds cover any sane chain and stop a callback loop from running forever. */
const MAX_FLOW_ROUNDS = 8;

/** Replicate a new part of a variable as a local update does: anti-entropy buffer and Plumtree broadcast. */
function share(node: PollenNode, ca: StepCtx, cp: StepCtx, id: string, fresh: any): void {
  const v = get(node.store, id);
  if (!v) return;
  ae.record(node.ae, ca, node.store, id, fresh, node.id);
  if (node.ptDeltas) plumtree.broadcast(node.pt, cp, [1, id, v.spec, v.type.encode(fresh)]);
}

function onDataflowCommand(node: PollenNode, cm: StepCtx, cp: StepCtx, ca: StepCtx, c: Command): void {
  if (c.op === 'bind') {
    if (df.isDerived(node.df, c.id)) throw new StoreError('derived', c.id + ' is derived: bind its inputs instead');
    const v = get(node.store, c.id);
    if (!v) throw new StoreError('unknown', 'no variable ' + c.id + ' (declare it first)');
    const fresh = applyRemote(node.store, c.id, v.type.decode(c.state));
    if (fresh === null) return;
    share(node, ca, cp, c.id, fresh);
    ca.emit({ type: 'changed', id: c.id });
  } else if (c.op === 'derive') {
    const d = df.define(node.df, node.store, c.id, c.operation, c.inputs, c.fn === undefined ? '' : c.fn, c.init === undefined ? null : c.init, c.share !== false);
    // Derive once now: the inputs may already hold state. A failure here is the application's (its function).
    const fresh = df.rederive(node.df, node.store, d);
    if (fresh === null) return;
    if (d.share) share(node, ca, cp, d.out, fresh);
    ca.emit({ type: 'changed', id: d.out });
  } else if (c.op === 'read') {
    const v = get(node.store, c.id);
    if (!v) throw new StoreError('unknown', 'read: no variable ' + c.id + ' (declare it first)');
    const t = c.threshold === undefined ? null : v.type.decode(c.threshold);
    df.addRead(node.df, node.store, c.id, c.tag, t, c.pred === undefined ? '' : c.pred, c.arg === undefined ? null : c.arg, c.then === undefined ? '' : c.then, c.thenArg === undefined ? null : c.thenArg);
    // Already reached? It fires now, in this step.
    const once: { [id: string]: boolean } = {};
    once[c.id] = true;
    fireReads(node, cm, cp, ca, once);
  }
}

/** Fire the due reads on changed variables: a 'read' event each, then its callback's commands. */
function fireReads(node: PollenNode, cm: StepCtx, cp: StepCtx, ca: StepCtx, changed: { [id: string]: boolean }): void {
  const counter = (name: string, n: number): void => count(node, name, n);
  const fired = df.dueReads(node.df, node.store, changed, counter);
  for (let i = 0; i < fired.length; i++) {
    const r = fired[i];
    cm.out.push({ kind: 'event', event: { type: 'read', id: r.id, tag: r.tag, value: read(node, r.id) } });
    const cmds = df.callThen(node.df, node.store, r, counter);
    for (let k = 0; k < cmds.length; k++) {
      try {
        onCommand(node, cm, cp, ca, cmds[k] as Command);
      } catch (e) {
        // The callback may run inside a peer's frame: its mistakes are counted, never thrown into the driver.
        count(node, 'dataflow.error.then', 1);
      }
    }
  }
}

/** After a step: re-derive the derivations the step's 'changed' events reach, then fire due reads; repeat
 *  for the changes the reads' callbacks made, up to MAX_FLOW_ROUNDS. */
function runDataflow(node: PollenNode, cm: StepCtx, cp: StepCtx, ca: StepCtx): void {
  if (node.df.defs.length === 0 && node.df.reads.length === 0) return;
  const out = cm.out;
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
    df.propagate(node.df, node.store, changed, (d, fresh) => {
      if (d.share) share(node, ca, cp, d.out, fresh);
      out.push({ kind: 'event', event: { type: 'changed', id: d.out } });
    }, (name, n) => count(node, name, n));
    // Outputs were propagated in the pass above: the next round looks only at what callbacks change.
    from = out.length;
    fireReads(node, cm, cp, ca, changed);
  }
}

/** A Plumtree delivery: an application payload is passed on unwrapped; a CRDT delta is joined through RR. */
function onDeliver(cp: StepCtx, ev: NodeEvent): void {
  if (ev.type !== 'deliver') return;
  const node = cp.node;
  const p = ev.payload;
  if (Array.isArray(p) && p.length === 2 && p[0] === 0) {
    cp.out.push({ kind: 'event', event: { type: 'deliver', msgId: ev.msgId, origin: ev.origin, hops: ev.hops, payload: p[1] } });
    return;
  }
  const peer = cp.from !== '' ? cp.from : ev.origin;
  // Checked whole first: a DecodeError goes back through Plumtree, which then neither remembers nor forwards the
  // payload, and the frame is counted as dropped by onFrame. Nothing is declared for a delta that does not decode.
  const b = arr(p, 'payload', 4);
  if (nat(b[0], 'payload kind') !== 1) throw new DecodeError('type', 'unknown payload kind');
  const id = str(b[1], 'variable id');
  if (!validId(id)) throw new DecodeError('type', 'bad variable id');
  const spec = canonicalSpec(str(b[2], 'spec'));
  // Our own broadcast, delivered at once: already applied. (An earlier life's message is not: apply it.)
  const own = ev.hops === 0 && ev.origin === node.id;
  const delta = own ? null : typeOf(spec).decode(b[3]);
  cp.out.push({ kind: 'event', event: { type: 'deliver', msgId: ev.msgId, origin: ev.origin, hops: ev.hops, payload: [b[1], b[2], b[3]] } });
  if (own) return;
  let v = get(node.store, id);
  if (v && v.spec !== spec) {
    count(node, 'ae.spec-mismatch', 1);
    return;
  }
  if (!v) {
    const refused = admission.refusal(node.ae.adm, node.store, id, spec, peer);
    if (refused !== '') {
      count(node, 'admit.' + refused, 1);
      return;
    }
    v = declare(node.store, id, spec);
    admission.taken(node.ae.adm, peer);
  }
  const fresh = applyRemote(node.store, id, delta);
  if (fresh === null) {
    count(node, 'pt.redundant', 1);
    return;
  }
  const ca = new StepCtx(node, cp.out, cp.now, node.rngAe, false, cp.from);
  // Without RR (a measurement knob) the whole delta enters the buffer.
  ae.record(node.ae, ca, node.store, id, node.ae.cfg.rr ? fresh : delta, peer);
  cp.out.push({ kind: 'event', event: { type: 'changed', id: id } });
}

/** Compare the manager's neighbours with the last step's and tell the layers above about each change. */
function syncNeighbors(node: PollenNode, cp: StepCtx): void {
  const now = node.mem.neighbors(node.ms);
  const before = node.nbrs;
  let i = 0;
  let j = 0;
  while (i < before.length || j < now.length) {
    if (j >= now.length || (i < before.length && before[i] < now[j])) {
      plumtree.neighborDown(node.pt, cp, before[i]);
      ae.neighborDown(node.ae, before[i]);
      cp.out.push({ kind: 'event', event: { type: 'neighbor', peer: before[i], up: false } });
      i++;
    } else if (i >= before.length || now[j] < before[i]) {
      plumtree.neighborUp(node.pt, cp, now[j]);
      ae.neighborUp(node.ae, now[j]);
      cp.out.push({ kind: 'event', event: { type: 'neighbor', peer: now[j], up: true } });
      j++;
    } else {
      i++;
      j++;
    }
  }
  node.nbrs = now.slice();
}

/** The value of a variable (the type's query), or undefined when it is not declared here. */
export function read(node: PollenNode, id: string): any {
  const v = get(node.store, id);
  return v ? v.type.value(v.state) : undefined;
}

/** The lattice state of a variable, or undefined. */
export function stateOf(node: PollenNode, id: string): any {
  const v = get(node.store, id);
  return v ? v.state : undefined;
}

/** The spec of a declared variable, or undefined. */
export function specOfVar(node: PollenNode, id: string): string | undefined {
  const v = get(node.store, id);
  return v ? v.spec : undefined;
}

export function neighbors(node: PollenNode): PeerId[] {
  return node.mem.neighbors(node.ms);
}

export function membershipStats(node: PollenNode): MembershipStats {
  return node.mem.stats(node.ms);
}

/**
 * Counters (bytes.<class>, msgs.<class>, dropped.<reason>, module counters) and gauges (store.vars,
 * ae.buffer.entries, ae.buffer.bytes, view.active, view.passive), as a fresh object with sorted keys.
 */
export function metrics(node: PollenNode): { [name: string]: number } {
  const m: { [name: string]: number } = {};
  const s = node.mem.stats(node.ms);
  m['ae.buffer.bytes'] = node.ae.bytes;
  m['ae.buffer.entries'] = node.ae.buf.length;
  m['store.vars'] = node.store.count;
  m['view.active'] = s.active;
  m['view.passive'] = s.passive;
  const ks = Object.keys(node.metrics);
  for (let i = 0; i < ks.length; i++) m[ks[i]] = node.metrics[ks[i]];
  const out: { [name: string]: number } = {};
  const sorted = Object.keys(m).sort();
  for (let i = 0; i < sorted.length; i++) out[sorted[i]] = m[sorted[i]];
  return out;
}

/** What to persist for a restart with state: [1, [[varId, spec, state], …]]. Peers and buffers are not kept. */
export function snapshot(node: PollenNode): Item {
  const names = ids(node.store);
  const vars: Item[] = [];
  for (let i = 0; i < names.length; i++) {
    const v = node.store.vars[names[i]];
    vars.push([v.id, v.spec, v.type.encode(v.state)]);
  }
  return [SNAPSHOT_VERSION, vars];
}

/** Load a snapshot into a fresh node; throws DecodeError when the snapshot is not one. */
function restore(node: PollenNode, item: Item): void {
  const b = arr(item, 'snapshot', 2);
  if (b[0] !== SNAPSHOT_VERSION) throw new DecodeError('version', 'snapshot version ' + String(b[0]) + ' is not ' + SNAPSHOT_VERSION);
  const vars = arr(b[1], 'snapshot variables');
  for (let i = 0; i < vars.length; i++) {
    const e = arr(vars[i], 'snapshot variable', 3);
    const v = declare(node.store, str(e[0], 'variable id'), str(e[1], 'spec'));
    applyRemote(node.store, v.id, v.type.decode(e[2]));
  }
}
