/**
 * `npm run bench:flood` (issue 12): a hostile client floods a node at full rate while a legitimate peer keeps
 * updating, over TCP and over MQTT (the embedded aedes broker). The attacker runs in a child process (so its own
 * heap is not counted) with no key: frames with a bad tag (sealed, wrong tag), valid-looking envelopes that are
 * not sealed, and, on TCP, connections that announce an oversized frame. The victim and the legitimate peer share
 * a cluster key and run in this process.
 *
 * Reported per link: frames the attacker sent, the victim's drops by reason (dropped.auth.tag…), frames its link
 * held back or dropped past the attacker's budget (throttled), the heap held (mean and peak of heapUsed sampled
 * every 100 ms during the flood, and before it), and the legitimate peer's convergence delay: from its update to
 * the victim's state showing it, over an update every 100 ms.
 *
 *   npm run bench:flood                        # 10 s of flood per link
 *   npm run bench:flood -- --seconds 20 --link tcp
 *   npm run bench:flood -- --broker $(tools/ci/mosquitto.sh)   # MQTT through Mosquitto (its own process)
 *                                                               # instead of the embedded aedes (this one)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { tcpLink } from '../../transports/tcp.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { startBroker } from '../../transports/broker.ts';
import type { Link } from '../../transports/link.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, link: { type: 'string' }, broker: { type: 'string' } } });
const SECONDS = Number(values.seconds);

/** The attacker, in plain JavaScript for a child process: floods until killed, prints what it sent every 500 ms. */
const ATTACKER = `
const net = require('node:net');
const [kind, where, root, victim] = process.argv.slice(1);
const sent = { badTag: 0, unsealed: 0, oversize: 0 };
function envelope(n) {
  // [1, 30, 'evil', 0, [n, [['hits', 'gcounter', ['evil', n]]]]]: a DELTA as a peer would send it, unsealed.
  const id = Buffer.from('evil');
  return Buffer.concat([Buffer.from([0x85, 0x01, 0x18, 0x1e, 0x64]), id, Buffer.from([0x00, 0x82, 0x1a]), u32(n),
    Buffer.from([0x81, 0x83, 0x64]), Buffer.from('hits'), Buffer.from([0x68]), Buffer.from('gcounter'), Buffer.from([0x82, 0x64]), id, Buffer.from([0x1a]), u32(n)]);
}
function u32(n) { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0, 0); return b; }
function sealedBad(n) {
  // Format 0xA1, key 0, epoch, seq, an envelope, and 8 bytes of tag that do not check.
  const h = Buffer.alloc(12); h[0] = 0xa1; h[1] = 0; h.writeUIntBE(1, 2, 6); h.writeUInt32BE(n >>> 0, 8);
  return Buffer.concat([h, envelope(n), Buffer.alloc(8, n & 255)]);
}
function frame(p) { return Buffer.concat([u32(p.length), p]); }
setInterval(() => process.stdout.write(JSON.stringify(sent) + '\\n'), 500);
if (kind === 'tcp') {
  const [host, port] = where.split(':');
  const flood = () => {
    const s = net.connect({ host, port: Number(port) });
    s.on('error', () => {});
    s.on('close', () => setTimeout(flood, 10));
    s.on('connect', () => {
      s.write(frame(Buffer.from('PLN1evil')));
      let n = 0;
      const pump = () => {
        while (!s.destroyed) {
          const batch = [];
          for (let i = 0; i < 100; i++) { n++; if (n % 2) { batch.push(frame(sealedBad(n))); sent.badTag++; } else { batch.push(frame(envelope(n))); sent.unsealed++; } }
          if (!s.write(Buffer.concat(batch))) { s.once('drain', pump); return; }
        }
      };
      pump();
    });
  };
  flood();
  // Oversized claims: a connection that says hello and announces a frame past the limit, again and again.
  const big = () => {
    const s = net.connect({ host, port: Number(port) });
    s.on('error', () => {});
    s.on('close', () => setTimeout(big, 5));
    s.on('connect', () => { s.write(Buffer.concat([frame(Buffer.from('PLN1huge')), u32(0x7fffffff)])); sent.oversize++; });
  };
  big();
} else {
  const mqtt = require('mqtt');
  const c = mqtt.connect(where, { protocolVersion: 4, clientId: 'evil-' + process.pid });
  c.on('connect', () => {
    let n = 0;
    const pump = () => {
      // As fast as the broker takes them: the next batch once the last of this one is written.
      for (let i = 0; i < 200; i++) {
        n++;
        const kind = n % 20 === 0 ? 2 : n % 2;
        const p = kind === 2 ? Buffer.alloc(70000, 7) : kind === 1 ? sealedBad(n) : envelope(n);
        if (kind === 2) sent.oversize++; else if (kind === 1) sent.badTag++; else sent.unsealed++;
        c.publish(root + '/inbox/' + victim + '/evil', p, { qos: 0 }, i === 199 ? () => setImmediate(pump) : undefined);
      }
    };
    pump();
  });
}
`;

interface Row {
  link: string;
  seconds: number;
  sent: { badTag: number; unsealed: number; oversize: number };
  drops: { [reason: string]: number };
  throttled: number;
  linkErrors: number;
  heapBeforeMB: number;
  heapMeanMB: number;
  heapPeakMB: number;
  updates: number;
  converged: number;
  delayMedianMs: number;
  delayP99Ms: number;
  delayMaxMs: number;
  quietDelayMedianMs: number;
}

function mb(n: number): number {
  return Math.round((n / 1048576) * 10) / 10;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Updates every 100 ms on b for `ms`; returns the delays until a's state showed each one. */
async function measure(a: PollenDriver, b: PollenDriver, ms: number, heap?: number[]): Promise<{ delays: number[]; updates: number }> {
  const delays: number[] = [];
  const pending: { at: number; want: number }[] = [];
  let target = b.query('hits') as number;
  const check = () => {
    const v = a.query('hits') as number;
    while (pending.length > 0 && v >= pending[0].want) delays.push(performance.now() - pending.shift()!.at);
  };
  const off = a.on('changed', check);
  const end = performance.now() + ms;
  let updates = 0;
  while (performance.now() < end) {
    target++;
    pending.push({ at: performance.now(), want: target });
    void b.update('hits', 'inc', [1]);
    updates++;
    if (heap) heap.push(process.memoryUsage().heapUsed);
    await sleep(100);
    check();
  }
  await sleep(2000);
  check();
  off();
  return { delays, updates };
}

async function run(kind: 'tcp' | 'mqtt'): Promise<Row> {
  const key = randomBytes(16);
  let la: Link;
  let lb: Link;
  let where: string;
  let root = 'pollen-flood';
  let close = async () => {};
  if (kind === 'tcp') {
    const t = await tcpLink({ id: 'a', listen: 0 });
    la = t;
    lb = await tcpLink({ id: 'b', connect: ['127.0.0.1:' + t.port], backoff: { min: 50, max: 500 } });
    where = '127.0.0.1:' + t.port;
  } else {
    const broker = values.broker ? { url: values.broker, close: async () => {} } : await startBroker();
    const pv = values.broker ? 5 : 4;
    root = 'pollen-flood/' + process.pid;
    la = await mqttLink({ id: 'a', url: broker.url, protocolVersion: pv, root });
    lb = await mqttLink({ id: 'b', url: broker.url, protocolVersion: pv, root });
    where = broker.url;
    close = () => broker.close();
  }
  const a = await startNode({ id: 'a', links: [la], membership: 'full', key, seed: 1 });
  const b = await startNode({ id: 'b', links: [lb], membership: 'full', key, seed: 2, contacts: ['a'] });
  await a.declare('hits', 'gcounter');
  await b.declare('hits', 'gcounter');
  const quiet = await measure(a, b, 3000);
  const heapBefore = process.memoryUsage().heapUsed;
  const attacker: ChildProcess = spawn(process.execPath, ['-e', ATTACKER, kind, where, root, 'a'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sent = { badTag: 0, unsealed: 0, oversize: 0 };
  attacker.stdout!.on('data', (d: Buffer) => {
    const lines = d.toString().trim().split('\n');
    try {
      sent = JSON.parse(lines[lines.length - 1]);
    } catch (e) { /* a partial line: the next one will do */ }
  });
  let linkErrors = 0;
  a.on('linkError', () => linkErrors++);
  await sleep(500);
  const heap: number[] = [];
  const t0 = performance.now();
  const flood = await measure(a, b, SECONDS * 1000, heap);
  const secs = (performance.now() - t0) / 1000;
  attacker.kill();
  await new Promise((r) => attacker.once('exit', r));
  const m = a.metrics();
  const drops: { [reason: string]: number } = {};
  for (const k of Object.keys(m)) if (k.indexOf('dropped.') === 0 && m[k] > 0) drops[k.slice(8)] = m[k];
  const row: Row = {
    link: kind, seconds: Math.round(secs * 10) / 10, sent, drops, throttled: la.counters.throttled, linkErrors,
    heapBeforeMB: mb(heapBefore), heapMeanMB: mb(heap.reduce((s, x) => s + x, 0) / heap.length), heapPeakMB: mb(Math.max(...heap)),
    updates: flood.updates, converged: flood.delays.length,
    delayMedianMs: Math.round(pct(flood.delays, 0.5)), delayP99Ms: Math.round(pct(flood.delays, 0.99)),
    delayMaxMs: Math.round(Math.max(...flood.delays)), quietDelayMedianMs: Math.round(pct(quiet.delays, 0.5)),
  };
  await b.close();
  await a.close();
  await close();
  return row;
}

async function main(): Promise<void> {
  const kinds = values.link ? [values.link as 'tcp' | 'mqtt'] : (['tcp', 'mqtt'] as const);
  console.log('bench:flood: ' + SECONDS + ' s of flood per link; node ' + process.version);
  for (const k of kinds) {
    const r = await run(k);
    console.log(JSON.stringify(r));
    console.log(
      k + ': attacker sent ' + r.sent.badTag + ' bad-tag, ' + r.sent.unsealed + ' unsealed, ' + r.sent.oversize + ' oversized in ' + r.seconds + ' s; ' +
        'victim dropped ' + Object.keys(r.drops).map((d) => d + ' ' + r.drops[d]).join(', ') + '; throttled ' + r.throttled + '; heap ' +
        r.heapBeforeMB + ' MB before, ' + r.heapMeanMB + ' MB mean, ' + r.heapPeakMB + ' MB peak; legitimate peer: ' + r.converged + '/' + r.updates +
        ' updates converged, delay median ' + r.delayMedianMs + ' ms, p99 ' + r.delayP99Ms + ' ms, max ' + r.delayMaxMs + ' ms (no flood: median ' +
        r.quietDelayMedianMs + ' ms)',
    );
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
