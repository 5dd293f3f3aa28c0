/**
 * The plausibility check: does a delta claim counters its senders cannot have made? Decoding already caps every
 * claim at 2^48 (MAX_COUNT in check.ts); this compares a delta with what a node knows, for the runtime to call
 * before it joins a delta from a peer (the CRDT layer has no notion of peers or of this node, so it cannot call
 * it itself).
 *
 *   implausible(ORSet, mine, delta, { self: 'a', slack: 65536 });  // null, or why the delta is refused
 *
 * Two rules, both on Crdt.claims (the highest counter per replica: dots, counter entries, LWW timestamps):
 * - self: nobody but this replica makes its dots or counts its entry, so a delta claiming more of `self` than
 *   the node holds is forged, or the node lost state. Only meaningful when the node's state is durable (a node
 *   restarted from an old store legitimately hears its newer dots back from peers): pass self only then.
 *   Epoch ids of maps ("a.7") count as `self` too.
 * - slack: a delta (an update, not a first full-state transfer) moves a replica's claim a little past what
 *   the node knows; one that claims more than `slack` past it is refused. Pass slack = Infinity (or skip
 *   the check) for full-state transfers to a node that is catching up.
 * A refusal is a DecodeError with reason "claim" (counted like any malformed frame).
 */
import { DecodeError } from './errors.ts';
import { hasOwn } from './keys.ts';
import type { Crdt, ReplicaId } from './types.ts';

export interface Plausibility {
  /** This node's replica id, when its own state survives restarts; omitted otherwise. */
  self?: ReplicaId;
  /** How far past the known counter a delta may claim (counts, or timestamp units for LWW). */
  slack: number;
}

/** Is r an awmap epoch id of replica self, i.e. self + "." + digits? */
function isEpochOf(r: string, self: string): boolean {
  if (r.length <= self.length + 1 || r.indexOf(self + '.') !== 0) return false;
  for (let i = self.length + 1; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Why `delta`'s claims cannot be true given `known` (this node's state of the same type), or null. `mine`: the
 * claims of `known` when the caller keeps them (t.claims of it), so the check costs the delta's size alone.
 */
export function implausible<S>(t: Crdt<S, any>, known: S, delta: S, p: Plausibility, mine?: { [r: string]: number }): string | null {
  if (mine === undefined) {
    mine = {};
    t.claims(known, mine);
  }
  const theirs: { [r: string]: number } = {};
  t.claims(delta, theirs);
  const rs = Object.keys(theirs);
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    const k = hasOwn(mine, r) ? mine[r] : 0;
    if (theirs[r] <= k) continue;
    if (p.self !== undefined && (r === p.self || isEpochOf(r, p.self))) {
      return 'claims counter ' + theirs[r] + ' of this replica (' + r + '), which has made only ' + k;
    }
    if (theirs[r] - k > p.slack) {
      return 'claims counter ' + theirs[r] + ' of replica ' + r + ', ' + (theirs[r] - k) + ' past the ' + k + ' known here (slack ' + p.slack + ')';
    }
  }
  return null;
}

/** implausible() as a check: throws DecodeError "claim" with the reason. */
export function checkClaims<S>(t: Crdt<S, any>, known: S, delta: S, p: Plausibility): void {
  const why = implausible(t, known, delta, p);
  if (why !== null) throw new DecodeError('claim', t.name + ': ' + why);
}
