/**
 * End to end, board to gateway: the Puck.js bundle runs on Espruino's interpreter with Serial1 opened on one end
 * of a pseudo-terminal pair, and a Node.js gateway (transports/driver.ts over transports/serial.ts) holds the
 * other end. The board joins its gateway (client-server), updates travel both ways, the board is reset and boots
 * from Storage with a new incarnation, and both sides converge.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extra } from '../support/extras.ts';
import { buildBoard } from '../../targets/espruino/build.ts';
import { runStored, writeStorage, type Interpreter, type RunResult } from '../../tools/espruino.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { serialLink } from '../../transports/serial.ts';
import { ptyPair, type PtyPair } from '../transports/ptypair.ts';

const dir = extra('espruino', 'board-to-gateway over a pty on the Espruino interpreter');

/** The board's sensor code: its three variables, Serial1 on the pty, a line per change, saved at once. */
function boardScript(tty: string, then: string): string {
  return 'var p = Pollen.start({ id: "puck1", contacts: ["pi"], vars: { hits: "pncounter", seen: "orset", mode: "lww" }, ' +
    'serial: { setup: { path: ' + JSON.stringify(tty) + ' } }, persist: "pln" });\n' +
    'p.on("changed", function (id) { p.save(); print("changed " + id + " " + JSON.stringify(p.query(id))); });\n' +
    'p.on("neighbor", function (peer, up) { print("neighbor " + peer + " " + up); });\n' +
    'print("booted " + p.node.incarnation + " " + p.query("hits") + " " + JSON.stringify(p.query("seen")));\n' + then;
}

async function until(what: string, f: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (dir) {
  // The Puck.js profile on the Bangle.js 2 pool: the core does not fit a Puck.js pool yet (see the budget lines
  // of espruino-profiles.test.ts); the protocol is the same.
  const it: Interpreter = { dir, pool: 12000 };
  let tmp = '';
  let pair: PtyPair | undefined;
  let gw: PollenDriver | undefined;

  test.after(async () => {
    if (gw) await gw.close();
    if (pair) await pair.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('join, updates both ways, a reset from Storage, convergence', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-gw-'));
    const code = (await buildBoard('puck', { check: false })).code;
    await writeStorage(it, tmp, [{ name: 'b.js', code }]);
    pair = await ptyPair();
    gw = await startNode({ id: 'pi', membership: 'client-server', links: [await serialLink({ id: 'pi', path: pair.a, baudRate: 9600 })] });
    gw.declare('hits', 'pncounter');
    gw.declare('seen', 'orset');
    gw.declare('mode', 'lww');
    const g = gw;

    // First life: the board counts 3 and hears the gateway's element.
    let lines: string[] = [];
    let stop1: () => void = () => {};
    const life1 = runStored(it, tmp, boardScript(pair.b, 'p.update("hits", "inc", [3]);'), {
      async: true, timeoutMs: 60000, stop: new Promise<void>((r) => { stop1 = r; }), onLine: (l) => { lines.push(l); },
    });
    let r1: RunResult | undefined;
    void life1.then((r) => { r1 = r; });
    await until('the gateway to count 3 from the board', () => g.query('hits') === 3 || r1 !== undefined, 30000).catch((e: Error) => {
      throw new Error(e.message + '; board said:\n' + lines.join('\n') + '\ngateway: ' + JSON.stringify(g.metrics()));
    });
    assert.is(g.query('hits'), 3, r1 ? r1.raw.slice(-1500) : lines.join('\n'));
    g.update('seen', 'add', ['from-pi']);
    await until('the board to hear the gateway\'s element', () => lines.some((l) => l.startsWith('changed seen') && l.indexOf('from-pi') >= 0), 20000);
    stop1();
    const done1 = await life1;
    assert.is(done1.failure, undefined, done1.raw.slice(-1500));

    // Reset: the board boots from Storage with its state and a new incarnation, rejoins, and counts 2 more.
    lines = [];
    let stop2: () => void = () => {};
    const life2 = runStored(it, tmp, boardScript(pair.b, 'p.update("hits", "inc", [2]);'), {
      async: true, timeoutMs: 60000, stop: new Promise<void>((r) => { stop2 = r; }), onLine: (l) => { lines.push(l); },
    });
    await until('the board to boot', () => lines.some((l) => l.startsWith('booted')), 20000);
    assert.is(lines.filter((l) => l.startsWith('booted'))[0], 'booted 1 3 ["from-pi"]');
    g.update('seen', 'add', ['after-reset']);
    await until('the gateway to count 5', () => g.query('hits') === 5, 30000);
    await until('the board to hear the element added after its reset',
      () => lines.some((l) => l.startsWith('changed seen') && l.indexOf('after-reset') >= 0), 20000);
    stop2();
    const done2 = await life2;
    assert.is(done2.failure, undefined, done2.raw.slice(-1500));
    const last = lines.filter((l) => l.startsWith('changed seen')).pop() || '';
    assert.equal(JSON.parse(last.slice('changed seen '.length)).sort(), (g.query('seen') as string[]).slice().sort());
  });

  test.run();
}
