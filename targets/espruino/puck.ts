/**
 * The Puck.js profile (2,630 variables, 40,960 bytes of Storage): a sensor node with client-server membership to
 * its gateway (the client role alone), a client's delta anti-entropy (runtime/deltasync.ts; no Plumtree: a client has one neighbour, so there is no tree to build), three CRDT
 * types (PN-Counter, OR-Set, LWW register) and Serial1 framed as transports/serial.ts. Pixl.js and MDBT42Q share it.
 */
import { registry, register } from '../../crdt/registry.ts';
import { PNCounter } from '../../crdt/pncounter.ts';
import { ORSet } from '../../crdt/orset.ts';
import { LWW } from '../../crdt/lww.ts';
import { Client } from '../../runtime/membership/client.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import { publish } from './profile.ts';

publish(function () {
  return { membership: Client, plumtree: null, sync: DeltaSync, types: register(register(register(registry(), PNCounter), ORSet), LWW) };
}, 'sensor');
