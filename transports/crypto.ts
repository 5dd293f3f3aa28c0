/**
 * The cluster key on Node: runtime/auth.ts's primitives from node:crypto, and cluster keys read from a key file.
 *
 *   const keys = await readKeyFile('cluster.keys');          // [{ id: 2, key }, { id: 1, key }]
 *   createNode({ id: 'a', links, keys });                      // transports/driver.ts builds the auth config
 *
 * Key file: one key per line, `ID HEX` (a key id 0..255, then at least 32 hex digits, i.e. 16 bytes; 64 digits,
 * 32 bytes, is what `pollen keygen`-style tools give: `openssl rand -hex 32`). The first key seals every frame,
 * the others are accepted too (rotation, see PROTOCOL.md). Blank lines and lines starting with '#' are ignored.
 * Errors name the file and the line number, never a key's digits.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MAX_KEYS, MIN_KEY_BYTES, type KeySpec, type Primitives } from '../runtime/auth.ts';

export const nodeCrypto: Primitives = {
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(createHmac('sha256', key).update(data).digest());
  },
  ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    const c = createCipheriv('aes-128-ctr', key, iv);
    const a = c.update(data);
    const b = c.final();
    return new Uint8Array(b.length === 0 ? a : Buffer.concat([a, b]));
  },
};

/** 2020-01-01 in ms since 1970: epochs count from here (48 bits last for 8,900 years). */
export const EPOCH_MS = 1577836800000;

/**
 * An epoch for this life of a node: later than any earlier life's, so receivers' replay windows take the new
 * life's frames. Milliseconds since 2020 (two lives of one process cannot start in the same millisecond), and
 * more than 1000 × the node's incarnation, which a store makes grow at every start even if the clock went back.
 */
export function epochFor(incarnation: number, now: number = Date.now()): number {
  return Math.max(now - EPOCH_MS, incarnation * 1000);
}

/** A key given as hex (at least 32 digits) or bytes; throws without echoing the key. */
export function keyBytes(k: string | Uint8Array, what: string): Uint8Array {
  if (k instanceof Uint8Array) {
    if (k.length < MIN_KEY_BYTES) throw new Error(what + ': a key must be at least ' + MIN_KEY_BYTES + ' bytes, this one has ' + k.length);
    return k;
  }
  if (typeof k !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(k)) throw new Error(what + ': a key is written as hex digits (an even number of 0-9, a-f)');
  if (k.length < MIN_KEY_BYTES * 2) throw new Error(what + ': a key must be at least ' + MIN_KEY_BYTES * 2 + ' hex digits, this one has ' + k.length);
  return new Uint8Array(Buffer.from(k, 'hex'));
}

/** Keys from the text of a key file (see above); `name` is what errors call the file. */
export function parseKeys(text: string, name: string): KeySpec[] {
  const keys: KeySpec[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = name + ' line ' + (i + 1);
    const m = /^(\d{1,3})\s+(\S+)$/.exec(line);
    if (!m) throw new Error(where + ': expected "ID HEX" (a key id 0..255, a space, the key in hex)');
    const id = Number(m[1]);
    if (id > 255) throw new Error(where + ': key id ' + id + ' is above 255');
    if (keys.some((k) => k.id === id)) throw new Error(where + ': key id ' + id + ' is given twice');
    keys.push({ id, key: keyBytes(m[2], where) });
  }
  if (keys.length === 0) throw new Error(name + ': no key in it (one "ID HEX" line per key)');
  if (keys.length > MAX_KEYS) throw new Error(name + ': ' + keys.length + ' keys, at most ' + MAX_KEYS + ' are held at once');
  return keys;
}

export async function readKeyFile(path: string): Promise<KeySpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error('key file ' + path + ': ' + ((e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  return parseKeys(text, 'key file ' + path);
}
