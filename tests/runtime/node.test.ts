import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { createNode, step, read, stateOf, metrics, snapshot, neighbors } from '../../runtime/full.ts';
import { VERSION, DELTA, JOIN } from '../../runtime/messages.ts';
import type { Output } from '../../runtime/io.ts';
import { typeOf } from '../../crdt/all.ts';
import { equal } from '../../crdt/types.ts';
import { Net } from './net.ts';
import { StoreError } from '../../runtime/store.ts';

const IDS = ['n0', 'n1', 'n2', 'n3', 'n4'];

function cluster(seed: number, opts: { loss?: number; dup?: number; membership?: 'hyparview' | 'full' | 'client-server' } = {}): Net {
  const net = new Net({ seed, loss: opts.loss, dup: opts.dup });
  for (let i = 0; i < IDS.length; i++) {
    net.add({ id: IDS[i], seed: seed * 100 + i, membership: opts.membership });
  }
  for (let i = 1; i < IDS.length; i++) net.cmd(IDS[i], { op: 'join', contacts: ['n0'] });
  net.run(3000);
  return net;
}

function same(net: Net, v: string, spec: string): boolean {
  const t = typeOf(spec);
  const s0 = stateOf(net.nodes[IDS[0]], v);
  return IDS.every((id) => stateOf(net.nodes[id], v) !== undefined && equal(t, s0, stateOf(net.nodes[id], v)));
}

test('five nodes: counters and an OR-Set converge, with and without loss and duplication', () => {
  for (const [seed, loss, dup] of [[1, 0, 0], [2, 0.2, 0.1]] as const) {
    const net = cluster(seed, { loss, dup });
    for (const id of IDS) assert.ok(neighbors(net.nodes[id]).length > 0, id + ' has no neighbour (seed ' + seed + ')');
    net.cmd('n1', { op: 'declare', id: 'hits', type: 'pncounter' });
    net.cmd('n3', { op: 'declare', id: 'tags', type: 'orset' });
    for (let k = 0; k < 20; k++) {
      const at = IDS[k % IDS.length];
      if (read(net.nodes[at], 'hits') === undefined) net.cmd(at, { op: 'declare', id: 'hits', type: 'pncounter' });
      net.cmd(at, { op: 'update', id: 'hits', mutator: k % 4 === 3 ? 'dec' : 'inc', args: [k + 1] });
      if (read(net.nodes[at], 'tags') === undefined) net.cmd(at, { op: 'declare', id: 'tags', type: 'orset' });
      net.cmd(at, { op: 'update', id: 'tags', mutator: k % 5 === 4 ? 'remove' : 'add', args: ['t' + (k % 7)] });
      net.run(net.now + 37);
    }
    net.run(net.now + 15000);
    let want = 0;
    for (let k = 0; k < 20; k++) want += k % 4 === 3 ? -(k + 1) : k + 1;
    for (const id of IDS) assert.is(read(net.nodes[id], 'hits'), want, id + ' seed ' + seed);
    assert.ok(same(net, 'tags', 'orset'), 'OR-Set states differ (seed ' + seed + ')');
    const changed = net.events.filter((e) => e.out.kind === 'event' && e.out.event.type === 'changed');
    assert.ok(changed.length > 0);
    const m = metrics(net.nodes.n0);
    // Deltas travel as Plumtree payload; anti-entropy DELTAs (bytes.delta) only where Plumtree did not deliver.
    assert.ok(m['bytes.control'] > 0 && (m['bytes.payload'] || 0) + (m['bytes.delta'] || 0) > 0, JSON.stringify(m));
    assert.is(m['dropped.internal'], undefined);
  }
});

function dropped(outs: Output[]): string[] {
  return outs.flatMap((o) => (o.kind === 'event' && o.event.type === 'dropped' ? [o.event.reason] : []));
}

test('garbage, wrong version, wrong sender, unknown type, bad body and oversized frames are dropped and counted', () => {
  const node = createNode({ id: 'a', seed: 1, limits: { maxFrame: 256 } });
  const cases: [Uint8Array, string | null][] = [
    [new Uint8Array([0xff, 0x00, 0x13]), null],
    [new Uint8Array([]), null],
    [encode([VERSION + 1, JOIN, 'b', 0, []]), 'version'],
    [encode([VERSION, JOIN, 'c', 0, []]), 'sender'],
    [encode([VERSION, JOIN, 'b', -1, []]), 'envelope'],
    [encode([VERSION, 99, 'b', 0, []]), 'type'],
    [encode([VERSION, 1.5, 'b', 0, []]), 'type'],
    [encode([VERSION, JOIN, 'b', 0]), 'envelope'],
    [encode({ a: 1 }), 'envelope'],
    [encode([VERSION, DELTA, 'b', 0, 'nope']), null],
    [encode([VERSION, DELTA, 'b', 0, [1, [['x', 'gcounter', 'x'.repeat(300)]]]]), null],
  ];
  let n = 0;
  for (const [bytes, reason] of cases) {
    let outs: Output[] = [];
    try {
      outs = step(node, { kind: 'frame', from: 'b', bytes }, 10);
    } catch (e) {
      assert.unreachable('step threw on ' + Buffer.from(bytes).toString('hex') + ': ' + String(e));
    }
    const rs = dropped(outs);
    assert.is(rs.length, 1, 'case ' + n + ': ' + JSON.stringify(outs.map((o) => o.kind)));
    if (reason !== null) assert.is(rs[0], reason, 'case ' + n);
    assert.is.not(rs[0], 'internal', 'case ' + n);
    n++;
  }
  // An entry of a type this node does not hold is left out, not the frame: the rest applies and is acknowledged.
  const mixed = step(node, { kind: 'frame', from: 'b', bytes: encode([VERSION, DELTA, 'b', 0, [1, [['w', 'gcounter', ['b', 3]], ['x', 'nosuchtype', 0]]]]) }, 10);
  assert.is(dropped(mixed).length, 0);
  assert.is(read(node, 'w'), 3);
  assert.is(read(node, 'x'), undefined);
  const m = metrics(node);
  assert.is(m['ae.spec-unknown'], 1);
  assert.is(m.dropped, cases.length);
  assert.is(m['dropped.version'], 1);
  assert.is(m['store.vars'], 1);
});

test('commands: a bad command throws before the node changes; read and snapshot/restore', () => {
  const a = createNode({ id: 'a', seed: 1 });
  step(a, { kind: 'command', command: { op: 'declare', id: 'c', type: 'gcounter' } }, 0);
  step(a, { kind: 'command', command: { op: 'update', id: 'c', mutator: 'inc', args: [4] } }, 1);
  assert.throws(() => step(a, { kind: 'command', command: { op: 'update', id: 'nope', mutator: 'inc', args: [1] } }, 2));
  assert.throws(() => step(a, { kind: 'command', command: { op: 'declare', id: 'c', type: 'orset' } }, 2));
  assert.is(read(a, 'c'), 4);
  assert.is(read(a, 'nope'), undefined);
  const snap = snapshot(a);
  assert.ok(encode(snap).length > 0, 'a snapshot is a wire item');
  const b = createNode({ id: 'a', seed: 1, incarnation: 1, restore: snap });
  assert.is(read(b, 'c'), 4);
  assert.is(b.incarnation, 1);
  assert.throws(() => createNode({ id: 'a', seed: 1, restore: [9, []] }), /snapshot version/);
});

test('crash and restart: without persisted state the node catches up; with it, it keeps its own updates', () => {
  for (const persist of [false, true]) {
    const net = cluster(5);
    for (const id of IDS) net.cmd(id, { op: 'declare', id: 's', type: 'orset' });
    for (let k = 0; k < 10; k++) {
      net.cmd(IDS[k % 5], { op: 'update', id: 's', mutator: 'add', args: ['e' + k] });
      net.run(net.now + 50);
    }
    net.run(net.now + 5000);
    const snap = snapshot(net.nodes.n2);
    net.crash('n2');
    net.run(net.now + 2000);
    net.cmd('n4', { op: 'update', id: 's', mutator: 'add', args: ['late'] });
    net.run(net.now + 2000);
    net.add({ id: 'n2', seed: 99, incarnation: 1, restore: persist ? snap : undefined });
    net.cmd('n2', { op: 'join', contacts: ['n0'] });
    net.run(net.now + 20000);
    assert.equal((read(net.nodes.n2, 's') as string[]).length, 11, 'persist=' + persist);
    assert.ok(same(net, 's', 'orset'), 'persist=' + persist);
  }
});

test('suspect: the application (or a driver whose send failed) tells the membership manager a peer is dead', () => {
  const net = new Net({ seed: 5 });
  net.add({ id: 'a', seed: 5, membership: 'full' });
  net.add({ id: 'b', seed: 6, membership: 'full' });
  net.cmd('b', { op: 'join', contacts: ['a'] });
  net.run(1000);
  assert.equal(neighbors(net.nodes.a), ['b']);
  net.crash('b');
  const out = net.cmd('a', { op: 'suspect', peer: 'b' });
  assert.equal(neighbors(net.nodes.a), [], 'a still counts b as a neighbour');
  assert.ok(out.some((o) => o.kind === 'event' && o.event.type === 'neighbor' && o.event.peer === 'b' && !o.event.up));
  assert.is(metrics(net.nodes.a)['full.suspect'], 1);
});

test('size bound: an update or a remote delta that would take a state past maxStateBytes is refused and counted', () => {
  const a = createNode({ id: 'a', seed: 1, maxStateBytes: 120 });
  step(a, { kind: 'command', command: { op: 'declare', id: 's', type: 'orset' } }, 0);
  let refused: unknown = null;
  let n = 0;
  for (; n < 50 && refused === null; n++) {
    try {
      step(a, { kind: 'command', command: { op: 'update', id: 's', mutator: 'add', args: ['element-' + n] } }, n);
    } catch (e) {
      refused = e;
    }
  }
  assert.ok(refused instanceof StoreError && refused.reason === 'size', String(refused));
  const held = (read(a, 's') as string[]).length;
  assert.is(held, n - 1, 'the refused update changed the state');
  assert.ok(encode(typeOf('orset').encode(stateOf(a, 's'))).length <= 120);
  assert.is(a.store.refused, 1);
  // A remote delta past the bound: refused, counted, the state as it was.
  const b = createNode({ id: 'b', seed: 2 });
  step(b, { kind: 'command', command: { op: 'declare', id: 's', type: 'orset' } }, 0);
  for (let i = 0; i < 20; i++) step(b, { kind: 'command', command: { op: 'update', id: 's', mutator: 'add', args: ['x' + i] } }, i);
  const big = typeOf('orset').encode(stateOf(b, 's'));
  step(a, { kind: 'frame', from: 'b', bytes: encode([VERSION, DELTA, 'b', 0, [20, [['s', 'orset', big]]]]) }, 100);
  assert.is((read(a, 's') as string[]).length, held);
  assert.is(metrics(a)['store.refused.size'], 1);
});

test('the same seeds give the same bytes', () => {
  const run = (): string => {
    const net = cluster(11, { loss: 0.1, dup: 0.1 });
    for (const id of IDS) net.cmd(id, { op: 'declare', id: 'c', type: 'gcounter' });
    for (let k = 0; k < 10; k++) {
      net.cmd(IDS[(k * 3) % 5], { op: 'update', id: 'c', mutator: 'inc', args: [1] });
      net.run(net.now + 20);
    }
    net.run(net.now + 5000);
    return net.sent.map((s) => s.from + '>' + s.to + ':' + Buffer.from((s.out as { bytes: Uint8Array }).bytes).toString('hex')).join('\n');
  };
  assert.is(run(), run());
});

test('createNode refuses an id no peer would accept (past 64 bytes of UTF-8, or empty), naming the bound', () => {
  assert.throws(() => createNode({ id: 'n'.repeat(65), seed: 1 }), /node: peer id "n{20}\.\.\." is 65 bytes of UTF-8, at most 64/);
  assert.throws(() => createNode({ id: '水'.repeat(22), seed: 1 }), /is 66 bytes of UTF-8, at most 64/);
  assert.throws(() => createNode({ id: '', seed: 1 }), /node: a peer id must be a non-empty string/);
  assert.is(createNode({ id: 'n'.repeat(64), seed: 1 }).id, 'n'.repeat(64));
});

test.run();
