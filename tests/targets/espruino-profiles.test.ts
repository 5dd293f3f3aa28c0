/**
 * Every board profile's bundle on Espruino's own interpreter, loaded from Storage as a board boots it: it keeps
 * to the board rules (the build refuses otherwise), loads, declares three variables and takes updates, and its
 * figures are measured against issue 13's budgets (bytes, variables after load, variables at peak).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extra } from '../support/extras.ts';
import { buildBoard, BOARDS } from '../../targets/espruino/build.ts';
import { runOnEspruino } from '../../tools/espruino.ts';
import { sensorScript, budgetLine } from './board-support.ts';

const dir = extra('espruino', 'board bundles on the Espruino interpreter');

if (dir) {
  for (const board of ['puck', 'pico']) {
    test(board + ': builds within the board rules, loads from Storage and runs three variables', async () => {
      const spec = BOARDS[board];
      const built = await buildBoard(board);
      // Functional first, on a pool with room: the node must work before its size is worth measuring.
      const big = await runOnEspruino({ dir, pool: 12000 }, built.code,
        sensorScript({}) + '\nprint("got " + p.query("hits") + " " + p.query("seen").length + " " + p.query("mode"));', { timeoutMs: 60000 });
      assert.is(big.failure, undefined, big.raw.slice(-1500));
      assert.ok(big.lines.indexOf('got 1 20 on') >= 0, big.lines.join('\n'));
      // On the board's own pool: loading and the filled variables, or where it runs out.
      const own = await runOnEspruino({ dir, pool: spec.pool }, built.code, sensorScript({}), { timeoutMs: 60000 });
      const load = own.memory.load !== undefined ? own.memory.load : big.memory.load;
      process.stdout.write(budgetLine({ board, what: 'bytes minified', measured: built.bytes, target: spec.budget.bytes }) + '\n');
      process.stdout.write(budgetLine({ board, what: 'variables after load', measured: load, target: spec.budget.load }) + '\n');
      process.stdout.write('measured: ' + board + ' on its pool of ' + spec.pool + ': ' + (own.failure ? own.failure : 'filled at ' + own.memory.filled) +
        '; on 12000: load ' + big.memory.load + ', started ' + big.memory.started + ', filled ' + big.memory.filled + '\n');
      if (spec.enforce.indexOf('runs') >= 0) assert.is(own.failure, undefined, board + ' on its own pool: ' + own.raw.slice(-1500));
      if (spec.enforce.indexOf('bytes') >= 0) assert.ok(built.bytes <= spec.budget.bytes, budgetLine({ board, what: 'bytes', measured: built.bytes, target: spec.budget.bytes }));
      if (spec.enforce.indexOf('load') >= 0) assert.ok(load <= spec.budget.load, budgetLine({ board, what: 'load', measured: load, target: spec.budget.load }));
    });
  }
  test.run();
}
