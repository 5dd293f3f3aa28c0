/**
 * Findings of the runtime review (issue 3), each held by a test that failed before its fix: the protocol modules
 * driven directly through a recording Ctx, or whole nodes through runtime/node.ts and tests/runtime/net.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Item } from '../../crdt/types.ts';
import { DecodeError } from '../../crdt/errors.ts';
import type { Ctx } from '../../runtime/context.ts';
import { ACK, DELTA, DIGEST, GOSSIP, IHAVE, KEEPALIVE, PEERS, PRUNE, STATE } from '../../runtime/messages.ts';
import { rng } from '../../runtime/rng.ts';
import * as pt from '../../runtime/plumtree.ts';
import * as ae from '../../runtime/antientropy.ts';
import { ClientServer } from '../../runtime/membership/clientserver.ts';
import { createStore, declare, update, get } from '../../runtime/store.ts';
import { rec } from '../support/recordingCtx.ts';

// ---------------------------------------------------------------------------------------------------------
// Plumtree

test('plumtree: a second copy from the peer it came from (a duplicated frame, a repeated GRAFT answer) prunes nothing', () => {
  // b sits on a line a - b - c: a is its only way to the origin. The link duplicates a's GOSSIP.
  const s = pt.init('b');
  const r = rec('b', 0);
  pt.neighborUp(s, r.ctx, 'a');
  pt.neighborUp(s, r.ctx, 'c');
  pt.onMessage(s, r.ctx, 'a', GOSSIP, ['a:0:0', 1, 'x']);
  pt.onMessage(s, r.ctx, 'a', GOSSIP, ['a:0:0', 1, 'x']);
  assert.equal(r.sends.filter((m) => m.type === PRUNE), [], 'no PRUNE to the parent');
  assert.equal(pt.eagerPeers(s), ['a', 'c'], 'a stays eager');
  assert.is(r.events.length, 1, 'delivered once');
  // A copy from another peer is a second path: that one is pruned, as the paper says.
  pt.onMessage(s, r.ctx, 'c', GOSSIP, ['a:0:0', 2, 'x']);
  assert.equal(r.sends.filter((m) => m.type === PRUNE).map((m) => m.to), ['c']);
  assert.equal(pt.eagerPeers(s), ['a']);
});

// ---------------------------------------------------------------------------------------------------------
// Anti-entropy, one store and AE state per replica, messages carried by hand through the codec's items.

interface Rep {
  id: string;
  inc: number;
  store: ReturnType<typeof createStore>;
  ae: ae.AeState;
  counts: { [name: string]: number };
}

interface Wire {
  from: string;
  to: string;
  inc: number;
  type: number;
  body: Item;
}

function rep(id: string, maxVars: number, inc?: number): Rep {
  return { id, inc: inc ?? 0, store: createStore(maxVars), ae: ae.init({}, inc ?? 0), counts: {} };
}

function aeCtx(r: Rep, now: number, wire: Wire[]): Ctx {
  return {
    now: now,
    self: r.id,
    incarnation: r.inc,
    rng: rng(3),
    send: (to, type, body) => { wire.push({ from: r.id, to, inc: r.inc, type, body }); },
    setTimer: () => {},
    cancelTimer: () => {},
    emit: () => {},
    count: (name, n) => { r.counts[name] = (r.counts[name] || 0) + n; },
  };
}

/** Deliver the messages on `wire` for which `take` says so (all by default), in order; the rest stay. */
function deliver(reps: { [id: string]: Rep }, wire: Wire[], now: number, take?: (m: Wire) => boolean): void {
  const batch = wire.splice(0, wire.length);
  for (const m of batch) {
    if (take && !take(m)) {
      wire.push(m);
      continue;
    }
    const to = reps[m.to];
    ae.onMessage(to.ae, aeCtx(to, now, wire), to.store, m.from, m.inc, m.type, m.body);
  }
}

function local(r: Rep, v: string, mutator: string, args: Item[], wire: Wire[]): void {
  const d = update(r.store, v, mutator, r.id, args);
  if (d !== null) ae.record(r.ae, aeCtx(r, 0, wire), r.store, v, d, r.id);
}

test('anti-entropy: a malformed body from a neighbour changes nothing, not even what is known of its incarnation', () => {
  const wire: Wire[] = [];
  const a = rep('a', 8);
  const b = rep('b', 8);
  const reps = { a, b };
  declare(a.store, 'n', 'gcounter');
  declare(b.store, 'n', 'gcounter');
  ae.neighborUp(a.ae, 'b');
  ae.neighborUp(b.ae, 'a');
  local(a, 'n', 'inc', [1], wire);
  // a's digest round with b: offer, request, STATE, ACK.
  ae.onTimer(a.ae, aeCtx(a, 1000, wire), a.store, ae.TIMER);
  for (let k = 0; k < 4; k++) deliver(reps, wire, 1000);
  const p = a.ae.peers.b;
  assert.is(p.acked, 1, 'the round closed');
  assert.is(p.inc, 0);
  // A frame of b's that claims a newer life but whose body is malformed: DecodeError, and a's view of b stands.
  const bad: [number, Item][] = [[DELTA, [5]], [STATE, [0, 7]], [DIGEST, [1, 0, 0, [3]]], [ACK, [0, 0]]];
  for (const [type, body] of bad) {
    assert.throws(() => ae.onMessage(a.ae, aeCtx(a, 1100, wire), a.store, 'b', 3, type, body), (e: unknown) => e instanceof DecodeError);
    assert.is(p.inc, 0, 'incarnation taken from a malformed frame: ' + JSON.stringify(body));
    assert.is(p.acked, 1, 'ack reset by a malformed frame: ' + JSON.stringify(body));
  }
  // An ACK of received STATEs whose id list goes bad half way leaves the pending list whole.
  p.mark = 4;
  p.pending = ['m', 'n'];
  assert.throws(() => ae.onMessage(a.ae, aeCtx(a, 1100, wire), a.store, 'b', 0, ACK, [1, 0, 4, ['n', 9]]), (e: unknown) => e instanceof DecodeError);
  assert.equal(p.pending, ['m', 'n']);
});

test('anti-entropy: a STATE that no longer fits a full store still closes the round, so deltas flow again', () => {
  // b can hold two variables and holds x. a offers x and z, c offers x and y; both offers arrive while b has
  // room for one more, so b asks a for z and c for y. z arrives first and fills the store.
  const wire: Wire[] = [];
  const a = rep('a', 8);
  const b = rep('b', 2);
  const c = rep('c', 8);
  const reps = { a, b, c };
  for (const r of [a, b, c]) declare(r.store, 'x', 'gcounter');
  declare(a.store, 'z', 'gcounter');
  declare(c.store, 'y', 'gcounter');
  local(a, 'z', 'inc', [1], wire);
  local(c, 'y', 'inc', [1], wire);
  ae.neighborUp(a.ae, 'b');
  ae.neighborUp(c.ae, 'b');
  ae.onTimer(a.ae, aeCtx(a, 1000, wire), a.store, ae.TIMER);
  ae.onTimer(c.ae, aeCtx(c, 1000, wire), c.store, ae.TIMER);
  deliver(reps, wire, 1000); // the offers: two requests
  deliver(reps, wire, 1000); // the requests: a STATE each
  deliver(reps, wire, 1000, (m) => m.from === 'a'); // a's STATE of z first
  deliver(reps, wire, 1000); // c's STATE of y: the store is full
  deliver(reps, wire, 1000); // the ACKs
  assert.is(b.store.count, 2);
  assert.ok((b.counts['admit.full'] || 0) > 0, 'the full store was not hit');
  assert.is(c.ae.peers.b.mark, -1, 'c\'s round with b is still open');
  // c's next update of x reaches b as a delta, and c stops sending y's state again and again.
  local(c, 'x', 'inc', [5], wire);
  for (let t = 2000; t <= 6000; t += 1000) {
    ae.onTimer(c.ae, aeCtx(c, t, wire), c.store, ae.TIMER);
    for (let k = 0; k < 3; k++) deliver(reps, wire, t);
  }
  const x = get(b.store, 'x')!;
  assert.is(x.type.value(x.state), 5);
  assert.ok((c.counts['ae.states'] || 0) <= 1, 'STATE of y sent ' + c.counts['ae.states'] + ' times');
});

test('anti-entropy: a neighbour whose id is "__proto__" is synced like any other (peer tables have no prototype)', () => {
  const wire: Wire[] = [];
  const a = rep('a', 8);
  declare(a.store, 'n', 'gcounter');
  local(a, 'n', 'inc', [1], wire);
  ae.neighborUp(a.ae, '__proto__');
  ae.neighborUp(a.ae, 'b');
  ae.onTimer(a.ae, aeCtx(a, 1000, wire), a.store, ae.TIMER);
  assert.equal(wire.map((m) => m.to).sort(), ['__proto__', 'b'], 'not every neighbour was offered a digest');
  ae.neighborDown(a.ae, '__proto__');
  assert.equal(Object.keys(a.ae.peers), ['b']);
});

// ---------------------------------------------------------------------------------------------------------
// Membership

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

test('plumtree: a payload the delivery rejects (emit throws DecodeError) is neither remembered nor forwarded', () => {
  const s = pt.init('b');
  const r = rec('b', 0);
  pt.neighborUp(s, r.ctx, 'a');
  pt.neighborUp(s, r.ctx, 'c');
  pt.neighborUp(s, r.ctx, 'd');
  pt.onMessage(s, r.ctx, 'd', PRUNE, []);
  // Announced by c first, so the id is missing with a graft timer.
  pt.onMessage(s, r.ctx, 'c', IHAVE, [['a:0:0', 2]]);
  assert.ok(pt.TIMER_GRAFT + 'a:0:0' in r.timers);
  const strict = rec('b', 10);
  strict.ctx.emit = (e) => {
    if (e.type === 'deliver' && e.payload === 'garbage') throw new DecodeError('type', 'bad payload');
    strict.events.push(e);
  };
  strict.timers = r.timers;
  assert.throws(() => pt.onMessage(s, strict.ctx, 'a', GOSSIP, ['a:0:0', 1, 'garbage']), (e: unknown) => e instanceof DecodeError);
  assert.equal(strict.sends, [], 'garbage was forwarded');
  assert.not.ok(pt.has(s, 'a:0:0'), 'garbage was remembered: the good copy would be taken for a duplicate');
  assert.is(pt.stats(s).missing, 1, 'the missing entry (and its graft timer) must stay');
  assert.ok(pt.TIMER_GRAFT + 'a:0:0' in strict.timers);
  // The good copy is still delivered and forwarded.
  pt.onMessage(s, strict.ctx, 'c', GOSSIP, ['a:0:0', 2, 'fine']);
  assert.equal(strict.events.map((e) => (e as any).payload), ['fine']);
  assert.equal(strict.sends.map((m) => [m.to, m.type]), [['a', GOSSIP]]);
  assert.is(pt.stats(s).queued, 1, 'an IHAVE for the lazy d');
  assert.is(pt.stats(s).missing, 0);
});

test('anti-entropy: a node with a small store still syncs with one that holds many variables (offers and DELTAs name them all)', () => {
  // A Pi holding twelve variables and a board configured for two: the Pi's DIGEST offer and its DELTA frames
  // name more variables than the board may hold. Refusing those frames whole would leave the round open and the
  // deltas unacknowledged for ever.
  const wire: Wire[] = [];
  const pi = rep('pi', 64);
  const board = rep('board', 2);
  const reps = { pi, board };
  const names: string[] = [];
  for (let i = 0; i < 12; i++) names.push('v' + (i < 10 ? '0' : '') + i);
  for (const v of names) declare(pi.store, v, 'gcounter');
  declare(board.store, 'v05', 'gcounter');
  ae.neighborUp(pi.ae, 'board');
  ae.onTimer(pi.ae, aeCtx(pi, 1000, wire), pi.store, ae.TIMER);
  for (let k = 0; k < 4; k++) deliver(reps, wire, 1000);
  assert.is(pi.ae.peers.board.mark, -1, 'the digest round did not close');
  assert.is(board.store.count, 2, 'the board took one more variable');
  for (const v of names) local(pi, v, 'inc', [2], wire);
  ae.onTimer(pi.ae, aeCtx(pi, 2000, wire), pi.store, ae.TIMER);
  assert.is(wire.length, 1);
  assert.is(((wire[0].body as Item[])[1] as Item[]).length, 12, 'one DELTA with the twelve variables');
  deliver(reps, wire, 2000);
  const x = get(board.store, 'v05')!;
  assert.is(x.type.value(x.state), 2);
  deliver(reps, wire, 2000); // the ACK
  assert.is(pi.ae.peers.board.acked, pi.ae.seq, 'the DELTA was not acknowledged');
});

test.run();
