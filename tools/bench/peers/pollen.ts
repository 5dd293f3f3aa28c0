/**
 * Pollen behind the bench:peers workloads, through the CRDT library's own API: delta mutators whose delta the
 * caller joins, deltas and states sent as the deterministic CBOR of the type's wire item, and a receiver that
 * decodes each message and joins it. The map is awmap(lamport): Lamport registers, ordered without a clock as
 * the peers' maps are (what a user wanting their semantics picks); `pollen(…, …, 'lww')` runs awmap(lww) with a
 * real millisecond clock instead. The counter is a G-Counter (the workload only counts up; a PN-Counter adds
 * one empty map per state), the set an OR-Set.
 *
 *   const p = pollen('portable');
 *   const d = p.replica(0, 'map');
 *   p.mapSet(d, 'v', 0);   // encode(awmap(lamport).encode(delta)): one dot, one write (13 bytes)
 *
 * Codec: the runtime encodes with crdt/codec/cbor.ts (the portable codec) on Node too, so `pollen('portable')`
 * is the row the ratios use; `pollen('cbor-x')` runs crdt/codec/cborx.ts, which writes the same bytes, to show
 * what the Node codec changes in time. The bare delta is what is measured; the runtime's Plumtree payload adds
 * the variable id and type spec ([1, id, spec, delta]), which peers.ts reports beside it.
 *
 * LWW (the variant) needs a caller-supplied timestamp: every writer uses the same millisecond clock reading (writes at the
 * same moment; the replica id breaks the tie as the peers' ids do), a realistic size rather than a tiny integer.
 */
import * as portable from '../../../crdt/codec/cbor.ts';
import * as cborx from '../../../crdt/codec/cborx.ts';
import { awmap, apply as mapApply } from '../../../crdt/awmap.ts';
import { GCounter, inc } from '../../../crdt/gcounter.ts';
import { Lamport } from '../../../crdt/lamport.ts';
import { LWW } from '../../../crdt/lww.ts';
import { ORSet, add, remove } from '../../../crdt/orset.ts';
import type { Crdt, Item } from '../../../crdt/types.ts';
import { type Kind, type Peer, pollenId } from './workload.ts';

/** The LWW timestamp every writer uses: 2025-11-25T00:00:00Z in milliseconds, a real clock's size on the wire. */
export const WRITE_TS = 1764028800000;

/** The register under the map's key: Lamport (clock-free, the default here) or clock-based LWW. */
export type Register = 'lamport' | 'lww';

const MAPS: { [r in Register]: Crdt<any, any> } = { lamport: awmap(Lamport), lww: awmap(LWW) };

/** Writer i's map delta as a wire item and its bytes: the example BENCHMARKS.md prints. */
export function mapDeltaExample(i: number, reg: Register = 'lamport'): { item: Item; bytes: number; ts: number; ids: number } {
  const d = reg === 'lamport' ? mapApply(Lamport, MAPS.lamport.bottom(), pollenId(i), 'v', 'set', [i]) : mapApply(LWW, MAPS.lww.bottom(), pollenId(i), 'v', 'set', [i, WRITE_TS]);
  const item = MAPS[reg].encode(d);
  // Bytes spent on replica ids: every string in the item that names the writer (an LWW write names it as the
  // epoch id "r.e" that awmap hands its nested type; a Lamport write inside the map leaves it out).
  let ids = 0;
  const walk = (x: Item): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (typeof x === 'string' && x.startsWith(pollenId(i))) ids += portable.encode(x).length;
  };
  walk(item);
  return { item, bytes: portable.encode(item).length, ts: reg === 'lww' ? portable.encode(WRITE_TS).length : 0, ids };
}

export const SPECS: { [k in Kind]: string } = { map: 'awmap(lamport)', counter: 'gcounter', set: 'orset' };

interface PReplica {
  id: string;
  type: Crdt<any, any>;
  s: any;
}

/**
 * How the receiver merges a batch: 'fold' joins each decoded message into its state in turn, in place (joinInto:
 * what the runtime's store does with deltas as they arrive); 'tree' joins the decoded messages pairwise, level by level, and the result
 * into the state once (the same joins in another order, which join's associativity allows: each level copies
 * the growing version vector or counter map once per pair instead of once per message).
 */
export type Merge = 'fold' | 'tree';

export function pollen(codec: 'portable' | 'cbor-x', merge: Merge = 'fold', reg: Register = 'lamport'): Peer<PReplica> {
  const types: { [k in Kind]: Crdt<any, any> } = { map: MAPS[reg], counter: GCounter, set: ORSet };
  const c = codec === 'portable' ? portable : cborx;
  const send = (r: PReplica, delta: any): Uint8Array => {
    r.s = r.type.joinInto(r.s, delta);
    return c.encode(r.type.encode(delta));
  };
  const joinAll = (r: PReplica, ms: Uint8Array[]): void => {
    const t = r.type;
    if (merge === 'fold') {
      let s = r.s;
      // In place, as the node's store does: each delta costs its own size, not the state's.
      for (const m of ms) s = t.joinInto(s, t.decode(c.decode(m) as Item));
      r.s = s;
      return;
    }
    let level: any[] = ms.map((m) => t.decode(c.decode(m) as Item));
    while (level.length > 1) {
      const next: any[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(t.join(level[i], level[i + 1]));
      if (level.length % 2 === 1) next.push(level[level.length - 1]);
      level = next;
    }
    if (level.length === 1) r.s = t.joinInto(r.s, level[0]);
  };
  const replica = (i: number, kind: Kind): PReplica => ({ id: pollenId(i), type: types[kind], s: types[kind].bottom() });
  return {
    name: reg === 'lww' ? 'pollen (awmap(lww))' : codec === 'portable' ? (merge === 'fold' ? 'pollen' : 'pollen (tree join)') : merge === 'fold' ? 'pollen (cbor-x)' : 'pollen (cbor-x, tree join)',
    pkg: 'pollen',
    api: {
      map: (reg === 'lww' ? 'awmap(lww): apply(lww, state, replica, key, "set", [value, ms clock])' : 'awmap(lamport): apply(lamport, state, replica, key, "set", [value])') + '; receiver decodes each delta and joins ' + (merge === 'fold' ? 'it into its state in turn' : 'the batch pairwise, then into its state'),
      counter: 'gcounter: inc(state, replica, 1) per delta',
      set: 'orset: add / remove deltas joined locally; sync payload = the encoded state',
      codec: codec === 'portable' ? 'crdt/codec/cbor.ts (the portable codec the runtime uses)' : 'crdt/codec/cborx.ts (cbor-x, same bytes)',
    },
    replica,
    counterGenesis: () => [],
    apply: joinAll,
    save: (r) => c.encode(r.type.encode(r.s)),
    load: (bytes, i, kind) => {
      const r = replica(i, kind);
      r.s = r.type.decode(c.decode(bytes) as Item);
      return r;
    },
    syncPayload: (r) => c.encode(r.type.encode(r.s)),
    syncApply: joinAll,
    mapSet: (r, key, value) => send(r, reg === 'lww' ? mapApply(LWW, r.s, r.id, key, 'set', [value, WRITE_TS]) : mapApply(Lamport, r.s, r.id, key, 'set', [value])),
    mapValue: (r) => MAPS[reg].value(r.s),
    counterInc: (r) => send(r, inc(r.s, r.id, 1)),
    counterValue: (r) => GCounter.value(r.s),
    setAdd: (r, key) => {
      r.s = ORSet.joinInto(r.s, add(r.s, r.id, key));
    },
    setRemove: (r, key) => {
      r.s = ORSet.joinInto(r.s, remove(r.s, key));
    },
    setValue: (r) => (ORSet.value(r.s) as string[]).slice().sort(),
  };
}
