/**
 * The link hello of the serial and BLE links (PROTOCOL.md, "Serial" and "BLE"): a point-to-point line does not
 * say who is at the other end, so the first byte of every frame says whether it is a hello, which names the
 * sender, or data for the node. The TCP link's hello ("PLN1" and the id) reads its id with helloId too.
 *
 *   HELLO  [1, flags, ...id in UTF-8 (1..MAX_PEER_ID bytes)]   flags bit 0 (HEARD): "I have heard your hello"
 *   DATA   [2, ...payload]                                     a frame for the node
 *
 *   const h = helloFrame(utf8('pi'), false);   // 01 00 70 69
 *   helloId(h, 2);                             // 'pi'
 *
 * Kept to the board's JavaScript (no TextDecoder: the UTF-8 is checked and read by crdt/codec/utf8.ts), so a
 * board's own links can share it.
 */
import { MAX_PEER_ID } from '../runtime/messages.ts';
import { WIDE, readUtf8, utf8Invalid } from '../crdt/codec/utf8.ts';

export const HELLO = 1;
export const DATA = 2;
/** Flag bit of a HELLO: the sender has heard the receiver's hello, so no answer is wanted. */
export const HEARD = 1;

/** A HELLO frame naming `idBytes` (the sender's id in UTF-8). */
export function helloFrame(idBytes: Uint8Array, heard: boolean): Uint8Array {
  const body = new Uint8Array(2 + idBytes.length);
  body[0] = HELLO;
  body[1] = heard ? HEARD : 0;
  body.set(idBytes, 2);
  return body;
}

/** A DATA frame carrying `payload`. */
export function dataFrame(payload: Uint8Array): Uint8Array {
  const body = new Uint8Array(1 + payload.length);
  body[0] = DATA;
  body.set(payload, 1);
  return body;
}

/**
 * The id in a hello: `bytes[from..]` as well-formed UTF-8 of 1..MAX_PEER_ID bytes, or '' when it is not one (the
 * caller refuses the hello). The one decoder the TCP, serial and BLE links share.
 */
export function helloId(bytes: Uint8Array, from: number): string {
  const n = bytes.length - from;
  if (n < 1 || n > MAX_PEER_ID) return '';
  if (utf8Invalid(bytes, from, bytes.length) >= 0) return '';
  return readUtf8(bytes, from, bytes.length, WIDE);
}
