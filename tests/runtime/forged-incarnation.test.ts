/**
 * A forged incarnation (issue 12): one keepalive claiming a huge incarnation "from" a neighbour used to cut that
 * neighbour off for good, since every real frame of its actual (older) incarnation was then refused as stale.
 * Without a key, the plausibility rule in runtime/membership/hyparview.ts makes the cut temporary; with a key the
 * forged frame never gets past the tag. (A claim far past the real life is refused at once: incarnation.test.ts;
 * this one is plausible, a thousand restarts on.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { KEEPALIVE, VERSION } from '../../runtime/messages.ts';
import { neighbors, read, metrics } from '../../runtime/node.ts';
import { nodeCrypto } from '../../transports/crypto.ts';
import { Net } from './net.ts';

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

test.run();
