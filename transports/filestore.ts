/**
 * Where a node keeps its state between runs, and the format it keeps it in.
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
 * Damage: the file starts with a magic, a format version, the payload's length and its CRC-32, so a truncated,
 * overwritten or bit-rotted file is refused with StoreFileError('damaged') and a message naming the file, never
 * loaded as a wrong state. Size: a save larger than `maxBytes` is refused with StoreFileError('full'); the file
 * keeps the last state that fit (the node keeps running in memory, and the driver rejects the acknowledgements).
 *
 * Format (version 2): "PLNS" | 0x02 | length (uint32 BE) | CRC-32 of the payload (uint32 BE) | payload, the
 * payload deterministic CBOR [epoch, incarnation, snapshot] (snapshot as runtime/node.ts makes it). Version 1
 * (a bare CBOR [1, incarnation, snapshot], no check) is still read, as epoch 0.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Item } from '../crdt/types.ts';
import { encode, decode } from '../crdt/codec/cbor.ts';
import { crc32, getCrc, putCrc } from './crc.ts';

/** Where a node keeps its state between runs: bytes in, bytes out. */
export interface NodeStore {
  /** The bytes last saved, or undefined when there are none yet. */
  load(): Promise<Uint8Array | undefined>;
  /** Replace the saved bytes; resolved only once they are durable (as far as this store can make them). */
  save(bytes: Uint8Array): Promise<void>;
  /** Largest save accepted, in bytes (a larger one is refused with StoreFileError 'full'); informative. */
  readonly maxBytes?: number;
  /** What to call it in messages (a file store: its path). */
  readonly name?: string;
}

/**
 * Why a store refused. reason: 'damaged' (the saved bytes are not a node state: move the file away or restore a
 * copy), 'full' (the state outgrew maxBytes), 'io' (the file system failed: permissions, disk full, ...),
 * 'epoch' (the store's epoch counter is spent: start with a new store).
 */
export class StoreFileError extends Error {
  readonly reason: 'damaged' | 'full' | 'io' | 'epoch';
  constructor(reason: 'damaged' | 'full' | 'io' | 'epoch', message: string) {
    super(message);
    this.name = 'StoreFileError';
    this.reason = reason;
  }
}

/** Default bound on a saved state: 8 MiB, a hundred times what a board's variables hold, small enough to rewrite. */
export const DEFAULT_MAX_STORE_BYTES = 8 << 20;
/** Decoding a saved state: our own file, but the bound keeps a damaged one from taking the process. */
const STATE_LIMITS = { maxFrame: 64 << 20, maxItems: 1 << 22, maxCount: 1 << 22, maxString: 1 << 20 };
const MAGIC = [0x50, 0x4c, 0x4e, 0x53]; // "PLNS"
const FORMAT = 2;
const HEADER = 13;
/** A store's epochs stay below 2^32, so they never meet the random ones a node without a store draws (≥ 2^32). */
export const MAX_STORE_EPOCH = 2 ** 32 - 1;

/** What a node saves. */
export interface SavedState {
  /** The epoch of the life that saved it (runtime/replica.ts). */
  epoch: number;
  incarnation: number;
  /** runtime/node.ts snapshot(). */
  snapshot: Item;
}

export function encodeState(s: SavedState): Uint8Array {
  const payload = encode([s.epoch, s.incarnation, s.snapshot], STATE_LIMITS);
  const out = new Uint8Array(HEADER + payload.length);
  out.set(MAGIC, 0);
  out[4] = FORMAT;
  new DataView(out.buffer).setUint32(5, payload.length);
  putCrc(out, 9, crc32(payload));
  out.set(payload, HEADER);
  return out;
}

function nat(x: Item): boolean {
  return typeof x === 'number' && x >= 0 && Math.floor(x) === x && x <= Number.MAX_SAFE_INTEGER;
}

/** Read a saved state; StoreFileError('damaged') with `where` and the cause when it is not one. */
export function decodeState(bytes: Uint8Array, where: string): SavedState {
  const bad = (why: string) => new StoreFileError('damaged', where + ' is damaged (' + why + '): move it away to start empty, or put back a copy');
  let item: Item;
  if (bytes.length > 0 && bytes[0] === 0x83) {
    // Version 1: no header, no check.
    try {
      item = decode(bytes, STATE_LIMITS);
    } catch (e) {
      throw bad('it does not decode: ' + (e as Error).message);
    }
    if (!Array.isArray(item) || item.length !== 3 || item[0] !== 1 || !nat(item[1])) throw bad('not a Pollen node state');
    return { epoch: 0, incarnation: item[1] as number, snapshot: item[2] };
  }
  if (bytes.length < HEADER || MAGIC.some((m, i) => bytes[i] !== m)) throw bad('not a Pollen node state: no "PLNS" header');
  if (bytes[4] !== FORMAT) throw bad('format version ' + bytes[4] + ', this Pollen reads ' + FORMAT);
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(5);
  if (bytes.length !== HEADER + len) throw bad(bytes.length + ' bytes where the header says ' + (HEADER + len) + ': truncated or overwritten');
  const payload = bytes.subarray(HEADER);
  if (crc32(payload) !== getCrc(bytes, 9)) throw bad('checksum mismatch');
  try {
    item = decode(payload, STATE_LIMITS);
  } catch (e) {
    throw bad('it does not decode: ' + (e as Error).message);
  }
  if (!Array.isArray(item) || item.length !== 3 || !nat(item[0]) || !nat(item[1])) throw bad('not [epoch, incarnation, snapshot]');
  return { epoch: item[0] as number, incarnation: item[1] as number, snapshot: item[2] };
}

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
