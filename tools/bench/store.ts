/**
 * `npm run bench:store`: what durability costs. Not a test: it prints figures and asserts nothing.
 *
 * Table 1: the latency of one durable update (the driver's update() promise, 'sync' durability, a file store:
 * encode the state, write a temporary file, fsync, rename, fsync the directory), awaited one at a time, for
 * states of a few sizes; and the throughput of a burst of updates that share writes (group commit).
 * Table 2: the bytes a restart adds to a variable's state: the same adds made in one life, or spread over many
 * lives (each a new replica id, runtime/replica.ts), with store epochs (small) and without a store (random).
 *
 *   npm run bench:store                    # files under the OS temporary directory
 *   npm run bench:store -- --dir /mnt/sd   # on the file system you mean to deploy on
 *   npm run bench:store -- --quick
 *   npm run bench:store -- --progress      # a progress bar on stderr even when it is not a terminal
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { startNode, fileStore } from '../../transports/driver.ts';
import { createNode, step, stateOf } from '../../runtime/full.ts';
import { typeOf } from '../../crdt/all.ts';
import { encode } from '../../crdt/codec/cbor.ts';
import { median } from './stats.ts';
import { progress } from '../cli/progress.ts';

const { values: a } = parseArgs({ options: { dir: { type: 'string' }, quick: { type: 'boolean', default: false }, progress: { type: 'boolean', default: false } } });
const base = mkdtempSync(join(a.dir ?? tmpdir(), 'pollen-bench-store-'));
const N = a.quick ? 30 : 200;

function pct(xs: number[], p: number): number {
  const s = xs.slice().sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function fsType(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir]).toString().trim();
  } catch {
    return '?';
  }
}

async function latency(elements: number): Promise<string> {
  const hub = new MemoryHub();
  const path = join(base, 'n' + elements + '.pollen');
  const node = await startNode({ id: 'a', seed: 1, links: [memoryLink(hub, { id: 'a' })], store: fileStore(path), durability: 'sync' });
  await node.declare('xs', 'orset');
  const pre = [];
  for (let i = 0; i < elements; i++) pre.push(node.update('xs', 'add', ['element-' + i]));
  await Promise.all(pre);
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await node.update('xs', 'add', ['x' + i]);
    ms.push(performance.now() - t0);
  }
  const bytes = node.metrics()['driver.lastSaveBytes'];
  // A burst: N updates issued at once, all awaited.
  const saves0 = node.metrics()['driver.saves'];
  const t0 = performance.now();
  const burst = [];
  for (let i = 0; i < N; i++) burst.push(node.update('xs', 'add', ['b' + i]));
  await Promise.all(burst);
  const dt = performance.now() - t0;
  const saves = node.metrics()['driver.saves'] - saves0;
  await node.close();
  hub.links['a']?.close();
  return [elements, bytes, median(ms).toFixed(2), pct(ms, 0.99).toFixed(2), Math.round((N / dt) * 1000), saves].join(' | ');
}

/** Bytes of an OR-Set's encoded state after lives that made `adds[i]` adds each, life i under epochOf(i). */
function stateBytes(adds: number[], epochOf: (life: number) => number | undefined): number {
  const t = typeOf('orset');
  let s = t.bottom();
  let k = 0;
  for (let life = 0; life < adds.length; life++) {
    const n = createNode({ id: 'node-7', seed: 1, epoch: epochOf(life) });
    step(n, { kind: 'command', command: { op: 'declare', id: 'xs', type: 'orset' } }, 0);
    step(n, { kind: 'command', command: { op: 'bind', id: 'xs', state: t.encode(s) } }, 0);
    for (let i = 0; i < adds[life]; i++) step(n, { kind: 'command', command: { op: 'update', id: 'xs', mutator: 'add', args: ['e' + k++] } }, 0);
    s = stateOf(n, 'xs');
  }
  return encode(t.encode(s)).length;
}

/** The floor: fileStore.save of 2 KiB alone (write, fsync, rename, directory fsync), no node. */
async function rawSave(): Promise<string> {
  const store = fileStore(join(base, 'raw.pollen'));
  const bytes = new Uint8Array(2048).fill(7);
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await store.save(bytes);
    ms.push(performance.now() - t0);
  }
  return 'fileStore.save of 2048 bytes alone: median ' + median(ms).toFixed(2) + ' ms, p99 ' + pct(ms, 0.99).toFixed(2) + ' ms';
}

async function main(): Promise<void> {
  const sizes = a.quick ? [10, 1000] : [10, 1000, 10000];
  // One step for the raw save, one per state size, one for the restart table.
  const bar = progress('bench:store', sizes.length + 2, { force: a.progress });
  console.log('## Durable updates (fileStore, durability sync) on ' + base + ' (' + fsType(base) + ')\n');
  console.log(await rawSave() + '\n');
  bar.tick('raw save');
  console.log('elements held | state file bytes | update ms, median | p99 | burst of ' + N + ': updates/s | saves for the burst');
  console.log('---|---|---|---|---|---');
  for (const e of sizes) {
    console.log(await latency(e));
    bar.tick(e + ' elements');
  }
  console.log('\n## Bytes a restart adds (an OR-Set, one node "node-7", its state encoded)\n');
  console.log('replica ids | 100 adds, one life | 101 adds, one life | 100 adds, a restart, 1 add | bytes the restart added | 100 lives of 1 add | per life');
  console.log('---|---|---|---|---|---|---');
  let seed = 12345;
  const random = () => {
    // Deterministic stand-ins for the driver's random draws in [2^32, 2^48).
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 2 ** 32 + seed * 65536;
  };
  const kinds: [string, (life: number) => number | undefined][] = [
    ['plain id (before epochs: unsafe)', () => undefined],
    ['store epochs 1, 2, …', (l) => l + 1],
    ['random epochs (no store)', () => random()],
  ];
  const hundredOnes = new Array(100).fill(1);
  for (const [name, ep] of kinds) {
    const one = stateBytes([100], ep);
    const oneMore = stateBytes([101], ep);
    const restarted = stateBytes([100, 1], ep);
    const lives = name.startsWith('plain') ? NaN : stateBytes(hundredOnes, ep);
    const per = Number.isNaN(lives) ? '–' : ((lives - oneMore) / 99).toFixed(1);
    console.log([name, one, oneMore, restarted, restarted - oneMore, Number.isNaN(lives) ? '–' : lives, per].join(' | '));
  }
  bar.tick('restarts');
  bar.done();
  rmSync(base, { recursive: true, force: true });
}

void main();
