/**
 * The fuzz targets that run in one process, synchronously: both codecs, every type's decode → join → joinInto →
 * decompose → RR, the link framings (COBS, the serial framer, BLE reassembly, TCP's length prefix), and the node's
 * step fed frames from a peer. Each checks what must hold of an accepted input, beyond "no crash":
 * - codecs: an accepted frame re-encodes to the same bytes, and the two codecs agree on every input;
 * - types: the state re-encodes canonically, joinInto equals join, the parts join back to the state, and RR in
 *   the store leaves the state at the join;
 * - framings: what one side encodes the other decodes unchanged;
 * - node: a step never throws and never drops a frame for an internal reason.
 */
import * as cbor from '../../crdt/codec/cbor.ts';
import * as cborx from '../../crdt/codec/cborx.ts';
import { typeOf, ALL } from '../../crdt/all.ts';
import type { Crdt, Item } from '../../crdt/types.ts';
import { below, rng } from '../../runtime/rng.ts';
import { createNode, step, type PollenNode, type Output } from '../../runtime/index.ts';
import { applyRemote, createStore, declare, get } from '../../runtime/store.ts';
import * as cobs from '../../transports/cobs.ts';
import { Deframer, encodeFrame } from '../../transports/serialframe.ts';
import { Fragmenter, Reassembler } from '../../transports/blefrag.ts';
import { LengthPrefixDecoder } from '../../transports/tcp.ts';
import { Finding, type Target } from './engine.ts';
import { TYPE_CASES, type TypeCase } from './types.ts';
import { encodedStates, hostileFrame, type HostileSource } from './hostile.ts';

const FRAME = 65536;

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function bytesOf(t: Crdt<any, any>, s: any): Uint8Array {
  return cbor.encode(t.encode(s), { maxFrame: Infinity, maxItems: Infinity, maxCount: Infinity });
}

/** Random reachable states of a type: three replicas, random ops, random merges; every state and delta met. */
export function statesOf(c: TypeCase, seed: number, histories: number, steps: number): any[] {
  const t = typeOf(c.spec);
  const r = rng(seed);
  const out: any[] = [];
  for (let h = 0; h < histories; h++) {
    const st = [t.bottom(), t.bottom(), t.bottom()];
    for (let i = 0; i < steps; i++) {
      const at = below(r, 3);
      if (below(r, 5) === 0) {
        st[at] = t.join(st[at], st[below(r, 3)]);
        continue;
      }
      const op = c.op(r);
      let d;
      try {
        d = t.mutators[op[0]](st[at], 'r' + at, op[1] as any[]);
      } catch (e) {
        continue; // a refused op (MutatorError) is part of the type's contract
      }
      out.push(d);
      st[at] = t.join(st[at], d);
    }
    for (const s of st) out.push(s);
  }
  return out;
}

// ---- codecs ----

export function codecTarget(which: 'cbor' | 'cborx'): Target {
  const mine = which === 'cbor' ? cbor : cborx;
  const other = which === 'cbor' ? cborx : cbor;
  return {
    name: 'codec:' + which,
    max: FRAME,
    seeds: () => {
      const out: Uint8Array[] = [];
      for (const c of TYPE_CASES) for (const s of statesOf(c, 7, 3, 20)) out.push(bytesOf(typeOf(c.spec), s));
      return out;
    },
    run: (b) => {
      let item: Item;
      try {
        item = mine.decode(b);
      } catch (e) {
        // The other codec must refuse it too.
        let took = false;
        try {
          other.decode(b);
          took = true;
        } catch (e2) { /* both refuse: fine */ }
        if (took) throw new Finding(which + ' refuses what the other codec accepts: ' + String((e as Error).message));
        throw e;
      }
      const again = mine.encode(item, { maxFrame: Infinity, maxItems: Infinity, maxCount: Infinity });
      if (!same(again, b)) throw new Finding(which + ': an accepted frame re-encodes to other bytes');
      const theirs = other.decode(b); // throws (a finding: not a typed refusal of ours) if it disagrees
      const back = other.encode(theirs, { maxFrame: Infinity, maxItems: Infinity, maxCount: Infinity });
      if (!same(back, b)) throw new Finding('the two codecs decode a frame to different items');
      return 'ok';
    },
  };
}

// ---- types ----

export function typeTarget(c: TypeCase): Target {
  const t = typeOf(c.spec);
  const bases = statesOf(c, 11, 4, 40);
  // What run computed, for verify.
  let b: Uint8Array = new Uint8Array(0);
  let s: any = null;
  let base: any = null;
  let k: any = null;
  let parts: any[] = [];
  let fresh: any = null;
  let stored: any = null;
  return {
    name: 'type:' + c.spec,
    max: FRAME,
    seeds: () => statesOf(c, 5, 8, 30).map((x) => bytesOf(t, x)),
    // Timed: what a node does with a delta of this type (decode, join in place, decompose, RR in the store).
    run: (input, r) => {
      b = input;
      s = t.decode(cbor.decode(b));
      base = bases[below(r, bases.length)];
      k = t.joinInto(t.copy(base), s);
      parts = t.decompose(s);
      const store = createStore(2, ALL);
      declare(store, 'v', c.spec).state = t.copy(base);
      fresh = applyRemote(store, 'v', s);
      stored = get(store, 'v')!.state;
      return 'ok';
    },
    // Not timed: the laws, each a further pass or two over the state.
    verify: () => {
      if (!same(bytesOf(t, s), b)) throw new Finding(c.spec + ': an accepted state re-encodes to other bytes');
      const j = t.join(base, s);
      const jb = bytesOf(t, j);
      if (!same(jb, bytesOf(t, k))) throw new Finding(c.spec + ': joinInto differs from join');
      if (!same(bytesOf(t, t.join(s, base)), jb)) throw new Finding(c.spec + ': join is not commutative');
      if (!t.leq(s, j) || !t.leq(base, j)) throw new Finding(c.spec + ': a state is not below its join');
      if (!same(bytesOf(t, s), b)) throw new Finding(c.spec + ': join or joinInto changed its delta');
      let acc = t.bottom();
      for (let i = 0; i < parts.length; i++) acc = t.joinInto(acc, parts[i]);
      if (!same(bytesOf(t, acc), b)) throw new Finding(c.spec + ': the parts of decompose do not join back to the state');
      if (!same(bytesOf(t, stored), jb)) throw new Finding(c.spec + ': the store (RR) did not reach the join');
      if (fresh !== null && !t.leq(fresh, s)) throw new Finding(c.spec + ': RR forwards more than it received');
    },
  };
}

// ---- framings ----

export const cobsTarget: Target = {
  name: 'frame:cobs',
  max: FRAME,
  seeds: () => [cobs.encode(new Uint8Array([1, 0, 2, 0, 0, 3])), cobs.encode(new Uint8Array(300).fill(7))],
  run: (b) => {
    const raw = cobs.encode(b);
    if (!same(cobs.decode(raw), b)) throw new Finding('cobs: decode(encode(x)) is not x');
    cobs.decode(b);
    return 'ok';
  },
};

export const serialTarget: Target = {
  name: 'frame:serial',
  max: FRAME,
  seeds: () => [encodeFrame(new Uint8Array([0x85, 1, 2, 3, 4, 5])), encodeFrame(new Uint8Array(500).fill(0))],
  run: (b, r) => {
    const got: Uint8Array[] = [];
    const d = new Deframer({ maxFrame: 4096 }, { frame: (p) => got.push(p) });
    // Hostile bytes in random chunks, then a good frame: it must come through whole.
    let i = 0;
    while (i < b.length) {
      const n = 1 + below(r, 512);
      d.push(b.subarray(i, i + n));
      i += n;
    }
    const good = new Uint8Array([9, 8, 7, 0, 6]);
    d.push(encodeFrame(good));
    if (got.length === 0 || !same(got[got.length - 1], good)) throw new Finding('serial: a good frame after noise was lost');
    return got.length > 1 ? 'ok' : 'no-frame';
  },
};

export const bleTarget: Target = {
  name: 'frame:ble',
  max: 8192,
  seeds: () => {
    const out: Uint8Array[] = [];
    const f = new Fragmenter();
    const parts = f.fragment(new Uint8Array(100).fill(3), 20);
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    n = 0;
    for (const p of parts) {
      all.set(p, n);
      n += p.length;
    }
    out.push(all);
    return out;
  },
  run: (b, r) => {
    const got: Uint8Array[] = [];
    const re = new Reassembler({ maxFrame: 4096, maxFragment: 244 }, { frame: (p) => got.push(p) });
    let i = 0;
    while (i < b.length) {
      const n = 1 + below(r, 260);
      re.push(b.subarray(i, i + n));
      i += n;
    }
    const good = new Uint8Array(77).fill(5);
    for (const p of new Fragmenter().fragment(good, 20)) re.push(p);
    if (got.length === 0 || !same(got[got.length - 1], good)) throw new Finding('ble: a good frame after noise was lost');
    return 'ok';
  },
};

export const lengthPrefixTarget: Target = {
  name: 'frame:tcp-length',
  max: FRAME,
  seeds: () => [new Uint8Array([0, 0, 0, 3, 1, 2, 3])],
  run: (b, r) => {
    const d = new LengthPrefixDecoder(4096);
    let i = 0;
    let err: string | undefined;
    while (i < b.length && err === undefined) {
      const n = 1 + below(r, 300);
      err = d.push(Buffer.from(b.subarray(i, i + n)), () => undefined);
      i += n;
    }
    return err === undefined ? 'ok' : 'length';
  },
};

// ---- the node ----

const NODE_TYPES = TYPE_CASES.filter((c) => c.spec.indexOf('pair(gcounter') !== 0);

/** Ids of the declared variables, one per type. */
function varId(i: number): string {
  return 'v' + i;
}

/**
 * A small cluster run to quiescence with updates on every type: its frames are the node target's seeds (every
 * message type the runtime sends: membership, Plumtree, anti-entropy deltas, digests and states).
 */
export function clusterFrames(seed: number): Uint8Array[] {
  const ids = ['a', 'b', 'c'];
  const nodes: { [id: string]: PollenNode } = {};
  const frames: Uint8Array[] = [];
  const timers: { id: string; node: string; at: number }[] = [];
  const queue: { to: string; from: string; bytes: Uint8Array }[] = [];
  let now = 0;
  const r = rng(seed);
  const handle = (from: string, outs: Output[]) => {
    for (const o of outs) {
      if (o.kind === 'send') {
        frames.push(o.bytes);
        if (nodes[o.to]) queue.push({ to: o.to, from: from, bytes: o.bytes });
      } else if (o.kind === 'timer') {
        for (let i = timers.length - 1; i >= 0; i--) if (timers[i].node === from && timers[i].id === o.id) timers.splice(i, 1);
        timers.push({ id: o.id, node: from, at: o.at });
      } else if (o.kind === 'cancel') {
        for (let i = timers.length - 1; i >= 0; i--) if (timers[i].node === from && timers[i].id === o.id) timers.splice(i, 1);
      }
    }
  };
  for (let i = 0; i < ids.length; i++) {
    nodes[ids[i]] = createNode({ id: ids[i], seed: seed + i, membership: i === 0 ? 'full' : 'full' });
  }
  for (const id of ids) {
    for (let v = 0; v < NODE_TYPES.length; v++) handle(id, step(nodes[id], { kind: 'command', command: { op: 'declare', id: varId(v), type: NODE_TYPES[v].spec } }, now));
    if (id !== 'a') handle(id, step(nodes[id], { kind: 'command', command: { op: 'join', contacts: ['a'] } }, now));
  }
  for (let round = 0; round < 60; round++) {
    now += 100;
    if (round < 40) {
      const id = ids[below(r, 3)];
      const v = below(r, NODE_TYPES.length);
      const op = NODE_TYPES[v].op(r);
      try {
        handle(id, step(nodes[id], { kind: 'command', command: { op: 'update', id: varId(v), mutator: op[0], args: op[1] } }, now));
      } catch (e) { /* refused op */ }
    }
    while (queue.length > 0) {
      const m = queue.shift()!;
      handle(m.to, step(nodes[m.to], { kind: 'frame', from: m.from, bytes: m.bytes }, now));
    }
    for (let i = timers.length - 1; i >= 0; i--) {
      if (timers[i].at <= now) {
        const t = timers.splice(i, 1)[0];
        handle(t.node, step(nodes[t.node], { kind: 'timer', id: t.id }, now));
      }
    }
  }
  return frames;
}

/**
 * The node's step with hostile frames "from" a neighbour and from strangers. The victim is a fresh node every
 * `resetEvery` inputs (its store and views then start over); timers it asks for are fired as time passes.
 */
export function nodeTarget(seed: number): Target & { victim(): PollenNode } {
  let node: PollenNode;
  let now = 0;
  let timers: { [id: string]: number } = {};
  let seeds: Uint8Array[] | undefined;
  let hostile: HostileSource | undefined;
  const fresh = () => {
    node = createNode({ id: 'b', seed: seed, membership: 'full' });
    timers = {};
    now = 0;
    for (let v = 0; v < NODE_TYPES.length; v++) step(node, { kind: 'command', command: { op: 'declare', id: varId(v), type: NODE_TYPES[v].spec } }, now);
    note(step(node, { kind: 'command', command: { op: 'join', contacts: ['a'] } }, now));
  };
  const note = (outs: Output[]) => {
    for (const o of outs) {
      if (o.kind === 'timer') timers[o.id] = o.at;
      else if (o.kind === 'cancel') delete timers[o.id];
      else if (o.kind === 'event' && o.event.type === 'dropped' && o.event.reason === 'internal') {
        throw new Finding('node: a frame was dropped for an internal reason (an untyped exception inside step)');
      }
    }
  };
  fresh();
  return {
    name: 'node:step',
    max: FRAME,
    /** The node being fed (for tests that look at its metrics). */
    victim: () => node,
    resetEvery: 2000,
    reset: fresh,
    seeds: () => {
      if (!seeds) seeds = clusterFrames(seed);
      return seeds;
    },
    // One input in three is a semantically hostile frame (huge claimed counters, forged incarnations, strangers'
    // variables): see hostile.ts. run() reads its sender from the envelope, as for the mutated frames.
    generate: (r) => {
      if (!hostile) {
        const vars = NODE_TYPES.map((c, i) => ({ id: varId(i), c: c }));
        hostile = { self: 'b', neighbour: 'a', vars: vars, states: encodedStates(NODE_TYPES, (c) => statesOf(c, 13, 2, 20)) };
      }
      return hostileFrame(r, hostile).bytes;
    },
    generateOdds: 3,
    run: (b, r) => {
      now += 1 + below(r, 50);
      // Mostly from the peer the envelope names (so the frame reaches the layers past the sender check), else
      // from a stranger.
      let from = 'x' + below(r, 1000);
      if (below(r, 8) !== 0) {
        try {
          const env = cbor.decode(b);
          if (Array.isArray(env) && typeof env[2] === 'string' && env[2] !== 'b' && env[2].length > 0) from = env[2];
        } catch (e) { /* not even CBOR: a stranger's noise */ }
      }
      const outs = step(node, { kind: 'frame', from: from, bytes: b }, now);
      let dropped = '';
      for (const o of outs) if (o.kind === 'event' && o.event.type === 'dropped') dropped = o.event.reason;
      note(outs);
      // Time passes: fire what is due, so the node's periodic work (anti-entropy, keepalives) runs on what it took.
      const due = Object.keys(timers).filter((id) => timers[id] <= now);
      for (const id of due) {
        delete timers[id];
        note(step(node, { kind: 'timer', id: id }, now));
      }
      return dropped === '' ? 'ok' : 'dropped:' + dropped;
    },
  };
}

/** Every synchronous target, by name. */
export function allTargets(seed: number): Target[] {
  const out: Target[] = [codecTarget('cbor'), codecTarget('cborx')];
  for (const c of TYPE_CASES) out.push(typeTarget(c));
  out.push(cobsTarget, serialTarget, bleTarget, lengthPrefixTarget, nodeTarget(seed));
  return out;
}
