/**
 * CRC-32 as in zlib, Ethernet and PNG (the catalogue name is CRC-32/ISO-HDLC: reflected polynomial 0xEDB88320,
 * initial value and final xor 0xFFFFFFFF; check value 0xCBF43926 for the ASCII bytes "123456789").
 *
 * Why this CRC and not CRC-16/CCITT: the board computes exactly this one natively (`E.CRC32(bytes)` in Espruino
 * runs the same reflected loop), so the board's side of a serial or BLE link checks frames without shipping a
 * table or a loop in its bundle, and Node has `zlib.crc32` for the same sum. Four bytes instead of two also keeps
 * the undetected-error rate near 2^-32 for frames of a few kilobytes, where a 16-bit CRC's guarantees thin out.
 *
 *   crc32(new TextEncoder().encode('123456789')) === 0xcbf43926
 *   crc32(b, crc32(a)) === crc32(concat(a, b))   // incremental
 */

/** One table of 256 entries, built at load (1 KB), so each byte costs one lookup instead of eight shifts. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * The CRC-32 of `bytes[from, to)`, continuing from `prev` (the CRC of the bytes before, 0 to start). Returns an
 * unsigned 32-bit integer.
 */
export function crc32(bytes: Uint8Array, prev?: number, from?: number, to?: number): number {
  // No default parameters: this file keeps to the board's subset (ARCHITECTURE.md), where E.CRC32 is the same sum.
  let c = ((prev === undefined ? 0 : prev) ^ 0xffffffff) >>> 0;
  const end = to === undefined ? bytes.length : to;
  for (let i = from === undefined ? 0 : from; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export { CRC_BYTES, putCrc, getCrc } from './crcbytes.ts';
