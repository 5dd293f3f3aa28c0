/**
 * `npm run bench:step`: the CPU one node's `step` spends on one large, legitimate frame (issue 12: the cost of a
 * frame is bounded by its size). Each frame is an anti-entropy DELTA whose state was made by thousands of fresh
 * replicas (one update each), the shape that once cost seconds; and one small delta into a large state, whose
 * cost must follow the delta, not the state. CPU time of the node's own process (process.cpuUsage), median and
 * worst of `--reps` fresh nodes; the first run of each row warms the code and is not counted.
 *
 *   npm run bench:step                    # 1,500 and 3,000 replicas per type (awmap(orset): 500, 1,000), 7 reps
 *   npm run bench:step -- --reps 15
 */
import { encode } from '../../crdt/codec/cbor.ts';
import { typeOf } from '../../crdt/all.ts';
import type { Crdt, Item } from '../../crdt/types.ts';
import { createNode, step, type PollenNode } from '../../runtime/index.ts';
import { DELTA, VERSION } from '../../runtime/messages.ts';
import { num, parse, UsageError } from '../cli/args.ts';

const USAGE = 'usage: npm run bench:step -- [--reps N]\n';
const ANY = { maxFrame: Infinity, maxItems: Infinity, maxCount: Infinity };

/** One update of replica r, per type: the state grows by one replica's worth. */
const UPDATES: { [spec: string]: (t: Crdt<any, any>, s: any, r: string) => any } = {
  gcounter: (t, s, r) => t.mutators.inc(s, r, [2]),
  pncounter: (t, s, r) => t.mutators.inc(s, r, [2]),
  orset: (t, s, r) => t.mutators.add(s, r, ['milk']),
  awgraph: (t, s, r) => t.mutators.addVertex(s, r, [1]),
  'awmap(gcounter)': (t, s, r) => t.mutators.apply(s, r, ['k', 'inc', [2]]),
  'awmap(orset)': (t, s, r) => t.mutators.apply(s, r, ['k', 'add', ['milk']]),
};

function grown(spec: string, n: number, prefix: string): any {
  const t = typeOf(spec);
  let s = t.bottom();
  for (let i = 0; i < n; i++) s = t.joinInto(s, UPDATES[spec](t, s, prefix + i.toString(36).padStart(3, '0')));
  return s;
}

function frame(seq: number, spec: string, item: Item): Uint8Array {
  return encode([VERSION, DELTA, 'a', 0, [seq, [['v', spec, item]]]], ANY);
}

function victim(spec: string): PollenNode {
  const node = createNode({ id: 'b', seed: 1, membership: 'full' });
  step(node, { kind: 'command', command: { op: 'declare', id: 'v', type: spec } }, 0);
  step(node, { kind: 'command', command: { op: 'join', contacts: ['a'] } }, 0);
  return node;
}

/** CPU ms of one step, and whether the node took the frame (not dropped). */
function timed(node: PollenNode, bytes: Uint8Array, now: number): { ms: number; taken: boolean } {
  const u0 = process.cpuUsage();
  const outs = step(node, { kind: 'frame', from: 'a', bytes: bytes }, now);
  const u = process.cpuUsage(u0);
  const dropped = outs.some((o) => o.kind === 'event' && o.event.type === 'dropped');
  return { ms: (u.user + u.system) / 1000, taken: !dropped };
}

function stats(xs: number[]): string {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1].toFixed(1) + ' / ' + s[s.length - 1].toFixed(1);
}

function main(): number {
  const a = parse(process.argv.slice(2), { reps: { type: 'string' } }, USAGE, false);
  if (typeof a === 'number') return a;
  let reps: number;
  try {
    reps = num(a.values.reps, '--reps', 7, 1);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(e.message + '\n\n' + USAGE);
    return 2;
  }
  console.log('| frame | bytes | step CPU ms, median / worst | taken |');
  console.log('|---|---:|---:|---|');
  for (const spec of Object.keys(UPDATES)) {
    // (an awmap(orset) update is 41 bytes: 1,500 of them pass the decoder's item bound)
    for (const n of spec === 'awmap(orset)' ? [500, 1000] : [1500, 3000]) {
      const bytes = frame(1, spec, typeOf(spec).encode(grown(spec, n, 'f')));
      const ms: number[] = [];
      let taken = true;
      for (let k = 0; k <= reps; k++) {
        const r = timed(victim(spec), bytes, 10);
        if (k > 0) ms.push(r.ms);
        taken = r.taken;
      }
      console.log('| ' + spec + ', ' + n + ' fresh replicas | ' + bytes.length + ' | ' + stats(ms) + ' | ' + (taken ? 'yes' : 'no (past a decode limit)') + ' |');
    }
  }
  // A small delta into a large state: the state's size must not show in the cost.
  for (const spec of ['awmap(gcounter)', 'gcounter']) {
    const t = typeOf(spec);
    const s = grown(spec, 3000, 'f');
    const node = victim(spec);
    step(node, { kind: 'frame', from: 'a', bytes: frame(1, spec, t.encode(s)) }, 10);
    const ms: number[] = [];
    let size = 0;
    for (let k = 0; k <= reps * 20; k++) {
      const b = frame(2 + k, spec, t.encode(UPDATES[spec](t, s, 'z' + k)));
      size = b.length;
      const r = timed(node, b, 20 + k);
      if (k > 0) ms.push(r.ms);
    }
    console.log('| ' + spec + ', one fresh replica into the state of 3,000 | ' + size + ' | ' + stats(ms) + ' | yes |');
  }
  return 0;
}

process.exitCode = main();
