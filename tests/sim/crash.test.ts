import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../tools/sim/scenario.ts';
import { scenario } from './load.ts';

// tools/sim/scenarios/crash80-1000.json: 1,000 nodes over HyParView; 80% crash at once at 30 s; broadcasts from
// random live nodes before, during the repair (not asserted: that is the damage) and from 60 s on.
test('1,000 nodes, 80% crash at once: after repair every survivor receives every broadcast', () => {
  const r = runScenario(scenario('crash80-1000', { seed: 1 }));
  const after = r.broadcast.after;
  assert.is(r.overlay.final.alive, 200);
  assert.is(after.messages, 20);
  assert.is(after.expected, 20 * 200, JSON.stringify(after));
  assert.is(after.missed, 0, JSON.stringify(after));
  assert.is(r.broadcast.before.missed, 0, JSON.stringify(r.broadcast.before));
  // The damage was real: broadcasts during the repair missed nodes. (The 5 s overlay samples no longer catch the
  // split: since issue 11's quick probes and refills the overlay is whole again within one sample.)
  assert.ok(r.broadcast.during.missed > 0);
  assert.equal(r.overlay.final, { alive: 200, isolated: 0, asymmetric: 0, dangling: 0, components: 1, largest: 200 });
});

test.run();
