/**
 * Where a board bundle's variables go, by source file: the function objects each module's code creates and what
 * they cost. On Espruino a function object costs about 5 variables plus one per parameter (measured on the
 * interpreter: 5 with no parameter, 7 with two, 9 with four; its body stays in flash and costs nothing), and a
 * function nested in another costs only while its outer function runs. The table counts every function in the
 * bundle; "top" are those created while the bundle loads (not nested in another function), the ones the
 * "after load" budget pays for.
 *
 *   npm run board:cost -- --board puck
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import * as esbuild from 'esbuild';
import { BOARD_BUILD } from './board-check.ts';
import { BOARDS, BOARD_PLUGINS, ROOT } from '../targets/espruino/build.ts';
import { table } from './cli/table.ts';

export interface FileCost {
  file: string;
  functions: number;
  /** Estimated variables of all its functions (5 + parameters each). */
  vars: number;
  /** Functions created at load (not nested in another function), and their estimated variables. */
  top: number;
  topVars: number;
  /** Bytes of minified output from this file. */
  bytes: number;
}

export async function boardCost(entry: string): Promise<FileCost[]> {
  const plain = await esbuild.build({ ...BOARD_BUILD, entryPoints: [entry], absWorkingDir: ROOT, minify: false, write: false, plugins: BOARD_PLUGINS, logLevel: 'silent' });
  const code = plain.outputFiles![0].text;
  const marks: { at: number; file: string }[] = [];
  const re = /^\s*\/\/ (\S+\.ts)$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) marks.push({ at: m.index, file: m[1] });
  const fileAt = (pos: number): string => {
    let f = '(bundle)';
    for (const k of marks) if (k.at <= pos) f = k.file;
    return f;
  };
  const min = await esbuild.build({ ...BOARD_BUILD, entryPoints: [entry], absWorkingDir: ROOT, minify: true, write: false, metafile: true, plugins: BOARD_PLUGINS, logLevel: 'silent' });
  const inputs = Object.values(min.metafile!.outputs)[0].inputs;
  const by: { [f: string]: FileCost } = {};
  const row = (f: string): FileCost => by[f] || (by[f] = { file: f, functions: 0, vars: 0, top: 0, topVars: 0, bytes: inputs[f] ? inputs[f].bytesInOutput : 0 });
  for (const f of Object.keys(inputs)) row(f);
  const ast = acorn.parse(code, { ecmaVersion: 2020 });
  const isFn = (n: acorn.Node): boolean => n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression';
  walk.fullAncestor(ast, (n: any, _s: unknown, ancestors: acorn.Node[]) => {
    if (!isFn(n)) return;
    const r = row(fileAt(n.start));
    const v = 5 + n.params.length;
    r.functions++;
    r.vars += v;
    // The bundle is one iife: a function whose only function ancestor is that wrapper is created at load.
    const outer = ancestors.slice(0, -1).filter(isFn).length;
    if (outer <= 1) { r.top++; r.topVars += v; }
  });
  return Object.values(by).sort((a, b) => b.topVars - a.topVars || b.bytes - a.bytes);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { board: { type: 'string', default: 'puck' } } });
  const spec = BOARDS[values.board as string];
  if (!spec) throw new Error('unknown board "' + values.board + '" (known: ' + Object.keys(BOARDS).join(', ') + ')');
  const rows = await boardCost(spec.entry);
  const total = rows.reduce((t, r) => ({ file: 'total', functions: t.functions + r.functions, vars: t.vars + r.vars, top: t.top + r.top, topVars: t.topVars + r.topVars, bytes: t.bytes + r.bytes }),
    { file: 'total', functions: 0, vars: 0, top: 0, topVars: 0, bytes: 0 });
  process.stdout.write(table(['file', 'bytes', 'functions', 'est. vars', 'at load', 'est. vars at load'],
    rows.concat([total]).map((r) => [r.file, r.bytes, r.functions, r.vars, r.top, r.topVars])) + '\n');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => {
    process.stderr.write((e instanceof Error ? e.message : String(e)) + '\n');
    process.exitCode = 1;
  });
}
