/**
 * crdt/codec/utf8.ts for the board (the build puts this file in its place, targets/espruino/build.ts). Espruino
 * on a Puck.js or a Pico has no Unicode: a string holds bytes, and text from the wire is already its UTF-8
 * (checked on the interpreter: '"\u6c34"' parses to one character, E.isUTF8 reports "Unicode not supported").
 * So converting is copying bytes, and E.toString makes a string of bytes natively. The well-formedness check
 * (utf8Invalid) is the codec's own, re-exported: the wire must refuse what the interpreter would take.
 *
 * The three conversions are one function object under three names: on the board each function object costs
 * variables for as long as the bundle is loaded, and the calls tell themselves apart by their arguments.
 */
declare const E: { toString(b: Uint8Array): string };

export { utf8Invalid } from '../../crdt/codec/utf8.ts';

/** Strings hold bytes here, never UTF-16 code units. */
export const WIDE = false;

/**
 * utf8Length(s): s's bytes, s.length; writeUtf8(s, out, at): copies s's bytes to out[at...] and returns the end;
 * readUtf8(b, start, end): the string of b[start...end). The `wide` argument the callers pass is false here.
 */
function bytes(a: any, b?: any, c?: any): any {
  if (typeof a !== 'string') return E.toString(a.subarray(b, c));
  if (!(b instanceof Uint8Array)) return a.length;
  for (let i = 0; i < a.length; i++) b[c++] = a.charCodeAt(i);
  return c;
}

export { bytes as utf8Length, bytes as writeUtf8, bytes as readUtf8 };
