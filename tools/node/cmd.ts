/**
 * `pollen node`: one Pollen node on real links (MQTT, TCP, serial, BLE), its variables declared from the config,
 * /metrics and /state over HTTP, discovery when it has no contacts. Runs until Ctrl-C or SIGTERM, then leaves
 * cleanly (DISCONNECT to neighbours, presence cleared, state saved).
 *
 *   pollen node --config node.json
 *   pollen node --id a --url mqtt://broker.local:1883 --var temp:lww --http 9464
 *   pollen node --id b --url none --tcp-listen 7000 --mdns          # joins whatever it finds on the LAN
 *   pollen node --id c --json --stdin                               # JSON lines out, commands in (as run-node)
 *
 * Exit status: 0 after a clean leave, 1 when the node could not start (a link refused, a bad store), 2 for a
 * usage error.
 */
import { createInterface } from 'node:readline';
import { guard, parse } from '../cli/args.ts';
import { NODE_FLAGS, NODE_FLAGS_HELP, nodeConfig } from './config.ts';
import { startNode, type Log, type Running } from './run.ts';
import type { Item } from '../../crdt/types.ts';

export const USAGE = `usage: pollen node [--config FILE] [options]

Runs one node until Ctrl-C. Says what it finds (peers on each link, mDNS answers) and its neighbours.

${NODE_FLAGS_HELP}
output:
  --json                 JSON lines instead of text (events: ready, found, discovered, joining, neighbor, state, closed)
  --stdin                read commands on stdin: declare VAR TYPE, update VAR MUTATOR ARG..., join ID..., show, quit
`;

/** Print events as JSON lines or as short text lines. */
export function printer(json: boolean, id: string): Log {
  return (e) => {
    if (json) {
      process.stdout.write(JSON.stringify(e) + '\n');
      return;
    }
    const rest = Object.entries(e)
      .filter(([k]) => k !== 'ev')
      .map(([k, v]) => k + '=' + (typeof v === 'string' ? v : JSON.stringify(v)))
      .join(' ');
    process.stdout.write(id + ': ' + e.ev + ' ' + rest + '\n');
  };
}

function arg(s: string): Item {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** The state line: neighbours and every variable's value. */
export function stateEvent(r: Running): { ev: string; [k: string]: unknown } {
  const vars: { [k: string]: unknown } = {};
  for (const v of Object.keys(r.driver.node.store.vars).sort()) vars[v] = r.driver.query(v);
  return { ev: 'state', id: r.cfg.id, neighbors: r.driver.neighbors(), vars };
}

/** Commands on stdin (the run-node protocol): one per line, errors as 'error' events. */
export function readCommands(r: Running, log: Log, quit: () => void): () => void {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const w = line.trim().split(/\s+/);
    try {
      if (w[0] === '') return;
      else if (w[0] === 'declare') r.driver.declare(w[1], w[2]);
      else if (w[0] === 'update') r.driver.update(w[1], w[2], w.slice(3).map(arg));
      else if (w[0] === 'join') r.driver.join(w.slice(1));
      else if (w[0] === 'show') log(stateEvent(r));
      else if (w[0] === 'quit') quit();
      else throw new Error('unknown command "' + w[0] + '" (declare, update, join, show, quit)');
    } catch (e) {
      log({ ev: 'error', line, message: (e as Error).message });
    }
  });
  rl.on('close', quit);
  // Stop reading, so an open stdin does not keep the process alive after the node closed.
  return () => {
    rl.close();
    process.stdin.destroy();
  };
}

/** Wait for SIGINT/SIGTERM (or `quit`), then close. Resolves with the exit status. */
export function runUntilStopped(r: Running, log: Log, stdin: boolean): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let stopReading = () => {};
    // Rotation: SIGHUP reads the key file again; a bad file keeps the keys held and says why (never the keys).
    const rotate = () => {
      r.rotate().then(
        (ids) => log({ ev: 'keys', ids }),
        (e) => log({ ev: 'error', message: 'SIGHUP: ' + (e as Error).message }),
      );
    };
    const quit = () => {
      if (stopping) return;
      stopping = true;
      process.off('SIGINT', quit);
      process.off('SIGTERM', quit);
      process.off('SIGHUP', rotate);
      stopReading();
      r.close().then(
        () => {
          log({ ev: 'closed', id: r.cfg.id });
          resolve(0);
        },
        (e) => {
          log({ ev: 'error', message: 'close: ' + (e as Error).message });
          resolve(1);
        },
      );
    };
    process.on('SIGINT', quit);
    process.on('SIGTERM', quit);
    if (r.cfg.keyFile) process.on('SIGHUP', rotate);
    if (stdin) stopReading = readCommands(r, log, quit);
  });
}

export async function main(argv: string[]): Promise<number> {
  const a = parse(argv, { ...NODE_FLAGS, json: { type: 'boolean' }, stdin: { type: 'boolean' } }, USAGE, false);
  if (typeof a === 'number') return a;
  return guard('node', USAGE, async () => {
    const cfg = nodeConfig(a.values);
    const log = printer(a.values.json === true, cfg.id);
    const r = await startNode(cfg, log);
    let pending: NodeJS.Timeout | undefined;
    r.driver.on('changed', () => {
      if (!pending) pending = setTimeout(() => ((pending = undefined), log(stateEvent(r))), 200);
    });
    log({
      ev: 'ready',
      id: cfg.id,
      incarnation: r.driver.incarnation,
      links: r.links.map((l) => l.kind),
      http: r.http ? 'http://' + r.http.host + ':' + r.http.port : undefined,
      contacts: cfg.contacts.length ? cfg.contacts : 'none: joining the first peer found',
    });
    const code = await runUntilStopped(r, log, a.values.stdin === true);
    clearTimeout(pending);
    return code;
  });
}
