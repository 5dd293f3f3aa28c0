/**
 * The simulator's own seeded random source and the distributions its link model draws from. Every stream is
 * derived from the scenario seed and a fixed salt, so adding draws to one stream (say, more link loss) never
 * shifts another (which nodes crash, who sends).
 *
 *   const r = new Random(7, SALT_LINKS);
 *   r.float();                                   // [0, 1)
 *   r.draw({ dist: 'normal', mean: 20, sd: 5 }); // a latency in ms, never below 0
 *
 * The generator is sfc32 (Chris Doty-Humphrey's small fast counting generator, from PractRand): 128 bits of
 * state, passes PractRand and BigCrush, and costs a few integer operations per draw. The nodes keep their own
 * generators (runtime/rng.ts); this one only decides what the network and the scenario do.
 */

/** Stream salts: one per concern of the simulator. */
export const SALT_LINKS = 1;
export const SALT_CHURN = 2;
export const SALT_WORK = 3;
export const SALT_NODES = 4;

/** A latency (or any non-negative delay) in ms: a constant, or a distribution. */
export type Dist =
  | number
  | { dist: 'fixed'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  /** Normal, cut at `min` (default 0): the spread of a busy link. */
  | { dist: 'normal'; mean: number; sd: number; min?: number }
  /** `min` plus an exponential tail of mean `mean - min`: queueing on a shared medium. */
  | { dist: 'exponential'; mean: number; min?: number }
  /** Log-normal with the given median and sigma (of the underlying normal): long-tailed WAN latency. */
  | { dist: 'lognormal'; median: number; sigma: number };

/** Mix a seed and a salt into a 32-bit value (splitmix32-style finaliser), so nearby seeds give unrelated streams. */
export function mix(seed: number, salt: number): number {
  let h = (Math.floor(seed) ^ Math.imul(salt + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** A cached second normal variate from the Box–Muller pair. */
  private spare = NaN;

  constructor(seed: number, salt = 0) {
    this.a = mix(seed, salt);
    this.b = mix(seed, salt + 101);
    this.c = mix(seed, salt + 202);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** true with probability p (no draw at all when p is 0, so a lossless link costs nothing). */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** k distinct indices of [0, n) in random order (k ≤ n). */
  sample(n: number, k: number): number[] {
    const a = new Array<number>(n);
    for (let i = 0; i < n; i++) a[i] = i;
    const m = Math.min(k, n);
    for (let i = 0; i < m; i++) {
      const j = i + this.below(n - i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    a.length = m;
    return a;
  }

  /** A draw from a distribution; never negative. */
  draw(d: Dist): number {
    if (typeof d === 'number') return d;
    switch (d.dist) {
      case 'fixed':
        return d.value;
      case 'uniform':
        return d.min + this.float() * (d.max - d.min);
      case 'normal':
        return Math.max(d.min ?? 0, d.mean + d.sd * this.normal());
      case 'exponential': {
        const min = d.min ?? 0;
        let u = 0;
        while (u === 0) u = this.float();
        return min - Math.log(u) * Math.max(0, d.mean - min);
      }
      case 'lognormal':
        return d.median * Math.exp(d.sigma * this.normal());
    }
  }
}

/** Check a Dist from a scenario file; returns an error message or null. */
export function checkDist(d: unknown, what: string): string | null {
  const bad = (m: string) => what + ': ' + m;
  if (typeof d === 'number') return d >= 0 && Number.isFinite(d) ? null : bad('a delay must be a finite number ≥ 0');
  if (typeof d !== 'object' || d === null) return bad('expected a number or { dist: ... }');
  const o = d as Record<string, unknown>;
  const num = (k: string, optional = false): string | null => {
    if (o[k] === undefined && optional) return null;
    return typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0 ? null : bad(k + ' must be a finite number ≥ 0');
  };
  switch (o.dist) {
    case 'fixed':
      return num('value');
    case 'uniform':
      return num('min') ?? num('max') ?? ((o.min as number) <= (o.max as number) ? null : bad('min > max'));
    case 'normal':
      return num('mean') ?? num('sd') ?? num('min', true);
    case 'exponential':
      return num('mean') ?? num('min', true);
    case 'lognormal':
      return num('median') ?? num('sigma');
    default:
      return bad('unknown dist ' + JSON.stringify(o.dist) + ' (fixed, uniform, normal, exponential, lognormal)');
  }
}

/** The mean of a distribution, for reports. */
export function meanOf(d: Dist): number {
  if (typeof d === 'number') return d;
  switch (d.dist) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return (d.min + d.max) / 2;
    case 'normal':
      return d.mean;
    case 'exponential':
      return d.mean;
    case 'lognormal':
      return d.median * Math.exp((d.sigma * d.sigma) / 2);
  }
}
