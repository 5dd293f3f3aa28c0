/**
 * The live view's page: a force-directed graph (d3-force) of the nodes' active views, Plumtree's eager edges solid
 * and lazy ones dashed, each node coloured by whether its replica holds the most common state, fed by server-sent
 * events (one Frame per update, tools/view/snapshot.ts). Clicking a node shows its views, variables and counters.
 * Bundled by esbuild when the view server starts; runs in any current browser.
 */
import { forceSimulation, forceLink, forceManyBody, forceCenter, forceCollide, type SimulationNodeDatum, type SimulationLinkDatum } from 'd3-force';

interface Snap {
  id: string;
  up: boolean;
  active: string[];
  eager: string[];
  lazy: string[];
  passive: string[];
  vars: { [k: string]: unknown };
  digest: number;
  bytes: { [k: string]: number };
  counters: { [k: string]: number };
}
interface Frame {
  t: number;
  source: string;
  nodes: Snap[];
  divergence: number;
  majority: number;
  totalBytes: number;
}
interface N extends SimulationNodeDatum {
  id: string;
  snap: Snap;
  el?: SVGCircleElement;
  label?: SVGTextElement;
}
interface E extends SimulationLinkDatum<N> {
  key: string;
  kind: 'eager' | 'lazy' | 'active';
  el?: SVGLineElement;
}

const NS = 'http://www.w3.org/2000/svg';
const $ = (id: string) => document.getElementById(id)!;
const svg = $('graph') as unknown as SVGSVGElement;
const gEdges = $('edges');
const gNodes = $('nodes');
const nodes = new Map<string, N>();
let edges: E[] = [];
let selected: string | undefined;
let majority = 0;

const sim = forceSimulation<N>([])
  .force('charge', forceManyBody().strength(-120))
  .force('link', forceLink<N, E>([]).id((d) => d.id).distance(60))
  .force('collide', forceCollide(14))
  .on('tick', draw);

function size(): { w: number; h: number } {
  const r = svg.getBoundingClientRect();
  return { w: r.width || 800, h: r.height || 600 };
}

function colour(s: Snap): string {
  if (!s.up) return '#bbb';
  return s.digest === majority ? '#38a169' : '#dd6b20';
}

/** Edges of a frame: one per unordered pair, eager if either end pushes to the other, else lazy, else active. */
function edgesOf(f: Frame): E[] {
  const by = new Map<string, E>();
  const rank = { eager: 3, lazy: 2, active: 1 };
  const add = (a: string, b: string, kind: E['kind']) => {
    if (!nodes.has(a) || !nodes.has(b) || a === b) return;
    const key = a < b ? a + '|' + b : b + '|' + a;
    const e = by.get(key);
    if (!e) by.set(key, { key, kind, source: a, target: b });
    else if (rank[kind] > rank[e.kind]) e.kind = kind;
  };
  for (const s of f.nodes) {
    if (!s.up) continue;
    for (const p of s.active) add(s.id, p, 'active');
    for (const p of s.lazy) add(s.id, p, 'lazy');
    for (const p of s.eager) add(s.id, p, 'eager');
  }
  return [...by.values()];
}

function apply(f: Frame): void {
  majority = f.majority;
  const { w, h } = size();
  let grew = false;
  for (const s of f.nodes) {
    let n = nodes.get(s.id);
    if (!n) {
      n = { id: s.id, snap: s, x: w / 2 + (Math.random() - 0.5) * 200, y: h / 2 + (Math.random() - 0.5) * 200 };
      n.el = document.createElementNS(NS, 'circle');
      n.el.setAttribute('r', '8');
      n.el.dataset.id = s.id;
      n.el.addEventListener('click', () => select(s.id));
      n.label = document.createElementNS(NS, 'text');
      n.label.setAttribute('class', 'label');
      n.label.textContent = s.id;
      gNodes.append(n.el, n.label);
      nodes.set(s.id, n);
      grew = true;
    }
    n.snap = s;
    n.el!.setAttribute('fill', colour(s));
    n.el!.dataset.state = !s.up ? 'down' : s.digest === f.majority ? 'converged' : 'diverged';
  }
  const next = edgesOf(f);
  const old = new Map(edges.map((e) => [e.key, e]));
  const changed = next.length !== edges.length || next.some((e) => !old.has(e.key) || old.get(e.key)!.kind !== e.kind);
  if (changed || grew) {
    for (const e of edges) e.el?.remove();
    for (const e of next) {
      e.el = document.createElementNS(NS, 'line');
      e.el.setAttribute('class', e.kind);
      e.el.dataset.kind = e.kind;
      e.el.dataset.key = e.key;
      gEdges.append(e.el);
    }
    edges = next;
    sim.nodes([...nodes.values()]);
    (sim.force('link') as ReturnType<typeof forceLink<N, E>>).links(edges);
    sim.force('center', forceCenter(w / 2, h / 2));
    sim.alpha(grew ? 1 : 0.3).restart();
  }
  const up = f.nodes.filter((s) => s.up).length;
  $('source').textContent = f.source;
  $('time').textContent = (f.t / 1000).toFixed(1) + ' s' + (f.source === 'sim' ? ' simulated' : '');
  $('up').textContent = up + ' / ' + f.nodes.length;
  $('edges-count').textContent = edges.filter((e) => e.kind === 'eager').length + ' / ' + edges.filter((e) => e.kind === 'lazy').length;
  $('divergence').textContent = (f.divergence * 100).toFixed(1) + '%';
  $('bytes').textContent = f.totalBytes.toLocaleString('en');
  document.body.dataset.frames = String(Number(document.body.dataset.frames ?? '0') + 1);
  if (selected) detail(selected);
  draw();
}

function draw(): void {
  for (const e of edges) {
    const s = e.source as N;
    const t = e.target as N;
    if (!e.el || typeof s !== 'object' || typeof t !== 'object') continue;
    e.el.setAttribute('x1', String(s.x ?? 0));
    e.el.setAttribute('y1', String(s.y ?? 0));
    e.el.setAttribute('x2', String(t.x ?? 0));
    e.el.setAttribute('y2', String(t.y ?? 0));
  }
  for (const n of nodes.values()) {
    n.el!.setAttribute('cx', String(n.x ?? 0));
    n.el!.setAttribute('cy', String(n.y ?? 0));
    n.label!.setAttribute('x', String((n.x ?? 0) + 10));
    n.label!.setAttribute('y', String((n.y ?? 0) + 4));
  }
}

function row(k: string, v: unknown): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => '&#' + c.charCodeAt(0) + ';');
  return '<tr><td>' + esc(k) + '</td><td>' + esc(typeof v === 'string' ? v : JSON.stringify(v)) + '</td></tr>';
}

function select(id: string): void {
  selected = id;
  for (const n of nodes.values()) n.el!.classList.toggle('selected', n.id === id);
  detail(id);
}

function detail(id: string): void {
  const n = nodes.get(id);
  if (!n) return;
  const s = n.snap;
  $('detail-title').textContent = 'Node ' + id + (s.up ? '' : ' (down)');
  const parts = ['<h2>views</h2><table>', row('active', s.active.join(' ')), row('eager', s.eager.join(' ')), row('lazy', s.lazy.join(' ')), row('passive', s.passive.join(' ')), '</table>'];
  parts.push('<h2>variables</h2><table id="detail-vars">', ...Object.entries(s.vars).map(([k, v]) => row(k, v)), '</table>');
  parts.push('<h2>counters</h2><table>', ...Object.entries(s.counters).map(([k, v]) => row(k, String(v))), '</table>');
  $('detail').innerHTML = parts.join('');
}

const es = new EventSource('events');
es.addEventListener('frame', (m) => {
  $('status').textContent = 'live';
  apply(JSON.parse((m as MessageEvent).data) as Frame);
});
es.addEventListener('end', () => {
  $('status').textContent = 'the run ended';
  es.close();
});
es.onerror = () => ($('status').textContent = 'disconnected; retrying…');
