/**
 * Selective hearing (runtime/interest.ts): a node with an interest set is sent those variables and nothing else,
 * by Plumtree and by anti-entropy; it never declares another; a lost INTEREST heals; a node without one hears all.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Net } from './net.ts';
import * as lasp from '../../runtime/dataflow/api.ts';
import { composeNode, metrics, read, step } from '../../runtime/full.ts';
import { ClientServer } from '../../runtime/membership/clientserver.ts';
import { Client } from '../../runtime/membership/client.ts';
import { AntiEntropy } from '../../runtime/antientropy.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import { registry, register } from '../../crdt/registry.ts';
import { PNCounter } from '../../crdt/pncounter.ts';
import { ORSet } from '../../crdt/orset.ts';
import { LWW } from '../../crdt/lww.ts';
import { decode, encode } from '../../crdt/codec/cbor.ts';
import { DEFAULT_LIMITS } from '../../crdt/codec/limits.ts';
import { DELTA, DIGEST, GOSSIP, INTEREST, STATE, VERSION } from '../../runtime/messages.ts';
import type { Item } from '../../crdt/types.ts';

/** Every variable id a frame names: GOSSIP payloads, DELTA/STATE entries, DIGEST offers and requests. */
function varsIn(bytes: Uint8Array): string[] {
  const f = decode(bytes, DEFAULT_LIMITS) as Item[];
  const type = f[1];
  const body = f[4] as Item[];
  if (type === GOSSIP) {
    const p = body[2] as Item[];
    return Array.isArray(p) && p[0] === 1 ? [p[1] as string] : [];
  }
  if (type === DELTA || type === STATE) return (body[1] as Item[][]).map((e) => e[0] as string);
  if (type === DIGEST) return body[0] === 0 ? (body[2] as Item[][]).map((e) => e[0] as string) : (body[3] as string[]);
  return [];
}

function typeOf(bytes: Uint8Array): number {
  return (decode(bytes, DEFAULT_LIMITS) as Item[])[1] as number;
}

/** A gateway g serving a board b (interest: t only) and a phone p (no interest set), all with every part. */
function star(seed: number, boardInterest: string[]): Net {
  const net = new Net({ seed, latency: [5, 20] });
  net.add({ id: 'g', seed: seed, membership: 'client-server' });
  net.add({ id: 'b', seed: seed + 1, membership: 'client-server', interest: boardInterest });
  net.add({ id: 'p', seed: seed + 2, membership: 'client-server' });
  net.cmd('b', { op: 'join', contacts: ['g'] });
  net.cmd('p', { op: 'join', contacts: ['g'] });
  net.run(500);
  return net;
}

function updates(net: Net, rounds: number): void {
  for (const id of ['g', 'p']) {
    net.cmd(id, { op: 'declare', id: 't', type: 'pncounter' });
    net.cmd(id, { op: 'declare', id: 'h', type: 'orset' });
  }
  for (let i = 0; i < rounds; i++) {
    net.cmd(i % 2 ? 'g' : 'p', { op: 'update', id: 't', mutator: 'inc', args: [1] });
    net.cmd(i % 2 ? 'p' : 'g', { op: 'update', id: 'h', mutator: 'add', args: ['x' + i] });
    net.run(net.now + 300);
  }
  net.run(net.now + 5000);
}

test('interest: a board hears only the variables it asked for, by Plumtree and anti-entropy alike; a phone hears all', () => {
  const net = star(11, ['t']);
  updates(net, 8);
  assert.is(read(net.nodes.b, 't'), 8);
  assert.is(read(net.nodes.b, 'h'), undefined, 'the board declared a variable it did not ask for');
  assert.is(net.nodes.b.store.count, 1);
  assert.is(read(net.nodes.p, 't'), 8);
  assert.is((read(net.nodes.p, 'h') as string[]).length, 8, 'a node without an interest set hears everything');
  const toBoard = net.sent.filter((s) => s.to === 'b' && s.out.kind === 'send');
  const named = new Set<string>();
  for (const s of toBoard) for (const v of varsIn((s.out as { bytes: Uint8Array }).bytes)) named.add(v);
  assert.equal([...named].sort(), ['t'], 'frames to the board named ' + [...named].join(','));
  assert.ok(toBoard.some((s) => typeOf((s.out as { bytes: Uint8Array }).bytes) === GOSSIP), 'Plumtree reached the board');
  assert.ok(toBoard.some((s) => typeOf((s.out as { bytes: Uint8Array }).bytes) === DIGEST), 'anti-entropy reached the board');
  assert.is(metrics(net.nodes.b)['interest.refused'], undefined, 'the gateway knew the set before it sent anything');
  assert.ok(metrics(net.nodes.g)['interest.heard'] >= 1);
});

test('interest: a lost INTEREST costs a refused delta, never a declared variable, and is sent again', () => {
  const net = new Net({ seed: 21, latency: [5, 20] });
  net.add({ id: 'g', seed: 21, membership: 'client-server' });
  net.add({ id: 'b', seed: 22, membership: 'client-server', interest: ['t'] });
  // The board's first INTEREST is lost.
  let lost = 0;
  const input = net.input.bind(net);
  net.input = (id, inp) => {
    if (id === 'g' && inp.kind === 'frame' && inp.from === 'b' && typeOf(inp.bytes) === INTEREST && lost === 0) {
      lost++;
      return [];
    }
    return input(id, inp);
  };
  net.cmd('g', { op: 'declare', id: 'h', type: 'orset' });
  net.cmd('g', { op: 'update', id: 'h', mutator: 'add', args: ['x'] });
  net.cmd('g', { op: 'declare', id: 't', type: 'lww' });
  net.cmd('g', { op: 'update', id: 't', mutator: 'set', args: ['on', 1] });
  net.cmd('b', { op: 'join', contacts: ['g'] });
  net.run(3000);
  net.cmd('g', { op: 'update', id: 'h', mutator: 'add', args: ['y'] });
  net.cmd('g', { op: 'update', id: 't', mutator: 'set', args: ['off', 2] });
  net.run(net.now + 5000);
  assert.is(lost, 1);
  assert.is(read(net.nodes.b, 't'), 'off');
  assert.is(read(net.nodes.b, 'h'), undefined, 'the board declared a variable it did not ask for');
  assert.ok(metrics(net.nodes.b)['interest.refused'] >= 1, 'the first unwanted delta was refused and counted');
  // After the set was sent again, the gateway's later frames to the board name only t.
  const late = net.sent.filter((s) => s.to === 'b' && s.at > 3000 && s.out.kind === 'send');
  for (const s of late) assert.not.ok(varsIn((s.out as { bytes: Uint8Array }).bytes).includes('h'), 'h sent after the set was known');
});

test('interest: declaring a variable adds it to the set, and the board then hears it', () => {
  const net = star(31, ['t']);
  updates(net, 4);
  assert.is(read(net.nodes.b, 'h'), undefined);
  net.cmd('b', { op: 'declare', id: 'h', type: 'orset' });
  net.run(net.now + 5000);
  assert.is((read(net.nodes.b, 'h') as string[]).length, 4, 'the board did not hear h once it declared it');
});

test('interest: a derived output joins the set, and the neighbours are told', () => {
  const net = star(51, ['xs']);
  net.cmd('b', { op: 'declare', id: 'xs', type: 'orset' });
  lasp.fn(net.nodes.b, 'even', (x: number) => x % 2 === 0);
  const out = net.via('b', (now) => lasp.filter(net.nodes.b, 'evens', 'xs', 'even', now));
  assert.equal(net.nodes.b.hear.own, ['evens', 'xs']);
  assert.ok(out.some((o) => o.kind === 'send' && o.to === 'g' && typeOf(o.bytes) === INTEREST));
});

test('interest: a malformed INTEREST is dropped with a reason, before anything changes', () => {
  const g = composeNode({ id: 'g', seed: 1 }, { membership: ClientServer, plumtree: null, dataflow: null, types: register(registry(), ORSet), sync: AntiEntropy });
  const frame = (body: Item) => encode([VERSION, INTEREST, 'b', 0, body]);
  for (const body of [[['b', 'a']], [['a', 'a']], ['a'], [[1]], [[]].concat([[]])] as Item[]) {
    const out = step(g, { kind: 'frame', from: 'b', bytes: frame(body) }, 0);
    assert.ok(out.some((o) => o.kind === 'event' && o.event.type === 'dropped'), JSON.stringify(body));
  }
  const tooMany = Array.from({ length: 4 * 64 + 1 }, (_, i) => 'v' + String(i).padStart(4, '0'));
  const out = step(g, { kind: 'frame', from: 'b', bytes: frame([tooMany]) }, 0);
  assert.ok(out.some((o) => o.kind === 'event' && o.event.type === 'dropped' && o.event.reason === 'count'));
  assert.is(g.hear.nPeers, 0);
});

test('composition: a board node of three types, client-server and no Plumtree or dataflow converges with a full gateway', () => {
  const net = new Net({ seed: 41, latency: [5, 20] });
  net.add({ id: 'g', seed: 41, membership: 'client-server' });
  const types = register(register(register(registry(), PNCounter), ORSet), LWW);
  net.nodes.b = composeNode({ id: 'b', seed: 42, maxVariables: 3 }, { membership: Client, plumtree: null, dataflow: null, types, sync: DeltaSync });
  net.cmd('b', { op: 'join', contacts: ['g'] });
  for (const id of ['g', 'b']) {
    net.cmd(id, { op: 'declare', id: 'c', type: 'pncounter' });
    net.cmd(id, { op: 'declare', id: 's', type: 'orset' });
  }
  net.cmd('g', { op: 'declare', id: 'gc', type: 'gcounter' }); // a type the board does not hold
  net.cmd('g', { op: 'update', id: 'gc', mutator: 'inc', args: [1] });
  for (let i = 0; i < 5; i++) {
    net.cmd('b', { op: 'update', id: 's', mutator: 'add', args: ['b' + i] });
    net.cmd('g', { op: 'update', id: 'c', mutator: 'inc', args: [2] });
    net.run(net.now + 500);
  }
  net.run(net.now + 5000);
  assert.is(read(net.nodes.b, 'c'), 10);
  assert.is((read(net.nodes.g, 's') as string[]).length, 5);
  assert.is(read(net.nodes.b, 'gc'), undefined, 'the board took a type it does not hold');
  assert.throws(() => net.cmd('b', { op: 'broadcast', payload: 1 }), /without Plumtree/);
  assert.throws(() => net.cmd('b', { op: 'read', id: 'c', tag: 'x', pred: 'p' }), /without dataflow/);
  assert.throws(() => net.cmd('b', { op: 'declare', id: 'm', type: 'mvregister' }), /unknown type "mvregister"/);
});

test.run();
