/**
 * The browser bundle's size budget. What is measured is a page's job, the same as the Yjs page it is compared
 * with: targets/browser/build.ts's PAGE_JOB (a basket kept in IndexedDB, synced over MQTT WebSockets through a
 * gateway, observed and changed once) bundled with what it imports, as a page author's bundler would. The page is
 * a client profile (targets/browser/page.ts: client-server membership, anti-entropy, the one CRDT type it names),
 * so the bundle holds no HyParView, Plumtree, dataflow or other types. It has two parts: Pollen's own code and
 * mqtt.js's browser build, measured apart by building again with mqtt.js left out. Sizes are minified bytes and
 * gzip -9 bytes, as BENCHMARKS.md measures bundles; `npm run browser:cost` shows Pollen's part by source file.
 *
 * The yardstick is Yjs doing the same job in a page: a document synced over WebSockets (y-websocket) and kept in
 * IndexedDB (y-indexeddb), bundled here the same way. The aim in issue 15 is Pollen's part ≤ ⅓ of it. It is not
 * met yet: the runtime core with one type (node, anti-entropy, client-server membership, the codec, the OR-Set's
 * core and causal context; no link, no store) is about 15.2 KB gzip by itself, 1.6 times the aim. So this test prints where the aim stands and holds the
 * bundle to ceilings just above today's sizes: growth has to be a decision, made by changing a number here, not
 * an accident. When the aim is met, the ceiling becomes the aim.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildBrowser, PAGE_JOB } from '../../targets/browser/build.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Ceilings in gzip -9 bytes. Pollen's part of the page's job was 47,362 with the full node (every part, every type),
 * 27,256 as the client profile, and 21,315 with the page's own MQTT link and closures and the types' core tables
 * (targets/browser/mqtt.ts, page.ts, index.ts); the whole job 127,276. The room above (about 3%) is for fixes, not
 * for drift: past it, decide and change the number.
 */
const POLLEN_GZIP_MAX = 22_000;
const TOTAL_GZIP_MAX = 131_000;
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

test('a page\'s job bundle stays within its ceilings; where it stands against Yjs for the same job', async () => {
  const built = await buildBrowser({ measure: true, job: PAGE_JOB });
  const b = { ...built, pollen: built.pollen! };
  const y = await yjsJob();
  const link = { bytes: b.bytes - b.pollen.bytes, gzip: b.gzip - b.pollen.gzip };
  console.log('  the page\'s job: ' + b.bytes + ' bytes minified, ' + b.gzip + ' gzip');
  console.log('    Pollen part: ' + b.pollen.bytes + ' minified, ' + b.pollen.gzip + ' gzip; mqtt.js: ' + link.bytes + ' minified, ' + link.gzip + ' gzip');
  console.log('  Yjs + y-websocket + y-indexeddb: ' + y.bytes + ' minified, ' + y.gzip + ' gzip');
  const ratio = b.pollen.gzip / y.gzip;
  console.log('  Pollen part ÷ Yjs job (gzip): ' + ratio.toFixed(2) + '; aim ≤ ' + AIM.toFixed(2) + ' (' + Math.floor(y.gzip * AIM) + ' bytes): ' + (ratio <= AIM ? 'met' : 'not met'));
  assert.ok(b.pollen.bytes > 10_000 && y.gzip > 10_000, 'both bundles were really built');
  assert.ok(b.pollen.gzip <= POLLEN_GZIP_MAX, 'Pollen part ' + b.pollen.gzip + ' ≤ ' + POLLEN_GZIP_MAX + ' gzip bytes');
  assert.ok(b.gzip <= TOTAL_GZIP_MAX, 'whole bundle ' + b.gzip + ' ≤ ' + TOTAL_GZIP_MAX + ' gzip bytes');
});

test.run();
