/**
 * Admission (runtime/admission.ts): one frame used to fill the variable store with a stranger's variables, after
 * which the application's own declare failed. Now the store's reserve is the application's, peers have budgets,
 * and a policy can name what peers may introduce.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { GCounter } from '../../crdt/gcounter.ts';
import { DELTA, GOSSIP, VERSION } from '../../runtime/messages.ts';
import { createNode, step, read, metrics, type NodeConfig } from '../../runtime/full.ts';

function flood(from: string, n: number, prefix = 'junk'): Uint8Array {
  const entries: any[] = [];
  for (let i = 0; i < n; i++) entries.push([prefix + String(i).padStart(3, '0'), 'gcounter', GCounter.encode(GCounter.mutators.inc(GCounter.bottom(), from, [1]))]);
  return encode([VERSION, DELTA, from, 0, [1, entries]]);
}

let msgs = 0;
function gossip(from: string, id: string): Uint8Array {
  return encode([VERSION, GOSSIP, from, 0, [from + ':0:' + msgs++, 0, [1, id, 'gcounter', GCounter.encode(GCounter.mutators.inc(GCounter.bottom(), from, [2]))]]]);
}

function node(c: Partial<NodeConfig> = {}) {
  return createNode({ id: 'a', seed: 1, ...c });
}

test('attack: one frame of 200 strangers\' variables leaves the application room to declare its own', () => {
  const n = node();
  step(n, { kind: 'frame', from: 'evil', bytes: flood('evil', 200) }, 0);
  const m = metrics(n);
  assert.ok(m['store.vars'] <= 64 - 16, 'strangers took the reserve: ' + m['store.vars']);
  for (let i = 0; i < 16; i++) step(n, { kind: 'command', command: { op: 'declare', id: 'mine' + i, type: 'orset' } }, 1);
  assert.is(metrics(n)['store.vars'], m['store.vars'] + 16);
  assert.ok(m['admit.budget'] > 0, 'the per-peer budget was not counted');
});

test('per-peer budget: one peer introduces at most perPeer variables, another still can', () => {
  const n = node({ admission: { perPeer: 5 } });
  step(n, { kind: 'frame', from: 'evil', bytes: flood('evil', 20) }, 0);
  assert.is(metrics(n)['store.vars'], 5);
  assert.is(metrics(n)['admit.budget'], 15);
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'hits') }, 1);
  assert.is(read(n, 'hits'), 2);
});

test('policy: only allowed names and specs are taken; declared variables always are', () => {
  const n = node({ admission: { allow: ['imp.*', 'ads'], specs: ['gcounter'] } });
  step(n, { kind: 'command', command: { op: 'declare', id: 'mine', type: 'gcounter' } }, 0);
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'imp.7') }, 1);
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'other') }, 2);
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'mine') }, 3);
  assert.is(read(n, 'imp.7'), 2);
  assert.is(read(n, 'other'), undefined);
  assert.is(read(n, 'mine'), 2);
  assert.is(metrics(n)['admit.policy'], 1);
  const closed = node({ admission: { allow: [] } });
  step(closed, { kind: 'frame', from: 'evil', bytes: flood('evil', 10) }, 0);
  assert.is(metrics(closed)['store.vars'], 0);
  assert.is(metrics(closed)['admit.policy'], 10);
});

test.run();
