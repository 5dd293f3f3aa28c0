/**
 * What a node saves between runs, and the format it keeps it in, for every store (transports/filestore.ts's file,
 * targets/browser/idb.ts's IndexedDB record): no file system here, so a page carries this and not the file store.
 *
 *   const bytes = encodeState({ epoch, incarnation, snapshot: snapshot(node) });
 *   decodeState(bytes, 'a.pollen');   // SavedState, or StoreFileError('damaged') naming where it came from
 *
 * Damage: the bytes start with a magic, a format version, the payload's length and its CRC-32, so a truncated,
 * overwritten or bit-rotted state is refused with StoreFileError('damaged') and a message naming the store, never
 * loaded as a wrong state.
 *
 * Format (version 2): "PLNS" | 0x02 | length (uint32 BE) | CRC-32 of the payload (uint32 BE) | payload, the
 * payload deterministic CBOR [epoch, incarnation, snapshot] (snapshot as runtime/node.ts makes it). Version 1
 * (a bare CBOR [1, incarnation, snapshot], no check) is still read, as epoch 0.
 */
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

