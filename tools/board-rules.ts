/**
 * The constructs the board's interpreter lacks (ARCHITECTURE.md), as checks over a parsed bundle. The walk sees
 * esbuild's output, not the source, so it only has to know the shapes esbuild leaves in place at es2015 (plus the
 * few that board-check tells esbuild to leave alone so they can be named here).
 *
 *   const found = scanProgram(acorn.parse(code, { ecmaVersion: 'latest', locations: true }));
 *   // [{ start: 120, from: { line: 7, column: 11 }, to: ..., construct: 'spread in call (the board has no spread)' }]
 */
import type * as acorn from 'acorn';
import * as walk from 'acorn-walk';

export interface Finding {
  /** Offset in the bundle, for ordering and for finding the enclosing helper. */
  start: number;
  /** The node's span in the bundle (lines 1-based, columns 0-based). */
  from: { line: number; column: number };
  to: { line: number; column: number };
  construct: string;
}

/** Globals the board lacks: a reference is a ReferenceError there. */
const MISSING_GLOBALS: { [name: string]: string } = {
  Map: 'use a plain object keyed by keyOf()',
  Set: 'use a plain object keyed by keyOf()',
  WeakMap: 'esbuild also emits it for private #members',
  WeakSet: 'esbuild also emits it for private #methods',
  Symbol: '',
  Proxy: '',
  Reflect: '',
  BigInt: '',
  TextEncoder: 'keep UTF-8 as bytes in the codec',
  TextDecoder: 'keep UTF-8 as bytes in the codec',
};

/** Static members of built-ins that the board lacks although the built-in itself exists. */
const MISSING_STATICS: { [object: string]: string[] } = {
  Array: ['from'],
  Math: ['imul', 'trunc', 'log2', 'clz32'],
  Number: ['isInteger', 'MAX_SAFE_INTEGER'],
  Object: ['freeze'],
};

/**
 * Words Espruino's lexer makes keywords although JavaScript does not (src/jslex.c of the interpreter): as a name
 * they are a syntax error on the board ("Got of expected EOF"), the whole bundle fails to load. A minifier picks
 * two-letter names like `of` freely, so the minified bundle is checked too. `undefined` is a keyword token there
 * as well: reading it works, binding it does not.
 */
const RESERVED_ANYWHERE = ['of', 'static', 'let'];
const RESERVED_AS_BINDING = ['of', 'static', 'let', 'undefined'];
/** Built-in error classes: `super(m)` into any of them throws "Calling 'super' outside of class" on the board. */
const NATIVE_ERRORS = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'InternalError', 'EvalError', 'URIError'];

type Node = acorn.AnyNode;

/** Every construct in a parsed bundle that the board cannot run, in bundle order. */
export function scanProgram(program: acorn.Program): Finding[] {
  const found: Finding[] = [];
  const scopes = new ScopeIndex();
  const report = (node: acorn.Node, construct: string): void => {
    const none = { line: 0, column: 0 };
    found.push({ start: node.start, from: node.loc ? node.loc.start : none, to: node.loc ? node.loc.end : none, construct });
  };
  const isGlobal = (name: string, ancestors: Node[]): boolean => {
    for (let i = ancestors.length - 2; i >= 0; i--) if (scopes.declares(ancestors[i], name)) return false;
    return true;
  };

  walk.ancestor(program, {
    // acorn-walk visits binding names (var, parameters, catch, function and class names) as VariablePattern.
    VariablePattern(node: acorn.Node) {
      const id = node as acorn.Identifier;
      if (id.type === 'Identifier' && RESERVED_AS_BINDING.indexOf(id.name) >= 0) report(id, reservedWord(id.name));
    },
    Class(node, _s, ancestors) {
      const sup = node.superClass;
      if (sup && sup.type === 'Identifier' && NATIVE_ERRORS.indexOf(sup.name) >= 0 && isGlobal(sup.name, ancestors)) {
        report(node, 'class extends ' + sup.name + ' (super() into the native ' + sup.name + ' throws "Calling \'super\' outside of class" ' +
          'on the board: build the error with a function and Object.create(Error.prototype))');
      }
    },
    Identifier(node, _s, ancestors) {
      if (RESERVED_ANYWHERE.indexOf(node.name) >= 0) report(node, reservedWord(node.name));
      if (Object.prototype.hasOwnProperty.call(MISSING_GLOBALS, node.name) && isGlobal(node.name, ancestors)) {
        const hint = MISSING_GLOBALS[node.name];
        report(node, node.name + ' (the board has no ' + node.name + (hint ? '; ' + hint : '') + ')');
      }
    },
    MemberExpression(node, _s, ancestors) {
      const prop = propertyName(node);
      const obj = node.object;
      if (obj.type === 'Identifier' && prop !== undefined && isGlobal(obj.name, ancestors)) {
        const missing = MISSING_STATICS[obj.name];
        if (missing && missing.indexOf(prop) >= 0) report(node, obj.name + '.' + prop + ' (the board has no ' + obj.name + '.' + prop + ')');
      }
      if (obj.type === 'MemberExpression' && propertyName(obj) === 'prototype' && obj.object.type === 'Identifier' &&
          prop !== undefined && isGlobal(obj.object.name, ancestors)) {
        report(node, obj.object.name + '.prototype.' + prop +
          ' (a built-in method reached through a prototype is undefined on the board: call it on the value)');
      }
    },
    ObjectPattern(node) {
      report(node, 'destructuring (the board has no object destructuring)');
    },
    ArrayPattern(node) {
      report(node, 'destructuring (the board has no array destructuring)');
    },
    AssignmentPattern(node, _s, ancestors) {
      if (isFunction(parentOf(ancestors))) report(node, 'default parameter value (the board has none: test for undefined in the body)');
    },
    RestElement(node, _s, ancestors) {
      if (isFunction(parentOf(ancestors))) report(node, 'rest parameter (the board has no rest parameters: pass an array)');
    },
    SpreadElement(node, _s, ancestors) {
      const parent = parentOf(ancestors);
      if (parent && parent.type === 'ArrayExpression') report(node, 'spread in array literal (the board has no spread)');
      else if (parent && parent.type === 'ObjectExpression') report(node, 'spread in object literal (the board has no spread: use Object.assign)');
      else if (parent && parent.type === 'CallExpression' && parent.callee.type === 'Super' &&
               node.argument.type === 'Identifier' && node.argument.name === 'arguments') {
        report(node, 'super(...arguments) (esbuild writes it for a subclass without a constructor: give the subclass an explicit constructor)');
      } else report(node, 'spread in call (the board has no spread)');
    },
    Property(node, _s, ancestors) {
      const parent = parentOf(ancestors);
      if ((node.kind === 'get' || node.kind === 'set') && !node.computed && node.key.type === 'Identifier' &&
          RESERVED_AS_BINDING.indexOf(node.key.name) >= 0) {
        report(node, node.kind + 'ter named ' + node.key.name + ' (' + reservedWordWhy(node.key.name) + ')');
      }
      if (node.computed && parent && parent.type === 'ObjectExpression') {
        report(node, 'computed key in object literal (the board has none: assign obj[k] = v after creating it)');
      }
    },
    MethodDefinition(node) {
      classMember(node, report);
    },
    PropertyDefinition(node) {
      classMember(node, report);
    },
    ChainExpression(node) {
      report(node, 'optional chaining ?. (the board has none)');
    },
    BinaryExpression(node) {
      if (node.operator === '**') report(node, '** operator (the board has none: use Math.pow)');
    },
    AssignmentExpression(node) {
      if (node.operator === '**=') report(node, '**= operator (the board has none: use Math.pow)');
      if (node.left.type === 'MemberExpression' && propertyName(node.left) === 'length') {
        report(node, 'assignment to .length (truncating an array throws on the board: use splice)');
      }
    },
    UpdateExpression(node) {
      if (node.argument.type === 'MemberExpression' && propertyName(node.argument) === 'length') {
        report(node, 'update of .length (changing an array length throws on the board: use push/splice)');
      }
    },
    Function(node) {
      if (node.async && node.generator) report(node, 'async generator (the board has neither async nor generators)');
      else if (node.async) report(node, 'async function (the board has no async/await: use promise chains)');
      else if (node.generator) report(node, 'generator function (the board has no generators)');
    },
    ForOfStatement(node) {
      if (node.await) report(node, 'for await (the board has no async iteration)');
    },
    LabeledStatement(node) {
      report(node, 'label ' + node.label.name + ': (the board has no labels)');
    },
    Literal(node) {
      if (typeof node.bigint === 'string') report(node, 'BigInt literal (the board has no BigInt)');
    },
  } as walk.AncestorVisitors<unknown>);
  found.sort((a, b) => a.start - b.start);
  return found;
}

function reservedWordWhy(name: string): string {
  return 'Espruino\'s lexer makes `' + name + '` a keyword: the bundle does not even load';
}

function reservedWord(name: string): string {
  return 'identifier ' + name + ' (' + reservedWordWhy(name) + ')';
}

function classMember(node: acorn.MethodDefinition | acorn.PropertyDefinition, report: (n: acorn.Node, c: string) => void): void {
  if (!node.computed && node.key.type === 'Identifier' && RESERVED_AS_BINDING.indexOf(node.key.name) >= 0) {
    report(node, 'class member named ' + node.key.name + ' (' + reservedWordWhy(node.key.name) + ')');
  }
  if (node.key.type === 'PrivateIdentifier') {
    report(node, 'private class member #' + node.key.name + ' (the board has no private members)');
  } else if (node.computed) {
    report(node, 'computed key in class (the board has none)');
  } else if (node.type === 'PropertyDefinition') {
    report(node, 'class field (the board has none: build with useDefineForClassFields false so esbuild moves it into the constructor)');
  }
}

/** The name a member expression reads, when it is fixed (`a.b`, `a['b']`), else undefined. */
function propertyName(node: acorn.MemberExpression): string | undefined {
  const p = node.property;
  if (!node.computed && p.type === 'Identifier') return p.name;
  if (node.computed && p.type === 'Literal' && typeof p.value === 'string') return p.value;
  return undefined;
}

function parentOf(ancestors: Node[]): Node | undefined {
  return ancestors[ancestors.length - 2];
}

function isFunction(node: Node | undefined): boolean {
  return !!node && (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression');
}

/**
 * Which names each scope-making node declares, so that `Map` means the global only where no enclosing scope binds
 * it (a bundle may well hold a local named Set). Built lazily, once per node.
 */
class ScopeIndex {
  private names = new WeakMap<Node, { [name: string]: true }>();

  declares(node: Node, name: string): boolean {
    let own = this.names.get(node);
    if (!own) {
      own = Object.create(null) as { [name: string]: true };
      collectScope(node, own);
      this.names.set(node, own);
    }
    return own[name] === true;
  }
}

function collectScope(node: Node, out: { [name: string]: true }): void {
  switch (node.type) {
    case 'Program':
      for (const s of node.body) { hoistVars(s, out); lexical(s, out); }
      break;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (node.type === 'FunctionExpression' && node.id) out[node.id.name] = true;
      for (const p of node.params) patternNames(p, out);
      if (node.body.type === 'BlockStatement') for (const s of node.body.body) hoistVars(s, out);
      break;
    case 'BlockStatement':
    case 'StaticBlock':
      for (const s of node.body) lexical(s, out);
      if (node.type === 'StaticBlock') for (const s of node.body) hoistVars(s, out);
      break;
    case 'SwitchStatement':
      for (const c of node.cases) for (const s of c.consequent) lexical(s, out);
      break;
    case 'ForStatement':
      if (node.init && node.init.type === 'VariableDeclaration') declNames(node.init, out);
      break;
    case 'ForInStatement':
    case 'ForOfStatement':
      if (node.left.type === 'VariableDeclaration') declNames(node.left, out);
      break;
    case 'CatchClause':
      if (node.param) patternNames(node.param, out);
      break;
    case 'ClassExpression':
    case 'ClassDeclaration':
      if (node.id) out[node.id.name] = true;
      break;
    default:
      break;
  }
}

/** let/const/class/function declared directly in a block. */
function lexical(s: Node, out: { [name: string]: true }): void {
  if (s.type === 'VariableDeclaration' && s.kind !== 'var') declNames(s, out);
  else if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) out[s.id.name] = true;
}

/** `var` and function declarations anywhere in a function body short of a nested function. */
function hoistVars(s: Node | null | undefined, out: { [name: string]: true }): void {
  if (!s) return;
  switch (s.type) {
    case 'VariableDeclaration':
      if (s.kind === 'var') declNames(s, out);
      break;
    case 'FunctionDeclaration':
      if (s.id) out[s.id.name] = true;
      break;
    case 'BlockStatement':
    case 'StaticBlock':
      for (const x of s.body) hoistVars(x, out);
      break;
    case 'IfStatement':
      hoistVars(s.consequent, out);
      hoistVars(s.alternate, out);
      break;
    case 'ForStatement':
      hoistVars(s.init, out);
      hoistVars(s.body, out);
      break;
    case 'ForInStatement':
    case 'ForOfStatement':
      hoistVars(s.left, out);
      hoistVars(s.body, out);
      break;
    case 'WhileStatement':
    case 'DoWhileStatement':
    case 'LabeledStatement':
      hoistVars(s.body, out);
      break;
    case 'TryStatement':
      hoistVars(s.block, out);
      if (s.handler) hoistVars(s.handler.body, out);
      hoistVars(s.finalizer, out);
      break;
    case 'SwitchStatement':
      for (const c of s.cases) for (const x of c.consequent) hoistVars(x, out);
      break;
    default:
      break;
  }
}

function declNames(d: acorn.VariableDeclaration, out: { [name: string]: true }): void {
  for (const x of d.declarations) patternNames(x.id, out);
}

function patternNames(p: acorn.Pattern, out: { [name: string]: true }): void {
  switch (p.type) {
    case 'Identifier':
      out[p.name] = true;
      break;
    case 'ObjectPattern':
      for (const prop of p.properties) patternNames(prop.type === 'Property' ? prop.value : prop.argument, out);
      break;
    case 'ArrayPattern':
      for (const e of p.elements) if (e) patternNames(e, out);
      break;
    case 'AssignmentPattern':
      patternNames(p.left, out);
      break;
    case 'RestElement':
      patternNames(p.argument, out);
      break;
    default:
      break;
  }
}
