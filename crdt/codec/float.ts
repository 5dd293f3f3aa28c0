/**
 * The numbers rule of Pollen's deterministic CBOR: an integer within ±(2^53-1) goes as an integer (major type 0
 * or 1, see kindOf in encode.ts); every other number (fractions, larger magnitudes, -0, NaN, ±Infinity) goes as
 * the shortest of half, single and double precision that holds it exactly (RFC 8949 §4.2.1 and §4.2.2), NaN
 * always as f97e00. The encoder, the decoder's canonical check and cborx.ts all ask floatBits, so the rule lives
 * in one function (one function object on the board).
 *
 *   floatBits(0.5);        // 0x3800: a half holds it (f93800)
 *   floatBits(100000.5);   // -4: a single (fa47c35080)
 *   floatBits(1.1);        // -8: only a double
 */

/** 2^53 - 1: the integers beyond it are not exact in a double (the board has no Number.MAX_SAFE_INTEGER). */
export { MAX_SAFE } from '../check.ts';

/**
 * Holds a single's bits while floatBits looks at them; DataView is exact on the board too. Made on the first
 * float, not at load: a DataView costs a board about 25 variables, and most boards never see a float.
 */
let scratch: DataView | null = null;

/**
 * The IEEE 754 half-precision bits that hold v exactly (NaN gives the one NaN, 0x7e00); otherwise -4 when a
 * single holds it exactly, else -8.
 */
export function floatBits(v: number): number {
  if (v !== v) return 0x7e00;
  // Every half is also a single, so go through the single's bits, which DataView gives exactly.
  const d = scratch || (scratch = new DataView(new ArrayBuffer(4)));
  d.setFloat32(0, v);
  if (d.getFloat32(0) !== v) return -8;
  const bits = d.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const e = (bits >>> 23) & 0xff;
  const m = bits & 0x7fffff;
  const exp = e - 127;
  if (e === 0xff) return sign | 0x7c00; // ±Infinity
  if (e === 0) return m === 0 ? sign : -4; // ±0; a single's subnormals are far below a half's range
  if (exp > 15 || exp < -24) return -4;
  if (exp >= -14) return (m & 0x1fff) === 0 ? sign | ((exp + 15) << 10) | (m >>> 13) : -4;
  // A half subnormal: the value in units of 2^-24, with the implicit leading bit made explicit.
  const shift = -1 - exp;
  const full = m | 0x800000;
  return (full & ((1 << shift) - 1)) === 0 ? sign | (full >>> shift) : -4;
}

/** Bytes after the initial byte of the shortest float that holds v exactly: 2, 4 or 8. */
export function floatWidth(v: number): number {
  const h = floatBits(v);
  return h >= 0 ? 2 : -h;
}
