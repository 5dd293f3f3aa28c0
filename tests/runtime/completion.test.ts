import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { markDone, waitAll, finished, progress, varOf } from '../../runtime/completion.ts';
import { stateOf } from '../../runtime/node.ts';
import { Net } from './net.ts';

const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];

function cluster(seed: number, loss = 0, dup = 0): Net {
  const net = new Net({ seed, loss, dup });
  for (let i = 0; i < IDS.length; i++) net.add({ id: IDS[i], seed: seed * 10 + i });
  for (let i = 1; i < IDS.length; i++) net.cmd(IDS[i], { op: 'join', contacts: ['a'] });
  net.run(3000);
  return net;
}

/** Tags of the 'read' events each node has emitted so far. */
function fired(net: Net): { [id: string]: string[] } {
  const out: { [id: string]: string[] } = {};
  for (const id of IDS) out[id] = [];
  for (const e of net.events) if (e.out.kind === 'event' && e.out.event.type === 'read') out[e.node].push(e.out.event.tag);
  return out;
}

test('every node detects on its own that all nodes finished a phase, and not before the last one did', () => {
  for (const [seed, loss, dup] of [[1, 0, 0], [2, 0.25, 0.2]]) {
    const net = cluster(seed, loss, dup);
    for (const id of IDS) net.via(id, (t) => waitAll(net.nodes[id], 'exp', IDS, 1, 'p1', t));
    // Everyone but the last finishes phase 1, at staggered times: nobody may move on.
    for (const id of IDS.slice(0, -1)) {
      net.via(id, (t) => markDone(net.nodes[id], 'exp', 1, t));
      net.run(net.now + 700);
    }
    net.run(net.now + 10000);
    for (const id of IDS) assert.equal(fired(net)[id], [], id + ' fired early (seed ' + seed + ')');
    net.via('f', (t) => markDone(net.nodes.f, 'exp', 1, t));
    net.run(net.now + 10000);
    for (const id of IDS) assert.equal(fired(net)[id], ['p1'], id + ' (seed ' + seed + ')');
    // Phase 2, waited on by count: any four nodes.
    for (const id of IDS) net.via(id, (t) => waitAll(net.nodes[id], 'exp', 4, 2, 'p2', t));
    for (const id of IDS.slice(0, 3)) net.via(id, (t) => markDone(net.nodes[id], 'exp', 2, t));
    net.run(net.now + 10000);
    for (const id of IDS) assert.equal(fired(net)[id], ['p1'], id + ': three of four');
    net.via('e', (t) => markDone(net.nodes.e, 'exp', 2, t));
    net.run(net.now + 10000);
    for (const id of IDS) assert.equal(fired(net)[id], ['p1', 'p2'], id);
    const s = stateOf(net.nodes.a, varOf('exp'));
    assert.is(progress(s, IDS), 1);
    assert.is(progress(s, ['a', 'b', 'c', 'e']), 2);
  }
});

test('a crashed node holds everyone back; a node that arrives late sees the phase done at once', () => {
  const net = cluster(5);
  for (const id of IDS) net.via(id, (t) => waitAll(net.nodes[id], 'run', IDS, 1, 'done', t));
  for (const id of IDS.slice(0, 5)) net.via(id, (t) => markDone(net.nodes[id], 'run', 1, t));
  net.crash('f');
  net.run(net.now + 15000);
  for (const id of IDS) assert.equal(fired(net)[id], [], id);
  // f comes back (without its state), finishes, and every node moves on.
  net.add({ id: 'f', seed: 77, incarnation: 1 });
  net.cmd('f', { op: 'join', contacts: ['a'] });
  net.run(net.now + 3000);
  net.via('f', (t) => markDone(net.nodes.f, 'run', 1, t));
  net.via('f', (t) => waitAll(net.nodes.f, 'run', IDS, 1, 'done', t));
  net.run(net.now + 15000);
  for (const id of IDS) assert.equal(fired(net)[id], ['done'], id);
});

test('finished and marks: entries only grow, marking an earlier phase again is a no-op', () => {
  assert.ok(finished({ a: 2, b: 1 }, ['a', 'b'], 1));
  assert.not.ok(finished({ a: 2, b: 1 }, ['a', 'b'], 2));
  assert.not.ok(finished({ a: 2 }, ['a', 'b'], 1));
  assert.ok(finished({ a: 2, b: 1, c: 3 }, 2, 2));
  assert.not.ok(finished({ a: 2, b: 1 }, 2, 2));
  const net = cluster(3);
  net.via('a', (t) => markDone(net.nodes.a, 'g', 3, t));
  const again = net.via('a', (t) => markDone(net.nodes.a, 'g', 2, t));
  assert.is(again.filter((o) => o.kind === 'send').length, 0);
  assert.equal(stateOf(net.nodes.a, varOf('g')), { a: 3 });
});

test.run();
