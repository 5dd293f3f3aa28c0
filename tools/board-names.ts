/**
 * esbuild's minifier names locals with the shortest names JavaScript allows, and `of` is one of them; Espruino's
 * lexer makes `of`, `static` and `let` keywords, so a bundle holding such a name does not even load on the board
 * ("Got of expected EOF"). esbuild has no option to reserve identifier names, so the board build renames them
 * after minifying: every identifier (binding or reference) so named becomes a name of the same length that occurs
 * nowhere in the bundle, so no scope can capture it and the source map's columns still hold.
 *
 *   renameReserved('(()=>{var of=1;return{of}})()')   // '(()=>{var aa=1;return{of:aa}})()'
 *
 * Only names the minifier made are renamed; a source that names a variable `of` is reported by the board check
 * (tools/board-rules.ts) before minification, so the bundle code never reaches here with one of its own.
 */
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

export const ESPRUINO_KEYWORDS = ['of', 'static', 'let'];

export function renameReserved(code: string): string {
  if (!ESPRUINO_KEYWORDS.some((w) => new RegExp('\\b' + w + '\\b').test(code))) return code;
  const program = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' });
  const fresh: { [name: string]: string } = {};
  const nameFor = (old: string): string => {
    if (!fresh[old]) fresh[old] = unusedName(code, old.length, Object.keys(fresh).map((k) => fresh[k]));
    return fresh[old];
  };
  const edits: { start: number; end: number; text: string }[] = [];
  const shorthand: { [start: number]: true } = {};
  const visitors = {
    Property(node: acorn.Property | acorn.AssignmentProperty) {
      if (node.shorthand && node.key.type === 'Identifier' && ESPRUINO_KEYWORDS.indexOf(node.key.name) >= 0) {
        shorthand[node.value.start] = true;
        edits.push({ start: node.start, end: node.end, text: node.key.name + ':' + nameFor(node.key.name) });
      }
    },
    Identifier(node: acorn.Identifier) { rename(node); },
    VariablePattern(node: acorn.Node) { rename(node as acorn.Identifier); },
  };
  const rename = (id: acorn.Identifier): void => {
    if (id.type !== 'Identifier' || ESPRUINO_KEYWORDS.indexOf(id.name) < 0 || shorthand[id.start]) return;
    edits.push({ start: id.start, end: id.end, text: nameFor(id.name) });
  };
  // Properties first, so the value of a shorthand property is known before its identifier is visited.
  walk.simple(program, { Property: visitors.Property });
  walk.simple(program, { Identifier: visitors.Identifier, VariablePattern: visitors.VariablePattern } as walk.SimpleVisitors<unknown>);
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  let last = Infinity;
  for (const e of edits) {
    if (e.end > last) continue; // the same span seen twice (a pattern visited as both kinds)
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    last = e.start;
  }
  return out;
}

const FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
const REST = FIRST + '0123456789';

/** A name of `len` characters that is no keyword of either language and appears nowhere in `code`. */
function unusedName(code: string, len: number, taken: string[]): string {
  const used: { [name: string]: true } = {};
  const re = /[A-Za-z_$][\w$]*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code)) !== null) used[m[0]] = true;
  for (const t of taken) used[t] = true;
  const total = FIRST.length * Math.pow(REST.length, len - 1);
  for (let n = 0; n < total; n++) {
    let name = FIRST[n % FIRST.length];
    let k = Math.floor(n / FIRST.length);
    for (let i = 1; i < len; i++) { name += REST[k % REST.length]; k = Math.floor(k / REST.length); }
    if (!used[name] && !isKeyword(name)) return name;
  }
  throw new Error('renameReserved: no free identifier of ' + len + ' characters in the bundle');
}

const KEYWORDS = ['do', 'if', 'in', 'of', 'for', 'let', 'new', 'try', 'var', 'int', 'case', 'else', 'enum', 'eval', 'null',
  'this', 'true', 'void', 'with', 'await', 'break', 'catch', 'class', 'const', 'false', 'super', 'throw', 'while', 'yield',
  'delete', 'export', 'import', 'public', 'return', 'static', 'switch', 'typeof'];

function isKeyword(name: string): boolean {
  return KEYWORDS.indexOf(name) >= 0;
}
