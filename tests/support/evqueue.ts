/**
 * The event order of the test pumps (tests/runtime/net.ts, tests/support/plumpump.ts): earliest time first, ties
 * in the order queued (by the sequence number `n`), so a seeded run replays exactly.
 *
 *   const q = [{ at: 5, n: 0 }, { at: 5, n: 1 }];
 *   takeNext(q, 10); // { at: 5, n: 0 }, removed from q
 *   takeNext(q, 4);  // undefined: nothing due by time 4
 */

/** Remove and return the first event due by `until` (ms), or undefined if none is (a linear scan: queues are small). */
export function takeNext<E extends { at: number; n: number }>(q: E[], until: number): E | undefined {
  let best = -1;
  for (let i = 0; i < q.length; i++) {
    const e = q[i];
    if (best < 0 || e.at < q[best].at || (e.at === q[best].at && e.n < q[best].n)) best = i;
  }
  if (best < 0 || q[best].at > until) return undefined;
  return q.splice(best, 1)[0];
}
