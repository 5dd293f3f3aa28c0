/**
 * Where a CRC-32 sits in a frame: four bytes, little-endian (the order the reflected CRC is computed in). Kept
 * apart from the sum itself because the board build swaps transports/crc.ts for targets/espruino/crc.ts (the
 * interpreter's native E.CRC32) while both must lay the bytes out alike; both re-export this.
 */
/** Bytes a CRC adds to a frame. */
export const CRC_BYTES = 4;

/** Write `crc` little-endian at `out[at..at+4)` (little-endian, the order the reflected CRC is computed in). */
export function putCrc(out: Uint8Array, at: number, crc: number): void {
  out[at] = crc & 0xff;
  out[at + 1] = (crc >>> 8) & 0xff;
  out[at + 2] = (crc >>> 16) & 0xff;
  out[at + 3] = (crc >>> 24) & 0xff;
}

/** Read a little-endian CRC written by `putCrc`. */
export function getCrc(src: Uint8Array, at: number): number {
  return (src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
}
