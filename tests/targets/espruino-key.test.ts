/**
 * The board with the cluster key (the `puckkey` profile: runtime/auth.ts over the board's HMAC) on Espruino's
 * interpreter, Serial1 on a pseudo-terminal, against a Node.js gateway (transports/driver.ts over
 * transports/serial.ts): with the same key the two converge both ways; a gateway without the key (a stranger on
 * the wire) can neither join the board nor write to it, and its frames are dropped as unsealed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extra } from '../support/extras.ts';
import { buildBoard } from '../../targets/espruino/build.ts';
import { runStored, writeStorage, type Interpreter, type RunResult } from '../../tools/espruino.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { serialLink } from '../../transports/serial.ts';
import { ptyPair, type PtyPair } from '../transports/ptypair.ts';
import { until } from '../support/wait.ts';
import { encode } from '../../crdt/codec/cbor.ts';
import { ORSet, add } from '../../crdt/orset.ts';
import { DELTA, VERSION } from '../../runtime/messages.ts';
import type { Link } from '../../transports/link.ts';

const dir = extra('espruino', 'the board with a cluster key, over a pty on the Espruino interpreter');

const KEY = randomBytes(16).toString('hex');

function boardScript(tty: string, then: string): string {
  return 'var p = Pollen.start({ id: "puck1", contacts: ["pi"], vars: { hits: "pncounter", seen: "orset" }, key: "' + KEY + '", keyId: 3, ' +
    'serial: { setup: { path: ' + JSON.stringify(tty) + ' } }, persist: "pln" });\n' +
    'p.on("changed", function (id) { print("changed " + id + " " + JSON.stringify(p.query(id))); });\n' +
    'p.on("dropped", function (from, why) { print("dropped " + why); });\n' + then;
}

if (dir) {
  const it: Interpreter = { dir, pool: 12000 };
  let tmp = '';
  let code = '';
  const open: { pair?: PtyPair; gw?: PollenDriver }[] = [];

  test.before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-key-'));
    code = (await buildBoard('puckkey')).code;
  });
  test.after(async () => {
    for (const o of open) {
      if (o.gw) await o.gw.close();
      if (o.pair) await o.pair.close();
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A board life and a gateway on a fresh pty and Storage; `key` gives the gateway the board's key. */
  async function pairUp(key: boolean): Promise<{ g: PollenDriver; link: Link; lines: string[]; stop: () => Promise<RunResult> }> {
    const cwd = fs.mkdtempSync(path.join(tmp, 'b-'));
    await writeStorage(it, cwd, [{ name: 'b.js', code }]);
    const pair = await ptyPair(undefined, 20000);
    const link = await serialLink({ id: 'pi', path: pair.a, baudRate: 9600 });
    const g = await startNode({
      id: 'pi', membership: 'client-server', links: [link],
      keys: key ? [{ id: 3, key: KEY }] : undefined,
    });
    open.push({ pair, gw: g });
    g.declare('hits', 'pncounter');
    g.declare('seen', 'orset');
    const lines: string[] = [];
    let stopIt: () => void = () => {};
    const life = runStored(it, cwd, boardScript(pair.b, 'p.update("hits", "inc", [3]);'), {
      async: true, timeoutMs: 60000, stop: new Promise<void>((r) => { stopIt = r; }), onLine: (l) => { lines.push(l); },
    });
    return { g, link, lines, stop: () => { stopIt(); return life; } };
  }

  test('with the same key, board and gateway converge both ways', async () => {
    const { g, lines, stop } = await pairUp(true);
    await until(() => g.query('hits') === 3, 'the gateway counts the board\'s 3', 30000).catch((e: Error) => {
      throw new Error(e.message + '; board said:\n' + lines.join('\n') + '\ngateway: ' + JSON.stringify(g.metrics()));
    });
    g.update('seen', 'add', ['from-pi']);
    await until(() => lines.some((l) => l.startsWith('changed seen') && l.indexOf('from-pi') >= 0), 'the board hears the gateway', 20000);
    const done = await stop();
    assert.is(done.failure, undefined, done.raw.slice(-1500));
    assert.not.ok(lines.some((l) => l.startsWith('dropped auth')), lines.join('\n'));
  });

  test('a gateway without the key neither joins the board nor writes to it', async () => {
    const { g, link, lines, stop } = await pairUp(false);
    g.update('hits', 'inc', [5]);
    await until(() => lines.some((l) => l === 'changed hits 3'), 'the board to start', 20000);
    // The stranger writes straight to the board: an anti-entropy DELTA adding an element, as any node would send
    // it, but without the key's tag (its own node, keyless, does not even join the board).
    const forged = encode([VERSION, DELTA, 'pi', 0, [1, [['seen', 'orset', ORSet.encode(add(ORSet.bottom(), 'pi', 'from-stranger'))]]]]);
    for (let i = 0; i < 3; i++) link.send('puck1', forged);
    await until(() => lines.filter((l) => l === 'dropped auth.none').length >= 3, 'the board drops the stranger\'s frames', 20000).catch((e: Error) => {
      throw new Error(e.message + '; board said:\n' + lines.join('\n'));
    });
    // The board's own frames (its JOIN, its deltas) are sealed: the keyless gateway cannot read them either.
    await until(() => (g.metrics().dropped || 0) > 0, 'the keyless gateway to drop the board\'s sealed frames', 30000).catch((e: Error) => {
      throw new Error(e.message + '; gateway: ' + JSON.stringify(g.metrics()));
    });
    const done = await stop();
    assert.is(done.failure, undefined, done.raw.slice(-1500));
    assert.not.ok(lines.some((l) => l.indexOf('from-stranger') >= 0), 'the stranger\'s element reached the board');
    assert.is(g.query('hits'), 5, 'the board\'s sealed 3 was taken by the keyless gateway');
  });

  test.run();
}
