/**
 * UTF-8 for the codec, written out because the board has no TextEncoder/TextDecoder and because the wire must
 * refuse what a lenient decoder would patch over: overlong forms, encoded surrogates, code points past U+10FFFF,
 * cut-off sequences (RFC 3629 §4, the table of well-formed byte sequences).
 *
 * Interpreters come in two kinds. A "wide" one (Node, browsers, Espruino builds with Unicode) holds a string as
 * UTF-16 code units, so text is converted both ways. An 8-bit Espruino build holds a string as bytes, and a
 * UTF-8 literal in the source is already its UTF-8 bytes: there the codec keeps UTF-8 as bytes, one character
 * per byte, and only checks that they are well-formed (ARCHITECTURE.md, "What the board's JavaScript lacks").
 *
 *   const n = utf8Length('水', WIDE);          // 3
 *   const out = new Uint8Array(n);
 *   writeUtf8('水', out, 0, WIDE);             // e6 b0 b4
 *   utf8Invalid(out, 0, n);                    // -1: well-formed
 *   readUtf8(out, 0, n, WIDE);                 // '水'
 */

/**
 * True where strings hold 16-bit code units; false on an 8-bit interpreter. The probe goes through JSON.parse
 * because esbuild folds charCodeAt (and fromCharCode) on a literal at build time, which would bake Node's
 * answer into the board's bundle. The probe is a function marked pure so that a bundle that never reads WIDE
 * (the board's, whose utf8 module is its own) drops it: left at the top level, esbuild keeps the call, which
 * costs a board about ten variables.
 */
function wideStrings(): boolean {
  return JSON.parse('"\\u6c34"').charCodeAt(0) === 0x6c34;
}
// (declared before its call: the board's interpreter does not hoist function declarations out of order)
export const WIDE: boolean = /* @__PURE__ */ wideStrings();

/**
 * Bytes s takes in UTF-8, or -1 when it cannot be written as well-formed UTF-8: a lone surrogate on a wide
 * interpreter, a character above 0xff on an 8-bit one (where the bytes must still be checked with utf8Invalid
 * once written). A code unit above 0xffff is taken as a whole code point, for interpreters that report those.
 */
export function utf8Length(s: string, wide: boolean): number {
  const len = s.length;
  if (!wide) {
    for (let i = 0; i < len; i++) if (s.charCodeAt(i) > 0xff) return -1;
    return len;
  }
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) return -1;
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else if (c <= 0xffff) n += 3;
    else if (c <= 0x10ffff) n += 4;
    else return -1;
  }
  return n;
}

/** Writes s as UTF-8 at out[at...]; the room must be there (utf8Length says how much). Returns the end. */
export function writeUtf8(s: string, out: Uint8Array, at: number, wide: boolean): number {
  const len = s.length;
  let p = at;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (!wide || c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
    }
    if (c <= 0xffff) {
      out[p++] = 0xe0 | (c >> 12);
    } else {
      out[p++] = 0xf0 | (c >> 18);
      out[p++] = 0x80 | ((c >> 12) & 0x3f);
    }
    out[p++] = 0x80 | ((c >> 6) & 0x3f);
    out[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/**
 * Where well-formed UTF-8 breaks in b[start...end): the offset of the offending byte (of the lead byte for a
 * sequence the end cuts off), or -1 when all is well.
 */
export function utf8Invalid(b: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end) {
    const c = b[p];
    if (c < 0x80) {
      p++;
      continue;
    }
    let more: number;
    // The bounds of the first continuation byte are where overlong forms, surrogates and code points past
    // U+10FFFF are refused (RFC 3629, table 3-7 of Unicode).
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return p;
    if (p + more >= end) return p; // cut off by the end of the string
    const c1 = b[p + 1];
    if (c1 < lo || c1 > hi) return p + 1;
    for (let k = 2; k <= more; k++) {
      const ck = b[p + k];
      if (ck < 0x80 || ck > 0xbf) return p + k;
    }
    p += more + 1;
  }
  return -1;
}

/** The text in b[start...end), which utf8Invalid has passed. */
export function readUtf8(b: Uint8Array, start: number, end: number, wide: boolean): string {
  let s = '';
  let p = start;
  while (p < end) {
    const c = b[p];
    if (!wide || c < 0x80) {
      s += String.fromCharCode(c);
      p++;
      continue;
    }
    let cp: number;
    if (c < 0xe0) {
      cp = ((c & 0x1f) << 6) | (b[p + 1] & 0x3f);
      p += 2;
    } else if (c < 0xf0) {
      cp = ((c & 0x0f) << 12) | ((b[p + 1] & 0x3f) << 6) | (b[p + 2] & 0x3f);
      p += 3;
    } else {
      cp = ((c & 0x07) << 18) | ((b[p + 1] & 0x3f) << 12) | ((b[p + 2] & 0x3f) << 6) | (b[p + 3] & 0x3f);
      p += 4;
    }
    if (cp < 0x10000) s += String.fromCharCode(cp);
    else {
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10));
      s += String.fromCharCode(0xdc00 + (cp & 0x3ff));
    }
  }
  return s;
}
