import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkBoard, formatViolation, type BoardReport } from '../../tools/board-check.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * One planted file per construct family: `plant` is the offending line (it lands on line 3, after a comment and
 * a filler line) and `construct` must match every violation reported for the file, so a stray report fails too.
 */
const FAMILIES: { name: string; plant: string; construct: RegExp }[] = [
  { name: 'map', plant: 'export const seen = new Map<string, number>();', construct: /^Map \(/ },
  { name: 'spread', plant: 'export function top(xs: number[]) { return Math.max(...xs); }', construct: /^spread in call/ },
  { name: 'arrayspread', plant: 'export function copy(xs: number[]) { return [...xs]; }', construct: /^spread in array literal/ },
  { name: 'objectspread', plant: 'export function clone(o: object) { return { ...o }; }', construct: /^spread in object literal/ },
  { name: 'destructuring', plant: 'export function first(p: { a: number }) { const { a } = p; return a; }', construct: /^destructuring/ },
  { name: 'forofhead', plant: 'export function sum(ps: number[][]) { let s = 0; for (const [a] of ps) s += a; return s; }', construct: /^destructuring/ },
  { name: 'defaultparam', plant: 'export function inc(n: number, by = 1) { return n + by; }', construct: /^default parameter value/ },
  { name: 'rest', plant: 'export function count(...xs: number[]) { return xs.length; }', construct: /^rest parameter/ },
  { name: 'optional', plant: 'export function deep(o: { a?: { b: number } }) { return o.a?.b; }', construct: /^optional chaining/ },
  { name: 'power', plant: 'export function sq(n: number) { return n ** 2; }', construct: /^\*\* operator/ },
  { name: 'async', plant: 'export async function later(p: Promise<number>) { return (await p) + 1; }', construct: /^async function/ },
  { name: 'generator', plant: 'export function* ids() { yield 1; }', construct: /^generator function/ },
  { name: 'computed', plant: 'export function one(k: string) { return { [k]: 1 }; }', construct: /^computed key in object literal/ },
  { name: 'label', plant: 'export function find(xs: number[][]) { outer: for (const r of xs) for (const x of r) if (x) break outer; }', construct: /^label outer:/ },
  { name: 'private', plant: 'export class Box { #v = 1; get v() { return this.#v; } }', construct: /private/ },
  { name: 'arrayfrom', plant: 'export function list(s: string) { return Array.from(s); }', construct: /^Array\.from/ },
  { name: 'prototype', plant: 'export function tail(xs: number[]) { return Array.prototype.slice.call(xs, 1); }', construct: /^Array\.prototype\.slice .*prototype/ },
  { name: 'hasown', plant: 'export function has(o: object, k: string) { return Object.prototype.hasOwnProperty.call(o, k); }', construct: /^Object\.prototype\.hasOwnProperty/ },
  { name: 'subclass', plant: 'class A { n: number; constructor() { this.n = 0; } } export class B extends A { m = 1; }', construct: /^super\(\.\.\.arguments\)/ },
  { name: 'truncate', plant: 'export function clear(xs: number[]) { xs.length = 0; }', construct: /^assignment to \.length/ },
  { name: 'mathtrunc', plant: 'export function cut(n: number) { return Math.trunc(n) + Math.imul(n, 3); }', construct: /^Math\.(trunc|imul)/ },
  { name: 'symbol', plant: 'export const tag = Symbol("tag");', construct: /^Symbol \(/ },
  { name: 'errorclass', plant: 'export class Oops extends Error { constructor(m: string) { super(m); } }', construct: /^class extends Error/ },
  { name: 'rangeerror', plant: 'export class Range extends RangeError { constructor(m: string) { super(m); } }', construct: /^class extends RangeError/ },
  { name: 'u8slice', plant: 'export function head(b: Uint8Array | number[]) { return b.slice(0, 2); }', construct: /^Uint8Array#slice/ },
  { name: 'bufslice', plant: 'export function tail(b: Float64Array) { return b.slice(1); }', construct: /^Float64Array#slice/ },
  { name: 'ofname', plant: 'export function next(of: number) { return of + 1; }', construct: /^identifier of \(Espruino/ },
  { name: 'undefinedname', plant: 'export function h(x: number) { var undefined = x; return undefined; }', construct: /^identifier undefined/ },
  { name: 'ofgetter', plant: 'export const o = { get of() { return 1; } };', construct: /^getter named of/ },
  { name: 'ofmethod', plant: 'export class K { of() { return 1; } }', construct: /^class member named of/ },
  { name: 'textcodec', plant: 'export function utf8(s: string) { return new TextEncoder().encode(s); }', construct: /^TextEncoder/ },
];

function plantAll(dir: string): void {
  for (const f of FAMILIES) fs.writeFileSync(path.join(dir, f.name + '.ts'), '// planted for the board check\nexport const filler = 1;\n' + f.plant + '\n');
}

let dir = '';
let planted: BoardReport;

test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-board-'));
  plantAll(dir);
  planted = await checkBoard(FAMILIES.map((f) => f.name + '.ts'), { cwd: dir });
});

test.after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

for (const f of FAMILIES) {
  test('names the construct and the file: ' + f.name, () => {
    const mine = planted.violations.filter((v) => v.file === f.name + '.ts');
    assert.ok(mine.length > 0, 'nothing reported for ' + f.name + '.ts; all: ' + planted.violations.map(formatViolation).join(' | '));
    for (const v of mine) assert.match(v.construct, f.construct, formatViolation(v));
    assert.ok(mine.some((v) => v.line === 3), 'not on line 3: ' + mine.map(formatViolation).join(' | '));
  });
}

test('a clean file passes and is measured', async () => {
  fs.writeFileSync(path.join(dir, 'clean.ts'), [
    'export enum Kind { A, B }',
    'class Base { n = 0; constructor(public k: Kind) {} get twice() { return this.n * 2; } }',
    'export class Sub extends Base { m = 1; constructor() { super(Kind.B); } }',
    'export function f(o: { a?: number } | null, xs: number[]) {',
    '  const Map: { [k: string]: number } = Object.create(null);',
    '  let s = 0;',
    '  for (const x of xs) s += x;',
    '  Map.a = o == null ? 0 : (o.a ?? 1);',
    '  xs.splice(1, xs.length - 1);',
    '  return `${s}:${Object.keys(Map).sort().join(",")}:${Math.pow(2, 3)}` + ("a" in Map) + o!.hasOwnProperty("a");',
    '}',
  ].join('\n'));
  const r = await checkBoard(['clean.ts'], { cwd: dir });
  assert.equal(r.violations.map(formatViolation), []);
  assert.ok(r.bytes > 100, 'bytes ' + r.bytes);
  assert.ok(r.gzipBytes > 0 && r.entries.length === 1 && r.entries[0].bytes === r.bytes);
});

test('an import the board cannot resolve is reported against the importing file', async () => {
  fs.writeFileSync(path.join(dir, 'nodeapi.ts'), 'import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n');
  const r = await checkBoard(['nodeapi.ts'], { cwd: dir });
  assert.ok(r.violations.some((v) => v.file === 'nodeapi.ts' && v.line === 1 && /node:fs/.test(v.construct)), r.violations.map(formatViolation).join(' | '));
});

test('the CLI prints file:line: construct and exits 1', async () => {
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  const result = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(tsx, [path.join(ROOT, 'tools/board-check.ts'), 'spread.ts'], { cwd: dir }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, out: stdout });
    });
  });
  assert.is(result.code, 1);
  assert.match(result.out, /^spread\.ts:3: spread in call/m);
});

test('a string slice and an Error made by a function pass', async () => {
  fs.writeFileSync(path.join(dir, 'fine.ts'), [
    'export function cut(s: string, xs: number[]) { return s.slice(1) + xs.slice(1).length; }',
    'export function Oops(this: { message: string }, m: string) { this.message = m; }',
    'Oops.prototype = Object.create(Error.prototype);',
    'export const o = { of: 1, static: 2, get undefinedish() { return 3; } };',
    'export function f(x: { of: number }) { return x.of; }',
  ].join('\n'));
  const r = await checkBoard(['fine.ts'], { cwd: dir });
  assert.equal(r.violations.map(formatViolation), []);
});

test('the checked bundle publishes the exports in a plain object, without getters', async () => {
  const r = await checkBoard(['clean.ts'], { cwd: dir });
  assert.match(r.entries[0].code, /globalThis\.Pollen=/);
  assert.not.match(r.entries[0].code, /defineProperty/);
});

test('the board entry crdt/index.ts keeps to the subset', async () => {
  const r = await checkBoard(['crdt/index.ts'], { cwd: ROOT });
  assert.equal(r.violations.map(formatViolation), []);
  assert.ok(r.bytes > 0);
});

test('the board entry runtime/index.ts keeps to the subset', async () => {
  const r = await checkBoard(['runtime/index.ts'], { cwd: ROOT });
  assert.equal(r.violations.map(formatViolation), []);
  assert.ok(r.bytes > 0);
});

test.run();
