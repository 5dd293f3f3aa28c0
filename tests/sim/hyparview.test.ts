import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSim } from '../../tools/sim/scenario.ts';
import { membershipStats } from '../../runtime/node.ts';
import { HYPARVIEW_DEFAULTS } from '../../runtime/membership/hyparview.ts';
import { scenario } from './load.ts';

// tools/sim/scenarios/hyparview-100.json: 100 nodes join through n0 at the same moment; 30% crash at 30 s.
const SHUFFLE = HYPARVIEW_DEFAULTS.shufflePeriod;

for (const seed of [1, 2, 3]) {
  test('HyParView, 100 nodes through one contact (seed ' + seed + '): connected, symmetric, views within bounds; after 30% crash: whole again within 3 shuffle periods', () => {
    const s = scenario('hyparview-100', { seed });
    const sim = buildSim(s);
    const crashAt = (s.churn as { at: number }[])[0].at;
    sim.run(crashAt - 1);
    const o = sim.overlay();
    assert.equal(o, { alive: 100, isolated: 0, asymmetric: 0, dangling: 0, components: 1, largest: 100 }, 'before the crash');
    for (const i of sim.live()) {
      const v = membershipStats(sim.node(i));
      assert.ok(v.active >= 1 && v.active <= HYPARVIEW_DEFAULTS.activeSize, sim.ids[i] + ' active view ' + v.active);
      assert.ok(v.passive <= HYPARVIEW_DEFAULTS.passiveSize, sim.ids[i] + ' passive view ' + v.passive);
      assert.not.ok(v.isolated);
    }
    sim.run(crashAt + 3 * SHUFFLE);
    const after = sim.overlay();
    assert.equal(after, { alive: 70, isolated: 0, asymmetric: 0, dangling: 0, components: 1, largest: 70 }, 'after the crash');
    sim.run(s.duration);
    const r = sim.result();
    // Once whole, it stays whole: every later sample is one component with no isolated node.
    r.series.t.forEach((t, k) => {
      if (t < crashAt + 3 * SHUFFLE) return;
      assert.is(r.series.components[k], 1, 'components at ' + t);
      assert.is(r.series.isolated[k], 0, 'isolated at ' + t);
    });
    for (const size of Object.keys(r.overlay.active)) assert.ok(Number(size) >= 1 && Number(size) <= HYPARVIEW_DEFAULTS.activeSize);
  });
}

test.run();
