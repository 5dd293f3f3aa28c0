/**
 * The browser bundle's size budget. The bundle (targets/browser/build.ts) has two parts: Pollen's own code (the
 * runtime, the node driver, the MQTT link code, the IndexedDB store, the page API) and mqtt.js's browser build,
 * measured apart by building the bundle again with mqtt.js left out. Sizes are minified bytes and gzip -9 bytes,
 * as BENCHMARKS.md measures bundles.
 *
 * The yardstick is Yjs doing the same job in a page: a document synced over WebSockets (y-websocket) and kept in
 * IndexedDB (y-indexeddb), bundled here the same way. The aim in issue 15 was Pollen ≤ ⅓ of it; it is not met
 * (Pollen's part alone is larger than all of Yjs's job: the runtime carries membership, Plumtree, anti-entropy,
 * dataflow and every CRDT type), so this test prints where the aim stands and holds the bundle to ceilings just
 * above today's sizes: growth has to be a decision, made by changing a number here, not an accident.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildBrowser } from '../../targets/browser/build.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Ceilings in gzip -9 bytes. Pollen's part was 37,891 on the first build and 43,436 after main brought the
 * composed node, the crash-safe store and interest sets; the whole bundle 149,684. The room above (about 10% and
 * 4%) is for the work still being merged (cluster keys), not for drift: past it, decide and change the number.
 * 49,000 (was 48,000, at 47,362): the board's core tables of the PN-Counter, OR-Set and LWW (crdt/core.ts) sit
 * beside the full ones the browser registers, about 1,400 bytes.
 */
const POLLEN_GZIP_MAX = 49_000;
const TOTAL_GZIP_MAX = 156_000;
/** The aim: Pollen's part at most this fraction of Yjs's bundle for the same job (reported, not yet met). */
const AIM = 1 / 3;

const YJS_JOB = `import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { IndexeddbPersistence } from 'y-indexeddb';
const doc = new Y.Doc();
new IndexeddbPersistence('basket', doc);
new WebsocketProvider('ws://127.0.0.1:1234', 'basket', doc);
const m = doc.getMap('basket');
m.observe(() => { globalThis.v = m.toJSON(); });
m.set('milk', true);`;

async function yjsJob(): Promise<{ bytes: number; gzip: number }> {
  const r = await build({
    stdin: { contents: YJS_JOB, resolveDir: ROOT, loader: 'js', sourcefile: 'yjs-job.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const code = r.outputFiles[0].contents;
  return { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

test('the browser bundle stays within its ceilings; where it stands against Yjs for the same job', async () => {
  const built = await buildBrowser({ measure: true });
  const b = { ...built, pollen: built.pollen! };
  const y = await yjsJob();
  const link = { bytes: b.bytes - b.pollen.bytes, gzip: b.gzip - b.pollen.gzip };
  console.log('  browser bundle: ' + b.bytes + ' bytes minified, ' + b.gzip + ' gzip');
  console.log('    Pollen part: ' + b.pollen.bytes + ' minified, ' + b.pollen.gzip + ' gzip; mqtt.js: ' + link.bytes + ' minified, ' + link.gzip + ' gzip');
  console.log('  Yjs + y-websocket + y-indexeddb: ' + y.bytes + ' minified, ' + y.gzip + ' gzip');
  const ratio = b.pollen.gzip / y.gzip;
  console.log('  Pollen part ÷ Yjs job (gzip): ' + ratio.toFixed(2) + '; aim ≤ ' + AIM.toFixed(2) + ' (' + Math.floor(y.gzip * AIM) + ' bytes): ' + (ratio <= AIM ? 'met' : 'not met'));
  assert.ok(b.pollen.bytes > 10_000 && y.gzip > 10_000, 'both bundles were really built');
  assert.ok(b.pollen.gzip <= POLLEN_GZIP_MAX, 'Pollen part ' + b.pollen.gzip + ' ≤ ' + POLLEN_GZIP_MAX + ' gzip bytes');
  assert.ok(b.gzip <= TOTAL_GZIP_MAX, 'whole bundle ' + b.gzip + ' ≤ ' + TOTAL_GZIP_MAX + ' gzip bytes');
});

test.run();
