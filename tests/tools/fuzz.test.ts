/**
 * The short run of `npm run fuzz` (tools/fuzz/): every target, a few thousand seeded inputs each, must end with no
 * crash and no broken invariant, and the live TCP node must still converge with its legitimate peer after a
 * stream of hostile frames. Slow inputs of the real targets are reported by `npm run fuzz`, not asserted here (no
 * timed tests); the engine's own test spends CPU on purpose to check what it times and what it does not.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Finding, fuzz, SLOW_MS, type Target } from '../../tools/fuzz/engine.ts';
import { allTargets } from '../../tools/fuzz/targets.ts';
import { fuzzTcp } from '../../tools/fuzz/tcp.ts';
import { rng } from '../../runtime/rng.ts';
import { metrics, type PollenNode } from '../../runtime/index.ts';

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
    if (t.name === 'node:step') assert.ok(r.generated > 100, 'the node target draws semantically hostile frames');
  });
}

/** Spends at least `ms` of this process's CPU. */
function burn(ms: number): void {
  const u0 = process.cpuUsage();
  for (;;) {
    const u = process.cpuUsage(u0);
    if ((u.user + u.system) / 1000 >= ms) return;
  }
}

test('the engine times run, not verify, and counts what verify finds', () => {
  const base = { max: 16, seeds: () => [new Uint8Array([1])] };
  const slowChecks: Target = { ...base, name: 'slow verify', run: () => 'ok', verify: () => burn(SLOW_MS + 20) };
  const r1 = fuzz(slowChecks, 3, 1);
  assert.is(r1.slow, 0, 'checks are not the cost of an input');
  assert.is(r1.accepted, 3);
  const slowRun: Target = { ...base, name: 'slow run', run: () => { burn(SLOW_MS + 20); return 'ok'; } };
  assert.is(fuzz(slowRun, 2, 1).slow, 2);
  let n = 0;
  const wrong: Target = { ...base, name: 'wrong', run: () => 'ok', verify: () => { if (n++ % 2 === 0) throw new Finding('odd'); } };
  const r3 = fuzz(wrong, 4, 1);
  assert.is(r3.findings, 2);
  assert.is(r3.accepted, 2);
  const refused: Target = { ...base, name: 'refused', run: () => 'no', verify: () => { throw new Finding('verify runs only on accepted inputs'); } };
  assert.is(fuzz(refused, 3, 1).rejects.no, 3);
});

test('node:step\'s hostile frames reach the semantic layers: forged claims are refused by the claims check', () => {
  const t = allTargets(SEED).filter((x) => x.name === 'node:step')[0];
  const r = rng(SEED);
  const outcomes: { [k: string]: number } = {};
  for (let i = 0; i < 600; i++) {
    const out = t.run(t.generate!(r), r);
    outcomes[out] = (outcomes[out] || 0) + 1;
  }
  assert.ok((outcomes.ok || 0) > 100, JSON.stringify(outcomes));
  // The victim's own metrics: the claims check of runtime/plausible.ts refused some of the inflated deltas.
  const node = (t as unknown as { victim(): PollenNode }).victim();
  const m = metrics(node) as unknown as { [k: string]: number };
  assert.ok((m['claims.refused'] || 0) > 0, 'no forged claim was refused: ' + JSON.stringify(m).slice(0, 400));
});

test('tcp:live: hostile frames over a real loopback socket; the node keeps converging with its peer', async () => {
  const r = await fuzzTcp(1000, SEED);
  assert.is(r.crashes, 0, r.crashSamples.join('\n'));
  assert.ok(r.converged, 'the legitimate peer\'s update reached the node');
  assert.ok(Object.keys(r.dropped).length > 0, 'hostile frames were dropped and counted');
});

test.run();
