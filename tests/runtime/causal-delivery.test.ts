/**
 * runtime/causal-delivery.ts: the deps a delta carries, the buffer's bound, gap and duplicate policies, and a
 * node that holds a bounded counter's decrement until the increment and transfer it depends on are in.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Item } from '../../crdt/types.ts';
import { DecodeError } from '../../crdt/errors.ts';
import { encode } from '../../crdt/codec/cbor.ts';
import { BCounter, type BCounterState } from '../../crdt/bcounter.ts';
import { GCounter } from '../../crdt/gcounter.ts';
import * as cd from '../../runtime/causal-delivery.ts';
import { createNode, step, read } from '../../runtime/full.ts';
import { GOSSIP, JOIN, VERSION } from '../../runtime/messages.ts';
import { rec } from '../support/recordingCtx.ts';

const S = (p: Record<string, number>, n: Record<string, number>, t: Record<string, Record<string, number>>): BCounterState => ({ p, n, t });

function held(msgId: string, deps: Item[], at: number, delta?: BCounterState): cd.Held {
  return { msgId, from: 'x', origin: 'y', id: 'v', spec: 'bcounter', delta: delta ?? S({}, { b: 1 }, {}), deps, at };
}

test('stamp: own progress before the mutation, then only the other replicas that moved since the last stamp', () => {
  const c = cd.init();
  // a holds 5 of its own, received 2 from b, and now decrements 1 (state after).
  const after = S({ a: 5, b: 2 }, { a: 1 }, { b: { a: 2 } });
  assert.equal(cd.stamp(c, 'v', BCounter, after, 'a', 5), ['a', 5, 'b', 4]);
  // Nothing moved at b since: only a's own entry.
  const after2 = S({ a: 5, b: 2 }, { a: 3 }, { b: { a: 2 } });
  assert.equal(cd.stamp(c, 'v', BCounter, after2, 'a', 6), ['a', 6]);
  // A type without progress carries no deps.
  assert.is(cd.stamp(c, 'g', GCounter, { a: 1 }, 'a', 0), null);
  assert.is(cd.before(GCounter, { a: 1 }, 'a'), -1);
  assert.is(cd.before(BCounter, after2, 'a'), 8);
});

test('ready: every entry of deps reached by the state; an undeclared variable reaches nothing', () => {
  const st = S({ a: 3 }, {}, { a: { b: 2 } });
  assert.ok(cd.ready(BCounter, st, ['a', 5]));
  assert.not.ok(cd.ready(BCounter, st, ['a', 6]));
  assert.not.ok(cd.ready(BCounter, st, ['a', 5, 'b', 1]));
  assert.not.ok(cd.ready(BCounter, undefined, ['a', 1]));
  assert.ok(cd.ready(BCounter, undefined, []));
});

test('readDeps: pairs of replica and progress, replicas ascending; anything else is a DecodeError', () => {
  assert.equal(cd.readDeps(['a', 1, 'b', 0]), ['a', 1, 'b', 0]);
  for (const bad of [['a'], ['b', 1, 'a', 1], ['a', 1, 'a', 2], ['a', -1], [7, 1], 'x', ['a', 1.5]] as Item[]) {
    assert.throws(() => cd.readDeps(bad), (e: unknown) => e instanceof DecodeError, JSON.stringify(bad));
  }
  const long: Item[] = [];
  for (let i = 0; i <= cd.MAX_DEPS; i++) long.push('r' + String(i).padStart(5, '0'), 1);
  assert.throws(() => cd.readDeps(long), (e: unknown) => e instanceof DecodeError);
});

test('hold: bounded; when full the oldest goes (returned, for repair) and is counted', () => {
  const c = cd.init({ maxHeld: 2 });
  const r = rec('n', 100);
  assert.is(cd.hold(c, r.ctx, held('m1', ['a', 1], 100)), null);
  assert.is(cd.hold(c, r.ctx, held('m2', ['a', 2], 100)), null);
  const gone = cd.hold(c, r.ctx, held('m3', ['a', 3], 100));
  assert.is(gone?.msgId, 'm1');
  assert.equal(c.held.map((h) => h.msgId), ['m2', 'm3']);
  assert.is(r.counts['causal.dropped.full'], 1);
  assert.is(r.timers[cd.TIMER_GAP], 100 + cd.CAUSAL_DEFAULTS.gapTtl);
  // maxHeld 0: nothing is ever held; the delta itself is what goes.
  const z = cd.init({ maxHeld: 0 });
  const h = held('m1', ['a', 1], 0);
  assert.is(cd.hold(z, r.ctx, h), h);
  assert.is(z.held.length, 0);
});

test('hold: a second copy of a held message is ignored and counted', () => {
  const c = cd.init();
  const r = rec('n', 0);
  cd.hold(c, r.ctx, held('m1', ['a', 1], 0));
  cd.hold(c, r.ctx, held('m1', ['a', 1], 5));
  assert.is(c.held.length, 1);
  assert.is(r.counts['causal.duplicate'], 1);
});

test('next: a delta whose deps are in is released, one already in is dropped, one past gapTtl is dropped', () => {
  const c = cd.init({ gapTtl: 1000 });
  const r = rec('n', 0);
  cd.hold(c, r.ctx, held('wait', ['a', 9], 0));
  cd.hold(c, r.ctx, held('in', ['a', 9], 0, S({ a: 1 }, {}, {})));
  cd.hold(c, r.ctx, held('go', ['a', 2], 0));
  const state = S({ a: 2 }, {}, {});
  const look = () => ({ type: BCounter, state: state as unknown });
  assert.equal([cd.next(c, 10, look)].map((x) => x && [x.h.msgId, x.how]), [['in', 'redundant']]);
  assert.equal([cd.next(c, 10, look)].map((x) => x && [x.h.msgId, x.how]), [['go', 'ready']]);
  // The gap persists: held until gapTtl, then given up (anti-entropy brings it).
  assert.is(cd.next(c, 999, look), null);
  assert.equal([cd.next(c, 1000, look)].map((x) => x && [x.h.msgId, x.how]), [['wait', 'gap']]);
  assert.is(c.held.length, 0);
});

// ---------------------------------------------------------------------------------------------------------
// A node fed GOSSIP frames out of causal order.

const enc = (s: BCounterState) => BCounter.encode(s);
let seq = 0;
function gossip(from: string, origin: string, payload: Item): Uint8Array {
  return encode([VERSION, GOSSIP, from, 0, [origin + ':0:' + (seq++).toString(36), 1, payload]]);
}
// a mints 2 (deps: none), hands them to b (deps: a's own progress 2), b spends them (deps: a at 4).
const INC = [1, 'stock', 'bcounter', enc(S({ a: 2 }, {}, {})), []];
const TRANSFER = [1, 'stock', 'bcounter', enc(S({}, {}, { a: { b: 2 } })), ['a', 2]];
const DEC = [1, 'stock', 'bcounter', enc(S({}, { b: 2 }, {})), ['a', 4]];

function cNode(causal: boolean) {
  const n = createNode({ id: 'c', seed: 1, causal: causal ? { gapTtl: 1000 } : false });
  step(n, { kind: 'command', command: { op: 'declare', id: 'stock', type: 'bcounter' } }, 0);
  return n;
}

test('node: a decrement that comes before the transfer and increment it depends on waits, then joins', () => {
  const n = cNode(true);
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'b', DEC as Item) }, 1);
  assert.is(read(n, 'stock'), 0, 'the decrement joined before what funded it');
  step(n, { kind: 'frame', from: 'a', bytes: gossip('a', 'a', TRANSFER as Item) }, 2);
  assert.is(read(n, 'stock'), 0);
  step(n, { kind: 'frame', from: 'a', bytes: gossip('a', 'a', INC as Item) }, 3);
  assert.is(read(n, 'stock'), 0, 'all three in: 2 - 2');
  assert.is(n.metrics['causal.held'], 2);
  assert.is(n.metrics['causal.released'], 2);
  assert.is(n.cd?.held.length, 0);
});

test('node: without causal delivery the same order reads below the bound (what the part guards against)', () => {
  const n = cNode(false);
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'b', DEC as Item) }, 1);
  assert.is(read(n, 'stock'), -2);
});

test('node: a gap that persists is given up at gapTtl by its timer, and the sender is asked for a digest round', () => {
  const n = cNode(true);
  step(n, { kind: 'frame', from: 'b', bytes: encode([VERSION, JOIN, 'b', 0, [0]]) }, 0); // b becomes a neighbour
  const out = step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'b', DEC as Item) }, 10);
  const t = out.find((o) => o.kind === 'timer' && o.id === cd.TIMER_GAP);
  assert.ok(t && t.kind === 'timer' && t.at === 1010, 'gap timer armed');
  step(n, { kind: 'timer', id: cd.TIMER_GAP }, 1010);
  assert.is(n.metrics['causal.dropped.gap'], 1);
  assert.is(n.cd?.held.length, 0);
  assert.is(read(n, 'stock'), 0);
  assert.is(n.ae.peers['b'].acked, -1, 'a digest round with b is due');
});

test('node: a delta joined through causal delivery is buffered for anti-entropy with its originating node as BP origin', () => {
  // b forwarded a's delta; b may not have joined it (it forwards what it holds back), so b is owed it by anti-entropy.
  const n = cNode(true);
  // A neighbour that has acknowledged everything so far, so the anti-entropy buffer keeps what comes next.
  step(n, { kind: 'frame', from: 'd', bytes: encode([VERSION, JOIN, 'd', 0, [0]]) }, 0);
  n.ae.peers['d'].acked = n.ae.seq;
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'a', INC as Item) }, 1);
  assert.is(read(n, 'stock'), 2);
  const last = n.ae.buf[n.ae.buf.length - 1];
  assert.is(last.origin, 'a');
  // A type delivered without deps keeps the forwarder, which joined it before forwarding.
  step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'a', [1, 'g', 'gcounter', ['a', 1]]) }, 2);
  assert.is(n.ae.buf[n.ae.buf.length - 1].origin, 'b');
});

test('node: a payload with malformed deps is dropped whole (not delivered, not forwarded)', () => {
  const n = cNode(true);
  const out = step(n, { kind: 'frame', from: 'b', bytes: gossip('b', 'b', [1, 'stock', 'bcounter', enc(S({}, { b: 2 }, {})), ['b']]) }, 1);
  const types = out.filter((o) => o.kind === 'event').map((o: any) => o.event.type);
  assert.equal(types, ['dropped']);
  assert.is(n.cd?.held.length, 0);
});

test.run();
