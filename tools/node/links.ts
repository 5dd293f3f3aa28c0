/**
 * The links of a node config (config.ts), made in a fixed order, MQTT first: the driver routes a send over the
 * first link that reaches the peer and falls back to the first link (MQTT can reach a node it has not yet seen
 * present; serial cannot). Serial and BLE modules load only when asked for (native bindings slow every start).
 * A link that cannot be made closes the ones already made and throws with the link's own message.
 */
import { mqttLink } from '../../transports/mqtt.ts';
import { tcpLink, type TcpLink } from '../../transports/tcp.ts';
import type { Link } from '../../transports/link.ts';
import type { NodeConfigFile } from './config.ts';
import type { KeySpec } from '../../runtime/auth.ts';
import { metered, type MeteredLink } from './meter.ts';

export interface Links {
  links: MeteredLink[];
  /** The TCP link, when there is one (mDNS announces its port and dials what it finds through it). */
  tcp?: TcpLink;
}

/** `keys`: the cluster keys, which the TCP link proves when a connection opens (transports/tcpproof.ts). */
export async function makeLinks(c: NodeConfigFile, keys?: KeySpec[]): Promise<Links> {
  const made: Link[] = [];
  let tcp: TcpLink | undefined;
  try {
    if (c.mqtt) {
      made.push(
        await mqttLink({
          id: c.id,
          url: c.mqtt.url,
          root: c.mqtt.root,
          protocolVersion: c.mqtt.version,
          keepalive: c.mqtt.keepalive,
          mqtt: { username: c.mqtt.username, password: c.mqtt.password },
        }),
      );
    }
    if (c.tcp) {
      tcp = await tcpLink({ id: c.id, listen: c.tcp.listen, connect: c.tcp.connect, keys });
      made.push(tcp);
    }
    if (c.serial.length) {
      const { serialLink } = await import('../../transports/serial.ts');
      for (const s of c.serial) made.push(await serialLink({ id: c.id, path: s.path, baudRate: s.baudRate }));
    }
    if (c.ble) {
      const { bleLink } = await import('../../transports/ble.ts');
      made.push(await bleLink({ id: c.id, namePrefix: c.ble.namePrefix }));
    }
  } catch (e) {
    await Promise.all(made.map((l) => l.close()));
    throw e;
  }
  return { links: made.map(metered), tcp };
}
