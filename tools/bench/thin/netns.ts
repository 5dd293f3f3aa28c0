/**
 * A thin link made by the kernel: two network namespaces joined by a veth pair whose two ends are each rate
 * limited by a token bucket filter (`tc qdisc … tbf`), so processes in the namespaces talk over a line of a
 * given bit rate in both directions, with the kernel's own queue and drops. Needs root, `ip` and `tc`.
 *
 *   const net = await thinNet({ bitsPerSecond: 9600 });   // throws NetnsError (with why) when it cannot
 *   spawn('ip', ['netns', 'exec', net.a, ...cmd]);          // a process on side a, reachable at net.addrA
 *   await net.stats();                                      // bytes and drops each qdisc saw
 *   await net.close();                                      // deletes both namespaces (the veth goes with them)
 *
 * The line: MTU 576 (the classic minimum for slow links, RFC 879: a packet of at most 576 bytes takes 0.5 s at
 * 9600 bit/s and 15 s at 300), a bucket of one packet (tbf needs at least one packet; a bigger one would let
 * bursts pass above the rate), and a queue of two packets behind it, like a modem's small buffer: more waits are
 * dropped, as on a real thin link. IPv6 is off on both sides so router solicitations do not use the line.
 */
import { execFile } from 'node:child_process';

export class NetnsError extends Error {}

export interface ThinNet {
  a: string;
  b: string;
  addrA: string;
  addrB: string;
  /** Bytes, packets and drops each side's qdisc saw (its egress). */
  stats(): Promise<{ a: QdiscStats; b: QdiscStats }>;
  close(): Promise<void>;
}

export interface QdiscStats {
  bytes: number;
  packets: number;
  dropped: number;
}

/** MTU of the veth pair, bytes. */
export const THIN_MTU = 576;
/** Ethernet header the qdisc counts on top of each IP packet. */
const L2 = 14;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10000 }, (err, stdout, stderr) => {
      if (err) reject(new NetnsError(cmd + ' ' + args.join(' ') + ': ' + (stderr.trim() || err.message)));
      else resolve(stdout);
    });
  });
}

let made = 0;

/** Make the pair; on any failure it removes what it made and throws a NetnsError saying what failed. */
export async function thinNet(o: { bitsPerSecond: number }): Promise<ThinNet> {
  if (process.platform !== 'linux') throw new NetnsError('network namespaces need Linux (this is ' + process.platform + ')');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new NetnsError('network namespaces and tc need root (uid ' + process.getuid() + ')');
  const tag = process.pid.toString(36) + '-' + made++;
  const a = 'pthin-a-' + tag;
  const b = 'pthin-b-' + tag;
  const va = 'pta' + tag.replace(/-/g, '');
  const vb = 'ptb' + tag.replace(/-/g, '');
  const addrA = '10.77.0.1';
  const addrB = '10.77.0.2';
  const made1: string[] = [];
  const close = async () => {
    for (const ns of made1.splice(0)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  };
  try {
    for (const ns of [a, b]) {
      await run('ip', ['netns', 'add', ns]);
      made1.push(ns);
      await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    await run('ip', ['link', 'add', va, 'netns', a, 'type', 'veth', 'peer', 'name', vb, 'netns', b]);
    const rate = String(Math.round(o.bitsPerSecond)) + 'bit';
    const packet = THIN_MTU + L2;
    for (const [ns, dev, addr] of [[a, va, addrA], [b, vb, addrB]]) {
      await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', dev, 'mtu', String(THIN_MTU)]);
      await run('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', addr + '/24', 'dev', dev]);
      await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', dev, 'up']);
      await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', rate,
        'burst', String(packet), 'limit', String(2 * packet)]);
    }
    const stats = async () => {
      const one = async (ns: string, dev: string): Promise<QdiscStats> => {
        const s = await run('ip', ['netns', 'exec', ns, 'tc', '-s', 'qdisc', 'show', 'dev', dev]);
        const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+)/.exec(s);
        return m ? { bytes: Number(m[1]), packets: Number(m[2]), dropped: Number(m[3]) } : { bytes: NaN, packets: NaN, dropped: NaN };
      };
      return { a: await one(a, va), b: await one(b, vb) };
    };
    return { a, b, addrA, addrB, stats, close };
  } catch (e) {
    await close();
    throw e instanceof NetnsError ? e : new NetnsError(String(e));
  }
}
