/**
 * The two-node setup the incarnation tests share: a (incarnation 3) and b (incarnation 5), neighbours, deltas
 * only through anti-entropy (no Plumtree fast path), b's first update already heard by a.
 */
import * as assert from 'uvu/assert';
import { read } from '../../runtime/node.ts';
import { Net } from './net.ts';

/** b's incarnation in aePair. */
export const B_INC = 5;

export function aePair(membership: 'hyparview' | 'full'): Net {
  const net = new Net({ seed: 11 });
  net.add({ id: 'a', seed: 1, incarnation: 3, membership: membership, plumtreeDeltas: false });
  net.add({ id: 'b', seed: 2, incarnation: B_INC, membership: membership, plumtreeDeltas: false });
  for (const id of ['a', 'b']) net.cmd(id, { op: 'declare', id: 'hits', type: 'gcounter' });
  net.cmd('b', { op: 'join', contacts: ['a'] });
  net.run(2000);
  net.cmd('b', { op: 'update', id: 'hits', mutator: 'inc', args: [1] });
  net.run(net.now + 5000);
  assert.is(read(net.nodes.a, 'hits'), 1, 'a hears b before the forgery');
  return net;
}
