/**
 * The demo's command line: `--nodes N` (2..50, default 5), `--seed S` (default 1), `--quiet` (the summary and
 * the final line only), `--view` (keep the cluster running with the live view), and MQTT_URL from the environment (an external broker instead of the embedded aedes).
 * A bad flag prints the usage and exits 2, before anything has started.
 *
 *   const f = flags(process.argv.slice(2));   // { nodes: 5, seed: 1, quiet: false, mqttUrl: undefined }
 */
import { parseArgs } from 'node:util';

export interface Flags {
  nodes: number;
  seed: number;
  quiet: boolean;
  /** Keep the cluster running after the stories, with the live view (tools/view/) on a local port. */
  view: boolean;
  mqttUrl: string | undefined;
}

const USAGE = 'usage: npm start -- [--nodes N (2..50, default 5)] [--seed S (default 1)] [--quiet] [--view]\n' +
  '       MQTT_URL=mqtt://host:1883 npm start   (an external MQTT 5 broker instead of the embedded aedes)';

function usage(why: string): never {
  console.error('demo: ' + why + '\n' + USAGE);
  process.exit(2);
}

export function flags(argv: string[]): Flags {
  let v: { nodes: string; seed: string; quiet: boolean; view: boolean };
  try {
    v = parseArgs({
      args: argv,
      options: { nodes: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' }, quiet: { type: 'boolean', default: false }, view: { type: 'boolean', default: false } },
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  const nodes = Number(v.nodes);
  const seed = Number(v.seed);
  // 2: the smallest cluster with something to converge; 50: one process and one broker stay responsive.
  if (!(Number.isInteger(nodes) && nodes >= 2 && nodes <= 50)) usage('--nodes takes a whole number from 2 to 50, got ' + v.nodes);
  if (!Number.isInteger(seed)) usage('--seed takes a whole number, got ' + v.seed);
  return { nodes, seed, quiet: v.quiet, view: v.view, mqttUrl: process.env.MQTT_URL || undefined };
}
