import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeRuns, MERGE_NODES } from '../../tools/sim/overlay.ts';

// The overlay's merge properties (tools/sim/overlay.ts; runtime/membership/component.ts merges the parts). npm
// test runs a share of the seeds; `npm run bench:sim -- --only overlay` runs 1,000 storms and 200 churn runs.
// pollen-test-timeout: 300

test('join storm: ' + MERGE_NODES + ' nodes, active view 3, all through one contact at once: one component in each of 200 seeds', () => {
  const r = mergeRuns('storm', 1, 200);
  assert.is(r.whole, r.runs, 'split runs: ' + JSON.stringify(r.split));
});

test('churn: 30% of ' + MERGE_NODES + ' nodes (the contact among them) crash and restart every 10 s for 2 min: one component after quiet, in each of 40 seeds', () => {
  const r = mergeRuns('churn', 1, 40);
  assert.is(r.whole, r.runs, 'split runs: ' + JSON.stringify(r.split));
});

test.run();
