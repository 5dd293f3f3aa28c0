/**
 * What every BENCHMARKS.md section records about its run, and the one way to write a section: each bench owns
 * the text between its own markers (`<!-- bench:peers start -->` … `<!-- bench:peers end -->`), so benches can
 * rewrite their figures without touching each other's.
 *
 *   writeSection('BENCHMARKS.md', 'bench:protocol', '<!-- bench:protocol start -->\n…\n<!-- bench:protocol end -->');
 *   machine();   // "AMD EPYC, 2 cores, 23.5 GiB, Node v20.20.2, linux-x64"
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A package's version as installed (node_modules), or the project's own for "pollen". */
export function version(pkg: string): string {
  const file = pkg === 'pollen' ? join(ROOT, 'package.json') : join(ROOT, 'node_modules', pkg, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export function machine(): string {
  const c = cpus();
  return (c[0]?.model ?? 'unknown cpu') + ', ' + c.length + ' cores, ' + (totalmem() / 2 ** 30).toFixed(1) + ' GiB, Node ' + process.version + ', ' + process.platform + '-' + process.arch;
}

/** Replace the section between the markers of `name` (or append it), keeping everything else in the file. */
export function writeSection(file: string, name: string, section: string): void {
  const start = '<!-- ' + name + ' start -->';
  const end = '<!-- ' + name + ' end -->';
  if (!section.startsWith(start) || !section.endsWith(end)) throw new Error('a ' + name + ' section must sit between its markers');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures measured on this repository; each section names the command that wrote it.\n';
  const a = old.indexOf(start);
  const b = old.indexOf(end);
  const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + end.length) : old.replace(/\s*$/, '\n\n') + section + '\n';
  writeFileSync(file, next);
}
