/**
 * A raw TCP client for the hostile-link suites: a plain socket that speaks the TCP link's framing (a 4-byte
 * big-endian length, then the payload) without being a Pollen node, so a test can send what an attacker would.
 */
import { connect, type Socket } from 'node:net';

/** One frame as the TCP link reads it. */
export function frame(payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length, 0);
  return Buffer.concat([h, payload]);
}

/** A connected socket to 127.0.0.1:port. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}
