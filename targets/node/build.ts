/**
 * The pack-time build (`npm pack` and `npm publish` run it as `prepack`): the package ships JavaScript in dist/,
 * not TypeScript, so an install on a Raspberry Pi needs neither tsx nor a compiler to run `pollen`.
 *
 *   npx tsx targets/node/build.ts          # writes dist/ (and prints what it wrote)
 *
 * What it writes:
 *   dist/cli.js, dist/run-node.js    the `pollen` command (tools/pollen.js loads cli.js) and the one-node runner;
 *                                    each subcommand is its own chunk (dist/chunks/), loaded when it is asked for
 *   dist/index.js                    the Node library entry (targets/node/index.ts): driver, links, broker
 *   dist/serial.js, dist/ble.js      the serial and BLE links, apart so their native modules load only on use
 *   dist/crdt.js, dist/runtime.js    the CRDT library and the sans-IO runtime on their own
 *   dist/browser.js                  the browser bundle (targets/browser/build.ts), mqtt.js included
 *   dist/report-job.js               `pollen report`'s worker process (tools/report/job.ts)
 *   dist/view/index.html, app.js     `pollen view`'s page and its script (tools/view/page/), d3-force included
 *
 * npm packages stay imports (`packages: 'external'`): they are the package's dependencies, installed beside it,
 * and the native ones among them (serialport, BLE) come with prebuilt binaries for linux-arm and linux-arm64.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildBrowser } from '../browser/build.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'dist');

/** The Node entries, by output name. */
const ENTRIES: { [out: string]: string } = {
  cli: 'tools/cli.ts',
  'run-node': 'tools/run-node.ts',
  index: 'targets/node/index.ts',
  serial: 'transports/serial.ts',
  ble: 'transports/ble.ts',
  crdt: 'crdt/index.ts',
  runtime: 'runtime/index.ts',
  'report-job': 'tools/report/job.ts',
};

export async function buildDist(): Promise<string[]> {
  rmSync(DIST, { recursive: true, force: true });
  const entryPoints: { in: string; out: string }[] = [];
  for (const out of Object.keys(ENTRIES)) entryPoints.push({ in: join(ROOT, ENTRIES[out]), out });
  const r = await build({
    entryPoints,
    outdir: DIST,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // Readable output with names intact: stack traces from a Pi should point somewhere a person can follow.
    minify: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
  });
  await buildBrowser({ outfile: join(DIST, 'browser.js') });
  // The live view's page is served as files by an installed `pollen view`, which has no TypeScript to bundle.
  const view = join(DIST, 'view');
  mkdirSync(view, { recursive: true });
  // As tools/view/server.ts's bundlePage does in a checkout (a path, not an import: targets do not import tools).
  const page = await build({ entryPoints: [join(ROOT, 'tools/view/page/app.ts')], bundle: true, write: false, format: 'iife', target: 'es2020', minify: true, logLevel: 'warning' });
  writeFileSync(join(view, 'app.js'), page.outputFiles[0].contents);
  copyFileSync(join(ROOT, 'tools/view/page/index.html'), join(view, 'index.html'));
  const more = ['browser.js', 'view/app.js', 'view/index.html'].map((f) => join(DIST, f));
  return Object.keys(r.metafile.outputs).concat(more).map((f) => relative(ROOT, join(ROOT, f)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildDist();
  console.log('pollen build: ' + files.length + ' files in dist/');
}
