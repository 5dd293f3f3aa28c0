/**
 * bench:peers at tiny sizes: the workloads do the same thing in every library (same final values), the churn
 * script is reproducible, the tables print the figures that were measured and the ratios computed from them,
 * and the bundle measure sees WebAssembly. Nothing here is timed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bundleOne } from '../../tools/bench/bundle.ts';
import { section as protocolSection } from '../../tools/bench/protocol.ts';
import { writeSection } from '../../tools/bench/peers/report.ts';
import {
  KINDS, SEED, allPeers, expectedValue, measureAll, report, rows, runOf, table, valueOf, variants, writeReport,
} from '../../tools/bench/peers.ts';
import { type Sizes, churnExpected, churnScript } from '../../tools/bench/peers/workload.ts';

const TINY: Sizes = { mapWriters: 12, counterReplicas: 7, counterIncs: 3, setReplicas: 3, setElements: 15, setOps: 120 };

test('every library ends each workload with the value Pollen ends with', () => {
  const peers = allPeers().concat(variants());
  const churn = churnExpected(churnScript(TINY, SEED).ops);
  for (const kind of KINDS) {
    const pollen = peers[0];
    const pr = runOf(pollen, kind, TINY, SEED);
    const mine = valueOf(pollen, kind, pr.merge(pr.prepare()));
    assert.equal(mine, expectedValue(kind, TINY, churn), 'pollen ' + kind);
    for (const p of peers.slice(1)) {
      const r = runOf(p, kind, TINY, SEED);
      const merged = r.merge(r.prepare());
      assert.equal(valueOf(p, kind, merged), mine, p.name + ' ' + kind);
      // The saved final document loads back to the same value.
      assert.equal(valueOf(p, kind, p.load(p.save(merged), 99, kind)), mine, p.name + ' ' + kind + ' after save/load');
    }
  }
});

test('the map workload has a contested key and the counter counts every increment', () => {
  assert.equal(expectedValue('map', TINY, []), { v: 11 });
  assert.is(expectedValue('counter', TINY, []), 21);
  const p = allPeers()[0];
  const r = runOf(p, 'map', TINY, SEED);
  assert.is(r.updates.length, 12);
});

test('the churn script is reproducible, and settled replicas agree per element', () => {
  const a = churnScript(TINY, SEED);
  const b = churnScript(TINY, SEED);
  assert.equal(a.ops, b.ops);
  assert.not.equal(churnScript(TINY, SEED + 1).ops, a.ops);
  assert.is(a.random, TINY.setOps);
  assert.is(a.ops.length, TINY.setOps + a.settle);
  const held: { [k: string]: boolean } = {};
  for (const op of a.ops) {
    // A toggle: add only what the replica lacks, remove only what it holds.
    assert.is(op.add, !held[op.replica + '/' + op.key], 'op on ' + op.key);
    held[op.replica + '/' + op.key] = op.add;
  }
  for (let e = 0; e < TINY.setElements; e++) {
    const states = [0, 1, 2].map((r) => held[r + '/' + e]).filter((x) => x !== undefined);
    assert.ok(states.every((x) => x === states[0]), 'replicas disagree on ' + e);
  }
  const final = churnExpected(a.ops);
  assert.ok(final.length > 0 && final.length < TINY.setElements, 'the final set is neither empty nor full');
});

test('tables and report show the measured figures and ratios computed from them', () => {
  const results = measureAll(allPeers(), TINY, 1, SEED, null);
  const ref = 'pollen';
  for (const kind of KINDS) {
    const names = Object.keys(results).filter((n) => n !== ref);
    const t = table(results, kind, ref, names);
    for (const r of rows(results, kind, ref)) {
      for (const n of Object.keys(results)) assert.is(r.values[n], results[n][kind][r.metric]);
      for (const n of Object.keys(r.ratios)) {
        const mine = results[ref][kind][r.metric];
        const theirs = results[n][kind][r.metric];
        if (mine === null || theirs === null) assert.is(r.ratios[n], null);
        else assert.is(r.ratios[n], mine / theirs);
      }
      if (r.metric === 'updateBytes' || r.metric === 'docBytes') {
        const line = t.split('\n').find((l) => l.startsWith('| ' + r.label + ' |')) as string;
        assert.ok(line, r.label + ' row');
        const cells = line.split('|').map((c) => c.trim()).filter((c) => c !== '');
        assert.is(cells[1], String(results[ref][kind][r.metric]));
        const yjsAt = names.indexOf('yjs (v1)');
        assert.is(cells[2 + yjsAt * 2], String(results['yjs (v1)'][kind][r.metric]));
        assert.is(Number(cells[3 + yjsAt * 2]), Number((r.ratios['yjs (v1)'] as number).toFixed(r.ratios['yjs (v1)']! < 0.1 ? 3 : 2)));
      }
    }
  }
  const bundles = [
    { pkg: 'pollen', js: 1000, jsRaw: 3000, wasm: 0 },
    { pkg: 'yjs', js: 4000, jsRaw: 9000, wasm: 0 },
    { pkg: '@automerge/automerge', js: 500, jsRaw: 900, wasm: 1500 },
    { pkg: 'loro-crdt', js: 500, jsRaw: 900, wasm: 3500 },
  ].flatMap((b) => KINDS.map((kind) => ({ ...b, kind })));
  const md = report(results, bundles, TINY, 1, churnScript(TINY, SEED).settle, '2026-01-01T00:00:00.000Z', 'load n/a');
  assert.match(md, '| map | 1000 | 4000 | 0.25 | 2000 (JS 500 + wasm 1500) | 0.50 | 4000 (JS 500 + wasm 3500) | 0.25 |');
  assert.match(md, String(results.pollen.map.updateBytes));
  assert.match(md, /Node v\d+/);
});

test('writeReport replaces its own section and keeps the rest of BENCHMARKS.md', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-'));
  try {
    const file = path.join(dir, 'BENCHMARKS.md');
    fs.writeFileSync(file, '# Benchmarks\n\n## Protocol scoreboard\nkept\n');
    writeReport(file, '<!-- bench:peers start -->\nfirst\n<!-- bench:peers end -->');
    writeReport(file, '<!-- bench:peers start -->\nsecond\n<!-- bench:peers end -->');
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, '## Protocol scoreboard\nkept');
    assert.match(text, 'second');
    assert.not.match(text, 'first');
    assert.is(text.split('bench:peers start').length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the protocol section keeps the sim bench tables verbatim beside the peers section', () => {
  const tables = '### Broadcast\n\n| nodes | RMR |\n| --- | --- |\n| 20 | 0.123 |\n';
  const thin = '### Convergence over a 9600 bit/s link\n\n| seed | converged |\n|---|---|\n| 1 | yes |';
  const text = protocolSection(tables, thin, ['--jobs', '1'], '2026-01-01T00:00:00.000Z');
  assert.match(text, thin);
  assert.match(text, tables.trim());
  assert.match(text, '`node --import tsx tools/bench/protocol.ts --jobs 1`');
  assert.match(text, /9600 bit\/s/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-protocol-'));
  try {
    const file = path.join(dir, 'BENCHMARKS.md');
    writeReport(file, '<!-- bench:peers start -->\npeers\n<!-- bench:peers end -->');
    writeSection(file, 'bench:protocol', text);
    writeSection(file, 'bench:protocol', text);
    const all = fs.readFileSync(file, 'utf8');
    assert.match(all, 'peers');
    assert.is(all.split('## Protocol scoreboard').length, 2);
    assert.throws(() => writeSection(file, 'bench:protocol', 'no markers'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bundle sizes come from real esbuild output and count the WebAssembly a bundle fetches', async () => {
  const mine = await bundleOne('pollen', 'counter');
  assert.ok(mine.js > 1000 && mine.js < mine.jsRaw, 'pollen js ' + mine.js + ' of ' + mine.jsRaw);
  assert.is(mine.wasm, 0);
  const l = await bundleOne('loro-crdt', 'counter');
  assert.ok(l.wasm > 100_000, 'loro wasm ' + l.wasm);
});

test.run();
