/**
 * The batch envelope (PROTOCOL.md, "Batches"): several link frames for one peer carried as one, optionally
 * deflated, so a slow link pays its per-frame costs (MQTT topic, TCP/IP headers, serial framing) once per batch
 * and the repeated parts of similar messages (variable names, spec, sender, replica ids) once per batch.
 *
 *   85 02 00 <count> <encoding> <bytes>      a CBOR array of 5: version 2, kind 0 (batch), the number of frames
 *                                            (1..MAX_BATCH_FRAMES), 0 (raw) or 1 (deflate, RFC 1951, no header),
 *                                            and a byte string: each frame as <CBOR uint length> <frame bytes>
 *
 * An older node (envelope version 1 only) decodes it as an envelope of version 2 and drops it as
 * `dropped.version`: a clear refusal, never a misreading. A paced link keeps reading single frames (any frame
 * that is not a batch passes as it is), so it talks to older peers as long as it is not asked to batch for them.
 *
 * Receiving is bounded: the count, every frame's length (the link's maxFrame), the inflated size (at most
 * `maxBytes`, checked by zlib while it inflates, so a deflate bomb costs no more than that) and the lengths must
 * add up exactly. Anything else is a BatchError with a reason, and the whole batch is dropped.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Most frames in one batch: a bound on the work one batch asks of the receiver's node. */
export const MAX_BATCH_FRAMES = 256;
const HEAD = [0x85, 0x02, 0x00];

export class BatchError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('batch: ' + message);
    this.name = 'BatchError';
    this.reason = reason;
  }
}

/** Does this frame start like a batch (the receiver's cheap test before unpacking)? */
export function isBatch(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === HEAD[0] && b[1] === HEAD[1] && b[2] === HEAD[2];
}

function uintHead(major: number, n: number, out: number[]): void {
  const m = major << 5;
  if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >> 8, n & 0xff);
  else out.push(m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Read a CBOR head of `major` at `at`; returns [value, next offset] or throws BatchError. */
function readHead(b: Uint8Array, at: number, major: number, what: string): [number, number] {
  if (at >= b.length) throw new BatchError('truncated', what + ' missing');
  const ib = b[at];
  if (ib >> 5 !== major) throw new BatchError('malformed', what + ' has CBOR major type ' + (ib >> 5) + ', not ' + major);
  const ai = ib & 31;
  if (ai < 24) return [ai, at + 1];
  const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : 0;
  if (n === 0) throw new BatchError('malformed', what + ' has an unsupported length form');
  if (at + 1 + n > b.length) throw new BatchError('truncated', what + ' cut short');
  let v = 0;
  for (let i = 1; i <= n; i++) v = v * 256 + b[at + i];
  return [v, at + 1 + n];
}

/** The body of a batch: each frame as its CBOR length and its bytes. */
function body(frames: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const f of frames) size += f.length + 5;
  const out = new Uint8Array(size);
  let at = 0;
  for (const f of frames) {
    const h: number[] = [];
    uintHead(0, f.length, h);
    out.set(h, at);
    at += h.length;
    out.set(f, at);
    at += f.length;
  }
  return out.subarray(0, at);
}

/**
 * Pack frames into one batch; deflated when that is smaller (`compress`, default true). The caller keeps the
 * count within MAX_BATCH_FRAMES.
 */
export function packBatch(frames: Uint8Array[], compress = true): Uint8Array {
  if (frames.length < 1 || frames.length > MAX_BATCH_FRAMES) throw new RangeError('a batch holds 1..' + MAX_BATCH_FRAMES + ' frames');
  const raw = body(frames);
  let data = raw;
  let enc = 0;
  if (compress) {
    const z = deflateRawSync(raw, { level: 9 });
    if (z.length < raw.length) {
      data = new Uint8Array(z.buffer, z.byteOffset, z.length);
      enc = 1;
    }
  }
  const h = HEAD.slice();
  uintHead(0, frames.length, h);
  h.push(enc);
  uintHead(2, data.length, h);
  const out = new Uint8Array(h.length + data.length);
  out.set(h, 0);
  out.set(data, h.length);
  return out;
}

/** Unpack a batch (isBatch was true); `maxFrame` bounds each frame, `maxBytes` the unpacked body. */
export function unpackBatch(b: Uint8Array, maxFrame: number, maxBytes: number): Uint8Array[] {
  let at = HEAD.length;
  let count: number;
  [count, at] = readHead(b, at, 0, 'frame count');
  if (count < 1 || count > MAX_BATCH_FRAMES) throw new BatchError('count', count + ' frames, allowed 1..' + MAX_BATCH_FRAMES);
  let enc: number;
  [enc, at] = readHead(b, at, 0, 'encoding');
  if (enc !== 0 && enc !== 1) throw new BatchError('encoding', 'unknown encoding ' + enc + ' (0 raw, 1 deflate)');
  let len: number;
  [len, at] = readHead(b, at, 2, 'body');
  if (at + len !== b.length) throw new BatchError('length', 'body of ' + len + ' bytes in a frame with ' + (b.length - at) + ' left');
  let data = b.subarray(at);
  if (data.length > maxBytes) throw new BatchError('size', 'body of ' + data.length + ' bytes, limit ' + maxBytes);
  if (enc === 1) {
    let z: Buffer;
    try {
      z = inflateRawSync(data, { maxOutputLength: maxBytes });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new BatchError('size', 'inflates past ' + maxBytes + ' bytes');
      throw new BatchError('deflate', 'does not inflate: ' + (e as Error).message);
    }
    data = new Uint8Array(z.buffer, z.byteOffset, z.length);
  }
  const frames: Uint8Array[] = [];
  let i = 0;
  while (i < data.length) {
    if (frames.length === count) throw new BatchError('length', 'bytes after the ' + count + ' frames announced');
    let n: number;
    [n, i] = readHead(data, i, 0, 'frame length');
    if (n > maxFrame) throw new BatchError('oversize', 'a frame of ' + n + ' bytes, maxFrame ' + maxFrame);
    if (i + n > data.length) throw new BatchError('truncated', 'a frame of ' + n + ' bytes cut short');
    frames.push(data.subarray(i, i + n));
    i += n;
  }
  if (frames.length !== count) throw new BatchError('count', count + ' frames announced, ' + frames.length + ' found');
  return frames;
}
