/**
 * Liveness from any traffic (runtime/node.ts onFrame -> Membership.heard; full membership, HyParView and
 * client-server implement it): on a busy thin link a member's heartbeats may wait behind its data, so a frame of
 * any layer keeps it a member. And HyParView's quick probes: a silent active peer is failed before peerTimeout.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, decode } from '../../crdt/codec/cbor.ts';
import { createNode, step, neighbors } from '../../runtime/full.ts';
import { VERSION, JOIN, PRUNE, KEEPALIVE, KEEPALIVE_ACK } from '../../runtime/messages.ts';
import { FULL_DEFAULTS, TIMER_TICK } from '../../runtime/membership/full.ts';
import { HYPARVIEW_DEFAULTS, TIMER_TICK as HV_TICK } from '../../runtime/membership/hyparview.ts';
import { TIMER_QUICK } from '../../runtime/membership/health.ts';
import { metrics } from '../../runtime/node.ts';
import type { Item } from '../../crdt/types.ts';
import type { Output } from '../../runtime/io.ts';

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

/** A HyParView node `a` holding `b` (inc 1) as its only active peer. */
function hvPeer(): ReturnType<typeof createNode> {
  const a = createNode({ id: 'a', seed: 1 });
  step(a, { kind: 'frame', from: 'b', bytes: frame(JOIN, 'b', 1, [0]) }, 0);
  assert.equal(neighbors(a), ['b']);
  return a;
}

/** Drive a's HyParView timers every quickPeriod until `end`, with an optional frame from b every second. */
function hvRun(a: ReturnType<typeof createNode>, end: number, inc: number): number {
  const q = HYPARVIEW_DEFAULTS.quickPeriod;
  for (let t = q; t <= end; t += q) {
    if (inc >= 0 && t % 1000 === 0) step(a, { kind: 'frame', from: 'b', bytes: frame(PRUNE, 'b', inc, []) }, t);
    if (t % HYPARVIEW_DEFAULTS.keepalive === 0) step(a, { kind: 'timer', id: HV_TICK }, t);
    step(a, { kind: 'timer', id: TIMER_QUICK }, t);
    if (!neighbors(a).includes('b')) return t;
  }
  return -1;
}

test('HyParView: an active peer heard only through non-membership frames is kept past peerTimeout', () => {
  const a = hvPeer();
  assert.is(hvRun(a, 3 * HYPARVIEW_DEFAULTS.peerTimeout, 1), -1);
  assert.equal(neighbors(a), ['b']);
  assert.is(metrics(a)['hv.failed'] || 0, 0);
});

test('HyParView: a silent active peer is failed by quick probes, well before peerTimeout', () => {
  const a = hvPeer();
  const t = hvRun(a, 3 * HYPARVIEW_DEFAULTS.peerTimeout, -1);
  assert.ok(t > 0 && t < HYPARVIEW_DEFAULTS.peerTimeout, 'failed at ' + t);
  assert.is(metrics(a)['hv.failed.quick'], 1);
  assert.ok(metrics(a)['hv.suspect'] >= 1);
});

/** KEEPALIVEs among a step's outputs. */
function keepalives(outs: Output[]): number {
  let n = 0;
  for (const o of outs) if (o.kind === 'send' && (decode(o.bytes) as Item[])[1] === KEEPALIVE) n++;
  return n;
}

test('HyParView: on a link where half the keepalives go unanswered, a silent peer gets more quick probes (a live one would not be failed by bad luck), and is still failed before peerTimeout', () => {
  const a = hvPeer();
  const q = HYPARVIEW_DEFAULTS.quickPeriod;
  const ka = HYPARVIEW_DEFAULTS.keepalive;
  // 60 s of a lossy link: b answers every other KEEPALIVE a sends (and says nothing else).
  let sentKa = 0;
  let t = 0;
  for (t = q; t <= 60000; t += q) {
    let outs: Output[] = [];
    if (t % ka === 0) outs = outs.concat(step(a, { kind: 'timer', id: HV_TICK }, t));
    outs = outs.concat(step(a, { kind: 'timer', id: TIMER_QUICK }, t));
    for (let k = keepalives(outs); k > 0; k--) {
      sentKa++;
      if (sentKa % 2 === 0) step(a, { kind: 'frame', from: 'b', bytes: frame(KEEPALIVE_ACK, 'b', 1, [0, 1]) }, t + 1);
    }
  }
  assert.equal(neighbors(a), ['b'], 'a live peer on a lossy link is kept');
  assert.is(metrics(a)['hv.failed'] || 0, 0);
  // Then b falls silent: failed by quick probes, after more of them than quickProbes, within peerTimeout.
  const start = t;
  let probes = 0;
  for (; t <= start + 3 * HYPARVIEW_DEFAULTS.peerTimeout && neighbors(a).includes('b'); t += q) {
    if (t % ka === 0) step(a, { kind: 'timer', id: HV_TICK }, t);
    // Quick probes go out from the quick timer only.
    probes += keepalives(step(a, { kind: 'timer', id: TIMER_QUICK }, t));
  }
  assert.is(metrics(a)['hv.failed.quick'], 1);
  assert.ok(probes > HYPARVIEW_DEFAULTS.quickProbes, probes + ' quick probes');
  assert.ok(t - start <= HYPARVIEW_DEFAULTS.peerTimeout + ka, 'failed ' + (t - start) + ' ms after it fell silent');
});

test('HyParView: a frame of another life does not refresh the peer', () => {
  const a = hvPeer();
  assert.ok(hvRun(a, 3 * HYPARVIEW_DEFAULTS.peerTimeout, 0) > 0);
});

test.run();
