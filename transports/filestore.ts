/**
 * Where a Node node keeps its state between runs: a file (or memory, for tests).
 *
 *   const store = fileStore('a.pollen');                 // one file, replaced whole at every save
 *   const node = await startNode({ id: 'a', links, store, durability: 'sync' });
 *   await node.update('tags', 'add', ['x']);             // resolves once 'x' is on disk (fsync'd)
 *
 * Crash safety (fileStore): a save writes the whole state to `FILE.tmp`, fsyncs it, renames it over `FILE` and
 * fsyncs the directory. A kill -9 at any instant leaves `FILE` whole, old or new (rename is atomic), and so does
 * a power cut on a file system that keeps fsync's promise (ext4, xfs, btrfs, apfs; not a disk that lies about
 * its write cache). A save resolves only after the directory fsync, so what it saved survives a power cut too.
 * Why a whole-file rewrite and not an append-only log: a node's state is bounded and small (a board's worth of
 * variables, a frame's worth each), the fsync dominates the cost of a write of a few kilobytes, concurrent
 * updates share one write (the driver's group commit), and recovery is "read one file" with no log replay,
 * torn-tail repair or compaction to get wrong.
 *
 * Format and damage: transports/savedstate.ts (a truncated or bit-rotted file is refused, never loaded). Size: a
 * save larger than `maxBytes` is refused with StoreFileError('full'); the file keeps the last state that fit (the
 * node keeps running in memory, and the driver rejects the acknowledgements).
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreFileError, type NodeStore } from './savedstate.ts';

export { StoreFileError, MAX_STORE_EPOCH, encodeState, decodeState, type NodeStore, type SavedState } from './savedstate.ts';

/** Default bound on a saved state: 8 MiB, a hundred times what a board's variables hold, small enough to rewrite. */
export const DEFAULT_MAX_STORE_BYTES = 8 << 20;

function ioError(what: string, path: string, e: unknown): StoreFileError {
  return new StoreFileError('io', 'node store: cannot ' + what + ' ' + path + ': ' + (e as Error).message);
}

/**
 * A store in one file, replaced whole and durably at every save (see the top of this file). One process per
 * file: two nodes on one file would overwrite each other's states.
 */
export function fileStore(path: string, opts: { maxBytes?: number } = {}): NodeStore {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_STORE_BYTES;
  const tmp = path + '.tmp';
  return {
    maxBytes,
    name: path,
    async load() {
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw ioError('read', path, e);
      } finally {
        // A leftover temporary file is a save a crash cut short: FILE is the last one that finished.
        await unlink(tmp).catch(() => undefined);
      }
    },
    async save(bytes) {
      if (bytes.length > maxBytes) {
        throw new StoreFileError('full', 'node store ' + path + ': the state takes ' + bytes.length + ' bytes, over the bound of ' + maxBytes + ' (maxBytes); the file keeps the last state that fit');
      }
      try {
        const f = await open(tmp, 'w');
        try {
          await f.writeFile(bytes);
          await f.sync();
        } finally {
          await f.close();
        }
        await rename(tmp, path);
        // The rename lives in the directory: without this fsync a power cut may bring back the old name.
        const d = await open(dirname(path), 'r');
        try {
          await d.sync();
        } finally {
          await d.close();
        }
      } catch (e) {
        throw ioError('save to', path, e);
      }
    },
  };
}

/** A store in memory (tests, and the demo's "restart" of a node inside one process): durable as the process. */
export function memoryStore(maxBytes = DEFAULT_MAX_STORE_BYTES): NodeStore & { bytes?: Uint8Array } {
  const s: NodeStore & { bytes?: Uint8Array } = {
    maxBytes,
    async load() {
      return s.bytes;
    },
    async save(bytes) {
      if (bytes.length > maxBytes) throw new StoreFileError('full', 'memory store: the state takes ' + bytes.length + ' bytes, over the bound of ' + maxBytes);
      s.bytes = bytes.slice();
    },
  };
  return s;
}
