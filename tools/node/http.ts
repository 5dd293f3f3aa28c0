/**
 * The small HTTP server of `pollen node` and `pollen bridge`: GET /metrics (Prometheus text format) and GET /state
 * (the node's snapshot as JSON, what `pollen view --from URL` reads). Anything else is 404; only GET and HEAD.
 * Listens on loopback unless told otherwise: the numbers say who the node talks to.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';

export interface Routes {
  [path: string]: () => { type: string; body: string };
}

export interface HttpServer {
  port: number;
  host: string;
  close(): Promise<void>;
}

export async function serve(host: string, port: number, routes: Routes): Promise<HttpServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try ' + Object.keys(routes).join(', ') + '\n');
      return;
    }
    try {
      const r = route();
      res.writeHead(200, { 'content-type': r.type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : r.body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String((e as Error).message) + '\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error('http: cannot listen on ' + host + ':' + port + ': ' + (e.code || e.message))));
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    host,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
