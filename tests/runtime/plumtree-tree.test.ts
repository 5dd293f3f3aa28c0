import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLS_CONTROL } from '../../runtime/io.ts';
import { GOSSIP, GRAFT, IHAVE, PRUNE } from '../../runtime/messages.ts';
import * as pt from '../../runtime/plumtree.ts';
import { rec } from '../support/recordingCtx.ts';

// How the tree is shaped: which links start eager, which announcer is grafted, which of two eager copies is kept.

function node(self: string, peers: string[], config?: Partial<pt.PlumtreeConfig>): pt.PlumtreeState {
  const s = pt.init(self, config);
  for (const p of peers) pt.neighborUp(s, rec(self, 0).ctx, p);
  return s;
}

test('the first eagerStart neighbours start eager, later ones lazy; a pruned slot is given to the next newcomer', () => {
  const s = node('a', ['d', 'b', 'c'], { eagerStart: 2 });
  assert.equal(pt.eagerPeers(s), ['b', 'd']);
  assert.equal(pt.lazyPeers(s), ['c']);
  // The lazy one is told by IHAVE only.
  const r = rec('a', 0);
  const id = pt.broadcast(s, r.ctx, 'x');
  assert.equal(r.sends.map((m) => m.to), ['b', 'd']);
  pt.onTimer(s, r.ctx, pt.TIMER_FLUSH);
  assert.equal(r.sends[2], { to: 'c', type: IHAVE, body: [[id, 1]], cls: CLS_CONTROL });
  pt.onMessage(s, rec('a', 1).ctx, 'd', PRUNE, []);
  pt.neighborUp(s, rec('a', 2).ctx, 'e');
  assert.equal(pt.eagerPeers(s), ['b', 'e']);
  // 0: every neighbour starts lazy (all delivery by GRAFT); a first GOSSIP from a lazy one makes it eager.
  const z = node('z', ['p', 'q'], { eagerStart: 0 });
  assert.equal(pt.eagerPeers(z), []);
  pt.onMessage(z, rec('z', 3).ctx, 'q', GOSSIP, ['o:0:0', 2, 'v']);
  assert.equal(pt.eagerPeers(z), ['q']);
});

test('a missing message is grafted from the announcer of the shortest path first, then in order of hops', () => {
  const s = node('a', ['b', 'c', 'd'], { eagerStart: 0, t1: 400, t2: 100 });
  const r = rec('a', 0);
  pt.onMessage(s, r.ctx, 'b', IHAVE, [['z:0:1', 6]]);
  pt.onMessage(s, r.ctx, 'c', IHAVE, [['z:0:1', 3]]);
  pt.onMessage(s, r.ctx, 'd', IHAVE, [['z:0:1', 6]]);
  const to: string[] = [];
  for (let i = 0; i < 4; i++) {
    const t = rec('a', 400 + 100 * i);
    pt.onTimer(s, t.ctx, 'pt.graft.z:0:1');
    for (const m of t.sends) {
      assert.equal([m.type, m.body], [GRAFT, ['z:0:1']]);
      to.push(m.to);
    }
  }
  // Ties keep their arrival order; the retries go round the same order.
  assert.equal(to, ['c', 'b', 'd', 'c']);
});

test('an eager copy on a path shorter than the delivered one (by more than threshold) becomes the tree edge', () => {
  const s = node('a', ['b', 'c', 'd'], { eagerStart: 3, threshold: 1 });
  pt.onMessage(s, rec('a', 0).ctx, 'b', GOSSIP, ['z:0:0', 9, 'p']);
  // 8 hops: not shorter by more than 1, so the later copy is pruned as usual.
  const no = rec('a', 1);
  pt.onMessage(s, no.ctx, 'c', GOSSIP, ['z:0:0', 8, 'p']);
  assert.equal(no.sends, [{ to: 'c', type: PRUNE, body: [], cls: CLS_CONTROL }]);
  assert.equal(pt.eagerPeers(s), ['b', 'd']);
  // 4 hops: the parent b is pruned instead, d becomes the parent, nothing is delivered again.
  const yes = rec('a', 2);
  pt.onMessage(s, yes.ctx, 'd', GOSSIP, ['z:0:0', 4, 'p']);
  assert.equal(yes.sends, [{ to: 'b', type: PRUNE, body: [], cls: CLS_CONTROL }]);
  assert.equal(yes.events, []);
  assert.equal(yes.counts['pt.optimize.eager'], 1);
  assert.equal(pt.eagerPeers(s), ['d']);
  assert.equal(s.received['z:0:0'].parent, 'd');
  assert.equal(s.received['z:0:0'].hops, 4);
  // A copy from a peer this node already counts lazy (its PRUNE still in flight) is only pruned again.
  const late = rec('a', 3);
  pt.onMessage(s, late.ctx, 'c', GOSSIP, ['z:0:0', 1, 'p']);
  assert.equal(late.sends, [{ to: 'c', type: PRUNE, body: [], cls: CLS_CONTROL }]);
  assert.equal(s.received['z:0:0'].parent, 'd');
});

test.run();
