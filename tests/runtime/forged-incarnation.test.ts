/**
 * A forged incarnation (issue 12): one keepalive claiming a huge incarnation "from" a neighbour used to cut that
 * neighbour off for good, since every real frame of its actual (older) incarnation was then refused as stale.
 * Without a key, the plausibility rule in runtime/membership/hyparview.ts makes the cut temporary; with a key the
 * forged frame never gets past the tag. (A claim far past the real life is refused at once: incarnation.test.ts;
 * this one is plausible, a thousand restarts on.) The anti-entropy layers (runtime/antientropy.ts, the board's
 * runtime/deltasync.ts) have the same rule: a newer life that has sent nothing for a while is taken for a forgery.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { DELTA, HEARTBEAT, KEEPALIVE, VERSION } from '../../runtime/messages.ts';
import { neighbors, read, metrics } from '../../runtime/node.ts';
import { composeNode } from '../../runtime/full.ts';
import { Client } from '../../runtime/membership/client.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import { registry, register } from '../../crdt/registry.ts';
import { GCounter } from '../../crdt/gcounter.ts';
import { nodeCrypto } from '../../transports/crypto.ts';
import { Net } from './net.ts';
import { aePair } from './aepair.ts';

const HUGE = 5 + 1000;

function pair(keyed: boolean): Net {
  const net = new Net({ seed: 7 });
  const auth = () => (keyed ? { keys: [{ id: 1, key: new Uint8Array(32).fill(5) }], primitives: nodeCrypto, epoch: 1000 } : undefined);
  net.add({ id: 'a', seed: 1, incarnation: 3, auth: auth() });
  net.add({ id: 'b', seed: 2, incarnation: 5, auth: auth() });
  for (const id of ['a', 'b']) net.cmd(id, { op: 'declare', id: 'hits', type: 'gcounter' });
  net.cmd('b', { op: 'join', contacts: ['a'] });
  net.run(2000);
  return net;
}

for (const keyed of [false, true]) {
  test('a forged huge incarnation "from" a neighbour does not cut it off for good (' + (keyed ? 'with' : 'without') + ' a key)', () => {
    const net = pair(keyed);
    assert.ok(neighbors(net.nodes.a).includes('b'), 'a and b are neighbours');
    net.inject('a', 'b', encode([VERSION, KEEPALIVE, 'b', HUGE, [0]]));
    net.run(net.now + 30_000);
    // b keeps updating in its real incarnation: a must hear it again.
    net.cmd('b', { op: 'update', id: 'hits', mutator: 'inc', args: [1] });
    net.run(net.now + 30_000);
    assert.is(read(net.nodes.a, 'hits'), 1, 'a no longer hears b');
    assert.ok(neighbors(net.nodes.a).includes('b'), 'b is not a neighbour of a again');
    const m = metrics(net.nodes.a);
    if (keyed) assert.is(m['dropped.auth.none'], 1);
    else assert.ok(m['hv.inc.revert'] >= 1, 'the revert was not counted');
  });
}


/** b updates in its real life after the forgery, once a second for 30 s: a must hear every update. */
function hearsAgain(net: Net, a: string, b: string, first: number): void {
  for (let i = 1; i <= 30; i++) {
    net.cmd(b, { op: 'update', id: 'hits', mutator: 'inc', args: [1] });
    net.run(net.now + 1000);
  }
  net.run(net.now + 10_000);
  assert.is(read(net.nodes[a], 'hits'), first + 30, a + ' no longer hears ' + b);
}

for (const membership of ['hyparview', 'full'] as const) {
  test('a forged plausible incarnation on an anti-entropy DELTA does not cut the neighbour off (' + membership + ')', () => {
    const net = aePair(membership);
    net.inject('a', 'b', encode([VERSION, DELTA, 'b', HUGE, [1, []]]));
    hearsAgain(net, 'a', 'b', 1);
    assert.ok(neighbors(net.nodes.a).includes('b'), 'b is not a neighbour of a');
    const m = metrics(net.nodes.a);
    assert.is(m['ae.inc.revert'], 1, 'the revert was not counted');
  });
}

test('a forged plausible incarnation on a full-membership HEARTBEAT: the member is heard again (as on the old code: dropped as silent after peerTimeout, then admitted in its real life)', () => {
  const net = aePair('full');
  net.inject('a', 'b', encode([VERSION, HEARTBEAT, 'b', HUGE, [[]]]));
  hearsAgain(net, 'a', 'b', 1);
  assert.ok(neighbors(net.nodes.a).includes('b'), 'b is not a member of a');
});

test('a forged plausible incarnation "from" the gateway on a board\'s DeltaSync does not cut the gateway off', () => {
  const net = new Net({ seed: 13, latency: [5, 20] });
  net.add({ id: 'g', seed: 3, incarnation: 9, membership: 'client-server' });
  net.cmd('g', { op: 'declare', id: 'hits', type: 'gcounter' });
  const types = register(registry(), GCounter);
  net.nodes.b = composeNode({ id: 'b', seed: 7, interest: ['hits'], maxVariables: 2 },
    { membership: Client, plumtree: null, dataflow: null, types: types, sync: DeltaSync });
  delete net.down.b;
  net.cmd('b', { op: 'declare', id: 'hits', type: 'gcounter' });
  net.cmd('b', { op: 'join', contacts: ['g'] });
  net.run(3000);
  net.cmd('g', { op: 'update', id: 'hits', mutator: 'inc', args: [1] });
  net.run(net.now + 5000);
  assert.is(read(net.nodes.b, 'hits'), 1, 'the board hears the gateway before the forgery');
  net.inject('b', 'g', encode([VERSION, DELTA, 'g', 9 + 1000, [1, []]]));
  hearsAgain(net, 'b', 'g', 1);
  assert.is(metrics(net.nodes.b)['ae.inc.revert'], 1, 'the revert was not counted');
});

test.run();
