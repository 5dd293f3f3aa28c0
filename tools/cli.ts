/**
 * The `pollen` CLI: one small dispatcher over the tools, each subcommand a module with `main(argv)` that
 * resolves to an exit code. Subcommands load lazily, so `pollen help` costs nothing.
 *
 *   pollen demo                      # the main job (also `npm start`)
 *   pollen node --config node.json   # one node on real links, /metrics, discovery
 *   pollen bridge --serial /dev/ttyACM0 --url mqtt://broker:1883   # boards to MQTT, Homie topics for dashboards
 *   pollen sim tools/sim/scenarios/plumtree-100.json --out runs/p100   # table, results JSON, plots
 *   pollen report [--baseline DIR]   # the scenario matrix: SVG plots and a Markdown summary
 *   pollen view --sim tools/sim/scenarios/crdt-lossy.json   # the live overlay view in a browser
 *   pollen adcounter                 # the advertisement counter in the simulator
 *   pollen bench [--quick]           # CRDT delta sizes and join throughput
 *   pollen board-check crdt/index.ts # the board subset check
 *
 * The long benchmarks (bench:sim, bench:peers) stay npm scripts: bench:peers needs node's --expose-gc.
 */
import { readFileSync } from 'node:fs';

interface Sub {
  about: string;
  run: (argv: string[]) => Promise<number>;
}

/**
 * Run a script module that does its work at import time (the demo, the benches) with its own argv. The import is
 * a function with a literal path so that the pack-time bundle (targets/node/build.ts) can follow it.
 */
async function script(path: string, load: () => Promise<unknown>, argv: string[]): Promise<number> {
  const saved = process.argv;
  process.argv = [saved[0], path].concat(argv);
  try {
    await load();
  } finally {
    process.argv = saved;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

const SUBS: { [name: string]: Sub } = {
  demo: { about: 'a local cluster on the embedded broker: updates, a partition, a restart [--nodes N --seed S --quiet --view]', run: (a) => script('./demo.ts', () => import('./demo.ts'), a) },
  node: { about: 'run one node on real links (MQTT, TCP, serial, BLE), with /metrics and discovery', run: async (a) => (await import('./node/cmd.ts')).main(a) },
  bridge: { about: 'the gateway: boards on serial/BLE, MQTT upstream, every variable as Homie 5 topics', run: async (a) => (await import('./bridge/cmd.ts')).main(a) },
  sim: { about: 'run a simulator scenario: summary table, results JSON and plots in a folder', run: async (a) => (await import('./sim/cli.ts')).main(a) },
  report: { about: 'the fixed scenario matrix: SVG plots and a Markdown summary [--baseline DIR]', run: async (a) => (await import('./report/cmd.ts')).main(a) },
  view: { about: 'the live overlay view in a browser, for a simulation or a running cluster', run: async (a) => (await import('./view/cmd.ts')).main(a) },
  adcounter: { about: 'the advertisement counter in the simulator, with its report', run: async (a) => (await import('./adcounter/cli.ts')).main(a) },
  bench: { about: 'CRDT delta bytes (CBOR vs JSON) and join throughput [--quick]', run: (a) => script('./bench/crdt.ts', () => import('./bench/crdt.ts'), a) },
  flash: { about: 'upload a board bundle to Storage as boot code: flash --port PATH [--run] BUNDLE.js', run: async (a) => (await import('./flash.ts')).main(a) },
  'board-check': {
    about: 'check entries against the Espruino subset: board-check FILE.ts…',
    run: async (a) => (await import('./board-check.ts')).main(a),
  },
};

/** Commands that other parts of Pollen add (listed so the help is complete; they register themselves in SUBS). */
const LATER: { [name: string]: string } = {
  flash: 'put the Pollen board bundle on an Espruino board (tools/flash.ts)',
};

function usage(): string {
  const names = Object.keys(SUBS).sort();
  for (const n of Object.keys(LATER)) if (!SUBS[n]) names.push(n);
  names.sort();
  const lines = names.map((n) => '  ' + n.padEnd(14) + (SUBS[n] ? SUBS[n].about : LATER[n]));
  return (
    'usage: pollen <command> [args]\n\ncommands:\n' + lines.join('\n') +
    '\n  help [CMD]    this text, or a command\'s options (same as pollen CMD --help)\n  version       the package version'
  );
}

export async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (cmd === 'help' && argv[1] !== undefined && SUBS[argv[1]]) return SUBS[argv[1]].run(['--help']);
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(usage());
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === 'version' || cmd === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    console.log(pkg.version);
    return 0;
  }
  const sub = Object.prototype.hasOwnProperty.call(SUBS, cmd) ? SUBS[cmd] : undefined;
  if (!sub) {
    console.error('pollen: unknown command "' + cmd + '"\n\n' + usage());
    return 2;
  }
  return sub.run(argv.slice(1));
}
