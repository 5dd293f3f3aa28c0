/**
 * The node's state in Storage, so that a reset at any moment leaves the old state or the new one whole: two slots
 * (files NAME.0 and NAME.1), written in turn, each [sequence u32][incarnation u32][CBOR of the snapshot][CRC-32].
 * At boot both are read and the valid slot with the higher sequence wins; a slot cut short by a reset, or worn,
 * fails its CRC and the other one is used. Flash wear: a write only after a change, at most one per persistMs
 * (targets/espruino/knobs.ts), alternating between the two files.
 *
 *   var st = openStore('pollen');
 *   var s = st.load();              // { incarnation: 3, state: snapshot item } or null
 *   st.write(snapshot(node), 4);    // at once;  st.touch(getSnapshot, 4) debounced
 */
import type { Item } from '../../crdt/types.ts';
import { encode, decode } from '../../crdt/codec/cbor.ts';
import { putCrc, getCrc } from './crc.ts';
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
  write(state: Item, incarnation: number): void;
  /** Write `get()` persistMs from now unless a write is already due. */
  touch(get: () => Item, incarnation: number): void;
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
        const s = readSlot(S.read(name + '.' + i));
        if (s && (!best || s.seq > best.seq)) best = s;
      }
      if (best) seq = best.seq;
      return best;
    },
    write: function (state, incarnation) {
      if (due !== null) { clearTimeout(due); due = null; }
      seq++;
      const body = encode(state);
      const b = new Uint8Array(HEAD + body.length + 4);
      u32(b, 0, seq);
      u32(b, 4, incarnation);
      b.set(body, HEAD);
      putCrc(b, HEAD + body.length, E.CRC32(b.subarray(0, HEAD + body.length)) >>> 0);
      S.write(name + '.' + (seq & 1), E.toString(b));
    },
    touch: function (get, incarnation) {
      if (due !== null) return;
      due = setTimeout(function () { due = null; st.write(get(), incarnation); }, delayMs === undefined ? BOARD_KNOBS.persistMs : delayMs);
    },
  };
  return st;
}

function readSlot(s: string | undefined): Saved | null {
  if (!s || s.length < HEAD + 5) return null;
  const b = E.toUint8Array(s);
  const n = b.length - 4;
  if ((E.CRC32(b.subarray(0, n)) >>> 0) !== getCrc(b, n)) return null;
  try {
    return { seq: r32(b, 0), incarnation: r32(b, 4), state: decode(b.subarray(HEAD, n)) };
  } catch (e) {
    return null; // a slot whose CRC holds but whose body does not decode (another format): the other slot serves
  }
}

function u32(b: Uint8Array, at: number, v: number): void {
  putCrc(b, at, v >>> 0);
}

function r32(b: Uint8Array, at: number): number {
  return getCrc(b, at);
}
