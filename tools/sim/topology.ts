/**
 * Fixed topologies for experiments that need one (the synchronisation comparison of tools/bench/sim.ts): who may
 * exchange frames with whom. The simulator's links drop any frame between two nodes that are not adjacent.
 *
 *   tree(15);  // [[1, 2], [0, 3, 4], [0, 5, 6], …]: a full binary tree of depth 3
 *   mesh(15);  // a ring with chords i ± 4: every node has 4 neighbours, and the graph has cycles
 */

/** A full binary tree: node i's children are 2i+1 and 2i+2 (15 nodes: depth 3). */
export function tree(n: number): number[][] {
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let i = 1; i < n; i++) {
    const p = (i - 1) >> 1;
    adj[i].push(p);
    adj[p].push(i);
  }
  return adj;
}

/** A partial mesh with cycles: a ring plus chords i ± 4 (degree 4 for n ≥ 9). */
export function mesh(n: number): number[][] {
  const adj: number[][] = Array.from({ length: n }, () => []);
  const link = (a: number, b: number) => {
    if (a !== b && !adj[a].includes(b)) {
      adj[a].push(b);
      adj[b].push(a);
    }
  };
  for (let i = 0; i < n; i++) {
    link(i, (i + 1) % n);
    link(i, (i + 4) % n);
  }
  for (const a of adj) a.sort((x, y) => x - y);
  return adj;
}

