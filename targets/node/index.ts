/**
 * The package's entry point on Node (a Raspberry Pi gateway, a server, a laptop): everything needed to run
 * nodes for real. `import { startNode, mqttLink } from 'pollen'` in an installed package resolves here, bundled
 * into dist/index.js at pack time (targets/node/build.ts); in this repository, import the files themselves.
 *
 *   import { startBroker, mqttLink, startNode, fileStore } from 'pollen';
 *   const link = await mqttLink({ id: 'pi-a', url: 'mqtt://127.0.0.1:1883', root: 'pollen/garden' });
 *   const node = await startNode({ id: 'pi-a', links: [link], store: fileStore('/var/lib/pollen/pi-a.pollen') });
 *
 * The serial and BLE links are separate entries ('pollen/serial', 'pollen/ble'): their native modules load only
 * when a program imports them.
 */
export { startNode, fileStore, memoryStore, PollenDriver, type NodeOptions, type NodeStore, type DriverEvents } from '../../transports/driver.ts';
export { mqttLink, MqttLink, type MqttOptions } from '../../transports/mqtt.ts';
export { tcpLink } from '../../transports/tcp.ts';
export { memoryLink, MemoryHub } from '../../transports/memory.ts';
export { shape } from '../../transports/shaper.ts';
export { startBroker, type Broker, type BrokerOptions } from '../../transports/broker.ts';
export { startGateway, relay, type Gateway, type GatewayOptions } from './gateway.ts';
export { LinkError, type Link, type LinkCounters } from '../../transports/link.ts';
