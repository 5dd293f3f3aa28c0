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

/** The cluster key's Node primitives (transports/crypto.ts) have no place in a page, which keys its frames with
 *  targets/browser/key.ts's clusterKey: a call is a mistake worth a clear message, not a missing export. */
export function createHmac(): never {
  throw new Error('pollen in the browser: give connect() a key made by clusterKey(hex) (node:crypto\'s HMAC is not here)');
}

export function createCipheriv(): never {
  throw new Error('pollen in the browser: a page tags frames but does not encrypt them (no synchronous AES here)');
}
