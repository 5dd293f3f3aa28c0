/**
 * Claims checked where remote deltas are joined (issue 12): a delta claiming counters of a replica far past what
 * this node knows of it is refused before the join (crdt/claims.ts holds the rule, this module its place in the
 * runtime). Decoding caps every claim at 2^48; without this a peer could still push a replica's counter or
 * entry next to the cap in one small frame, after which that replica's own updates fail ("overflow") for good.
 *
 *   const why = claimRefusal(store, 'cart', 'orset', delta);   // '' when plausible
 */
import type { Crdt } from '../crdt/types.ts';
import { implausible } from '../crdt/claims.ts';
import { typeOf } from '../crdt/registry.ts';
import { get, type Store } from './store.ts';

/**
 * How far past the known counter a delta may claim: 2^42. No replica makes 2^42 (4.4 × 10^12) updates between
 * two deltas of it that reach a node, and an LWW timestamp in ms (the unit Pollen's own writers use) stays below
 * 2^42 until the year 2109, so a first delta of an LWW variable still passes; a claim at the 2^48 cap does not.
 */
export const CLAIM_SLACK = 4398046511104;

/**
 * Why the delta's claims cannot be true given this node's state of `id` (bottom when it has none), or ''.
 * `self`: this node's replica id when it is new to this life (an epoch, runtime/replica.ts), else ''. Every dot
 * and entry of such a replica was made by this process and is in its state, so a delta claiming more of it is
 * forged (a peer pushing this node's own counter to the cap, after which its updates would fail); a replica id
 * without an epoch may come back from peers ahead of a state the node lost, so it gets the slack alone.
 */
export function claimRefusal(store: Store, id: string, spec: string, delta: unknown, self: string): string {
  const v = get(store, id);
  const t = (v ? v.type : typeOf(store.types, spec)) as Crdt<any, any>;
  // A core table (a board's, crdt/core.ts) carries no claims: such a profile does not check them.
  if (typeof t.claims !== 'function') return '';
  // The state's claims, taken once and then raised by the store as it joins (see Variable.claims).
  if (v && (v.claims === undefined || v.claimsOf !== v.state)) {
    v.claims = {};
    t.claims(v.state, v.claims);
    v.claimsOf = v.state;
    v.claimsLeft = Object.keys(v.claims).length + 64;
  }
  const p = self === '' ? { slack: CLAIM_SLACK } : { self: self, slack: CLAIM_SLACK };
  const why = v ? implausible(t, v.state, delta, p, v.claims) : implausible(t, t.bottom(), delta, p);
  return why === null ? '' : why;
}
