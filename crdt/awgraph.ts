/**
 * Add-wins graph: vertices and directed edges as two add-wins element maps (crdt/orset.ts) under one causal
 * context. An edge is visible only while both its ends are, so a vertex removed concurrently with an edge add
 * hides the edge instead of leaving it dangling.
 *
 *   let g = AWGraph.bottom();
 *   g = AWGraph.join(g, addVertex(g, 'a', 'x'));
 *   g = AWGraph.join(g, addVertex(g, 'a', 'y'));
 *   g = AWGraph.join(g, addEdge(g, 'a', 'x', 'y'));
 *   AWGraph.value(g);   // { vertices: ['x', 'y'], edges: [['x', 'y']] }
 *
 * As in the 2P2P-Graph of Shapiro et al., "A comprehensive study of CRDTs" (2011), addEdge needs both ends present locally (MutatorError
 * otherwise). removeVertex also removes the edges at that vertex it has observed, and addVertex of an absent
 * vertex drops the (hidden) edges at it that it has observed, so a re-added vertex starts without old edges:
 * only an edge added concurrently with the vertex's removal can reappear with it.
 */
import {
  type Context, type Dot, contextClaims, contextOf, copyContext, decodeContext, emptyContext, encodeContext, joinContext, joinContextInto,
  leqContext, removals, rowContext, sharedBeyond,
} from './causal.ts';
import { arr, fail } from './check.ts';
import { MutatorError } from './errors.ts';
import { itemArg } from './guards.ts';
import { hasOwn, keyOf } from './keys.ts';
import {
  type Elems, addElem, copyElems, decodeElems, dotsAt, elemDots, elemParts, elemsOf, encodeElems, heldUnder, joinElems,
  joinElemsInto, leqElems, noneSeenBeyond,
} from './orset.ts';
import { cmpItem, sortItems } from './order.ts';
import type { Crdt, Item, ReplicaId } from './types.ts';

export interface AWGraphState {
  /** Vertices by keyOf(vertex). */
  v: Elems;
  /** Edges by keyOf([from, to]); each element item is [from, to]. */
  e: Elems;
  c: Context;
}

export interface AWGraphValue {
  vertices: Item[];
  edges: [Item, Item][];
}

/** Dots of the edges with an end at the vertex whose key is k. */
function incident(s: AWGraphState, k: string): Dot[] {
  const out: Dot[] = [];
  const ks = Object.keys(s.e);
  for (let i = 0; i < ks.length; i++) {
    const ends = s.e[ks[i]].e as Item[];
    if (keyOf(ends[0]) !== k && keyOf(ends[1]) !== k) continue;
    const d = s.e[ks[i]].d;
    for (let j = 0; j < d.length; j += 2) out.push([d[j] as string, d[j + 1] as number]);
  }
  return out;
}

export function addVertex(s: AWGraphState, replica: ReplicaId, u: Item): AWGraphState {
  const k = keyOf(itemArg(u, 'awgraph addVertex'));
  const d = addElem(s.v, s.c, replica, u);
  if (hasOwn(s.v, k)) return { v: d.m, e: {}, c: d.c };
  const hidden = incident(s, k);
  return { v: d.m, e: {}, c: hidden.length === 0 ? d.c : joinContext(d.c, contextOf(hidden)) };
}

/** Remove the vertex and the edges at it, as observed (bottom if there is nothing to remove). */
export function removeVertex(s: AWGraphState, u: Item): AWGraphState {
  const k = keyOf(itemArg(u, 'awgraph removeVertex'));
  return { v: {}, e: {}, c: contextOf(dotsAt(s.v, k).concat(incident(s, k))) };
}

export function addEdge(s: AWGraphState, replica: ReplicaId, u: Item, w: Item): AWGraphState {
  itemArg(u, 'awgraph addEdge');
  itemArg(w, 'awgraph addEdge');
  if (!hasOwn(s.v, keyOf(u)) || !hasOwn(s.v, keyOf(w))) {
    throw new MutatorError('precondition', 'awgraph addEdge: both ends must be vertices of the graph; add the missing vertex first');
  }
  const d = addElem(s.e, s.c, replica, [u, w]);
  return { v: {}, e: d.m, c: d.c };
}

export function removeEdge(s: AWGraphState, u: Item, w: Item): AWGraphState {
  const k = keyOf([itemArg(u, 'awgraph removeEdge'), itemArg(w, 'awgraph removeEdge')]);
  return { v: {}, e: {}, c: contextOf(dotsAt(s.e, k)) };
}

function cmpEdge(a: [Item, Item], b: [Item, Item]): number {
  return cmpItem(a[0], b[0]) || cmpItem(a[1], b[1]);
}

function checkEdge(x: Item): void {
  if (!Array.isArray(x) || x.length !== 2) fail('awgraph edge: expected a [from, to] pair');
}

export const AWGraph: Crdt<AWGraphState, AWGraphValue> = {
  name: 'awgraph',
  tag: 14,
  bottom: () => ({ v: {}, e: {}, c: emptyContext() }),
  join: (a, b) => ({ v: joinElems(a.v, a.c, b.v, b.c), e: joinElems(a.e, a.c, b.e, b.c), c: joinContext(a.c, b.c) }),
  joinInto: (s, d) => {
    const reach = sharedBeyond(d.c, s.c, heldUnder(s.e, d.e, heldUnder(s.v, d.v, [])));
    joinElemsInto(s.v, s.c, d.v, d.c, reach);
    joinElemsInto(s.e, s.c, d.e, d.c, reach);
    joinContextInto(s.c, d.c);
    return s;
  },
  copy: (s) => ({ v: copyElems(s.v), e: copyElems(s.e), c: copyContext(s.c) }),
  claims: (s, out) => contextClaims(s.c, out),
  leq: (a, b) => leqContext(a.c, b.c) && leqElems(a.v, a.c, b.v) && leqElems(a.e, a.c, b.e) &&
    (!sharedBeyond(a.c, b.c, heldUnder(b.e, a.e, heldUnder(b.v, a.v, []))) || (noneSeenBeyond(a.v, a.c, b.v) && noneSeenBeyond(a.e, a.c, b.e))),
  value: (s) => {
    const vertices: Item[] = [];
    const vk = Object.keys(s.v);
    for (let i = 0; i < vk.length; i++) vertices.push(s.v[vk[i]].e);
    const edges: [Item, Item][] = [];
    const ek = Object.keys(s.e);
    for (let i = 0; i < ek.length; i++) {
      const ends = s.e[ek[i]].e as Item[];
      if (hasOwn(s.v, keyOf(ends[0])) && hasOwn(s.v, keyOf(ends[1]))) edges.push([ends[0], ends[1]]);
    }
    return { vertices: sortItems(vertices), edges: edges.sort(cmpEdge) };
  },
  decompose: (s) => {
    const out: AWGraphState[] = [];
    const vp = elemParts(s.v);
    for (let i = 0; i < vp.length; i++) out.push({ v: vp[i], e: {}, c: contextOf(elemDots(vp[i])) });
    const ep = elemParts(s.e);
    for (let i = 0; i < ep.length; i++) out.push({ v: {}, e: ep[i], c: contextOf(elemDots(ep[i])) });
    const gone = removals(s.c, elemDots(s.v).concat(elemDots(s.e)));
    for (let i = 0; i < gone.dots.length; i++) out.push({ v: {}, e: {}, c: contextOf([gone.dots[i]]) });
    for (let i = 0; i < gone.rows.length; i++) {
      const r = gone.rows[i];
      out.push({ v: elemsOf(s.v, r), e: elemsOf(s.e, r), c: rowContext(s.c, r) });
    }
    return out;
  },
  encode: (s) => [encodeElems(s.v), encodeElems(s.e), encodeContext(s.c)],
  decode: (item) => {
    const top = arr(item, 'awgraph', 3);
    const c = decodeContext(top[2], 'awgraph context');
    const seen: { [k: string]: boolean } = {};
    return { v: decodeElems(top[0], c, seen, 'awgraph vertices', null), e: decodeElems(top[1], c, seen, 'awgraph edges', checkEdge), c: c };
  },
  mutators: {
    addVertex: (s, r, args) => addVertex(s, r, args[0]),
    removeVertex: (s, _r, args) => removeVertex(s, args[0]),
    addEdge: (s, r, args) => addEdge(s, r, args[0], args[1]),
    removeEdge: (s, _r, args) => removeEdge(s, args[0], args[1]),
  },
};
