import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../crdt/codec/cbor.ts';
import { metrics, neighbors, membershipStats, read } from '../../runtime/node.ts';
import { VERSION, JOIN, JOIN_REPLY, PEERS, KEEPALIVE, DISCONNECT } from '../../runtime/messages.ts';
import { CS_DEFAULTS, ClientServer } from '../../runtime/membership/clientserver.ts';
import { rec } from '../support/recordingCtx.ts';
import type { Item } from '../../crdt/types.ts';
import { Net } from './net.ts';

const SERVERS = ['s0', 's1'];
const CLIENTS: string[] = [];
for (let i = 0; i < 15; i++) CLIENTS.push('c' + String(i).padStart(2, '0'));
const ALL = SERVERS.concat(CLIENTS);
const { keepalive, peerTimeout: timeout } = CS_DEFAULTS;

/** Two servers and 15 clients, all configured with the server list; clients join through s0 only. */
function star(seed: number, loss: number, extra?: object): Net {
  const net = new Net({ seed, loss });
  ALL.forEach((id, i) => net.add({ id, seed: seed * 100 + i, membership: 'client-server', membershipConfig: { servers: SERVERS, ...extra } }));
  for (const s of SERVERS) net.cmd(s, { op: 'join', contacts: [] });
  for (const c of CLIENTS) net.cmd(c, { op: 'join', contacts: ['s0'] });
  return net;
}

function frame(type: number, from: string, inc: number, body: Item): Uint8Array {
  return encode([VERSION, type, from, inc, body]);
}

function sendTimes(net: Net, from: string, type: number): number[] {
  return net.sent.filter((s) => s.from === from && s.out.kind === 'send' && s.out.bytes[2] === type).map((s) => s.at);
}

test('2 servers + 15 clients under 20% loss: clients see exactly the servers, servers see every client and each other', () => {
  for (const seed of [1, 2]) {
    const net = star(seed, 0.2);
    for (let t = 10000; t <= 40000; t += 5000) {
      net.run(t);
      for (const c of CLIENTS) assert.equal(neighbors(net.nodes[c]), SERVERS, c + ' at ' + t + ' ms, seed ' + seed);
      assert.equal(neighbors(net.nodes.s0), CLIENTS.concat(['s1']), 's0 at ' + t);
      assert.equal(neighbors(net.nodes.s1), CLIENTS.concat(['s0']), 's1 at ' + t);
    }
    for (const id of ALL) assert.is(membershipStats(net.nodes[id]).isolated, false);
    // No client ever sent anything to another client.
    const c2c = net.sent.filter((s) => s.from.startsWith('c') && s.to.startsWith('c'));
    assert.is(c2c.length, 0);
  }
});

test('a counter updated on clients converges everywhere; after a server crash the clients keep working through the other', () => {
  const net = star(3, 0.2);
  net.run(8000);
  for (const id of ALL) net.cmd(id, { op: 'declare', id: 'hits', type: 'gcounter' });
  let want = 0;
  for (let k = 0; k < 30; k++) {
    net.cmd(CLIENTS[k % CLIENTS.length], { op: 'update', id: 'hits', mutator: 'inc', args: [k + 1] });
    want += k + 1;
    net.run(net.now + 41);
  }
  net.run(net.now + 10000);
  for (const id of ALL) assert.is(read(net.nodes[id], 'hits'), want, id);

  net.crash('s0');
  const t = net.now;
  net.run(t + timeout + keepalive + 30);
  for (const c of CLIENTS) assert.equal(neighbors(net.nodes[c]), ['s1'], c + ' after the crash');
  assert.equal(neighbors(net.nodes.s1), CLIENTS);
  for (let k = 0; k < 30; k++) {
    net.cmd(CLIENTS[(k * 7) % CLIENTS.length], { op: 'update', id: 'hits', mutator: 'inc', args: [2] });
    want += 2;
    net.run(net.now + 53);
  }
  net.run(net.now + 10000);
  for (const id of ALL) if (id !== 's0') assert.is(read(net.nodes[id], 'hits'), want, id + ' after the crash');
  // The clients keep asking for s0, with backoff, and take it back when it restarts.
  net.add({ id: 's0', seed: 42, incarnation: 1, membership: 'client-server', membershipConfig: { servers: SERVERS } });
  net.cmd('s0', { op: 'join', contacts: [] });
  net.run(net.now + 40000);
  for (const c of CLIENTS) assert.equal(neighbors(net.nodes[c]), SERVERS, c + ' after the restart');
  assert.is(read(net.nodes.s0, 'hits'), want, 's0 caught up');
});

test('a client whose servers all went silent retries joining with a doubling, capped interval', () => {
  const net = new Net({ seed: 4 });
  const cfg = { servers: ['s'], joinTimeout: 100, backoffMax: 800 };
  net.add({ id: 's', seed: 1, membership: 'client-server', membershipConfig: cfg });
  net.add({ id: 'c', seed: 2, membership: 'client-server', membershipConfig: cfg });
  net.cmd('c', { op: 'join', contacts: [] });
  net.run(3000);
  assert.equal(neighbors(net.nodes.c), ['s']);
  assert.is(sendTimes(net, 'c', JOIN).length, 1);
  net.crash('s');
  const t = net.now;
  net.run(t + 20000);
  assert.equal(neighbors(net.nodes.c), []);
  assert.is(membershipStats(net.nodes.c).isolated, true);
  const times = sendTimes(net, 'c', JOIN).slice(1);
  const gaps = times.slice(1).map((x, i) => Math.round(x - times[i]));
  assert.equal(gaps.slice(0, 5), [100, 200, 400, 800, 800]);
  assert.ok(times[0] - t <= timeout + keepalive + 30, 'first retry ' + (times[0] - t) + ' ms after the crash');
});

test('maxClients: a full server refuses with a reply (counted) and the client is served by the other server', () => {
  const net = new Net({ seed: 5 });
  const cfg = { servers: ['s0', 's1'], maxClients: 2 };
  for (const id of ['s0', 's1', 'a', 'b', 'c']) net.add({ id, seed: 5, membership: 'client-server', membershipConfig: { ...cfg, maxClients: id === 's0' ? 2 : 8 } });
  for (const id of ['s0', 's1']) net.cmd(id, { op: 'join', contacts: [] });
  for (const id of ['a', 'b']) net.cmd(id, { op: 'join', contacts: [] });
  net.run(3000);
  net.cmd('c', { op: 'join', contacts: [] });
  net.run(6000);
  assert.equal(neighbors(net.nodes.s0), ['a', 'b', 's1']);
  assert.equal(neighbors(net.nodes.s1), ['a', 'b', 'c', 's0']);
  assert.equal(neighbors(net.nodes.c), ['s1']);
  assert.ok(metrics(net.nodes.s0)['cs.refused.sent'] >= 1);
  assert.ok(metrics(net.nodes.c)['cs.refused'] >= 1);
  assert.is(membershipStats(net.nodes.c).passive, 1, 's0 is known and retried, with backoff');
});

test('no server list: the contacts are the servers; PEERS tells clients of a server they did not know', () => {
  const net = new Net({ seed: 6, loss: 0.1 });
  const ids = ['n0', 'n1', 'n2', 'n3', 'n4'];
  for (const id of ids) net.add({ id, seed: 6, membership: 'client-server' });
  for (const id of ids.slice(1)) net.cmd(id, { op: 'join', contacts: ['n0'] });
  net.run(8000);
  assert.equal(neighbors(net.nodes.n0), ['n1', 'n2', 'n3', 'n4']);
  for (const id of ids.slice(1)) assert.equal(neighbors(net.nodes[id]), ['n0'], id);
  // A second server joins n0 as a server; n0's PEERS names it to the clients, which join it too.
  net.add({ id: 'm', seed: 7, membership: 'client-server', membershipConfig: { servers: ['m', 'n0'] } });
  net.cmd('m', { op: 'join', contacts: [] });
  net.run(net.now + 10000);
  assert.equal(neighbors(net.nodes.m), ['n0', 'n1', 'n2', 'n3', 'n4']);
  for (const id of ids.slice(1)) assert.equal(neighbors(net.nodes[id]), ['m', 'n0'], id);
});

test('leave, incarnations and links: DISCONNECT, late frames of an earlier life, link down', () => {
  const net = star(7, 0);
  net.run(5000);
  net.cmd('c03', { op: 'leave' });
  net.run(net.now + 100);
  assert.equal(neighbors(net.nodes.c03), []);
  assert.not.ok(neighbors(net.nodes.s0).includes('c03'));
  assert.not.ok(neighbors(net.nodes.s1).includes('c03'));
  const gone = metrics(net.nodes.s0)['cs.gone'] ?? 0;
  net.inject('s0', 'c03', frame(KEEPALIVE, 'c03', 0, []));
  assert.not.ok(neighbors(net.nodes.s0).includes('c03'), 'a late keepalive of the life that left');
  assert.is(metrics(net.nodes.s0)['cs.gone'], gone + 1);
  net.add({ id: 'c03', seed: 9, incarnation: 2, membership: 'client-server', membershipConfig: { servers: SERVERS } });
  net.cmd('c03', { op: 'join', contacts: [] });
  net.run(net.now + 3000);
  assert.ok(neighbors(net.nodes.s0).includes('c03'));
  const stale = metrics(net.nodes.s0)['cs.stale'] ?? 0;
  net.inject('s0', 'c03', frame(KEEPALIVE, 'c03', 1, []));
  assert.is(metrics(net.nodes.s0)['cs.stale'], stale + 1);
  net.input('c05', { kind: 'link', peer: 's1', up: false });
  assert.equal(neighbors(net.nodes.c05), ['s0']);
  net.run(net.now + 3000);
  assert.equal(neighbors(net.nodes.c05), SERVERS, 'rejoined s1');
});

test('malformed bodies are dropped and counted, and change nothing', () => {
  const net = star(8, 0);
  net.run(4000);
  const bad: [number, Item][] = [
    [JOIN, []],
    [JOIN, [2]],
    [JOIN, ['x']],
    [JOIN_REPLY, [1]],
    [JOIN_REPLY, [3, []]],
    [JOIN_REPLY, [1, [['s9', 0, 5]]]],
    [PEERS, []],
    [PEERS, [[['s9']]]],
    [PEERS, [[['s9', 0], ['', 0]]]],
    [PEERS, [[['s9', 1.5]]]],
    [KEEPALIVE, [0]],
    [DISCONNECT, 'x'],
  ];
  for (const at of ['s0', 'c01']) {
    const before = neighbors(net.nodes[at]);
    const d0 = metrics(net.nodes[at]).dropped ?? 0;
    for (const [type, body] of bad) {
      const outs = net.inject(at, 'x9', frame(type, 'x9', 0, body));
      const reasons = outs.flatMap((o) => (o.kind === 'event' && o.event.type === 'dropped' ? [o.event.reason] : []));
      assert.equal(reasons, ['type'], at + ' ' + JSON.stringify(body));
      assert.is(outs.filter((o) => o.kind === 'send').length, 0);
    }
    assert.is(metrics(net.nodes[at]).dropped, d0 + bad.length);
    assert.equal(neighbors(net.nodes[at]), before);
    assert.is(membershipStats(net.nodes[at]).passive, 0, 'no server learned from a malformed list');
  }
});

test('CRDT updates under 30% loss and 10% duplication, with the servers cut apart and half the clients cut off for a while', () => {
  const net = star(10, 0.3);
  net.dup = 0.1;
  net.run(10000);
  for (const id of ALL) net.cmd(id, { op: 'declare', id: 'tags', type: 'orset' });
  // s0 with the first 8 clients on one side, s1 with the rest on the other.
  const side = (id: string): number => (id === 's0' || (id.startsWith('c') && Number(id.slice(1)) < 8) ? 0 : 1);
  net.blocked = (a, b) => side(a) !== side(b);
  const want: string[] = [];
  for (let k = 0; k < 30; k++) {
    net.cmd(CLIENTS[(k * 4) % CLIENTS.length], { op: 'update', id: 'tags', mutator: 'add', args: ['t' + k] });
    want.push('t' + k);
    net.run(net.now + 300);
  }
  net.run(net.now + timeout + keepalive);
  assert.equal(neighbors(net.nodes.c00), ['s0']);
  assert.equal(neighbors(net.nodes.c14), ['s1']);
  net.blocked = () => false;
  net.run(net.now + 40000);
  for (const c of CLIENTS) assert.equal(neighbors(net.nodes[c]), SERVERS, c + ' after the heal');
  for (const id of ALL) assert.equal((read(net.nodes[id], 'tags') as string[]).slice().sort(), want.slice().sort(), id);
});

test('the same seed gives the same bytes', () => {
  const run = (): string => {
    const net = star(9, 0.2);
    net.run(6000);
    return net.sent.map((s) => s.from + '>' + s.to + ':' + Buffer.from((s.out as { bytes: Uint8Array }).bytes).toString('hex')).join('\n');
  };
  assert.is(run(), run());
});

test('client-server: a server that sends a client\'s KEEPALIVE (roles configured apart) is not listed twice', () => {
  const r = rec('s1', 0);
  const s = ClientServer.init('s1', { servers: ['s1', 's2'] });
  ClientServer.join(s, r.ctx, []);
  ClientServer.onMessage(s, r.ctx, 's2', 0, PEERS, [[]]);
  assert.equal(ClientServer.neighbors(s), ['s2']);
  ClientServer.onMessage(s, r.ctx, 's2', 0, KEEPALIVE, []);
  assert.equal(ClientServer.neighbors(s), ['s2'], 'neighbours must be unique');
  assert.is(r.counts['cs.role.mismatch'], 1);
});

test.run();
