/**
 * The TCP link's proof of the cluster key (PROTOCOL.md, "TCP"). Without it a connection is a peer as soon as it
 * names an id, so with a cluster key a stranger could still take a real peer's place (its frames are then dropped
 * by the node's tag check, but the real peer's connection is gone) or hold connection slots with keepalives. With
 * keys, a connection becomes a peer only once its other end has shown it holds one of them:
 *
 *   hello   "PLK1", nonce (16 random bytes), id in UTF-8
 *   proof   key id (1 byte), HMAC-SHA256(k, "pollen tcp proof" | their nonce | my nonce | my id), first 16 bytes
 *
 * where k = HMAC-SHA256(cluster key, "pollen tcp link"), a key of its own so that no proof is ever a frame's tag.
 * Each side sends its proof once the other's hello has arrived and takes the other's id only once that side's
 * proof checks out; both nonces are new for each connection, so a proof seen on one is worth nothing on another.
 *
 *   const k = linkKeys([{ id: 0, key }]);
 *   const mine = newNonce();  send(keyedHello(mine, 'a'));
 *   // their hello arrived: theirs = helloNonce(f), id = helloId(f, HELLO_HEAD)
 *   send(proofOf(k, theirs, mine, 'a'));
 *   // their proof arrived:
 *   proofHolds(k, proof, mine, theirs, id);   // true: id is a peer
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEYED_MAGIC = Buffer.from('PLK1');
const NONCE = 16;
/** Bytes before the id in a keyed hello (helloId reads the id from here). */
export const HELLO_HEAD = KEYED_MAGIC.length + NONCE;
const TAG = 16;
const LABEL = Buffer.from('pollen tcp proof');
const DERIVE = Buffer.from('pollen tcp link');

/** A cluster key as the link holds it: its id and the link's own key derived from it. */
export interface LinkKey {
  id: number;
  key: Buffer;
}

/** The link's keys from the cluster keys (ids 0..255; the first is the one this side proves with). */
export function linkKeys(keys: { id: number; key: Uint8Array }[]): LinkKey[] {
  return keys.map((k) => {
    if (!(Number.isInteger(k.id) && k.id >= 0 && k.id <= 255)) throw new Error('tcp link: key id ' + String(k.id) + ' is not 0..255');
    return { id: k.id, key: createHmac('sha256', k.key).update(DERIVE).digest() };
  });
}

export function newNonce(): Buffer {
  return randomBytes(NONCE);
}

export function keyedHello(nonce: Buffer, self: string): Buffer {
  return Buffer.concat([KEYED_MAGIC, nonce, Buffer.from(self)]);
}

/** The nonce of a keyed hello, or null when `f` is none. */
export function helloNonce(f: Buffer): Buffer | null {
  return f.length > HELLO_HEAD && f.subarray(0, KEYED_MAGIC.length).equals(KEYED_MAGIC) ? Buffer.from(f.subarray(KEYED_MAGIC.length, HELLO_HEAD)) : null;
}

function mac(key: Buffer, theirs: Buffer, mine: Buffer, id: string): Buffer {
  return createHmac('sha256', key).update(LABEL).update(theirs).update(mine).update(Buffer.from(id)).digest().subarray(0, TAG);
}

/** The proof this side sends, with its first key, on the connection whose nonces are `theirs` and `mine`. */
export function proofOf(keys: LinkKey[], theirs: Buffer, mine: Buffer, self: string): Buffer {
  return Buffer.concat([Buffer.from([keys[0].id]), mac(keys[0].key, theirs, mine, self)]);
}

/** Does `proof` show that `id`, which sent the nonce `theirs`, holds one of `keys`? (Any key held counts:
 *  during a rotation the two ends may prove with different ones.) */
export function proofHolds(keys: LinkKey[], proof: Buffer, mine: Buffer, theirs: Buffer, id: string): boolean {
  if (proof.length !== 1 + TAG) return false;
  for (const k of keys) if (k.id === proof[0]) return timingSafeEqual(mac(k.key, mine, theirs, id), proof.subarray(1));
  return false;
}
