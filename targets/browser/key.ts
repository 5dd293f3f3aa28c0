/**
 * A cluster key for a page: frames to and from its gateway are tagged with HMAC-SHA256 (runtime/auth.ts,
 * PROTOCOL.md "Authenticated frames") and a frame whose tag does not check is dropped before it is decoded. The
 * hash is plain JavaScript (sha256.ts): a node's step is synchronous and Web Crypto's HMAC is not. Tags only: a
 * page has no synchronous AES, so it neither encrypts nor opens encrypted frames (they are dropped and counted);
 * the gateway's pages node must not set `encrypt`. A page that never calls clusterKey carries none of this.
 *
 *   import { connect, clusterKey, ORSet } from './browser.js';
 *   await connect({ url, root, types: [ORSet], key: clusterKey('00112233445566778899aabbccddeeff') });
 */
import * as Auth from '../../runtime/auth.ts';
import type { AuthPart } from '../../runtime/node.ts';
import { hmacSha256 } from './sha256.ts';

export interface PageKey {
  part: AuthPart;
  keys: Auth.KeySpec[];
  primitives: Auth.Primitives;
}

/** A key given as hex (at least 32 digits) or bytes, under key id `id` (default 0, as a node's `key` option);
 *  throws without echoing the key. */
export function clusterKey(key: string | Uint8Array, id = 0): PageKey {
  let bytes: Uint8Array;
  if (key instanceof Uint8Array) bytes = key;
  else {
    if (typeof key !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(key)) throw new Error('clusterKey: a key is written as hex digits (an even number of 0-9, a-f)');
    bytes = new Uint8Array(key.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(key.substr(i * 2, 2), 16);
  }
  if (bytes.length < Auth.MIN_KEY_BYTES) throw new Error('clusterKey: a key must be at least ' + Auth.MIN_KEY_BYTES + ' bytes, this one has ' + bytes.length);
  return { part: Auth, keys: [{ id, key: bytes }], primitives: { hmac: hmacSha256 } };
}
