/**
 * runtime/messages.ts, the envelope's one home: every message type belongs to one layer, no number is used
 * twice, and the peer-id bound is the one every layer accepts, so a node whose id passes takes part fully.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as M from '../../runtime/messages.ts';
import { layerOf, peerIdProblem, MAX_PEER_ID, LAYER_MEMBERSHIP, LAYER_PLUMTREE, LAYER_ANTIENTROPY } from '../../runtime/messages.ts';
import { metrics, neighbors, read } from '../../runtime/node.ts';
import { MAX_MSG_ID, originOf } from '../../runtime/plumtree.ts';
import { Net } from './net.ts';

/** The exported message type constants: every upper-case number but VERSION, MAX_PEER_ID and the layer names. */
function types(): [string, number][] {
  return Object.entries(M).filter(([k, v]) => typeof v === 'number' && /^[A-Z_]+$/.test(k) && k !== 'VERSION' &&
    k !== 'MAX_PEER_ID' && !k.startsWith('LAYER_')) as [string, number][];
}

test('layerOf: each range to its layer, every exported type in one, no number used twice', () => {
  assert.is(layerOf(M.JOIN), LAYER_MEMBERSHIP);
  assert.is(layerOf(M.PEERS), LAYER_MEMBERSHIP);
  assert.is(layerOf(M.PROBE), LAYER_MEMBERSHIP, 'overlay health is the membership manager\'s');
  assert.is(layerOf(M.GOSSIP), LAYER_PLUMTREE);
  assert.is(layerOf(M.PRUNE), LAYER_PLUMTREE);
  assert.is(layerOf(M.DELTA), LAYER_ANTIENTROPY);
  assert.is(layerOf(M.STATE), LAYER_ANTIENTROPY);
  for (const t of [0, 50, 99, -1, 1.5, 2 ** 40]) assert.is(layerOf(t), -1, String(t));
  const seen: { [n: number]: string } = {};
  for (const [name, n] of types()) {
    assert.ok(layerOf(n) >= 0, name + ' = ' + n + ' is in no layer');
    assert.is(seen[n], undefined, name + ' and ' + seen[n] + ' share ' + n);
    seen[n] = name;
  }
  assert.ok(types().length >= 20);
});

test('peerIdProblem: a non-empty string of at most 64 bytes of UTF-8', () => {
  assert.is(MAX_PEER_ID, 64);
  assert.is(peerIdProblem('a'), '');
  assert.is(peerIdProblem('x'.repeat(64)), '');
  assert.is(peerIdProblem('x'.repeat(65)), 'peer id "xxxxxxxxxxxxxxxxxxxx..." is 65 bytes of UTF-8, at most 64');
  assert.is(peerIdProblem('水'.repeat(21) + 'a'), '', '64 bytes in 22 characters');
  assert.match(peerIdProblem('水'.repeat(22)), 'is 66 bytes of UTF-8', '66 bytes in 22 characters');
  assert.is(peerIdProblem(''), 'a peer id must be a non-empty string');
  assert.is(peerIdProblem(7), 'a peer id must be a non-empty string');
  assert.match(peerIdProblem('a\ud800'), 'not well-formed UTF-8');
});

test('nodes with ids of exactly 64 bytes join, and their updates spread through Plumtree', () => {
  const ids = ['a'.repeat(64), 'b'.repeat(63) + 'c', '水'.repeat(21) + 'd', 'e'.repeat(64)];
  const net = new Net({ seed: 3 });
  ids.forEach((id, i) => net.add({ id, seed: 30 + i }));
  for (let i = 1; i < ids.length; i++) net.cmd(ids[i], { op: 'join', contacts: [ids[0]] });
  net.run(3000);
  for (const id of ids) {
    assert.ok(neighbors(net.nodes[id]).length > 0, id + ' has no neighbour');
    net.cmd(id, { op: 'declare', id: 'hits', type: 'gcounter' });
  }
  ids.forEach((id, i) => net.cmd(id, { op: 'update', id: 'hits', mutator: 'inc', args: [i + 1] }));
  net.run(net.now + 500); // well under the anti-entropy period: Plumtree carried it
  for (const id of ids) {
    assert.is(read(net.nodes[id], 'hits'), 10, id);
    const m = metrics(net.nodes[id]);
    assert.is(m.dropped, undefined, id + ' dropped frames: ' + JSON.stringify(m));
  }
  const longest = ids[2] + ':' + (2 ** 53 - 1).toString(36) + ':' + (2 ** 53 - 1).toString(36);
  assert.ok(longest.length <= MAX_MSG_ID);
  assert.is(originOf(longest), ids[2]);
});

test.run();
