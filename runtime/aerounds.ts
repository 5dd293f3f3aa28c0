/**
 * Anti-entropy's digest rounds (runtime/antientropy.ts): the DIGEST offer, the request of the variables whose
 * digest differs, their STATEs and the ACK that closes the round. A round offers every variable to a neighbour the
 * delta buffer no longer covers (new, restarted, or behind an overflow) and moves its ack to the round's mark; a
 * check offers only the variables whose deltas Plumtree pushed to the neighbour (AeDoubt) and leaves the ack as
 * it is. Closing a round changes what the buffer must keep: the caller runs its gc after each message.
 */
import type { Item } from '../crdt/types.ts';
import { cmpStr, hasOwn } from '../crdt/keys.ts';
import { encode } from '../crdt/codec/cbor.ts';
import type { Ctx } from './context.ts';
import { CLS_CONTROL, CLS_STATE } from './io.ts';
import type { PeerId } from './io.ts';
import { ACK, DIGEST, STATE } from './messages.ts';
import { fnv1a } from './digest.ts';
import * as admission from './admission.ts';
import { type Store, type Variable, get, ids } from './store.ts';
import type { AeDoubt, AePeer, AeState } from './antientropy.ts';
import { type Body, held } from './aewire.ts';

export function digestOf(v: Variable): number {
  if (v.digest < 0) {
    const bytes = encode(v.type.encode(v.state));
    v.digest = fnv1a(bytes);
    // The encoding is at hand: the size estimate becomes exact for free.
    v.bytes = bytes.length;
  }
  return v.digest;
}

export function startRound(ae: AeState, ctx: Ctx, store: Store, peer: PeerId, p: AePeer): void {
  p.mark = ae.seq;
  p.pending = null;
  // Every variable is offered: doubts are covered.
  p.checked = null;
  p.doubt = null;
  ctx.count('ae.rounds', 1);
  sendOffer(ctx, store, peer, p);
}

/** The offer of the open round: every variable the neighbour hears, or in a check the variables checked, or
 *  `only` these. */
export function sendOffer(ctx: Ctx, store: Store, peer: PeerId, p: AePeer, only?: string[]): void {
  p.sentAt = ctx.now;
  const names = only !== undefined ? only : p.checked !== null ? p.checked : ids(store);
  const offers: Item[] = [];
  for (let i = 0; i < names.length; i++) {
    const v = get(store, names[i]);
    if (!v) continue;
    // Selective hearing: a neighbour is offered only what it wants to hear of.
    if (!ctx.hears || ctx.hears(peer, v.id)) offers.push([v.id, v.spec, digestOf(v)]);
  }
  ctx.send(peer, DIGEST, [0, p.mark, offers], CLS_CONTROL);
}

/**
 * The open round's last step again, once `retry` ms passed without an answer. After STATEs that held a state in
 * parts, the variables still pending are offered again instead: an ack names a variable, not which of its parts
 * arrived, and the neighbour has joined those that did, so its digests say whether anything is still missing
 * (it requests only those variables, or closes the round). Resending every part at each retry would, on a lossy
 * link, never see all of them acknowledged at once.
 */
export function retry(ae: AeState, ctx: Ctx, store: Store, peer: PeerId, p: AePeer): void {
  if (ctx.now - p.sentAt < ae.cfg.retry) return;
  ctx.count('ae.retries', 1);
  if (p.pending === null) sendOffer(ctx, store, peer, p);
  else if (!p.parted) sendStates(ae, ctx, store, peer, p);
  else {
    const left = p.pending.slice().sort(cmpStr);
    const names: string[] = [];
    for (let i = 0; i < left.length; i++) if (i === 0 || left[i] !== left[i - 1]) names.push(left[i]);
    p.pending = null;
    p.parted = false;
    sendOffer(ctx, store, peer, p, names);
  }
}

/**
 * Check the doubted variables that are due (quiet for a period, or doubted for `wait`) with a DIGEST offer of them
 * alone: on a healthy cluster the neighbour answers "nothing needed" and no delta or state goes.
 */
export function startCheck(ae: AeState, ctx: Ctx, store: Store, peer: PeerId, p: AePeer): void {
  const due: string[] = [];
  const ds = p.doubt as AeDoubt[];
  for (let i = ds.length - 1; i >= 0; i--) {
    const d = ds[i];
    const quiet = !hasOwn(ae.changed, d.id) || ctx.now - ae.changed[d.id] >= ae.cfg.period;
    if (!quiet && ctx.now - d.first < ae.wait) continue;
    ds.splice(i, 1);
    if (get(store, d.id) && (!ctx.hears || ctx.hears(peer, d.id))) due.push(d.id);
  }
  if (ds.length === 0) p.doubt = null;
  if (due.length === 0) return;
  p.mark = ae.seq;
  p.pending = null;
  p.checked = due.sort(cmpStr);
  ctx.count('ae.checks', 1);
  sendOffer(ctx, store, peer, p);
}

export function onOffer(ae: AeState, ctx: Ctx, store: Store, from: PeerId, inc: number, m: Body): void {
  const need: string[] = [];
  let room = store.maxVars - ae.adm.reserve - store.count;
  for (let i = 0; i < m.offers.length; i++) {
    const id = m.offers[i][0] as string;
    const v = get(store, id);
    if (v) {
      if (v.spec !== m.offers[i][1]) ctx.count('ae.spec-mismatch', 1);
      else if (digestOf(v) !== m.offers[i][2]) need.push(id);
    } else if (ctx.wants && !ctx.wants(id)) {
      // Not asked for: never requested, so never held (selective hearing).
    } else {
      const spec = held(store.types, m.offers[i][1] as string);
      const why = spec === null ? 'spec-unknown' : room > 0 ? admission.refusal(ae.adm, store, id, spec, from) : 'full';
      if (why === 'spec-unknown') ctx.count('ae.spec-unknown', 1);
      else if (why === '') {
        need.push(id);
        room--;
      } else ctx.count('admit.' + why, 1);
    }
  }
  if (need.length === 0) ctx.send(from, ACK, [1, inc, m.n, []], CLS_CONTROL);
  else ctx.send(from, DIGEST, [1, inc, m.n, need], CLS_CONTROL);
}

export function onRequest(ae: AeState, ctx: Ctx, store: Store, from: PeerId, p: AePeer | undefined, m: Body): void {
  if (!p || m.inc !== ae.inc || p.mark !== m.n) {
    ctx.count('ae.stale', 1);
    return;
  }
  const pending: string[] = [];
  for (let i = 0; i < m.ids.length; i++) {
    const id = m.ids[i];
    if (get(store, id) && pending.indexOf(id) < 0) pending.push(id);
  }
  p.pending = pending;
  if (pending.length === 0) finishRound(ae, p, true);
  else sendStates(ae, ctx, store, from, p);
}

/**
 * The full states of the round's pending variables, in frames of about maxFrameBytes. A state larger than that
 * goes in parts (its decomposition, parts joined in groups of about maxFrameBytes): each frame is then a state
 * of its own that the receiver joins and acknowledges, and none is too large for a link to carry (a link refuses
 * a frame past its maxFrame, and a whole state resent at every retry would never arrive). `p.pending` lists a
 * variable once per frame that holds it, so the round closes only when every part was acknowledged.
 */
function sendStates(ae: AeState, ctx: Ctx, store: Store, to: PeerId, p: AePeer): void {
  p.sentAt = ctx.now;
  p.parted = false;
  const pending = (p.pending as string[]).slice().sort(cmpStr);
  const sent: string[] = [];
  let entries: Item[] = [];
  let budget = 0;
  for (let i = 0; i < pending.length; i++) {
    if (i > 0 && pending[i] === pending[i - 1]) continue;
    const v = get(store, pending[i]) as Variable;
    const enc = v.type.encode(v.state);
    const size = encode(enc).length + v.id.length + v.spec.length;
    const parts = size > ae.cfg.maxFrameBytes ? partsOf(ae, ctx, v) : [enc];
    if (parts.length > 1) p.parted = true;
    for (let k = 0; k < parts.length; k++) {
      if (entries.length > 0 && budget + size > ae.cfg.maxFrameBytes) {
        sendState(ctx, to, p.mark, entries, sent);
        entries = [];
        budget = 0;
      }
      entries.push([v.id, v.spec, parts[k]]);
      // A part has its frame to itself (size is then the whole state's, past the bound).
      budget += size;
    }
  }
  if (entries.length > 0) sendState(ctx, to, p.mark, entries, sent);
  p.pending = sent;
}

/** Bytes a part's group leaves for the rest of its frame (the envelope with a 64-byte sender id, the STATE body's
 *  head, the variable's id and spec, a cluster key's 20): a group then fits a link of maxFrameBytes, a board's
 *  1 KB included. */
const ENVELOPE_ROOM = 160;

/**
 * A state too large for one frame, as the wire items of states of about maxFrameBytes whose join is it. A part
 * that alone is larger than a frame any peer decodes (`ae.maxFrame`, the node's own decode limit: one huge value)
 * can never cross: it is left out and counted (`ae.state.oversize`) rather than sent again at every round.
 */
function partsOf(ae: AeState, ctx: Ctx, v: Variable): Item[] {
  const parts = v.type.decompose(v.state);
  const out: Item[] = [];
  let acc: unknown = null;
  let bytes = 0;
  for (let i = 0; i < parts.length; i++) {
    const size = encode(v.type.encode(parts[i])).length;
    if (size + v.id.length + v.spec.length > ae.maxFrame) {
      ctx.count('ae.state.oversize', 1);
      continue;
    }
    if (acc !== null && bytes + size > ae.cfg.maxFrameBytes - ENVELOPE_ROOM) {
      out.push(v.type.encode(acc));
      acc = null;
    }
    if (acc === null) {
      acc = v.type.bottom();
      bytes = 0;
    }
    acc = v.type.joinInto(acc, parts[i]);
    bytes += size;
  }
  if (acc !== null) out.push(v.type.encode(acc));
  return out;
}

/** One STATE frame; `sent` gets each of its variables once (the acknowledgement the round waits for). */
function sendState(ctx: Ctx, to: PeerId, mark: number, entries: Item[], sent: string[]): void {
  ctx.send(to, STATE, [mark, entries], CLS_STATE);
  ctx.count('ae.states', entries.length);
  for (let i = 0; i < entries.length; i++) sent.push((entries[i] as Item[])[0] as string);
}

/** `clean`: nothing was needed. A check that found nothing lets changing variables wait longer for the next
 *  (up to 8 × verify); one that repaired something brings the wait back to `verify`. */
function finishRound(ae: AeState, p: AePeer, clean: boolean): void {
  if (p.checked !== null) {
    p.checked = null;
    ae.wait = clean ? Math.min(ae.wait * 2, ae.cfg.verify * 8) : ae.cfg.verify;
  } else if (p.mark > p.acked) p.acked = p.mark;
  p.mark = -1;
  p.pending = null;
}

/** ACK [1, inc, mark, ids]: these STATEs of the open round arrived (an empty list: the offer needed nothing).
 *  An ack that settles some of them keeps the round from its retry for another `retry` ms: the rest are on their
 *  way behind it (a slow link, a state in many parts), not lost. */
export function onRoundAck(ae: AeState, now: number, p: AePeer | undefined, m: Body): void {
  if (!p || m.inc !== ae.inc || p.mark !== m.n) return;
  if (p.pending === null) {
    // "Nothing needed" answers the offer directly.
    if (m.ids.length === 0) finishRound(ae, p, true);
    return;
  }
  for (let i = 0; i < m.ids.length; i++) {
    const k = p.pending.indexOf(m.ids[i]);
    if (k >= 0) {
      p.pending.splice(k, 1);
      p.sentAt = now;
    }
  }
  if (p.pending.length === 0) finishRound(ae, p, false);
}
