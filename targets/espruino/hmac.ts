/**
 * The cluster key's primitive on a board: HMAC-SHA256 (RFC 2104) over the SHA256 Espruino builds in
 * (`require('crypto').SHA256`, present on nRF52 boards such as the Puck.js and in the Linux interpreter; there is
 * no HMAC built in). runtime/auth.ts does the rest (key derivation, the 8-byte tag, the replay window), the same
 * code a Pi runs, so a board checks exactly the tags runtime/auth.ts makes.
 *
 *   const a = init({ keys: [{ id: 0, key }], primitives: boardPrimitives(), epoch: 1 });
 *   const c = boardAuth('00112233445566778899aabbccddeeff', 0, 1);   // the same from a key in hex
 *
 * The `puckkey` profile (targets/espruino/puckkey.ts) carries it. One function object for the HMAC (a board pays
 * about 5 variables per function plus one per parameter). A profile that takes no key never imports this file,
 * so it costs that profile nothing.
 */
import type { AuthConfig, Primitives } from '../../runtime/auth.ts';

/** Espruino's require, reached through the global so the bundler leaves it to the board (it is no module). */
declare const globalThis: { require(name: 'crypto'): { SHA256(b: Uint8Array): ArrayBuffer } };

/** HMAC-SHA256 of `data` under `key`, 32 bytes, with `sha` = the board's SHA256 (bytes in, ArrayBuffer out). */
export function hmacSha256(sha: (b: Uint8Array) => ArrayBuffer, key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = key.length > 64 ? new Uint8Array(sha(key)) : key;
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(96);
  for (let i = 0; i < 64; i++) {
    const b = i < k.length ? k[i] : 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(new Uint8Array(sha(inner)), 64);
  return new Uint8Array(sha(outer));
}

/** runtime/auth.ts's primitives on the board: the tag only (no AES-CTR: a board seals without encryption). */
export function boardPrimitives(): Primitives {
  const sha = globalThis.require('crypto').SHA256;
  return { hmac: (key: Uint8Array, data: Uint8Array) => hmacSha256(sha, key, data) };
}

/** The node's auth config from the sensor code's key (hex: the board has no Buffer), its id and this life's
 *  epoch; an odd length or a non-hex digit throws. */
export function boardAuth(hex: string, id: number, epoch: number): AuthConfig {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error('a key is written as hex digits');
  const key = new Uint8Array(hex.length / 2);
  for (let i = 0; i < key.length; i++) key[i] = parseInt(hex.substr(i * 2, 2), 16);
  return { keys: [{ id: id, key: key }], primitives: boardPrimitives(), epoch: epoch };
}
