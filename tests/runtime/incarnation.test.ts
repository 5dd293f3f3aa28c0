/**
 * Implausible incarnations (issue 12, runtime/incarnation.ts): one frame claiming an incarnation "from" a
 * neighbour far past its real one used to cut the neighbour off for good in every layer that remembers
 * incarnations (anti-entropy, full membership: each then took the real frames for a dead life's). Now a claim
 * past 2^32 − 1 is dropped at the envelope, and one more than INCARNATION_SLACK past the known life is ignored
 * and counted by the layer. Without a cluster key, as an attacker on the same network.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { DELTA, HEARTBEAT, KEEPALIVE, VERSION } from '../../runtime/messages.ts';
import { neighbors, read, metrics } from '../../runtime/node.ts';
import { INCARNATION_SLACK, MAX_INCARNATION, plausibleIncarnation } from '../../runtime/incarnation.ts';
import { Net } from './net.ts';
import { aePair, B_INC } from './aepair.ts';

/** b's real incarnation. */
/** Under the envelope's cap, but further past b's life than any restart goes. */
const FAR = B_INC + INCARNATION_SLACK + 1;


/** After the forgery: b updates in its real life, and a must hear it and keep b as a neighbour. */
function stillHeard(net: Net): void {
  net.run(net.now + 1000);
  net.cmd('b', { op: 'update', id: 'hits', mutator: 'inc', args: [1] });
  net.run(net.now + 30_000);
  assert.is(read(net.nodes.a, 'hits'), 2, 'a no longer hears b');
  assert.ok(neighbors(net.nodes.a).includes('b'), 'b is no longer a neighbour of a');
}

test('the rule: a restart is plausible, a jump past the slack or the cap is not', () => {
  assert.ok(plausibleIncarnation(5, 6));
  assert.ok(plausibleIncarnation(-1, 218000000), 'a first life in seconds since 2020');
  assert.ok(plausibleIncarnation(7, 218000000), 'a board counter, then seconds since 2020');
  assert.not.ok(plausibleIncarnation(5, FAR));
  assert.not.ok(plausibleIncarnation(-1, MAX_INCARNATION + 1));
});

test('an anti-entropy DELTA "from" a neighbour claiming a far incarnation is ignored and counted', () => {
  const net = aePair('hyparview');
  net.inject('a', 'b', encode([VERSION, DELTA, 'b', FAR, [1, []]]));
  stillHeard(net);
  const m = metrics(net.nodes.a);
  assert.is(m['ae.inc.implausible'], 1);
  assert.is(m['ae.stale'] ?? 0, 0, 'b\'s real frames were taken for a dead life\'s');
});

test('a full-membership HEARTBEAT "from" a member claiming a far incarnation is ignored and counted', () => {
  const net = aePair('full');
  net.inject('a', 'b', encode([VERSION, HEARTBEAT, 'b', FAR, [[]]]));
  stillHeard(net);
  const m = metrics(net.nodes.a);
  assert.is(m['full.inc.implausible'], 1);
  assert.is(m['full.stale'] ?? 0, 0, 'b\'s real frames were taken for a dead life\'s');
});

test('a HyParView KEEPALIVE claiming a far incarnation is ignored at once (no silence until it reverts)', () => {
  const net = aePair('hyparview');
  net.inject('a', 'b', encode([VERSION, KEEPALIVE, 'b', FAR, [0]]));
  stillHeard(net);
  const m = metrics(net.nodes.a);
  assert.is(m['hv.inc.implausible'], 1);
  assert.is(m['hv.inc.revert'] ?? 0, 0);
  assert.is(m['hv.stale'] ?? 0, 0);
});

test('an incarnation past 2^32 - 1 is dropped at the envelope, whatever the layer', () => {
  const net = aePair('hyparview');
  net.inject('a', 'b', encode([VERSION, DELTA, 'b', 2 ** 40, [1, []]]));
  net.inject('a', 'b', encode([VERSION, KEEPALIVE, 'b', 2 ** 53 - 1, [0]]));
  stillHeard(net);
  assert.is(metrics(net.nodes.a)['dropped.incarnation'], 2);
});

test.run();
