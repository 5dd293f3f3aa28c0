/**
 * The embedded MQTT broker: aedes (MQTT 3.1.1) on a loopback TCP port, for `npm start` and the tests. A real
 * deployment points the MQTT link at Mosquitto or any MQTT 3.1.1/5 broker instead (PROTOCOL.md, "MQTT").
 *
 *   const broker = await startBroker();          // a free port on 127.0.0.1
 *   const link = await mqttLink({ id: 'a', url: broker.url, protocolVersion: 4 });
 *   await broker.close();
 *
 * aedes speaks 3.1.1 only, so clients connect to it with protocolVersion 4.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';

export interface Broker {
  /** mqtt://127.0.0.1:PORT (mqtts:// with `tls`) */
  url: string;
  port: number;
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
  let closing: Promise<void> | undefined;
  return {
    url: (o.tls ? 'mqtts://' : 'mqtt://') + host + ':' + port,
    port,
    aedes,
    dropClients() {
      for (const s of sockets) s.destroy();
    },
    close() {
      if (!closing) {
        closing = new Promise<void>((resolve) => {
          server.close(() => aedes.close(() => resolve()));
          for (const s of sockets) s.destroy();
        });
      }
      return closing;
    },
  };
}
