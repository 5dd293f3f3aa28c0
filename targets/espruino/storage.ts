/**
 * The node's state in Storage, so that a reset at any moment leaves the old state or the new one whole: two slots
 * (files NAME.0 and NAME.1), written in turn, each [sequence u32][incarnation u32][CBOR of the snapshot][CRC-32].
 * At boot both are read and the valid slot with the higher sequence wins; a slot cut short by a reset, or worn,
 * fails its CRC and the other one is used. Flash wear: a write only after a change, at most one per persistMs
 * (targets/espruino/knobs.ts), alternating between the two files.
 *
 *   var st = openStore('pollen');
 *   var s = st.load();              // { incarnation: 3, state: snapshot item } or null
 *   st.write(node);                 // snapshot(node) and its incarnation at once;  st.touch(node): debounced
 */
import type { Item } from '../../crdt/types.ts';
import { encode, decode } from '../../crdt/codec/cbor.ts';
import { snapshot, type PollenNode } from '../../runtime/node.ts';
import { BOARD_KNOBS } from './knobs.ts';

declare const E: { CRC32(data: Uint8Array): number; toString(b: Uint8Array): string; toUint8Array(s: string): Uint8Array };
/** Espruino's require, reached through the global so the bundler leaves it to the board (it is no module). */
declare const globalThis: { require(name: 'Storage'): { read(name: string): string | undefined; write(name: string, data: string): boolean } };

export interface Saved {
  seq: number;
  incarnation: number;
  state: Item;
}

export interface BoardStore {
  load(): Saved | null;
  /** Write the node's snapshot and incarnation now. */
  write(node: PollenNode): void;
  /** Write them persistMs from now unless a write is already due (the snapshot is taken then). */
  touch(node: PollenNode): void;
}

const HEAD = 8;

export function openStore(name: string, delayMs?: number): BoardStore {
  const S = globalThis.require('Storage');
  let seq = 0;
  let due: any = null;
  const st: BoardStore = {
    load: function () {
      let best: Saved | null = null;
      for (let i = 0; i < 2; i++) {
        const s = S.read(name + '.' + i);
        if (!s || s.length < HEAD + 5) continue;
        const b = E.toUint8Array(s);
        const n = b.length - 4;
        const v = new DataView(b.buffer, b.byteOffset, b.length);
        // The same four bytes little-endian as a frame's CRC (transports/crcbytes.ts).
        if ((E.CRC32(b.subarray(0, n)) >>> 0) !== v.getUint32(n, true)) continue;
        try {
          const got: Saved = { seq: v.getUint32(0, true), incarnation: v.getUint32(4, true), state: decode(b.subarray(HEAD, n)) };
          if (!best || got.seq > best.seq) best = got;
        } catch (e) {
          // A slot whose CRC holds but whose body does not decode (another format): the other slot serves.
        }
      }
      if (best) seq = best.seq;
      return best;
    },
    write: function (node) {
      if (due !== null) { clearTimeout(due); due = null; }
      seq++;
      const body = encode(snapshot(node));
      const b = new Uint8Array(HEAD + body.length + 4);
      const v = new DataView(b.buffer);
      v.setUint32(0, seq >>> 0, true);
      v.setUint32(4, node.incarnation >>> 0, true);
      b.set(body, HEAD);
      v.setUint32(HEAD + body.length, E.CRC32(b.subarray(0, HEAD + body.length)) >>> 0, true);
      S.write(name + '.' + (seq & 1), E.toString(b));
    },
    touch: function (node) {
      if (due === null) due = setTimeout(st.write, delayMs === undefined ? BOARD_KNOBS.persistMs : delayMs, node);
    },
  };
  return st;
}
