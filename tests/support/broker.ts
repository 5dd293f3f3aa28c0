/**
 * The broker an MQTT test talks to: the embedded aedes (MQTT 3.1.1) by default, or the broker at MQTT_URL (e.g.
 * Mosquitto started by tools/ci/mosquitto.sh, spoken to in MQTT 5) when that is set. Each call gets its own topic
 * root, so retained presence left on a shared broker by one test cannot leak into another.
 *
 *   const b = await testBroker();
 *   const link = await mqttLink({ id: 'a', url: b.url, protocolVersion: b.protocolVersion, root: b.root });
 *   await b.close();
 */
import { startBroker } from '../../transports/broker.ts';

export interface TestBroker {
  url: string;
  protocolVersion: 4 | 5;
  root: string;
  /** True for the embedded aedes. */
  embedded: boolean;
  close(): Promise<void>;
}

let n = 0;

export async function testBroker(): Promise<TestBroker> {
  const root = 'pollen-test/' + process.pid + '-' + Date.now().toString(36) + '-' + n++;
  const url = process.env.MQTT_URL;
  if (url) return { url, protocolVersion: 5, root, embedded: false, close: async () => {} };
  const b = await startBroker();
  return { url: b.url, protocolVersion: 4, root, embedded: true, close: () => b.close() };
}
