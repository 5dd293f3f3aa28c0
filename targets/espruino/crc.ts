/**
 * transports/crc.ts for the board: the same CRC-32 (reflected 0xEDB88320, zlib's), computed by the interpreter's
 * native E.CRC32 instead of a 1 KB table and a loop in JavaScript. The board build puts this file in place of
 * transports/crc.ts (targets/espruino/build.ts), so serialframe.ts and blefrag.ts frame as they do on Node.
 */
declare const E: { CRC32(data: Uint8Array): number };

export { CRC_BYTES, putCrc, getCrc } from '../../transports/crcbytes.ts';

/**
 * The CRC-32 of bytes. The board's callers (serialframe.ts) pass the bytes alone, a subarray where they mean a
 * range: one parameter keeps the function object small, and a running CRC (`prev`) is not supported here.
 */
export function crc32(bytes: Uint8Array): number {
  return E.CRC32(bytes) >>> 0;
}
