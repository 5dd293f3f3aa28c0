/**
 * transports/crc.ts for the board: the same CRC-32 (reflected 0xEDB88320, zlib's), computed by the interpreter's
 * native E.CRC32 instead of a 1 KB table and a loop in JavaScript. The board build puts this file in place of
 * transports/crc.ts (targets/espruino/build.ts), so serialframe.ts and blefrag.ts frame as they do on Node.
 */
declare const E: { CRC32(data: Uint8Array): number };

export { CRC_BYTES, putCrc, getCrc } from '../../transports/crcbytes.ts';

/** The CRC-32 of bytes[from, to). The board never continues a CRC (`prev`), so that is refused, not ignored. */
export function crc32(bytes: Uint8Array, prev?: number, from?: number, to?: number): number {
  if (prev) throw new Error('crc32: no running CRC on the board');
  return E.CRC32(bytes.subarray(from || 0, to === undefined ? bytes.length : to)) >>> 0;
}
