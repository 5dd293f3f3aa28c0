/**
 * The Pico profile (5,100 variables; Espruino WiFi and Bangle.js 2 take it too, with room to spare): a peer in
 * a HyParView overlay with the paper's views (5 active, 30 passive), Plumtree for the fast path, anti-entropy
 * as the backstop, the same three CRDT types and Serial1.
 */
import { registry, register } from '../../crdt/registry.ts';
import { PNCounter } from '../../crdt/pncounter.ts';
import { ORSet } from '../../crdt/orset.ts';
import { LWW } from '../../crdt/lww.ts';
import { HyParView } from '../../runtime/membership/hyparview.ts';
import { Plumtree } from '../../runtime/plumtree.ts';
import { AntiEntropy } from '../../runtime/antientropy.ts';
import { publish } from './profile.ts';

publish(function () {
  return { membership: HyParView, plumtree: Plumtree, sync: AntiEntropy, types: register(register(register(registry(), PNCounter), ORSet), LWW) };
}, 'peer');
