/**
 * The shared-basket example in one command: the embedded broker (MQTT on TCP for Node nodes, MQTT over WebSockets
 * for pages), one Node node ('shop') that holds the basket too and is the pages' gateway (targets/node/gateway.ts:
 * a page is a client of it), and a web server for the page and the browser bundle. Open the printed URL in two tabs: adding or removing in one shows in the other and here.
 *
 *   npm run example:basket                    # http://127.0.0.1:8080/
 *   npm run example:basket -- --port 0        # any free port (the URL is printed)
 *
 * Type `add ITEM`, `remove ITEM` or `show` here to change the basket from the Node side; Ctrl-C leaves cleanly.
 * Options: --port (web server, default 8080), --host (default 127.0.0.1: only this machine; 0.0.0.0 lets phones on
 * the network in, and then the broker listens there too), --root (topic root, default pollen/basket).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startBroker } from '../../transports/broker.ts';
import { startGateway } from '../../targets/node/gateway.ts';
import { buildBrowser } from '../../targets/browser/build.ts';

const { values: a } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    root: { type: 'string', default: 'pollen/basket' },
  },
});
const port = Number(a.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('example: --port must be 0..65535');
  process.exit(2);
}

const broker = await startBroker({ host: a.host, ws: true });
// The pages join 'shop' on a topic root of their own (gateway.pagesRoot); 'shop' is a cluster node for the rest.
const gateway = await startGateway({ id: 'shop', url: broker.url, root: a.root });
const shop = gateway.cluster;
shop.declare('basket', 'orset');
shop.on('changed', (e) => {
  if (e.id === 'basket') console.log('shop: basket = ' + JSON.stringify(shop.query('basket').slice().sort()));
});
gateway.pages.on('neighbor', (e) => console.log('shop: page ' + e.peer + (e.up ? ' joined' : ' left')));

const bundle = await buildBrowser();
const page = readFileSync(new URL('./index.html', import.meta.url));
// The page reaches the broker at the host it was loaded from, so a phone on the network gets the right address.
const files: { [path: string]: { type: string; body: (host: string) => string | Uint8Array } } = {
  '/': { type: 'text/html; charset=utf-8', body: () => page },
  '/pollen.js': { type: 'text/javascript; charset=utf-8', body: () => bundle.code },
  '/config.json': { type: 'application/json', body: (host) => JSON.stringify({ ws: 'ws://' + host + ':' + broker.wsPort, root: gateway.pagesRoot }) },
};
const web = createServer((req, res) => {
  const f = files[(req.url || '/').split('?')[0]];
  if (!f || req.method !== 'GET') {
    res.writeHead(404).end();
    return;
  }
  const host = (req.headers.host || a.host).replace(/:\d+$/, '');
  res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store' }).end(f.body(host));
});
await new Promise<void>((resolve, reject) => {
  web.once('error', (e: NodeJS.ErrnoException) => reject(new Error('example: cannot serve on ' + a.host + ':' + port + ': ' + (e.code || e.message) + ' (try --port 0)')));
  web.listen(port, a.host, () => resolve());
});
const shown = a.host === '0.0.0.0' ? '127.0.0.1' : a.host;
console.log('Pollen basket: open http://' + shown + ':' + (web.address() as { port: number }).port + '/ in two tabs');
console.log('broker: ' + broker.url + ' (Node nodes), ' + broker.wsUrl + ' (pages); type add ITEM, remove ITEM or show');

let closing = false;
async function quit(): Promise<void> {
  if (closing) return;
  closing = true;
  web.closeAllConnections();
  web.close();
  await gateway.close();
  await broker.close();
  process.exit(0);
}
process.on('SIGINT', quit);
process.on('SIGTERM', quit);

createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^\s*(add|remove|show)\s*(.*?)\s*$/.exec(line);
  try {
    if (!m) console.log('commands: add ITEM, remove ITEM, show');
    else if (m[1] === 'show') console.log('shop: basket = ' + JSON.stringify(shop.query('basket').slice().sort()));
    else if (m[2]) shop.update('basket', m[1], [m[2]]);
  } catch (e) {
    console.log('shop: ' + (e as Error).message);
  }
});
