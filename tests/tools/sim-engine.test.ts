import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventQueue, EV_FRAME, EV_TIMER } from '../../tools/sim/queue.ts';
import { Random, checkDist, meanOf } from '../../tools/sim/random.ts';
import { Links, linkConfig } from '../../tools/sim/links.ts';
import { select, checkChurn } from '../../tools/sim/churn.ts';
import { Measures, peekGossipId, layerOf, overlayStats, estimateBytes } from '../../tools/sim/measures.ts';
import { checkScenario, parseScenario } from '../../tools/sim/scenario.ts';
import { syncModel, opBound } from '../../tools/sim/syncmodel.ts';
import { tree, mesh } from '../../tools/sim/topology.ts';
import { encode } from '../../crdt/codec/cbor.ts';
import { VERSION, GOSSIP, IHAVE, DELTA, JOIN } from '../../runtime/messages.ts';
import { CLS_CONTROL, CLS_PAYLOAD } from '../../runtime/io.ts';

test('queue: pops in time order, equal times in insertion order, across growth and slot reuse', () => {
  const q = new EventQueue(4);
  const r = new Random(3);
  const want: [number, number][] = [];
  for (let k = 0; k < 2000; k++) {
    const at = r.below(50); // many ties
    q.push(at, EV_TIMER, k, -1, k, 'x' + k);
    want.push([at, k]);
    if (k % 7 === 6) {
      // Interleave pops so slots are freed and reused while the heap holds others.
      want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const [wa, wk] = want.shift() as [number, number];
      const e = q.pop();
      assert.is(q.at[e], wa);
      assert.is(q.to[e], wk);
      assert.is(q.ref[e], 'x' + wk);
      q.free(e);
    }
  }
  want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.is(q.size, want.length);
  for (const [wa, wk] of want) {
    const e = q.pop();
    assert.is(q.at[e], wa);
    assert.is(q.to[e], wk);
    assert.is(q.gen[e], wk);
    q.free(e);
  }
  assert.is(q.pop(), -1);
  assert.is(q.peekTime(), Infinity);
});

test('queue: free drops the reference (bytes can be collected)', () => {
  const q = new EventQueue(2);
  q.push(1, EV_FRAME, 0, 1, 0, new Uint8Array(3));
  const e = q.pop();
  assert.instance(q.ref[e], Uint8Array);
  q.free(e);
  assert.is(q.ref[e], null);
});

test('random: same seed and salt, same stream; another salt, another stream', () => {
  const a = new Random(42, 1);
  const b = new Random(42, 1);
  const c = new Random(42, 2);
  const xa = Array.from({ length: 20 }, () => a.u32());
  const xb = Array.from({ length: 20 }, () => b.u32());
  const xc = Array.from({ length: 20 }, () => c.u32());
  assert.equal(xa, xb);
  assert.not.equal(xa, xc);
});

test('random: distributions have their stated means and are never negative', () => {
  const r = new Random(9);
  const dists = [
    7,
    { dist: 'fixed', value: 12 },
    { dist: 'uniform', min: 5, max: 30 },
    { dist: 'normal', mean: 40, sd: 5 },
    { dist: 'exponential', mean: 20, min: 5 },
    { dist: 'lognormal', median: 20, sigma: 0.5 },
  ] as const;
  for (const d of dists) {
    assert.is(checkDist(d, 'd'), null);
    let s = 0;
    const n = 40000;
    for (let i = 0; i < n; i++) {
      const x = r.draw(d);
      assert.ok(x >= 0);
      s += x;
    }
    const m = meanOf(d);
    assert.ok(Math.abs(s / n - m) < 0.03 * m + 0.01, JSON.stringify(d) + ': mean ' + s / n + ' vs ' + m);
  }
  assert.match(checkDist({ dist: 'uniform', min: 3, max: 1 }, 'lat') as string, /min > max/);
  assert.match(checkDist({ dist: 'pareto' }, 'lat') as string, /unknown dist/);
  assert.match(checkDist(-1, 'lat') as string, /≥ 0/);
});

test('links: loss and duplication happen at their rates; latency within its bounds', () => {
  const l = new Links(linkConfig({ loss: 0.3, dup: 0.1, latency: { dist: 'uniform', min: 5, max: 30 } }), 2, new Random(1));
  let lost = 0;
  let dups = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const at = l.transmit(0, 1, 100, 1000);
    if (at < 0) {
      lost++;
      continue;
    }
    assert.ok(at >= 1005 && at <= 1030, 'arrival ' + at);
    if (l.dupAt >= 0) {
      dups++;
      assert.ok(l.dupAt >= 1005 && l.dupAt <= 1030);
    }
  }
  assert.is(l.drops.loss, lost);
  assert.ok(Math.abs(lost / n - 0.3) < 0.02, 'loss ' + lost / n);
  assert.ok(Math.abs(dups / (n - lost) - 0.1) < 0.015, 'dup ' + dups / (n - lost));
});

test('links: reordering holds frames back so later ones overtake them', () => {
  const l = new Links(linkConfig({ latency: 10, reorder: 0.2, reorderDelay: { dist: 'uniform', min: 50, max: 100 } }), 2, new Random(2));
  const arrivals: number[] = [];
  for (let i = 0; i < 1000; i++) arrivals.push(l.transmit(0, 1, 10, i));
  let inversions = 0;
  for (let i = 1; i < arrivals.length; i++) if (arrivals[i] < arrivals[i - 1]) inversions++;
  assert.ok(inversions > 100, 'inversions ' + inversions);
  const held = arrivals.filter((a, i) => a - i > 10).length;
  assert.ok(Math.abs(held / 1000 - 0.2) < 0.04, 'held ' + held);
  // Without reordering and with a fixed latency, a link is FIFO.
  const f = new Links(linkConfig({ latency: 10 }), 2, new Random(2));
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const a = f.transmit(0, 1, 10, i / 3);
    assert.ok(a >= last);
    last = a;
  }
});

test('links: bandwidth serialises frames one after another and drops at the tail of a full queue', () => {
  // 8,000 bits/s = 1 byte per ms; a 100-byte frame takes 100 ms to serialise; 250 bytes of queue.
  const l = new Links(linkConfig({ latency: 10, bandwidth: 8000, queue: 250 }), 3, new Random(1));
  assert.is(l.transmit(0, 1, 100, 0), 110); // serialised 0..100, then 10 ms
  assert.is(l.transmit(0, 2, 100, 0), 210); // one radio per node: waits behind the first
  assert.is(l.transmit(0, 1, 100, 0), -1); // 200 bytes ahead + 100 > 250: dropped
  assert.is(l.drops.queue, 1);
  assert.is(l.transmit(0, 1, 50, 0), 260); // still fits: 200 + 50
  assert.is(l.transmit(1, 0, 100, 0), 110); // another node's radio is free
  assert.is(l.transmit(0, 1, 100, 300), 410); // after the backlog drained
  // Per-link scope: different peers do not wait for each other.
  const pl = new Links(linkConfig({ latency: 0, bandwidth: 8000, bandwidthScope: 'link' }), 3, new Random(1));
  assert.is(pl.transmit(0, 1, 100, 0), 100);
  assert.is(pl.transmit(0, 2, 100, 0), 100);
  assert.is(pl.transmit(0, 1, 100, 0), 200);
});

test('links: a partition cuts between its sides until it heals', () => {
  const ids = ['a', 'b', 'c', 'd'];
  const l = new Links(linkConfig({ latency: 1 }), 4, new Random(1));
  const part = { at: 0, heal: 10, groups: [['a', 'b']] };
  l.cut(part, (id) => ids.indexOf(id));
  assert.ok(l.blocked(0, 2));
  assert.ok(l.blocked(3, 1));
  assert.not.ok(l.blocked(0, 1));
  assert.not.ok(l.blocked(2, 3)); // the unlisted nodes form one side together
  assert.is(l.transmit(0, 3, 10, 0), -1);
  assert.is(l.drops.partition, 1);
  l.heal(part);
  assert.not.ok(l.blocked(0, 2));
  const s = new Links(linkConfig({}), 10, new Random(1));
  s.cut({ at: 0, split: 0.3 }, () => -1);
  assert.not.ok(s.blocked(0, 2));
  assert.ok(s.blocked(2, 3));
});

test('links: unknown knobs and bad probabilities are refused with the reason', () => {
  assert.throws(() => linkConfig({ los: 0.1 } as any), /unknown knob "los"/);
  assert.throws(() => linkConfig({ loss: 1.5 }), /probability/);
});

test('churn: selectors pick by id, count or fraction among the eligible, deterministically', () => {
  const ids = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'];
  const idx = (id: string) => ids.indexOf(id);
  const eligible = [0, 1, 2, 3, 5, 6, 7, 8, 9];
  assert.equal(select({ ids: ['n4', 'n2', 'zz'] }, eligible, new Random(1), idx), [2]);
  const a = select({ fraction: 0.3 }, eligible, new Random(5), idx);
  assert.is(a.length, 3);
  assert.equal(a, select({ fraction: 0.3 }, eligible, new Random(5), idx));
  assert.ok(a.every((i) => eligible.includes(i)));
  assert.equal(select({ count: 20 }, eligible, new Random(5), idx), eligible);
  assert.is(checkChurn({ at: 5, crash: { fraction: 0.3 } }, 0), null);
  assert.match(checkChurn({ at: 5, crash: { fraction: 0.3 }, restart: { count: 1 } }, 2) as string, /exactly one of crash/);
  assert.match(checkChurn({ at: 5, crash: { fraction: 1.3 } }, 0) as string, /fraction/);
});

test('measures: GOSSIP ids are read from the frame head; layers from the type byte', () => {
  const g = encode([VERSION, GOSSIP, 'node-17', 300, ['node-17:2:1z', 3, [1, 'x', 'gcounter', [1, 2, 3]]]]);
  assert.is(peekGossipId(g), 'node-17:2:1z');
  assert.is(peekGossipId(encode([VERSION, IHAVE, 'a', 0, [['a:0:0', 1]]])), null);
  assert.is(peekGossipId(new Uint8Array([0x85, 0x01])), null);
  assert.is(layerOf(g), 1);
  assert.is(layerOf(encode([VERSION, DELTA, 'a', 0, [1, []]])), 2);
  assert.is(layerOf(encode([VERSION, JOIN, 'a', 0, []])), 0);
});

test('measures: RMR, LDH and missed per broadcast, bytes per class', () => {
  const ids = ['a', 'b', 'c', 'd'];
  const m = new Measures(ids);
  m.mark('w', 0);
  m.label = 'w';
  m.onDeliver(0, 'a:0:0', 0, 0);
  m.label = '';
  const frame = encode([VERSION, GOSSIP, 'a', 0, ['a:0:0', 1, [0, 7]]]);
  // a → b, a → c, b → c (a duplicate), c → d: 4 payload messages for 4 receivers: RMR = 4/3 − 1.
  for (const [from, to, hops] of [[0, 1, 1], [0, 2, 1], [1, 2, 2], [2, 3, 2]]) {
    m.onSend(from, CLS_PAYLOAD, frame);
    m.onDeliver(to, 'a:0:0', hops, 10 * hops);
  }
  m.onSend(3, CLS_CONTROL, new Uint8Array(5));
  assert.is(m.redelivered, 1);
  const r = m.broadcasts((i) => i !== 3, 4, 100).w; // d is not owed (say it joined late)
  assert.is(r.messages, 1);
  assert.is(r.expected, 3);
  assert.is(r.delivered, 3);
  assert.is(r.missed, 0);
  assert.is(r.rmr.mean, Math.round((4 / 3 - 1) * 1000) / 1000);
  assert.is(r.ldh.max, 2);
  assert.is(r.bytesPerNode.payload, (4 * frame.length) / 4);
  assert.is(r.bytesPerNode.control, 5 / 4);
  const r2 = m.broadcasts(() => true, 4, 100).w;
  assert.is(r2.missed, 0);
  // A message nobody else received: missed counts every owed node but the origin.
  m.label = 'w';
  m.onDeliver(1, 'b:0:0', 0, 50);
  m.label = '';
  const r3 = m.broadcasts(() => true, 4, 100).w;
  assert.is(r3.messages, 2);
  assert.is(r3.missed, 3);
  assert.is(r3.incomplete, 1);
});

test('measures: overlay stats count isolated nodes, asymmetric and dangling links, components', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  const idx = (id: string) => ids.indexOf(id);
  // a–b symmetric, b→c one way, d isolated, e → f where f is down.
  const s = overlayStats([['b'], ['a', 'c'], [], [], ['f'], null], ids, idx);
  assert.equal(s, { alive: 5, isolated: 2, asymmetric: 1, dangling: 1, components: 3, largest: 3 });
});

test('measures: memory estimate grows with what a node holds and skips shared tables', () => {
  const small = estimateBytes({ a: 1, b: 'xy' });
  const big = estimateBytes({ a: 1, b: 'xy', c: new Array(100).fill('some string') });
  assert.ok(big > small + 400);
  const shared = { huge: new Array(10000).fill(0) };
  assert.ok(estimateBytes({ type: shared, mem: shared, x: 1 }) < 100);
});

test('scenario: checked field by field with a reason', () => {
  assert.throws(() => checkScenario({ seed: 1, nodes: 10 }), /duration/);
  assert.throws(() => checkScenario({ seed: 1, nodes: 10, duration: 5, nodez: 3 }), /unknown field "nodez"/);
  assert.throws(() => checkScenario({ seed: 1, nodes: 10, duration: 5, membership: 'star' }), /membership/);
  assert.throws(() => checkScenario({ seed: 1, nodes: 10, duration: 5, workload: [{ kind: 'broadcast', start: 0, every: 10, rounds: 1, senders: 'some' }] }), /senders/);
  assert.throws(() => checkScenario({ seed: 1, nodes: 10, duration: 5, partitions: [{ at: 5, heal: 2, split: 0.5 }] }), /heal/);
  assert.throws(() => parseScenario('{ nope'), /not JSON/);
  assert.ok(checkScenario({ seed: 1, nodes: 10, duration: 5, churn: [{ at: 1, crash: { count: 2 } }] }));
});

test('topology: a binary tree and a ring-with-chords mesh, symmetric; links drop frames between non-neighbours', () => {
  const t = tree(15);
  assert.equal(t[0], [1, 2]);
  assert.equal(t[1], [0, 3, 4]);
  assert.is(t.reduce((a, ns) => a + ns.length, 0), 2 * 14);
  const m = mesh(15);
  assert.ok(m.every((ns) => ns.length === 4));
  m.forEach((ns, a) => ns.forEach((b) => assert.ok(m[b].includes(a))));
  const l = new Links(linkConfig({ latency: 1 }), 15, new Random(1));
  l.restrict(t);
  assert.ok(l.transmit(0, 1, 10, 0) > 0);
  assert.is(l.transmit(0, 3, 10, 0), -1);
  assert.is(l.drops.partition, 1);
});

test('sync model: on a tree BP alone reaches the op-based bound; on a mesh RR is needed; state-based costs most', () => {
  for (const spec of ['gset', 'gcounter'] as const) {
    const setup = { adj: tree(15), spec, updates: 4 };
    const op = opBound(setup);
    const b = (algo: Parameters<typeof syncModel>[0]['algo'], adj = tree(15)) => syncModel({ ...setup, adj, algo }).bytes;
    assert.ok(b('delta-bp') <= op, spec + ' tree BP ' + b('delta-bp') + ' vs op ' + op);
    assert.is(b('delta-bp-rr'), b('delta-bp'));
    assert.ok(b('delta') > b('delta-bp'));
    assert.ok(b('state') >= b('delta'));
    const meshOp = opBound({ ...setup, adj: mesh(15) });
    assert.ok(b('delta-bp-rr', mesh(15)) < b('delta-bp', mesh(15)));
    assert.ok(b('delta-bp-rr', mesh(15)) < b('delta', mesh(15)));
    assert.ok(b('delta-bp-rr', mesh(15)) >= meshOp * 0.8);
  }
  // Every algorithm converges, and in the same number of rounds on a lossless synchronous network.
  const rounds = (['state', 'delta', 'delta-bp', 'delta-rr', 'delta-bp-rr'] as const).map((algo) => syncModel({ adj: mesh(15), spec: 'gset', updates: 3, algo }).rounds);
  assert.ok(rounds.every((r) => r === rounds[0]), String(rounds));
});

test.run();
