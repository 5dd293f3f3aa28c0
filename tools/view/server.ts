/**
 * The live view's web server: the page (page/index.html), its script (page/app.ts with d3-force, bundled by
 * esbuild at start in a checkout; in an installed package, dist/view/ as targets/node/build.ts built it at pack
 * time), the current frame as JSON (/frame) and a stream of frames as server-sent events (/events).
 * A source (sources.ts) pushes frames; every connected page gets each one. Listens on loopback by default.
 *
 *   const v = await viewServer({ port: 0 });
 *   v.push(frameOf(t, 'sim', snapshots));
 *   console.log(v.url);   // http://127.0.0.1:PORT/
 */
import { createServer, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packed } from '../cli/packed.ts';
import type { Frame } from './snapshot.ts';

const PAGE = fileURLToPath(new URL('./page/', import.meta.url));
/** Pages connected at once: each holds a socket; more are refused (503) rather than piling up. */
const MAX_CLIENTS = 32;

export interface ViewServer {
  url: string;
  port: number;
  push(f: Frame): void;
  /** Tell the pages the run is over (they stop reconnecting). */
  end(): void;
  clients(): number;
  close(): Promise<void>;
}

/** The page and its script: from page/ in a checkout, from dist/view/ (built at pack time) in a package. */
async function pageFiles(): Promise<{ html: string; js: string }> {
  if (existsSync(PAGE + 'app.ts')) return { html: readFileSync(PAGE + 'index.html', 'utf8'), js: await bundlePage() };
  const dir = dirname(packed(import.meta.url, './page/app.ts', 'view/app.js').path);
  return { html: readFileSync(join(dir, 'index.html'), 'utf8'), js: readFileSync(join(dir, 'app.js'), 'utf8') };
}

/** Bundle the page's script (d3-force included) into one file for the browser. */
export async function bundlePage(): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('the live view bundles its page with esbuild: run npm install in the Pollen folder');
  }
  const r = await esbuild.build({ entryPoints: [PAGE + 'app.ts'], bundle: true, write: false, format: 'iife', target: 'es2020', minify: true, logLevel: 'silent' });
  return r.outputFiles[0].text;
}

export async function viewServer(o: { host?: string; port?: number } = {}): Promise<ViewServer> {
  const host = o.host ?? '127.0.0.1';
  const { html, js } = await pageFiles();
  const streams = new Set<ServerResponse>();
  let last: Frame | undefined;
  let ended = false;
  const send = (res: ServerResponse, event: string, data: string) => res.write('event: ' + event + '\ndata: ' + data + '\n\n');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (path === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(js);
    else if (path === '/frame') res.writeHead(last ? 200 : 204, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(last ? JSON.stringify(last) : undefined);
    else if (path === '/events') {
      if (streams.size >= MAX_CLIENTS) {
        res.writeHead(503).end('too many viewers\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      streams.add(res);
      req.on('close', () => streams.delete(res));
      if (last) send(res, 'frame', JSON.stringify(last));
      if (ended) send(res, 'end', '{}');
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error('view: cannot listen on ' + host + ':' + (o.port ?? 0) + ': ' + (e.code || e.message))));
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: 'http://' + host + ':' + port + '/',
    port,
    push(f) {
      last = f;
      const data = JSON.stringify(f);
      for (const s of streams) send(s, 'frame', data);
    },
    end() {
      ended = true;
      for (const s of streams) send(s, 'end', '{}');
    },
    clients: () => streams.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
