/**
 * The cluster key's primitive on a board: HMAC-SHA256 (RFC 2104) over the SHA256 Espruino builds in
 * (`require('crypto').SHA256`, present on nRF52 boards such as the Puck.js and in the Linux interpreter; there is
 * no HMAC built in). runtime/auth.ts does the rest (key derivation, the 8-byte tag, the replay window), the same
 * code a Pi runs, so a board checks exactly the tags runtime/auth.ts makes.
 *
 *   const a = init({ keys: [{ id: 0, key }], primitives: boardPrimitives(), epoch: 1 });
 *
 * One function object for the HMAC (a board pays about 5 variables per function plus one per parameter). A
 * profile that takes no key never imports this file, so it costs that profile nothing.
 */
import type { Primitives } from '../../runtime/auth.ts';

declare const require: (m: string) => any;

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
  const sha = require('crypto').SHA256;
  return { hmac: (key: Uint8Array, data: Uint8Array) => hmacSha256(sha, key, data) };
}
