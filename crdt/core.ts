/**
 * A type's core table (types.ts, Core), and what is derived from it: the one shared module for both.
 *
 * On Espruino a function object costs variables for as long as it exists (about 5 plus one per parameter),
 * whatever its body, while a switch costs nothing per case. So a type the board uses is written as ONE function
 * `op(k, a, b)` that switches on the operation, and every core table made by `core` points at the same seven
 * small methods below (inherited from one shared object), which call their table's `op` through `this`: three
 * types cost one set of methods.
 * The runtime always calls a type's operations as methods (`t.joinInto(s, d)`); `full` binds them, so a table
 * made by `full` may also be called detached (`const J = ORSet.join`).
 *
 *   const ORSetCore = core('orset', 9, op, { add: …, remove: …, clear: … });  // what a board registers
 *   const ORSet = full(ORSetCore, { join: …, joinInto: …, claims: … });        // what Node registers
 *   join(ORSetCore, a, b);   // joinInto(copy(a), b): a and b are left as they were
 */
import type { Core, Crdt, Item, Mutator } from './types.ts';

/** Operation numbers of `op`. */
export const BOTTOM = 0;
export const JOIN_INTO = 1;
export const LEQ = 2;
export const VALUE = 3;
export const DECOMPOSE = 4;
export const ENCODE = 5;
export const DECODE = 6;

/** A type's one function: operation k on a and b (b is the delta of JOIN_INTO, the upper side of LEQ). */
export type Op = (k: number, a: any, b: any) => any;

interface Switched {
  op: Op;
}

function bottom(this: Switched): unknown {
  return this.op(0, null, null);
}
function joinInto(this: Switched, s: unknown, d: unknown): unknown {
  return this.op(1, s, d);
}
function leq(this: Switched, a: unknown, b: unknown): boolean {
  return this.op(2, a, b);
}
function value(this: Switched, s: unknown): unknown {
  return this.op(3, s, null);
}
function decompose(this: Switched, s: unknown): unknown[] {
  return this.op(4, s, null);
}
function encode(this: Switched, s: unknown): Item {
  return this.op(5, s, null);
}
function decode(this: Switched, x: Item): unknown {
  return this.op(6, x, null);
}

/**
 * The seven methods, shared: every core table inherits them from this one object, so a table holds only its
 * name, tag, op and mutators (on a board, seven properties fewer per type).
 */
const METHODS = { bottom: bottom, joinInto: joinInto, leq: leq, value: value, decompose: decompose, encode: encode, decode: decode };

/** A core table for a type written as one `op` (see above). */
export function core<S, V>(name: string, tag: number, op: Op, mutators: { [name: string]: Mutator<S> }): Core<S, V> {
  const t = Object.create(METHODS);
  t.name = name;
  t.tag = tag;
  t.op = op;
  t.mutators = mutators;
  return t as Core<S, V>;
}

/** What a type adds to its core for the full profile: claims, and faster versions of what `full` derives. */
export interface Extras<S> {
  claims(state: S, out: { [replica: string]: number }): void;
  join?(a: S, b: S): S;
  joinInto?(state: S, delta: S): S;
  leq?(a: S, b: S): boolean;
  copy?(state: S): S;
}

/**
 * The whole contract from a core and its extras, every method bound (so it may be called detached). Missing
 * extras are derived: copy by decode(encode(s)), join by joinInto(copy(a), b).
 */
export function full<S, V>(c: Core<S, V>, x: Extras<S>): Crdt<S, V> {
  const t: Crdt<S, V> = {
    name: c.name,
    tag: c.tag,
    mutators: c.mutators,
    bottom: () => c.bottom(),
    joinInto: x.joinInto ? x.joinInto : (s, d) => c.joinInto(s, d),
    leq: x.leq ? x.leq : (a, b) => c.leq(a, b),
    value: (s) => c.value(s),
    decompose: (s) => c.decompose(s),
    encode: (s) => c.encode(s),
    decode: (item) => c.decode(item),
    copy: x.copy ? x.copy : (s) => c.decode(c.encode(s)),
    join: x.join ? x.join : (a, b) => t.joinInto(t.copy(a), b),
    claims: x.claims,
  };
  return t;
}

/** A state equal to s that the caller owns: the type's own copy where it has one, else decode(encode(s)). */
export function copy<S, V>(t: Core<S, V>, s: S): S {
  const own = (t as Crdt<S, V>).copy;
  return own ? own(s) : t.decode(t.encode(s));
}

/** join(a, b) as a new state, a and b left as they were: the type's own join where it has one. */
export function join<S, V>(t: Core<S, V>, a: S, b: S): S {
  const own = (t as Crdt<S, V>).join;
  return own ? own(a, b) : t.joinInto(t.decode(t.encode(a)), b);
}
