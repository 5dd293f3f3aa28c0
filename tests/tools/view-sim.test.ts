/**
 * The live view of a simulation in a real browser (Chromium through playwright-core): nodes and edges appear and
 * change as the scenario crashes nodes, a click shows a node's views and variables, a screenshot is saved
 * (out/screenshots/view-sim.png).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { extra } from '../support/extras.ts';
import { CliProc } from '../support/cliproc.ts';
import { SHOTS, browser, picture, until } from '../support/browser.ts';

const exe = extra('chromium', 'the live view of a simulation in a browser');
if (exe) {
  test('the live view of a simulation: nodes and edges appear and change; a click shows a node', async () => {
    const view = CliProc.start(['view', '--json', '--sim', 'tools/sim/scenarios/crdt-restart.json', '--nodes', '12', '--speed', '10', '--loop']);
    const b = await browser(exe);
    try {
      const { url } = await view.event((e) => e.ev === 'view', 'the view serves');
      await b.page.goto(url);
      const first = await until(b.page, (p) => Object.keys(p.nodes).length === 12 && p.eager.length > 0 && p, '12 nodes and eager edges');
      // The scenario crashes 8 nodes at 20 s (simulated) and restarts them at 35 s, with updates from 10 s on:
      // the picture must change (nodes go down, edges go, colours change).
      // Watched in the page itself (on every DOM change), so a short crash window is not missed between polls; the
      // scenario loops, so a slow machine gets another chance.
      await b.page.waitForSelector('circle[data-state="down"]', { state: 'attached', timeout: 60_000 });
      const later = await picture(b.page);
      assert.ok(later.frames > first.frames, 'frames kept coming');
      assert.not.equal(later.eager.concat(later.lazy), first.eager.concat(first.lazy), 'the edges changed');
      await b.page.dispatchEvent('circle[data-id="n0"]', 'click'); // the layout may still move: no wait for a stable element
      await b.page.waitForSelector('#detail-vars', { state: 'attached', timeout: 10_000 });
      assert.match(await b.page.textContent('#detail-title') ?? '', /Node n0/);
      mkdirSync(SHOTS, { recursive: true });
      await b.page.screenshot({ path: join(SHOTS, 'view-sim.png') });
    } finally {
      await b.close();
      await view.stop();
    }
  });

  test.run();
}
