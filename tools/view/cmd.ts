/**
 * `pollen view`: the live overlay view in a browser, for a simulation or for a running cluster.
 *
 *   pollen view --sim tools/sim/scenarios/crdt-lossy.json --nodes 40     # a scenario, paced for the eye
 *   pollen view --from http://127.0.0.1:9464,http://127.0.0.1:9465      # nodes started with pollen node --http
 *
 * Prints the page's address and serves it until Ctrl-C. Exit status: 0 after Ctrl-C (or, with --exit, when the
 * simulation ends), 1 when it cannot serve, 2 for a usage error.
 */
import { readFileSync } from 'node:fs';
import { guard, list, num, parse, UsageError } from '../cli/args.ts';
import { hostPort } from '../node/config.ts';
import { parseScenario } from '../sim/scenario.ts';
import { viewServer } from './server.ts';
import { clusterSource, simSource } from './sources.ts';

const USAGE = `usage: pollen view (--sim SCENARIO.json | --from URL[,URL...]) [options]

The live overlay view: a force-directed graph of the active views (Plumtree's eager edges solid, lazy dashed),
nodes coloured by convergence, bytes and divergence, updated live; click a node for its views, variables and
counters.

  --sim FILE         run this simulator scenario for the view
  --nodes N, --seed N, --duration MS   override the scenario's
  --speed X          simulated ms per wall ms (default 10)
  --loop             start the scenario again when it ends
  --exit             exit when the scenario ends (default: keep serving the last frame)
  --from URLS        poll these nodes' /state (pollen node --http [HOST:]PORT) every --every ms (default 500)
  --http [HOST:]PORT where to serve the page (default 127.0.0.1:0, a free port)
  --json             print the address as a JSON line ({"ev":"view","url":...})
`;

export async function main(argv: string[]): Promise<number> {
  const a = parse(
    argv,
    {
      sim: { type: 'string' },
      nodes: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      speed: { type: 'string' },
      loop: { type: 'boolean' },
      exit: { type: 'boolean' },
      from: { type: 'string' },
      every: { type: 'string' },
      http: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    false,
  );
  if (typeof a === 'number') return a;
  return guard('view', USAGE, async () => {
    const v = a.values;
    if ((v.sim === undefined) === (v.from === undefined)) throw new UsageError('give one of --sim FILE or --from URLS');
    const at = v.http !== undefined ? hostPort(v.http as string, '--http') : { host: '127.0.0.1', port: 0 };
    let scenario;
    if (v.sim !== undefined) {
      try {
        scenario = parseScenario(readFileSync(v.sim as string, 'utf8'));
      } catch (e) {
        throw new UsageError(v.sim + ': ' + (e as Error).message);
      }
      for (const k of ['nodes', 'seed', 'duration'] as const) if (v[k] !== undefined) scenario[k] = num(v[k], '--' + k, undefined, 1);
    }
    const urls = list(v.from);
    if (v.from !== undefined && urls.length === 0) throw new UsageError('--from lists the nodes\' HTTP addresses');
    const server = await viewServer(at);
    let finish: (code: number) => void = () => {};
    const finished = new Promise<number>((r) => (finish = r));
    let stop: () => void;
    try {
      stop = scenario
        ? simSource(scenario, server.push, {
            speed: num(v.speed, '--speed', 10, 0.001),
            loop: v.loop === true,
            done: () => {
              server.end();
              if (v.exit) finish(0);
            },
          })
        : clusterSource(urls, server.push, { every: num(v.every, '--every', 500, 50) });
    } catch (e) {
      await server.close();
      throw e;
    }
    process.stdout.write(v.json ? JSON.stringify({ ev: 'view', url: server.url }) + '\n' : 'pollen view: open ' + server.url + ' (Ctrl-C to stop)\n');
    const onSignal = () => finish(0);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const code = await finished;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stop();
    await server.close();
    return code;
  });
}
