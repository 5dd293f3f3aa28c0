/**
 * The `pollen` CLI: one small dispatcher over the tools, each subcommand a module with `main(argv)` that
 * resolves to an exit code. Subcommands load lazily, so `pollen help` costs nothing.
 *
 *   pollen demo                      # the main job (also `npm start`)
 *   pollen sim tools/sim/scenarios/plumtree-100.json   # a simulator scenario, results as JSON
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

/** Run a script module that does its work at import time (the demo, the benches) with its own argv. */
async function script(path: string, argv: string[]): Promise<number> {
  const saved = process.argv;
  process.argv = [saved[0], path].concat(argv);
  try {
    await import(path);
  } finally {
    process.argv = saved;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

const SUBS: { [name: string]: Sub } = {
  demo: { about: 'a local cluster on the embedded broker: updates, a partition, a restart [--nodes N --seed S --quiet]', run: (a) => script('./demo.ts', a) },
  sim: { about: 'run a simulator scenario (JSON file), print results as JSON', run: async (a) => (await import('./sim/cli.ts')).main(a) },
  adcounter: { about: 'the advertisement counter in the simulator, with its report', run: async (a) => (await import('./adcounter/cli.ts')).main(a) },
  bench: { about: 'CRDT delta bytes (CBOR vs JSON) and join throughput [--quick]', run: (a) => script('./bench/crdt.ts', a) },
  flash: { about: 'upload a board bundle to Storage as boot code: flash --port PATH [--run] BUNDLE.js', run: async (a) => (await import('./flash.ts')).main(a) },
  'board-check': {
    about: 'check entries against the Espruino subset: board-check FILE.ts…',
    run: async (a) => (await import('./board-check.ts')).main(a),
  },
};

function usage(): string {
  const names = Object.keys(SUBS).sort();
  const lines = names.map((n) => '  ' + n.padEnd(14) + SUBS[n].about);
  return 'usage: pollen <command> [args]\n\ncommands:\n' + lines.join('\n') + '\n  help          this text\n  version       the package version';
}

export async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
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
