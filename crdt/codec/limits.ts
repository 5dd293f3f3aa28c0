/**
 * Bounds for decoding a frame from a peer (PROTOCOL.md, "Limits"). A radio link delivers whatever bytes it likes,
 * so every claim a frame makes about itself (a length, a count, a nesting) is checked against these before the
 * decoder acts on it, and anything past them is a DecodeError with a reason, never an allocation or a deep
 * recursion. The defaults suit a Node or Pi peer; a board passes tighter ones.
 *
 *   decode(bytes, { maxFrame: 4096, maxItems: 512 });  // a Puck.js: fields left out keep their defaults
 */

export interface Limits {
  /** Bytes in one frame (the whole input of decode). */
  maxFrame: number;
  /** Arrays and maps nested inside one another: [] is depth 1, [[]] depth 2; scalars add nothing. */
  maxDepth: number;
  /** Data items in one frame, counting every container, every element, and each map key and value. */
  maxItems: number;
  /** Bytes in one text or byte string (UTF-8 bytes for text, not characters). */
  maxString: number;
  /** Elements of one array, or entries (key-value pairs) of one map. */
  maxCount: number;
}

/**
 * The defaults, with why each is what it is. They are generous for a Node peer; the board's target passes its
 * own (a Puck.js has about 2,600 variables of 13-17 bytes, so even a 16 KB frame is out of reach there).
 */
export const DEFAULT_LIMITS: Limits = {
  // 64 KB: the largest body a 16-bit length prefix (serial, BLE reassembly) can announce, and well above a
  // full-state transfer between small devices; a larger state goes as deltas or a digest exchange.
  maxFrame: 65536,
  // The deepest frame Pollen writes is an envelope around an add-wins map whose values nest further maps, about
  // three levels per map; 32 leaves room for maps nested eight deep. Each level is one frame on the decoder's
  // explicit stack, so the cost of a deep frame is bounded by this and not by the JavaScript call stack.
  maxDepth: 32,
  // Every decoded item costs at least one variable on a board and tens of bytes on Node; without this bound a
  // 64 KB frame of one-byte items would become 65,536 values. 16,384 still holds an OR-Set of about 3,000
  // elements (an element and a dot of three integers each).
  maxItems: 16384,
  // Replica ids, map keys and register values are short; a larger blob does not belong inside a CRDT state,
  // and decoding copies it, so its memory counts twice while the frame is alive.
  maxString: 16384,
  // The same as maxItems by default (a container can never hold more items than the frame); it exists for a
  // caller that wants one container capped more tightly than the whole frame, e.g. a view or a digest list.
  maxCount: 16384,
};

/**
 * The defaults with the given fields replaced (Infinity lifts a bound). A field that is not a non-negative
 * integer is a programming error in the caller, so it throws a plain Error at once instead of letting every
 * frame fail later.
 */
export function limits(partial?: Partial<Limits>): Limits {
  const out: { [k: string]: number } = {};
  const given = (partial || {}) as { [k: string]: unknown };
  const names = Object.keys(DEFAULT_LIMITS);
  for (let i = 0; i < names.length; i++) {
    const v = given[names[i]];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || Math.floor(v) !== v)) {
      throw new Error('limits: ' + names[i] + ' must be a non-negative integer, got ' + v);
    }
    out[names[i]] = v === undefined ? (DEFAULT_LIMITS as unknown as { [k: string]: number })[names[i]] : v;
  }
  return out as unknown as Limits;
}
