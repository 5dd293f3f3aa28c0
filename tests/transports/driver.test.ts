import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode } from '../../crdt/codec/cbor.ts';
import { DISCONNECT } from '../../runtime/messages.ts';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { tcpLink } from '../../transports/tcp.ts';
import { startNode, memoryStore, StoreFileError, type PollenDriver } from '../../transports/driver.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { testBroker } from '../support/broker.ts';
import { until } from '../support/wait.ts';

async function trio(hub: MemoryHub, seed: number): Promise<PollenDriver[]> {
  const a = await startNode({ id: 'a', seed, links: [memoryLink(hub, { id: 'a' })] });
  const b = await startNode({ id: 'b', seed: seed + 1, links: [memoryLink(hub, { id: 'b' })], contacts: ['a'] });
  const c = await startNode({ id: 'c', seed: seed + 2, links: [memoryLink(hub, { id: 'c' })], contacts: ['a'] });
  const all = [a, b, c];
  await until(() => connected(all), 'a connected overlay of three');
  return all;
}

/** Every node has a neighbour and every node is reachable from the first through the active views. */
function connected(nodes: PollenDriver[]): boolean {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set([nodes[0].id]);
  const todo = [nodes[0].id];
  while (todo.length) for (const p of byId.get(todo.pop()!)?.neighbors() ?? []) if (!seen.has(p)) seen.add(p), todo.push(p);
  return seen.size === nodes.length && nodes.every((n) => n.neighbors().length > 0);
}

test('three nodes on real timers form an overlay and converge a counter and an OR-Set', async () => {
  const nodes = await trio(new MemoryHub(), 10);
  for (const n of nodes) {
    n.declare('hits', 'pncounter');
    n.declare('tags', 'orset');
  }
  nodes[0].update('hits', 'inc', [5]);
  nodes[1].update('hits', 'inc', [2]);
  nodes[2].update('hits', 'dec', [1]);
  nodes[0].update('tags', 'add', ['x']);
  nodes[1].update('tags', 'add', ['y']);
  nodes[2].update('tags', 'add', ['z']);
  nodes[2].update('tags', 'remove', ['z']);
  await until(() => nodes.every((n) => n.query('hits') === 6), 'counter at 6 everywhere');
  await until(() => nodes.every((n) => JSON.stringify(n.query('tags')) === '["x","y"]'), 'OR-Set {x, y} everywhere');
  for (const n of nodes) await n.close();
});

test('read(threshold) resolves when a remote update reaches it, and rejects when the node closes first', async () => {
  const [a, b, c] = await trio(new MemoryHub(), 20);
  for (const n of [a, b, c]) n.declare('n', 'gcounter');
  const seen: number[] = [];
  c.on('changed', (e) => {
    if (e.id === 'n') seen.push(c.query('n'));
  });
  c.fn('atLeast', (v: number, min: number) => v >= min);
  const reached = c.read('n', { pred: 'atLeast', arg: 3 });
  a.update('n', 'inc', [1]);
  b.update('n', 'inc', [2]);
  assert.is(await reached, 3);
  assert.ok(seen.includes(3));
  assert.is(await c.read('n'), 3, 'no threshold: the value now');
  try {
    await c.read('undeclared');
    assert.unreachable();
  } catch (e) {
    assert.match(String(e), /no variable undeclared/);
  }
  const never = c.read('n', { pred: 'atLeast', arg: 100 });
  await a.close();
  await b.close();
  await c.close();
  try {
    await never;
    assert.unreachable();
  } catch (e) {
    assert.match(String(e), /closed before the read was reached/);
  }
});

test('close() leaves with DISCONNECT: the neighbours get one and drop the node at once', async () => {
  const [a, b, c] = await trio(new MemoryHub(), 30);
  const disconnects: string[] = [];
  for (const n of [a, b]) {
    n.links[0].on('frame', (from, bytes) => {
      const m = decode(bytes) as any[];
      if (m[1] === DISCONNECT) disconnects.push(from + '->' + n.id);
    });
  }
  const before = c.neighbors();
  assert.ok(before.length > 0);
  await c.close();
  assert.equal(disconnects.sort(), before.map((p) => 'c->' + p));
  await until(() => !a.neighbors().includes('c') && !b.neighbors().includes('c'), 'c gone from the views', 500);
  assert.throws(() => c.update('x', 'inc', [1]), /node c is closed/);
  await a.close();
  await b.close();
});

test('a restarted node keeps its state from the store and takes a larger incarnation', async () => {
  const hub = new MemoryHub();
  const store = memoryStore();
  const a = await startNode({ id: 'a', seed: 1, links: [memoryLink(hub, { id: 'a' })], store, saveEvery: 10 });
  a.declare('tags', 'orset');
  a.update('tags', 'add', ['kept']);
  const inc1 = a.incarnation;
  await a.close();
  const again = await startNode({ id: 'a', seed: 2, links: [memoryLink(hub, { id: 'a' })], store });
  assert.equal(again.query('tags'), ['kept']);
  assert.ok(again.incarnation > inc1, again.incarnation + ' > ' + inc1);
  await again.close();
  store.bytes = new Uint8Array([0xff, 0x00]);
  try {
    await startNode({ id: 'a', links: [memoryLink(hub, { id: 'a' })], store });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, StoreFileError);
    assert.is((e as StoreFileError).reason, 'damaged');
    assert.match(String(e), /the store of node a is damaged \(not a Pollen node state/);
  }
  hub.links['a']?.close();
});

test('a gateway with two links (memory and TCP) joins their peers into one overlay', async () => {
  const hub = new MemoryHub();
  const gt = await tcpLink({ id: 'g', listen: 0 });
  const g = await startNode({ id: 'g', seed: 40, membership: 'full', links: [memoryLink(hub, { id: 'g' }), gt] });
  const m = await startNode({ id: 'm', seed: 41, membership: 'full', links: [memoryLink(hub, { id: 'm' })], contacts: ['g'] });
  const t = await startNode({ id: 't', seed: 42, membership: 'full', links: [await tcpLink({ id: 't', connect: ['127.0.0.1:' + gt.port] })] });
  await until(() => gt.peers().includes('t'), 'tcp up');
  t.join(['g']);
  for (const n of [g, m, t]) n.declare('hits', 'gcounter');
  m.update('hits', 'inc', [3]);
  t.update('hits', 'inc', [4]);
  await until(() => [g, m, t].every((n) => n.query('hits') === 7), 'counter over both links', 8000);
  // m and t have no link between them: everything went through g.
  assert.equal(m.links[0].peers(), ['g']);
  assert.equal(t.links[0].peers(), ['g']);
  for (const n of [t, m, g]) await n.close();
});

test('hostile frames from a link are dropped and counted by the node, which keeps running', async () => {
  const hub = new MemoryHub();
  const a = await startNode({ id: 'a', seed: 50, links: [memoryLink(hub, { id: 'a' })] });
  const evil = memoryLink(hub, { id: 'evil' });
  const drops: string[] = [];
  a.on('dropped', (e) => drops.push(e.from + ':' + e.reason));
  evil.send('a', new Uint8Array([0xff, 0xff, 0xff]));
  evil.send('a', new Uint8Array([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])); // an array of 2^64-1 items
  await until(() => drops.length === 2, 'two drops');
  assert.ok(drops.every((d) => d.startsWith('evil:')), drops.join());
  assert.is(a.metrics()['dropped'], 2);
  assert.is(a.metrics()['link.memory.framesIn'], 2, 'the link counted the frames the node dropped');
  a.declare('v', 'gcounter');
  a.update('v', 'inc', [1]);
  assert.is(a.query('v'), 1);
  await evil.close();
  await a.close();
});

test('a peer reached over two links stays up for the node when one of them fails', async () => {
  const hub = new MemoryHub();
  const gt = await tcpLink({ id: 'g', listen: 0 });
  const tt = await tcpLink({ id: 't', connect: ['127.0.0.1:' + gt.port] });
  await until(() => gt.peers().includes('t'), 'tcp up');
  // HyParView takes a link going down on an active peer as that peer's failure and drops it at once.
  const g = await startNode({ id: 'g', seed: 60, links: [gt, memoryLink(hub, { id: 'g' })] });
  const t = await startNode({ id: 't', seed: 61, links: [tt, memoryLink(hub, { id: 't' })], contacts: ['g'] });
  await until(() => g.neighbors().includes('t') && t.neighbors().includes('g'), 'neighbours');
  const downs: string[] = [];
  g.on('neighbor', (e) => !e.up && downs.push(e.peer));
  await tt.close(); // the TCP way fails; the memory way remains
  await until(() => !gt.peers().includes('t'), 'g\'s TCP link lost t');
  for (const n of [g, t]) n.declare('hits', 'gcounter');
  t.update('hits', 'inc', [2]);
  await until(() => g.query('hits') === 2, 'the update went the other way');
  assert.equal(downs, []);
  assert.ok(g.neighbors().includes('t'));
  await t.close();
  await g.close();
});

test('over MQTT no contact is needed: nodes find each other through presence and converge', async () => {
  const b = await testBroker();
  const nodes: PollenDriver[] = [];
  for (const id of ['a', 'b', 'c', 'd']) {
    const link = await mqttLink({ id, url: b.url, protocolVersion: b.protocolVersion, root: b.root });
    nodes.push(await startNode({ id, seed: 70 + nodes.length, links: [link] }));
  }
  await until(() => connected(nodes), 'a connected overlay without contacts');
  for (const n of nodes) n.declare('x', 'gcounter');
  nodes[3].update('x', 'inc', [4]);
  nodes[0].update('x', 'inc', [1]);
  await until(() => nodes.every((n) => n.query('x') === 5), 'converged');
  for (const n of nodes) await n.close();
  await b.close();
});

test.run();
