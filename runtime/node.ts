/**
 * A Pollen node: a value plus `step(node, input, now) -> Output[]` (ARCHITECTURE.md, runtime/io.ts), composed from
 * the parts a profile chooses. One step decodes a frame with limits, checks its envelope [VERSION, type, sender,
 * incarnation, body], routes it by type range (membership 1–19 and 40–49, Plumtree 20–29, anti-entropy 30–39),
 * runs timers and commands, and then tells Plumtree and anti-entropy about every neighbour the membership manager
 * gained or lost during the step.
 *
 * Composition by injection: `composeNode(config, parts)` takes the membership manager, Plumtree (or null), the
 * dataflow part (or null), the registry of CRDT types and the anti-entropy part as values; this file imports none
 * of them, so a bundle holds only what its profile passes. Anti-entropy is always there (it is what makes loss
 * and restarts converge), as the full algorithm with admission (AntiEntropy) or a client's (DeltaSync).
 * Written in few functions with few parameters: on a board every function object costs variables.
 *
 *   import { Client } from './membership/client.ts';
 *   import { DeltaSync } from './deltasync.ts';
 *   const types = register(register(register(registry(), PNCounter), ORSet), LWW);
 *   const n = composeNode({ id: 'tag1', seed: 1 }, { membership: Client, plumtree: null, dataflow: null, types, sync: DeltaSync });
 *   step(n, { kind: 'command', command: { op: 'declare', id: 'hits', type: 'pncounter' } }, 0);
 *   step(n, { kind: 'command', command: { op: 'update', id: 'hits', mutator: 'inc', args: [1] } }, 5);
 *   read(n, 'hits'); // 1
 *
 * runtime/full.ts composes everything by name (`createNode({ id, seed, membership: 'hyparview' })`) for Node,
 * the simulator and the tools.
 *
 * Nothing a peer sends makes `step` throw: a frame that does not decode, or whose envelope or body is wrong, is
 * counted under metrics "dropped" and "dropped.<reason>" and reported as a 'dropped' event. A bad command from
 * the application (unknown variable or type, a mutator that refuses) throws StoreError, DecodeError or
 * MutatorError, before the node changed anything.
 *
 * CRDT updates go out twice: at once through Plumtree (when composed) as the payload [1, varId, spec, delta] (the
 * fast path), and through the anti-entropy buffer (the backstop for loss, partitions and restarts; without
 * Plumtree, or with plumtreeDeltas off, the only path). A remote delta from either path is joined by one
 * function, antientropy.ts's `receive` (Plumtree composes with AntiEntropy, whose `deliver` takes its payloads). An application's own broadcast travels as [0, payload] and is delivered
 * unwrapped.
 *
 * Selective hearing: a node composed with `interest` (a list of variable ids) tells each neighbour the list
 * (INTEREST, runtime/interest.ts); neighbours then send it those variables and nothing else, through Plumtree
 * and anti-entropy alike, and it refuses (counts, never declares) any other that still arrives.
 */
import type { Item } from '../crdt/types.ts';
import { DecodeError } from '../crdt/errors.ts';
import { arr, str } from '../crdt/check.ts';
import { encode, decode } from '../crdt/codec/cbor.ts';
import { limits, type Limits } from '../crdt/codec/limits.ts';
import type { Registry } from '../crdt/registry.ts';
import type { Ctx } from './context.ts';
import type { Command, Input, NodeEvent, Output, PeerId } from './io.ts';
import { VERSION, INTEREST, GOSSIP, IHAVE, peerIdProblem } from './messages.ts';
import { type Rng, rng, fork } from './rng.ts';
import type { Membership, MembershipStats } from './membership/membership.ts';
import type { PlumtreeConfig, PlumtreePart, PlumtreeState } from './plumtree.ts';
import type { Dataflow, DataflowConfig } from './dataflow.ts';
import type { AeConfig } from './antientropy.ts';
import type { SyncConfig } from './deltasync.ts';
import * as interest from './interest.ts';
import { replicaOf } from './replica.ts';
import { type Store, StoreError, createStore, declare, update, get, absorb } from './store.ts';
import { sortedKeys } from '../crdt/keys.ts';
import type { Auth, AuthConfig } from './auth.ts';
import type { AdmissionConfig } from './admission.ts';
import type { CausalConfig, CausalState, Held } from './causal-delivery.ts';

/** What a node is made of, chosen by its profile (see the file comment). */
export interface NodeParts {
  /** The membership manager: HyParView, Full or ClientServer (runtime/membership/), or any Membership. */
  membership: Membership<unknown>;
  /** Plumtree (runtime/plumtree.ts's `Plumtree`), or null: deltas then travel by anti-entropy alone. */
  plumtree: PlumtreePart | null;
  /** The dataflow part (runtime/dataflow/glue.ts's `Dataflow`), or null: bind, derive and read are refused. */
  dataflow: FlowPart | null;
  /** The CRDT types this node holds (crdt/registry.ts): a variable of another type is refused. */
  types: Registry;
  /** Anti-entropy: runtime/antientropy.ts's `AntiEntropy` (the full algorithm: redundancy removal, digests,
   *  admission of peers' variables) or runtime/deltasync.ts's `DeltaSync` (a client's: fewer functions, see there
   *  what it leaves out). */
  sync: SyncPart;
  /** The cluster key's sealing and checking (runtime/auth.ts), or omitted: such a node cannot be
   *  given a key (`config.auth`), and a profile that leaves it out carries none of its code. */
  auth?: AuthPart | null;
  /** Causal delivery of Plumtree's deltas (runtime/causal-delivery.ts's `CausalDelivery`), or omitted: deltas are
   *  joined as they arrive (a profile without Plumtree, whose anti-entropy is causal on its own, needs none). */
  causal?: CausalPart | null;
}

/** Causal delivery as the node calls it (runtime/causal-delivery.ts); its state is node.cd. */
export interface CausalPart {
  init(config?: Partial<CausalConfig>): CausalState;
  /** This replica's progress in variable `id` before an update; -1 when its type is delivered without deps. */
  before(node: PollenNode, id: string): number;
  /** The deps of this node's new delta of `id` (after the update), or null for a type without them. */
  stamp(node: PollenNode, id: string, pre: number): Item[] | null;
  /** A payload's deps from a peer; throws DecodeError. */
  deps(item: Item): Item[];
  /** A decoded Plumtree delta with deps: joined now, or held until what it depends on is in. */
  offer(node: PollenNode, h: Held): void;
  /** After every step: join what became ready, drop what waited too long. */
  afterStep(node: PollenNode): void;
  onTimer(node: PollenNode, id: string): boolean;
}

/** Anti-entropy as the node calls it (runtime/antientropy.ts, runtime/deltasync.ts); its state is node.ae. */
export interface SyncPart {
  /** The part's state; `config` is the node's (antiEntropy, admission). Throws Error for a bad knob. */
  init(node: PollenNode, config: CoreConfig): SyncState;
  /** DELTA, ACK, DIGEST or STATE; false for another type. Throws DecodeError before changing anything. */
  onMessage(node: PollenNode, from: PeerId, inc: number, type: number, body: Item): boolean;
  onTimer(node: PollenNode, id: string): boolean;
  /** A Plumtree delivery (a node with Plumtree needs a part that has it): an application payload is passed on
   *  unwrapped, a CRDT delta [1, varId, spec, delta] joined as anti-entropy's own. Throws DecodeError. */
  deliver?(node: PollenNode, ev: NodeEvent): void;
  /** Neighbour `peer` came up (1), went down (0), or now hears more variables than before (2). */
  peer(node: PollenNode, peer: PeerId, how: number): void;
  /** After every step: set the sync timer if a neighbour is behind. */
  arm(node: PollenNode): void;
  /** A delta that inflated a local variable, from `origin` (this node for an update). */
  record(node: PollenNode, id: string, delta: unknown, origin: PeerId): void;
  /** Plumtree sent `peer` a GOSSIP (`sent` true) or received a GOSSIP or IHAVE from it (false, after Plumtree
   *  took the body): the messages it names, so anti-entropy need not send their deltas there again. Optional. */
  carried?(node: PollenNode, peer: PeerId, type: number, body: Item, sent: boolean): void;
}

/** What every anti-entropy state shows (metrics). */
export interface SyncState {
  bytes: number;
  buf: unknown[];
}

/** Frame authentication as the node calls it (implemented by runtime/auth.ts). */
export interface AuthPart {
  init(c: AuthConfig): Auth;
  seal(a: Auth | null, self: string, to: string, envelope: Uint8Array): Uint8Array;
  open(a: Auth | null, self: string, from: string, frame: Uint8Array): Uint8Array | string;
}

/** The dataflow part as the node calls it (implemented by runtime/dataflow/glue.ts). */
export interface FlowPart {
  init(config: Partial<DataflowConfig> | undefined): Dataflow;
  /** Handle bind, derive or read; false for any other command. */
  command(node: PollenNode, c: Command): boolean;
  /** Throws StoreError when `id` is derived (a derived variable is written by its derivation only). */
  guard(node: PollenNode, id: string): void;
  /** After every step: re-derive what the step's changes reach and fire due reads. */
  afterStep(node: PollenNode): void;
}

/** The node's knobs; the parts come separately (NodeParts). */
export interface CoreConfig {
  id: PeerId;
  /** Seed of the node's random source: a run is reproducible from its seeds. */
  seed: number;
  /** Grows at every restart (default 0); travels in every envelope so peers can tell lives apart. */
  incarnation?: number;
  /** This life's epoch (runtime/replica.ts): the node issues dots as `id@epoch` (base 36), never as an earlier
   *  life did. The driver gives a fresh one at every start; undefined keeps the plain id (a node that never
   *  restarts with lost state: the simulator, tests). */
  epoch?: number;
  /** The membership manager's own knobs (see its defaults); checked by the manager. */
  membershipConfig?: object;
  /** Plumtree's knobs (runtime/plumtree.ts); ignored without Plumtree. */
  plumtree?: Partial<PlumtreeConfig>;
  /** Anti-entropy's knobs (runtime/antientropy.ts). */
  antiEntropy?: Partial<AeConfig> | Partial<SyncConfig>;
  /** Do CRDT deltas also travel through Plumtree (default true)? False leaves them to anti-entropy alone:
   *  slower, but it measures anti-entropy on its own (tools/bench/sim.ts's sync table). */
  plumtreeDeltas?: boolean;
  /** Causal delivery (runtime/causal-delivery.ts), when the node is composed with it: its knobs, or false to
   *  join Plumtree's deltas as they arrive (to measure what it costs and guards against). Default on. */
  causal?: Partial<CausalConfig> | false;
  /** Decoding limits for frames from peers (crdt/codec/cbor.ts defaults when omitted). */
  limits?: Partial<Limits>;
  /** Bound on variables (runtime/store.ts DEFAULT_MAX_VARS when omitted). */
  maxVariables?: number;
  /** Bound on one variable's encoded state, in bytes (runtime/store.ts DEFAULT_MAX_STATE_BYTES when omitted):
   *  an update or remote delta that would pass it is refused and counted. */
  maxStateBytes?: number;
  /** The variables this node wants to hear of (selective hearing, runtime/interest.ts); omitted: all. */
  interest?: string[];
  /** Bound on neighbours whose interest sets are kept (runtime/interest.ts DEFAULT_MAX_PEERS when omitted). */
  maxInterestPeers?: number;
  /** A snapshot(node) taken before a crash: the restarted node starts with these states. */
  restore?: Item;
  /** Dataflow bounds (runtime/dataflow.ts DATAFLOW_DEFAULTS when omitted); ignored without dataflow. */
  dataflow?: Partial<DataflowConfig>;
  /** Which variables peers may introduce (runtime/admission.ts; default: any, within a per-peer budget, never
   *  the store's reserve for the application). */
  admission?: AdmissionConfig;
  /** The cluster key (runtime/auth.ts): frames are sealed and checked with it. None: frames go as they are. */
  auth?: AuthConfig;
}

export interface PollenNode {
  id: PeerId;
  /** The replica id of this node's dots and counter entries (runtime/replica.ts). */
  replica: string;
  incarnation: number;
  limits: Limits;
  mem: Membership<unknown>;
  /** The membership manager's state. */
  ms: unknown;
  /** Plumtree and its state, or null. */
  bcast: PlumtreePart | null;
  pt: PlumtreeState | null;
  store: Store;
  /** Anti-entropy (NodeParts.sync) and its state. */
  sync: SyncPart;
  ae: any;
  /** The dataflow part and its state (derived variables, registered functions, pending reads), or null. */
  flow: FlowPart | null;
  df: Dataflow | null;
  /** Selective hearing: this node's interest and its neighbours' (runtime/interest.ts). */
  hear: interest.Hearing;
  /** CoreConfig.plumtreeDeltas. */
  ptDeltas: boolean;
  /** Neighbours after the last step, sorted: the reference for the before/after diff. */
  nbrs: PeerId[];
  metrics: { [name: string]: number };
  /** One Ctx per module, kept for the node's life (a step only resets their time and output): each carries
   *  its module's own generator, so extra draws in one never shift another's sequence. cp is Plumtree's (cm
   *  itself in a node composed without Plumtree). */
  cm: StepCtx;
  cp: StepCtx;
  ca: StepCtx;
  /** The cluster key's state (runtime/auth.ts), or null without one; `sealer` is the part that uses it. */
  auth: Auth | null;
  sealer: AuthPart | null;
  /** Causal delivery and its state, or null (not composed, or config.causal false). */
  causal: CausalPart | null;
  cd: CausalState | null;
}

/** Traffic class names by CLS_* number, for the byte and message counters. */
/** Byte and message counter names by class, built once: a name built per send costs a string and its lookup on every frame. */
const BYTES_OF = ['bytes.control', 'bytes.payload', 'bytes.delta', 'bytes.state'];
const MSGS_OF = ['msgs.control', 'msgs.payload', 'msgs.delta', 'msgs.state'];
/** Snapshot format version (the first item of snapshot()). */
const SNAPSHOT_VERSION = 1;

/** The Ctx a module sees; `intercept` marks Plumtree's, whose deliveries the node unwraps. */
export class StepCtx implements Ctx {
  now: number;
  self: PeerId;
  incarnation: number;
  rng: Rng;
  node: PollenNode;
  out: Output[];
  intercept: boolean;
  /** The peer whose frame is being handled ('' outside a frame): the origin for BP. */
  from: PeerId;
  constructor(node: PollenNode, r: Rng, intercept: boolean) {
    this.node = node;
    this.out = [];
    this.now = 0;
    this.self = node.id;
    this.incarnation = node.incarnation;
    this.rng = r;
    this.intercept = intercept;
    this.from = '';
  }
  send(to: PeerId, type: number, body: Item, cls: number): void {
    const plain = encode([VERSION, type, this.self, this.incarnation, body]);
    const bytes = this.node.sealer !== null ? this.node.sealer.seal(this.node.auth, this.self, to, plain) : plain;
    const c = BYTES_OF[cls] ? cls : 0;
    this.count(BYTES_OF[c], bytes.length);
    this.count(MSGS_OF[c], 1);
    this.out.push({ kind: 'send', to: to, bytes: bytes, cls: cls });
    if (this.intercept && type === GOSSIP && this.node.sync.carried) this.node.sync.carried(this.node, to, type, body, true);
  }
  setTimer(id: string, at: number): void {
    this.out.push({ kind: 'timer', id: id, at: at });
  }
  cancelTimer(id: string): void {
    this.out.push({ kind: 'cancel', id: id });
  }
  emit(event: NodeEvent): void {
    if (this.intercept && event.type === 'deliver') (this.node.sync.deliver as SyncPart['deliver'] & {})(this.node, event);
    else this.out.push({ kind: 'event', event: event });
  }
  count(name: string, n: number): void {
    const m = this.node.metrics;
    m[name] = (m[name] || 0) + n;
  }
  // Selective hearing as the full layers ask it (Ctx): set by the part that uses them (runtime/interest.ts's
  // `attach`, called by AntiEntropy), so a profile without those layers carries none of it.
  hears?(peer: PeerId, id: string): boolean;
  wants?(id: string): boolean;
  accepts?(from: PeerId, id: string): boolean;
  carries?(peer: PeerId, payload: Item): boolean;
}

/** Add to a named counter in the node's metrics (for modules outside the node; the node's own code counts through
 *  its Ctx, so a bundle that needs no more carries one function for it). */
export function count(node: PollenNode, name: string, n: number): void {
  node.cm.count(name, n);
}

/** A node of the given parts (see the file comment). Throws Error for a bad knob, DecodeError for a bad restore. */
export function composeNode(config: CoreConfig, parts: NodeParts): PollenNode {
  // The one bound every link and layer accepts: a longer id would be refused by peers' membership and Plumtree.
  const badId = peerIdProblem(config.id);
  if (badId) throw new Error('node: ' + badId);
  const inc = config.incarnation === undefined ? 0 : config.incarnation;
  const r = rng(config.seed);
  const ptDeltas = config.plumtreeDeltas;
  if (ptDeltas !== undefined && ptDeltas !== true && ptDeltas !== false) {
    throw new Error('node: plumtreeDeltas = ' + String(ptDeltas) + ' is out of range (true or false)');
  }
  const store = createStore(config.maxVariables, parts.types, config.maxStateBytes);
  if (parts.plumtree && !parts.sync.deliver) throw new Error('node: Plumtree needs a sync part with deliver (AntiEntropy)');
  if (config.auth && !parts.auth) throw new Error('node: auth given without the auth part');
  const node = {
    id: config.id,
    replica: replicaOf(config.id, config.epoch),
    incarnation: inc,
    limits: limits(config.limits),
    mem: parts.membership,
    ms: parts.membership.init(config.id, config.membershipConfig),
    bcast: parts.plumtree,
    pt: parts.plumtree ? parts.plumtree.init(config.id, config.plumtree) : null,
    store: store,
    sync: parts.sync,
    flow: parts.dataflow,
    df: parts.dataflow ? parts.dataflow.init(config.dataflow) : null,
    hear: interest.init(config.interest, config.maxInterestPeers, store.maxVars),
    ptDeltas: ptDeltas !== false,
    nbrs: [],
    metrics: {},
    auth: config.auth && parts.auth ? parts.auth.init(config.auth) : null,
    sealer: parts.auth || null,
    causal: parts.causal && config.causal !== false ? parts.causal : null,
    cd: parts.causal && config.causal !== false ? parts.causal.init(config.causal || undefined) : null,
  } as unknown as PollenNode;
  node.cm = new StepCtx(node, fork(r, 1), false);
  // Plumtree's Ctx only with Plumtree (its generator is drawn all the same, so the others' sequences are the
  // same with or without it); without it cp is cm, where neighbour events go.
  const rp = fork(r, 2);
  node.cp = parts.plumtree ? new StepCtx(node, rp, true) : node.cm;
  node.ca = new StepCtx(node, fork(r, 3), false);
  node.ae = parts.sync.init(node, config);
  if (config.restore === undefined) return node;
  // A snapshot(node) taken before a crash; DecodeError when it is not one.
  const b = arr(config.restore, 'snapshot', 2);
  if (b[0] !== SNAPSHOT_VERSION) throw new DecodeError('version', 'snapshot version ' + String(b[0]) + ' is not ' + SNAPSHOT_VERSION);
  const vars = arr(b[1], 'snapshot variables');
  for (let i = 0; i < vars.length; i++) {
    const e = arr(vars[i], 'snapshot variable', 3);
    const v = declare(node.store, str(e[0], 'variable id'), str(e[1], 'spec'));
    interest.add(node.hear, node.ca, node.nbrs, v.id);
    absorb(node.store, v.id, v.type.decode(e[2]));
  }
  return node;
}

/** Feed one input; returns what the driver must do, in order. */
export function step(node: PollenNode, input: Input, now: number): Output[] {
  const out: Output[] = [];
  // The node's three Ctx point at this step's output, time and sender; a step run from inside another (an event
  // handler calling back) must leave the outer one's Ctx as it was.
  const cs = [node.cm, node.cp, node.ca];
  const was = [node.cm.out, node.cm.now, node.cm.from];
  for (let i = 0; i < 3; i++) {
    cs[i].out = out;
    cs[i].now = now;
    cs[i].from = input.kind === 'frame' ? input.from : '';
  }
  try {
    if (input.kind === 'frame') onFrame(node, input.from, input.bytes);
    else if (input.kind === 'timer') {
      const id = input.id;
      if (!node.sync.onTimer(node, id) && !node.mem.onTimer(node.ms, node.cm, id) && !(node.bcast !== null && node.bcast.onTimer(node.pt, node.cp, id)) &&
        !(node.causal !== null && node.causal.onTimer(node, id))) {
        node.cm.count('timers.unknown', 1);
      }
    } else if (input.kind === 'link') node.mem.onLink(node.ms, node.cm, input.peer, input.up);
    else if (input.kind === 'command') runCommand(node, input.command);
    if (node.causal !== null) node.causal.afterStep(node);
    if (node.flow) node.flow.afterStep(node);
    syncNeighbors(node);
    node.sync.arm(node);
  } finally {
    for (let i = 0; i < 3; i++) {
      cs[i].out = was[0] as Output[];
      cs[i].now = was[1] as number;
      cs[i].from = was[2] as string;
    }
  }
  return out;
}

/** A frame from a peer: its tag checked before anything of the body is decoded, then decoded with limits, its
 *  envelope checked, and its body handed to the layer of its type. Anything wrong is dropped with a reason. */
function onFrame(node: PollenNode, from: PeerId, bytes: Uint8Array): void {
  const cm = node.cm;
  cm.count('frames.in', 1);
  cm.count('bytes.in', bytes.length);
  let why = '';
  try {
    const opened = node.sealer !== null ? node.sealer.open(node.auth, node.id, from, bytes) : bytes;
    const item = typeof opened === 'string' ? null : decode(opened, node.limits);
    const type = Array.isArray(item) ? item[1] : -1;
    const inc = Array.isArray(item) ? item[3] : -1;
    if (typeof opened === 'string') why = opened;
    else if (!Array.isArray(item) || item.length !== 5) why = 'envelope';
    else if (item[0] !== VERSION) why = 'version';
    else if (typeof type !== 'number' || Math.floor(type) !== type) why = 'type';
    else if (item[2] !== from) why = 'sender';
    else if (typeof inc !== 'number' || inc < 0 || Math.floor(inc) !== inc) why = 'envelope';
    else {
      // Liveness from any traffic: a valid frame of any layer shows its sender alive (Membership.heard, if any).
      if (node.mem.heard !== undefined) node.mem.heard(node.ms, cm, from, inc);
      // Membership 1-19 and overlay health 40-49, Plumtree 20-29, anti-entropy 30-39 (INTEREST among them).
      if ((type >= 1 && type <= 19) || (type >= 40 && type <= 49)) {
        if (!node.mem.onMessage(node.ms, cm, from, inc, type, item[4])) why = 'type';
      } else if (type >= 20 && type <= 29) {
        if (node.bcast === null || !node.bcast.onMessage(node.pt, node.cp, from, type, item[4])) why = 'type';
        else if ((type === GOSSIP || type === IHAVE) && node.sync.carried) node.sync.carried(node, from, type, item[4], false);
      } else if (type === INTEREST) {
        if (interest.onMessage(node.hear, node.ca, from, item[4])) node.sync.peer(node, from, 2);
      } else if (!(type >= 30 && type <= 39 && node.sync.onMessage(node, from, inc, type, item[4]))) why = 'type';
    }
  } catch (e) {
    why = e instanceof DecodeError ? e.reason : 'internal';
  }
  if (why === '') return;
  cm.count('dropped', 1);
  cm.count('dropped.' + why, 1);
  cm.out.push({ kind: 'event', event: { type: 'dropped', from: from, reason: why } });
}

/** Run an application command (also the commands a dataflow read callback returns). */
export function runCommand(node: PollenNode, c: Command): void {
  if (c.op === 'join') node.mem.join(node.ms, node.cm, c.contacts);
  else if (c.op === 'leave') node.mem.leave(node.ms, node.cm);
  else if (c.op === 'suspect') node.mem.suspect(node.ms, node.cm, c.peer);
  else if (c.op === 'declare') {
    declare(node.store, c.id, c.type);
    // Declaring is caring: a node with an interest set now hears this variable too, and says so.
    interest.add(node.hear, node.ca, node.nbrs, c.id);
  } else if (c.op === 'update') {
    if (node.flow) node.flow.guard(node, c.id);
    const pre = node.causal !== null ? node.causal.before(node, c.id) : -1;
    const delta = update(node.store, c.id, c.mutator, node.replica, c.args);
    if (delta === null) return;
    share(node, c.id, delta, pre);
    node.ca.emit({ type: 'changed', id: c.id });
  } else if (c.op === 'broadcast') {
    if (node.bcast === null) throw new StoreError('part', 'broadcast: composed without Plumtree');
    node.bcast.broadcast(node.pt, node.cp, [0, c.payload]);
  } else if (node.flow === null || !node.flow.command(node, c)) {
    throw new StoreError('part', c.op + ': composed without dataflow');
  }
}

/** Replicate a new part of a variable as a local update does: anti-entropy buffer and Plumtree broadcast.
 *  `pre`: for a local update with causal delivery, this replica's progress before it (CausalPart.before); the
 *  payload then carries the delta's deps as a fifth item (PROTOCOL.md). */
export function share(node: PollenNode, id: string, fresh: unknown, pre?: number): void {
  const v = get(node.store, id);
  if (!v) return;
  node.sync.record(node, id, fresh, node.id);
  if (!node.ptDeltas || node.bcast === null) return;
  const deps = node.causal !== null && pre !== undefined && pre >= 0 ? node.causal.stamp(node, id, pre) : null;
  const payload: Item[] = [1, id, v.spec, v.type.encode(fresh)];
  if (deps !== null) payload.push(deps);
  node.bcast.broadcast(node.pt, node.cp, payload);
}

/** Compare the manager's neighbours with the last step's and tell the layers above about each change. */
function syncNeighbors(node: PollenNode): void {
  const now = node.mem.neighbors(node.ms);
  const before = node.nbrs;
  const cp = node.cp;
  let i = 0;
  let j = 0;
  while (i < before.length || j < now.length) {
    if (j >= now.length || (i < before.length && before[i] < now[j])) {
      if (node.bcast !== null) node.bcast.neighborDown(node.pt, cp, before[i]);
      node.sync.peer(node, before[i], 0);
      interest.neighbor(node.hear, node.ca, before[i], false);
      cp.out.push({ kind: 'event', event: { type: 'neighbor', peer: before[i], up: false } });
      i++;
    } else if (i >= before.length || now[j] < before[i]) {
      if (node.bcast !== null) node.bcast.neighborUp(node.pt, cp, now[j]);
      node.sync.peer(node, now[j], 1);
      interest.neighbor(node.hear, node.ca, now[j], true);
      cp.out.push({ kind: 'event', event: { type: 'neighbor', peer: now[j], up: true } });
      j++;
    } else {
      i++;
      j++;
    }
  }
  node.nbrs = now;
}

/** The value of a variable (the type's query), or undefined when it is not declared here. Typed `any`: the
 *  variable's type is chosen at run time (its spec), so no static type describes it. */
export function read(node: PollenNode, id: string): any {
  const v = get(node.store, id);
  return v ? v.type.value(v.state) : undefined;
}

/** The lattice state of a variable, or undefined (typed `any` as read is). */
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
  const names = sortedKeys(node.store.vars);
  const vars: Item[] = [];
  for (let i = 0; i < names.length; i++) {
    const v = node.store.vars[names[i]];
    vars.push([v.id, v.spec, v.type.encode(v.state)]);
  }
  return [SNAPSHOT_VERSION, vars];
}
