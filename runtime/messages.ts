/**
 * Message types on the wire. Every frame is the envelope [VERSION, type, sender, incarnation, body] in
 * deterministic CBOR (DESIGN.md §4); these numbers are the `type`. Ranges keep layers apart: membership 1–19,
 * Plumtree 20–29, anti-entropy 30–39, overlay health 40–49. A number, once released, is never reused.
 */
export const VERSION = 1;

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
