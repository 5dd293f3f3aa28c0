/**
 * The MQTT link's topic layout, presence rules and defaults (PROTOCOL.md, "MQTT"), in one place for the two adapters
 * that speak it: transports/mqtt.ts (Node, the gateway, the tools) and targets/browser/mqtt.ts (a page). Both read
 * every incoming PUBLISH through `heard`, so they agree on what is a frame, who is present and what is dropped.
 *
 *   <root>/inbox/<to>/<from>   a frame from <from> to <to>, QoS 0, payload = the frame's bytes
 *   <root>/presence/<id>       retained, QoS 1: "1" while <id> is connected, empty once it is gone (its will)
 *
 *   heard('r', 'a', 'r/inbox/a/b', bytes);     // { frame: 'b' }
 *   heard('r', 'a', 'r/presence/c', UP);        // { peer: 'c', up: true }
 */
import { peerIdProblem } from '../runtime/messages.ts';

/** The MQTT link's defaults (their reasons are at transports/mqtt.ts's options): seconds between PINGs, ms to wait
 *  for a CONNACK, the most of the send queue frames to one peer may hold. */
export const MQTT_DEFAULTS = { keepalive: 10, connectTimeout: 5000, queueShare: 0.5 };
/** Reconnect delays in ms: `min` doubling to `max`, each times a random 0.5..1. */
export const MQTT_BACKOFF = { min: 200, max: 10000 };

/** A presence payload is "1" (0x31); anything longer than this is not ours and is ignored (counted). */
export const MAX_PRESENCE = 64;

/** Why `id` cannot be a peer id and a topic level, or undefined when it can: the bound every layer accepts
 *  (runtime/messages.ts), and none of the characters MQTT topics reserve. */
export function badId(id: string): string | undefined {
  const bad = peerIdProblem(id);
  if (bad) return bad;
  if (/[/+#\u0000]/.test(id)) return 'id "' + id + '" contains one of / + # NUL, which MQTT topics reserve';
  return undefined;
}

/** A topic root is a prefix without wildcards, NUL or a leading or trailing '/'. */
export function badRoot(root: string): boolean {
  return root === '' || /[+#\u0000]/.test(root) || root[0] === '/' || root[root.length - 1] === '/';
}

export const inboxOf = (root: string, id: string): string => root + '/inbox/' + id + '/';
export const presenceOf = (root: string, id: string): string => root + '/presence/' + id;

/** See `heard`. */
export interface Heard {
  frame?: string;
  peer?: string;
  up?: boolean;
  bad?: string;
  /** The bad message was a frame (counted under dropped as well as errors). */
  dropped?: boolean;
}

/**
 * What a PUBLISH on `topic` means to node `self` under `root`: a frame from a peer (`frame`), a peer coming or
 * going (`peer`, `up`; `peer` is `self` when it is our own presence, e.g. our will published after we
 * reconnected), something to drop and count (`bad`, why), or nothing of ours (undefined: another topic, or a
 * presence topic whose last level is no peer id).
 */
export function heard(root: string, self: string, topic: string, payload: Uint8Array): Heard | undefined {
  const inbox = inboxOf(root, self);
  const presence = root + '/presence/';
  if (topic.startsWith(inbox)) {
    const from = topic.slice(inbox.length);
    const bad = badId(from) ?? (from === self ? 'a frame claiming to come from this node itself' : undefined);
    return bad ? { bad: 'frame on ' + topic + ' dropped: ' + bad, dropped: true } : { frame: from };
  }
  if (!topic.startsWith(presence)) return undefined;
  const peer = topic.slice(presence.length);
  if (badId(peer)) return undefined;
  if (payload.length > MAX_PRESENCE) return { bad: 'presence of ' + peer + ' is ' + payload.length + ' bytes, at most ' + MAX_PRESENCE + '; ignored' };
  return { peer, up: payload.length > 0 };
}
