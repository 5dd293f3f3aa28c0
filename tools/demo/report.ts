/**
 * The demo's closing summary: how long each story took to converge, what every node sent (frames and bytes from
 * its link counters; bytes by message class from the node's own metrics, ARCHITECTURE.md), what crossed the thin
 * link, and the verdict. Read before the cluster closes, since closing sends DISCONNECTs of its own.
 *
 *   const r = summary(cluster, ['updates 98 ms'], true);
 *   console.log(r.lines.join('\n'));   // ... 'All 5 nodes hold the same values.'
 */
import type { DemoCluster } from './cluster.ts';
import { same, show, valuesOf } from './watch.ts';

const CLASSES = ['payload', 'delta', 'state', 'control'];

/** `converged`: every story converged in time; the verdict also checks that every node holds the same values now. */
export function summary(c: DemoCluster, times: string[], converged: boolean): { ok: boolean; lines: string[] } {
  const final = c.nodes.map(valuesOf);
  const ok = converged && final.length === c.ids.length && final.every((v) => same(v, final[0]));
  const lines = [
    ok ? '\nSummary' : '\nSummary (did not converge)',
    '  time to converge: ' + (times.join(', ') || '-'),
    "  sent by each node (frames, bytes: its link counters; by class: the node's own count of what it sent)",
    '  node frames   bytes    ' + CLASSES.map((k) => k.padStart(7)).join(' '),
  ];
  c.nodes.forEach((n, i) => {
    const s = c.sent(i);
    const id = n.id;
    const cls = CLASSES.map((k) => String(s.byClass[k]).padStart(7)).join(' ');
    lines.push('  ' + id.padEnd(4) + String(s.frames).padStart(7) + String(s.bytes).padStart(8) + '    ' + cls);
  });
  if (c.thin) lines.push('  of which on the thin link n0 -> n1: ' + c.thin.counters.framesOut + ' frames, ' + c.thin.counters.bytesOut + ' bytes');
  lines.push(ok ? '\nAll ' + c.ids.length + ' nodes hold the same values.' : '\nThe nodes do not hold the same values: ' + final.map(show).join(' | '));
  return { ok, lines };
}
