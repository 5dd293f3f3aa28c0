/**
 * How runtime/node.ts takes a CRDT delta that arrives through Plumtree: checked whole before anything is declared,
 * delivered or forwarded, and counted as dropped when it is malformed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { createNode, step, read } from '../../runtime/full.ts';
import { GOSSIP, JOIN, VERSION } from '../../runtime/messages.ts';
import { decode } from '../../crdt/codec/cbor.ts';
import { DEFAULT_LIMITS } from '../../crdt/codec/limits.ts';

const gossip = (msgId: string, payload: unknown) => encode([VERSION, GOSSIP, 'b', 0, [msgId, 1, payload as any]]);

test('node: a Plumtree CRDT payload whose delta does not decode declares nothing (the store is not filled by garbage)', () => {
  const n = createNode({ id: 'a', seed: 1, maxVariables: 2 });
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b:0:0', [1, 'v1', 'gcounter', 'garbage']) }, 0);
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b:0:1', [1, 'v2', 'gcounter', 'garbage']) }, 0);
  assert.is(n.store.count, 0, 'malformed deltas declared variables');
  // A well-formed one still finds room.
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b:0:2', [1, 'v3', 'gcounter', ['b', 4]]) }, 0);
  assert.is(read(n, 'v3'), 4);
});

test('node: a malformed CRDT payload is reported as dropped only, not also as delivered', () => {
  const n = createNode({ id: 'a', seed: 1 });
  const out = step(n, { kind: 'frame', from: 'b', bytes: gossip('b:0:0', [1, 7, 'gcounter', []]) }, 0);
  const types = out.filter((o) => o.kind === 'event').map((o: any) => o.event.type);
  assert.equal(types, ['dropped']);
});

test('node: a malformed CRDT payload is not forwarded (plumtree.ts rejects a payload whose delivery throws DecodeError)', () => {
  const n = createNode({ id: 'a', seed: 1 });
  step(n, { kind: 'frame', from: 'c', bytes: encode([VERSION, JOIN, 'c', 0, [0]]) }, 0); // c becomes a neighbour
  const out = step(n, { kind: 'frame', from: 'b', bytes: gossip('b:0:0', [1, 'v', 'gcounter', 'garbage']) }, 1);
  const forwarded = out.filter((o) => o.kind === 'send' && (decode(o.bytes, DEFAULT_LIMITS) as any[])[1] === GOSSIP);
  assert.is(forwarded.length, 0, 'garbage went on to c');
  // ...and a good copy of the same id is still new.
  const ok = step(n, { kind: 'frame', from: 'b', bytes: gossip('b:0:0', [1, 'v', 'gcounter', ['b', 2]]) }, 2);
  assert.is(read(n, 'v'), 2);
  assert.ok(ok.some((o) => o.kind === 'send' && o.to === 'c'));
});

test.run();
