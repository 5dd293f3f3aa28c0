import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AWGraph, type AWGraphState, type AWGraphValue, addEdge, addVertex, removeEdge, removeVertex } from '../../crdt/awgraph.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import { keyOf } from '../../crdt/keys.ts';
import { cmpItem, sortItems } from '../../crdt/order.ts';
import type { Item } from '../../crdt/types.ts';
import { lawSuite, type Op } from '../support/laws.ts';

const test = suite('awgraph');
const J = AWGraph.join;

function graph(r: string, vertices: Item[], edges: [Item, Item][]): AWGraphState {
  let g = AWGraph.bottom();
  for (const v of vertices) g = J(g, addVertex(g, r, v));
  for (const e of edges) g = J(g, addEdge(g, r, e[0], e[1]));
  return g;
}

test('vertices and edges, sorted', () => {
  const g = graph('a', ['y', 'x', 2], [['y', 'x'], ['x', 'y'], [2, 'x']]);
  assert.equal(AWGraph.value(g), { vertices: [2, 'x', 'y'], edges: [[2, 'x'], ['x', 'y'], ['y', 'x']] });
});

test('addEdge needs both ends', () => {
  const g = graph('a', ['x'], []);
  assert.throws(() => addEdge(g, 'a', 'x', 'nope'), (e: unknown) => e instanceof MutatorError && /both ends/.test((e as Error).message));
});

test('removeVertex removes the vertex and its observed edges', () => {
  let g = graph('a', ['x', 'y', 'z'], [['x', 'y'], ['z', 'y'], ['x', 'z']]);
  g = J(g, removeVertex(g, 'y'));
  assert.equal(AWGraph.value(g), { vertices: ['x', 'z'], edges: [['x', 'z']] });
  assert.equal(Object.keys(g.e).length, 1);
  g = J(g, removeEdge(g, 'x', 'z'));
  assert.equal(AWGraph.value(g).edges, []);
});

test('concurrent addVertex and removeVertex: add wins', () => {
  const g = graph('a', ['x'], []);
  const rm = removeVertex(g, 'x');
  const ad = addVertex(g, 'b', 'x');
  assert.equal(AWGraph.value(J(J(g, rm), ad)).vertices, ['x']);
  assert.equal(AWGraph.value(J(J(g, ad), rm)).vertices, ['x']);
});

test('concurrent addEdge and removeEdge: add wins', () => {
  const g = graph('a', ['x', 'y'], [['x', 'y']]);
  const m = J(J(g, removeEdge(g, 'x', 'y')), addEdge(g, 'b', 'x', 'y'));
  assert.equal(AWGraph.value(m).edges, [['x', 'y']]);
});

test('an edge is visible only while both ends are', () => {
  // b adds an edge while a concurrently removes one of its ends: the edge survives but hides.
  const g = graph('a', ['x', 'y'], []);
  const a = J(g, removeVertex(g, 'x'));
  const b = J(g, addEdge(g, 'b', 'x', 'y'));
  const m = J(a, b);
  assert.equal(AWGraph.value(m), { vertices: ['y'], edges: [] });
  assert.is(Object.keys(m.e).length, 1);
  // A concurrent re-add of x (one that has not seen the hidden edge) reveals it again.
  const c = J(g, addVertex(g, 'c', 'x'));
  assert.equal(AWGraph.value(J(m, c)).edges, [['x', 'y']]);
  // A re-add of x by a replica that observed the hidden edge starts x without it.
  const again = J(m, addVertex(m, 'a', 'x'));
  assert.equal(AWGraph.value(again), { vertices: ['x', 'y'], edges: [] });
  assert.is(Object.keys(again.e).length, 0);
});

test('decode rejects a malformed edge and a dot shared by a vertex and an edge', () => {
  const bad = (item: Item, re: RegExp) => assert.throws(() => AWGraph.decode(item), (e: unknown) => e instanceof DecodeError && re.test((e as Error).message));
  bad([['x', ['a', 1]], ['x', ['a', 2]], [['a', 2], []]], /\[from, to\]/);
  bad([['x', ['a', 1]], [['x', 'x'], ['a', 1]], [['a', 1], []]], /twice/);
  const g = graph('a', ['x', 'y'], [['x', 'y']]);
  assert.equal(AWGraph.value(AWGraph.decode(AWGraph.encode(g))), AWGraph.value(g));
});

test.run();

const vert = fc.constantFrom<Item>('x', 'y', 'z');
const edgeKey = (e: [Item, Item]) => keyOf([e[0], e[1]]);

lawSuite<AWGraphState, AWGraphValue>({
  type: AWGraph,
  op: fc.oneof(
    { weight: 3, arbitrary: vert.map((u): Op => ['addVertex', [u]]) },
    { weight: 2, arbitrary: vert.map((u): Op => ['removeVertex', [u]]) },
    { weight: 4, arbitrary: fc.tuple(vert, vert).map(([u, w]): Op => ['addEdge', [u, w]]) },
    { weight: 2, arbitrary: fc.tuple(vert, vert).map(([u, w]): Op => ['removeEdge', [u, w]]) },
  ),
  sequential: (v, op) => {
    const a = op[1];
    const k = keyOf(a[0]);
    if (op[0] === 'addVertex') return { vertices: sortItems(v.vertices.filter((x) => keyOf(x) !== k).concat([a[0]])), edges: v.edges };
    if (op[0] === 'removeVertex') {
      return { vertices: v.vertices.filter((x) => keyOf(x) !== k), edges: v.edges.filter((e) => keyOf(e[0]) !== k && keyOf(e[1]) !== k) };
    }
    const e: [Item, Item] = [a[0], a[1]];
    const rest = v.edges.filter((x) => edgeKey(x) !== edgeKey(e));
    if (op[0] === 'removeEdge') return { vertices: v.vertices, edges: rest };
    return { vertices: v.vertices, edges: rest.concat([e]).sort((p, q) => cmpItem(p[0], q[0]) || cmpItem(p[1], q[1])) };
  },
});
