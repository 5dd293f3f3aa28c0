/**
 * `npm run bench:peers`: Pollen beside Yjs, Automerge and Loro on the same workloads, in one process run, and the
 * figures written to BENCHMARKS.md (the section between the bench:peers markers; other sections are kept).
 * Not a test: it asserts only that every library ends with the same value, so no figure compares unequal work.
 *
 *   node --expose-gc --import tsx tools/bench/peers.ts              # the issue's sizes, 7 repetitions
 *   node --expose-gc --import tsx tools/bench/peers.ts --reps 9     # more repetitions
 *   node --expose-gc --import tsx tools/bench/peers.ts --quick      # tiny sizes, prints only (a smoke run)
 *   node --expose-gc --import tsx tools/bench/peers.ts --progress   # a progress bar on stderr even when it is not a terminal
 *
 * Per workload (tools/bench/peers/workload.ts) and library: the messages' total bytes, the final document's
 * bytes, the merge time (a fresh receiver, or for the set workload each replica, applies everything), save and
 * load time of the final document, and memory: the final document loaded in a fresh child process
 * (MEMORY_COPIES times, divided back), JS heap plus external memory (where WebAssembly memory shows) after GC,
 * over a baseline taken after a small warm-up.
 * Times are medians of the repetitions after one untimed warm-up run, with a full GC before each one; the
 * libraries take turns within each repetition (timedAll), so a busy machine slows all of them alike.
 *
 * Ratios are Pollen ÷ the peer's figure, so below 1 means Pollen needs less (bytes, time, memory).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type BundleRow, bundleSizes } from './bundle.ts';
import { automerge } from './peers/automerge.ts';
import { loro } from './peers/loro.ts';
import { mapDeltaExample, pollen, SPECS } from './peers/pollen.ts';
import {
  type AnyPeer, type Kind, type Run, type Sizes, FULL, MAP_KEY, churnExpected, churnScript, counterWorkload, mapWorkload, setWorkload,
} from './peers/workload.ts';
import { machine, ROOT, version, writeSection } from './peers/report.ts';
import { median } from './stats.ts';
import { yjs } from './peers/yjs.ts';
import { encode } from '../../crdt/codec/cbor.ts';
import { parse, num } from '../cli/args.ts';
import { progress } from '../cli/progress.ts';

const SELF = fileURLToPath(import.meta.url);

/** Timed repetitions per measurement (after one warm-up); odd, so the median is a measured value. */
export const DEFAULT_REPS = 7;
/** Seed of the set churn script. */
export const SEED = 6;
/** Tiny sizes for --quick: every code path in a few seconds (most of it compiling Automerge's and Loro's wasm). */
export const QUICK: Sizes = { mapWriters: 40, counterReplicas: 30, counterIncs: 3, setReplicas: 3, setElements: 40, setOps: 300 };

export const KINDS: Kind[] = ['map', 'counter', 'set'];

/** Every library in the run; the first (Pollen as the runtime uses it) is the one the ratios are computed for. */
export function allPeers(): AnyPeer[] {
  return [pollen('portable'), yjs(1), yjs(2), automerge(), loro()];
}

/** Pollen run other ways, reported in a table of their own: the Node codec, a batch merge, and a map of clock-based LWW registers. */
export function variants(): AnyPeer[] {
  return [pollen('cbor-x'), pollen('portable', 'tree'), pollen('portable', 'fold', 'lww')];
}

export interface Figures {
  /** Messages the workload sent (updates, or sync payloads). */
  messages: number;
  /** Their total bytes. */
  updateBytes: number;
  /** save() of the final replica. */
  docBytes: number;
  /** Medians, milliseconds. */
  mergeMs: number;
  encodeMs: number;
  decodeMs: number;
  /** Bytes held by the loaded final document after GC; null when not measured (Pollen's variants, the test). */
  memBytes: number | null;
  /** Every repetition, for the record. */
  mergeRuns: number[];
}

export type Results = { [peer: string]: { [k in Kind]: Figures } };

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/**
 * Time one step of every library, interleaved: one untimed call each, then per repetition each library once, the
 * order rotated every repetition, with a full GC before each call. The machine may be shared, so load that comes
 * and goes lands on every library alike instead of on whichever ran at that moment. `setup` runs untimed.
 */
function timedAll<T>(reps: number, n: number, setup: (i: number) => T, f: (i: number, x: T) => void): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    f(i, setup(i));
    out.push([]);
  }
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < n; k++) {
      const i = (k + r) % n;
      const x = setup(i);
      gc();
      const t0 = performance.now();
      f(i, x);
      out[i].push(performance.now() - t0);
    }
  }
  return out;
}

/** The value each workload must end with, whatever the library: checked before any figure is kept. */
export function expectedValue(kind: Kind, s: Sizes, churn: string[]): unknown {
  if (kind === 'map') return { [MAP_KEY]: s.mapWriters - 1 };
  if (kind === 'counter') return s.counterReplicas * s.counterIncs;
  return churn;
}

export function valueOf(p: AnyPeer, kind: Kind, d: unknown): unknown {
  return kind === 'map' ? p.mapValue(d) : kind === 'counter' ? p.counterValue(d) : p.setValue(d);
}

export function runOf(p: AnyPeer, kind: Kind, s: Sizes, seed: number): Run<unknown> {
  if (kind === 'map') return mapWorkload(p, s.mapWriters);
  if (kind === 'counter') return counterWorkload(p, s.counterReplicas, s.counterIncs);
  return setWorkload(p, s, churnScript(s, seed).ops);
}

/** Memory of the final document, loaded in a fresh process (see the module comment). */
function memoryOf(p: AnyPeer, kind: Kind, bytes: Uint8Array, dir: string): number {
  const file = join(dir, kind + '.bin');
  writeFileSync(file, bytes);
  const r = spawnSync(process.execPath, [...process.execArgv, SELF, '--memory', p.name, kind, file], { cwd: ROOT, encoding: 'utf8' });
  const m = /^memory (\d+)$/m.exec(r.stdout);
  if (r.status !== 0 || m === null) throw new Error('memory probe for ' + p.name + ' ' + kind + ' failed: ' + r.stderr + r.stdout);
  return Number(m[1]);
}

/**
 * Run every workload on every library, timing them interleaved (timedAll). `memDir` null skips the memory
 * probes; `probe` says which libraries get one. `log` hears progress.
 */
export function measureAll(
  peers: AnyPeer[], s: Sizes, reps: number, seed: number, memDir: string | null,
  probe: (p: AnyPeer) => boolean = () => true, log: (line: string) => void = () => {},
): Results {
  const churn = churnExpected(churnScript(s, seed).ops);
  const results: Results = {};
  for (const p of peers) results[p.name] = {} as { [k in Kind]: Figures };
  const decodeId = s.mapWriters + s.counterReplicas;
  for (const kind of KINDS) {
    const t0 = performance.now();
    const runs = peers.map((p) => runOf(p, kind, s, seed));
    const finals: unknown[] = peers.map(() => null);
    const merge = timedAll(reps, peers.length, (i) => runs[i].prepare(), (i, ds) => {
      finals[i] = runs[i].merge(ds);
    });
    peers.forEach((p, i) => {
      const got = valueOf(p, kind, finals[i]);
      const want = expectedValue(kind, s, churn);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(p.name + ' ' + kind + ': final value ' + JSON.stringify(got).slice(0, 200) + ' is not ' + JSON.stringify(want).slice(0, 200));
      }
    });
    const saved = peers.map((p, i) => p.save(finals[i]));
    const enc = timedAll(reps, peers.length, (i) => finals[i], (i, d) => peers[i].save(d));
    const dec = timedAll(reps, peers.length, (i) => saved[i], (i, b) => peers[i].load(b, decodeId, kind));
    peers.forEach((p, i) => {
      results[p.name][kind] = {
        messages: runs[i].updates.length,
        updateBytes: runs[i].updates.reduce((a, u) => a + u.length, 0),
        docBytes: saved[i].length,
        mergeMs: median(merge[i]),
        encodeMs: median(enc[i]),
        decodeMs: median(dec[i]),
        memBytes: memDir !== null && probe(p) ? memoryOf(p, kind, saved[i], memDir) : null,
        mergeRuns: merge[i],
      };
    });
    log(kind + ': ' + ((performance.now() - t0) / 1000).toFixed(1) + ' s');
    gc();
  }
  return results;
}

// ---- tables ----

export type Metric = 'updateBytes' | 'messages' | 'docBytes' | 'mergeMs' | 'encodeMs' | 'decodeMs' | 'memBytes';

export const METRICS: { key: Metric; label: string }[] = [
  { key: 'messages', label: 'messages sent' },
  { key: 'updateBytes', label: 'update bytes (total)' },
  { key: 'docBytes', label: 'final document bytes' },
  { key: 'mergeMs', label: 'merge time (ms, median)' },
  { key: 'encodeMs', label: 'encode final state (ms)' },
  { key: 'decodeMs', label: 'decode final state (ms)' },
  { key: 'memBytes', label: 'memory after GC (bytes)' },
];

/** Pollen ÷ peer, or null when either figure is missing or the peer's is zero. */
export function ratio(pollenFigure: number | null, peerFigure: number | null): number | null {
  if (pollenFigure === null || peerFigure === null || peerFigure === 0) return null;
  return pollenFigure / peerFigure;
}

export interface Row {
  metric: Metric;
  label: string;
  values: { [peer: string]: number | null };
  /** Pollen ÷ peer for each peer other than the reference. */
  ratios: { [peer: string]: number | null };
}

/** One workload's rows: every figure, and the reference library's ratio to each other library's. */
export function rows(results: Results, kind: Kind, reference: string): Row[] {
  const names = Object.keys(results);
  return METRICS.map((m) => {
    const values: { [peer: string]: number | null } = {};
    const ratios: { [peer: string]: number | null } = {};
    for (const n of names) values[n] = results[n][kind][m.key];
    for (const n of names) if (n !== reference) ratios[n] = ratio(values[reference], values[n]);
    return { metric: m.key, label: m.label, values, ratios };
  });
}

function fmt(metric: Metric, x: number | null): string {
  if (x === null) return '–';
  if (metric.endsWith('Ms')) return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
  return String(Math.round(x));
}

function fmtRatio(x: number | null): string {
  return x === null ? '–' : x < 0.1 ? x.toFixed(3) : x.toFixed(2);
}

/** A markdown table: the metric, Pollen's figure, then per library its figure and Pollen ÷ it. */
export function table(results: Results, kind: Kind, reference: string, names: string[], metrics?: Metric[]): string {
  const head = ['', reference, ...names.flatMap((n) => [n, '÷'])];
  const lines = ['| ' + head.join(' | ') + ' |', '|' + head.map((_, i) => (i === 0 ? '---' : '---:')).join('|') + '|'];
  for (const r of rows(results, kind, reference)) {
    if (metrics && !metrics.includes(r.metric)) continue;
    const cells = [r.label, fmt(r.metric, r.values[reference]), ...names.flatMap((n) => [fmt(r.metric, r.values[n]), fmtRatio(r.ratios[n])])];
    lines.push('| ' + cells.join(' | ') + ' |');
  }
  return lines.join('\n');
}

export function bundleTable(b: BundleRow[]): string {
  const pkgs = Array.from(new Set(b.map((r) => r.pkg)));
  const ref = 'pollen';
  const others = pkgs.filter((p) => p !== ref);
  const head = ['workload', ref, ...others.flatMap((p) => [p, '÷'])];
  const lines = ['| ' + head.join(' | ') + ' |', '|' + head.map((_, i) => (i === 0 ? '---' : '---:')).join('|') + '|'];
  const cell = (r: BundleRow): string => (r.wasm > 0 ? r.js + r.wasm + ' (JS ' + r.js + ' + wasm ' + r.wasm + ')' : String(r.js));
  for (const kind of KINDS) {
    const at = (p: string): BundleRow => b.find((r) => r.pkg === p && r.kind === kind) as BundleRow;
    const mine = at(ref);
    lines.push('| ' + [kind, cell(mine), ...others.flatMap((p) => [cell(at(p)), fmtRatio(ratio(mine.js + mine.wasm, at(p).js + at(p).wasm))])].join(' | ') + ' |');
  }
  return lines.join('\n');
}

// ---- the report ----

/** Bytes the runtime adds around one delta in a Plumtree payload, [1, id, spec, delta], for a variable named like the peers' root containers. */
export function runtimeOverhead(kind: Kind): number {
  return encode([1, kind, SPECS[kind], null]).length - 1;
}

const START = '<!-- bench:peers start -->';
const END = '<!-- bench:peers end -->';

export function report(results: Results, bundles: BundleRow[], s: Sizes, reps: number, settle: number, date: string, load: string): string {
  const peers = allPeers();
  const ref = peers[0].name;
  const others = peers.slice(1).map((p) => p.name);
  const extra = variants().map((p) => p.name).filter((n) => n in results);
  const pkgs = Array.from(new Set(peers.map((p) => p.pkg)));
  const y1 = results['yjs (v1)'];
  const y2 = results['yjs (v2)'];
  const me = results[ref];
  const aimBytes = (y: Figures): string => fmtRatio(ratio(me.map.updateBytes, y.updateBytes));
  const aimSpeed = (y: Figures): string => fmtRatio(y.mergeMs / me.map.mergeMs);
  const out: string[] = [];
  out.push(START, '## CRDT comparison: Pollen beside Yjs, Automerge and Loro', '');
  out.push('Written by `npm run bench:peers` (`node --expose-gc --import tsx tools/bench/peers.ts --reps ' + reps + '`); every figure below comes from that one run.', '');
  out.push('- Date: ' + date);
  out.push('- Machine: ' + machine() + '; ' + load);
  out.push('- Versions: ' + pkgs.map((p) => p + ' ' + version(p)).join(', ') + ', esbuild ' + version('esbuild') + ', cbor-x ' + version('cbor-x'));
  out.push('- Method: one process; per workload and step one untimed warm-up call per library, then ' + reps + ' timed repetitions, the libraries interleaved in rotating order so that load on the machine falls on all of them alike; medians; a full GC before each call. Ratios (÷) are Pollen ÷ that library: below 1, Pollen needs less.');
  out.push('');
  out.push('### Workloads');
  out.push('- **map** (crdt-benchmarks B3.1): ' + s.mapWriters + ' replicas each set key "' + MAP_KEY + '" of a shared map to their index, concurrently (one message each); then a fresh replica applies every message. All end with { v: ' + (s.mapWriters - 1) + ' } (writer ids in the same order everywhere, so every library\'s tie-break picks the same writer).');
  out.push('- **counter**: ' + s.counterReplicas + ' replicas × ' + s.counterIncs + ' increments, one message per increment; then a fresh replica applies all ' + s.counterReplicas * s.counterIncs + '.');
  out.push('- **set churn**: ' + s.setOps + ' random adds/removes (seed ' + SEED + ') over ' + s.setElements + ' elements on ' + s.setReplicas + ' replicas with no sync, then ' + settle + ' settle toggles so that the replicas that touched an element agree on it (the libraries resolve a concurrent add and remove differently; agreeing replicas give all of them the same final set); then each replica sends one sync payload to the others and merges theirs. "update bytes" are the sync payloads; "merge" is all three replicas merging.');
  out.push('- **encode / decode**: save and load of the final replica; **memory**: that document loaded ' + MEMORY_COPIES + ' times in a fresh child process, JS heap + external (WebAssembly) memory after GC over a warmed-up baseline, divided by ' + MEMORY_COPIES + '. WebAssembly memory grows in 64 KiB pages and never shrinks, so for Automerge and Loro it is the growth of linear memory, peaks while loading included, less any room it had after the warm-up.');
  out.push('');
  out.push('### What each library runs');
  out.push('| library | map | counter | set | codec |');
  out.push('|---|---|---|---|---|');
  for (const p of peers.concat(variants())) out.push('| ' + [p.name, p.api.map, p.api.counter, p.api.set, p.api.codec].join(' | ') + ' |');
  out.push('');
  out.push('Ids: Yjs clientID i+1, Automerge actor of 2 bytes, Loro peer id i+1, Pollen a 3-character base-36 replica id: the smallest ids that keep the order for ' + s.mapWriters + ' writers (the libraries\' random defaults would make their messages larger). Pollen\'s map holds Lamport registers (`awmap(lamport)`): a write is ordered by a Lamport stamp and then the replica id, with no clock, as the peers order theirs, so it is what a user who wants their semantics picks. The variant "pollen (awmap(lww))" holds clock-based LWW registers instead, stamped with a real millisecond clock reading (the same for every writer).');
  out.push('Pollen\'s figures are bare deltas and states; the runtime\'s Plumtree payload [1, id, spec, delta] adds ' + KINDS.map((k) => runtimeOverhead(k) + ' bytes per message (' + k + ')').join(', ') + ' for variables named like the peers\' root containers.');
  out.push('');
  for (const kind of KINDS) {
    out.push('### ' + (kind === 'map' ? 'Map (B3.1)' : kind === 'counter' ? 'Counters' : 'Set churn'));
    out.push(table(results, kind, ref, others), '');
  }
  if (extra.length > 0) {
    out.push('### Pollen run other ways (same run; ÷ is Pollen as above ÷ the variant)');
    for (const kind of KINDS) out.push('', '**' + kind + '**', '', table(results, kind, ref, extra, kind === 'map' ? ['updateBytes', 'docBytes', 'mergeMs', 'encodeMs', 'decodeMs'] : ['mergeMs', 'encodeMs', 'decodeMs']));
    out.push('');
  }
  const ex = mapDeltaExample(s.mapWriters - 1);
  const exl = mapDeltaExample(s.mapWriters - 1, 'lww');
  out.push('One map delta on the wire (writer ' + (s.mapWriters - 1) + ', ' + ex.bytes + ' bytes): `' + JSON.stringify(ex.item) + '`: [key, replica, 2 × counter (even: the epoch is the counter), [Lamport stamp, value]]; the context is left out, since it holds only the dot the entry carries, and with it the array that would pair entries and context; the key\'s one contribution is written in line (PROTOCOL.md, `awmap`). With an LWW register (' + exl.bytes + ' bytes): `' + JSON.stringify(exl.item) + '`, of which ' + exl.ts + ' bytes are the millisecond timestamp and ' + exl.ids + ' the writer\'s epoch id "r.e" that the register keeps for its tie-break.', '');
  out.push('### Bundle size (esbuild --bundle --minify, ESM, browser; gzip -9 bytes)');
  out.push('The smallest import that does the workload (replica, operation, emit, apply, save, load); WebAssembly the bundle loads is gzipped and added. Pollen: the type\'s modules and the portable codec.', '');
  out.push(bundleTable(bundles), '');
  out.push('### The aims');
  // Issue 10's goal: update bytes at most 0.75 of Yjs's v1 updates on B3.1.
  out.push('- Update bytes ≤ 0.75 of Yjs\'s (v1) on the map workload: Pollen ÷ Yjs = ' + aimBytes(y1.map) + ' (v1 updates), ' + aimBytes(y2.map) + ' (v2 updates): ' + (ratio(me.map.updateBytes, y1.map.updateBytes)! <= 0.75 ? 'met.' : 'not met.'));
  out.push('- Merge throughput ≥ 2× Yjs\'s on the map workload: Yjs time ÷ Pollen time = ' + aimSpeed(y1.map) + ' (v1), ' + aimSpeed(y2.map) + ' (v2): ' + (Math.min(y1.map.mergeMs, y2.map.mergeMs) / me.map.mergeMs >= 2 ? 'met.' : 'not met.'));
  const tree = results['pollen (tree join)'];
  if (tree) {
    out.push('  - With the tree join (table above), Yjs time ÷ Pollen time = ' + fmtRatio(y1.map.mergeMs / tree.map.mergeMs) + ' (v1), ' + fmtRatio(y2.map.mergeMs / tree.map.mergeMs) + ' (v2).');
  }
  const losses: string[] = [];
  const lostOn: { [what: string]: boolean } = {};
  for (const kind of KINDS) {
    for (const r of rows(results, kind, ref)) {
      if (r.metric === 'messages') continue;
      const lost = others.filter((n) => (r.ratios[n] ?? 0) > 1);
      if (lost.length === 0) continue;
      losses.push(kind + ' / ' + r.label + ': behind ' + lost.map((n) => n + ' (÷ ' + fmtRatio(r.ratios[n]) + ')').join(', '));
      lostOn[kind + '.' + r.metric] = true;
      lostOn[r.metric] = true;
    }
  }
  out.push('- Where Pollen is behind in this run: ' + (losses.length === 0 ? 'nowhere.' : ''));
  for (const l of losses) out.push('  - ' + l);
  const why: string[] = [];
  if (lostOn['map.updateBytes']) {
    why.push('Map update bytes: a Pollen map delta is self-contained (the example above): it names its replica once, as text (' + ex.ids + ' bytes for a 3-character id), and carries the key, a dot counter, a Lamport stamp and the value, each as a CBOR item with its own head; a Yjs update names its client as a varint beside the key, the value and a delete set.');
  }
  if (lostOn['map.docBytes']) {
    why.push('Map document bytes: the add-wins map keeps every concurrent writer\'s contribution, its dot and its write, so that a later remove takes exactly what its remover saw; Yjs and Loro keep the winning value and only the ids of the overwritten ones. Only the winning LWW write is ever read, so losing contributions could keep their dot and drop their write (a possible change to crdt/awmap.ts, not made here).');
  }
  if (lostOn['mergeMs']) {
    why.push('Merge time: the receiver decodes each message and folds it into its state in place (joinInto, at the cost of the delta: a map contribution is placed by binary search in its key\'s list, which is copied once per delta since lists are shared with deltas), while the peers apply a batch in one call (Yjs in one transaction, applyChanges, importBatch). The "tree join" variant joins the batch pairwise instead.');
  }
  if (lostOn['encodeMs'] || lostOn['decodeMs']) {
    why.push('Encode / decode: where these are behind, they are a millisecond or so against a busy machine\'s noise; see the noise gauge below.');
  }
  if (lostOn['memBytes']) {
    why.push('Memory: WebAssembly memory is counted as the growth of linear memory (64 KiB pages) over a baseline that may already hold free room from the warm-up, so Automerge\'s and Loro\'s figures can undercount (loading ' + MEMORY_COPIES + ' copies makes this smaller, not zero). Where the figure is close, treat it as a tie.');
  }
  if (why.length > 0) out.push('', '### Why, where Pollen is behind', ...why.map((w) => '- ' + w));
  if (tree) {
    // The tree-join variant saves and loads with exactly Pollen's code, so how far its encode/decode medians
    // stray from Pollen's is this run's noise on a small time.
    let worst = 1;
    for (const kind of KINDS) {
      for (const m of ['encodeMs', 'decodeMs'] as Metric[]) {
        const a = me[kind][m] as number;
        const b = tree[kind][m] as number;
        if (a > 0 && b > 0) worst = Math.max(worst, a / b, b / a);
      }
    }
    out.push('', 'Noise gauge: "pollen (tree join)" encodes and decodes with exactly the code of "pollen", and their medians (times of a few milliseconds) differ by up to ' + worst.toFixed(1) + '× in this run: read ratios of such small times as rough; merge times of hundreds of milliseconds are steadier.');
  }
  out.push(END);
  return out.join('\n');
}

/** Put the bench:peers section into BENCHMARKS.md, keeping every other section. */
export function writeReport(file: string, section: string): void {
  writeSection(file, 'bench:peers', section);
}

// ---- entry points ----

/**
 * Copies of the final document the memory probe loads, reporting the growth divided by this: WebAssembly memory
 * grows in 64 KiB pages from an initial size with free room, so one copy of a small document can show no growth.
 */
export const MEMORY_COPIES = 8;

/** Child mode: load the final document MEMORY_COPIES times and print the memory one copy holds. */
function memoryProbe(name: string, kind: Kind, file: string): void {
  const p = allPeers().concat(variants()).find((x) => x.name === name);
  if (!p) throw new Error('no library ' + name);
  const bytes = new Uint8Array(readFileSync(file));
  // Warm up on a one-message document of the same kind, so the baseline has the library loaded and initialised.
  const tiny = runOf(p, kind, { ...QUICK, mapWriters: 1, counterReplicas: 1, counterIncs: 1, setOps: 2, setElements: 1 }, SEED);
  const w = tiny.merge(tiny.prepare());
  p.load(p.save(w), 0, kind);
  gc();
  const use = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = use();
  const held: unknown[] = [];
  for (let i = 0; i < MEMORY_COPIES; i++) held.push(p.load(bytes, 1 + i, kind));
  gc();
  const after = use();
  console.log('memory ' + Math.max(0, Math.round((after - before) / MEMORY_COPIES)));
  if (held.some((d) => valueOf(p, kind, d) === undefined)) console.log('(no value)');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--memory') return memoryProbe(args[1], args[2] as Kind, args[3]);
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with node --expose-gc (npm run bench:peers does)');
  const a = parse(args, { quick: { type: 'boolean' }, reps: { type: 'string' }, progress: { type: 'boolean' } }, 'usage: npm run bench:peers -- [--quick] [--reps N] [--progress]\n', false);
  if (typeof a === 'number') process.exit(a);
  const quick = a.values.quick === true;
  const reps = num(a.values.reps, '--reps', quick ? 1 : DEFAULT_REPS, 1);
  const s = quick ? QUICK : FULL;
  const settle = churnScript(s, SEED).settle;
  const dir = mkdtempSync(join(tmpdir(), 'pollen-peers-'));
  let results: Results = {};
  const load = (): string => loadavg()[0].toFixed(1);
  const loadStart = load();
  const main = allPeers();
  // One step per kind of variable, and one for the bundle sizes.
  const bar = progress('bench:peers', KINDS.length + 1, { force: a.values.progress === true });
  try {
    results = measureAll(main.concat(variants()), s, reps, SEED, dir, (p) => main.includes(p), (l) => {
      console.error(l);
      bar.tick(l);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bundles = await bundleSizes();
  bar.tick('bundle sizes');
  bar.done();
  const loadNote = '1-minute load average ' + loadStart + ' at the start, ' + load() + ' at the end (the machine is shared: times carry that noise; bytes do not)';
  const section = report(results, bundles, s, reps, settle, new Date().toISOString(), loadNote);
  console.log(section);
  if (!quick) writeReport(join(ROOT, 'BENCHMARKS.md'), section);
}

if (process.argv[1] === SELF) await main();
