/**
 * Input generation for the fuzzers: byte-level mutation of real inputs (flips, splices, repeats, cuts, random
 * bytes) and structure-aware mutation of the CBOR item inside (a number swapped for a hostile one, arrays grown
 * with fresh replica ids, entries dropped or swapped), so inputs reach the semantic layers instead of dying in
 * the codec. Everything draws from a seeded Rng, so a run is replayed from its seed.
 */
import { decode, encode } from '../../crdt/codec/cbor.ts';
import type { Item } from '../../crdt/types.ts';
import { type Rng, below, float } from '../../runtime/rng.ts';

/** Numbers that have broken, or could break, a lattice or a bound: counters at and past 2^48, -0, NaN, … */
export const HOSTILE_NUMBERS: number[] = [
  0, 1, 2, -1, -0, 0.5, NaN, Infinity, -Infinity, 23, 24, 255, 256, 65535, 65536, 1e6, 1e9, 2 ** 31, 2 ** 32,
  2 ** 48, 2 ** 48 + 1, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1.5e308,
];

const HOSTILE_STRINGS = ['', 'a', 'z', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 's', 'x'.repeat(70)];

/** Interesting bytes at CBOR heads: the length escapes (24..27, 31), break, and big-length heads. */
const HEAD_BYTES = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x3b, 0x5b, 0x7b, 0x9b, 0x9f, 0xbb, 0xbf, 0xf9, 0xfa, 0xfb, 0xff, 0xf6, 0xf7];

function randomBytes(r: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = below(r, 256);
  return out;
}

/** One byte-level mutation of `src` (never edits src), capped at `max` bytes. */
export function mutateBytes(r: Rng, src: Uint8Array, max: number): Uint8Array {
  const kind = below(r, 9);
  const n = src.length;
  let out: Uint8Array;
  if (n === 0 || kind === 0) {
    out = randomBytes(r, 1 + below(r, 64));
  } else if (kind === 1) {
    out = src.slice();
    out[below(r, n)] ^= 1 << below(r, 8);
  } else if (kind === 2) {
    out = src.slice();
    out[below(r, n)] = HEAD_BYTES[below(r, HEAD_BYTES.length)];
  } else if (kind === 3) {
    out = src.slice();
    out[below(r, n)] = below(r, 256);
  } else if (kind === 4) {
    const at = below(r, n);
    out = src.slice(0, at); // truncate
  } else if (kind === 5) {
    const at = below(r, n + 1);
    const ins = randomBytes(r, 1 + below(r, 8));
    out = new Uint8Array(n + ins.length);
    out.set(src.subarray(0, at), 0);
    out.set(ins, at);
    out.set(src.subarray(at), at + ins.length);
  } else if (kind === 6) {
    const a = below(r, n);
    const len = 1 + below(r, Math.min(16, n - a));
    out = new Uint8Array(n - len);
    out.set(src.subarray(0, a), 0);
    out.set(src.subarray(a + len), a);
  } else if (kind === 7) {
    // Repeat a chunk many times: long runs are what length and count bounds are for.
    const a = below(r, n);
    const len = 1 + below(r, Math.min(32, n - a));
    const times = 1 + below(r, 64);
    out = new Uint8Array(n + len * times);
    out.set(src.subarray(0, a + len), 0);
    for (let t = 0; t < times; t++) out.set(src.subarray(a, a + len), a + len * (t + 1));
    out.set(src.subarray(a + len), a + len * (times + 1));
  } else {
    out = src.slice();
    const at = below(r, n);
    const v = HOSTILE_NUMBERS[below(r, HOSTILE_NUMBERS.length)];
    const bytes = encode(Number.isNaN(v) ? NaN : v);
    for (let i = 0; i < bytes.length && at + i < out.length; i++) out[at + i] = bytes[i];
  }
  return out.length > max ? out.subarray(0, max) : out;
}

/** Paths to every node of an item tree, as containers plus index/key. */
function nodesOf(item: Item, out: { parent: any; key: any }[], depth: number): void {
  if (depth > 40 || out.length > 4096) return;
  if (Array.isArray(item)) {
    for (let i = 0; i < item.length; i++) {
      out.push({ parent: item, key: i });
      nodesOf(item[i], out, depth + 1);
    }
  } else if (item !== null && typeof item === 'object' && !(item instanceof Uint8Array)) {
    for (const k of Object.keys(item)) {
      out.push({ parent: item, key: k });
      nodesOf((item as any)[k], out, depth + 1);
    }
  }
}

let fresh = 0;

/**
 * One structure-aware mutation of a decoded item (edits it in place). The menu is the set of known semantic
 * attacks: a counter or timestamp swapped for a hostile number, a replica swapped for a fresh or odd id, an array
 * grown by copies of its pairs under fresh ids (thousands of fresh replicas), an entry dropped or duplicated.
 */
export function mutateItem(r: Rng, root: Item): Item {
  const nodes: { parent: any; key: any }[] = [];
  nodesOf(root, nodes, 0);
  if (nodes.length === 0) return HOSTILE_NUMBERS[below(r, HOSTILE_NUMBERS.length)];
  const at = nodes[below(r, nodes.length)];
  const v = at.parent[at.key];
  const kind = below(r, 8);
  if (typeof v === 'number' || kind === 0) {
    at.parent[at.key] = kind < 6 ? HOSTILE_NUMBERS[below(r, HOSTILE_NUMBERS.length)] : (typeof v === 'number' ? v + 1 : below(r, 1000));
  } else if (typeof v === 'string' && kind < 4) {
    at.parent[at.key] = kind < 2 ? 'f' + (fresh++).toString(36) : HOSTILE_STRINGS[below(r, HOSTILE_STRINGS.length)];
  } else if (Array.isArray(v) && v.length > 0 && kind < 5) {
    // Grow: copy a run of entries, renaming strings, up to a few thousand entries.
    const stride = v.length >= 2 && typeof v[0] === 'string' ? 2 : 1;
    const times = 1 + below(r, float(r) < 0.1 ? 4000 : 40);
    for (let t = 0; t < times; t++) {
      for (let s = 0; s < stride && s < v.length; s++) {
        const x = v[s];
        v.push(typeof x === 'string' ? 'f' + (fresh++).toString(36) : x);
      }
    }
  } else if (Array.isArray(at.parent) && kind < 7) {
    at.parent.splice(at.key, 1);
  } else if (Array.isArray(at.parent)) {
    at.parent.splice(at.key, 0, v);
  } else {
    delete at.parent[at.key];
  }
  return root;
}

/** Decode, mutate the item, encode again; the bytes unchanged when they do not decode or do not re-encode. */
export function mutateStructure(r: Rng, src: Uint8Array, max: number): Uint8Array {
  let item: Item;
  try {
    item = decode(src, { maxFrame: Infinity });
  } catch (e) {
    return mutateBytes(r, src, max);
  }
  const rounds = 1 + below(r, 3);
  for (let i = 0; i < rounds; i++) item = mutateItem(r, item);
  try {
    const out = encode(item, { maxFrame: Infinity, maxItems: Infinity, maxCount: Infinity });
    return out.length > max ? mutateBytes(r, src, max) : out;
  } catch (e) {
    return mutateBytes(r, src, max);
  }
}

/** The next input: mostly a mutated corpus entry, sometimes random bytes. */
export function nextInput(r: Rng, corpus: Uint8Array[], max: number): Uint8Array {
  if (corpus.length === 0 || below(r, 50) === 0) return randomBytes(r, 1 + below(r, 256));
  let x = corpus[below(r, corpus.length)];
  const rounds = 1 + below(r, 3);
  for (let i = 0; i < rounds; i++) x = below(r, 2) === 0 ? mutateStructure(r, x, max) : mutateBytes(r, x, max);
  return x;
}
