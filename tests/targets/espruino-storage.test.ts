/**
 * The board's state in Storage (targets/espruino/storage.ts) on the interpreter: restored at boot with a new
 * incarnation, a damaged newest slot falls back to the other one, and a process killed at arbitrary moments while
 * it writes (a reset) always boots with a whole state, the last one saved or the one before.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extra } from '../support/extras.ts';
import { buildBoard } from '../../targets/espruino/build.ts';
import { runStored, writeStorage, type Interpreter } from '../../tools/espruino.ts';

const dir = extra('espruino', 'board Storage persistence on the Espruino interpreter');

const START = 'var p = Pollen.start({ id: "puck1", vars: { hits: "pncounter", seen: "orset", mode: "lww" }, serial: false, persist: "pln" });';
const SHOW = 'print("state " + p.node.incarnation + " " + p.query("hits") + " " + p.query("seen").length);';

if (dir) {
  const it: Interpreter = { dir, pool: 12000 };
  let code = '';
  let tmp = '';
  const fresh = (): string => fs.mkdtempSync(path.join(tmp, 'b-'));
  const state = (lines: string[]): string => lines.filter((l) => l.startsWith('state '))[0] || '(no state line)';

  test.before(async () => {
    code = (await buildBoard('puck', { check: false })).code;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-storage-'));
  });
  test.after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

  test('a restart restores the variables and counts the incarnation up', async () => {
    const cwd = fresh();
    await writeStorage(it, cwd, [{ name: 'b.js', code }]);
    const a = await runStored(it, cwd, START + 'p.update("hits","inc",[5]);p.update("seen","add",["x"]);p.save();' + SHOW);
    assert.is(a.failure, undefined, a.raw.slice(-1000));
    assert.is(state(a.lines), 'state 0 5 1');
    const b = await runStored(it, cwd, START + SHOW);
    assert.is(b.failure, undefined, b.raw.slice(-1000));
    assert.is(state(b.lines), 'state 1 5 1');
  });

  test('each boot issues its dots under a new replica id, so a reset that lost an update never reuses its dot', async () => {
    const cwd = fresh();
    await writeStorage(it, cwd, [{ name: 'b.js', code }]);
    const DOTS = 'print("dots " + p.node.replica + " " + JSON.stringify(p.node.store.vars.seen.type.encode(p.node.store.vars.seen.state)[0]));';
    // Boot 0 adds x and is reset before its debounced save: Storage still holds the state of the boot write.
    const a = await runStored(it, cwd, START + 'p.update("seen","add",["x"]);' + DOTS);
    assert.is(a.failure, undefined, a.raw.slice(-1000));
    assert.equal(a.lines.filter((l) => l.startsWith('dots ')), ['dots puck1@0 ["x",["puck1@0",1]]']);
    // Boot 1 adds y: a peer that got x as (puck1@0, 1) keeps it beside y's (puck1@1, 1), where a plain id would
    // have issued (puck1, 1) twice and made both vanish there.
    const b = await runStored(it, cwd, START + 'p.update("seen","add",["y"]);' + DOTS);
    assert.is(b.failure, undefined, b.raw.slice(-1000));
    assert.equal(b.lines.filter((l) => l.startsWith('dots ')), ['dots puck1@1 ["y",["puck1@1",1]]']);
    // Without Storage the epoch is drawn at random, above any incarnation.
    const c = await runStored(it, cwd, 'var p = Pollen.start({ id: "puck1", vars: { seen: "orset" }, serial: false });' + DOTS);
    const m = /^dots puck1@([0-9a-z]+) /.exec(c.lines.filter((l) => l.startsWith('dots '))[0] || '');
    assert.ok(m && parseInt(m[1], 36) >= 4294967296, c.lines.join('\n'));
  });

  test('a damaged newest slot falls back to the older whole one', async () => {
    const cwd = fresh();
    await writeStorage(it, cwd, [{ name: 'b.js', code }]);
    // Boot writes seq 1 (slot .1, empty variables); save() writes seq 2 (slot .0) with hits = 7.
    const a = await runStored(it, cwd, START + 'p.update("hits","inc",[7]);p.save();' + SHOW);
    assert.is(state(a.lines), 'state 0 7 0');
    await writeStorage(it, cwd, [{ name: 'pln.0', code: 'garbage in place of the newest slot' }]);
    const b = await runStored(it, cwd, START + SHOW);
    assert.is(b.failure, undefined, b.raw.slice(-1000));
    assert.is(state(b.lines), 'state 1 0 0');
  });

  test('killed while saving again and again, it boots with the last or the next-to-last save', async () => {
    for (const ms of [400, 900, 1500]) {
      const cwd = fresh();
      await writeStorage(it, cwd, [{ name: 'b.js', code }]);
      // Each round: one more, a save, then the line that says it was saved. A kill lands anywhere in this loop.
      let last = 0;
      let killAt: () => void = () => {};
      const killed = new Promise<void>((r) => { killAt = r; });
      let timer: NodeJS.Timeout | undefined;
      const run = await runStored(it, cwd, START + 'var k=0;function round(){k++;p.update("hits","inc",[1]);p.save();print("saved "+k);setTimeout(round,0);}round();', {
        async: true,
        stop: killed,
        timeoutMs: 30000,
        onLine: (l) => {
          const m = /^saved (\d+)$/.exec(l);
          if (!m) return;
          last = Number(m[1]);
          if (!timer) timer = setTimeout(killAt, ms);
        },
      });
      assert.is(run.failure, undefined, run.raw.slice(-1000));
      assert.ok(last > 0, 'no save before the kill');
      const b = await runStored(it, cwd, START + SHOW);
      assert.is(b.failure, undefined, b.raw.slice(-1000));
      const m = /^state 1 (\d+) 0$/.exec(state(b.lines));
      assert.ok(m, state(b.lines));
      const hits = Number(m![1]);
      // The save after the last printed line may have finished (hits = last + 1) or been cut, and then its slot
      // fails the CRC and the other slot holds save `last`: never less, never a broken state.
      assert.ok(hits >= last && hits <= last + 1, 'restored ' + hits + ' after ' + last + ' saves printed (kill at ' + ms + ' ms)');
    }
  });

  test.run();
}
