/**
 * The advertisement counter (tools/adcounter/app.ts) on real links: a server and four clients, each a node driver
 * with its own MQTT link to the broker (aedes, or MQTT_URL), clients reaching it through a proxy the test can cut.
 * Two clients lose the broker for a while and keep showing ads offline; when they come back, every impression
 * is counted, every ad is retired everywhere, and all replicas agree.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mqttLink } from '../../transports/mqtt.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { install, program, publish, watch, impression, served, counterOf, type Contract } from '../../tools/adcounter/app.ts';
import { testBroker } from '../support/broker.ts';
import { proxy, type Proxy } from '../support/proxy.ts';
import { until, sleep } from '../support/wait.ts';

test('ad counter over MQTT: clients that drop off and come back lose no impression; ads retire everywhere', async () => {
  const b = await testBroker();
  const brokerPort = Number(new URL(b.url).port);
  const proxies: Proxy[] = [];
  const nodes: PollenDriver[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const start = async (id: string, url: string, seed: number) => {
      const link = await mqttLink({ id, url, protocolVersion: b.protocolVersion, root: b.root, keepalive: 2, backoff: { min: 50, max: 400 } });
      const n = await startNode({ id, seed, links: [link], contacts: id === 's' ? undefined : ['s'] });
      install(n.node);
      for (const c of program()) n.command(c);
      nodes.push(n);
      return n;
    };
    const s = await start('s', b.url, 1);
    // The server holds the threshold reads (as in the Lasp paper): one per ad it serves, set as ads appear.
    s.on('changed', () => {
      for (const c of watch(s.node)) s.command(c);
    });
    const clients: PollenDriver[] = [];
    for (let i = 1; i <= 4; i++) {
      const p = await proxy(brokerPort);
      proxies.push(p);
      clients.push(await start('c' + i, 'mqtt://127.0.0.1:' + p.port, 10 + i));
    }
    await until(() => clients.every((c) => c.neighbors().length > 0), 'every client in the overlay', 10_000);

    const contracts: Contract[] = [{ ad: 'red', min: 60 }, { ad: 'green', min: 80 }, { ad: 'blue', min: 100 }];
    for (const c of publish(contracts)) s.command(c);
    await until(() => clients.every((c) => served(c.node).length === 3), 'every client serves the three ads', 10_000);

    // Each client shows an ad every 40 ms while it has one to show, online or not; the test keeps the tally.
    const shown: { [ad: string]: number } = { red: 0, green: 0, blue: 0 };
    let x = 7;
    const pick = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) % n; // seeded
    for (const c of clients) {
      timers.push(setInterval(() => {
        const i = impression(c.node, pick);
        if (!i) return;
        for (const cmd of i.cmds) c.command(cmd);
        shown[i.ad]++;
      }, 40));
    }
    // c1 and c2 lose the broker for 1.5 s mid-campaign.
    await sleep(300);
    proxies[0].block();
    proxies[1].block();
    await until(() => clients[0].links[0].peers().length === 0 && clients[1].links[0].peers().length === 0, 'c1, c2 offline');
    const offlineShown = () => shown.red + shown.green + shown.blue;
    const before = offlineShown();
    await sleep(1500);
    assert.ok(offlineShown() > before, 'impressions went on while offline');
    proxies[0].unblock();
    proxies[1].unblock();

    await until(() => nodes.every((n) => served(n.node).length === 0), 'every ad retired on every node', 20_000);
    for (const t of timers) clearInterval(t);
    timers.length = 0;
    // Nothing lost: every replica counts exactly the impressions shown, offline ones included.
    await until(
      () => nodes.every((n) => contracts.every((k) => n.query(counterOf(k.ad)) === shown[k.ad])),
      'every replica holds every impression (' + JSON.stringify(shown) + ')',
      15_000,
    );
    for (const k of contracts) assert.ok(shown[k.ad] >= k.min, k.ad + ' retired at ' + shown[k.ad] + ' < ' + k.min);
    for (const n of nodes) assert.equal(n.query('ads'), []);
    assert.ok(clients[0].links[0].counters.errors > 0, 'c1 saw its broker refuse it while cut off');
    assert.ok((clients[0].links[0] as any).connects >= 2 && (clients[1].links[0] as any).connects >= 2, 'c1 and c2 reconnected');
    const over = contracts.map((k) => k.ad + ' ' + shown[k.ad] + '/' + k.min).join(', ');
    console.log('ad counter (' + (b.embedded ? 'aedes' : b.url) + '): impressions shown/paid: ' + over);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const n of nodes) await n.close();
    for (const p of proxies) await p.close();
    await b.close();
  }
});

test.run();
