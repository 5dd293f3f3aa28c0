/**
 * Automerge behind the bench:peers workloads, with its own recommended calls: A.change per local transaction,
 * the binary change from getLastLocalChange as the update, applyChanges for a batch of them, save/load for the
 * whole document, and for the set workload's sync the saved document merged with loadIncremental.
 *
 *   const p = automerge();
 *   const d = p.replica(0, 'map');
 *   p.mapSet(d, 'v', 0);   // one change: header, actor, dependency hashes, the op
 *
 * Automerge's counter is an object in the document, so one replica must create it and every replica must hold
 * that change before it increments (two replicas creating it concurrently would make two conflicting
 * counters): counterGenesis is that change, made by its own actor, and it is counted in the update bytes.
 * Workloads use the document root as their map (the root is shared by every Automerge document).
 */
import * as A from '@automerge/automerge';
import { type Kind, type Peer, actorId } from './workload.ts';

interface AReplica {
  doc: A.Doc<any>;
  actor: string;
}

/** The actor that creates the counter object (outside the writers' ids). */
const GENESIS_ACTOR = 'ffff';

function lastChange(r: AReplica): Uint8Array {
  const c = A.getLastLocalChange(r.doc);
  if (c === undefined) throw new Error('automerge: the change produced nothing');
  return c;
}

export function automerge(): Peer<AReplica> {
  const replica = (i: number, _kind: Kind): AReplica => ({ doc: A.init<any>({ actor: actorId(i) }), actor: actorId(i) });
  return {
    name: 'automerge',
    pkg: '@automerge/automerge',
    api: {
      map: 'A.change(doc, d => d[key] = value); update = A.getLastLocalChange; merge = A.applyChanges',
      counter: 'A.Counter created once in a genesis change all replicas hold; d.n.increment(1) per change',
      set: 'root map element -> true, delete to remove; sync = A.save, merged with A.loadIncremental',
      codec: 'A.save / A.load',
    },
    replica,
    counterGenesis: () => {
      const g = A.from<any>({ n: new A.Counter(0) }, { actor: GENESIS_ACTOR });
      return [lastChange({ doc: g, actor: GENESIS_ACTOR })];
    },
    apply: (r, us) => {
      r.doc = A.applyChanges(r.doc, us)[0];
    },
    save: (r) => A.save(r.doc),
    load: (bytes, i) => ({ doc: A.load<any>(bytes, { actor: actorId(i) }), actor: actorId(i) }),
    syncPayload: (r) => A.save(r.doc),
    syncApply: (r, ps) => {
      for (const p of ps) r.doc = A.loadIncremental(r.doc, p);
    },
    mapSet: (r, key, value) => {
      r.doc = A.change(r.doc, (d: any) => {
        d[key] = value;
      });
      return lastChange(r);
    },
    mapValue: (r) => ({ ...r.doc }),
    counterInc: (r) => {
      r.doc = A.change(r.doc, (d: any) => {
        d.n.increment(1);
      });
      return lastChange(r);
    },
    counterValue: (r) => r.doc.n.value,
    setAdd: (r, key) => {
      r.doc = A.change(r.doc, (d: any) => {
        d[key] = true;
      });
    },
    setRemove: (r, key) => {
      r.doc = A.change(r.doc, (d: any) => {
        delete d[key];
      });
    },
    setValue: (r) => Object.keys(r.doc).sort(),
  };
}
