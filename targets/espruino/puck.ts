/**
 * The Puck.js profile (2,630 variables, 40,960 bytes of Storage): a sensor node (targets/espruino/sensor.ts:
 * client-server membership to its gateway, a client's delta anti-entropy, PN-Counter, OR-Set, LWW register),
 * Serial1 framed as transports/serial.ts and the BLE link to a Pi running transports/ble.ts
 * (targets/espruino/ble.ts, with `ble: true`). Pixl.js and MDBT42Q share it.
 */
import { publish } from './profile.ts';
import { bleLink } from './ble.ts';
import { sensorParts } from './sensor.ts';

publish(sensorParts, 'sensor', bleLink);
