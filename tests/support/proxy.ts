/**
 * A TCP proxy on loopback that a test can cut: a client's network between it and the broker. `block()` drops
 * every connection through it and refuses new ones (the client sees its broker vanish and retries with
 * backoff); `unblock()` lets it through again.
 *
 *   const p = await proxy(broker.port);   // p.port forwards to 127.0.0.1:broker.port
 *   p.block(); ...; p.unblock();
 *   await p.close();
 */
import { createServer, connect, type Socket } from 'node:net';

export interface Proxy {
  port: number;
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

export async function proxy(target: number): Promise<Proxy> {
  let blocked = false;
  const open = new Set<Socket>();
  const server = createServer((inbound) => {
    if (blocked) {
      inbound.destroy();
      return;
    }
    const outbound = connect(target, '127.0.0.1');
    for (const [s, other] of [[inbound, outbound], [outbound, inbound]] as const) {
      open.add(s);
      s.on('error', () => other.destroy());
      s.on('close', () => {
        open.delete(s);
        other.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    block() {
      blocked = true;
      for (const s of open) s.destroy();
    },
    unblock() {
      blocked = false;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
