/**
 * What `pollen node` and `pollen bridge` run: one node's links, membership, contacts, store and variables, from a
 * JSON file (`--config node.json`) with command-line flags over it. Checked as a whole before anything starts, so
 * a mistake is one message naming the field, not a half-started node.
 *
 *   {
 *     "id": "pi-a",
 *     "mqtt": { "url": "mqtt://broker.local:1883", "root": "pollen/garden", "version": 5, "keepalive": 10 },
 *     "tcp": { "listen": "0.0.0.0:7000", "connect": ["10.0.0.5:7000"] },
 *     "serial": ["/dev/ttyACM0"],
 *     "ble": false,
 *     "membership": "hyparview",
 *     "contacts": ["pi-b"],
 *     "store": "pi-a.pollen",
 *     "durability": "sync",                (or a number of ms: updates acknowledged within that interval)
 *     "keyFile": "/etc/pollen/cluster.keys", "encrypt": false,
 *     "variables": { "temp": "lww", "visits": "pncounter" },
 *     "http": "127.0.0.1:9464",
 *     "mdns": true                        (or { "interface": "192.168.1.10" }: announce on that interface only)
 *   }
 *
 * `mqtt: false` (or `--url none`) runs without MQTT; then a TCP, serial or BLE link is needed. `http` serves
 * /metrics (Prometheus) and /state (JSON for `pollen view`). `mdns` announces the TCP listener on the LAN and dials
 * the ones it finds (DNS-SD service `_pollen._tcp`). `keyFile` holds the cluster keys (`ID HEX` lines,
 * transports/crypto.ts): frames are tagged and checked with them, and the TCP link proves them when a connection
 * opens; SIGHUP reads the file again (rotation).
 */
import { readFileSync } from 'node:fs';
import { UsageError, list } from '../cli/args.ts';

export type MembershipName = 'hyparview' | 'full' | 'client-server';

export interface NodeConfigFile {
  id: string;
  mqtt: false | { url: string; root: string; version: 4 | 5; keepalive: number; username?: string; password?: string };
  tcp?: { listen?: { host: string; port: number }; connect: string[] };
  serial: { path: string; baudRate?: number }[];
  ble: false | { namePrefix?: string };
  membership: MembershipName;
  contacts: string[];
  store?: string;
  /** 'sync' (an update is acknowledged once on disk) or ms (within that interval); the driver's default: sync. */
  durability?: 'sync' | number;
  /** The cluster keys' file, and whether frames are also encrypted with the key. */
  keyFile?: string;
  encrypt: boolean;
  seed?: number;
  variables: { [name: string]: string };
  http?: { host: string; port: number };
  /** Announce and browse by mDNS; `interface` keeps it to one interface's address (default: all). */
  mdns: false | { interface?: string };
}

const MEMBERSHIPS: MembershipName[] = ['hyparview', 'full', 'client-server'];
const FIELDS = ['id', 'mqtt', 'tcp', 'serial', 'ble', 'membership', 'contacts', 'store', 'durability', 'keyFile', 'encrypt', 'seed', 'variables', 'http', 'mdns'];

/** '[HOST:]PORT' with a default host; PORT 0 asks for a free one. */
export function hostPort(s: string, what: string, host = '127.0.0.1'): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port < 65536)) throw new UsageError(what + ' takes [HOST:]PORT, got "' + s + '"');
  return { host: m[1] || host, port };
}

/** The flags both `pollen node` and `pollen bridge` take (parseArgs options). */
export const NODE_FLAGS = {
  config: { type: 'string' },
  id: { type: 'string' },
  url: { type: 'string' },
  root: { type: 'string' },
  'mqtt-version': { type: 'string' },
  keepalive: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  join: { type: 'string' },
  membership: { type: 'string' },
  store: { type: 'string' },
  durability: { type: 'string' },
  'key-file': { type: 'string' },
  encrypt: { type: 'boolean' },
  seed: { type: 'string' },
  'tcp-listen': { type: 'string' },
  'tcp-connect': { type: 'string' },
  serial: { type: 'string', multiple: true },
  ble: { type: 'boolean' },
  var: { type: 'string', multiple: true },
  http: { type: 'string' },
  mdns: { type: 'boolean' },
} as const;

export const NODE_FLAGS_HELP = `links and node:
  --config FILE          a JSON file with any of the settings below (flags win over it)
  --id ID                this node's id (required)
  --url URL              MQTT broker (default mqtt://127.0.0.1:1883); "none" for no MQTT link
  --root TOPIC           topic root of the cluster (default pollen)
  --mqtt-version 4|5     MQTT 3.1.1 or 5 (default 5)
  --keepalive S          MQTT keepalive in seconds (default 10)
  --username U, --password P
  --tcp-listen [HOST:]PORT, --tcp-connect HOST:PORT[,...]   a TCP link
  --serial PATH          a serial link (repeatable)
  --ble                  a BLE link: scan for boards with the Nordic UART service
  --join ID[,...]        contacts to join through (none: join whatever is discovered)
  --membership hyparview|full|client-server (default hyparview)
  --store FILE           keep variables and incarnation across restarts
  --durability sync|MS   acknowledge an update once on disk (default sync) or within MS
  --key-file FILE        the cluster keys, "ID HEX" lines (the first seals, all are accepted; SIGHUP rereads)
  --encrypt              encrypt frames with the key as well
  --seed N               the node's random seed
  --var NAME:TYPE        declare a variable (repeatable), e.g. --var temp:lww
  --http [HOST:]PORT     serve /metrics (Prometheus) and /state (JSON) here
  --mdns                 announce the TCP listener by mDNS/DNS-SD and dial the TCP nodes found`;

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(what + ' must be an object');
  return v as Record<string, unknown>;
}

/** Read the config file (if any) and lay the flags over it. */
export function nodeConfig(v: { [k: string]: unknown }): NodeConfigFile {
  let f: Record<string, unknown> = {};
  if (typeof v.config === 'string') {
    let text: string;
    try {
      text = readFileSync(v.config, 'utf8');
    } catch (e) {
      throw new UsageError('cannot read ' + v.config + ': ' + (e as NodeJS.ErrnoException).code);
    }
    try {
      f = obj(JSON.parse(text), v.config);
    } catch (e) {
      throw new UsageError(v.config + ': ' + (e as Error).message);
    }
    for (const k of Object.keys(f)) if (!FIELDS.includes(k)) throw new UsageError(v.config + ': unknown field "' + k + '" (' + FIELDS.join(', ') + ')');
  }
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const id = str(v.id) ?? str(f.id);
  if (!id) throw new UsageError('--id (or "id" in the config) is required');

  // MQTT: on unless "mqtt": false or --url none.
  let mqtt: NodeConfigFile['mqtt'] = false;
  const fm = f.mqtt === false ? false : f.mqtt === undefined ? {} : obj(f.mqtt, 'mqtt');
  const url = str(v.url) ?? (fm ? str(fm.url) : undefined);
  if (url !== 'none' && (fm !== false || v.url !== undefined)) {
    const m = fm || {};
    const version = Number(str(v['mqtt-version']) ?? m.version ?? 5);
    if (version !== 4 && version !== 5) throw new UsageError('MQTT version is 4 or 5, got ' + version);
    const keepalive = Number(str(v.keepalive) ?? m.keepalive ?? 10);
    if (!(keepalive > 0)) throw new UsageError('keepalive must be > 0 seconds');
    mqtt = {
      url: url ?? 'mqtt://127.0.0.1:1883',
      root: str(v.root) ?? str(m.root) ?? 'pollen',
      version,
      keepalive,
      username: str(v.username) ?? str(m.username),
      password: str(v.password) ?? str(m.password),
    };
  }

  let tcp: NodeConfigFile['tcp'];
  const ft = f.tcp === undefined ? undefined : obj(f.tcp, 'tcp');
  const listen = str(v['tcp-listen']) ?? (ft ? (typeof ft.listen === 'number' ? String(ft.listen) : str(ft.listen)) : undefined);
  const connect = v['tcp-connect'] !== undefined ? list(v['tcp-connect']) : ft && Array.isArray(ft.connect) ? (ft.connect as string[]) : [];
  if (listen !== undefined || connect.length > 0) tcp = { listen: listen !== undefined ? hostPort(listen, 'tcp listen', '0.0.0.0') : undefined, connect };

  const serialFlags = (v.serial as string[] | undefined) ?? [];
  const fs = Array.isArray(f.serial) ? f.serial : [];
  const serial = serialFlags.length
    ? serialFlags.map((path) => ({ path }))
    : fs.map((s, k) => (typeof s === 'string' ? { path: s } : (obj(s, 'serial[' + k + ']') as { path: string; baudRate?: number })));

  const ble: NodeConfigFile['ble'] = v.ble === true ? {} : f.ble === true ? {} : f.ble ? (obj(f.ble, 'ble') as { namePrefix?: string }) : false;

  const membership = (str(v.membership) ?? str(f.membership) ?? 'hyparview') as MembershipName;
  if (!MEMBERSHIPS.includes(membership)) throw new UsageError('membership is one of ' + MEMBERSHIPS.join(', ') + ', got "' + membership + '"');

  const contacts = v.join !== undefined ? list(v.join) : Array.isArray(f.contacts) ? (f.contacts as string[]) : [];

  const variables: { [name: string]: string } = {};
  if (f.variables !== undefined) for (const [k, t] of Object.entries(obj(f.variables, 'variables'))) variables[k] = String(t);
  for (const d of (v.var as string[] | undefined) ?? []) {
    const k = d.indexOf(':');
    if (k <= 0 || k === d.length - 1) throw new UsageError('--var takes NAME:TYPE (e.g. temp:lww), got "' + d + '"');
    variables[d.slice(0, k)] = d.slice(k + 1);
  }

  const seedS = str(v.seed) ?? (f.seed !== undefined ? String(f.seed) : undefined);
  const seed = seedS === undefined ? undefined : Number(seedS);
  if (seed !== undefined && !(Number.isInteger(seed) && seed > 0)) throw new UsageError('seed must be a positive integer');

  const httpS = str(v.http) ?? (typeof f.http === 'number' ? String(f.http) : str(f.http));
  const http = httpS !== undefined ? hostPort(httpS, 'http') : undefined;
  const mdns: NodeConfigFile['mdns'] = f.mdns && typeof f.mdns === 'object' ? (obj(f.mdns, 'mdns') as { interface?: string }) : v.mdns === true || f.mdns === true ? {} : false;

  const durS = str(v.durability) ?? (f.durability !== undefined ? String(f.durability) : undefined);
  const durability = durS === undefined || durS === 'sync' ? (durS as 'sync' | undefined) : Number(durS);
  if (typeof durability === 'number' && !(Number.isInteger(durability) && durability >= 0)) throw new UsageError('durability is "sync" or a number of ms, got "' + durS + '"');
  const keyFile = str(v['key-file']) ?? str(f.keyFile);
  const encrypt = v.encrypt === true || f.encrypt === true;
  if (encrypt && !keyFile) throw new UsageError('encrypt needs a key file (--key-file)');

  if (!mqtt && !tcp && serial.length === 0 && !ble) throw new UsageError('no link: without MQTT give a TCP, serial or BLE link');
  return { id, mqtt, tcp, serial, ble, membership, contacts, store: str(v.store) ?? str(f.store), durability, keyFile, encrypt, seed, variables, http, mdns };
}
