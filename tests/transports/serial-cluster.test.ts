/**
 * Two node processes joined by a real pty pair (ptypair.ts), each link shaped to 9600 bit/s as a UART sends it (8N1:
 * ten bits a byte, so 960 bytes/s each way), converge a 200-element OR-Set: each adds 100 elements at once. The
 * test reports the convergence time next to the transmission lower bound: the bytes of the larger of the two
 * halves' encoded state divided by the line rate, i.e. the time the line needs just to carry what must cross it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fork, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ptyPair, type PtyPair } from './ptypair.ts';
import { ORSet, add } from '../../crdt/orset.ts';
import { encode } from '../../crdt/codec/cbor.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const RATE = 9600; // bit/s
const BITS_PER_BYTE = 10; // 8N1
// What the serial framing adds to each frame on the wire: the lead and trailing zeros, the COBS code byte, the
// type byte and the CRC-32 (COBS adds one more byte per 254 on top, which the shaper does not count).
const OVERHEAD = 8;
const N = 100; // elements per node

interface Msg { t: string; [k: string]: any }

class Child {
  proc: ChildProcess;
  msgs: Msg[] = [];
  exited: Promise<void>;
  constructor(opts: object) {
    this.proc = fork(join(HERE, 'fixtures', 'serial-node.ts'), [JSON.stringify(opts)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m) => this.msgs.push(m as Msg));
    this.exited = new Promise((r) => this.proc.once('exit', () => r()));
  }
  last(t: string): Msg | undefined {
    for (let i = this.msgs.length - 1; i >= 0; i--) if (this.msgs[i].t === t) return this.msgs[i];
    return undefined;
  }
  send(m: Msg) {
    this.proc.send(m);
  }
  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

async function until(cond: () => boolean, what: string, ms: number, children: Child[]) {
  const end = Date.now() + ms;
  while (!cond()) {
    for (const c of children) {
      if (c.proc.exitCode !== null) throw new Error('a node process exited (code ' + c.proc.exitCode + ') while waiting for ' + what);
    }
    if (Date.now() > end) throw new Error('timed out after ' + ms + ' ms waiting for ' + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Encoded bytes of the OR-Set state holding one node's N elements (what must reach the other node). */
function halfBytes(replica: string, prefix: string): number {
  let s = ORSet.bottom();
  for (let i = 0; i < N; i++) s = ORSet.join(s, add(s, replica, prefix + i));
  return encode(ORSet.encode(s)).length;
}

test('two processes over a 9600 bit/s pty line converge a 200-element OR-Set', async () => {
  let pair: PtyPair | undefined;
  const kids: Child[] = [];
  try {
    pair = await ptyPair();
    const common = { bitsPerSecond: RATE, bitsPerByte: BITS_PER_BYTE, overhead: OVERHEAD };
    const a = new Child({ id: 'a', path: pair.a, contacts: [], seed: 1, ...common });
    kids.push(a);
    const b = new Child({ id: 'b', path: pair.b, contacts: ['a'], seed: 2, ...common });
    kids.push(b);
    await until(() => !!a.last('ready') && !!b.last('ready'), 'both nodes started', 20000, kids);
    await until(() => (a.last('neighbors')?.list ?? []).includes('b') && (b.last('neighbors')?.list ?? []).includes('a'),
      'a and b neighbours', 20000, kids);
    const t0 = Date.now();
    a.send({ t: 'add', prefix: 'a', count: N });
    b.send({ t: 'add', prefix: 'b', count: N });
    await until(() => a.last('size')?.n === 2 * N && b.last('size')?.n === 2 * N, 'both hold 200 elements', 60000, kids);
    const converged = Math.max(a.last('size')!.at, b.last('size')!.at) - t0;
    a.send({ t: 'close' });
    b.send({ t: 'close' });
    await until(() => !!a.last('closed') && !!b.last('closed'), 'both closed', 10000, kids);
    const bytes = Math.max(halfBytes('a', 'a'), halfBytes('b', 'b'));
    const bound = (bytes * BITS_PER_BYTE * 1000) / RATE;
    const ca = a.last('closed')!, cb = b.last('closed')!;
    const wire = (c: Msg) => c.shaped.bytesOut + c.shaped.framesOut * OVERHEAD;
    console.log(
      '  9600 bit/s (8N1), 2 x ' + N + ' elements: converged in ' + converged + ' ms; lower bound ' + Math.round(bound) +
      ' ms (' + bytes + ' bytes of one half\'s state / 960 B/s); ratio ' + (converged / bound).toFixed(2) + '\n' +
      '  sent a->b ' + ca.shaped.framesOut + ' frames, ' + wire(ca) + ' wire bytes; b->a ' + cb.shaped.framesOut +
      ' frames, ' + wire(cb) + ' wire bytes (the line needs ' + Math.round((Math.max(wire(ca), wire(cb)) * BITS_PER_BYTE * 1000) / RATE) +
      ' ms for the larger); framing drops a ' + JSON.stringify(ca.framing) + ' b ' + JSON.stringify(cb.framing),
    );
    // The line really was that slow: nothing can beat the time the bytes need on it.
    assert.ok(converged >= bound, 'converged in ' + converged + ' ms, under the ' + bound + ' ms the line needs');
    assert.equal(ca.framing, { truncated: 0, crc: 0, oversized: 0 });
    assert.equal(cb.framing, { truncated: 0, crc: 0, oversized: 0 });
  } finally {
    for (const k of kids) await k.stop();
    await pair?.close();
  }
});

test.run();
