/**
 * Liveness from any traffic (runtime/node.ts onFrame -> Membership.heard; full membership implements it): on a
 * busy thin link a member's heartbeats may wait behind its data, so a frame of any layer keeps it a member.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { createNode, step, neighbors } from '../../runtime/full.ts';
import { VERSION, JOIN, PRUNE } from '../../runtime/messages.ts';
import { FULL_DEFAULTS, TIMER_TICK } from '../../runtime/membership/full.ts';
import type { Item } from '../../crdt/types.ts';

const frame = (type: number, from: string, inc: number, body: Item) => encode([VERSION, type, from, inc, body]);

function member(): ReturnType<typeof createNode> {
  const a = createNode({ id: 'a', seed: 1, membership: 'full' });
  step(a, { kind: 'frame', from: 'b', bytes: frame(JOIN, 'b', 1, []) }, 0);
  assert.equal(neighbors(a), ['b']);
  return a;
}

test('a member heard only through non-membership frames stays a member past peerTimeout', () => {
  const a = member();
  const T = FULL_DEFAULTS.peerTimeout;
  // Plumtree PRUNEs from b, every second, and no heartbeat at all.
  for (let t = 1000; t <= 3 * T; t += 1000) {
    step(a, { kind: 'frame', from: 'b', bytes: frame(PRUNE, 'b', 1, []) }, t);
    step(a, { kind: 'timer', id: TIMER_TICK }, t);
  }
  assert.equal(neighbors(a), ['b']);
});

test('a silent member is still removed after peerTimeout (the check can fail)', () => {
  const a = member();
  const T = FULL_DEFAULTS.peerTimeout;
  for (let t = 1000; t <= 3 * T; t += 1000) step(a, { kind: 'timer', id: TIMER_TICK }, t);
  assert.equal(neighbors(a), []);
});

test('a frame of another life does not refresh the member', () => {
  const a = member();
  const T = FULL_DEFAULTS.peerTimeout;
  for (let t = 1000; t <= 3 * T; t += 1000) {
    step(a, { kind: 'frame', from: 'b', bytes: frame(PRUNE, 'b', 0, []) }, t);
    step(a, { kind: 'timer', id: TIMER_TICK }, t);
  }
  assert.equal(neighbors(a), []);
});

test.run();
