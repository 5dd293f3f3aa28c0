/**
 * What the browser bundle gives code that imports `node:crypto` (the node driver draws its seed with randomInt):
 * the same call over the Web Crypto API. Only the names the bundled code uses; a new one fails the build loudly.
 */
export function randomInt(min: number, max: number): number {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > 2 ** 32) {
    throw new RangeError('randomInt: need integers min < max with a range of at most 2^32');
  }
  const range = max - min;
  // Rejection sampling: drop the top sliver of 2^32 that would bias small values.
  const limit = 2 ** 32 - (2 ** 32 % range);
  const r = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(r);
    if (r[0] < limit) return min + (r[0] % range);
  }
}
