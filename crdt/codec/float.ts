/**
 * The numbers rule of Pollen's deterministic CBOR: an integer within ±(2^53-1) goes as an integer (major type 0
 * or 1); every other number (fractions, larger magnitudes, -0, NaN, ±Infinity) goes as the shortest of half,
 * single and double precision that holds it exactly (RFC 8949 §4.2.1 and §4.2.2), NaN always as f97e00.
 * Both codecs and the decoder's canonical check use these functions, so the rule lives in one place.
 *
 *   isWireInt(3);        // true
 *   floatWidth(0.5);     // 2 (f93800)
 *   floatWidth(100000.5) // 4 (fa47c35080)
 *   floatWidth(1.1);     // 8
 */

/** 2^53 - 1: the integers beyond it are not exact in a double (the board has no Number.MAX_SAFE_INTEGER). */
export const MAX_SAFE = 9007199254740991;

/** Holds float bits while they move between a number and bytes; DataView is exact on the board too. */
export const SCRATCH = new DataView(new ArrayBuffer(8));

const TWO_POW_M24 = Math.pow(2, -24);

/** Does v go on the wire as an integer? (-0 does not: it would come back as 0.) */
export function isWireInt(v: number): boolean {
  return Math.floor(v) === v && v <= MAX_SAFE && v >= -MAX_SAFE && !(v === 0 && 1 / v < 0);
}

/** The IEEE 754 half-precision bits that hold v exactly, or -1 when none do. NaN gives the one NaN, 0x7e00. */
export function halfBits(v: number): number {
  if (v !== v) return 0x7e00;
  // Every half is also a single, so go through the single's bits, which DataView gives exactly.
  SCRATCH.setFloat32(0, v);
  if (SCRATCH.getFloat32(0) !== v) return -1;
  const bits = SCRATCH.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const e = (bits >>> 23) & 0xff;
  const m = bits & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00; // ±Infinity
  if (e === 0) return m === 0 ? sign : -1; // ±0; a single's subnormals are far below a half's range
  const exp = e - 127;
  if (exp > 15 || exp < -24) return -1;
  if (exp >= -14) return (m & 0x1fff) === 0 ? sign | ((exp + 15) << 10) | (m >>> 13) : -1;
  // A half subnormal: the value in units of 2^-24, with the implicit leading bit made explicit.
  const shift = -1 - exp;
  const full = m | 0x800000;
  return (full & ((1 << shift) - 1)) === 0 ? sign | (full >>> shift) : -1;
}

/** The value of half-precision bits. */
export function halfValue(h: number): number {
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  let v: number;
  if (e === 0) v = f * TWO_POW_M24;
  else if (e === 31) v = f === 0 ? Infinity : NaN;
  else v = (f + 1024) * Math.pow(2, e - 25);
  return h & 0x8000 ? -v : v;
}

/** Bytes after the initial byte of the shortest float that holds v exactly: 2, 4 or 8. */
export function floatWidth(v: number): number {
  if (halfBits(v) >= 0) return 2;
  SCRATCH.setFloat32(0, v);
  return SCRATCH.getFloat32(0) === v ? 4 : 8;
}
