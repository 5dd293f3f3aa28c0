/**
 * Loro behind the bench:peers workloads, with its own recommended calls: one LoroDoc per replica with its peer
 * id set, root containers by name, commit per local transaction, updates from subscribeLocalUpdates, importBatch
 * for a batch, export({ mode: 'snapshot' }) / LoroDoc.fromSnapshot for the whole document, and
 * export({ mode: 'update' }) as the set workload's sync payload.
 *
 *   const p = loro();
 *   const d = p.replica(0, 'map');
 *   p.mapSet(d, 'v', 0);   // the update the commit emitted
 *
 * Counters are Loro's own LoroCounter as a root container (no creation step needed); the set is a LoroMap from
 * element to true.
 */
import { LoroDoc } from 'loro-crdt';
import { type Kind, type Peer, numericId } from './workload.ts';

interface LReplica {
  doc: LoroDoc;
  last: Uint8Array | null;
}

function take(r: LReplica): Uint8Array {
  const u = r.last;
  if (u === null) throw new Error('loro: the commit emitted no update');
  r.last = null;
  return u;
}

function wrap(doc: LoroDoc, i: number): LReplica {
  doc.setPeerId(numericId(i));
  const r: LReplica = { doc, last: null };
  doc.subscribeLocalUpdates((u) => {
    r.last = u;
  });
  return r;
}

export function loro(): Peer<LReplica> {
  return {
    name: 'loro',
    pkg: 'loro-crdt',
    api: {
      map: 'LoroMap.set + commit; update from subscribeLocalUpdates; merge = importBatch',
      counter: 'LoroCounter (root container) increment(1) + commit per update',
      set: 'LoroMap element -> true, delete to remove; sync = export({ mode: "update" }), importBatch',
      codec: 'export({ mode: "snapshot" }) / LoroDoc.fromSnapshot',
    },
    replica: (i: number, _kind: Kind) => wrap(new LoroDoc(), i),
    counterGenesis: () => [],
    apply: (r, us) => {
      r.doc.importBatch(us);
    },
    save: (r) => r.doc.export({ mode: 'snapshot' }),
    load: (bytes, i) => wrap(LoroDoc.fromSnapshot(bytes), i),
    syncPayload: (r) => r.doc.export({ mode: 'update' }),
    syncApply: (r, ps) => {
      r.doc.importBatch(ps);
    },
    mapSet: (r, key, value) => {
      r.doc.getMap('map').set(key, value);
      r.doc.commit();
      return take(r);
    },
    mapValue: (r) => r.doc.getMap('map').toJSON(),
    counterInc: (r) => {
      r.doc.getCounter('counter').increment(1);
      r.doc.commit();
      return take(r);
    },
    counterValue: (r) => r.doc.getCounter('counter').value,
    setAdd: (r, key) => {
      r.doc.getMap('set').set(key, true);
      r.doc.commit();
    },
    setRemove: (r, key) => {
      r.doc.getMap('set').delete(key);
      r.doc.commit();
    },
    setValue: (r) => Object.keys(r.doc.getMap('set').toJSON()).sort(),
  };
}
