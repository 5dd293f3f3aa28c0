/**
 * The Puck.js profile with the cluster key (targets/espruino/puck.ts's parts, plus runtime/auth.ts and the
 * board's HMAC-SHA256 over its built-in SHA256, targets/espruino/hmac.ts): start it with `key` (hex) and
 * `persist`, and every frame is tagged and checked as a Pi's are, so strangers on the radio or the wire can
 * neither join nor write. A separate profile, so that a board without a key carries none of its code.
 */
import { registry, register } from '../../crdt/registry.ts';
import { PNCounterCore } from '../../crdt/pncounter.ts';
import { ORSetCore } from '../../crdt/orset.ts';
import { LWWCore } from '../../crdt/lww.ts';
import { Client } from '../../runtime/membership/client.ts';
import { DeltaSync } from '../../runtime/deltasync.ts';
import { init, open, seal } from '../../runtime/auth.ts';
import { publish } from './profile.ts';
import { bleLink } from './ble.ts';
import { boardAuth } from './hmac.ts';

publish(function () {
  return {
    membership: Client, plumtree: null, sync: DeltaSync, types: register(register(register(registry(), PNCounterCore), ORSetCore), LWWCore),
    auth: { init: init, seal: seal, open: open }, keyed: boardAuth,
  };
}, 'sensor', bleLink);
