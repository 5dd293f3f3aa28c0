/**
 * A board's composition (runtime/membership/client.ts's Client, runtime/deltasync.ts's DeltaSync) against a full
 * gateway (ClientServer, AntiEntropy): it converges both ways under loss and duplication, after a restart of the
 * board from a snapshot and of the gateway without state, never declares a variable it did not ask for, and keeps
 * its buffer within its bounds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Net } from './net.ts';
import { composeNode, read, snapshot, metrics, type PollenNode, type CoreConfig } from '../../runtime/full.ts';
import { Client } from '../../runtime/membership/client.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import { registry, register } from '../../crdt/registry.ts';
import { PNCounter } from '../../crdt/pncounter.ts';
import { ORSet } from '../../crdt/orset.ts';
import { LWW } from '../../crdt/lww.ts';

const types = register(register(register(registry(), PNCounter), ORSet), LWW);
const VARS: [string, string][] = [['hits', 'pncounter'], ['seen', 'orset'], ['mode', 'lww']];

function board(net: Net, extra: Partial<CoreConfig>): PollenNode {
  const n = composeNode({ id: 'b', seed: 7, interest: VARS.map((v) => v[0]), maxVariables: 3, ...extra },
    { membership: Client, plumtree: null, dataflow: null, types, sync: DeltaSync });
  net.nodes.b = n;
  delete net.down.b;
  if (!extra.restore) for (const [id, t] of VARS) net.cmd('b', { op: 'declare', id, type: t });
  net.cmd('b', { op: 'join', contacts: ['g'] });
  return n;
}

function gateway(net: Net): void {
  net.add({ id: 'g', seed: 3, membership: 'client-server' });
  for (const [id, t] of VARS) net.cmd('g', { op: 'declare', id, type: t });
  net.cmd('g', { op: 'declare', id: 'other', type: 'pncounter' });
}

test('deltasync: a board and a full gateway converge both ways under loss and duplication', () => {
  const net = new Net({ seed: 5, latency: [5, 40], loss: 0.2, dup: 0.1 });
  gateway(net);
  board(net, {});
  for (let i = 0; i < 20; i++) {
    net.cmd('b', { op: 'update', id: 'seen', mutator: 'add', args: ['e' + i] });
    net.cmd('b', { op: 'update', id: 'hits', mutator: 'inc', args: [1] });
    net.cmd('g', { op: 'update', id: 'hits', mutator: 'inc', args: [10] });
    net.cmd('g', { op: 'update', id: 'other', mutator: 'inc', args: [1] });
    net.run(net.now + 300);
  }
  net.cmd('g', { op: 'update', id: 'mode', mutator: 'set', args: ['fast', 1] });
  net.run(net.now + 20000);
  for (const id of ['b', 'g']) {
    assert.is(read(net.nodes[id], 'hits'), 220, id);
    assert.is((read(net.nodes[id], 'seen') as string[]).length, 20, id);
    assert.is(read(net.nodes[id], 'mode'), 'fast', id);
  }
  assert.is(read(net.nodes.b, 'other'), undefined, 'the board holds a variable it did not ask for');
  assert.is(net.nodes.b.ae.buf.length, 0, 'the board buffer drains once acknowledged');
});

test('deltasync: a board restarted from its snapshot, and a gateway restarted without state, converge again', () => {
  const net = new Net({ seed: 9, latency: [5, 20] });
  gateway(net);
  board(net, {});
  for (let i = 0; i < 5; i++) net.cmd('b', { op: 'update', id: 'seen', mutator: 'add', args: ['a' + i] });
  net.run(net.now + 5000);
  const snap = snapshot(net.nodes.b);
  net.crash('b');
  net.cmd('g', { op: 'update', id: 'hits', mutator: 'inc', args: [3] });
  net.run(net.now + 10000);
  board(net, { restore: snap, incarnation: 1, epoch: 1 });
  net.cmd('b', { op: 'update', id: 'seen', mutator: 'add', args: ['after'] });
  net.run(net.now + 10000);
  assert.is(read(net.nodes.b, 'hits'), 3);
  assert.is((read(net.nodes.g, 'seen') as string[]).length, 6);
  // The gateway loses everything: the board brings it its states (STATE, acknowledged per variable).
  net.crash('g');
  net.run(net.now + 1000);
  net.add({ id: 'g', seed: 4, membership: 'client-server', incarnation: 1 });
  net.run(net.now + 30000);
  assert.is((read(net.nodes.g, 'seen') as string[]).length, 6, 'the restarted gateway got the board state');
  assert.ok((metrics(net.nodes.b)['ae.rounds'] || 0) >= 2, 'full states went at each new life');
});

test('deltasync: the buffer keeps its bounds; what overflowed reaches the gateway by full state', () => {
  const net = new Net({ seed: 11, latency: [5, 20] });
  gateway(net);
  const b = board(net, { antiEntropy: { maxEntries: 4, maxBytes: 200 } });
  net.run(net.now + 3000);
  net.blocked = (x, y) => (x === 'b' && y === 'g') || (x === 'g' && y === 'b');
  for (let i = 0; i < 30; i++) {
    net.cmd('b', { op: 'update', id: 'seen', mutator: 'add', args: ['x' + i] });
    assert.ok(b.ae.buf.length <= 4 && b.ae.bytes <= 200, 'bound kept');
  }
  assert.ok((metrics(b)['ae.overflow'] || 0) > 0);
  net.blocked = () => false;
  net.run(net.now + 30000);
  assert.is((read(net.nodes.g, 'seen') as string[]).length, 30);
});

test('deltasync: knobs it does not have, and an admission policy, are refused at composition', () => {
  const net = new Net({ seed: 1 });
  assert.throws(() => board(net, { antiEntropy: { mode: 'state' } as any }), /unknown knob "mode"/);
  assert.throws(() => board(net, { admission: { perPeer: 1 } }), /admission needs/);
});

test.run();
