/**
 * The envelope's one home: its version, the message types and the layer each range belongs to, and the bound on
 * a peer id. Every frame is the envelope [VERSION, type, sender, incarnation, body] in deterministic CBOR
 * (PROTOCOL.md, "The envelope"); these numbers are the `type`. Ranges keep layers apart: membership 1–19,
 * Plumtree 20–29, anti-entropy 30–39, overlay health 40–49 (handled by the membership manager). A number, once
 * released, is never reused.
 *
 *   layerOf(GOSSIP);              // LAYER_PLUMTREE
 *   layerOf(99);                  // -1: no layer takes it (the node drops the frame as 'type')
 *   peerIdProblem('x'.repeat(65)); // 'peer id "xxxxxxxxxxxxxxxxxxxx..." is 65 bytes of UTF-8, at most 64'
 */
import { WIDE, utf8Length } from '../crdt/codec/utf8.ts';

/** The envelope's version; a frame of any other version is dropped (counted 'dropped.version'). */
export const VERSION = 1;

export const LAYER_MEMBERSHIP = 0;
export const LAYER_PLUMTREE = 1;
export const LAYER_ANTIENTROPY = 2;

/** The layer that handles message type `type`, or -1 when none does. Overlay health (40–49) is the membership
 *  manager's. */
export function layerOf(type: number): number {
  if (Math.floor(type) !== type) return -1;
  if ((type >= 1 && type <= 19) || (type >= 40 && type <= 49)) return LAYER_MEMBERSHIP;
  if (type >= 20 && type <= 29) return LAYER_PLUMTREE;
  if (type >= 30 && type <= 39) return LAYER_ANTIENTROPY;
  return -1;
}

/**
 * The longest peer id, in bytes of UTF-8: 64. Ids are short names (a board's MAC, 'pi-garden'); the bound keeps
 * what a link holds before a hello tiny, and it is what every layer accepts alike, so a node whose own id passes
 * can take part everywhere: links refuse a longer id for themselves and in a hello or topic, composeNode refuses
 * one, membership lists refuse one, and Plumtree's message ids (origin:incarnation:sequence) have room for it.
 */
export const MAX_PEER_ID = 64;

/** Why `id` cannot be a peer id, or '' when it can: a non-empty string of at most MAX_PEER_ID bytes of UTF-8. */
export function peerIdProblem(id: unknown): string {
  if (typeof id !== 'string' || id === '') return 'a peer id must be a non-empty string';
  const n = utf8Length(id, WIDE);
  // The id as an error shows it: its first 20 characters.
  const shown = 'peer id "' + (id.length > 20 ? id.substring(0, 20) + '...' : id) + '" is ';
  if (n < 0) return shown + 'not well-formed UTF-8';
  if (n > MAX_PEER_ID) return shown + n + ' bytes of UTF-8, at most ' + MAX_PEER_ID;
  return '';
}

/** Bytes of UTF-8 in a peer id read from a peer (-1 when it is not well-formed): the check of a decoded id. */
export function peerIdBytes(id: string): number {
  return utf8Length(id, WIDE);
}

// Membership: HyParView (Leitão, Pereira, Rodrigues, DSN 2007) and the simpler managers.
export const JOIN = 1;
export const JOIN_REPLY = 2;
export const FORWARD_JOIN = 3;
export const NEIGHBOR = 4;
export const NEIGHBOR_REPLY = 5;
export const DISCONNECT = 6;
export const SHUFFLE = 7;
export const SHUFFLE_REPLY = 8;
export const KEEPALIVE = 9;
export const KEEPALIVE_ACK = 10;
export const HEARTBEAT = 11; // full membership
export const PEERS = 12; // client-server: the server's list of peers

// Plumtree (Leitão, Pereira, Rodrigues, SRDS 2007).
export const GOSSIP = 20;
export const IHAVE = 21;
export const GRAFT = 22;
export const PRUNE = 23;

// Delta anti-entropy (Almeida, Shoker, Baquero 2018; Enes et al. ICDE 2019).
export const DELTA = 30;
export const ACK = 31;
export const DIGEST = 32;
export const STATE = 33;
/** Selective hearing (runtime/interest.ts): the variables the sender wants to hear of. */
export const INTEREST = 34;

// Overlay health.
export const PROBE = 40;
export const PROBE_REPLY = 41;
/** Component labels (runtime/membership/component.ts): [root, dist]. */
export const COMPONENT = 42;
