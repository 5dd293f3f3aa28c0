/**
 * The one doubling backoff of Pollen: every membership manager's JOIN retries (full.ts and clientserver.ts
 * through membership/peers.ts, HyParView's isolation retries in membership/health.ts) and every link's
 * reconnections (transports/link.ts, which adds jitter) wait this long.
 *
 *   backoff(1000, 16000, 0);   // 1000: the first wait is the base
 *   backoff(1000, 16000, 3);   // 8000: doubled three times
 *   backoff(1000, 16000, 9);   // 16000: never past the cap
 *
 * Why a cap and no end: a board keeps looking for its overlay or its broker for as long as it runs, so the
 * retries never stop, but their rate is bounded by `max`.
 */

/** `base` doubled `doublings` times (none when 0 or less), at most `max`. The loop stops at the cap, so a huge
 *  count costs a few iterations and never overflows. */
export function backoff(base: number, max: number, doublings: number): number {
  let t = base;
  for (let i = 0; i < doublings && t < max; i++) t = t * 2;
  return t < max ? t : max;
}
