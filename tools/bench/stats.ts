/**
 * The benchmarks' small statistics, in one place so that every table computes a median or a mean the same way.
 *
 *   median([3, 1, 2]);   // 2
 *   mean([]);            // NaN (printed as '–' by the tables, rather than a made-up 0)
 */

/** The middle value; for an even count, the mean of the two middle values. Does not reorder `xs`. */
export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The arithmetic mean, NaN for no values. */
export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
