import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { typeOf } from '../../crdt/all.ts';
import { equal } from '../../crdt/types.ts';
import { keyOf } from '../../crdt/keys.ts';
import { metrics, stateOf } from '../../runtime/node.ts';
import type { Output } from '../../runtime/io.ts';
import * as lasp from '../../runtime/dataflow/api.ts';
import { Net } from './net.ts';

const IDS = ['n0', 'n1', 'n2', 'n3', 'n4'];

function cluster(seed: number, loss = 0, dup = 0): Net {
  const net = new Net({ seed, loss, dup });
  for (let i = 0; i < IDS.length; i++) net.add({ id: IDS[i], seed: seed * 100 + i });
  for (let i = 1; i < IDS.length; i++) net.cmd(IDS[i], { op: 'join', contacts: ['n0'] });
  net.run(3000);
  return net;
}

function at(net: Net, id: string, call: (now: number) => Output[]): Output[] {
  return net.via(id, call);
}

function program(net: Net, id: string): void {
  const n = net.nodes[id];
  lasp.fn(n, 'mod3', (x: number) => x % 3);
  lasp.fn(n, 'notOne', (x: number) => x !== 1);
  at(net, id, (t) => lasp.declare(n, 'a', 'orset', t));
  at(net, id, (t) => lasp.declare(n, 'b', 'orset', t));
  at(net, id, (t) => lasp.union(n, 'u', ['a', 'b'], t));
  at(net, id, (t) => lasp.map(n, 'm', 'u', 'mod3', t));
  at(net, id, (t) => lasp.filter(n, 'f', 'm', 'notOne', t));
}

test('filter(map(union(a, b))) on five nodes with loss and duplication: every node derives the same output', () => {
  for (const [seed, loss, dup] of [[1, 0, 0], [3, 0.2, 0.2]]) {
    const net = cluster(seed, loss, dup);
    // n4 does not run the program: it learns 'f' (and the inputs) by replication only.
    for (const id of IDS.slice(0, 4)) program(net, id);
    for (let k = 0; k < 40; k++) {
      const id = IDS[(k * 7) % 4];
      const v = k % 3 === 0 ? 'b' : 'a';
      const x = (k * 5) % 7;
      const rm = k % 4 === 3;
      at(net, id, (t) => lasp.update(net.nodes[id], v, rm ? 'remove' : 'add', [x], t));
      net.run(net.now + 41);
    }
    net.run(net.now + 20000);
    const A = lasp.query(net.nodes.n0, 'a') as number[];
    const B = lasp.query(net.nodes.n0, 'b') as number[];
    const want = [...new Set(A.concat(B).map((x) => x % 3))].filter((x) => x !== 1).sort();
    assert.ok(A.length > 0 && B.length > 0 && A.length + B.length < 14, 'the history both adds and removes: ' + A + ' / ' + B);
    assert.ok(want.length > 0);
    const T = typeOf('orset');
    for (const id of IDS) {
      assert.equal(lasp.query(net.nodes[id], 'f'), want, id + ' seed ' + seed);
      assert.ok(equal(T, stateOf(net.nodes[id], 'f'), stateOf(net.nodes.n0, 'f')), id + ': f states differ');
      assert.is(metrics(net.nodes[id])['dataflow.error.fn'], undefined);
    }
  }
});

test('share: false keeps a derived variable off the wire; share: true replicates it', () => {
  const net = cluster(9);
  for (const id of IDS) at(net, id, (t) => lasp.declare(net.nodes[id], 's', 'gset', t));
  lasp.fn(net.nodes.n0, 'id', (x: any) => x);
  at(net, 'n0', (t) => lasp.map(net.nodes.n0, 'local', 's', 'id', t, false));
  at(net, 'n0', (t) => lasp.map(net.nodes.n0, 'shared', 's', 'id', t, true));
  at(net, 'n1', (t) => lasp.update(net.nodes.n1, 's', 'add', ['x'], t));
  net.run(net.now + 5000);
  assert.equal(lasp.query(net.nodes.n0, 'local'), ['x']);
  assert.equal(lasp.query(net.nodes.n0, 'shared'), ['x']);
  for (const id of IDS.slice(1)) {
    assert.equal(lasp.query(net.nodes[id], 'shared'), ['x'], id);
    assert.is(lasp.query(net.nodes[id], 'local'), undefined, id);
  }
});

test('read: a lattice threshold and a monotone predicate fire once each, on local and remote changes', () => {
  const net = cluster(4);
  for (const id of IDS) at(net, id, (t) => lasp.declare(net.nodes[id], 'hits', 'gcounter', t));
  const n2 = net.nodes.n2;
  lasp.fn(n2, 'atLeast', (v: number, min: number) => v >= min);
  const G = typeOf('gcounter');
  const five = G.mutators.inc(G.bottom(), 'n3', [5]);
  at(net, 'n2', (t) => lasp.read(n2, 'hits', { atLeast: five }, 'n3-five', t));
  at(net, 'n2', (t) => lasp.read(n2, 'hits', { pred: 'atLeast', arg: 7 }, 'seven', t));
  const reads = () => net.events.filter((e) => e.node === 'n2' && e.out.kind === 'event' && e.out.event.type === 'read').map((e) => (e.out as any).event.tag);
  assert.equal(reads(), []);
  for (let k = 0; k < 4; k++) {
    at(net, 'n1', (t) => lasp.update(net.nodes.n1, 'hits', 'inc', [2], t)); // 8 from n1: "seven" only
    net.run(net.now + 500);
  }
  assert.equal(reads(), ['seven']);
  at(net, 'n3', (t) => lasp.update(net.nodes.n3, 'hits', 'inc', [4], t));
  net.run(net.now + 3000);
  assert.equal(reads(), ['seven'], 'n3 has 4 < 5');
  at(net, 'n3', (t) => lasp.update(net.nodes.n3, 'hits', 'inc', [1], t));
  net.run(net.now + 3000);
  assert.equal(reads(), ['seven', 'n3-five']);
  at(net, 'n3', (t) => lasp.update(net.nodes.n3, 'hits', 'inc', [1], t));
  net.run(net.now + 3000);
  assert.equal(reads(), ['seven', 'n3-five'], 'a read fires once');
  // Already reached when registered: fires in the same step.
  const outs = at(net, 'n2', (t) => lasp.read(n2, 'hits', { pred: 'atLeast', arg: 1 }, 'now', t));
  assert.ok(outs.some((o) => o.kind === 'event' && o.event.type === 'read' && o.event.tag === 'now'));
});

test('a read callback returns commands: the removal it asks for replicates everywhere', () => {
  const net = cluster(6);
  for (const id of IDS) {
    const n = net.nodes[id];
    at(net, id, (t) => lasp.declare(n, 'ads', 'orset', t));
    at(net, id, (t) => lasp.declare(n, 'views', 'gcounter', t));
  }
  const n0 = net.nodes.n0;
  lasp.fn(n0, 'atLeast', (v: number, min: number) => v >= min);
  lasp.fn(n0, 'retire', (_v: number, ad: string) => [{ op: 'update', id: 'ads', mutator: 'remove', args: [ad] }]);
  at(net, 'n0', (t) => lasp.update(n0, 'ads', 'add', ['ad1'], t));
  at(net, 'n0', (t) => lasp.update(n0, 'ads', 'add', ['ad2'], t));
  at(net, 'n0', (t) => lasp.read(n0, 'views', { pred: 'atLeast', arg: 3 }, 'ad1-done', t, 'retire', 'ad1'));
  net.run(net.now + 2000);
  for (let k = 0; k < 3; k++) {
    at(net, 'n4', (t) => lasp.update(net.nodes.n4, 'views', 'inc', [1], t));
    net.run(net.now + 300);
  }
  net.run(net.now + 5000);
  for (const id of IDS) assert.equal(lasp.query(net.nodes[id], 'ads'), ['ad2'], id);
});

test('refusals: updating or binding a derived variable, unknown inputs and functions; nothing changes', () => {
  const net = cluster(2);
  const n = net.nodes.n0;
  at(net, 'n0', (t) => lasp.declare(n, 'a', 'orset', t));
  lasp.fn(n, 'id', (x: any) => x);
  at(net, 'n0', (t) => lasp.map(n, 'm', 'a', 'id', t));
  assert.throws(() => lasp.update(n, 'm', 'add', [1], net.now), /derived/);
  assert.throws(() => lasp.bind(n, 'm', typeOf('orset').bottom(), net.now), /derived/);
  assert.throws(() => lasp.map(n, 'm2', 'nope', 'id', net.now), /no input variable nope/);
  assert.throws(() => lasp.map(n, 'm2', 'a', 'nofn', net.now), /no function registered/);
  assert.throws(() => lasp.map(n, 'm', 'a', 'id', net.now), /already derived/);
  assert.throws(() => lasp.map(n, 'a', 'm', 'id', net.now), /already an input/);
  assert.throws(() => lasp.union(n, 'q', ['a'], net.now), /two or more/);
  at(net, 'n0', (t) => lasp.product(n, 'p', 'a', 'a', t)); // a set with itself is fine
  // A function that fails on the current inputs: refused, and nothing is defined or declared.
  at(net, 'n0', (t) => lasp.update(n, 'a', 'add', [1], t));
  lasp.fn(n, 'boom', () => {
    throw new Error('boom');
  });
  assert.throws(() => lasp.map(n, 'm3', 'a', 'boom', net.now), /threw: boom/);
  assert.is(lasp.query(n, 'm3'), undefined);
  assert.equal(n.df!.defs.map((d) => d.out), ['m', 'p']);
  assert.is(lasp.query(n, 'm2'), undefined);
});

test('bind joins a state in and replicates it; a function that throws on a peer\'s delta is counted, not thrown', () => {
  const net = cluster(8);
  for (const id of IDS) at(net, id, (t) => lasp.declare(net.nodes[id], 's', 'orset', t));
  const n1 = net.nodes.n1;
  lasp.fn(n1, 'picky', (x: any) => {
    if (x === 'bad') throw new Error('no');
    return x;
  });
  at(net, 'n1', (t) => lasp.map(n1, 'p', 's', 'picky', t));
  const T = typeOf('orset');
  let other = T.bottom();
  other = T.join(other, T.mutators.add(other, 'zz', ['ok']));
  at(net, 'n3', (t) => lasp.bind(net.nodes.n3, 's', other, t));
  net.run(net.now + 4000);
  for (const id of IDS) assert.equal(lasp.query(net.nodes[id], 's'), ['ok'], id);
  assert.equal(lasp.query(n1, 'p'), ['ok']);
  at(net, 'n2', (t) => lasp.update(net.nodes.n2, 's', 'add', ['bad'], t));
  net.run(net.now + 4000);
  assert.ok((metrics(n1)['dataflow.error.fn'] ?? 0) >= 1);
  assert.equal(lasp.query(n1, 'p'), ['ok']);
  assert.is(keyOf('ok'), 'sok');
});

test('fold, intersection and product through the node: three nodes agree on the values', () => {
  const net = cluster(13);
  for (const id of IDS.slice(0, 3)) {
    const n = net.nodes[id];
    lasp.fn(n, 'sum', (acc: number, x: number) => acc + x);
    at(net, id, (t) => lasp.declare(n, 'a', 'orset', t));
    at(net, id, (t) => lasp.declare(n, 'b', 'gset', t));
    at(net, id, (t) => lasp.intersection(n, 'both', 'a', 'b', t, false));
    at(net, id, (t) => lasp.product(n, 'pairs', 'a', 'b', t, false));
    at(net, id, (t) => lasp.fold(n, 'total', 'both', 'sum', 0, t, false));
  }
  for (const [id, v, m, x] of [['n0', 'a', 'add', 1], ['n1', 'a', 'add', 2], ['n2', 'b', 'add', 2], ['n0', 'b', 'add', 1], ['n1', 'a', 'add', 5], ['n2', 'b', 'add', 5], ['n0', 'a', 'remove', 1]] as const) {
    at(net, id, (t) => lasp.update(net.nodes[id], v, m, [x], t));
    net.run(net.now + 200);
  }
  net.run(net.now + 5000);
  for (const id of IDS.slice(0, 3)) {
    const n = net.nodes[id];
    assert.equal(lasp.query(n, 'both'), [2, 5], id);
    assert.is(lasp.query(n, 'total'), 7, id);
    assert.is((lasp.query(n, 'pairs') as unknown[]).length, 6, id);
  }
});

test.run();
