/**
 * What a page's bundle holds, by source file and by layer: the minified bytes each file leaves in Pollen's part of
 * the page's job (targets/browser/build.ts's PAGE_JOB), mqtt.js left out, as the size budget
 * (tests/targets/bundle-size.test.ts) counts it. Gzip does not split by file, so the part's gzip size is given
 * whole; a file's share of the minified bytes is a fair guide to its share of it.
 *
 *   npm run browser:cost
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserFiles } from '../targets/browser/build.ts';
import { table } from './cli/table.ts';

async function main(): Promise<number> {
  const b = await browserFiles();
  const rows = Object.entries(b.files).filter((e) => e[1] > 0).sort((x, y) => y[1] - x[1]);
  const layers: { [layer: string]: number } = {};
  for (const [f, n] of rows) {
    const layer = f.includes('/') ? f.slice(0, f.indexOf('/')) : '(page)';
    layers[layer] = (layers[layer] || 0) + n;
  }
  const pct = (n: number): string => ((100 * n) / b.bytes).toFixed(1) + '%';
  process.stdout.write(table(['file', 'bytes', 'share'], rows.map((r) => [r[0], r[1], pct(r[1])])) + '\n\n');
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
