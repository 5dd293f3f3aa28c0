/**
 * The contract every peer adapter keeps for `npm run bench:peers`, and the workloads written once against it, so
 * Yjs, Automerge, Loro and Pollen run exactly the same operations in the same order. An adapter only translates
 * each step into its library's own recommended calls; what to do, with which ids and values, is decided here.
 *
 *   const p = yjs(1);
 *   const run = mapWorkload(p, 1540);        // 1,540 writers, one message each, as their library emitted it
 *   p.mapValue(run.merge(run.prepare()));    // { v: 1539 }: a fresh replica merged all 1,540
 *
 * Ids: writer i gets the i-th id of each library in the same order (Yjs clientID i+1, an Automerge actor of two
 * bytes, Loro peer i+1, a fixed-width base-36 Pollen replica id), so every library's tie-break between the
 * concurrent writes of the map workload picks the same writer, and the final values can be compared.
 */

/** One library behind the workloads. D is its replica (a document, or a mutable holder of an immutable one). */
export interface Peer<D> {
  /** Row label, e.g. "yjs (v1)". */
  readonly name: string;
  /** The npm package whose version BENCHMARKS.md records. */
  readonly pkg: string;
  /** What the adapter uses, in a sentence for BENCHMARKS.md. */
  readonly api: { map: string; counter: string; set: string; codec: string };

  /** A fresh replica with the i-th id, for one workload (Pollen declares the CRDT type there; the others keep
   *  each workload in a root container of its own name). */
  replica(i: number, kind: Kind): D;
  /** Messages every replica must hold before the counter workload (Automerge's counter object); [] if none. */
  counterGenesis(): Uint8Array[];
  /** Apply messages (updates, or sync payloads) in one batch, the library's way. */
  apply(d: D, messages: Uint8Array[]): void;
  /** Persist the whole replica: the "final document" bytes. */
  save(d: D): Uint8Array;
  /** A replica with the i-th id from save()'s bytes. */
  load(bytes: Uint8Array, i: number, kind: Kind): D;
  /** What a replica sends a peer that has nothing from it yet (set workload sync). */
  syncPayload(d: D): Uint8Array;
  /** Merge other replicas' sync payloads, the library's way. */
  syncApply(d: D, payloads: Uint8Array[]): void;

  /** map[key] = value as one local transaction; returns the update message it produced. */
  mapSet(d: D, key: string, value: number): Uint8Array;
  mapValue(d: D): { [key: string]: number };
  /** counter += 1 as one local transaction; returns the update message. */
  counterInc(d: D): Uint8Array;
  counterValue(d: D): number;
  /** Set operations are local transactions whose messages go out later, in one sync payload. */
  setAdd(d: D, key: string): void;
  setRemove(d: D, key: string): void;
  /** The set's elements, sorted. */
  setValue(d: D): string[];
}

export type AnyPeer = Peer<any>;

export type Kind = 'map' | 'counter' | 'set';

/** Sizes of the workloads: the issue's, or tiny ones for the test. */
export interface Sizes {
  /** Map writers (crdt-benchmarks B3.1: 20 * floor(sqrt(6000)) = 1540). */
  mapWriters: number;
  /** Counter replicas and increments each. */
  counterReplicas: number;
  counterIncs: number;
  /** Set churn: replicas, distinct elements, random toggles. */
  setReplicas: number;
  setElements: number;
  setOps: number;
}

export const FULL: Sizes = { mapWriters: 1540, counterReplicas: 1540, counterIncs: 10, setReplicas: 3, setElements: 1000, setOps: 10000 };

/** The map key every writer sets, as in crdt-benchmarks B3.1 ("clients concurrently set number in Map"). */
export const MAP_KEY = 'v';

/** Pollen's replica id for writer i: fixed-width base-36, so string order is numeric order like the peers' ids. */
export function pollenId(i: number): string {
  const s = i.toString(36);
  return s.length >= 3 ? s : '000'.slice(s.length) + s;
}

/** Automerge's actor id for writer i: two bytes as hex (the smallest ids that keep order for 1,540 writers). */
export function actorId(i: number): string {
  const s = (i + 1).toString(16);
  return '0000'.slice(s.length) + s;
}

/** Writer i's own numeric id for Yjs (clientID) and Loro (peer id): i + 1, since 0 is not a useful client id. */
export function numericId(i: number): number {
  return i + 1;
}

/** A run whose merge can be repeated: the messages, and a step that builds a fresh receiver and applies them. */
export interface Run<D> {
  /** Every message the writers emitted (for the set workload: the sync payloads). */
  updates: Uint8Array[];
  /** Untimed: a fresh receiving replica, ready to merge. */
  prepare(): D[];
  /** Timed: merge the messages into the prepared replicas; returns the replica whose state is "final". */
  merge(ds: D[]): D;
}

/** crdt-benchmarks B3.1: n writers each set MAP_KEY to their index on a fresh replica; a new replica merges all. */
export function mapWorkload<D>(p: Peer<D>, n: number): Run<D> {
  const updates: Uint8Array[] = [];
  for (let i = 0; i < n; i++) updates.push(p.mapSet(p.replica(i, 'map'), MAP_KEY, i));
  return {
    updates,
    prepare: () => [p.replica(n, 'map')],
    merge: (ds) => {
      p.apply(ds[0], updates);
      return ds[0];
    },
  };
}

/** n replicas each count `incs` times, one message per increment; a new replica merges all of them. */
export function counterWorkload<D>(p: Peer<D>, n: number, incs: number): Run<D> {
  const genesis = p.counterGenesis();
  const updates: Uint8Array[] = genesis.slice();
  for (let i = 0; i < n; i++) {
    const d = p.replica(i, 'counter');
    if (genesis.length > 0) p.apply(d, genesis);
    for (let k = 0; k < incs; k++) updates.push(p.counterInc(d));
  }
  return {
    updates,
    prepare: () => [p.replica(n, 'counter')],
    merge: (ds) => {
      p.apply(ds[0], updates);
      return ds[0];
    },
  };
}

/** One set operation of the churn script. */
export interface SetOp {
  replica: number;
  key: string;
  add: boolean;
}

/** Mulberry32: a small seeded generator, so the churn script is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The churn script: `ops` random toggles (a random replica adds a random element it does not hold, or removes
 * one it holds), then settle toggles so that, per element, every replica that touched it agrees with the
 * majority of them. The libraries settle a concurrent add and remove differently (add wins in Pollen's OR-Set
 * and Automerge; the write with the higher id or Lamport stamp wins in Yjs and Loro); agreeing replicas make
 * the merged set the same in all four, so bytes are compared for the same final value.
 */
export function churnScript(s: Sizes, seed: number): { ops: SetOp[]; random: number; settle: number } {
  const next = rng(seed);
  const held: boolean[][] = [];
  const touched: boolean[][] = [];
  for (let r = 0; r < s.setReplicas; r++) {
    held.push(new Array(s.setElements).fill(false));
    touched.push(new Array(s.setElements).fill(false));
  }
  const ops: SetOp[] = [];
  for (let n = 0; n < s.setOps; n++) {
    const r = Math.floor(next() * s.setReplicas);
    const e = Math.floor(next() * s.setElements);
    ops.push({ replica: r, key: String(e), add: !held[r][e] });
    held[r][e] = !held[r][e];
    touched[r][e] = true;
  }
  for (let e = 0; e < s.setElements; e++) {
    let yes = 0;
    let all = 0;
    for (let r = 0; r < s.setReplicas; r++) {
      if (!touched[r][e]) continue;
      all++;
      if (held[r][e]) yes++;
    }
    const want = yes * 2 > all || (yes * 2 === all && e % 2 === 0);
    for (let r = 0; r < s.setReplicas; r++) {
      if (touched[r][e] && held[r][e] !== want) {
        ops.push({ replica: r, key: String(e), add: want });
        held[r][e] = want;
      }
    }
  }
  return { ops, random: s.setOps, settle: ops.length - s.setOps };
}

/** The churn script's final set: the elements the settled replicas hold, sorted as strings. */
export function churnExpected(ops: SetOp[]): string[] {
  const held: { [k: string]: boolean } = {};
  for (const op of ops) held[op.replica + '/' + op.key] = op.add;
  const out: { [k: string]: true } = {};
  for (const k of Object.keys(held)) if (held[k]) out[k.slice(k.indexOf('/') + 1)] = true;
  return Object.keys(out).sort();
}

/**
 * Set churn: the replicas run the script with no sync between them, then each sends one sync payload to the
 * others and merges theirs (a full exchange: every replica ends with the same state).
 */
export function setWorkload<D>(p: Peer<D>, s: Sizes, ops: SetOp[]): Run<D> {
  const ds: D[] = [];
  for (let r = 0; r < s.setReplicas; r++) ds.push(p.replica(r, 'set'));
  for (const op of ops) {
    if (op.add) p.setAdd(ds[op.replica], op.key);
    else p.setRemove(ds[op.replica], op.key);
  }
  const payloads = ds.map((d) => p.syncPayload(d));
  return {
    updates: payloads,
    // Each replica as it was before the sync, rebuilt from its own payload.
    prepare: () =>
      payloads.map((b, r) => {
        const d = p.replica(r, 'set');
        p.syncApply(d, [b]);
        return d;
      }),
    merge: (rs) => {
      for (let r = 0; r < rs.length; r++) p.syncApply(rs[r], payloads.filter((_, j) => j !== r));
      return rs[0];
    },
  };
}
