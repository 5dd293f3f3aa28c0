/**
 * HMAC-SHA256 (FIPS 180-4, RFC 2104) in plain JavaScript, synchronous: a node seals and checks frames inside
 * `step`, which cannot wait, and Web Crypto's HMAC answers only with a promise. Checked against node:crypto in
 * tests/targets/browser-key.test.ts. Frames are small (a link's maxFrame), so speed is not the point; size is.
 *
 *   hmacSha256(key, data);   // 32 bytes
 */
const K = /* @__PURE__ */ new Uint32Array(64);
/** The initial hash, filled with K on first use: a page that never hashes runs none of this. */
const H0 = /* @__PURE__ */ new Uint32Array(8);

function fill(): void {
  // The round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes; the
  // initial hash: the same for the square roots of the first 8 primes.
  for (let n = 2, i = 0; i < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    if (i < 8) H0[i] = ((Math.sqrt(n) % 1) * 4294967296) >>> 0;
    K[i++] = ((Math.cbrt(n) % 1) * 4294967296) >>> 0;
  }
}

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

export function sha256(data: Uint8Array): Uint8Array {
  if (K[0] === 0) fill();
  // Padding: 0x80, zeros, then the bit length as 64 bits big-endian, to a multiple of 64 bytes.
  const blocks = Math.ceil((data.length + 9) / 64);
  const m = new Uint8Array(blocks * 64);
  m.set(data);
  m[data.length] = 0x80;
  const view = new DataView(m.buffer);
  view.setUint32(m.length - 8, Math.floor(data.length / 536870912));
  view.setUint32(m.length - 4, (data.length * 8) >>> 0);
  const h = H0.slice();
  const w = new Uint32Array(64);
  for (let b = 0; b < m.length; b += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(b + t * 4);
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let a = h[0], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7], bb = h[1];
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]);
  return out;
}

/** HMAC-SHA256 of `data` under `key` (a key longer than the 64-byte block is hashed first). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = new Uint8Array(64);
  k.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(96);
  for (let i = 0; i < 64; i++) {
    inner[i] = k[i] ^ 0x36;
    outer[i] = k[i] ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}
