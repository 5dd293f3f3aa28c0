/**
 * `npm run bench:board`: the board profiles measured on Espruino's own interpreter (POLLEN_ESPRUINO_DIR, default
 * node_modules/.cache/espruino as .ci/run builds it), written to BENCHMARKS.md (section bench:board) and to the
 * table of README's "Run it on a board". Every figure is a process.memory().usage read on the interpreter, with
 * the bundle evaluated from Storage as a board boots it:
 * - bytes: the minified bundle (targets/espruino/build.ts);
 * - after load: variables in use once the bundle is evaluated (a fresh interpreter uses about 58);
 * - per element: (usage with 40 OR-Set elements - usage with none) / 40;
 * - per peer: usage once joined to one gateway over a pty and synced, minus usage before the join;
 * - peak: the smallest pool (found by bisection with ballast, tools/espruino.ts `cap`) in which the sensor run
 *   (three variables, a 20-element OR-Set, then a save, which encodes the state) completes;
 * - largest OR-Set: elements added on the board's own pool before it runs out or the state bound refuses one.
 * `--progress` draws the progress bar on stderr even when it is not a terminal.
 */
import * as path from 'node:path';
import { buildBoard, BOARDS } from '../../targets/espruino/build.ts';
import { runOnEspruino, type Interpreter } from '../espruino.ts';
import { startNode } from '../../transports/driver.ts';
import { serialLink } from '../../transports/serial.ts';
import { ptyPair } from '../../tests/transports/ptypair.ts';
import { machine, ROOT, writeSection } from './peers/report.ts';
import { parse } from '../cli/args.ts';
import { progress } from '../cli/progress.ts';

const DIR = process.env.POLLEN_ESPRUINO_DIR || path.join(ROOT, 'node_modules/.cache/espruino');
const VARS = '{ hits: "pncounter", seen: "orset", mode: "lww" }';

function sensor(n: number, extra: string): string {
  return 'var p = Pollen.start({ id: "puck1", vars: ' + VARS + ', serial: false, persist: "pln" });' +
    'p.update("hits","inc",[1]);for (var i = 0; i < ' + n + '; i++) p.update("seen","add",["tag" + i]);' +
    'p.update("mode","set",["on",Math.floor(Date.now())]);mark("filled");' + extra;
}

interface Row {
  board: string;
  pool: number;
  bytes: number;
  load: number;
  perElement: number;
  perPeer: number | string;
  peak: number | string;
  largest: string;
}

/** Steps measure() reports to `step` for the progress bar: build, load, per peer, peak, then one per pool. */
const STEPS = 4;

async function measure(board: string, pools: number[], step: (label: string) => void): Promise<Row[]> {
  const spec = BOARDS[board];
  const built = await buildBoard(board);
  step(board + ' built');
  const big: Interpreter = { dir: DIR, pool: 12000 };
  const none = await runOnEspruino(big, built.code, sensor(0, ''), { timeoutMs: 90000 });
  const forty = await runOnEspruino(big, built.code, sensor(40, ''), { timeoutMs: 90000 });
  if (none.failure || forty.failure) throw new Error(board + ': ' + (none.failure || forty.failure));
  step(board + ' load');
  const perElement = Math.round(((forty.memory.filled - none.memory.filled) / 40) * 10) / 10;
  const perPeer = await perPeerOf(built.code, spec.entry.indexOf('puck') >= 0 ? 'client-server' : 'hyparview');
  step(board + ' per peer');
  // Peak: bisection over the cap, between the load figure and the largest pool.
  let lo = none.memory.load;
  let hi = 12000;
  const fits = async (cap: number): Promise<boolean> => !(await runOnEspruino(big, built.code, sensor(20, 'p.save();'), { cap, timeoutMs: 90000 })).failure;
  if (!(await fits(hi))) throw new Error(board + ': the sensor run fails even on 12000 variables');
  while (hi - lo > 10) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fits(mid)) hi = mid; else lo = mid;
  }
  step(board + ' peak');
  const rows: Row[] = [];
  for (const pool of pools) {
    const largest = await largestOrSet({ dir: DIR, pool }, built.code);
    step(board + ' largest OR-Set on ' + pool);
    rows.push({ board: board, pool, bytes: built.bytes, load: none.memory.load, perElement, perPeer, peak: hi, largest });
  }
  return rows;
}

/** Variables one gateway peer costs: joined over a pty to a Node gateway, synced, minus before the join. */
async function perPeerOf(code: string, membership: 'client-server' | 'hyparview'): Promise<number | string> {
  const pair = await ptyPair(undefined, 20000);
  const gw = await startNode({ id: 'pi', membership, links: [await serialLink({ id: 'pi', path: pair.a, baudRate: 9600 })] });
  gw.declare('hits', 'pncounter');
  gw.declare('seen', 'orset');
  gw.declare('mode', 'lww');
  try {
    const r = await runOnEspruino({ dir: DIR, pool: 12000 }, code,
      'var p = Pollen.start({ id: "puck1", contacts: ["pi"], vars: ' + VARS + ', serial: { setup: { path: ' + JSON.stringify(pair.b) + ' } } });' +
      'mark("before");p.on("neighbor",function(){setTimeout(function(){p.update("hits","inc",[1]);},100);});' +
      'p.on("changed",function(id){if(id==="seen"){setTimeout(function(){mark("joined");finish();},2000);}});', {
        async: true, timeoutMs: 40000,
        onLine: (l) => { if (/^@mem before/.test(l)) gw.update('seen', 'add', ['from-pi']); },
      });
    if (r.failure || r.memory.joined === undefined) return 'n/a (' + (r.failure || 'did not sync') + ')';
    return r.memory.joined - r.memory.before;
  } finally {
    await gw.close();
    await pair.close();
  }
}

async function largestOrSet(it: Interpreter, code: string): Promise<string> {
  const r = await runOnEspruino(it, code, sensor(0,
    'var n=0;try{for(;n<5000;n++){p.update("seen","add",["tag"+n]);if(n%10===9)print("n "+(n+1));}}catch(e){print("refused "+n+" "+e.reason);}'), { timeoutMs: 120000 });
  const refused = r.lines.filter((l) => l.startsWith('refused ')).pop();
  if (refused) return refused.split(' ')[1] + ' (the state bound, ' + refused.split(' ')[2] + ')';
  const last = r.lines.filter((l) => l.startsWith('n ')).pop();
  if (r.memory.load === undefined) return '0 (the bundle does not load: ' + (r.failure || '?') + ')';
  return (last ? last.slice(2) : '0') + ' (' + (r.failure || 'no failure') + ')';
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2), { progress: { type: 'boolean' } }, 'usage: npm run bench:board -- [--progress]\n', false);
  if (typeof a === 'number') {
    process.exitCode = a;
    return;
  }
  const bar = progress('bench:board', 2 * (STEPS + 2), { force: a.values.progress === true });
  const step = (label: string) => bar.tick(label);
  const rows = (await measure('puck', [2630, 12000], step)).concat(await measure('pico', [5100, 12000], step));
  bar.done();
  const table = [
    '| profile (board) | pool | bundle bytes | variables after load | free after load | per OR-Set element | per peer (one gateway) | peak, 3 variables + 20-element OR-Set + save | largest OR-Set on this pool |',
    '|---|---|---|---|---|---|---|---|---|',
  ].concat(rows.map((r) => '| ' + r.board + ' | ' + r.pool + ' | ' + r.bytes + ' | ' + r.load + ' | ' + (r.pool - r.load) + ' | ' + r.perElement + ' | ' +
    r.perPeer + ' | ' + r.peak + ' | ' + r.largest + ' |'));
  const budgets = [
    '', 'Budgets of issue 13 for the Puck.js: bundle <= 16,384 bytes, <= 700 variables after load, <= 1,500 at peak.',
    'Interpreter: Espruino 2v29 for Linux (64-bit, 17-byte blocks; a board\'s 13-byte blocks hold the same counts within about 6%). ' + machine() + '.',
  ];
  const body = table.concat(budgets).join('\n');
  writeSection(path.join(ROOT, 'BENCHMARKS.md'), 'bench:board', '<!-- bench:board start -->\n## Board profiles on the Espruino interpreter (npm run bench:board)\n\n' + body + '\n<!-- bench:board end -->');
  writeSection(path.join(ROOT, 'README.md'), 'bench:board', '<!-- bench:board start -->\n' + body + '\n<!-- bench:board end -->');
  process.stdout.write(body + '\n');
}

main().catch((e: unknown) => { process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n'); process.exitCode = 1; });
