/**
 * Yjs behind the bench:peers workloads, with its own recommended calls: one Y.Doc per replica, root types by
 * name, updates from the doc's update event, remote updates applied inside one transaction, the whole document
 * as encodeStateAsUpdate. Yjs has two update encodings; `yjs(1)` uses the default (v1), `yjs(2)` the v2 encoding
 * that crdt-benchmarks measures, and the bench reports both.
 *
 *   const p = yjs(1);
 *   const d = p.replica(0, 'map');
 *   p.mapSet(d, 'v', 0);   // the update the doc emitted, ~16 bytes
 *
 * Yjs has no counter type: each replica writes its own running count under its own key of a Y.Map (keys are the
 * same strings as Pollen's replica ids) and the value is the sum, the usual way to count with Yjs. The set is a
 * Y.Map from element to true.
 */
import * as Y from 'yjs';
import { type Kind, type Peer, numericId, pollenId } from './workload.ts';

interface YReplica {
  doc: Y.Doc;
  key: string;
  count: number;
  last: Uint8Array | null;
}

export function yjs(version: 1 | 2): Peer<YReplica> {
  const apply = version === 1 ? Y.applyUpdate : Y.applyUpdateV2;
  const state = version === 1 ? Y.encodeStateAsUpdate : Y.encodeStateAsUpdateV2;
  const event = version === 1 ? 'update' : 'updateV2';
  const take = (r: YReplica): Uint8Array => {
    const u = r.last;
    if (u === null) throw new Error('yjs: the transaction emitted no update');
    r.last = null;
    return u;
  };
  const replica = (i: number, _kind: Kind): YReplica => {
    const doc = new Y.Doc();
    doc.clientID = numericId(i);
    const r: YReplica = { doc, key: pollenId(i), count: 0, last: null };
    doc.on(event, (u: Uint8Array) => {
      r.last = u;
    });
    return r;
  };
  const applyAll = (r: YReplica, us: Uint8Array[]): void => {
    // A replica rebuilt from its own saved state (the set workload's untimed prepare step) would receive items of
    // its own clientID, which Yjs takes for an id clash and answers by picking a random new id (with a console
    // warning). The rebuilt replica is the same client, so an empty doc applies under id 0 (never a writer's)
    // and keeps its id afterwards.
    const own = r.doc.clientID;
    const fresh = r.doc.store.clients.size === 0;
    if (fresh) r.doc.clientID = 0;
    Y.transact(r.doc, () => {
      for (const u of us) apply(r.doc, u);
    });
    if (fresh) r.doc.clientID = own;
  };
  return {
    name: 'yjs (v' + version + ')',
    pkg: 'yjs',
    api: {
      map: 'Y.Map.set in its own transaction; updates from doc.on("' + event + '")',
      counter: 'no counter type: Y.Map with one key per replica holding its running count; value = sum',
      set: 'Y.Map element -> true, delete to remove',
      codec: (version === 1 ? 'encodeStateAsUpdate / applyUpdate' : 'encodeStateAsUpdateV2 / applyUpdateV2') + ' (update encoding v' + version + ')',
    },
    replica,
    counterGenesis: () => [],
    apply: applyAll,
    save: (r) => state(r.doc),
    load: (bytes, i, kind) => {
      const r = replica(i, kind);
      applyAll(r, [bytes]);
      r.last = null;
      return r;
    },
    syncPayload: (r) => state(r.doc),
    syncApply: applyAll,
    mapSet: (r, key, value) => {
      r.doc.getMap<number>('map').set(key, value);
      return take(r);
    },
    mapValue: (r) => r.doc.getMap<number>('map').toJSON(),
    counterInc: (r) => {
      r.count++;
      r.doc.getMap<number>('counter').set(r.key, r.count);
      return take(r);
    },
    counterValue: (r) => {
      let sum = 0;
      r.doc.getMap<number>('counter').forEach((v) => {
        sum += v;
      });
      return sum;
    },
    setAdd: (r, key) => {
      r.doc.getMap<boolean>('set').set(key, true);
    },
    setRemove: (r, key) => {
      r.doc.getMap<boolean>('set').delete(key);
    },
    setValue: (r) => Array.from(r.doc.getMap<boolean>('set').keys()).sort(),
  };
}
