import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../tools/sim/scenario.ts';
import { scenario } from './load.ts';

// tools/sim/scenarios/plumtree-100.json: 100 nodes over HyParView; 30 rounds from one sender, then 30 rounds each
// from a random node, one message per second. Thresholds from the issue (RMR is the mean over the messages).
for (const seed of [1, 2, 3]) {
  test('Plumtree over HyParView, 100 nodes, 30 rounds (seed ' + seed + '): single sender missed 0, RMR < 0.2, LDH < 15; random senders missed 0, RMR < 1', () => {
    const r = runScenario(scenario('plumtree-100', { seed }));
    const single = r.broadcast.single;
    const random = r.broadcast.random;
    const info = JSON.stringify({ single, random });
    assert.is(single.messages, 30, info);
    assert.is(single.expected, 30 * 100, info);
    assert.is(single.missed, 0, info);
    assert.ok(single.rmr.mean < 0.2, 'single RMR ' + single.rmr.mean);
    assert.ok(single.ldh.max < 15, 'single LDH ' + single.ldh.max);
    assert.is(random.messages, 30, info);
    assert.is(random.missed, 0, info);
    assert.ok(random.rmr.mean < 1.0, 'random RMR ' + random.rmr.mean);
  });
}

test.run();
