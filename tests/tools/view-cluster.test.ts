/**
 * The live view of a real 3-node cluster in a real browser: three `pollen node` processes on a broker (aedes, or
 * MQTT_URL) serving /state, `pollen view --from` polling them, Chromium loading the page: the nodes and their
 * eager edges appear, an update shows in a clicked node's variables, a stopped node is drawn down without edges.
 */
import { test } from 'uvu';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { extra } from '../support/extras.ts';
import { CliProc } from '../support/cliproc.ts';
import { SHOTS, browser, until } from '../support/browser.ts';
import { testBroker } from '../support/broker.ts';

const exe = extra('chromium', 'the live view of a running cluster in a browser');
if (exe) {
  test('the live view of a real 3-node cluster: nodes, edges, a variable, a node stopping', async () => {
    const broker = await testBroker();
    const procs: CliProc[] = [];
    const b = await browser(exe);
    try {
      const mq = ['--url', broker.url, '--root', broker.root, '--mqtt-version', String(broker.protocolVersion), '--keepalive', '2', '--http', '127.0.0.1:0', '--json', '--stdin', '--var', 'hits:gcounter'];
      const start = (id: string, join: string[]) => {
        const p = CliProc.start(['node', '--id', id, ...mq, ...join]);
        procs.push(p);
        return p.event((e) => e.ev === 'ready', id + ' ready');
      };
      const a = await start('a', []);
      const rest = await Promise.all([start('b', ['--join', 'a']), start('c', ['--join', 'a'])]);
      const urls = [a, ...rest].map((e) => e.http);
      const view = CliProc.start(['view', '--json', '--from', urls.join(','), '--every', '200']);
      procs.push(view);
      const { url } = await view.event((e) => e.ev === 'view', 'the view serves');
      await b.page.goto(url);
      await until(b.page, (p) => Object.keys(p.nodes).sort().join() === 'a,b,c' && p.eager.length >= 2 && Object.values(p.nodes).every((s) => s === 'converged'), 'a, b, c joined by eager edges, converged');
      procs[0].send('update hits inc 7');
      await b.page.dispatchEvent('circle[data-id="c"]', 'click');
      await b.page.waitForFunction(`(document.getElementById('detail-vars') || {}).textContent === 'hits7'`, undefined, { timeout: 20_000 });
      mkdirSync(SHOTS, { recursive: true });
      await b.page.screenshot({ path: join(SHOTS, 'view-cluster.png') });
      await procs[2].stop();
      await until(b.page, (p) => p.nodes.c === 'down' && p.eager.every((k) => !k.includes('c')) && p, 'c drawn down with no edges', 30_000);
    } finally {
      await b.close();
      for (const p of procs) await p.stop();
      await broker.close();
    }
  });

  test.run();
}
