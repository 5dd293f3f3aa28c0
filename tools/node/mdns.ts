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

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/**
 * The address to dial for a service: where its answer came from (that address reached us, so it is on a network
 * we share), else the first IPv4 address it lists.
 */
export function addressOf(s: Service): string | undefined {
  const from = s.referer?.address;
  const host = from && IPV4.test(from) ? from : (s.addresses ?? []).find((a) => IPV4.test(a));
  return host && s.port ? host + ':' + s.port : undefined;
}

export async function announceAndBrowse(id: string, tcp: TcpLink, log: Log, opts: { interface?: string } = {}): Promise<() => Promise<void>> {
  // On one interface (e.g. 127.0.0.1 for a test that stays on this machine) the socket still binds the wildcard
  // address, which is where multicast packets arrive.
  const mdnsOpts = opts.interface ? ({ interface: opts.interface, bind: '0.0.0.0', loopback: true } as object) : undefined;
  const bonjour = new Bonjour(mdnsOpts, (e: Error) => log({ ev: 'error', message: 'mdns: ' + e.message }));
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
