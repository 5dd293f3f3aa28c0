/**
 * The board subset check: bundle an entry the way the board gets it (esbuild, iife, es2015), parse the result
 * and name every construct the board lacks (ARCHITECTURE.md), with the source file and line it came from.
 *
 *   const r = await checkBoard(['crdt/index.ts']);
 *   // r.violations: [{ file: 'crdt/orset.ts', line: 42, construct: 'spread in call (the board has no spread)' }]
 *
 *   tsx tools/board-check.ts crdt/index.ts runtime/index.ts    # prints violations, exits 1 if any
 *
 * Two builds. The analysis build is unminified and tells esbuild the target "supports" the syntax the project
 * forbids but esbuild would otherwise lower silently (?., **, async, object spread), so the source construct
 * survives to be named; its source map is exact per line. The shipping build is what goes on the board:
 * minified, plain es2015; it gives the sizes and is scanned too, as a net for anything the minifier introduces.
 */
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { scanProgram, type Finding } from './board-rules.ts';
import { typedFindings } from './board-types.ts';
import { renameReserved } from './board-names.ts';
import { SourceIndex, type Position } from './source-map.ts';

export interface Violation {
  /** Source file relative to the working directory (absolute when outside it), or `<esbuild output>`. */
  file: string;
  line: number;
  construct: string;
}

export interface EntrySize {
  entry: string;
  bytes: number;
  gzipBytes: number;
  /** The bundle as the board gets it (minified, reserved names renamed). */
  code: string;
}

export interface BoardReport {
  /** Minified bytes over all entries, as they would be uploaded. */
  bytes: number;
  gzipBytes: number;
  entries: EntrySize[];
  violations: Violation[];
}

export interface BoardOptions {
  /** Directory entry points resolve from and file names are reported relative to (default: process.cwd()). */
  cwd?: string;
  /** esbuild plugins of the target (targets/espruino/build.ts puts the board's own CRC in place). */
  plugins?: esbuild.Plugin[];
}

/**
 * The esbuild settings for any bundle that goes on the board (targets/ should reuse them). No globalName: with
 * one, esbuild adds export helpers that reach Object.prototype.hasOwnProperty.
 */
export const BOARD_BUILD: esbuild.BuildOptions = {
  bundle: true,
  format: 'iife',
  target: 'es2015',
  platform: 'browser',
  // Without this esbuild emits class fields as defineProperty calls and, for a subclass with fields but no
  // constructor, `super(...arguments)`; with it fields become plain assignments in the constructor.
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  legalComments: 'none',
};

/**
 * The global a checked library entry's exports land in. esbuild's own export object (globalName) is made of
 * getters through Object.defineProperty and hands out the wrong export on the board, so the check bundles a small
 * wrapper that copies each export into a plain object by assignment, as a board entry must do itself.
 */
export const BOARD_GLOBAL = 'Pollen';
const WRAP_NS = 'pollen-board';

/** Forbidden syntax esbuild would lower without a word: kept as written so the check can name it. */
const KEEP_FORBIDDEN: { [feature: string]: boolean } = {
  'optional-chain': true,
  'exponent-operator': true,
  'async-await': true,
  'async-generator': true,
  'for-await': true,
  'object-rest-spread': true,
};

/** What a source construct was, judging by the esbuild helper that stands in for it. */
const HELPER_HINTS: [RegExp, string][] = [
  [/^__private/, 'private class member'],
  [/^__(async|await|forAwait|yieldStar)/, 'async code'],
  [/^__(spread|objRest|rest)/, 'object spread/rest'],
  [/^__(decorate|decorator|runInitializers)/, 'decorator'],
];

export async function checkBoard(entryPoints: string[], opts?: BoardOptions): Promise<BoardReport> {
  const cwd = path.resolve(opts && opts.cwd ? opts.cwd : process.cwd());
  let wrapped: string[];
  try {
    wrapped = await wrapEntries(entryPoints, cwd, opts);
  } catch (err) {
    return { bytes: 0, gzipBytes: 0, entries: [], violations: buildErrors(err, cwd) };
  }
  const common: esbuild.BuildOptions = {
    ...BOARD_BUILD,
    entryPoints: wrapped.map((w, i) => w ? WRAP_NS + ':' + entryPoints[i] : entryPoints[i]),
    plugins: [wrapPlugin(entryPoints, wrapped, cwd)].concat(opts && opts.plugins ? opts.plugins : []),
    absWorkingDir: cwd,
    outdir: path.join(cwd, '.board-check'),
    write: false,
    metafile: true,
    sourcemap: 'external',
    sourcesContent: false,
    logLevel: 'silent',
  };
  let analysis: esbuild.BuildResult;
  let shipping: esbuild.BuildResult;
  try {
    analysis = await esbuild.build({ ...common, minify: false, supported: KEEP_FORBIDDEN });
    shipping = await esbuild.build({ ...common, minify: true });
  } catch (err) {
    return { bytes: 0, gzipBytes: 0, entries: [], violations: buildErrors(err, cwd) };
  }

  const violations: Violation[] = [];
  for (const out of bundles(analysis)) violations.push(...analyse(out, cwd));
  // Rules that need types (Uint8Array#slice) run over the TypeScript sources that went into the bundles.
  const sources = Object.keys(analysis.metafile ? analysis.metafile.inputs : {})
    .filter((f) => /\.ts$/.test(f) && f.indexOf(':') < 0).map((f) => path.resolve(cwd, f));
  for (const t of typedFindings(sources)) violations.push({ file: displayName(t.file, cwd), line: t.line, construct: t.construct });
  // The minified build only matters once the analysis is clean: before that its lowered forms (an async
  // function turned generator) would name the same fault twice, under a misleading name.
  // What the board gets: the minified bundle with the names Espruino reserves renamed (tools/board-names.ts).
  const minified = bundles(shipping, renameReserved);
  if (violations.length === 0) {
    for (const out of minified) {
      for (const v of analyse(out, cwd)) violations.push({ file: v.file, line: v.line, construct: v.construct + ' [introduced by minification]' });
    }
  }

  const entries: EntrySize[] = [];
  for (const out of minified) {
    const meta = shipping.metafile ? shipping.metafile.outputs[path.relative(cwd, out.path).split(path.sep).join('/')] : undefined;
    const ep = meta && meta.entryPoint ? meta.entryPoint.replace(WRAP_NS + ':', '') : out.path;
    entries.push({ entry: ep, bytes: out.bytes.length, gzipBytes: gzipSync(out.bytes, { level: 9 }).length, code: out.code });
  }
  let bytes = 0;
  let gzipBytes = 0;
  for (const e of entries) { bytes += e.bytes; gzipBytes += e.gzipBytes; }
  return { bytes, gzipBytes, entries, violations: dedupe(violations) };
}

/** For each entry, the wrapper source that publishes its exports (or '' when it exports nothing: a board entry). */
async function wrapEntries(entryPoints: string[], cwd: string, opts?: BoardOptions): Promise<string[]> {
  const out: string[] = [];
  for (const e of entryPoints) {
    const r = await esbuild.build({
      entryPoints: [e], absWorkingDir: cwd, plugins: opts && opts.plugins ? opts.plugins : [], bundle: true, format: 'esm', platform: 'browser', write: false,
      metafile: true, logLevel: 'silent', outdir: path.join(cwd, '.board-check'),
    });
    const outs = r.metafile ? Object.keys(r.metafile.outputs).map((k) => r.metafile!.outputs[k]).filter((o) => o.entryPoint) : [];
    const names = outs.length > 0 ? outs[0].exports : [];
    if (names.length === 0) { out.push(''); continue; }
    const lines = ['import { ' + names.map((n, i) => n + ' as e' + i).join(', ') + ' } from ' + JSON.stringify(path.resolve(cwd, e)) + ';', 'var o = {};'];
    names.forEach((n, i) => { lines.push('o[' + JSON.stringify(n) + '] = e' + i + ';'); });
    lines.push('globalThis.' + BOARD_GLOBAL + ' = o;');
    out.push(lines.join('\n'));
  }
  return out;
}

function wrapPlugin(entryPoints: string[], wrapped: string[], cwd: string): esbuild.Plugin {
  return {
    name: 'board-exports',
    setup(b) {
      b.onResolve({ filter: new RegExp('^' + WRAP_NS + ':') }, (a) => ({ path: a.path.slice(WRAP_NS.length + 1), namespace: WRAP_NS }));
      b.onLoad({ filter: /.*/, namespace: WRAP_NS }, (a) => ({ contents: wrapped[entryPoints.indexOf(a.path)], resolveDir: cwd, loader: 'js' }));
    },
  };
}

interface Bundle {
  path: string;
  bytes: Uint8Array;
  code: string;
  map: SourceIndex;
}

function bundles(result: esbuild.BuildResult, transform?: (code: string) => string): Bundle[] {
  const files = result.outputFiles || [];
  const out: Bundle[] = [];
  for (const f of files) {
    if (!f.path.endsWith('.js')) continue;
    const map = files.find((m) => m.path === f.path + '.map');
    if (!map) throw new Error('board-check: esbuild gave no source map for ' + f.path);
    const code = transform ? transform(f.text) : f.text;
    const bytes = code === f.text ? f.contents : new Uint8Array(Buffer.from(code, 'latin1'));
    out.push({ path: f.path, bytes: bytes, code: code, map: new SourceIndex(JSON.parse(map.text)) });
  }
  return out;
}

type Origin = (from: Position, to: Position) => { file: string; line: number } | undefined;

/** Scan one bundle and map each finding back to its source file and line. */
function analyse(b: Bundle, cwd: string): Violation[] {
  const program = acorn.parse(b.code, { ecmaVersion: 'latest', sourceType: 'script', locations: true });
  const origin: Origin = (from, to) => {
    const o = b.map.origin(from, to);
    return o ? { file: displayName(path.resolve(path.dirname(b.path), o.source), cwd), line: o.line } : undefined;
  };

  const out: Violation[] = [];
  const unmapped: Finding[] = [];
  for (const f of scanProgram(program)) {
    const o = origin(f.from, f.to);
    if (o) out.push({ file: o.file, line: o.line, construct: f.construct });
    else unmapped.push(f);
  }
  if (unmapped.length > 0) out.push(...blameHelpers(program, unmapped, origin));
  return out;
}

/**
 * Findings in code esbuild wrote itself (its helpers have no source position) are reported where the source
 * calls the helper, named after what the helper stands in for; whatever cannot be traced is reported as is.
 */
function blameHelpers(
  program: acorn.Program,
  unmapped: Finding[],
  origin: Origin,
): Violation[] {
  const helpers = topLevelDeclarators(program).filter((d) => !d.node.loc || !origin(d.node.loc.start, d.node.loc.end));
  const inHelper: { [name: string]: string[] } = {};
  const out: Violation[] = [];
  for (const f of unmapped) {
    const h = helpers.find((d) => d.start <= f.start && f.start < d.end);
    if (!h) {
      out.push({ file: '<esbuild output>', line: f.from.line, construct: f.construct + ' (in code esbuild generated)' });
      continue;
    }
    (inHelper[h.name] = inHelper[h.name] || []).push(shortName(f.construct));
  }
  if (Object.keys(inHelper).length === 0) return out;

  // A helper may reach the faulty one through others (__privateGet -> __accessCheck).
  const uses: { [name: string]: string[] } = {};
  for (const h of helpers) {
    const names: string[] = [];
    walk.simple(h.node, { Identifier(id) { if (helpers.some((x) => x.name === id.name) && names.indexOf(id.name) < 0) names.push(id.name); } });
    uses[h.name] = names;
  }
  const faulty = (name: string, seen: string[]): string[] => {
    if (seen.indexOf(name) >= 0) return [];
    seen.push(name);
    let acc = inHelper[name] ? [name] : [];
    for (const u of uses[name] || []) acc = acc.concat(faulty(u, seen));
    return acc;
  };

  const traced: { [name: string]: boolean } = {};
  walk.simple(program, {
    Identifier(id) {
      if (!helpers.some((x) => x.name === id.name) || !id.loc) return;
      const o = origin(id.loc.start, id.loc.end);
      if (!o) return;
      const reached = faulty(id.name, []);
      if (reached.length === 0) return;
      let bad: string[] = [];
      for (const h of reached) { traced[h] = true; bad = bad.concat(inHelper[h]); }
      out.push({ file: o.file, line: o.line, construct: hintFor(id.name) + ' (esbuild lowers it with its helper ' + id.name + ', which uses ' + unique(bad).join(', ') + ')' });
    },
  });
  for (const name of Object.keys(inHelper)) {
    if (!traced[name]) out.push({ file: '<esbuild output>', line: 0, construct: 'esbuild helper ' + name + ' uses ' + unique(inHelper[name]).join(', ') });
  }
  return out;
}

interface Declarator {
  name: string;
  start: number;
  end: number;
  node: acorn.AnyNode;
}

/** `var x = ...` statements at the top of the bundle's iife, where esbuild puts its helpers (and module code). */
function topLevelDeclarators(program: acorn.Program): Declarator[] {
  let body: acorn.AnyNode[] = program.body;
  const first = program.body[0];
  if (program.body.length === 1 && first.type === 'ExpressionStatement' && first.expression.type === 'CallExpression') {
    const fn = first.expression.callee;
    if ((fn.type === 'ArrowFunctionExpression' || fn.type === 'FunctionExpression') && fn.body.type === 'BlockStatement') body = fn.body.body;
  }
  const out: Declarator[] = [];
  for (const s of body) {
    if (s.type !== 'VariableDeclaration') continue;
    for (const d of s.declarations) {
      if (d.id.type === 'Identifier') out.push({ name: d.id.name, start: d.start, end: d.end, node: d });
    }
  }
  return out;
}

function hintFor(helper: string): string {
  for (const [re, hint] of HELPER_HINTS) if (re.test(helper)) return hint;
  return 'code esbuild lowered';
}

function shortName(construct: string): string {
  const i = construct.indexOf(' (');
  return i < 0 ? construct : construct.slice(0, i);
}

function unique(xs: string[]): string[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

function displayName(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel.split(path.sep).join('/');
}

/** esbuild refusing the code (unresolvable import, syntax it cannot emit for es2015) is a violation too. */
function buildErrors(err: unknown, cwd: string): Violation[] {
  const errors = (err as { errors?: esbuild.Message[] }).errors;
  if (!errors) throw err;
  return errors.map((m) => ({
    file: m.location ? displayName(path.resolve(cwd, m.location.file), cwd) : '<esbuild>',
    line: m.location ? m.location.line : 0,
    construct: 'esbuild: ' + m.text,
  }));
}

function dedupe(vs: Violation[]): Violation[] {
  const seen: { [k: string]: boolean } = {};
  const out: Violation[] = [];
  for (const v of vs) {
    const k = v.file + ':' + v.line + ':' + v.construct;
    if (seen[k]) continue;
    seen[k] = true;
    out.push(v);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

export function formatViolation(v: Violation): string {
  return v.file + ':' + v.line + ': ' + v.construct;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    process.stderr.write('usage: tsx tools/board-check.ts <entry.ts>...\n');
    return 2;
  }
  const r = await checkBoard(argv);
  for (const v of r.violations) process.stdout.write(formatViolation(v) + '\n');
  for (const e of r.entries) process.stdout.write(e.entry + ': ' + e.bytes + ' bytes minified, ' + e.gzipBytes + ' gzipped\n');
  process.stdout.write(r.violations.length === 0 ? 'board subset: ok\n' : 'board subset: ' + r.violations.length + ' violation(s)\n');
  return r.violations.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
    process.exitCode = 2;
  });
}
