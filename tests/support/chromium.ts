/**
 * Headless Chromium for the browser suites: Debian's chromium (the `chromium` extra, tests/support/extras.ts)
 * driven by playwright-core, with a fresh profile folder that is removed on close. Never a browser download.
 *
 *   const exe = extra('chromium', 'what the suite does');
 *   const b = await launch(exe);        // b.context: a persistent context on a fresh user-data-dir
 *   const page = await b.context.newPage();
 *   await b.close();
 *
 * A small HTTP server for the pages under test: `serve({ '/': html, '/pollen.js': bytes })` on a free loopback port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Flags for a quiet, sandbox-free headless run in a container: no GPU, no background traffic, no first-run UI. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launch(executablePath: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args: ARGS, timeout: 60_000 });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TYPES: { [ext: string]: string } = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css' };

/** Serve fixed files by path on 127.0.0.1 (query strings ignored); anything else is a 404. */
export async function serve(files: { [path: string]: string | Uint8Array }): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url || '/').split('?')[0];
    const body = files[path];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const ext = path === '/' ? 'html' : path.slice(path.lastIndexOf('.') + 1);
    res.writeHead(200, { 'content-type': TYPES[ext] || 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: 'http://127.0.0.1:' + port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
