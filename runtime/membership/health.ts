/**
 * Overlay health for HyParView (runtime/membership/hyparview.ts), after the seed's Sprinter: probabilistic
 * protocols leave holes, and this is the path that closes them, so that connectivity does not rest on luck.
 *
 * - Liveness. Every `keepalive` (the tick) each active peer whose link has no up/down is sent KEEPALIVE
 *   when it has been silent for half a period, and is dropped as failed after `peerTimeout` of silence. Any
 *   frame of the peer's life counts as hearing it (hyparview.ts heard). A peer silent for a whole period (an
 *   exchange went unanswered) is suspected: a KEEPALIVE every `quickPeriod`, and failed after `quickProbes` in
 *   a row unanswered ('hv.failed.quick'), a few seconds after a crash rather than peerTimeout. On a link where
 *   KEEPALIVEs often go unanswered (counted per link) a suspicion gets more probes
 *   (probesFor), so loss alone next to never fails a live peer. A peer whose
 *   link reports up/down is watched by its link and only probed for symmetry, every `probePeriod`.
 * - Symmetry. KEEPALIVE and PROBE are sent only to active peers, so each one says "you are my neighbour"; the
 *   answer (KEEPALIVE_ACK / PROBE_REPLY [held]) says whether that holds both ways. The receiver of a probe from
 *   a peer it does not hold takes it as a neighbour when it has room (counted 'hv.repair.accepted'); otherwise
 *   it answers held = 0, and the sender, finding its link one-sided ('hv.asymmetric'), moves the peer to its
 *   passive view and asks it again with NEIGHBOR: accepted, the link is whole again ('hv.repair.renewed');
 *   refused or unanswered, it stays dropped and the slot is refilled ('hv.repair.dropped').
 * - Isolation. A member whose active view is empty is isolated: it reports so with an 'isolated' event and
 *   'hv.isolated', promotes passive peers one high-priority NEIGHBOR at a time (hyparview.ts refill), and on
 *   the `hv.join` timer sends JOIN to its contacts in turn, every `joinTimeout` for FIRST_RETRIES retries, then
 *   backing off by doubling up to `backoffMax` ('hv.rejoin'); with no backup left it takes the peers it has
 *   heard from (the incarnation table) as backups ('hv.adopted'). Retries never stop (a board keeps looking for its overlay), but their rate is
 *   bounded. The first neighbour cancels the timer and resets the backoff.
 * - Passive checks. An isolated node whose passive view held only dead peers knows no one alive; the live nodes
 *   that still hold it in their passive views are its only way back, and a full view never asks its backups.
 *   So when an active peer fails (a sign its backups, as old, may have failed too), and every shuffle period
 *   while its active view is not full, the node sweeps a copy of its passive view, `passiveChecks` low-priority
 *   NEIGHBORs at a time and as many again per free active slot (ASK_CHECK; hyparview.ts's retries and timeout): a dead entry is dropped ('hv.check.dead'), a full peer refuses ('hv.check.alive'), and a peer
 *   with room accepts ('hv.check.accepted'). Held there when this view is full, the link is declined with
 *   DISCONNECT as for any late accept, which leaves this node in the peer's passive view: an isolated peer then
 *   asks it back with high priority, which cannot be refused. A full view with no sweep checks one random
 *   passive peer per shuffle period, so a node isolated long after the failure is still found ('hv.sweep' counts
 *   sweeps, each at most passiveSize checks; a failure during a sweep does not start another).
 *
 *   tick(s, ctx, ops);                     // KEEPALIVE to silent peers, failures after peerTimeout
 *   onProbe(s, ctx, ops, 'b', KEEPALIVE_ACK); // ctx.send('b', KEEPALIVE_ACK, [1], CLS_CONTROL) if b is active
 *
 * It acts on the views only through `Ops`, which hyparview.ts hands in, so the two files do not import each
 * other's code.
 */
import type { Ctx } from '../context.ts';
import { CLS_CONTROL } from '../io.ts';
import type { PeerId } from '../io.ts';
import { KEEPALIVE, PROBE } from '../messages.ts';
import { below } from '../rng.ts';
import { backoff } from '../backoff.ts';
import type { Item } from '../../crdt/types.ts';
import type { HvState } from './hyparview.ts';

/** The isolation and join-retry timer. */
export const TIMER_JOIN = 'hv.join';
/** The quick-probe timer, armed while an active peer is suspected (quick below). */
export const TIMER_QUICK = 'hv.quick';
/** Retries at the base delay before the backoff starts doubling: 3 keeps a JOIN lost to 20% loss (both ways)
 *  from costing more than a few seconds in all but 1 of 60 joins (0.36^4); a guess. */
export const FIRST_RETRIES = 3;
/** A NEIGHBOR request that renews a link found one-sided (hyparview.ts's own are ASK_FILL). */
export const ASK_REPAIR = 2;
/** A low-priority NEIGHBOR that checks a passive peer (sweep and checkOne below). */
export const ASK_CHECK = 3;

/** What health may do to the views (implemented in hyparview.ts). */
export interface Ops {
  addActive(s: HvState, ctx: Ctx, p: PeerId): void;
  addPassive(s: HvState, ctx: Ctx, p: PeerId, prefer: PeerId[] | null): void;
  removeActive(s: HvState, p: PeerId): boolean;
  failActive(s: HvState, ctx: Ctx, p: PeerId, reason: string, tell: boolean): void;
  ask(s: HvState, ctx: Ctx, p: PeerId, why: number, high: boolean): void;
  sendJoin(s: HvState, ctx: Ctx): void;
}

/** Send a message that may change the receiver's views, stamped with this node's view version (hyparview.ts:
 *  `ver`), so the receiver can tell it from a late one of an older link. */
export function say(s: HvState, ctx: Ctx, to: PeerId, type: number, rest: Item[]): void {
  ctx.send(to, type, ([s.ver] as Item[]).concat(rest), CLS_CONTROL);
}

export function isIsolated(s: HvState): boolean {
  return s.member && !s.left && s.active.length === 0;
}

/** Report a change of isolation and arm (or cancel) the retry timer. Called after every input. */
export function watchIsolation(s: HvState, ctx: Ctx): void {
  const iso = isIsolated(s);
  if (iso === s.isolated) return;
  s.isolated = iso;
  ctx.emit({ type: 'isolated', isolated: iso });
  if (iso) {
    // While joining, join() has armed the timer already; that first wait is not counted as isolation.
    if (s.joining) return;
    ctx.count('hv.isolated', 1);
    s.retries = 0;
    ctx.setTimer(TIMER_JOIN, ctx.now + retryDelay(s));
  } else {
    s.joining = false;
    s.retries = 0;
    ctx.cancelTimer(TIMER_JOIN);
  }
}

/** The wait before the next join/isolation retry: joinTimeout for the first FIRST_RETRIES, then doubling up to
 *  backoffMax (runtime/backoff.ts, the backoff every manager and link uses). */
export function retryDelay(s: HvState): number {
  return backoff(s.cfg.joinTimeout, s.cfg.backoffMax, s.retries - FIRST_RETRIES);
}

/** The join/isolation timer fired: still no neighbour, so JOIN the next contact and wait twice as long. */
export function retry(s: HvState, ctx: Ctx, ops: Ops): void {
  if (!isIsolated(s)) {
    s.joining = false;
    return;
  }
  ctx.count('hv.rejoin', 1);
  ops.sendJoin(s, ctx);
  if (s.passive.length === 0) adoptKnown(s, ctx, ops);
  s.wantRefill = true;
  // The first FIRST_RETRIES go at the base delay: on a lossy link a JOIN or its reply is often just lost, and
  // that is no reason to wait longer. Only a run of failures (contacts gone) doubles the wait.
  s.retries++;
  ctx.setTimer(TIMER_JOIN, ctx.now + retryDelay(s));
}

/**
 * An isolated node whose backups all proved dead (after a mass failure) still knows the peers it has heard from:
 * the incarnation table (up to maxKnown). It takes a random passiveSize of them as backups and checks them all;
 * the dead ones are dropped as any dead backup ('hv.adopted' counts the peers taken). Paced by the isolation
 * retries, so a node that knows no live peer at all tries each known one at most once per retry.
 */
function adoptKnown(s: HvState, ctx: Ctx, ops: Ops): void {
  const ks = Object.keys(s.inc);
  const cands: PeerId[] = [];
  for (let i = 0; i < ks.length; i++) {
    const p = ks[i];
    if (p !== s.self && s.active.indexOf(p) < 0 && !(p in s.asking)) cands.push(p);
  }
  cands.sort();
  let n = 0;
  while (cands.length > 0 && n < s.cfg.passiveSize) {
    ops.addPassive(s, ctx, cands.splice(below(ctx.rng, cands.length), 1)[0], null);
    n++;
  }
  if (n === 0) return;
  ctx.count('hv.adopted', n);
  startSweep(s, ctx);
}

/** The periodic tick: keepalives and failure detection for unwatched peers, symmetry probes for watched ones. */
export function tick(s: HvState, ctx: Ctx, ops: Ops): void {
  const ps = s.active.slice();
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (p in s.watched) {
      if (ctx.now - s.probed[p] >= s.cfg.probePeriod) {
        s.probed[p] = ctx.now;
        say(s, ctx, p, PROBE, []);
      }
    } else if (ctx.now - s.seen[p] >= s.cfg.peerTimeout) {
      ops.failActive(s, ctx, p, 'keepalive', true);
    } else if (ctx.now - s.seen[p] >= s.cfg.keepalive / 2) {
      // Half a period: the peer's own keepalives or answers usually come in between, so a quiet link costs one
      // KEEPALIVE and one answer per period, and a lost one is retried at the next tick.
      keepalive(s, ctx, p);
      // Silent for a whole period: a keepalive exchange (its or this node's) has gone unanswered. Suspect it.
      if (ctx.now - s.seen[p] >= s.cfg.keepalive) suspectPeer(s, ctx, p);
    }
  }
}

/** Start quick probing of a silent active peer (no-op when quickProbes is 0 or it is suspected already). */
function suspectPeer(s: HvState, ctx: Ctx, p: PeerId): void {
  if (s.cfg.quickProbes === 0 || p in s.suspects) return;
  ctx.count('hv.suspect', 1);
  s.suspects[p] = ctx.now;
  s.quickLeft[p] = probesFor(s, p);
  if (!s.quickArmed) {
    s.quickArmed = true;
    ctx.setTimer(TIMER_QUICK, ctx.now + s.cfg.quickPeriod);
  }
}

/** Forget a suspicion (the peer left the active view). */
export function unsuspect(s: HvState, p: PeerId): void {
  delete s.suspects[p];
  delete s.quickLeft[p];
}

/** Forget what the keepalives told of a link (the peer left the active view). */
export function forgetLink(s: HvState, p: PeerId): void {
  delete s.kaOut[p];
  delete s.kaIn[p];
  delete s.kaOpen[p];
}

/** Keepalives counted per link before the counts are halved: the loss estimate follows the last few dozen. */
const KA_WINDOW = 32;
/** Keepalives a link needs before its loss is estimated; fewer: it counts only within the node's estimate. */
const KA_MIN = 4;
/** The chance of a live peer's quick probes all going unanswered that a suspicion may leave: 10^-4. A live peer
 *  is suspected at most once per keepalive period (at 30% loss each way, about one period in four), so a lossy
 *  link is failed falsely about once in 10^4 periods' suspicions. */
const FALSE_FAIL = 1e-4;

/** A KEEPALIVE to active peer `p`: open until the peer is heard (hear), since until then it may be dead. */
function keepalive(s: HvState, ctx: Ctx, p: PeerId): void {
  s.kaOpen[p] = (s.kaOpen[p] || 0) + 1;
  say(s, ctx, p, KEEPALIVE, []);
}

/**
 * Active peer `p` was heard (any frame of its life): alive now. The KEEPALIVEs sent since it was last heard are
 * settled into its link's counts (a window of KA_WINDOW): a live peer's, so those left unanswered were lost. The
 * ones sent to a peer that then proves dead (failed) never count: a crash is not loss.
 */
export function hear(s: HvState, p: PeerId, now: number): void {
  s.seen[p] = now;
  const open = s.kaOpen[p];
  if (!open) return;
  s.kaOpen[p] = 0;
  let n = (s.kaOut[p] || 0) + open;
  if (n > KA_WINDOW) {
    s.kaIn[p] = Math.floor(((s.kaIn[p] || 0) * KA_WINDOW) / 2 / n);
    n = KA_WINDOW / 2;
  }
  s.kaOut[p] = n;
}

/** The share of KEEPALIVEs left unanswered, of `out` sent and `ans` answers (a duplicated answer may make them
 *  outnumber the KEEPALIVEs, which reads as no loss); 0 below KA_MIN sent. */
function unanswered(out: number, ans: number): number {
  return out < KA_MIN || ans >= out ? 0 : 1 - ans / out;
}

/**
 * Quick probes a suspicion of `p` gets: quickProbes, or more where KEEPALIVEs go unanswered often, so that a live
 * peer behind a lossy link is failed with a chance of at most FALSE_FAIL (the share f of unanswered KEEPALIVEs to
 * the power of the probes). f is the larger of the link's and the node's (its active links that are not
 * suspected, summed): a young link, or one that was lucky of late, is judged by the medium the node sits on.
 * Only KEEPALIVEs to a peer heard afterwards count, and a suspected link is left out of the node's, so crashed
 * peers never pass for loss (after a mass crash the survivors' suspicions are as quick as on any clean link). At 30% loss each way
 * (f ≈ 0.5) that is 14 probes, 3.5 s at the default quickPeriod; on clean links quickProbes; never more than
 * fit before peerTimeout, which fails the peer anyway. Fixed when the suspicion starts.
 */
export function probesFor(s: HvState, p: PeerId): number {
  const base = s.cfg.quickProbes;
  let out = 0;
  let ans = 0;
  for (let i = 0; i < s.active.length; i++) {
    const q = s.active[i];
    if (q in s.suspects) continue;
    const o = s.kaOut[q] || 0;
    const a = s.kaIn[q] || 0;
    out += o;
    ans += a < o ? a : o;
  }
  const own = unanswered(s.kaOut[p] || 0, s.kaIn[p] || 0);
  const all = unanswered(out, ans);
  const f = own > all ? own : all;
  if (f <= 0) return base;
  let most = Math.floor((s.cfg.peerTimeout - s.cfg.keepalive) / s.cfg.quickPeriod);
  if (most < base) most = base;
  if (f >= 1) return most;
  const n = Math.ceil(Math.log(FALSE_FAIL) / Math.log(f));
  return n <= base ? base : n < most ? n : most;
}

/**
 * The quick timer: each suspected peer heard from since it was suspected is cleared ('hv.suspect.cleared');
 * one that has left its probes (probesFor) unanswered is failed ('hv.failed.quick'); the others get one more
 * KEEPALIVE. Runs while any peer is suspected.
 */
export function quick(s: HvState, ctx: Ctx, ops: Ops): void {
  s.quickArmed = false;
  const ps = Object.keys(s.suspects);
  let left = 0;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (s.active.indexOf(p) < 0 || s.seen[p] >= s.suspects[p]) {
      if (s.active.indexOf(p) >= 0) ctx.count('hv.suspect.cleared', 1);
      unsuspect(s, p);
    } else if (s.quickLeft[p] <= 0) {
      unsuspect(s, p);
      ops.failActive(s, ctx, p, 'quick', true);
    } else {
      s.quickLeft[p]--;
      keepalive(s, ctx, p);
      left++;
    }
  }
  if (left > 0) {
    s.quickArmed = true;
    ctx.setTimer(TIMER_QUICK, ctx.now + s.cfg.quickPeriod);
  }
}

/** KEEPALIVE or PROBE from `from`: answer whether it is held; take it when it is not but there is room. */
export function onProbe(s: HvState, ctx: Ctx, ops: Ops, from: PeerId, replyType: number): void {
  if (s.active.indexOf(from) >= 0) {
    say(s, ctx, from, replyType, [1]);
    return;
  }
  if (!s.left && s.active.length < s.cfg.activeSize) {
    ctx.count('hv.repair.accepted', 1);
    ops.addActive(s, ctx, from);
    say(s, ctx, from, replyType, [1]);
    return;
  }
  say(s, ctx, from, replyType, [0]);
}

/** The answer to a KEEPALIVE or PROBE: held = 0 means the link is one-sided, so renew it or let it go. */
export function onProbeReply(s: HvState, ctx: Ctx, ops: Ops, from: PeerId, held: boolean): void {
  // An answer to a KEEPALIVE (a watched peer gets PROBEs, whose answers say nothing of loss), for the estimate; a
  // duplicate may make the answers outnumber the keepalives, which only reads as no loss.
  if (s.active.indexOf(from) >= 0 && !(from in s.watched)) s.kaIn[from] = (s.kaIn[from] || 0) + 1;
  if (held || s.active.indexOf(from) < 0) return;
  ctx.count('hv.asymmetric', 1);
  ops.removeActive(s, from);
  ops.addPassive(s, ctx, from, null);
  ops.ask(s, ctx, from, ASK_REPAIR, s.active.length === 0);
}

/** An active peer failed: check every passive peer, a few at a time (pumpChecks). One sweep at a time. */
export function startSweep(s: HvState, ctx: Ctx): void {
  if (s.cfg.passiveChecks === 0 || s.left || s.sweep.length > 0 || s.passive.length === 0) return;
  ctx.count('hv.sweep', 1);
  s.sweep = s.passive.slice();
}

/** The shuffle tick of a full view with no sweep: check one peer drawn from the passive view and the contacts
 *  (a seed now and then, so a node that is not isolated still goes back to it: runtime/membership/component.ts). */
export function checkOne(s: HvState, ctx: Ctx): void {
  const n = s.passive.length + s.contacts.length;
  if (s.cfg.passiveChecks === 0 || s.left || s.sweep.length > 0 || n === 0) return;
  const k = below(ctx.rng, n);
  const p = k < s.passive.length ? s.passive[k] : s.contacts[k - s.passive.length];
  if (s.active.indexOf(p) < 0) s.sweep = [p];
}

/** After every input: keep checks in flight, drawn at random from the sweep: passiveChecks, and as many again
 *  per free active slot, so that a node that lost most of its neighbours (a mass failure, when most backups are
 *  dead too and each dead one costs neighborTries × neighborTimeout) finds the live ones within a few timeouts. */
export function pumpChecks(s: HvState, ctx: Ctx, ops: Ops): void {
  if (s.sweep.length === 0) return;
  let n = 0;
  const asked = Object.keys(s.asking);
  for (let i = 0; i < asked.length; i++) if (s.asking[asked[i]].why === ASK_CHECK) n++;
  const free = s.cfg.activeSize - s.active.length;
  const most = s.cfg.passiveChecks * (1 + (free > 0 ? free : 0));
  while (n < most && s.sweep.length > 0) {
    const p = s.sweep.splice(below(ctx.rng, s.sweep.length), 1)[0];
    // Gone from the view since (dropped, promoted), or asked already by refill: nothing to check.
    if ((s.passive.indexOf(p) < 0 && s.contacts.indexOf(p) < 0) || s.active.indexOf(p) >= 0 || p in s.asking) continue;
    ctx.count('hv.check.sent', 1);
    ops.ask(s, ctx, p, ASK_CHECK, false);
    n++;
  }
}
