/**
 * Composition by injection leaves out what a profile does not use: a bundle that composes a node of
 * client-server membership, anti-entropy and three CRDT types (a Puck.js sensor's profile) holds no code of
 * HyParView, full membership, Plumtree, dataflow or the other types, once esbuild has tree-shaken it with the
 * board's settings; one that composes HyParView and Plumtree holds those.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { BOARD_BUILD } from '../../tools/board-check.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The profile's entry: `membership`, `plumtree` and `sync` name parts of runtime/lean.ts ('null' for none). */
function profile(membership: string, plumtree: string, sync: string): string {
  const names = (plumtree === 'null' ? membership : membership + ', ' + plumtree) + ', ' + sync;
  return PARTS.replace('__IMPORT__', names).replace('__M__', membership).replace('__P__', plumtree).replace('__S__', sync);
}

/** Bytes each source file contributes to the minified board bundle of `entry` (source text, in the repo root). */
async function contributions(entry: string): Promise<{ [file: string]: number }> {
  const r = await esbuild.build({
    ...BOARD_BUILD,
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'profile.ts', loader: 'ts' },
    absWorkingDir: ROOT,
    write: false,
    minify: true,
    metafile: true,
    logLevel: 'silent',
  });
  const out = Object.values(r.metafile!.outputs)[0];
  const bytes: { [file: string]: number } = {};
  for (const [file, v] of Object.entries(out.inputs)) bytes[file] = v.bytesInOutput;
  return bytes;
}

const PARTS = `import { composeNode, step, registry, register, PNCounter, ORSet, LWW, __IMPORT__ } from './runtime/lean.ts';
const types = register(register(register(registry(), PNCounter), ORSet), LWW);
const n = composeNode({ id: 'b', seed: 1 }, { membership: __M__, plumtree: __P__, dataflow: null, types, sync: __S__ });
(globalThis as any).P = { n: n, step: step };`;

test('a client-server board profile bundles no HyParView, full membership, Plumtree, dataflow or other CRDT type', async () => {
  const b = await contributions(profile('ClientServer', 'null', 'AntiEntropy'));
  const has = (f: string) => (b[f] || 0) > 100;
  for (const f of ['runtime/membership/clientserver.ts', 'runtime/antientropy.ts', 'runtime/node.ts', 'crdt/orset.ts', 'crdt/lww.ts', 'crdt/pncounter.ts']) {
    assert.ok(has(f), f + ' missing from the bundle');
  }
  const out = ['runtime/membership/hyparview.ts', 'runtime/membership/full.ts', 'runtime/membership/health.ts', 'runtime/plumtree.ts',
    'runtime/dataflow.ts', 'runtime/dataflow/glue.ts', 'runtime/dataflow/ops.ts', 'crdt/all.ts', 'crdt/awmap.ts', 'crdt/awgraph.ts',
    'crdt/mvregister.ts', 'crdt/bcounter.ts', 'crdt/twopset.ts', 'crdt/gset.ts', 'crdt/pair.ts', 'crdt/ewflag.ts', 'crdt/dwflag.ts', 'crdt/maxint.ts'];
  for (const f of out) assert.not.ok(has(f), f + ' is in the bundle (' + b[f] + ' bytes) though the profile leaves it out');
});

test('a sensor profile (Client, DeltaSync) bundles neither the server role, the full anti-entropy nor admission', async () => {
  const b = await contributions(profile('Client', 'null', 'DeltaSync'));
  for (const f of ['runtime/membership/client.ts', 'runtime/deltasync.ts', 'runtime/node.ts']) assert.ok((b[f] || 0) > 100, f + ' missing from the bundle');
  // clientserver.ts lends the client its knob table (data), not its code.
  for (const f of ['runtime/antientropy.ts', 'runtime/admission.ts', 'runtime/membership/full.ts', 'runtime/plumtree.ts']) assert.not.ok((b[f] || 0) > 100, f + ' is in the bundle (' + b[f] + ' bytes)');
  assert.ok((b['runtime/membership/clientserver.ts'] || 0) < 400, 'clientserver.ts: ' + b['runtime/membership/clientserver.ts'] + ' bytes');
});

test('a HyParView and Plumtree profile bundles them', async () => {
  const b = await contributions(profile('HyParView', 'Plumtree', 'AntiEntropy'));
  for (const f of ['runtime/membership/hyparview.ts', 'runtime/plumtree.ts']) assert.ok((b[f] || 0) > 1000, f);
  assert.not.ok((b['runtime/dataflow/glue.ts'] || 0) > 100);
});

test.run();
