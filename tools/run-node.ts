/**
 * Run one Pollen node in this process, on an MQTT broker (and optionally TCP and serial links), driven by lines on
 * stdin and reporting JSON lines on stdout. For people trying a cluster by hand and for the multi-process tests.
 *
 *   npx tsx tools/run-node.ts --id a --url mqtt://127.0.0.1:1883
 *   npx tsx tools/run-node.ts --id b --url mqtt://127.0.0.1:1883 --join a --store b.pollen
 *   > declare hits pncounter
 *   > update hits inc 5
 *   > show
 *   {"ev":"state","id":"b","neighbors":["a"],"vars":{"hits":5},"peers":{"mqtt":["a"]},"ever":["a"]}
 *   npx tsx tools/run-node.ts --id s --url none --serial /dev/ttyUSB0 --join g   # a serial-only node
 *
 * Options: --id (required), --url (default mqtt://127.0.0.1:1883), --root (topic root, default pollen),
 * --mqtt-version 4|5 (default 5; 4 for aedes), --keepalive seconds (default 10, longer on a slow --rate), --username, --password, --join a,b (contacts),
 * --membership hyparview|full|client-server, --store FILE (keep state across restarts, crash-safe), --durability
 * sync|MS (with --store: 'sync', the default, acknowledges an update once it is fsync'd; MS saves within MS ms
 * and acknowledges then), --store-max BYTES (bound on the store file, default 8 MiB), --seed N,
 * --tcp-listen [HOST:]PORT and --tcp-connect HOST:PORT[,..] (a TCP link beside the MQTT one), --serial PATH
 * (a serial link; repeatable), --serial-pieces BYTES (send serial frames as pieces of this size with selective repeat,
 * for a noisy line: transports/pieces.ts; with --rate the serial link also writes at that rate, 10 bits a byte), --key-file FILE (the cluster key: `ID HEX` lines, the first seals, all are accepted;
see transports/crypto.ts; SIGHUP reads the file again, which is how a key is rotated without a restart),
--encrypt (encrypt frames with it too), --rate BITS_PER_SECOND (the line's rate: every link paces and batches
 * to it, transports/pace.ts, and the node's periods are scaled to it; without it links still read batches). `--url none` runs without MQTT (then give a TCP or serial link). Links are made in
 * that order, MQTT first: the driver routes a send over the first link that reaches the peer, and falls back to
 * the first link for a peer no link reports (MQTT can reach a node it has not seen present yet; serial cannot).
 *
 * Commands: `declare VAR TYPE`, `update VAR MUTATOR ARG...` (each ARG is JSON, or a plain string), `join ID...`,
 * `show`, `metrics`, `quit` (leave cleanly; SIGINT and SIGTERM do the same). Events: a "ready" line once its links
 * are up (with the node's incarnation, epoch and replica id), a "state" line after `show` and (at most every
 * 50 ms) after a change or a neighbour coming or going, an "ack" line per update once it is durable (with --store;
 * at once without: then it only means applied), `{"ev":"ack","n":N,"var":..,"mutator":..,"args":[..]}` where N
 * counts this process's accepted updates from 1, and an "error" line for a bad command or an update whose save
 * failed (with a `reason`, e.g. "full").
 *
 * Exit codes: 0 after quit, 2 for bad options or a link that cannot start, 3 when the store file is damaged (the
 * message says which file and why; move it away to start empty), 4 when the store cannot be read or written. A state line also carries each link kind's peers (`peers`), so one can tell
 * which link reaches whom, and every peer that was ever a neighbour (`ever`). Link errors go to stderr.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { tcpLink, type TcpLink } from '../transports/tcp.ts';
import { startNode, fileStore, StoreFileError, DEFAULT_MAX_STORE_BYTES, type PollenDriver } from '../transports/driver.ts';
import type { Link } from '../transports/link.ts';
import type { Item } from '../crdt/types.ts';
import { readKeyFile } from '../transports/crypto.ts';
import { LINK_ACK_OVERHEAD, LINK_OVERHEAD, SERIAL_PIECES_SHARE, lineTimeouts, pace, thinConfig } from '../transports/pace.ts';

const { values: a } = parseArgs({
  options: {
    id: { type: 'string' },
    url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    root: { type: 'string', default: 'pollen' },
    'mqtt-version': { type: 'string', default: '5' },
    keepalive: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    join: { type: 'string' },
    membership: { type: 'string', default: 'hyparview' },
    store: { type: 'string' },
    durability: { type: 'string', default: 'sync' },
    'store-max': { type: 'string' },
    seed: { type: 'string' },
    'tcp-listen': { type: 'string' },
    'tcp-connect': { type: 'string' },
    serial: { type: 'string', multiple: true, default: [] },
    'key-file': { type: 'string' },
    encrypt: { type: 'boolean', default: false },
    rate: { type: 'string' },
    'serial-pieces': { type: 'string' },
  },
});

function out(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

/** Exit codes a supervisor can tell apart: usage or link trouble, a damaged store, a store that fails I/O. */
const EXIT_USAGE = 2;
const EXIT_STORE_DAMAGED = 3;
const EXIT_STORE_IO = 4;

function die(msg: string, code = EXIT_USAGE): never {
  process.stderr.write('run-node: ' + msg + '\n');
  process.exit(code);
}

if (!a.id) die('--id is required');
const id = a.id;
const membership = a.membership as 'hyparview' | 'full' | 'client-server';
if (!['hyparview', 'full', 'client-server'].includes(membership)) die('--membership must be hyparview, full or client-server');
const noMqtt = a.url === 'none';
const durability = a.durability === 'sync' ? 'sync' : Number(a.durability);
if (durability !== 'sync' && !(Number.isInteger(durability) && durability >= 1 && durability <= 3_600_000)) die('--durability takes sync or a whole number of ms (1 to 3600000)');
const storeMax = a['store-max'] === undefined ? DEFAULT_MAX_STORE_BYTES : Number(a['store-max']);
if (!(Number.isInteger(storeMax) && storeMax >= 64)) die('--store-max takes a whole number of bytes (at least 64)');
if (noMqtt && !a['tcp-listen'] && !a['tcp-connect'] && a.serial!.length === 0) die('--url none needs a --tcp-listen, --tcp-connect or --serial link');

const links: Link[] = [];
let node: PollenDriver | undefined;
let quitting = false;
/** Every peer that was ever a neighbour, from the events themselves (a state line may miss a short-lived one). */
const ever = new Set<string>();
/** Updates accepted in this process, numbering the "ack" lines. */
let updates = 0;

async function main(): Promise<void> {
  const rate = a.rate === undefined ? 0 : Number(a.rate);
  if (!(rate >= 0 && rate <= 1e9)) die('--rate takes bits per second (0 or more)');
  // The links' own timeouts outlast a batch on the line (transports/pace.ts).
  const line = lineTimeouts(rate);
  if (a.encrypt && !a['key-file']) die('--encrypt needs --key-file');
  let keys: Awaited<ReturnType<typeof readKeyFile>> | undefined;
  let tcp: TcpLink | undefined;
  try {
    if (a['key-file']) keys = await readKeyFile(a['key-file']);
  } catch (e) {
    die((e as Error).message);
  }
  try {
    if (!noMqtt) {
      // Loaded only when asked for, like serial: mqtt.js costs a node on TCP or serial alone (and the crash soak,
      // which starts one a thousand times) a good part of its start.
      const { mqttLink } = await import('../transports/mqtt.ts');
      links.push(
        await mqttLink({
          id,
          url: a.url,
          root: a.root,
          protocolVersion: a['mqtt-version'] === '4' ? 4 : 5,
          keepalive: a.keepalive !== undefined ? Number(a.keepalive) : line.mqttKeepalive,
          connectTimeout: line.mqttConnectTimeout,
          mqtt: { username: a.username, password: a.password },
        }),
      );
    }
    if (a['tcp-listen'] || a['tcp-connect']) {
      const l = a['tcp-listen'];
      const m = l ? /^(?:(.*):)?(\d+)$/.exec(l) : null;
      if (l && !m) die('--tcp-listen takes [HOST:]PORT');
      // With a key file the link proves the key when a connection opens (transports/tcpproof.ts).
      tcp = await tcpLink({
        id,
        listen: m ? { host: m[1] || '0.0.0.0', port: Number(m[2]) } : undefined,
        connect: a['tcp-connect'] ? a['tcp-connect'].split(',') : [],
        idleTimeout: line.tcpIdleTimeout,
        keys,
      });
      links.push(tcp);
    }
    if (a.serial!.length) {
      // Loaded only when asked for: serialport's native binding would slow every MQTT-only node's start.
      const { serialLink } = await import('../transports/serial.ts');
      const pieceSize = a['serial-pieces'] === undefined ? 0 : Number(a['serial-pieces']);
      if (!(Number.isInteger(pieceSize) && pieceSize >= 0)) die('--serial-pieces takes a whole number of bytes (0: whole frames)');
      for (const path of a.serial!) {
        links.push(await serialLink({ id, path, peerTimeout: line.serialPeerTimeout, lineRate: rate, pieceSize }));
      }
    }
  } catch (e) {
    for (const l of links) await l.close();
    die((e as Error).message);
  }
  // Paced to the line's rate when told it; otherwise still wrapped (rate 0) so batches from paced peers are read.
  for (let i = 0; i < links.length; i++) {
    const kind = links[i].kind;
    // A UART sends 10 bits a byte; in pieces a serial frame also carries the pieces' headers and their repeats on a
    // noisy line: the pacer leaves it a larger share (SERIAL_PIECES_SHARE).
    const serial = kind === 'serial';
    const share = serial && a['serial-pieces'] !== undefined && Number(a['serial-pieces']) > 0 ? SERIAL_PIECES_SHARE : undefined;
    links[i] = pace(links[i], { bitsPerSecond: rate, bitsPerByte: serial ? 10 : 8, share, overhead: LINK_OVERHEAD[kind] ?? 0, ackOverhead: LINK_ACK_OVERHEAD[kind] ?? 0 });
  }
  for (const l of links) l.on('error', (e) => process.stderr.write(e.message + '\n'));
  try {
    node = await startNode({
      id,
      links,
      membership,
      contacts: a.join ? a.join.split(',').filter(Boolean) : undefined,
      store: a.store ? fileStore(a.store, { maxBytes: storeMax }) : undefined,
      durability,
      seed: a.seed ? Number(a.seed) : undefined,
      keys,
      encrypt: a.encrypt,
      config: thinConfig(rate, membership),
    });
  } catch (e) {
    for (const l of links) await l.close().catch(() => undefined);
    if (e instanceof StoreFileError) die(e.message, e.reason === 'damaged' ? EXIT_STORE_DAMAGED : EXIT_STORE_IO);
    die((e as Error).message);
  }
  // Rotation: the key file is read again on SIGHUP; a bad file keeps the keys held (and says why, keys unshown).
  const keyFile = a['key-file'];
  if (keyFile) {
    process.on('SIGHUP', () => {
      readKeyFile(keyFile).then(
        (ks) => {
          node!.setKeys(ks);
          if (tcp) tcp.setKeys(ks);
          out({ ev: 'keys', id, ids: node!.keyIds() });
        },
        (e) => out({ ev: 'error', line: 'SIGHUP', message: (e as Error).message }),
      );
    });
  }
  let pending: NodeJS.Timeout | undefined;
  const soon = () => {
    if (!pending) pending = setTimeout(() => ((pending = undefined), show()), 50);
  };
  node.on('changed', soon);
  node.on('neighbor', (e) => {
    if (e.up) ever.add(e.peer);
    soon();
  });
  out({ ev: 'ready', id, incarnation: node.incarnation, epoch: node.epoch, replica: node.replica, links: links.map((l) => l.kind) });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    try {
      command(line.trim());
    } catch (e) {
      out({ ev: 'error', line, message: (e as Error).message });
    }
  });
  rl.on('close', () => void quit());
}

function show(): void {
  if (!node) return;
  const vars: { [k: string]: unknown } = {};
  for (const v of Object.keys(node.node.store.vars).sort()) vars[v] = node.query(v);
  const peers: { [kind: string]: string[] } = {};
  for (const l of links) peers[l.kind] = [...(peers[l.kind] ?? []), ...l.peers()].sort();
  out({ ev: 'state', id, neighbors: node.neighbors(), vars, peers, ever: [...ever].sort() });
}

function arg(s: string): Item {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function command(line: string): void {
  if (!node || line === '') return;
  const w = line.split(/\s+/);
  switch (w[0]) {
    case 'declare':
      node.declare(w[1], w[2]);
      break;
    case 'update': {
      const args = w.slice(3).map(arg);
      const done = node.update(w[1], w[2], args);
      const n = ++updates;
      done.then(
        () => out({ ev: 'ack', n, var: w[1], mutator: w[2], args }),
        (e: StoreFileError) => out({ ev: 'error', line, n, reason: e.reason, message: e.message }),
      );
      break;
    }
    case 'join':
      node.join(w.slice(1));
      break;
    case 'show':
      show();
      break;
    case 'metrics':
      out({ ev: 'metrics', id, node: node.metrics(), links: links.map((l) => ({ kind: l.kind, peers: l.peers(), ...l.counters })) });
      break;
    case 'quit':
      void quit();
      break;
    default:
      throw new Error('unknown command "' + w[0] + '" (declare, update, join, show, metrics, quit)');
  }
}

async function quit(): Promise<void> {
  if (quitting) return;
  quitting = true;
  if (node) await node.close();
  else for (const l of links) await l.close();
  process.stdout.write(JSON.stringify({ ev: 'closed', id }) + '\n', () => process.exit(0));
}

process.on('SIGINT', () => void quit());
process.on('SIGTERM', () => void quit());
void main();
