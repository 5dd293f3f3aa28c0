/**
 * A round-based model of the three ways to synchronise a state-based CRDT over a fixed topology, to compare the
 * bytes they need to converge (Enes, Almeida, Baquero, Leitão, "Efficient synchronization of state-based CRDTs",
 * ICDE 2019, §V): the same crdt/ lattices and codec as the runtime, a lossless synchronous network, and each
 * algorithm reduced to what it sends.
 *
 *   const r = syncModel({ adj: tree(15), spec: 'gset', updates: 5, algo: 'delta-bp-rr' });
 *   r.bytes / opBound({ adj: tree(15), spec: 'gset', updates: 5 }); // ≈ 1 on a tree
 *
 * Every round each node first makes one update (for `updates` rounds), then sends to each neighbour:
 * - 'state': its whole state (classic state-based anti-entropy);
 * - 'delta': the join of its delta buffer since that neighbour's last ack (Almeida et al. 2018, Algorithm 2),
 *   where a received delta that inflates the state enters the buffer whole;
 * - 'delta-bp': the same, leaving out buffer entries that came from that neighbour (avoid back-propagation);
 * - 'delta-rr': received deltas enter the buffer reduced to their new part (remove redundant state);
 * - 'delta-bp-rr': both, as runtime/antientropy.ts does.
 * Acks arrive with the message (the network is lossless and synchronous), so a buffer entry goes to each
 * neighbour once. Bytes are the encoded deltas or states (deterministic CBOR), without envelopes or acks.
 * The op-based bound: every update's own delta reaches each other node exactly once.
 */
import { encode } from '../../crdt/codec/cbor.ts';
import { typeOf } from '../../crdt/all.ts';
import type { Crdt } from '../../crdt/types.ts';
export { tree, mesh } from './topology.ts';

export type SyncAlgo = 'state' | 'delta' | 'delta-bp' | 'delta-rr' | 'delta-bp-rr';

export interface SyncSetup {
  /** Neighbours of each node (symmetric). */
  adj: number[][];
  /** 'gset' (each update adds a new element) or 'gcounter' (each update increments by 1). */
  spec: 'gset' | 'gcounter';
  /** Rounds in which every node makes one update. */
  updates: number;
}

export interface SyncResult {
  bytes: number;
  messages: number;
  /** Rounds until every node holds the same state. */
  rounds: number;
}

function mutate(t: Crdt<any, any>, spec: string, state: any, node: number, round: number): any {
  return spec === 'gset' ? t.mutators.add(state, 'r' + node, ['e' + node + '.' + round]) : t.mutators.inc(state, 'r' + node, [1]);
}

function size(t: Crdt<any, any>, x: any): number {
  return encode(t.encode(x)).length;
}

/** Bytes of the op-based lower bound: each update's delta sent once to each of the n − 1 other nodes. */
export function opBound(s: SyncSetup): number {
  const t = typeOf(s.spec);
  const n = s.adj.length;
  const states = Array.from({ length: n }, () => t.bottom());
  let bytes = 0;
  for (let r = 0; r < s.updates; r++) {
    for (let i = 0; i < n; i++) {
      const d = mutate(t, s.spec, states[i], i, r);
      states[i] = t.join(states[i], d);
      bytes += size(t, d) * (n - 1);
    }
  }
  return bytes;
}

interface Entry {
  delta: any;
  origin: number;
}

export function syncModel(s: SyncSetup & { algo: SyncAlgo; maxRounds?: number }): SyncResult {
  const t = typeOf(s.spec);
  const n = s.adj.length;
  const bp = s.algo === 'delta-bp' || s.algo === 'delta-bp-rr';
  const rr = s.algo === 'delta-rr' || s.algo === 'delta-bp-rr';
  const states = Array.from({ length: n }, () => t.bottom());
  const bufs: Entry[][] = Array.from({ length: n }, () => []);
  /** acked[i][k]: how much of i's buffer its k-th neighbour has had. */
  const acked = s.adj.map((a) => a.map(() => 0));
  let bytes = 0;
  let messages = 0;
  const same = () => {
    const k = encode(t.encode(states[0]));
    return states.every((x) => Buffer.compare(encode(t.encode(x)), k) === 0);
  };
  const max = s.maxRounds ?? 1000;
  for (let r = 0; r < max; r++) {
    if (r >= s.updates && same()) return { bytes, messages, rounds: r };
    if (r < s.updates) {
      for (let i = 0; i < n; i++) {
        const d = mutate(t, s.spec, states[i], i, r);
        states[i] = t.join(states[i], d);
        bufs[i].push({ delta: d, origin: i });
      }
    }
    // Everyone sends from the round's starting point, then everyone receives.
    const inbox: { from: number; x: any }[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < n; i++) {
      s.adj[i].forEach((j, k) => {
        let x: any;
        if (s.algo === 'state') x = states[i];
        else {
          const buf = bufs[i];
          let any = false;
          x = t.bottom();
          for (let e = acked[i][k]; e < buf.length; e++) {
            if (bp && buf[e].origin === j) continue;
            x = t.join(x, buf[e].delta);
            any = true;
          }
          acked[i][k] = buf.length;
          if (!any) return;
        }
        bytes += size(t, x);
        messages++;
        inbox[j].push({ from: i, x });
      });
    }
    for (let j = 0; j < n; j++) {
      for (const { from, x } of inbox[j]) {
        if (t.leq(x, states[j])) continue;
        if (s.algo !== 'state') {
          let kept = x;
          if (rr) {
            kept = t.bottom();
            for (const p of t.decompose(x)) if (!t.leq(p, states[j])) kept = t.join(kept, p);
          }
          bufs[j].push({ delta: kept, origin: from });
        }
        states[j] = t.join(states[j], x);
      }
    }
  }
  throw new Error('syncModel: no convergence within ' + max + ' rounds (' + s.algo + ')');
}
