/**
 * The board rules that need types: a bundle cannot tell `bytes.slice(0, n)` on a Uint8Array (which returns a
 * plain Array on the board, so the next encode or decode fails) from `text.slice(0, n)` on a string (fine). The
 * TypeScript checker can, so these rules run over the source files that went into a board bundle.
 *
 *   typedFindings(['/abs/crdt/codec/encode.ts'])
 *   // [{ file: '/abs/crdt/codec/encode.ts', line: 239, construct: 'Uint8Array#slice (…)' }]
 */
import ts from 'typescript';

export interface TypedFinding {
  file: string;
  line: number;
  construct: string;
}

/** Typed arrays and Node's Buffer (a Uint8Array): on the board each `slice` returns a plain Array. */
const TYPED_ARRAYS = ['Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array', 'Uint32Array',
  'Int32Array', 'Float32Array', 'Float64Array', 'Buffer'];

export function typedFindings(files: string[]): TypedFinding[] {
  if (files.length === 0) return [];
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const out: TypedFinding[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'slice') {
        const recv = checker.getTypeAtLocation(node.expression.expression);
        const name = typedArrayName(recv);
        if (name) {
          out.push({
            file: file,
            line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
            construct: name + '#slice (returns a plain Array on the board: copy with new Uint8Array(n) and set(), or use subarray for a view)',
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** The typed array a receiver may be (any member of a union counts), else undefined. */
function typedArrayName(t: ts.Type): string | undefined {
  const parts = t.isUnion() ? t.types : [t];
  for (const p of parts) {
    const sym = p.getSymbol() || p.aliasSymbol;
    if (sym && TYPED_ARRAYS.indexOf(sym.getName()) >= 0) return sym.getName();
  }
  return undefined;
}
