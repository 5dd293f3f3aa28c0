/**
 * The embedded MQTT broker: aedes (MQTT 3.1.1) on a loopback TCP port, for `npm start` and the tests. A real
 * deployment points the MQTT link at Mosquitto or any MQTT 3.1.1/5 broker instead (PROTOCOL.md, "MQTT").
 *
 *   const broker = await startBroker();          // a free port on 127.0.0.1
 *   const link = await mqttLink({ id: 'a', url: broker.url, protocolVersion: 4 });
 *   await broker.close();
 *
 * aedes speaks 3.1.1 only, so clients connect to it with protocolVersion 4.
 *
 * With `ws`, the same broker also listens for MQTT over WebSockets (`broker.wsUrl`, ws://127.0.0.1:PORT), which
 * is how a browser page reaches the cluster (targets/browser): browsers cannot open TCP sockets. The sub-protocol
 * is 'mqtt', as mqtt.js and Mosquitto's websockets listener use.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';

export interface Broker {
  /** mqtt://127.0.0.1:PORT (mqtts:// with `tls`) */
  url: string;
  port: number;
  /** ws://HOST:PORT for MQTT over WebSockets, when started with `ws`. */
  wsUrl?: string;
  wsPort?: number;
  /** The aedes instance (clients, retained store), for tests that inspect it. */
  aedes: Aedes;
  /** Drop every client connection at once (a broker restart as the clients see it) without closing the port. */
  dropClients(): void;
  /** Stop listening, drop every client, close aedes; idempotent. */
  close(): Promise<void>;
}

export interface BrokerOptions {
  /** TCP port (default 0: a free one). */
  port?: number;
  /** Interface (default 127.0.0.1: loopback only, nothing outside this machine can reach the demo broker). */
  host?: string;
  /** Serve MQTT over TLS with this key and certificate (PEM); clients then use mqtts:// and trust the cert. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Also listen for MQTT over WebSockets: `true` on a free port, or `{ port }` (same host as the TCP port). */
  ws?: boolean | { port?: number };
  /**
   * Largest WebSocket message accepted, in bytes (default 1 MiB: a Pollen frame is at most 64 KiB, and aedes
   * bounds MQTT packets itself; this only keeps one WebSocket message from being buffered without limit).
   */
  wsMaxPayload?: number;
}

const WS_MAX_PAYLOAD = 1 << 20;

/** An HTTP server that only upgrades to WebSockets with the 'mqtt' sub-protocol and hands each to aedes. */
async function listenWs(aedes: Aedes, host: string, port: number, maxPayload: number, sockets: Set<WebSocket>): Promise<{ http: HttpServer; wss: WebSocketServer; port: number }> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSockets only\n');
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const stream = createWebSocketStream(ws);
    // A client that vanishes mid-frame makes the stream error; aedes cleans up on close, so only swallow it here.
    stream.on('error', () => ws.terminate());
    aedes.handle(stream as unknown as Socket);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (e: NodeJS.ErrnoException) => reject(new Error('broker: cannot listen for WebSockets on ' + host + ':' + port + ': ' + (e.code || e.message))));
    http.listen(port, host, () => resolve());
  });
  return { http, wss, port: (http.address() as { port: number }).port };
}

export async function startBroker(o: BrokerOptions = {}): Promise<Broker> {
  const host = o.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const onSocket = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  };
  const server: Server = o.tls ? createTlsServer({ key: o.tls.key, cert: o.tls.cert }, onSocket) : createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      aedes.close();
      reject(new Error('broker: cannot listen on ' + host + ':' + (o.port ?? 0) + ': ' + (e.code || e.message)));
    });
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const wsSockets = new Set<WebSocket>();
  let ws: { http: HttpServer; wss: WebSocketServer; port: number } | undefined;
  if (o.ws) {
    try {
      ws = await listenWs(aedes, host, typeof o.ws === 'object' ? o.ws.port ?? 0 : 0, o.wsMaxPayload ?? WS_MAX_PAYLOAD, wsSockets);
    } catch (e) {
      await new Promise<void>((resolve) => server.close(() => aedes.close(() => resolve())));
      throw e;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    url: (o.tls ? 'mqtts://' : 'mqtt://') + host + ':' + port,
    port,
    wsUrl: ws ? 'ws://' + host + ':' + ws.port : undefined,
    wsPort: ws?.port,
    aedes,
    dropClients() {
      for (const s of sockets) s.destroy();
      for (const s of wsSockets) s.terminate();
    },
    close() {
      if (!closing) {
        const wsClosed = ws
          ? new Promise<void>((resolve) => {
              ws!.wss.close();
              ws!.http.close(() => resolve());
              for (const s of wsSockets) s.terminate();
            })
          : Promise.resolve();
        closing = wsClosed.then(
          () =>
            new Promise<void>((resolve) => {
              server.close(() => aedes.close(() => resolve()));
              for (const s of sockets) s.destroy();
            }),
        );
      }
      return closing;
    },
  };
}
