/**
 * Semantically hostile frames for the node target: well-formed envelopes whose content lies. Byte and item
 * mutation (mutate.ts) rarely builds a whole frame that passes every decode check and still claims the
 * impossible; these do, on purpose:
 * - deltas (anti-entropy DELTA and STATE, Plumtree GOSSIP) whose states claim counters far past anything made
 *   (2^48, 2^47, 10^6…), for declared variables and for strangers' variables the node never declared;
 * - forged incarnations: a neighbour's envelope, keepalive or heartbeat claiming a huge incarnation, heartbeat
 *   lists claiming the victim's own incarnation, acks and digests for lives and rounds that never were.
 * Every frame comes "from" a neighbour or a stranger; the caller feeds it to the victim as the link would.
 */
import { encode } from '../../crdt/codec/cbor.ts';
import type { Item } from '../../crdt/types.ts';
import { typeOf } from '../../crdt/all.ts';
import { type Rng, below } from '../../runtime/rng.ts';
import { ACK, DELTA, DIGEST, GOSSIP, HEARTBEAT, JOIN, KEEPALIVE, STATE, VERSION, DISCONNECT, INTEREST } from '../../runtime/messages.ts';
import type { TypeCase } from './types.ts';

/** Counters and incarnations no honest peer could have reached (all ≤ 2^48, so they pass decoding). */
export const HUGE: number[] = [2 ** 48, 2 ** 48 - 1, 2 ** 47, 2 ** 40, 2 ** 32, 1e9, 1e7, 1e6, 65537];
/** Incarnations: the decoder lets any non-negative integer through, so these go to 2^53 − 1. */
const HUGE_INC: number[] = [2 ** 53 - 1, 2 ** 53 - 2, 2 ** 48, 2 ** 32, 1e9, 1];

/** Replace integers ≥ 1 of an encoded state with huge ones, each with probability 1/odds (at least one). */
function inflate(r: Rng, item: Item, odds: number): Item {
  let changed = false;
  const walk = (x: Item): Item => {
    if (typeof x === 'number' && x >= 1 && Math.floor(x) === x) {
      if (below(r, odds) === 0) {
        changed = true;
        return HUGE[below(r, HUGE.length)];
      }
      return x;
    }
    if (Array.isArray(x)) {
      const out: Item[] = [];
      for (let i = 0; i < x.length; i++) out.push(walk(x[i]));
      return out;
    }
    return x;
  };
  let out = walk(item);
  if (!changed) out = walk(item); // a second pass makes a change likely for small states
  return out;
}

export interface HostileSource {
  /** The victim's own id and a neighbour it joined. */
  self: string;
  neighbour: string;
  /** Declared variables: ids and their type cases. */
  vars: { id: string; c: TypeCase }[];
  /** Reachable states per type case index, to inflate. */
  states: Item[][];
}

function envelope(type: number, from: string, inc: number, body: Item): Uint8Array {
  return encode([VERSION, type, from, inc, body], { maxFrame: Infinity, maxItems: Infinity, maxCount: Infinity });
}

let seq = 0;

/** One hostile frame and the peer it claims to come from (the link reports the same peer). */
export function hostileFrame(r: Rng, src: HostileSource): { from: string; bytes: Uint8Array } {
  const from = below(r, 4) === 0 ? 'x' + below(r, 1000) : src.neighbour;
  const inc = below(r, 3) === 0 ? HUGE_INC[below(r, HUGE_INC.length)] : 0;
  const kind = below(r, 10);
  // A variable: declared (same spec) or a stranger's (a fresh id the node never declared).
  const vi = below(r, src.vars.length);
  const v = src.vars[vi];
  const states = src.states[vi];
  const state = states.length > 0 ? inflate(r, states[below(r, states.length)], 1 + below(r, 4)) : 0;
  const varId = below(r, 3) === 0 ? 'z' + (seq++).toString(36) : v.id;
  const entry: Item = [varId, v.c.spec, state];
  let bytes: Uint8Array;
  if (kind <= 2) {
    // Several entries, sorted by id as the body requires: strangers' variables fill the store if anything does.
    const entries: Item[] = [entry];
    const extra = below(r, 4) === 0 ? below(r, 300) : 0;
    for (let i = 0; i < extra; i++) entries.push(['zz' + (seq++).toString(36).padStart(8, '0'), v.c.spec, state]);
    entries.sort((a, b) => ((a as any)[0] < (b as any)[0] ? -1 : 1));
    bytes = envelope(kind === 2 ? STATE : DELTA, from, inc, [below(r, 2) === 0 ? HUGE[below(r, HUGE.length)] : 1 + below(r, 9), entries]);
  } else if (kind <= 4) {
    const msgId = from + ':' + inc.toString(36) + ':' + (seq++).toString(36);
    bytes = envelope(GOSSIP, from, inc, [msgId, 1 + below(r, 3), [1, varId, v.c.spec, state]]);
  } else if (kind === 5) {
    // Forged incarnation on a plain membership message.
    const t = [KEEPALIVE, JOIN, DISCONNECT][below(r, 3)];
    bytes = envelope(t, from, HUGE_INC[below(r, HUGE_INC.length)], []);
  } else if (kind === 6) {
    // A heartbeat whose list claims huge incarnations for members, the victim itself included.
    const list: Item[] = [];
    const ids = [src.self, src.neighbour, 'm' + below(r, 50)].sort();
    for (const id of ids) if (id !== from) list.push([id, HUGE_INC[below(r, HUGE_INC.length)], below(r, 2) === 0 ? 0 : HUGE[below(r, HUGE.length)]]);
    bytes = envelope(HEARTBEAT, from, inc, [list]);
  } else if (kind === 7) {
    bytes = envelope(ACK, from, inc, below(r, 2) === 0
      ? [0, HUGE_INC[below(r, HUGE_INC.length)], HUGE[below(r, HUGE.length)]]
      : [1, HUGE_INC[below(r, HUGE_INC.length)], HUGE[below(r, HUGE.length)], [v.id]]);
  } else if (kind === 8) {
    const offers: Item[] = [];
    for (const x of src.vars) offers.push([x.id, x.c.spec, below(r, 2 ** 31)]);
    offers.sort((a, b) => ((a as any)[0] < (b as any)[0] ? -1 : 1));
    bytes = envelope(DIGEST, from, inc, below(r, 2) === 0 ? [0, HUGE[below(r, HUGE.length)], offers] : [1, HUGE_INC[below(r, HUGE_INC.length)], HUGE[below(r, HUGE.length)], [v.id]]);
  } else {
    const ids: Item[] = [];
    const n = below(r, 400);
    for (let i = 0; i < n; i++) ids.push('q' + i.toString(36).padStart(4, '0'));
    bytes = envelope(INTEREST, from, inc, [ids]);
  }
  return { from: from, bytes: bytes };
}

/** The encoded states of each type case, for inflate (from states the caller built). */
export function encodedStates(cases: TypeCase[], statesOf: (c: TypeCase) => any[]): Item[][] {
  const out: Item[][] = [];
  for (const c of cases) {
    const t = typeOf(c.spec);
    const ss = statesOf(c);
    const enc: Item[] = [];
    for (let i = 0; i < ss.length && i < 40; i++) enc.push(t.encode(ss[i]));
    out.push(enc);
  }
  return out;
}
