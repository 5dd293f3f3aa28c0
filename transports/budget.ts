/**
 * Per-peer receive budgets (issue 12, "fair links"): a token bucket per peer in frames and in bytes, so that one
 * peer sending at full rate costs this node at most its budget of work and the other peers keep theirs.
 *
 *   const b = new PeerBudgets(budgetKnobs(options.budget, 'mqtt link'));   // or new PeerBudgets(): the defaults
 *   if (!b.admit('evil', 1200, Date.now())) drop();     // MQTT: a frame past the budget is dropped and counted
 *   const wait = b.charge('b', 40, 65536, Date.now());   // TCP: always taken, then the socket rests `wait` ms
 *
 * Two ways to spend: `admit` (a frame past the budget is refused and costs nothing; for links that cannot push
 * back, like MQTT where every peer shares one broker connection) and `charge` (the frame is taken and the budget
 * may go into debt; the caller stops reading that peer until the debt is paid: TCP pauses the socket, so the
 * flooder's own kernel buffers fill and TCP flow control slows it, while nothing of an honest burst is lost).
 *
 * Buckets are kept for at most `maxPeers` peers. Policy when full: a peer not yet known shares one overflow
 * bucket with every other newcomer, so a flood of made-up sender ids (any MQTT client can publish under any id)
 * cannot evict the buckets of known peers nor multiply its own budget; when room is needed, buckets that are
 * full and have been quiet for a whole burst are forgotten.
 */
import { bytes, count, linkKnobs, whole } from './options.ts';

export interface BudgetOptions {
  /** Frames per second a peer may send on average. */
  frames?: number;
  /** Bytes per second a peer may send on average. */
  bytes?: number;
  /** Seconds of the average rate a peer may send at once (the bucket's depth). */
  burst?: number;
  /** Peers with a bucket of their own. */
  maxPeers?: number;
}

/**
 * The defaults, and why: 1,000 frames and 1 MiB per second per peer is tens of times what Pollen's own traffic
 * needs between two nodes (Plumtree payloads and announcements, anti-entropy rounds every few hundred ms, a full
 * state transfer of a few hundred KB when a node catches up), so an honest peer never meets it; an attacker on
 * the same network gets no more of this node's CPU than that. A burst of 2 s absorbs a catch-up transfer.
 */
export const RECEIVE_BUDGET = { frames: 1000, bytes: 1 << 20, burst: 2, maxPeers: 1024 };
// Pure calls: a bundle that never checks budget options drops the table.
const RANGES = { frames: /* @__PURE__ */ count(1), bytes: /* @__PURE__ */ bytes(1), burst: /* @__PURE__ */ whole(1, 3600, 'seconds'), maxPeers: /* @__PURE__ */ count(1) };

/** Budget options checked against their ranges (transports/options.ts): throws, naming `who` and the knob, when
 *  one is out of range; the defaults for those left out. */
export function budgetKnobs(o: BudgetOptions | undefined, who: string): Required<BudgetOptions> {
  return linkKnobs(who + ': budget', RECEIVE_BUDGET, RANGES, o || {});
}

interface Bucket {
  frames: number;
  bytes: number;
  at: number;
}

/** The overflow bucket's key; not a peer id (ids are 1..64 bytes, this one is longer than any is allowed to be). */
const OVERFLOW = '\u0000overflow';

export class PeerBudgets {
  readonly frames: number;
  readonly bytes: number;
  readonly burst: number;
  readonly maxPeers: number;
  private buckets: { [peer: string]: Bucket } = Object.create(null);
  private n = 0;
  private swept = -Infinity;
  /** Frames refused by admit, or charged past the budget. */
  over = 0;

  /** `o`'s knobs as they are, RECEIVE_BUDGET's for those it leaves out: check options from a caller with
   *  budgetKnobs first (the links do), so that a page that takes the defaults carries no checks. */
  constructor(o?: BudgetOptions) {
    const k = RECEIVE_BUDGET;
    this.frames = o && o.frames !== undefined ? o.frames : k.frames;
    this.bytes = o && o.bytes !== undefined ? o.bytes : k.bytes;
    this.burst = o && o.burst !== undefined ? o.burst : k.burst;
    this.maxPeers = o && o.maxPeers !== undefined ? o.maxPeers : k.maxPeers;
  }

  private bucket(peer: string, now: number): Bucket {
    let b = this.buckets[peer];
    if (b === undefined) {
      // At most one sweep a second: a flood of fresh ids must not cost a walk over the table per frame.
      if (this.n >= this.maxPeers && now - this.swept >= 1000) {
        this.swept = now;
        this.forgetFull(now);
      }
      if (this.n >= this.maxPeers) peer = OVERFLOW;
      b = this.buckets[peer];
      if (b === undefined) {
        b = { frames: this.frames * this.burst, bytes: this.bytes * this.burst, at: now };
        this.buckets[peer] = b;
        if (peer !== OVERFLOW) this.n++;
      }
    }
    const dt = Math.max(0, now - b.at) / 1000;
    b.at = now;
    b.frames = Math.min(this.frames * this.burst, b.frames + dt * this.frames);
    b.bytes = Math.min(this.bytes * this.burst, b.bytes + dt * this.bytes);
    return b;
  }

  /** Forget buckets that would be full by now: their peers have been within budget long enough. */
  private forgetFull(now: number): void {
    for (const p in this.buckets) {
      if (p === OVERFLOW) continue;
      const b = this.buckets[p];
      const dt = Math.max(0, now - b.at) / 1000;
      // Quiet for a whole burst as well as full: an honest peer sending slowly but steadily keeps its bucket (else
      // a flood of made-up ids would push it into the overflow bucket they exhaust).
      if (dt >= this.burst && b.frames + dt * this.frames >= this.frames * this.burst && b.bytes + dt * this.bytes >= this.bytes * this.burst) {
        delete this.buckets[p];
        this.n--;
      }
    }
  }

  /** Take one frame of `size` bytes if the peer's budget holds it; false (nothing taken) when it does not. */
  admit(peer: string, size: number, now: number): boolean {
    const b = this.bucket(peer, now);
    if (b.frames < 1 || b.bytes < size) {
      this.over++;
      return false;
    }
    b.frames -= 1;
    b.bytes -= size;
    return true;
  }

  /** Take `frames` frames of `size` bytes in all, into debt if need be; returns the ms until the debt is paid. */
  charge(peer: string, frames: number, size: number, now: number): number {
    const b = this.bucket(peer, now);
    b.frames -= frames;
    b.bytes -= size;
    if (b.frames >= 0 && b.bytes >= 0) return 0;
    this.over += frames;
    return Math.ceil(1000 * Math.max(-b.frames / this.frames, -b.bytes / this.bytes));
  }

  /** Peers with a bucket of their own (the overflow bucket not counted). */
  size(): number {
    return this.n;
  }
}
