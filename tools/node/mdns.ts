/**
 * Discovery of TCP nodes on a LAN by mDNS/DNS-SD (RFC 6762/6763) through bonjour-service: the node announces its
 * TCP listener as a `_pollen._tcp` service whose TXT record carries its id, browses for the others, and dials
 * each one it finds (TcpLink.addAddress); the link's hello then tells who is there and the node joins the first
 * peer found when it has no contacts (run.ts). What it finds is logged as a `discovered` event.
 *
 *   const stop = await announceAndBrowse('pi-a', tcp, log);
 *   await stop();   // unpublish (a goodbye packet) and close the sockets
 */
import { Bonjour, type Service } from 'bonjour-service';
import type { TcpLink } from '../../transports/tcp.ts';
import type { Log } from './run.ts';

/** The DNS-SD service type: _pollen._tcp. */
export const SERVICE = 'pollen';

/** The address to dial for a service: an IPv4 one it lists, else where its answer came from. */
export function addressOf(s: Service): string | undefined {
  const v4 = (s.addresses ?? []).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  const host = v4 ?? s.referer?.address;
  return host && s.port ? host + ':' + s.port : undefined;
}

export async function announceAndBrowse(id: string, tcp: TcpLink, log: Log, opts: { interface?: string } = {}): Promise<() => Promise<void>> {
  const bonjour = new Bonjour(opts.interface ? ({ interface: opts.interface } as object) : undefined, (e: Error) => log({ ev: 'error', message: 'mdns: ' + e.message }));
  // The instance name must be unique on the LAN: the node id is (ids are the cluster's names for nodes).
  bonjour.publish({ name: 'pollen-' + id, type: SERVICE, port: tcp.port, txt: { id }, probe: false });
  const browser = bonjour.find({ type: SERVICE }, (s: Service) => {
    const peer = s.txt && typeof s.txt.id === 'string' ? s.txt.id : undefined;
    if (peer === id) return;
    const addr = addressOf(s);
    if (!addr) return;
    if (tcp.addAddress(addr)) log({ ev: 'discovered', peer: peer ?? s.name, address: addr, by: 'mdns' });
  });
  return () =>
    new Promise<void>((resolve) => {
      browser.stop();
      bonjour.unpublishAll(() => bonjour.destroy(() => resolve()));
    });
}
