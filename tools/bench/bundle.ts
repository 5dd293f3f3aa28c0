/**
 * What each library costs a browser or a board to ship, per bench:peers workload: the smallest import that does
 * the workload (make a replica, do the operation, emit the update, apply one, save and load), bundled by esbuild
 * (bundle, minify, ESM, platform browser, the package's own browser entry), then gzip level 9. WebAssembly the
 * bundle loads counts too: a .wasm the bundle imports (Automerge's bundler build) and a .wasm it fetches with
 * `new URL('x.wasm', import.meta.url)` (Loro's browser build) are gzipped on their own and added.
 *
 *   npx tsx tools/bench/bundle.ts          # prints the table
 *   const rows = await bundleSizes();      // [{ pkg: 'yjs', kind: 'map', js: 19_000, wasm: 0 }, ...]
 *
 * Pollen's entries import the modules of the one type they need and the portable codec (crdt/codec/cbor.ts),
 * the codec a browser or a board would run; cbor-x is Node only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Kind } from './peers/workload.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** gzip level 9: what a server serving static files with compression would send. */
const GZIP_LEVEL = 9;

export interface BundleRow {
  pkg: string;
  kind: Kind;
  /** Minified JS, gzipped. */
  js: number;
  /** Minified JS before gzip. */
  jsRaw: number;
  /** WebAssembly the bundle loads, gzipped (0 for pure JS). */
  wasm: number;
}

/** Each entry keeps its results on globalThis so the minifier cannot drop the calls. */
const ENTRIES: { [pkg: string]: { [k in Kind]: string } } = {
  yjs: {
    map: `import { Doc, applyUpdate, encodeStateAsUpdate } from 'yjs';
const a = new Doc(); a.on('update', (u) => { globalThis.u = u; });
a.getMap('map').set('v', 1);
const b = new Doc(); applyUpdate(b, globalThis.u); applyUpdate(new Doc(), encodeStateAsUpdate(b));
globalThis.v = b.getMap('map').toJSON();`,
    counter: `import { Doc, applyUpdate, encodeStateAsUpdate } from 'yjs';
const a = new Doc(); a.on('update', (u) => { globalThis.u = u; });
a.getMap('counter').set('r1', 1);
const b = new Doc(); applyUpdate(b, globalThis.u); applyUpdate(new Doc(), encodeStateAsUpdate(b));
let n = 0; b.getMap('counter').forEach((x) => { n += x; }); globalThis.v = n;`,
    set: `import { Doc, applyUpdate, encodeStateAsUpdate } from 'yjs';
const a = new Doc(); const s = a.getMap('set'); s.set('x', true); s.delete('x');
const b = new Doc(); applyUpdate(b, encodeStateAsUpdate(a)); globalThis.v = Array.from(b.getMap('set').keys());`,
  },
  '@automerge/automerge': {
    map: `import { init, change, getLastLocalChange, applyChanges, save, load } from '@automerge/automerge';
const a = change(init(), (d) => { d.v = 1; });
const [b] = applyChanges(init(), [getLastLocalChange(a)]); globalThis.v = load(save(b));`,
    counter: `import { from, change, getLastLocalChange, applyChanges, save, load, Counter } from '@automerge/automerge';
const a = change(from({ n: new Counter(0) }), (d) => { d.n.increment(1); });
const [b] = applyChanges(load(save(a)), [getLastLocalChange(a)]); globalThis.v = b.n.value;`,
    set: `import { init, change, save, load, loadIncremental } from '@automerge/automerge';
const a = change(change(init(), (d) => { d.x = true; }), (d) => { delete d.x; });
globalThis.v = Object.keys(load(save(loadIncremental(init(), save(a)))));`,
  },
  'loro-crdt': {
    map: `import { LoroDoc } from 'loro-crdt';
const a = new LoroDoc(); a.subscribeLocalUpdates((u) => { globalThis.u = u; }); a.getMap('map').set('v', 1); a.commit();
const b = new LoroDoc(); b.importBatch([globalThis.u]); globalThis.v = LoroDoc.fromSnapshot(b.export({ mode: 'snapshot' })).toJSON();`,
    counter: `import { LoroDoc } from 'loro-crdt';
const a = new LoroDoc(); a.subscribeLocalUpdates((u) => { globalThis.u = u; }); a.getCounter('counter').increment(1); a.commit();
const b = new LoroDoc(); b.importBatch([globalThis.u]); globalThis.v = LoroDoc.fromSnapshot(b.export({ mode: 'snapshot' })).getCounter('counter').value;`,
    set: `import { LoroDoc } from 'loro-crdt';
const a = new LoroDoc(); const s = a.getMap('set'); s.set('x', true); a.commit(); s.delete('x'); a.commit();
const b = new LoroDoc(); b.importBatch([a.export({ mode: 'update' })]); globalThis.v = b.getMap('set').toJSON();`,
  },
  pollen: {
    map: `import { awmap, apply } from './crdt/awmap.ts';
import { Lamport } from './crdt/lamport.ts';
import { encode, decode } from './crdt/codec/cbor.ts';
const M = awmap(Lamport); let s = M.bottom();
const d = apply(Lamport, s, 'a', 'v', 'set', [1]); s = M.join(s, d);
const r = M.join(M.bottom(), M.decode(decode(encode(M.encode(d)))));
globalThis.v = M.value(M.decode(decode(encode(M.encode(r)))));`,
    counter: `import { GCounter, inc } from './crdt/gcounter.ts';
import { encode, decode } from './crdt/codec/cbor.ts';
let s = GCounter.bottom(); const d = inc(s, 'a', 1); s = GCounter.join(s, d);
const r = GCounter.join(GCounter.bottom(), GCounter.decode(decode(encode(GCounter.encode(d)))));
globalThis.v = GCounter.value(GCounter.decode(decode(encode(GCounter.encode(r)))));`,
    set: `import { ORSet, add, remove } from './crdt/orset.ts';
import { encode, decode } from './crdt/codec/cbor.ts';
let s = ORSet.bottom(); s = ORSet.join(s, add(s, 'a', 'x')); s = ORSet.join(s, remove(s, 'x'));
globalThis.v = ORSet.value(ORSet.join(ORSet.bottom(), ORSet.decode(decode(encode(ORSet.encode(s))))));`,
  },
};

export const PACKAGES = Object.keys(ENTRIES);

const gz = (b: Uint8Array): number => gzipSync(b, { level: GZIP_LEVEL }).length;

/** `new URL('./x.wasm', import.meta.url)` in a bundled input: a file the bundle fetches at run time. */
const WASM_URL = /new URL\(\s*["']([^"']+\.wasm)["']\s*,\s*import\.meta\.url\s*\)/g;

/** Bundle one entry and measure it. Throws if esbuild fails (a missing package is an error, not a zero). */
export async function bundleOne(pkg: string, kind: Kind): Promise<BundleRow> {
  const out = await build({
    stdin: { contents: ENTRIES[pkg][kind], resolveDir: ROOT, loader: 'ts', sourcefile: pkg + '-' + kind + '.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    outdir: join(ROOT, '.bundle-size'),
    loader: { '.wasm': 'file' },
    metafile: true,
    logLevel: 'silent',
  });
  let js = 0;
  let jsRaw = 0;
  let wasm = 0;
  for (const f of out.outputFiles) {
    if (f.path.endsWith('.js')) {
      js += gz(f.contents);
      jsRaw += f.contents.length;
    } else if (f.path.endsWith('.wasm')) wasm += gz(f.contents);
  }
  const fetched = new Set<string>();
  for (const input of Object.keys(out.metafile.inputs)) {
    if (input.startsWith('<')) continue;
    const file = resolve(ROOT, input);
    if (!/\.(m?js|cjs)$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(WASM_URL)) fetched.add(resolve(dirname(file), m[1]));
  }
  for (const f of fetched) wasm += gz(readFileSync(f));
  return { pkg, kind, js, jsRaw, wasm };
}

export async function bundleSizes(): Promise<BundleRow[]> {
  const rows: BundleRow[] = [];
  for (const pkg of PACKAGES) for (const kind of ['map', 'counter', 'set'] as Kind[]) rows.push(await bundleOne(pkg, kind));
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await bundleSizes();
  console.log('package               workload  js min   js gz  wasm gz  total gz (bytes)');
  for (const r of rows) {
    console.log(
      r.pkg.padEnd(22) + r.kind.padEnd(8) + String(r.jsRaw).padStart(8) + String(r.js).padStart(8) + String(r.wasm).padStart(9) + String(r.js + r.wasm).padStart(10),
    );
  }
}
