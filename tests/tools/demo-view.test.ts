/**
 * `npm start -- --view` (the demo with --view): after its stories the cluster keeps running, a node adds a visit
 * every 2 s, and the live view serves it: /frame shows every node up with its active view, and the visits grow
 * between two frames. SIGTERM stops it with exit status 0. (The page itself is tested in Chromium by view-*.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CliProc } from '../support/cliproc.ts';
import { until } from '../support/wait.ts';

test('the demo with --view keeps its cluster running in the live view', async () => {
  const p = CliProc.start(['demo', '--view', '--nodes', '3', '--quiet']);
  try {
    await until(() => /Live view of this cluster: (http:\S+)/.test(p.out), 'the view address', 60_000, 100);
    const url = /Live view of this cluster: (http:\S+)/.exec(p.out)![1];
    assert.match(p.out, /All 3 nodes hold the same values\./);
    const frame = async () => {
      const r = await fetch(url + 'frame');
      assert.is(r.status, 200, 'a frame is there from the start');
      return r.json();
    };
    const visits = (x: any) => Math.max(...x.nodes.map((n: any) => n.vars.visits ?? 0));
    let f = await frame();
    assert.is(f.nodes.length, 3);
    assert.ok(f.nodes.every((n: any) => n.up && n.active.length > 0), JSON.stringify(f.nodes.map((n: any) => n.active)));
    const before = visits(f);
    const end = Date.now() + 15_000;
    while (visits((f = await frame())) <= before && Date.now() < end) await new Promise((r) => setTimeout(r, 300));
    assert.ok(visits(f) > before, 'visits grew from ' + before);
    assert.is(await p.stop(), 0);
  } finally {
    await p.stop();
  }
});

test.run();
