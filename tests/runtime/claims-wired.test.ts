/**
 * Claims checked where remote deltas are joined (runtime/plausible.ts, called from antientropy.receive): a frame
 * claiming counters far beyond what its sender could have made is refused and counted, on both paths that join
 * remote deltas (anti-entropy DELTA, Plumtree GOSSIP), for declared variables and strangers' alike, while a
 * plausible delta from the same sender is joined.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { createNode, step, read, metrics, type PollenNode } from '../../runtime/index.ts';
import { DELTA, GOSSIP, VERSION } from '../../runtime/messages.ts';
import { CLAIM_SLACK } from '../../runtime/plausible.ts';
import { BCounter, inc, transfer } from '../../crdt/bcounter.ts';
import { GCounter } from '../../crdt/gcounter.ts';
import { get } from '../../runtime/store.ts';

function victim(epoch?: number): PollenNode {
  const b = createNode({ id: 'b', seed: 1, membership: 'full', epoch });
  step(b, { kind: 'command', command: { op: 'declare', id: 'hits', type: 'gcounter' } }, 0);
  step(b, { kind: 'command', command: { op: 'join', contacts: ['a'] } }, 0);
  step(b, { kind: 'link', peer: 'a', up: true }, 0);
  return b;
}

function frame(type: number, body: unknown): Uint8Array {
  return encode([VERSION, type, 'a', 0, body] as any);
}

function refused(b: PollenNode): number {
  const m = metrics(b) as unknown as { [k: string]: number };
  return m['claims.refused'] || 0;
}

test('a DELTA claiming 2^47 increments of a replica known at 5 is refused; a plausible one is joined', () => {
  const b = victim();
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [1, [['hits', 'gcounter', ['a@1', 5]]]]) }, 10);
  assert.is(read(b, 'hits'), 5);
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [2, [['hits', 'gcounter', ['a@1', 2 ** 47]]]]) }, 20);
  assert.is(read(b, 'hits'), 5, 'the forged claim was joined');
  assert.is(refused(b), 1);
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [3, [['hits', 'gcounter', ['a@1', 9]]]]) }, 30);
  assert.is(read(b, 'hits'), 9, 'the sender is not cut off: its next honest delta joins');
  assert.ok(CLAIM_SLACK < 2 ** 47);
});

test('the same claim through Plumtree, and for a stranger\'s variable, is refused before anything is declared', () => {
  const b = victim();
  const payload = [1, 'hits', 'gcounter', ['b', 2 ** 48]];
  step(b, { kind: 'frame', from: 'a', bytes: frame(GOSSIP, ['a:0:1', 1, payload]) }, 10);
  assert.is(read(b, 'hits'), 0);
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [1, [['zz', 'gcounter', ['x', 2 ** 48]]]]) }, 20);
  assert.is(read(b, 'zz'), undefined, 'a stranger\'s variable was declared on a forged claim');
  assert.is(refused(b), 2);
});

test('the kept claims stay bounded when joins drop claims (a register overwritten by a stream of writers)', () => {
  const b = victim();
  step(b, { kind: 'command', command: { op: 'declare', id: 'mode', type: 'lww' } }, 0);
  for (let k = 0; k < 500; k++) {
    // each write from a new replica, each winning: the register holds one writer, the kept claims every one
    step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [1 + k, [['mode', 'lww', [1000 + k, 'w' + k, k]]]]) }, 10 + k);
  }
  assert.is(read(b, 'mode'), 499);
  assert.is(refused(b), 0);
  const kept = Object.keys(get(b.store, 'mode')!.claims || {}).length;
  assert.ok(kept <= 1 + 64 + 1, 'kept claims of ' + kept + ' writers for a register that holds one');
});

test('with an epoch, a claim of this node\'s own replica past what it holds is refused, however small', () => {
  const b = victim(3);
  assert.is(b.replica, 'b@3');
  step(b, { kind: 'command', command: { op: 'update', id: 'hits', mutator: 'inc', args: [2] } }, 5);
  // Well within the slack, but only b makes b@3's increments, and it made 2.
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [1, [['hits', 'gcounter', ['b@3', 100]]]]) }, 10);
  assert.is(read(b, 'hits'), 2, 'a forged count of this life was joined');
  assert.is(refused(b), 1);
  // Its own count echoed back, and another replica's, are joined as before.
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [2, [['hits', 'gcounter', ['a@1', 5, 'b@3', 2]]]]) }, 20);
  assert.is(read(b, 'hits'), 7);
  assert.is(refused(b), 1);
  // Rights another replica transfers to this one are that replica's claim, not this one's.
  step(b, { kind: 'command', command: { op: 'declare', id: 'seats', type: 'bcounter' } }, 30);
  const gift = BCounter.join(inc(BCounter.bottom(), 'a@1', 10), transfer(inc(BCounter.bottom(), 'a@1', 10), 'a@1', 'b@3', 4));
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [3, [['seats', 'bcounter', BCounter.encode(gift)]]]) }, 40);
  assert.is(read(b, 'seats'), 10);
  assert.is(refused(b), 1);
  step(b, { kind: 'command', command: { op: 'update', id: 'seats', mutator: 'dec', args: [4] } }, 50);
  assert.is(read(b, 'seats'), 6, 'the transferred rights are usable');
  // Without an epoch (a replica id that may come back from peers ahead of a lost state) only the slack applies.
  const plain = victim();
  step(plain, { kind: 'frame', from: 'a', bytes: frame(DELTA, [1, [['hits', 'gcounter', ['b', 100]]]]) }, 10);
  assert.is(read(plain, 'hits'), 100);
});

test('checking a delta\'s claims costs the delta, not the state: the state\'s claims are kept as it grows', () => {
  const b = victim();
  const big: (string | number)[] = [];
  for (let i = 0; i < 2000; i++) big.push('r' + String(i).padStart(4, '0'), 1);
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [1, [['hits', 'gcounter', big]]]) }, 10);
  assert.is(read(b, 'hits'), 2000);
  // From here on, count the entries every claims walk is handed.
  const v = get(b.store, 'hits')!;
  let walked = 0;
  v.type = { ...GCounter, claims: (s: any, out: any) => { walked += Object.keys(s).length; GCounter.claims(s, out); } } as typeof GCounter;
  for (let k = 0; k < 10; k++) step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [2 + k, [['hits', 'gcounter', ['a@1', 5 + k]]]]) }, 20 + k);
  assert.is(read(b, 'hits'), 2014);
  assert.is(walked, 20, 'each delta walked twice (checked, then raising the kept claims), never the 2,000-entry state');
  // The kept claims follow the state: a@1 is known at 14 now, and the slack counts from there.
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [20, [['hits', 'gcounter', ['a@1', 14 + CLAIM_SLACK + 1]]]]) }, 40);
  assert.is(refused(b), 1);
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [21, [['hits', 'gcounter', ['a@1', 14 + CLAIM_SLACK]]]]) }, 50);
  assert.is(refused(b), 1);
  assert.is(read(b, 'hits'), 2000 + 14 + CLAIM_SLACK);
  // A state replaced without the store (as a test may) has its claims taken again.
  v.state = GCounter.bottom();
  step(b, { kind: 'frame', from: 'a', bytes: frame(DELTA, [22, [['hits', 'gcounter', ['a@1', CLAIM_SLACK + 1]]]]) }, 60);
  assert.is(refused(b), 2);
});

test.run();
