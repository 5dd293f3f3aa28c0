/**
 * Which incarnations a peer can claim (issue 12). An incarnation grows at every restart: by one (a board's saved
 * counter, targets/espruino/board.ts) or to the seconds since 2020 (transports/driver.ts, the browser page), so
 * it fits an unsigned 32-bit integer for a century (the board stores it so), and a peer's next life is never
 * far past its last one. Without a cluster key anyone can claim an incarnation "from" a neighbour; every layer
 * that remembers a peer's incarnation then takes the peer's real (lower) frames for a dead life's, which cut
 * the neighbour off for good. A claim past either bound below cannot be true and is refused:
 * - past MAX_INCARNATION: the node drops the frame at the envelope (dropped.incarnation);
 * - more than INCARNATION_SLACK past the one known of that peer: the layer that knows it ignores the message
 *   and counts "<layer>.inc.implausible" (hv, full, cs, ae).
 * A plausible forgery (a little past the known one) is still possible without a key: HyParView and anti-entropy
 * believe the older life again once the newer has sent nothing for a while (hv.inc.revert, ae.inc.revert), full
 * and client-server membership drop the member as silent and admit its real life afresh; with a key the frame
 * never gets past its tag.
 *
 *   plausibleIncarnation(5, 6);          // true: a restart
 *   plausibleIncarnation(5, 2 ** 40);    // false
 */

/** The largest incarnation: 2^32 − 1. */
export const MAX_INCARNATION = 4294967295;

/** How far past the incarnation known of a peer its next one may be: 2^30 (34 years of seconds; a counter of
 *  restarts never gets there). */
export const INCARNATION_SLACK = 1073741824;

/** Can a peer whose incarnation is known to be `known` (-1: none known) now be in incarnation `inc`? */
export function plausibleIncarnation(known: number, inc: number): boolean {
  return inc <= MAX_INCARNATION && (known < 0 || inc - known <= INCARNATION_SLACK);
}
