/**
 * A variable whose state is larger than a frame a link carries (issue 12: "a state over the frame limit never
 * syncs and is resent forever"): anti-entropy's STATE sends it in parts, each a state of its own, so it arrives
 * whole over a link that refuses long frames, and the round closes rather than resending it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { metrics, read } from '../../runtime/node.ts';
import { Net } from './net.ts';

/** A link limit well below the states below (each 15 to 40 KB encoded): a board's 1 KB, anti-entropy's own
 *  maxFrameBytes, so every part's frame must fit it envelope and all. */
const MAX_FRAME = 1024;

function filled(seed: number, loss: number): Net {
  const net = new Net({ seed, loss, maxFrame: MAX_FRAME });
  net.add({ id: 'a', seed: seed * 10 + 1, membership: 'full' });
  net.add({ id: 'b', seed: seed * 10 + 2, membership: 'full' });
  net.cmd('a', { op: 'declare', id: 'tags', type: 'orset' });
  net.cmd('a', { op: 'declare', id: 'rooms', type: 'awmap(lamport)' });
  // Before b is there: the deltas pass a's buffer, so b can only get them as full states.
  for (let i = 0; i < 1500; i++) net.cmd('a', { op: 'update', id: 'tags', mutator: 'add', args: ['tag-' + String(i).padStart(5, '0') + '-kitchen'] });
  for (let i = 0; i < 1500; i += 3) net.cmd('a', { op: 'update', id: 'tags', mutator: 'remove', args: ['tag-' + String(i).padStart(5, '0') + '-kitchen'] });
  for (let i = 0; i < 600; i++) net.cmd('a', { op: 'update', id: 'rooms', mutator: 'apply', args: ['room-' + i, 'set', ['lamp ' + i]] });
  return net;
}

test('a state larger than the link carries arrives in parts, and is not sent again once it has', () => {
  for (const loss of [0, 0.1]) {
    const net = filled(3, loss);
    // Each state is several frames' worth: whole, neither could cross this link.
    for (const id of ['tags', 'rooms']) {
      const v = net.nodes.a.store.vars[id];
      const bytes = encode(v.type.encode(v.state)).length;
      assert.ok(bytes > 3 * MAX_FRAME, id + ' is ' + bytes + ' bytes');
    }
    net.cmd('b', { op: 'join', contacts: ['a'] });
    net.run(60000);
    const what = 'loss ' + loss;
    assert.equal(read(net.nodes.b, 'tags'), read(net.nodes.a, 'tags'), what + ': tags');
    assert.equal(read(net.nodes.b, 'rooms'), read(net.nodes.a, 'rooms'), what + ': rooms');
    assert.is((read(net.nodes.b, 'tags') as string[]).length, 1000, what);
    assert.is(net.oversize, 0, what + ': no frame was past the link limit');
    // Settled: a quiet minute sends no state at all.
    const states = metrics(net.nodes.a)['ae.states'] || 0;
    assert.ok(states > 2, what + ': the states went in parts (' + states + ' entries)');
    net.run(120000);
    assert.is(metrics(net.nodes.a)['ae.states'] || 0, states, what + ': nothing resent once both hold the same');
  }
});

test('a single value larger than any peer decodes is left out and counted, not sent at every retry', () => {
  const net = new Net({ seed: 5, maxFrame: MAX_FRAME });
  net.add({ id: 'a', seed: 51, membership: 'full' });
  net.add({ id: 'b', seed: 52, membership: 'full' });
  net.cmd('a', { op: 'declare', id: 'blob', type: 'lww' });
  net.cmd('a', { op: 'declare', id: 'tags', type: 'orset' });
  // 70 KB in one register: one part, past the 64 KB every node decodes by default.
  net.cmd('a', { op: 'update', id: 'blob', mutator: 'set', args: ['x'.repeat(70000), 1] });
  for (let i = 0; i < 300; i++) net.cmd('a', { op: 'update', id: 'tags', mutator: 'add', args: ['tag-' + i] });
  net.cmd('b', { op: 'join', contacts: ['a'] });
  net.run(60000);
  assert.equal(read(net.nodes.b, 'tags'), read(net.nodes.a, 'tags'), 'the other variable still arrives');
  const m = metrics(net.nodes.a);
  assert.ok((m['ae.state.oversize'] || 0) >= 1, 'the blob was not counted: ' + JSON.stringify(m));
  const states = m['ae.states'] || 0;
  const oversize = m['ae.state.oversize'];
  net.run(180000);
  assert.is(metrics(net.nodes.a)['ae.states'] || 0, states, 'states sent again in a quiet two minutes');
  assert.is(metrics(net.nodes.a)['ae.state.oversize'], oversize, 'the blob tried again in a quiet two minutes');
});

test.run();
