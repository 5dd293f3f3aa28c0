/**
 * A node store in IndexedDB, so that a page reloaded (online or not) starts from the state it had: the same
 * NodeStore contract as the file store of transports/driver.ts, one record per node id in one object store.
 *
 *   const store = idbStore('web-3k9x');            // database 'pollen', object store 'nodes', key 'web-3k9x'
 *   await store.save(bytes); await store.load();   // the bytes, or undefined before the first save
 *
 * The bytes are the driver's own encoding of the node's snapshot; nothing else reads them. A save replaces the
 * record in one transaction, so a page closed mid-save keeps the previous one.
 */
import type { NodeStore } from '../../transports/filestore.ts';

const STORE = 'nodes';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open(dbName: string, onClose: () => void): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('idb store: this page has no IndexedDB (a private window may block it); pass db: false to keep nothing'));
  const r = indexedDB.open(dbName, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE);
  return request(r).then((db) => {
    // Another tab (a newer version of this page) wants to upgrade the database: let it, and open it again on next use.
    db.onversionchange = () => {
      db.close();
      onClose();
    };
    return db;
  }).catch((e) => {
    throw new Error('idb store: cannot open IndexedDB database "' + dbName + '": ' + String(e && e.message ? e.message : e));
  });
}

export function idbStore(key: string, dbName = 'pollen'): NodeStore {
  let db: Promise<IDBDatabase> | undefined;
  const tx = async (mode: IDBTransactionMode): Promise<IDBObjectStore> => {
    db = db ?? open(dbName, () => (db = undefined));
    return (await db).transaction(STORE, mode).objectStore(STORE);
  };
  return {
    name: 'IndexedDB ' + dbName + '/' + key,
    async load() {
      const v: unknown = await request((await tx('readonly')).get(key));
      if (v === undefined) return undefined;
      if (!(v instanceof Uint8Array)) throw new Error('idb store: record "' + key + '" in "' + dbName + '" is not Pollen state; delete it to start empty');
      return v;
    },
    async save(bytes) {
      const s = await tx('readwrite');
      // Wait for the transaction, not the put: only a completed transaction is committed.
      const done = new Promise<void>((resolve, reject) => {
        s.transaction.oncomplete = () => resolve();
        s.transaction.onabort = () => reject(s.transaction.error ?? new Error('idb store: transaction aborted'));
      });
      s.put(bytes.slice(), key);
      await done;
    },
  };
}
