/**
 * What the browser bundle gives code that imports `node:crypto` (the node driver draws its seed and its random
 * epoch with randomInt): the same call over the Web Crypto API, with Node's limit (a range below 2^48). Only the
 * names the bundled code uses; a new one fails the build loudly.
 */
const TWO32 = 2 ** 32;
const TWO48 = 2 ** 48;

export function randomInt(min: number, max: number): number {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min >= TWO48) {
    throw new RangeError('randomInt: need safe integers min < max with max - min < 2^48');
  }
  const range = max - min;
  // 48 random bits; rejection sampling drops the top sliver of 2^48 that would bias small values.
  const limit = TWO48 - (TWO48 % range);
  const r = new Uint32Array(2);
  for (;;) {
    crypto.getRandomValues(r);
    const x = (r[0] & 0xffff) * TWO32 + r[1];
    if (x < limit) return min + (x % range);
  }
}

/** The cluster key's primitives (transports/crypto.ts) are Node's; the page API takes no key yet, so a call is a
 *  mistake worth a clear message rather than a missing export at build time. */
export function createHmac(): never {
  throw new Error('pollen in the browser: cluster keys are not supported yet (no HMAC here)');
}

export function createCipheriv(): never {
  throw new Error('pollen in the browser: cluster keys are not supported yet (no AES here)');
}
