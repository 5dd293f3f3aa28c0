/**
 * Files a command runs apart from itself (a worker process, a page's script): TypeScript beside the command in a
 * source checkout, or the JavaScript that targets/node/build.ts wrote into dist/ at pack time in an installed
 * package, which ships no TypeScript. In dist/, a command's code sits in dist/ or in dist/chunks/ (esbuild's code
 * splitting), so the built file is looked for in both.
 *
 *   const job = packed(import.meta.url, './job.ts', 'report-job.js');
 *   spawn(process.execPath, job.ts ? ['--import', 'tsx', job.path] : [job.path]);
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packed(here: string, source: string, built: string): { path: string; ts: boolean } {
  const src = fileURLToPath(new URL(source, here));
  if (existsSync(src)) return { path: src, ts: true };
  const dir = dirname(fileURLToPath(here));
  for (const p of [join(dir, built), join(dir, '..', built)]) if (existsSync(p)) return { path: p, ts: false };
  throw new Error('pollen: neither ' + src + ' nor dist/' + built + ' is here: the package was packed without its build (run npm run build)');
}
