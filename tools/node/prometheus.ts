/**
 * A node's metrics in the Prometheus text exposition format (version 0.0.4), named after Prometheus conventions:
 * a `pollen_` prefix, base units in the name (`_bytes`, `_seconds`), `_total` on counters, labels for what
 * varies (link, class, reason, view).
 *
 *   pollen_link_bytes_sent_total{link="mqtt",class="delta"} 1234
 *   pollen_dropped_total{reason="decode"} 2
 *   pollen_view_peers{view="active"} 5
 *
 * The node's own counters (runtime/node.ts metrics(): pt.*, hv.*, ae.*, …) are all exported, each as
 * pollen_<name>_total with dots turned into underscores, so a new counter in the runtime shows up without a change
 * here; the names below are the ones given a better shape (labels, units, gauges).
 */
import type { PollenDriver } from '../../transports/driver.ts';
import { CLASSES, type MeteredLink } from './meter.ts';

export interface Extra {
  /** Link errors by link kind and LinkError code, counted from the driver's linkError events. */
  linkErrors: { [kindAndCode: string]: number };
  /** Unix ms of the last change of any variable here (0: none yet). */
  lastChange: number;
  /** Size of the store file in bytes, when there is one. */
  storeBytes?: number;
  /** More samples to add as they are (the bridge's Homie counters). */
  more?: Sample[];
}

export interface Sample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labels?: { [k: string]: string };
  value: number;
}

/** Gauges among the node's metrics, with their exported name and labels. */
const GAUGES: { [k: string]: [string, { [k: string]: string }, string] } = {
  'view.active': ['pollen_view_peers', { view: 'active' }, 'Peers in a membership view.'],
  'view.passive': ['pollen_view_peers', { view: 'passive' }, 'Peers in a membership view.'],
  'ae.buffer.entries': ['pollen_antientropy_buffer_entries', {}, 'Deltas held for neighbours that have not acknowledged them (a queue depth).'],
  'ae.buffer.bytes': ['pollen_antientropy_buffer_bytes', {}, 'Bytes of deltas held for neighbours.'],
  'store.vars': ['pollen_store_variables', {}, 'Variables declared on this node.'],
};

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function name(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_');
}

/** Render samples grouped by metric name, each with its HELP and TYPE once. */
export function render(samples: Sample[]): string {
  const by = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = by.get(s.name);
    if (list) list.push(s);
    else by.set(s.name, [s]);
  }
  const out: string[] = [];
  for (const [n, list] of [...by.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    out.push('# HELP ' + n + ' ' + list[0].help, '# TYPE ' + n + ' ' + list[0].type);
    for (const s of list) {
      const ls = Object.entries(s.labels ?? {}).map(([k, v]) => k + '="' + esc(v) + '"');
      out.push(n + (ls.length ? '{' + ls.join(',') + '}' : '') + ' ' + (Number.isFinite(s.value) ? String(s.value) : 'NaN'));
    }
  }
  return out.join('\n') + '\n';
}

/** Every sample of a running node. */
export function samples(d: PollenDriver, links: MeteredLink[], x: Extra): Sample[] {
  const s: Sample[] = [];
  const m = d.metrics();
  s.push({ name: 'pollen_node_info', help: 'The node: 1, with its id and membership manager as labels.', type: 'gauge', labels: { id: d.id, membership: d.node.mem.name }, value: 1 });
  s.push({ name: 'pollen_node_incarnation', help: 'The life number of this node (grows at every start).', type: 'gauge', value: d.incarnation });
  s.push({ name: 'pollen_neighbors', help: 'Current neighbours (the active view).', type: 'gauge', value: d.neighbors().length });
  s.push({ name: 'pollen_last_change_timestamp_seconds', help: 'When a variable here last changed (0: never); now minus this is how long the replica has been still.', type: 'gauge', value: x.lastChange / 1000 });
  if (x.storeBytes !== undefined) s.push({ name: 'pollen_store_file_bytes', help: 'Size of the store file.', type: 'gauge', value: x.storeBytes });
  // Per link: traffic by direction and class, drops and errors.
  const seen: { [k: string]: number } = {};
  links.forEach((l) => {
    seen[l.kind] = (seen[l.kind] ?? 0) + 1;
    const link = seen[l.kind] > 1 ? l.kind + '.' + (seen[l.kind] - 1) : l.kind;
    for (const dir of ['in', 'out'] as const) {
      const verb = dir === 'in' ? 'received' : 'sent';
      for (const cls of CLASSES) {
        const t = l.byClass[dir][cls];
        s.push({ name: 'pollen_link_frames_' + verb + '_total', help: 'Frames ' + verb + ' on a link, by traffic class.', type: 'counter', labels: { link, class: cls }, value: t.frames });
        s.push({ name: 'pollen_link_bytes_' + verb + '_total', help: 'Bytes ' + verb + ' on a link, by traffic class.', type: 'counter', labels: { link, class: cls }, value: t.bytes });
      }
    }
    s.push({ name: 'pollen_link_dropped_total', help: 'Frames a link did not send or deliver (queue full, unreachable, oversize, closed).', type: 'counter', labels: { link }, value: l.counters.dropped });
    s.push({ name: 'pollen_link_peers', help: 'Peers a link reaches now.', type: 'gauge', labels: { link }, value: l.peers().length });
  });
  for (const [k, v] of Object.entries(x.linkErrors)) {
    const [link, code] = k.split('|');
    s.push({ name: 'pollen_link_errors_total', help: 'Link errors and drops reported, by link and reason.', type: 'counter', labels: { link, reason: code }, value: v });
  }
  for (const [k, v] of Object.entries(m)) {
    if (k.startsWith('link.')) continue; // exported above, with labels
    const g = GAUGES[k];
    if (g) s.push({ name: g[0], help: g[2], type: 'gauge', labels: g[1], value: v });
    else if (k.startsWith('bytes.') && k !== 'bytes.in') s.push({ name: 'pollen_sent_bytes_total', help: 'Bytes the node sent, by traffic class.', type: 'counter', labels: { class: k.slice(6) }, value: v });
    else if (k.startsWith('msgs.')) s.push({ name: 'pollen_sent_messages_total', help: 'Messages the node sent, by traffic class.', type: 'counter', labels: { class: k.slice(5) }, value: v });
    else if (k === 'bytes.in') s.push({ name: 'pollen_received_bytes_total', help: 'Bytes of frames the node received.', type: 'counter', value: v });
    else if (k === 'frames.in') s.push({ name: 'pollen_received_frames_total', help: 'Frames the node received.', type: 'counter', value: v });
    else if (k.startsWith('dropped.')) s.push({ name: 'pollen_dropped_total', help: 'Frames and messages the node dropped, by reason (decode errors among them).', type: 'counter', labels: { reason: k.slice(8) }, value: v });
    else if (k === 'dropped') continue;
    else s.push({ name: 'pollen_' + name(k) + '_total', help: 'The runtime counter ' + k + '.', type: 'counter', value: v });
  }
  if (x.more) s.push(...x.more);
  return s;
}
