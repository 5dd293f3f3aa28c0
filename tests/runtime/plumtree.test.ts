import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Item } from '../../crdt/types.ts';
import { DecodeError } from '../../crdt/errors.ts';
import { CLS_CONTROL, CLS_PAYLOAD } from '../../runtime/io.ts';
import { GOSSIP, GRAFT, IHAVE, JOIN, PRUNE } from '../../runtime/messages.ts';
import { below, rng } from '../../runtime/rng.ts';
import * as pt from '../../runtime/plumtree.ts';
import { PlumPump, overlay } from '../support/plumpump.ts';
import { rec } from '../support/recordingCtx.ts';

// ---------------------------------------------------------------------------------------------------------
// One node driven by hand, through a recording Ctx (tests/support/recordingCtx.ts).

function node(self: string, peers: string[], config?: Partial<pt.PlumtreeConfig>): pt.PlumtreeState {
  const s = pt.init(self, config);
  for (const p of peers) pt.neighborUp(s, rec(self, 0).ctx, p);
  return s;
}

test('message ids are origin:incarnation:sequence in base 36 and name their origin', () => {
  const s = node('a:x', ['b']);
  const r = rec('a:x', 0, 37);
  const ids: string[] = [];
  for (let i = 0; i < 37; i++) ids.push(pt.broadcast(s, r.ctx, i));
  assert.is(ids[0], 'a:x:11:0');
  assert.is(ids[36], 'a:x:11:10');
  assert.is(pt.originOf(ids[36]), 'a:x');
  assert.is(pt.originOf('nocolon'), null);
  assert.is(pt.originOf(':1:2'), null);
  assert.is(pt.originOf('a:1:'), null);
  assert.is(pt.originOf('a:B:1'), null);
  // Delivered at the origin too, with hops 0.
  assert.equal(r.events[0], { type: 'deliver', msgId: 'a:x:11:0', origin: 'a:x', hops: 0, payload: 0 });
});

test('broadcast: GOSSIP to eager peers, IHAVE batched per lazy peer and flushed on the timer', () => {
  const s = node('a', ['b', 'c', 'd']);
  pt.onMessage(s, rec('a', 0).ctx, 'd', PRUNE, []);
  assert.equal(pt.eagerPeers(s), ['b', 'c']);
  assert.equal(pt.lazyPeers(s), ['d']);
  const r = rec('a', 100);
  const id1 = pt.broadcast(s, r.ctx, 'x');
  const id2 = pt.broadcast(s, r.ctx, 'y');
  assert.equal(r.sends.map((m) => [m.to, m.type, m.body, m.cls]), [
    ['b', GOSSIP, [id1, 1, 'x'], CLS_PAYLOAD], ['c', GOSSIP, [id1, 1, 'x'], CLS_PAYLOAD],
    ['b', GOSSIP, [id2, 1, 'y'], CLS_PAYLOAD], ['c', GOSSIP, [id2, 1, 'y'], CLS_PAYLOAD],
  ]);
  assert.is(r.timers[pt.TIMER_FLUSH], 150);
  const f = rec('a', 150);
  assert.ok(pt.onTimer(s, f.ctx, pt.TIMER_FLUSH));
  assert.equal(f.sends, [{ to: 'd', type: IHAVE, body: [[id1, 1], [id2, 1]], cls: CLS_CONTROL }]);
  assert.is(pt.stats(s).queued, 0);
});

test('a full IHAVE queue is sent at once instead of growing', () => {
  const s = node('a', ['b'], { maxLazyQueue: 2 });
  pt.onMessage(s, rec('a', 0).ctx, 'b', PRUNE, []);
  const r = rec('a', 0);
  for (let i = 0; i < 5; i++) pt.broadcast(s, r.ctx, i);
  assert.equal(r.sends.map((m) => (m.body as Item[]).length), [2, 2]);
  assert.is(pt.stats(s).queued, 1);
});

test('first GOSSIP is delivered and forwarded except to its sender; a duplicate prunes its sender', () => {
  const s = node('a', ['b', 'c', 'd']);
  const r = rec('a', 10);
  assert.ok(pt.onMessage(s, r.ctx, 'b', GOSSIP, ['z:0:0', 3, 'p']));
  assert.equal(r.events, [{ type: 'deliver', msgId: 'z:0:0', origin: 'z', hops: 3, payload: 'p' }]);
  assert.equal(r.sends.map((m) => [m.to, m.type, m.body]), [['c', GOSSIP, ['z:0:0', 4, 'p']], ['d', GOSSIP, ['z:0:0', 4, 'p']]]);
  const d = rec('a', 20);
  assert.ok(pt.onMessage(s, d.ctx, 'c', GOSSIP, ['z:0:0', 2, 'p']));
  assert.equal(d.events, []);
  assert.equal(d.sends, [{ to: 'c', type: PRUNE, body: [], cls: CLS_CONTROL }]);
  assert.equal(pt.eagerPeers(s), ['b', 'd']);
  assert.equal(pt.lazyPeers(s), ['c']);
  assert.is(d.counts['pt.duplicate'], 1);
});

test('PRUNE makes the sender lazy; GRAFT makes it eager again and is answered from the cache', () => {
  const s = node('a', ['b', 'c']);
  const id = pt.broadcast(s, rec('a', 0).ctx, 'data');
  pt.onMessage(s, rec('a', 1).ctx, 'b', PRUNE, []);
  assert.equal(pt.lazyPeers(s), ['b']);
  const g = rec('a', 2);
  pt.onMessage(s, g.ctx, 'b', GRAFT, [id]);
  assert.equal(pt.eagerPeers(s), ['b', 'c']);
  assert.equal(g.sends, [{ to: 'b', type: GOSSIP, body: [id, 1, 'data'], cls: CLS_PAYLOAD }]);
  // A stranger's GRAFT is served but does not make it a peer.
  const x = rec('a', 3);
  pt.onMessage(s, x.ctx, 'q', GRAFT, [id]);
  assert.is(x.sends.length, 1);
  assert.equal(pt.eagerPeers(s), ['b', 'c']);
  assert.is(x.counts['pt.graft.stranger'], 1);
});

test('IHAVE of an unknown id: GRAFT the first announcer after T1, the next after T2, stop when it arrives', () => {
  const s = node('a', ['b', 'c', 'd'], { t1: 400, t2: 150 });
  pt.onMessage(s, rec('a', 0).ctx, 'c', PRUNE, []);
  pt.onMessage(s, rec('a', 0).ctx, 'd', PRUNE, []);
  const r = rec('a', 100);
  pt.onMessage(s, r.ctx, 'c', IHAVE, [['z:0:5', 2]]);
  pt.onMessage(s, r.ctx, 'd', IHAVE, [['z:0:5', 3]]);
  pt.onMessage(s, r.ctx, 'c', IHAVE, [['z:0:5', 2]]); // the same announcer again: not a second entry
  assert.equal(r.timers, { 'pt.graft.z:0:5': 500 });
  assert.is(pt.stats(s).missing, 1);
  const t1 = rec('a', 500);
  assert.ok(pt.onTimer(s, t1.ctx, 'pt.graft.z:0:5'));
  assert.equal(t1.sends, [{ to: 'c', type: GRAFT, body: ['z:0:5'], cls: CLS_CONTROL }]);
  assert.equal(pt.eagerPeers(s), ['b', 'c']);
  assert.equal(t1.timers, { 'pt.graft.z:0:5': 650 });
  const t2 = rec('a', 650);
  pt.onTimer(s, t2.ctx, 'pt.graft.z:0:5');
  assert.equal(t2.sends, [{ to: 'd', type: GRAFT, body: ['z:0:5'], cls: CLS_CONTROL }]);
  const g = rec('a', 700);
  pt.onMessage(s, g.ctx, 'd', GOSSIP, ['z:0:5', 3, 'late']);
  assert.equal(g.cancels, ['pt.graft.z:0:5']);
  assert.is(g.events.length, 1);
  assert.is(pt.stats(s).missing, 0);
  // A stale timer (cancelled but fired anyway) is taken and does nothing.
  const stale = rec('a', 800);
  assert.ok(pt.onTimer(s, stale.ctx, 'pt.graft.z:0:5'));
  assert.equal(stale.sends, []);
});

test('grafting gives up after maxGrafts attempts, rotating over the announcers', () => {
  const s = node('a', ['c', 'd'], { maxGrafts: 3 });
  pt.onMessage(s, rec('a', 0).ctx, 'c', IHAVE, [['z:0:1', 1]]);
  pt.onMessage(s, rec('a', 0).ctx, 'd', IHAVE, [['z:0:1', 1]]);
  const to: string[] = [];
  let gaveUp = 0;
  for (let i = 0; i < 5; i++) {
    const r = rec('a', 1000 * (i + 1));
    pt.onTimer(s, r.ctx, 'pt.graft.z:0:1');
    for (const m of r.sends) to.push(m.to);
    gaveUp += r.counts['pt.graft.gaveup'] || 0;
  }
  assert.equal(to, ['c', 'd', 'c']);
  assert.is(gaveUp, 1);
  assert.is(pt.stats(s).missing, 0);
});

test('missing ids are bounded: announcements past maxMissing are counted and ignored', () => {
  const s = node('a', ['b'], { maxMissing: 2 });
  const r = rec('a', 0);
  pt.onMessage(s, r.ctx, 'b', IHAVE, [['z:0:1', 1], ['z:0:2', 1], ['z:0:3', 1]]);
  assert.equal(Object.keys(r.timers).sort(), ['pt.graft.z:0:1', 'pt.graft.z:0:2']);
  assert.is(r.counts['pt.missing.full'], 1);
});

test('optimization: an announcement threshold hops shorter swaps the eager parent for the announcer', () => {
  const s = node('a', ['b', 'c'], { threshold: 7 });
  pt.onMessage(s, rec('a', 0).ctx, 'c', PRUNE, []);
  pt.onMessage(s, rec('a', 0).ctx, 'b', GOSSIP, ['z:0:0', 10, 'p']);
  // 3 + 7 is not below 10: nothing changes.
  const no = rec('a', 1);
  pt.onMessage(s, no.ctx, 'c', IHAVE, [['z:0:0', 3]]);
  assert.equal(no.sends, []);
  const yes = rec('a', 2);
  pt.onMessage(s, yes.ctx, 'c', IHAVE, [['z:0:0', 2]]);
  assert.equal(yes.sends.map((m) => [m.to, m.type, m.body]), [['c', GRAFT, []], ['b', PRUNE, []]]);
  assert.equal(pt.eagerPeers(s), ['c']);
  assert.equal(pt.lazyPeers(s), ['b']);
  // The peer side of an empty GRAFT: becomes eager, nothing sent back.
  const t = node('c', ['a']);
  pt.onMessage(t, rec('c', 0).ctx, 'a', PRUNE, []);
  const g = rec('c', 3);
  pt.onMessage(t, g.ctx, 'a', GRAFT, []);
  assert.equal(pt.eagerPeers(t), ['a']);
  assert.equal(g.sends, []);
});

test('optimization on arrival: a much shorter announcement seen while the message was missing', () => {
  const s = node('a', ['b', 'c'], { threshold: 7 });
  pt.onMessage(s, rec('a', 0).ctx, 'c', PRUNE, []);
  pt.onMessage(s, rec('a', 0).ctx, 'c', IHAVE, [['z:0:0', 1]]);
  const r = rec('a', 10);
  pt.onMessage(s, r.ctx, 'b', GOSSIP, ['z:0:0', 9, 'p']);
  assert.equal(r.sends.filter((m) => m.type !== GOSSIP).map((m) => [m.to, m.type, m.body]), [['c', GRAFT, []], ['b', PRUNE, []]]);
  assert.equal(pt.eagerPeers(s), ['c']);
});

test('the cache is bounded by count and age, oldest first; a GRAFT for a dropped payload goes unanswered', () => {
  const s = node('a', ['b'], { cacheSize: 4, maxIds: 6, cacheTtl: 1000, idTtl: 5000 });
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(pt.broadcast(s, rec('a', i).ctx, 'm' + i));
  assert.is(pt.stats(s).received, 6);
  assert.is(pt.stats(s).cached, 4);
  assert.not.ok(pt.has(s, ids[3]));
  assert.ok(pt.has(s, ids[4]));
  const old = rec('a', 20);
  pt.onMessage(s, old.ctx, 'b', GRAFT, [ids[5]]);
  assert.equal(old.sends, []);
  assert.is(old.counts['pt.graft.miss'], 1);
  const fresh = rec('a', 20);
  pt.onMessage(s, fresh.ctx, 'b', GRAFT, [ids[6]]);
  assert.equal(fresh.sends.map((m) => m.body), [[ids[6], 1, 'm6']]);
  // Age: the expiry timer drops payloads after cacheTtl and ids after idTtl, and stops when nothing is left.
  // One expiry timer, set at the first arrival and re-armed for the next expiry each time it fires.
  assert.is(s.gcAt, 0 + 1000);
  const g1 = rec('a', 1100);
  assert.ok(pt.onTimer(s, g1.ctx, pt.TIMER_GC));
  assert.is(pt.stats(s).cached, 0);
  assert.is(pt.stats(s).received, 6);
  assert.is(g1.timers[pt.TIMER_GC], 4 + 5000);
  const g2 = rec('a', 6000);
  pt.onTimer(s, g2.ctx, pt.TIMER_GC);
  assert.is(pt.stats(s).received, 0);
  assert.equal(g2.timers, {});
  // A forgotten own message that comes back is not delivered to its origin again.
  const back = rec('a', 6001);
  pt.onMessage(s, back.ctx, 'b', GOSSIP, [ids[0], 2, 'm0']);
  assert.equal(back.events, []);
  assert.equal(back.sends.map((m) => m.type), [PRUNE]);
});

test('neighborDown drops the peer from both sets, its IHAVE queue and the announcers', () => {
  const s = node('a', ['b', 'c']);
  pt.onMessage(s, rec('a', 0).ctx, 'c', PRUNE, []);
  pt.broadcast(s, rec('a', 0).ctx, 1);
  pt.onMessage(s, rec('a', 0).ctx, 'c', IHAVE, [['z:0:0', 1]]);
  pt.neighborDown(s, rec('a', 1).ctx, 'c');
  assert.equal(pt.lazyPeers(s), []);
  assert.is(pt.stats(s).queued, 0);
  const r = rec('a', 1000);
  pt.onTimer(s, r.ctx, 'pt.graft.z:0:0');
  assert.equal(r.sends, []);
  assert.is(r.counts['pt.graft.gaveup'], 1);
});

test('malformed bodies throw DecodeError and change nothing; other types are not taken', () => {
  const s = node('a', ['b']);
  const bad: [number, Item][] = [
    [GOSSIP, ['z:0:0', 1]], [GOSSIP, ['nocolon', 1, 'p']], [GOSSIP, ['z:0:0', -1, 'p']], [GOSSIP, 'x'],
    [IHAVE, [['z:0:1', 1], ['z:0:2']]], [IHAVE, [['z:0:1', 1], 'junk']], [GRAFT, ['z:0:0', 'z:0:1']],
    [PRUNE, [1]], [GOSSIP, ['z'.repeat(200) + ':0:0', 1, 'p']],
  ];
  for (const b of bad) {
    const r = rec('a', 0);
    assert.throws(() => pt.onMessage(s, r.ctx, 'b', b[0], b[1]), (e: unknown) => e instanceof DecodeError, JSON.stringify(b));
    assert.equal(r.sends, []);
    assert.equal(r.timers, {});
  }
  assert.is(pt.stats(s).missing, 0);
  assert.is(pt.stats(s).received, 0);
  assert.not.ok(pt.onMessage(s, rec('a', 0).ctx, 'b', JOIN, []));
  assert.not.ok(pt.onTimer(s, rec('a', 0).ctx, 'hv.shuffle'));
});

// ---------------------------------------------------------------------------------------------------------
// A static overlay of 100 nodes, driven by the pump.

const N = 100;

function names(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push('n' + String(i).padStart(2, '0'));
  return out;
}

function mesh(seed: number, opts?: { loss?: number }): { p: PlumPump; ids: string[]; edges: [string, string][] } {
  const ids = names(N);
  const p = new PlumPump({ seed: seed, loss: opts?.loss }, ids);
  const edges = overlay(ids, 5, seed);
  for (const e of edges) p.link(e[0], e[1]);
  return { p, ids, edges };
}

interface Round { id: string; receivers: number; rmr: number; ldh: number }

function rounds(p: PlumPump, count: number, sender: (i: number) => string): Round[] {
  const out: Round[] = [];
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    sent.push(p.broadcast(sender(i), 'round ' + i));
    p.runFor(2000);
  }
  // Under loss a repair can take a few T1 + T2 past its round: count deliveries once everything settled.
  p.runFor(10000);
  for (const id of sent) out.push({ id, receivers: p.receivers(id), rmr: p.rmr(id), ldh: p.ldh(id) });
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

test('100 nodes, single sender, 30 rounds: missed 0, RMR < 0.2 once the tree settles, LDH < 15', () => {
  const { p, ids, edges } = mesh(7);
  const rs = rounds(p, 30, () => ids[0]);
  for (const r of rs) assert.is(r.receivers, N, 'missed in ' + r.id);
  assert.is(p.redelivered, 0);
  // The first broadcast floods every link, so pruning is what brings RMR down.
  assert.ok(rs[0].rmr > 1, 'first round floods: ' + rs[0].rmr);
  const settled = mean(rs.slice(5).map((r) => r.rmr));
  assert.ok(settled < 0.2, 'settled RMR ' + settled);
  assert.ok(mean(rs.map((r) => r.rmr)) < 0.2, 'RMR over all 30 rounds ' + mean(rs.map((r) => r.rmr)));
  const ldh = Math.max(...rs.map((r) => r.ldh));
  assert.ok(ldh < 15, 'LDH ' + ldh);
  // The eager links left form (about) a spanning tree: far fewer than the overlay's links.
  let eager = 0;
  for (const id of ids) eager += p.states[id].eager.length;
  assert.ok(eager / 2 < edges.length / 2, 'eager links ' + eager / 2 + ' of ' + edges.length);
});

test('100 nodes, random senders, 30 rounds: missed 0, RMR < 1.0', () => {
  const { p, ids } = mesh(11);
  const r = rng(99);
  const rs = rounds(p, 30, () => ids[below(r, N)]);
  for (const x of rs) assert.is(x.receivers, N, 'missed in ' + x.id);
  assert.is(p.redelivered, 0);
  const m = mean(rs.map((x) => x.rmr));
  assert.ok(m < 1.0, 'RMR ' + m);
});

/** After the tree settled, the eager links the last message took into nodes (child, parent). */
function treeLinks(p: PlumPump, ids: string[], msgId: string): [string, string][] {
  const out: [string, string][] = [];
  for (const id of ids) {
    const r = p.states[id].received[msgId];
    if (r && r.parent !== id) out.push([id, r.parent]);
  }
  return out;
}

test('dead eager links (silent both ways): every node still receives through IHAVE and GRAFT', () => {
  const { p, ids } = mesh(13);
  const before = rounds(p, 10, () => ids[0]);
  // Cut several tree links near the root, where each cut orphans a large subtree.
  const links = treeLinks(p, ids, before[9].id).sort((a, b) => p.states[a[0]].received[before[9].id].hops - p.states[b[0]].received[before[9].id].hops);
  for (const l of links.slice(0, 3)) p.kill(l[0], l[1]);
  const grafts0 = sum(p, 'pt.graft');
  const after = rounds(p, 10, () => ids[0]);
  for (const r of after) assert.is(r.receivers, N, 'missed in ' + r.id);
  assert.ok(sum(p, 'pt.graft') > grafts0, 'repaired by GRAFT');
  // Repaired for good: once the new links are in place the payloads follow a tree again.
  assert.ok(mean(after.slice(5).map((r) => r.rmr)) < 0.2);
});

test('a neighbour that dropped the link on its side only: its child recovers through GRAFT', () => {
  const { p, ids } = mesh(17);
  const before = rounds(p, 10, () => ids[0]);
  const links = treeLinks(p, ids, before[9].id);
  const l = links[0];
  // The parent forgets the child; the child still counts on the parent as its eager peer.
  pt.neighborDown(p.states[l[1]], p.ctx(l[1]), l[0]);
  const after = rounds(p, 5, () => ids[0]);
  for (const r of after) assert.is(r.receivers, N, 'missed in ' + r.id);
  assert.ok((p.counters[l[0]]['pt.graft'] || 0) > 0, 'the child grafted');
});

test('10% message loss on every link: every node still receives every broadcast', () => {
  // A node misses a message only when every copy and every announcement sent to it is lost (about 1e-5 per
  // node and message at this rate): Plumtree alone does not retransmit, anti-entropy covers that case.
  const { p, ids } = mesh(19, { loss: 0.1 });
  const r = rng(5);
  const rs = rounds(p, 20, () => ids[below(r, N)]);
  for (const x of rs) assert.is(x.receivers, N, 'missed in ' + x.id);
  assert.is(p.redelivered, 0);
});

function sum(p: PlumPump, name: string): number {
  let n = 0;
  for (const id of Object.keys(p.counters)) n += p.counters[id][name] || 0;
  return n;
}

test('same seed, same run: deliveries and message counts are identical', () => {
  const a = mesh(23);
  const b = mesh(23);
  rounds(a.p, 5, (i) => a.ids[i * 7]);
  rounds(b.p, 5, (i) => b.ids[i * 7]);
  assert.equal(a.p.deliveries, b.p.deliveries);
  assert.equal(a.p.sentByType, b.p.sentByType);
});

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

test.run();
