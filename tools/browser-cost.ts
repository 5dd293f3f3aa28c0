/**
 * What a page's bundle holds, by source file and by layer: the minified bytes each file leaves in Pollen's part of
 * the page's job (targets/browser/build.ts's PAGE_JOB), mqtt.js left out, as the size budget
 * (tests/targets/bundle-size.test.ts) counts it. Gzip does not split by file, so the part's gzip size is given
 * whole; a file's share of the minified bytes is a fair guide to its share of it. Each file's row says why it is
 * there: the shortest chain of imports from the page's job to it (esbuild's metafile), and how many files import it.
 *
 *   npm run browser:cost
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserFiles } from '../targets/browser/build.ts';
import { table } from './cli/table.ts';

/** For each file, the shortest chain of imports that reaches it from the entry (the file nothing imports). */
export function importChains(imports: { [file: string]: string[] }): { [file: string]: string[] } {
  const imported = new Set(Object.values(imports).flat());
  const entries = Object.keys(imports).filter((f) => !imported.has(f));
  const chain: { [file: string]: string[] } = {};
  const queue = entries.slice();
  for (const e of entries) chain[e] = [e];
  while (queue.length) {
    const f = queue.shift()!;
    for (const g of imports[f] ?? []) {
      if (chain[g]) continue;
      chain[g] = chain[f].concat(g);
      queue.push(g);
    }
  }
  return chain;
}

const short = (f: string): string => path.basename(f).replace(/\.ts$/, '');

async function main(): Promise<number> {
  const b = await browserFiles();
  const chains = importChains(b.imports);
  const importers: { [file: string]: number } = {};
  for (const f of Object.keys(b.imports)) for (const g of new Set(b.imports[f])) importers[g] = (importers[g] || 0) + 1;
  const rows = Object.entries(b.files).filter((e) => e[1] > 0).sort((x, y) => y[1] - x[1]);
  const layers: { [layer: string]: number } = {};
  for (const [f, n] of rows) {
    const layer = f.includes('/') ? f.slice(0, f.indexOf('/')) : '(page)';
    layers[layer] = (layers[layer] || 0) + n;
  }
  const pct = (n: number): string => ((100 * n) / b.bytes).toFixed(1) + '%';
  const why = (f: string): string => (chains[f] ? (chains[f].length > 2 ? chains[f].slice(1, -1) : chains[f].slice(0, 1)).map(short).join(' > ') : '?') + (importers[f] > 1 ? ' (+' + (importers[f] - 1) + ' more)' : '');
  process.stdout.write(table(['file', 'bytes', 'share', 'imported through'], rows.map((r) => [r[0], r[1], pct(r[1]), why(r[0])])) + '\n\n');
  process.stdout.write(table(['layer', 'bytes', 'share'], Object.entries(layers).sort((x, y) => y[1] - x[1]).map((r) => [r[0], r[1], pct(r[1])])) + '\n\n');
  process.stdout.write('Pollen\'s part: ' + b.bytes + ' bytes minified, ' + b.gzip + ' gzip -9\n');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then((c) => { process.exitCode = c; }, (e: unknown) => {
    process.stderr.write((e instanceof Error ? e.message : String(e)) + '\n');
    process.exitCode = 1;
  });
}
