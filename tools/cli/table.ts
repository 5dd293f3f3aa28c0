/**
 * The one table printer of the CLI and the benches: Markdown pipe tables (they read well on a terminal and paste
 * into BENCHMARKS.md and reports as they are), columns padded to their widest cell, numbers right-aligned.
 *
 *   table(['nodes', 'RMR'], [[20, '0.012'], [100, '0.031']]);
 *   // | nodes | RMR   |
 *   // | ----: | ----: |
 *   // |    20 | 0.012 |
 */
export type Cell = string | number | boolean | null | undefined;

function text(c: Cell): string {
  if (c === null || c === undefined) return '–';
  if (typeof c === 'number') return Number.isFinite(c) ? String(c) : '–';
  return String(c);
}

/** A cell that reads as a number (digits, a sign, a point, a unit suffix such as % or ms) is right-aligned. */
function numeric(s: string): boolean {
  return /^[-+]?[\d.,]+(e[-+]?\d+)?\s?(%|ms|s|B|kB|MB|×)?$/.test(s) || s === '–';
}

export function table(head: string[], rows: Cell[][]): string {
  const cells = rows.map((r) => head.map((_, k) => text(r[k])));
  const width = head.map((h, k) => Math.max(3, h.length, ...cells.map((r) => r[k].length)));
  const right = head.map((_, k) => cells.length > 0 && cells.every((r) => numeric(r[k])));
  const pad = (s: string, k: number) => (right[k] ? s.padStart(width[k]) : s.padEnd(width[k]));
  const line = (r: string[]) => '| ' + r.map(pad).join(' | ') + ' |';
  const rule = '| ' + width.map((w, k) => (right[k] ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ') + ' |';
  return [line(head), rule, ...cells.map(line)].join('\n');
}

/** A number with `d` decimals, '–' when it is not finite (a missing figure is never printed as 0). */
export function fmt(x: number, d = 2): string {
  return Number.isFinite(x) ? x.toFixed(d) : '–';
}
