/**
 * targets/browser in a real browser: headless Chromium loads a page with the browser bundle (built here by
 * targets/browser/build.ts). The page is a client (client-server membership, no HyParView, no Plumtree): it joins
 * a gateway (targets/node/gateway.ts) through the embedded broker's WebSocket listener, and the gateway relays to
 * a cluster of two Node nodes that use HyParView. The page updates, has its network cut, updates offline while a
 * Node node does too, comes back and converges; then a reload with no broker to reach resumes from IndexedDB, and
 * a reload with the broker catches up again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { extra } from '../support/extras.ts';
import { launch, serve } from '../support/chromium.ts';
import { startBroker, type Broker } from '../../transports/broker.ts';
import { mqttLink } from '../../transports/mqtt.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { buildBrowser } from '../../targets/browser/build.ts';
import { startGateway, type Gateway } from '../../targets/node/gateway.ts';

const exe = extra('chromium', 'the browser target (a page in a Node cluster over MQTT WebSockets, offline, IndexedDB)');

const ROOT = 'pollen-web-test';
/** Bound on every wait for convergence, in ms: generous for a loaded 2-core machine running Chromium. */
const WAIT_MS = 30_000;

const PAGE = `<!doctype html><meta charset="utf-8"><title>pollen test page</title>
<script type="module">
import * as pollen from '/pollen.js';
window.pollen = pollen;
window.loaded = true;
</script>`;

async function until(what: string, f: () => boolean | Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out after ' + ms + ' ms waiting for: ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sorted = (v: unknown): string => JSON.stringify(Array.isArray(v) ? v.slice().sort() : v);

if (exe) {
  let broker: Broker;
  let nodes: PollenDriver[] = [];
  let gw: Gateway;
  let b: Awaited<ReturnType<typeof launch>>;
  let site: Awaited<ReturnType<typeof serve>>;
  let page: Page;

  /** Open the page and connect it; `url` is the broker's WebSocket address (or one where nothing listens). */
  async function openPage(url: string): Promise<string> {
    await page.goto(site.url + '/');
    await page.waitForFunction(() => (window as any).loaded === true);
    return page.evaluate(async (u) => {
      const w = window as any;
      // A short keepalive: Chromium's offline mode stalls the open WebSocket rather than closing it, so the page
      // learns of the cut from unanswered pings, as a phone that loses its network does.
      w.p = await w.pollen.connect({ url: u, root: 'pollen-web-test/pages', keepalive: 2, types: [w.pollen.ORSet] });
      w.p.declare('basket', 'orset');
      w.changes = 0;
      w.p.on('changed', () => w.changes++);
      return w.p.id as string;
    }, url);
  }
  const pageQuery = (): Promise<string> => page.evaluate(() => JSON.stringify((window as any).p.query('basket').slice().sort()));
  /** Add on the page; resolves once the page's update promise does, i.e. once it is saved in IndexedDB. */
  const pageAdd = (x: string): Promise<void> => page.evaluate((v) => (window as any).p.update('basket', 'add', [v]), x);
  const pageOnline = (): Promise<boolean> => page.evaluate(() => (window as any).p.online());

  test.before(async () => {
    broker = await startBroker({ ws: true });
    for (const id of ['n1', 'n2']) {
      const link = await mqttLink({ id, url: broker.url, root: ROOT, protocolVersion: 4 });
      const n = await startNode({ id, links: [link], contacts: id === 'n1' ? [] : ['n1'] });
      n.declare('basket', 'orset');
      nodes.push(n);
    }
    gw = await startGateway({ id: 'gw', url: broker.url, root: ROOT, contacts: ['n1'] });
    assert.is(gw.pagesRoot, ROOT + '/pages');
    const bundle = await buildBrowser();
    site = await serve({ '/': PAGE, '/pollen.js': bundle.code });
    b = await launch(exe);
    page = await b.context.newPage();
    page.on('pageerror', (e) => console.error('page error: ' + e.message));
  });

  test.after(async () => {
    await b?.close();
    await site?.close();
    await gw?.close();
    await Promise.all(nodes.map((n) => n.close()));
    await broker?.close();
  });

  let pageId = '';

  test('a page joins the gateway over MQTT WebSockets and converges both ways with the HyParView cluster behind it', async () => {
    pageId = await openPage(broker.wsUrl!);
    assert.match(pageId, /^web-/);
    await until('the page is online', pageOnline);
    await pageAdd('milk');
    nodes[1].update('basket', 'add', ['bread']);
    const want = sorted(['bread', 'milk']);
    await until('every replica holds milk and bread', async () => (await pageQuery()) === want && nodes.every((n) => sorted(n.query('basket')) === want));
    await until('the page\'s one neighbour is its gateway', async () => JSON.stringify(await page.evaluate(() => (window as any).p.neighbors())) === '["gw"]');
    assert.ok(nodes.every((n) => !n.neighbors().some((p) => p.startsWith('web-'))), 'no cluster node has the page as a neighbour: the gateway relays');
    assert.ok((await page.evaluate(() => (window as any).changes)) >= 2, 'changed events fired for the local and the remote update');
  });

  test('offline: both sides update while the page\'s network is cut, and converge once it is back', async () => {
    await b.context.setOffline(true);
    await until('the page sees it is offline', async () => !(await pageOnline()));
    await pageAdd('eggs');
    nodes[0].update('basket', 'add', ['jam']);
    nodes[0].update('basket', 'remove', ['bread']);
    // The cut is real: a second later the cluster still has not heard of the eggs, nor the page of the jam.
    await new Promise((r) => setTimeout(r, 1000));
    assert.not.ok(nodes[0].query('basket').includes('eggs'), 'n1 cannot see an update made offline');
    assert.is(await pageQuery(), sorted(['bread', 'eggs', 'milk']), 'the page keeps its own update and nothing else');
    await b.context.setOffline(false);
    const want = sorted(['eggs', 'jam', 'milk']);
    await until('every replica converges after the page comes back', async () => (await pageQuery()) === want && nodes.every((n) => sorted(n.query('basket')) === want));
  });

  test('a reload with no broker to reach resumes from IndexedDB; with the broker it catches up again', async () => {
    // No explicit save: every page update above resolved only once IndexedDB had it (durability 'sync'), and the
    // remote changes were saved as they came; the reload is what a crash of the tab would leave.
    // Port 9 on loopback: nothing listens there, so the page starts from what it saved and nothing else.
    const again = await openPage('ws://127.0.0.1:9');
    assert.is(again, pageId, 'the tab keeps its replica id across a reload (sessionStorage)');
    assert.is(await pageQuery(), sorted(['eggs', 'jam', 'milk']), 'the state came back from IndexedDB');
    assert.not.ok(await pageOnline());
    await pageAdd('tea');
    nodes[1].update('basket', 'add', ['figs']);
    await openPage(broker.wsUrl!);
    const want = sorted(['eggs', 'figs', 'jam', 'milk', 'tea']);
    await until('the reloaded page and the cluster converge', async () => (await pageQuery()) === want && nodes.every((n) => sorted(n.query('basket')) === want));
  });

  test.run();
}
