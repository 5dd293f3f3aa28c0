/**
 * The bodies of HyParView's messages and of its overlay-health messages (runtime/membership/hyparview.ts,
 * health.ts; PROTOCOL.md), decoded with limits before anything changes: a malformed one throws DecodeError,
 * which runtime/node.ts counts and drops.
 *
 *   decodeBody(NEIGHBOR, [3, 1, 'a']);   // { ver: 3, yes: true, peer: 'a', n: 0, seq: 0, list: [] }
 *   decodeBody(99, []);                  // null: not a HyParView type
 */
import type { Item } from '../../crdt/types.ts';
import { arr, nat, str, fail } from '../../crdt/check.ts';
import type { PeerId } from '../io.ts';
import {
  JOIN, JOIN_REPLY, FORWARD_JOIN, NEIGHBOR, NEIGHBOR_REPLY, DISCONNECT, SHUFFLE, SHUFFLE_REPLY, KEEPALIVE,
  KEEPALIVE_ACK, PROBE, PROBE_REPLY, COMPONENT, MAX_PEER_ID, peerIdBytes,
} from '../messages.ts';

/** Most peers in one body list: a sample is ka + kp + 1 = 8 by default; this leaves room for bigger knobs. */
export const MAX_LIST = 32;

function peerId(item: Item, what: string): PeerId {
  const p = str(item, what);
  const n = p.length === 0 ? 0 : peerIdBytes(p);
  if (n < 1 || n > MAX_PEER_ID) fail(what + ': expected a peer id of 1 to ' + MAX_PEER_ID + ' bytes');
  return p;
}

function peerList(item: Item, what: string): PeerId[] {
  const b = arr(item, what);
  if (b.length > MAX_LIST) fail(what + ': ' + b.length + ' peers exceed ' + MAX_LIST);
  const out: PeerId[] = [];
  for (let i = 0; i < b.length; i++) out.push(peerId(b[i], what + ' peer'));
  return out;
}

function flag(item: Item, what: string): boolean {
  const n = nat(item, what);
  if (n > 1) fail(what + ': expected 0 or 1');
  return n === 1;
}

/** A decoded body: the fields each type uses. */
export interface Msg {
  /** The sender's view version on the types that carry one (health.ts say), else -1. */
  ver: number;
  peer: PeerId;
  n: number;
  /** COMPONENT's seq. */
  seq: number;
  yes: boolean;
  list: PeerId[];
}

/** Decode the body of a HyParView or health message; null when the type is not one of them. */
export function decodeBody(type: number, body: Item): Msg | null {
  const m: Msg = { ver: -1, peer: '', n: 0, seq: 0, yes: false, list: [] };
  if (type === JOIN || type === JOIN_REPLY || type === NEIGHBOR || type === NEIGHBOR_REPLY || type === DISCONNECT ||
    type === KEEPALIVE || type === KEEPALIVE_ACK || type === PROBE || type === PROBE_REPLY) {
    // [ver, …]: the view version first, then the type's own fields.
    const b = arr(body, 'membership message');
    m.ver = nat(b[0], 'view version');
    body = b.slice(1);
  }
  if (type === JOIN || type === KEEPALIVE || type === PROBE) arr(body, 'membership message', 0);
  else if (type === JOIN_REPLY) m.list = peerList(arr(body, 'JOIN_REPLY', 1)[0], 'JOIN_REPLY');
  else if (type === FORWARD_JOIN) {
    const b = arr(body, 'FORWARD_JOIN', 2);
    m.peer = peerId(b[0], 'FORWARD_JOIN new node');
    m.n = nat(b[1], 'FORWARD_JOIN ttl');
  } else if (type === NEIGHBOR) {
    // [high] or [high, root]: the asker's component root once settled (component.ts).
    const b = arr(body, 'NEIGHBOR', (body as Item[]).length > 1 ? 2 : 1);
    m.yes = flag(b[0], 'NEIGHBOR high');
    if (b.length === 2) m.peer = peerId(b[1], 'NEIGHBOR root');
  } else if (type === NEIGHBOR_REPLY) {
    // 0 refused, 1 accepted, 2 accepted as a merge of two components (the asker takes it even when full).
    m.n = nat(arr(body, 'NEIGHBOR_REPLY', 1)[0], 'NEIGHBOR_REPLY accepted');
    if (m.n > 2) fail('NEIGHBOR_REPLY: over 2');
    m.yes = m.n > 0;
  } else if (type === COMPONENT) {
    const b = arr(body, 'COMPONENT', 3);
    m.peer = peerId(b[0], 'COMPONENT root');
    m.n = nat(b[1], 'COMPONENT dist');
    m.seq = nat(b[2], 'COMPONENT seq');
  } else if (type === DISCONNECT || type === KEEPALIVE_ACK || type === PROBE_REPLY) {
    m.yes = flag(arr(body, 'membership message', 1)[0], 'membership flag');
  } else if (type === SHUFFLE) {
    const b = arr(body, 'SHUFFLE', 3);
    m.peer = peerId(b[0], 'SHUFFLE origin');
    m.n = nat(b[1], 'SHUFFLE ttl');
    m.list = peerList(b[2], 'SHUFFLE sample');
  } else if (type === SHUFFLE_REPLY) m.list = peerList(body, 'SHUFFLE_REPLY');
  else return null;
  return m;
}
