/**
 * `npm start`: the main job on embedded defaults. A real Pollen cluster in this process: an MQTT broker (the
 * embedded aedes on a free loopback port), five node drivers each on its own MQTT connection with HyParView
 * membership, and n0 and n1 also joined by a 9600 bit/s serial-like shaped link. The nodes share a counter, an
 * OR-Set and a set derived from it (a filter), and tell three stories: updates on different nodes; one node cut
 * off while both sides update; one node stopped and restarted from its store. Each ends with every node holding
 * the same values, printed as each node gets there.
 *
 *   npm start                                     # or: npx tsx tools/demo.ts --nodes 8 --seed 3 --quiet
 *   MQTT_URL=mqtt://127.0.0.1:1883 npm start      # an external broker (spoken to in MQTT 5) instead of aedes
 *
 * Exits 0 when every node holds the same values at the end, 1 when they did not converge within BOUND_MS.
 */
import { startBroker, type Broker } from '../transports/broker.ts';
import type { PollenDriver } from '../transports/driver.ts';
import { DemoCluster, THIN } from './demo/cluster.ts';
import { flags } from './demo/flags.ts';
import { summary } from './demo/report.ts';
import { Model, allKnow, converge, isFruit, show, valuesOf, waitFor } from './demo/watch.ts';

/** The whole demo must converge within this, in ms: about ten times what it takes on a loaded 2-core machine. */
const BOUND_MS = 30_000;

const f = flags(process.argv.slice(2));
const log = f.quiet ? () => {} : (s: string) => console.log(s);
const deadline = Date.now() + BOUND_MS;
// The last resort: if closing itself hangs, say so and leave rather than hang the terminal.
const watchdog = setTimeout(() => {
  console.error('demo: still running ' + (BOUND_MS + 5000) + ' ms after the start; giving up');
  process.exit(1);
}, BOUND_MS + 5000);

const want = new Model(); // what every node must end with, kept as the updates are made
const times: string[] = [];
let broker: Broker | undefined;
let cluster: DemoCluster | undefined;
let converged = false;

/**
 * Wait for `nodes` to hold the model's values, printing each as it does; the ms it took, for the summary. Each
 * node that gets there marks the story (`phase`) done in the demo's completion group.
 */
async function settle(nodes: PollenDriver[], phase: number): Promise<string> {
  return Math.round(await converge(nodes, want, performance.now(), deadline, log, phase)) + ' ms';
}

/** Every node learns on its own that all nodes finished the story: completion detection, no orchestrator. */
async function known(c: DemoCluster, phase: number): Promise<void> {
  const ms = await allKnow(c.nodes, c.ids, phase, performance.now(), deadline);
  log('  every node now knows, from its own replica, that all ' + c.ids.length + ' finished story ' + phase + ' (+' + Math.round(ms) + ' ms)');
}

try {
  broker = f.mqttUrl ? undefined : await startBroker();
  const url = f.mqttUrl ?? broker!.url;
  log('Pollen demo: ' + f.nodes + ' nodes, seed ' + f.seed + ', broker ' + (f.mqttUrl ? url + ' (MQTT_URL)' : 'aedes on ' + url));
  const c = (cluster = new DemoCluster({
    url,
    protocolVersion: f.mqttUrl ? 5 : 4, // aedes speaks MQTT 3.1.1 only
    root: f.mqttUrl ? 'pollen-demo/' + process.pid + '-' + Date.now().toString(36) : 'pollen-demo',
    nodes: f.nodes,
    seed: f.seed,
    setup: (n) => {
      n.declare('visits', 'pncounter');
      n.declare('basket', 'orset');
      n.fn('fruit', isFruit);
      n.filter('fruit', 'basket', 'fruit', false); // each node derives it from its own basket: no bytes sent
    },
  }));
  const [first, last] = [0, f.nodes - 1];
  const t0 = Date.now();
  await c.start();
  await waitFor(() => c.connected(), 'a connected overlay', deadline);
  log('\nOverlay formed in ' + (Date.now() - t0) + " ms; each node's HyParView active view (its neighbours over MQTT):");
  for (const n of c.nodes) log('  ' + n.id.padEnd(4) + '  ' + n.neighbors().join(' '));
  if (c.thin) log('  n0 and n1 also share a thin link: ' + THIN.bitsPerSecond + ' bit/s, ' + THIN.latency + ' ms latency');

  log('\n1. Updates on different nodes; each node as it converges:');
  c.nodes.forEach((n, i) => (n.update('visits', 'inc', [i + 1]), want.inc(i + 1)));
  c.nodes[first].update('basket', 'add', ['milk']), want.add('milk');
  c.nodes[1 % f.nodes].update('basket', 'add', ['apples']), want.add('apples');
  c.nodes[2 % f.nodes].update('basket', 'add', ['eggs']), want.add('eggs');
  c.nodes[last].update('basket', 'add', ['pears']), want.add('pears');
  c.nodes[first].update('basket', 'remove', ['milk']), want.remove('milk');
  times.push('updates ' + (await settle(c.nodes, 1)));
  await known(c, 1);

  log('\n2. ' + c.ids[last] + ' is cut off and both sides update; one second later:');
  c.cut(true);
  c.nodes[first].update('visits', 'inc', [10]), want.inc(10);
  c.nodes[last].update('basket', 'add', ['plums']), want.add('plums');
  c.nodes[last].update('visits', 'dec', [2]), want.inc(-2);
  await new Promise((r) => setTimeout(r, 1000));
  for (const n of c.nodes) log('  ' + n.id.padEnd(4) + '  holds    ' + show(valuesOf(n)));
  log('  the cut heals; each node as it converges:');
  c.cut(false);
  times.push('after the partition healed ' + (await settle(c.nodes, 2)));
  await known(c, 2);

  log('\n3. ' + c.ids[last] + ' stops (its state saved) while the others update:');
  await c.stop(last);
  const others = c.nodes.slice(0, last);
  others[0].update('basket', 'add', ['bread']), want.add('bread');
  others[others.length - 1].update('visits', 'inc', [1]), want.inc(1);
  await settle(others, 3);
  await c.restart(last);
  log('  ' + c.ids[last] + ' restarts from its store with  ' + show(valuesOf(c.nodes[last])) + '  and catches up:');
  times.push('restart to caught up ' + (await settle([c.nodes[last]], 3)));
  await known(c, 3);
  converged = true;
} catch (e) {
  console.error('demo: ' + (e as Error).message);
}

const report = cluster?.nodes.length ? summary(cluster, times, converged) : { ok: false, lines: [] };
clearTimeout(watchdog);
if (!f.quiet && report.ok && !f.view) {
  console.log('\nWhere to look next:');
  console.log('  npm start -- --view             this cluster kept running, in a live view in your browser');
  console.log('  npx pollen view --sim tools/sim/scenarios/crdt-lossy.json --nodes 40   a simulation, live');
  console.log('  npm run report                   the scenario matrix as SVG plots and a Markdown summary (out/report/)');
  console.log('  npx pollen node --help           one node on real links (MQTT, TCP, serial, BLE), with /metrics');
}
for (const line of f.quiet && report.ok ? report.lines.slice(1) : report.lines) console.log(line);
process.exitCode = report.ok ? 0 : 1;
if (f.view && report.ok && cluster) await keepViewing(cluster);
await cluster?.close();
await broker?.close();

/**
 * `--view`: the cluster keeps running and a node adds a visit every 2 s (so the picture moves: a node diverges,
 * then all converge), drawn by the live view until Ctrl-C.
 */
async function keepViewing(c: DemoCluster): Promise<void> {
  const { viewServer } = await import('./view/server.ts');
  const { driverSource } = await import('./view/sources.ts');
  const v = await viewServer();
  const stop = driverSource(() => c.nodes, c.ids, v.push);
  let k = 0;
  const tick = setInterval(() => c.nodes[k++ % c.nodes.length].update('visits', 'inc', [1]), 2000);
  console.log('\nLive view of this cluster: ' + v.url + '  (Ctrl-C to stop)');
  await new Promise<void>((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
  clearInterval(tick);
  stop();
  await v.close();
}
