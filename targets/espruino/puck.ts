/**
 * The Puck.js profile (2,630 variables, 40,960 bytes of Storage): a sensor node with client-server membership to
 * its gateway (the client role alone), a client's delta anti-entropy (runtime/deltasync.ts; no Plumtree: a client has one neighbour, so there is no tree to build), three CRDT
 * types (PN-Counter, OR-Set, LWW register), Serial1 framed as transports/serial.ts and the BLE link to a Pi
 * running transports/ble.ts (targets/espruino/ble.ts, with `ble: true`). Pixl.js and MDBT42Q share it.
 */
import { registry, register } from '../../crdt/registry.ts';
import { PNCounterCore } from '../../crdt/pncounter.ts';
import { ORSetCore } from '../../crdt/orset.ts';
import { LWWCore } from '../../crdt/lww.ts';
import { Client } from '../../runtime/membership/client.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import { publish } from './profile.ts';
import { bleLink } from './ble.ts';

publish(function () {
  return { membership: Client, plumtree: null, sync: DeltaSync, types: register(register(register(registry(), PNCounterCore), ORSetCore), LWWCore) };
}, 'sensor', bleLink);
