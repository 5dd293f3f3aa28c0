/**
 * Builds the browser bundle: targets/browser/index.ts and everything it imports (the runtime, the node driver,
 * the MQTT link on mqtt.js's own browser build) as one minified ES module.
 *
 *   const b = await buildBrowser({ outfile: 'dist/browser.js' });   // or no outfile: only the bytes
 *   b.bytes; b.gzip;            // the whole bundle
 *   (await buildBrowser({ measure: true })).pollen;  // { bytes, gzip } of the bundle with mqtt.js left out
 *
 * Node built-ins that shared code imports are replaced by the small files in targets/browser/shims/ (the driver's
 * file store, seed and epoch); any other `node:` import fails the build, naming the module, rather than shipping code that
 * breaks in the page.
 */
import { gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const ENTRY = join(HERE, 'index.ts');
/** What a server that compresses static files would send: gzip level 9, as BENCHMARKS.md measures bundles. */
const GZIP_LEVEL = 9;

const SHIMS: { [mod: string]: string } = {
  'node:crypto': join(HERE, 'shims/node-crypto.ts'),
  'node:fs/promises': join(HERE, 'shims/node-fs.ts'),
  'node:path': join(HERE, 'shims/node-path.ts'),
};

const nodeShims: Plugin = {
  name: 'pollen-node-shims',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      const shim = SHIMS[args.path];
      if (shim) return { path: shim };
      return { errors: [{ text: args.importer + ' imports ' + args.path + ', which a browser lacks: add a shim to targets/browser/shims/ or keep it out of the browser entry' }] };
    });
  },
};

export interface Size {
  /** Minified bytes. */
  bytes: number;
  /** Those bytes after gzip -9. */
  gzip: number;
}

/**
 * The page's job that the size budget measures (tests/targets/bundle-size.test.ts), the same job as the Yjs page
 * it is compared with: a basket kept in IndexedDB and synced over WebSockets, observed, and changed once.
 */
export const PAGE_JOB = `import { connect, ORSet } from './index.ts';
connect({ url: 'ws://127.0.0.1:1234', root: 'basket/pages', types: [ORSet] }).then((p) => {
  p.declare('basket', 'orset');
  p.on('changed', () => { globalThis.v = p.query('basket'); });
  p.update('basket', 'add', ['milk']);
});`;

async function bundle(external: string[], job?: string, metafile = false): Promise<{ code: Uint8Array; files: { [file: string]: number }; imports: { [file: string]: string[] } }> {
  const r = await build({
    metafile,
    ...(job === undefined ? { entryPoints: [ENTRY] } : { stdin: { contents: job, resolveDir: HERE, loader: 'ts', sourcefile: 'page-job.ts' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    external,
    plugins: [nodeShims],
    logLevel: 'silent',
    legalComments: 'none',
  });
  const files: { [file: string]: number } = {};
  const imports: { [file: string]: string[] } = {};
  if (r.metafile) {
    const inputs = Object.values(r.metafile.outputs)[0].inputs;
    for (const f of Object.keys(inputs)) files[f] = inputs[f].bytesInOutput;
    for (const f of Object.keys(r.metafile.inputs)) imports[f] = r.metafile.inputs[f].imports.filter((i) => !i.external).map((i) => i.path);
  }
  return { code: r.outputFiles[0].contents, files, imports };
}

/**
 * Pollen's part of a page's bundle (mqtt.js left out) by source file: minified bytes each file leaves in it, what
 * each file imports (esbuild's metafile, the files read whether or not anything of them is left), and the part's
 * size. For `npm run browser:cost`, to see what a profile carries and why.
 */
export async function browserFiles(job: string = PAGE_JOB): Promise<{ files: { [file: string]: number }; imports: { [file: string]: string[] } } & Size> {
  const b = await bundle(['mqtt'], job, true);
  return { files: b.files, imports: b.imports, ...size(b.code) };
}

const size = (b: Uint8Array): Size => ({ bytes: b.length, gzip: gzipSync(b, { level: GZIP_LEVEL }).length });

/**
 * Build the bundle (every export of targets/browser/index.ts; with `job`, a page's own code bundled with what it
 * imports from there, e.g. PAGE_JOB); `pollen` (Pollen's part alone, a second build) only when `measure` is set.
 */
export async function buildBrowser(o: { outfile?: string; measure?: boolean; job?: string } = {}): Promise<{ code: Uint8Array; pollen?: Size } & Size> {
  const code = (await bundle([], o.job)).code;
  const pollen = o.measure ? size((await bundle(['mqtt'], o.job)).code) : undefined;
  if (o.outfile) {
    mkdirSync(dirname(o.outfile), { recursive: true });
    writeFileSync(o.outfile, code);
  }
  return { code, pollen, ...size(code) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b = await buildBrowser({ outfile: process.argv[2], measure: true });
  const p = b.pollen!;
  console.log(JSON.stringify({ bytes: b.bytes, gzip: b.gzip, pollen: p, mqtt: { bytes: b.bytes - p.bytes, gzip: b.gzip - p.gzip } }));
}
