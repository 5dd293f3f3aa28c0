/**
 * CRDT types by name. A type spec is the string that names a type on the wire and in the dataflow API: a base
 * name ("gcounter", "orset") or a factory applied to specs ("pair(gcounter,lww)", "awmap(pncounter)").
 *
 *   const t = typeOf('awmap( pair(gcounter, lww) )');
 *   specOf(t); // "awmap(pair(gcounter,lww))": canonical, no spaces
 *
 * Specs arrive from peers, so parsing is bounded (MAX_SPEC_LENGTH characters, MAX_SPEC_DEPTH nested factories)
 * and anything else is a DecodeError with reason "spec". Wire tags (each type's `tag`) are listed in TAGS.
 */
import { DecodeError } from './errors.ts';
import { hasOwn } from './keys.ts';
import type { Crdt } from './types.ts';
import { GCounter } from './gcounter.ts';
import { PNCounter } from './pncounter.ts';
import { BCounter } from './bcounter.ts';
import { MaxInt } from './maxint.ts';
import { pair } from './pair.ts';
import { GSet } from './gset.ts';
import { TwoPSet } from './twopset.ts';
import { LWW } from './lww.ts';
import { ORSet } from './orset.ts';
import { MVRegister } from './mvregister.ts';
import { EWFlag } from './ewflag.ts';
import { DWFlag } from './dwflag.ts';
import { awmap } from './awmap.ts';
import { AWGraph } from './awgraph.ts';

/** Longest spec accepted (a spec travels in deltas and digests). */
export const MAX_SPEC_LENGTH = 128;
/** Deepest nesting of factories, e.g. awmap(awmap(pair(a,b))) is 3. */
export const MAX_SPEC_DEPTH = 4;
/** Parameterised types built from specs are kept for reuse, up to this many (then built afresh each time). */
const MAX_CACHED = 32;

type AnyCrdt = Crdt<any, any>;

/** The wire tags, fixed once released (DESIGN.md §3): never reuse a number for another type. */
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
};

const BASE: { [name: string]: AnyCrdt } = {
  gcounter: GCounter,
  pncounter: PNCounter,
  bcounter: BCounter,
  maxint: MaxInt,
  gset: GSet,
  twopset: TwoPSet,
  lww: LWW,
  orset: ORSet,
  mvregister: MVRegister,
  ewflag: EWFlag,
  dwflag: DWFlag,
  awgraph: AWGraph,
};

/** Factories by name, with their arity. */
const FACTORIES: { [name: string]: { arity: number; make: (args: AnyCrdt[]) => AnyCrdt } } = {
  pair: { arity: 2, make: (a) => pair(a[0], a[1]) },
  awmap: { arity: 1, make: (a) => awmap(a[0]) },
};

const cache: { [spec: string]: AnyCrdt } = {};
let cached = 0;

/** A parsed spec: a name and, for a factory, its arguments. */
interface Node {
  name: string;
  args: Node[] | null;
}

function bad(spec: string, why: string): never {
  throw new DecodeError('spec', 'type spec "' + spec + '": ' + why);
}

function isNameChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/** Recursive descent over `name | name "(" spec ("," spec)* ")"`, spaces allowed between tokens. */
function parse(spec: string): Node {
  if (typeof spec !== 'string') bad(String(spec), 'not a string');
  if (spec.length === 0 || spec.length > MAX_SPEC_LENGTH) bad(spec.slice(0, 32), 'length must be 1..' + MAX_SPEC_LENGTH);
  const p = { i: 0 };
  const skip = (): void => {
    while (p.i < spec.length && spec.charAt(p.i) === ' ') p.i++;
  };
  const one = (depth: number): Node => {
    skip();
    const start = p.i;
    while (p.i < spec.length && isNameChar(spec.charAt(p.i))) p.i++;
    const name = spec.slice(start, p.i);
    if (name.length === 0) bad(spec, 'expected a type name at ' + start);
    skip();
    if (hasOwn(FACTORIES, name)) {
      if (depth >= MAX_SPEC_DEPTH) bad(spec, 'nested deeper than ' + MAX_SPEC_DEPTH);
      if (spec.charAt(p.i) !== '(') bad(spec, name + ' needs ' + FACTORIES[name].arity + ' type argument(s) in parentheses');
      p.i++;
      const args: Node[] = [];
      for (;;) {
        args.push(one(depth + 1));
        if (spec.charAt(p.i) === ',') {
          p.i++;
          continue;
        }
        if (spec.charAt(p.i) === ')') {
          p.i++;
          break;
        }
        bad(spec, 'expected "," or ")" at ' + p.i);
      }
      if (args.length !== FACTORIES[name].arity) {
        bad(spec, name + ' takes ' + FACTORIES[name].arity + ' type argument(s), got ' + args.length);
      }
      skip();
      return { name: name, args: args };
    }
    if (!hasOwn(BASE, name)) bad(spec, 'unknown type "' + name + '" (known: ' + known().join(', ') + ')');
    return { name: name, args: null };
  };
  const node = one(0);
  if (p.i !== spec.length) bad(spec, 'unexpected "' + spec.charAt(p.i) + '" at ' + p.i);
  return node;
}

function canonical(n: Node): string {
  if (n.args === null) return n.name;
  let s = n.name + '(';
  for (let i = 0; i < n.args.length; i++) s += (i > 0 ? ',' : '') + canonical(n.args[i]);
  return s + ')';
}

function build(n: Node): AnyCrdt {
  if (n.args === null) return BASE[n.name];
  const spec = canonical(n);
  if (hasOwn(cache, spec)) return cache[spec];
  const args: AnyCrdt[] = [];
  for (let i = 0; i < n.args.length; i++) args.push(build(n.args[i]));
  const t = FACTORIES[n.name].make(args);
  if (cached < MAX_CACHED) {
    cache[spec] = t;
    cached++;
  }
  return t;
}

/** Every name the parser accepts, sorted: base types and factories. */
export function known(): string[] {
  return Object.keys(BASE).concat(Object.keys(FACTORIES)).sort();
}

/** The type a spec names. Throws DecodeError (reason "spec") for anything malformed, unknown or too long. */
export function typeOf(spec: string): AnyCrdt {
  return build(parse(spec));
}

/** The canonical spec of a type built from the registry or by its factories: typeOf(specOf(t)) behaves as t. */
export function specOf(t: AnyCrdt): string {
  const names = Object.keys(BASE);
  for (let i = 0; i < names.length; i++) if (BASE[names[i]] === t) return names[i];
  // Factories name their products after their arguments (e.g. "pair(gcounter,lww)"), so the name is the spec;
  // parsing it back both validates it and makes it canonical.
  return canonical(parse(t.name));
}

/** Canonical form of a spec string (spaces removed), or a DecodeError. */
export function canonicalSpec(spec: string): string {
  return canonical(parse(spec));
}
