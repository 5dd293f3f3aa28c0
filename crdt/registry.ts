/**
 * CRDT types by name, in a registry that a profile fills with the types it uses: the board registers three,
 * Node and the simulator every one (crdt/all.ts). This file imports no type, so a bundle holds only the types
 * its profile registers. A type spec is the string that names a type on the wire and in the dataflow API: a
 * base name ("gcounter", "orset") or a factory applied to specs ("pair(gcounter,lww)", "awmap(pncounter)").
 *
 *   const r = registry();
 *   register(r, ORSet);                      // under its own name, "orset"
 *   registerFactory(r, 'pair', 2, (a) => pair(a[0], a[1]));
 *   typeOf(r, 'pair( orset, orset )');       // specOf(r, that) is "pair(orset,orset)": canonical, no spaces
 *   typeOf(r, 'lww');                        // DecodeError "spec": unknown type "lww" (known: orset, pair)
 *
 * Specs arrive from peers, so parsing is bounded (MAX_SPEC_LENGTH characters, MAX_SPEC_DEPTH nested factories)
 * and anything else, a type this registry does not hold included, is a DecodeError with reason "spec". Wire
 * tags (each type's `tag`) are listed in TAGS.
 */
import { DecodeError } from './errors.ts';
import { hasOwn } from './keys.ts';
import type { Core } from './types.ts';

/** Longest spec accepted (a spec travels in deltas and digests). */
export const MAX_SPEC_LENGTH = 128;
/** Deepest nesting of factories, e.g. awmap(awmap(pair(a,b))) is 3. */
export const MAX_SPEC_DEPTH = 4;
/** Parameterised types built from specs are kept for reuse, up to this many (then built afresh each time). */
const MAX_CACHED = 32;

type AnyCrdt = Core<any, any>;

/** The wire tags, fixed once released (PROTOCOL.md, "Type specs"): never reuse a number for another type. */
export const TAGS: { [name: string]: number } = {
  gcounter: 1,
  pncounter: 2,
  bcounter: 3,
  maxint: 4,
  pair: 5,
  gset: 6,
  twopset: 7,
  lww: 8,
  orset: 9,
  mvregister: 10,
  ewflag: 11,
  dwflag: 12,
  awmap: 13,
  awgraph: 14,
  lamport: 15,
};

/** A factory: builds a type from `arity` argument types (e.g. pair, awmap). */
export type Make = (args: any[]) => AnyCrdt;

export interface Registry {
  /** Base types by name. Null-prototype tables: names come from peers. */
  base: { [name: string]: AnyCrdt };
  /** Factories by name: arity and builder. */
  arity: { [name: string]: number };
  make: { [name: string]: Make };
  /** Parameterised types already built, by canonical spec (at most MAX_CACHED). */
  cache: { [spec: string]: AnyCrdt };
  cached: number;
  /** The parser of a factory's arguments, set by registerFactory (a registry without factories never needs it). */
  nest: ((r: Registry, p: Cursor, depth: number, name: string) => Parsed) | null;
}

/** An empty registry. */
export function registry(): Registry {
  return { base: Object.create(null), arity: Object.create(null), make: Object.create(null), cache: Object.create(null), cached: 0, nest: null };
}

/** Register a base type under its own name (`t.name`); returns the registry, so calls chain. */
export function register(r: Registry, t: AnyCrdt): Registry {
  r.base[t.name] = t;
  return r;
}

/** Register a factory taking `arity` type arguments. */
export function registerFactory(r: Registry, name: string, arity: number, make: Make): Registry {
  r.arity[name] = arity;
  r.make[name] = make;
  r.nest = nested;
  return r;
}

/** A parsed spec: its canonical form and the type it names. */
export interface Parsed {
  s: string;
  t: AnyCrdt;
}

/** Parser position, passed along instead of closed over (a closure per call costs memory on a board). */
export interface Cursor {
  s: string;
  i: number;
}

function bad(spec: string, why: string): never {
  throw new DecodeError('spec', 'type spec "' + spec + '": ' + why);
}

/**
 * Recursive descent over `name | name "(" spec ("," spec)* ")"`, spaces allowed between tokens: the canonical
 * spec and the type, built as it goes. Called with the spec string and depth -1 at the top, where it checks the
 * length and that nothing follows; nested calls pass the cursor. A factory's arguments are parsed by `nested`,
 * which registerFactory installs: a board's registry has no factories, so its bundle never holds that part.
 */
function parse(r: Registry, at: Cursor | string, depth: number): Parsed {
  let p = at as Cursor;
  if (depth < 0) {
    const whole = at as string;
    if (typeof whole !== 'string') bad(String(whole), 'not a string');
    if (whole.length === 0 || whole.length > MAX_SPEC_LENGTH) bad(whole.slice(0, 32), 'length must be 1..' + MAX_SPEC_LENGTH);
    p = { s: whole, i: 0 };
    const n = parse(r, p, 0);
    if (p.i !== whole.length) bad(whole, 'unexpected "' + whole.charAt(p.i) + '" at ' + p.i);
    return n;
  }
  const spec = p.s;
  while (p.i < spec.length && spec.charAt(p.i) === ' ') p.i++;
  const start = p.i;
  for (;;) {
    const c = spec.charAt(p.i);
    if (p.i >= spec.length || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) break;
    p.i++;
  }
  const name = spec.slice(start, p.i);
  if (name.length === 0) bad(spec, 'expected a type name at ' + start);
  while (p.i < spec.length && spec.charAt(p.i) === ' ') p.i++;
  if (!hasOwn(r.arity, name)) {
    if (!hasOwn(r.base, name)) bad(spec, 'unknown type "' + name + '" (known: ' + Object.keys(r.base).concat(Object.keys(r.arity)).sort().join(', ') + ')');
    return { s: name, t: r.base[name] };
  }
  return (r.nest as NonNullable<Registry['nest']>)(r, p, depth, name);
}

/** The rest of a factory's spec after its name: "(" spec ("," spec)* ")", the type built or taken from the cache. */
function nested(r: Registry, p: Cursor, depth: number, name: string): Parsed {
  const spec = p.s;
  const arity = r.arity[name];
  if (depth >= MAX_SPEC_DEPTH) bad(spec, 'nested deeper than ' + MAX_SPEC_DEPTH);
  if (spec.charAt(p.i) !== '(') bad(spec, name + ' needs ' + arity + ' type argument(s) in parentheses');
  p.i++;
  const args: AnyCrdt[] = [];
  let canon = name + '(';
  for (;;) {
    const a = parse(r, p, depth + 1);
    canon += (args.length > 0 ? ',' : '') + a.s;
    args.push(a.t);
    const c = spec.charAt(p.i);
    p.i++;
    if (c === ')') break;
    if (c !== ',') bad(spec, 'expected "," or ")" at ' + (p.i - 1));
  }
  if (args.length !== arity) bad(spec, name + ' takes ' + arity + ' type argument(s), got ' + args.length);
  while (p.i < spec.length && spec.charAt(p.i) === ' ') p.i++;
  canon += ')';
  if (hasOwn(r.cache, canon)) return { s: canon, t: r.cache[canon] };
  const t = r.make[name](args);
  if (r.cached < MAX_CACHED) {
    r.cache[canon] = t;
    r.cached++;
  }
  return { s: canon, t: t };
}

/** Every name the registry's parser accepts, sorted: base types and factories. */
export function known(r: Registry): string[] {
  return Object.keys(r.base).concat(Object.keys(r.arity)).sort();
}

/** The type a spec names. Throws DecodeError (reason "spec") for anything malformed, unknown or too long. */
export function typeOf(r: Registry, spec: string): AnyCrdt {
  return parse(r, spec, -1).t;
}

/** The canonical spec of a type built from the registry or by its factories: typeOf(r, specOf(r, t)) is t. */
export function specOf(r: Registry, t: AnyCrdt): string {
  if (hasOwn(r.base, t.name) && r.base[t.name] === t) return t.name;
  // Factories name their products after their arguments (e.g. "pair(gcounter,lww)"), so the name is the spec;
  // parsing it back both validates it and makes it canonical.
  return parse(r, t.name, -1).s;
}

/** Canonical form of a spec string (spaces removed), or a DecodeError. */
export function canonicalSpec(r: Registry, spec: string): string {
  return parse(r, spec, -1).s;
}
