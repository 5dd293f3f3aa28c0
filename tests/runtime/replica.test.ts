import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replicaOf, peerOf } from '../../runtime/replica.ts';
import { createNode, step, stateOf, read, snapshot } from '../../runtime/full.ts';
import { markDone, finished, progress, varOf } from '../../runtime/completion.ts';
import { ORSet } from '../../crdt/orset.ts';
import type { PollenNode } from '../../runtime/full.ts';

function cmd(n: PollenNode, command: any, now = 0) {
  return step(n, { kind: 'command', command }, now);
}

test('replica ids: peer@epoch in base 36, and back to the peer', () => {
  assert.is(replicaOf('a', undefined), 'a');
  assert.is(replicaOf('a', 0), 'a@0');
  assert.is(replicaOf('a', 35), 'a@z');
  assert.is(replicaOf('a', 2 ** 48 - 1), 'a@2rrvthnxtr');
  assert.is(peerOf('a@2rrvthnxtr'), 'a');
  assert.is(peerOf('a'), 'a');
  // A peer id holding '@' splits at the last one; one with no epoch after it stays whole.
  assert.is(peerOf(replicaOf('me@home', 7)), 'me@home');
  assert.is(peerOf('me@Home'), 'me@Home');
  assert.is(peerOf('@1'), '@1');
  assert.throws(() => createNode({ id: 'a', seed: 1, epoch: -1 }), /epoch = -1 is out of range/);
  assert.throws(() => createNode({ id: 'a', seed: 1, epoch: 1.5 }), /epoch = 1.5 is out of range/);
});

test('a node with an epoch issues its dots under peer@epoch, so a restart that lost updates reuses none', () => {
  // Life 1 adds x and y; a peer holds them; the node restarts with a store that missed y (it saved after x).
  const life1 = createNode({ id: 'a', seed: 1, epoch: 1 });
  cmd(life1, { op: 'declare', id: 's', type: 'orset' });
  cmd(life1, { op: 'update', id: 's', mutator: 'add', args: ['x'] });
  const saved = snapshot(life1);
  cmd(life1, { op: 'update', id: 's', mutator: 'add', args: ['y'] });
  const peer = createNode({ id: 'b', seed: 2 });
  cmd(peer, { op: 'declare', id: 's', type: 'orset' });
  cmd(peer, { op: 'bind', id: 's', state: ORSet.encode(stateOf(life1, 's')) });
  const life2 = createNode({ id: 'a', seed: 3, epoch: 2, restore: saved });
  cmd(life2, { op: 'update', id: 's', mutator: 'add', args: ['z'] });
  assert.equal(Object.keys(stateOf(life2, 's').c.vv).sort(), ['a@1', 'a@2']);
  // Both ways round, nothing is lost: with the plain id, z would have taken y's dot (a, 2) and both would vanish.
  cmd(peer, { op: 'bind', id: 's', state: ORSet.encode(stateOf(life2, 's')) });
  cmd(life2, { op: 'bind', id: 's', state: ORSet.encode(stateOf(peer, 's')) });
  assert.equal(read(peer, 's'), ['x', 'y', 'z']);
  assert.equal(read(life2, 's'), ['x', 'y', 'z']);
});

test('completion: a node that restarted marks under its new replica id and counts once, at its highest phase', () => {
  const a1 = createNode({ id: 'a', seed: 1, epoch: 1 });
  markDone(a1, 'g', 2, 0);
  const a2 = createNode({ id: 'a', seed: 2, epoch: 2, restore: snapshot(a1) });
  markDone(a2, 'g', 1, 0); // already past it: nothing
  assert.equal(stateOf(a2, varOf('g')), { 'a@1': 2 });
  markDone(a2, 'g', 3, 0);
  const s = stateOf(a2, varOf('g'));
  assert.equal(s, { 'a@1': 2, 'a@2': 3 });
  assert.ok(finished(s, ['a'], 3));
  assert.not.ok(finished(s, 2, 1), 'two lives of one node are one node');
  assert.is(progress({ ...s, b: 1 }, ['a', 'b']), 1);
  // A life that lost its store marks from scratch; the phase is still the largest of the lives.
  const a3 = createNode({ id: 'a', seed: 3, epoch: 3 });
  markDone(a3, 'g', 1, 0);
  assert.ok(finished({ ...s, ...stateOf(a3, varOf('g')) }, ['a'], 3));
});

test.run();
