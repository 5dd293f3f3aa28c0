/**
 * The Puck.js profile with the cluster key: the sensor node of puck.ts (targets/espruino/sensor.ts) plus
 * runtime/auth.ts and the board's HMAC-SHA256 over its built-in SHA256 (targets/espruino/hmac.ts). Start it with
 * `key` (hex) and `persist`, and every frame is tagged and checked as a Pi's are, so strangers on the radio or the
 * wire can neither join nor write. A separate profile, so that a board without a key carries none of its code.
 */
import { init, open, seal } from '../../runtime/auth.ts';
import { publish } from './profile.ts';
import { bleLink } from './ble.ts';
import { boardAuth } from './hmac.ts';
import { sensorParts } from './sensor.ts';

publish(function () {
  const p = sensorParts();
  p.auth = { init: init, seal: seal, open: open };
  p.keyed = boardAuth;
  return p;
}, 'sensor', bleLink);
