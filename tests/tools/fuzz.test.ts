/**
 * The short run of `npm run fuzz` (tools/fuzz/): every target, a few thousand seeded inputs each, must end with no
 * crash and no broken invariant, and the live TCP node must still converge with its legitimate peer after a
 * stream of hostile frames. Slow inputs are reported by `npm run fuzz`, not asserted here (no timed tests).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzz } from '../../tools/fuzz/engine.ts';
import { allTargets } from '../../tools/fuzz/targets.ts';
import { fuzzTcp } from '../../tools/fuzz/tcp.ts';

const test = suite('fuzz (short run)');
const SEED = 20261204;
const INPUTS = 1500;

for (const t of allTargets(SEED)) {
  test(t.name + ': ' + INPUTS + ' inputs, no crash, no broken invariant', () => {
    const r = fuzz(t, t.name === 'node:step' ? 800 : INPUTS, SEED);
    const why = r.samples.filter((s) => s.kind !== 'slow').map((s) => s.kind + ': ' + s.message + ' input ' + s.hex.slice(0, 200)).join('\n');
    assert.is(r.crashes, 0, why);
    assert.is(r.findings, 0, why);
    assert.ok(r.accepted > 0, 'some inputs got past the decoder (the mutations are not all noise)');
  });
}

test('tcp:live: hostile frames over a real loopback socket; the node keeps converging with its peer', async () => {
  const r = await fuzzTcp(1000, SEED);
  assert.is(r.crashes, 0, r.crashSamples.join('\n'));
  assert.ok(r.converged, 'the legitimate peer\'s update reached the node');
  assert.ok(Object.keys(r.dropped).length > 0, 'hostile frames were dropped and counted');
});

test.run();
