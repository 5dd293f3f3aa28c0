/**
 * The node's seeded random source (ARCHITECTURE.md, "The sans-IO contract"): a run is reproducible from its seed, and the board has
 * no Math.imul, so this is xorshift32 (Marsaglia 2003) on 32-bit shifts and xors only.
 *
 *   const r = rng(42); const i = below(r, 10); // 0..9
 */

export interface Rng {
  s: number;
}

/** A generator from any integer seed; 0 (a fixed point of xorshift) is mapped to a constant. */
export function rng(seed: number): Rng {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  if (s === 0) s = 0x6d2b79f5;
  const r = { s: s };
  // Stir so that nearby seeds (1, 2, 3 ...) do not start on nearby sequences.
  for (let i = 0; i < 8; i++) below(r, 4294967296);
  return r;
}

/** The next 32-bit unsigned value (below(r, 2^32): scaling by a power of two is exact, so it is the raw draw). */
export function next(r: Rng): number {
  return below(r, 4294967296);
}

/** A float in [0, 1). */
export function float(r: Rng): number {
  return next(r) / 4294967296;
}

/** An integer in [0, n): the generator's one step (xorshift32), so that the node, which draws through below, rng
 *  and fork only, carries one function for it on a board. */
export function below(r: Rng, n: number): number {
  let x = r.s;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  r.s = x >>> 0;
  return Math.floor((r.s / 4294967296) * n);
}

/** One element of a non-empty array, or undefined for an empty one. */
export function pick<T>(r: Rng, xs: T[]): T | undefined {
  return xs.length === 0 ? undefined : xs[below(r, xs.length)];
}

/** Up to k distinct elements of xs in random order (partial Fisher–Yates on a copy). */
export function sample<T>(r: Rng, xs: T[], k: number): T[] {
  const a = xs.slice();
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + below(r, a.length - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, n);
}

/** A derived generator for a sub-component, so adding draws in one component does not shift another's. */
export function fork(r: Rng, salt: number): Rng {
  return rng((below(r, 4294967296) ^ Math.floor(salt * 2654435761)) >>> 0);
}
