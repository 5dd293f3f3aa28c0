/**
 * The cluster key: every frame a node sends carries an authentication tag made with a key the cluster shares, and
 * a frame whose tag does not check is dropped and counted before a single byte of its body is decoded. Sans-IO:
 * the hash and the cipher are handed in (`Primitives`): node:crypto on Node (transports/crypto.ts), the board's
 * SHA256 and AES on Espruino (targets/espruino/hmac.ts). PROTOCOL.md, "Authenticated frames", is the wire format.
 *
 *   const a = init({ keys: [{ id: 1, key }], primitives: nodeCrypto, epoch: Date.now() - EPOCH_MS });
 *   const wire = seal(a, 'a', 'b', envelope);      // 20 bytes more than the envelope
 *   open(b, 'b', 'a', wire);                        // the envelope, or a reason string: 'auth.tag', 'auth.replay', …
 *
 * A sealed frame:  [fmt 1][key id 1][epoch 6][seq 4][body …][tag 8]   (big-endian numbers)
 * - fmt 0xA1: the body is the plain envelope; 0xA2: the body is encrypted (AES-128-CTR, encrypt-then-MAC).
 * - The tag is HMAC-SHA256 with a key derived from the cluster key, truncated to its first 8 bytes, over the
 *   header, the body as sent, and the sender's and receiver's ids (length-prefixed UTF-8), so a frame cannot be
 *   passed off as coming from another node or replayed to another receiver. Why 8 bytes (64 bits): forging is an
 *   online attack, one frame per guess, each counted; at a million frames a second the expected time to forge
 *   one frame is about 300,000 years, while every byte counts on a 9600 bit/s serial line or a 20-byte BLE packet.
 * - Replay window per sender: (epoch, seq). The sender's epoch grows across its lives (the driver gives the
 *   milliseconds since 2020, or more than the last life's) and seq counts its frames in this life. A receiver keeps
 *   the highest seq seen per sender and a 64-frame bitmap below it: a frame of an older epoch, a seq already seen
 *   or more than 64 below the highest is refused. The window moves only after the tag checked.
 * - Rotation: the header names the key (0..255). A node seals with its first key and accepts any of its keys (at
 *   most MAX_KEYS), so a cluster rotates without a restart: add the new key to every node as a second key, then
 *   make it the first on every node, then drop the old one (setKeys).
 *
 * Bounds: senders remembered (maxSenders; when full the one heard from least recently is forgotten: only senders
 * whose tag checked get an entry, so the table holds the cluster, and a forgotten sender's old frames become
 * replayable only past a cluster larger than the bound). The cost of a frame is one HMAC over its bytes (two
 * with encryption), bounded by its size, and a frame that fails the cheap checks (format, key id, window) costs
 * no HMAC at all. Secrets: the state keeps derived keys only, and nothing here prints or returns one.
 */
import { WIDE, utf8Length, writeUtf8 } from '../crdt/codec/utf8.ts';
import { dict } from './tables.ts';

/** What the platform provides. */
export interface Primitives {
  /** HMAC-SHA256 of `data` under `key`: 32 bytes. */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-128 in counter mode from the 16-byte counter block `iv`: `data` XOR the key stream (its own inverse).
   *  Needed only for encryption. */
  ctr?: (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Uint8Array;
}

/** One cluster key: its id on the wire and its bytes (at least MIN_KEY_BYTES). */
export interface KeySpec {
  id: number;
  key: Uint8Array;
}

export interface AuthConfig {
  /** The first seals every frame; all are accepted (rotation). 1..MAX_KEYS, distinct ids. */
  keys: KeySpec[];
  primitives: Primitives;
  /** Greater than every earlier life's of this node (ms since 2020 does): the receivers' replay window needs it. */
  epoch: number;
  /** Encrypt bodies too (default false: tag only). Receivers accept both forms whatever their own setting. */
  encrypt?: boolean;
  /** Senders whose replay window is kept (default 256). */
  maxSenders?: number;
}

export const FMT_TAG = 0xa1;
export const FMT_ENC = 0xa2;
export const HEADER_BYTES = 12;
export const TAG_BYTES = 8;
/** What a tag costs each frame: header and tag. */
export const OVERHEAD = HEADER_BYTES + TAG_BYTES;
/** 128 bits: below that a key could be searched for. */
export const MIN_KEY_BYTES = 16;
/** Keys held at once: the current one, the next or previous one during a rotation, and room for a mistake. */
export const MAX_KEYS = 4;
/** Seq is 32 bits; on wrapping, the sender moves to the next epoch. */
const SEQ_LIMIT = 4294967296;
/** Epochs are 48 bits. */
const EPOCH_LIMIT = 281474976710656;
const DEFAULT_MAX_SENDERS = 256;

interface DerivedKey {
  id: number;
  mac: Uint8Array;
  enc: Uint8Array;
  iv: Uint8Array;
}

interface Window {
  epoch: number;
  /** Highest seq accepted in this epoch. */
  top: number;
  /** Bit k of (hi:lo) set: seq top - k was accepted (k = 0..63). */
  lo: number;
  hi: number;
  /** Use counter at the last accepted frame, for eviction. */
  used: number;
}

export interface Auth {
  keys: DerivedKey[];
  p: Primitives;
  encrypt: boolean;
  epoch: number;
  seq: number;
  senders: { [peer: string]: Window };
  count: number;
  maxSenders: number;
  uses: number;
}

function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function head(b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(b.subarray(0, n));
  return out;
}

function derive(p: Primitives, k: KeySpec): DerivedKey {
  if (typeof k.id !== 'number' || Math.floor(k.id) !== k.id || k.id < 0 || k.id > 255) {
    throw new Error('auth: a key id is a whole number from 0 to 255, got ' + String(k.id));
  }
  if (!(k.key instanceof Uint8Array) || k.key.length < MIN_KEY_BYTES) {
    throw new Error('auth: key ' + k.id + ' must be at least ' + MIN_KEY_BYTES + ' bytes');
  }
  // Separate keys per use, so the tag key never meets the cipher.
  return {
    id: k.id,
    mac: p.hmac(k.key, bytesOf('pollen-auth-mac')),
    enc: head(p.hmac(k.key, bytesOf('pollen-auth-enc')), 16),
    iv: p.hmac(k.key, bytesOf('pollen-auth-iv')),
  };
}

function deriveAll(p: Primitives, keys: KeySpec[]): DerivedKey[] {
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_KEYS) {
    throw new Error('auth: give 1 to ' + MAX_KEYS + ' keys (the first seals), got ' + (Array.isArray(keys) ? keys.length : 'none'));
  }
  const out: DerivedKey[] = [];
  for (let i = 0; i < keys.length; i++) {
    const d = derive(p, keys[i]);
    for (let j = 0; j < out.length; j++) if (out[j].id === d.id) throw new Error('auth: key id ' + d.id + ' is given twice');
    out.push(d);
  }
  return out;
}

export function init(c: AuthConfig): Auth {
  if (!c.primitives || typeof c.primitives.hmac !== 'function') throw new Error('auth: primitives.hmac is missing');
  if (c.encrypt && typeof c.primitives.ctr !== 'function') throw new Error('auth: encrypt needs primitives.ctr (AES-128-CTR)');
  const e = c.epoch;
  if (typeof e !== 'number' || Math.floor(e) !== e || e < 0 || e >= EPOCH_LIMIT) {
    throw new Error('auth: epoch must be a whole number from 0 to 2^48 - 1, got ' + String(e));
  }
  const ms = c.maxSenders === undefined ? DEFAULT_MAX_SENDERS : c.maxSenders;
  if (typeof ms !== 'number' || Math.floor(ms) !== ms || ms < 1) throw new Error('auth: maxSenders must be a positive whole number');
  return {
    keys: deriveAll(c.primitives, c.keys),
    p: c.primitives,
    encrypt: c.encrypt === true,
    epoch: e,
    seq: 0,
    senders: dict<Window>(),
    count: 0,
    maxSenders: ms,
    uses: 0,
  };
}

/** Rotation: seal with keys[0] from now on, accept all of them. Throws (and changes nothing) on a bad key. */
export function setKeys(a: Auth, keys: KeySpec[]): void {
  a.keys = deriveAll(a.p, keys);
}

/** Ids of the keys held, the sealing one first (never the keys). */
export function keyIds(a: Auth): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.keys.length; i++) out.push(a.keys[i].id);
  return out;
}

function idBytes(s: string): Uint8Array {
  let n = utf8Length(s, WIDE);
  if (n < 0) n = 0;
  const out = new Uint8Array(n);
  if (n > 0) writeUtf8(s, out, 0, WIDE);
  return out;
}

/** What the tag covers: header, body as sent, then the sender's and the receiver's ids. */
function macInput(frame: Uint8Array, end: number, from: string, to: string): Uint8Array {
  const f = idBytes(from);
  const t = idBytes(to);
  const out = new Uint8Array(end + 4 + f.length + t.length);
  out.set(frame.subarray(0, end), 0);
  let at = end;
  out[at++] = f.length >> 8;
  out[at++] = f.length & 0xff;
  out.set(f, at);
  at += f.length;
  out[at++] = t.length >> 8;
  out[at++] = t.length & 0xff;
  out.set(t, at);
  return out;
}

/** The counter block for a frame: unique per (key, sender, epoch, seq); the low 4 bytes count blocks. */
function ivOf(a: Auth, k: DerivedKey, frame: Uint8Array, from: string): Uint8Array {
  const f = idBytes(from);
  const m = new Uint8Array(HEADER_BYTES + f.length);
  m.set(frame.subarray(0, HEADER_BYTES), 0);
  m.set(f, HEADER_BYTES);
  const iv = head(a.p.hmac(k.iv, m), 16);
  iv[12] = 0;
  iv[13] = 0;
  iv[14] = 0;
  iv[15] = 0;
  return iv;
}

function put48(b: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  b[at] = (hi >> 8) & 0xff;
  b[at + 1] = hi & 0xff;
  put32(b, at + 2, v - hi * 4294967296);
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = Math.floor(v / 16777216) & 0xff;
  b[at + 1] = (v >> 16) & 0xff;
  b[at + 2] = (v >> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function get32(b: Uint8Array, at: number): number {
  return b[at] * 16777216 + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
}

/** The frame to put on the wire for `envelope` from `self` to `to`; the envelope itself when `a` is null. */
export function seal(a: Auth | null, self: string, to: string, envelope: Uint8Array): Uint8Array {
  if (a === null) return envelope;
  if (a.seq >= SEQ_LIMIT) {
    a.epoch++;
    a.seq = 0;
  }
  const k = a.keys[0];
  const n = envelope.length;
  const f = new Uint8Array(HEADER_BYTES + n + TAG_BYTES);
  f[0] = a.encrypt ? FMT_ENC : FMT_TAG;
  f[1] = k.id;
  put48(f, 2, a.epoch);
  put32(f, 8, a.seq);
  a.seq++;
  const ctr = a.p.ctr;
  if (a.encrypt && ctr) f.set(ctr(k.enc, ivOf(a, k, f, self), envelope), HEADER_BYTES);
  else f.set(envelope, HEADER_BYTES);
  const tag = a.p.hmac(k.mac, macInput(f, HEADER_BYTES + n, self, to));
  f.set(tag.subarray(0, TAG_BYTES), HEADER_BYTES + n);
  return f;
}

/**
 * The envelope inside a frame from `from` to `self`, or why it was refused: 'auth.none' (not a sealed frame: too
 * short or another format), 'auth.key' (a key this node does not hold), 'auth.old' (an earlier life of the
 * sender), 'auth.replay' (seen already, or below the window), 'auth.tag' (the tag does not check). The bytes
 * when `a` is null.
 */
export function open(a: Auth | null, self: string, from: string, frame: Uint8Array): Uint8Array | string {
  if (a === null) return frame;
  const len = frame.length;
  if (len < HEADER_BYTES + TAG_BYTES || (frame[0] !== FMT_TAG && frame[0] !== FMT_ENC)) return 'auth.none';
  let k: DerivedKey | null = null;
  for (let i = 0; i < a.keys.length; i++) if (a.keys[i].id === frame[1]) k = a.keys[i];
  if (k === null) return 'auth.key';
  const epoch = ((frame[2] << 8) | frame[3]) * 4294967296 + get32(frame, 4);
  const seq = get32(frame, 8);
  const w = from in a.senders ? a.senders[from] : null;
  // The cheap checks first: a replayed frame costs no HMAC.
  if (w !== null) {
    if (epoch < w.epoch) return 'auth.old';
    if (epoch === w.epoch && seen(w, seq)) return 'auth.replay';
  }
  const end = len - TAG_BYTES;
  const tag = a.p.hmac(k.mac, macInput(frame, end, from, self));
  let diff = 0;
  for (let i = 0; i < TAG_BYTES; i++) diff |= tag[i] ^ frame[end + i];
  if (diff !== 0) return 'auth.tag';
  accept(a, w, from, epoch, seq);
  const body = frame.subarray(HEADER_BYTES, end);
  const ctr = a.p.ctr;
  if (frame[0] === FMT_ENC) {
    if (!ctr) return 'auth.cipher';
    return ctr(k.enc, ivOf(a, k, frame, from), body);
  }
  return body;
}

/** Is seq already accepted, or too far below the window to tell? */
function seen(w: Window, seq: number): boolean {
  if (seq > w.top) return false;
  const k = w.top - seq;
  if (k >= 64) return true;
  const bit = k < 32 ? (w.lo >>> k) & 1 : (w.hi >>> (k - 32)) & 1;
  return bit === 1;
}

function accept(a: Auth, w: Window | null, from: string, epoch: number, seq: number): void {
  a.uses++;
  if (w === null || epoch > w.epoch) {
    if (w === null) {
      if (a.count >= a.maxSenders) evict(a);
      a.count++;
    }
    a.senders[from] = { epoch: epoch, top: seq, lo: 1, hi: 0, used: a.uses };
    return;
  }
  w.used = a.uses;
  if (seq > w.top) {
    const d = seq - w.top;
    if (d >= 64) {
      w.lo = 0;
      w.hi = 0;
    } else if (d >= 32) {
      w.hi = (w.lo << (d - 32)) >>> 0;
      w.lo = 0;
    } else {
      w.hi = ((w.hi << d) | (w.lo >>> (32 - d))) >>> 0;
      w.lo = (w.lo << d) >>> 0;
    }
    w.lo = (w.lo | 1) >>> 0;
    w.top = seq;
    return;
  }
  const k = w.top - seq;
  if (k < 32) w.lo = (w.lo | (1 << k)) >>> 0;
  else w.hi = (w.hi | (1 << (k - 32))) >>> 0;
}

function evict(a: Auth): void {
  const ks = Object.keys(a.senders);
  let worst = '';
  let at = -1;
  for (let i = 0; i < ks.length; i++) {
    const u = a.senders[ks[i]].used;
    if (at < 0 || u < at) {
      at = u;
      worst = ks[i];
    }
  }
  if (at >= 0) {
    delete a.senders[worst];
    a.count--;
  }
}
