/**
 * A serial line for the thin-link bench: two real pty pairs (tests/transports/ptypair.ts) with a relay between
 * them that carries bytes at a UART's rate (bitsPerSecond / bitsPerByte bytes a second, each direction on its own,
 * as a null-modem cable) and flips bits at a given rate (transports/noise.ts). A node opens `a`, the other `b`.
 *
 *   const line = await serialLine({ bitsPerSecond: 9600, bitsPerByte: 10, ber: 1e-3, seed: 1 });
 *   ... run-node --serial line.a ... / --serial line.b ...
 *   line.stats();   // bytes carried and bits flipped, both directions
 *   await line.close();
 *
 * The relay holds what waits for the line in memory, bounded by MAX_BACKLOG bytes a direction (more is dropped, as
 * a UART with a full FIFO drops): the nodes pace themselves to the line, so it stays small.
 */
import { SerialPort } from 'serialport';
import { ptyPair, type PtyPair } from '../../../tests/transports/ptypair.ts';
import { bitErrors } from '../../../transports/noise.ts';

const MAX_BACKLOG = 65536;
const TICK_MS = 10;

export interface SerialLine {
  a: string;
  b: string;
  stats(): { bytes: number; flipped: number; dropped: number };
  close(): Promise<void>;
}

function open(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
}

export async function serialLine(o: { bitsPerSecond: number; bitsPerByte: number; ber: number; seed: number }): Promise<SerialLine> {
  const pairs: PtyPair[] = [];
  const ports: SerialPort[] = [];
  const timers: NodeJS.Timeout[] = [];
  const close = async () => {
    for (const t of timers) clearInterval(t);
    for (const p of ports) if (p.isOpen) await new Promise<void>((r) => p.close(() => r()));
    for (const p of pairs) await p.close();
  };
  const totals = { bytes: 0, flipped: 0, dropped: 0 };
  const perMs = o.bitsPerSecond / o.bitsPerByte / 1000;
  const direction = (from: SerialPort, to: SerialPort, seed: number) => {
    const noisy = bitErrors(o.ber, seed);
    let waiting: Buffer[] = [];
    let queued = 0;
    let credit = 0;
    let last = performance.now();
    from.on('data', (c: Buffer) => {
      if (queued + c.length > MAX_BACKLOG) {
        totals.dropped += c.length;
        return;
      }
      waiting.push(c);
      queued += c.length;
    });
    timers.push(setInterval(() => {
      const now = performance.now();
      credit = queued === 0 ? 0 : credit + (now - last) * perMs;
      last = now;
      let n = Math.min(queued, Math.floor(credit));
      if (n === 0) return;
      credit -= n;
      queued -= n;
      totals.bytes += n;
      const parts: Buffer[] = [];
      while (n > 0) {
        const c = waiting[0];
        if (c.length <= n) {
          parts.push(c);
          waiting.shift();
          n -= c.length;
        } else {
          parts.push(c.subarray(0, n));
          waiting[0] = c.subarray(n);
          n = 0;
        }
      }
      const before = noisy.flipped;
      to.write(noisy(Buffer.concat(parts)));
      totals.flipped += noisy.flipped - before;
    }, TICK_MS));
    return () => (waiting = []);
  };
  try {
    pairs.push(await ptyPair());
    pairs.push(await ptyPair());
    ports.push(await open(pairs[0].b));
    ports.push(await open(pairs[1].b));
    direction(ports[0], ports[1], o.seed);
    direction(ports[1], ports[0], o.seed + 1);
  } catch (e) {
    await close();
    throw e;
  }
  return { a: pairs[0].a, b: pairs[1].a, stats: () => ({ ...totals }), close };
}
