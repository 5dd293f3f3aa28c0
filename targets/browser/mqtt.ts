/**
 * A page's MQTT link over WebSockets (mqtt.js's browser build): the same topics, presence and defaults as
 * transports/mqtt.ts (both read them from transports/mqtttopics.ts), cut to what a page needs, so that it weighs a
 * fraction of the Node link in the page's bundle. What it leaves out: the options a page does not set (queue
 * bounds, maxFrame, budget, backoff and connect timeout keep the Node link's defaults), the link's knob checks,
 * MQTT 5's maximum packet size, and the words of its error messages (a failure is counted and reported by code).
 *
 *   const link = pageLink({ id: 'web-1', url: 'ws://gw.local:8080', root: 'pollen/pages' });
 *   link.on('peer', (p, up) => ...); link.send('gw', bytes); link.connected(); link.retryNow(); await link.close();
 *
 * It never waits for the broker: made at once, it connects in the background and retries with backoff (200 ms
 * doubling to 10 s, times a random 0.5..1) for as long as the page runs; frames wait meanwhile in the offline
 * queue. The bounds a link keeps (transports/link.ts): frames and bytes queued (in flight or offline) at most
 * DEFAULT_QUEUE, of which frames to one peer at most half (queueShare 0.5: every peer shares one connection);
 * tail drop past either, counted under dropped. Frames larger than DEFAULT_MAX_FRAME are refused both ways;
 * at most DEFAULT_MAX_PEERS peers up at once (one more is ignored, counted under errors); a receive budget per
 * sender (transports/budget.ts's defaults): any client of the broker can publish to our inbox, and frames past
 * their sender's budget are dropped before the node sees them (counted under throttled and dropped).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { PeerId } from '../../runtime/io.ts';
import { backoff } from '../../runtime/backoff.ts';
import { DEFAULT_MAX_FRAME, DEFAULT_MAX_PEERS, DEFAULT_QUEUE, LinkError, type Link, type LinkCounters, type LinkErrorCode, type LinkEvents } from '../../transports/link.ts';
import { PeerBudgets } from '../../transports/budget.ts';
import { badId, badRoot, heard, inboxOf, presenceOf, MQTT_BACKOFF, MQTT_DEFAULTS } from '../../transports/mqtttopics.ts';

export interface PageLinkOptions {
  id: PeerId;
  /** ws://host:port or wss://host:port. */
  url: string;
  /** Topic root (a gateway serves pages on '<its root>/pages'). */
  root: string;
  /** 4 (MQTT 3.1.1, default) or 5. */
  protocolVersion?: 4 | 5;
  /** Seconds between PINGs when idle, 0..65535 (default 10, as the Node link). */
  keepalive?: number;
  username?: string;
  password?: string;
}

export interface PageLink extends Link {
  /** Connected to the broker now. */
  connected(): boolean;
  /** Try the broker now rather than at the end of the backoff wait (the browser says the network is back). */
  retryNow(): void;
}

const UP = new Uint8Array([0x31]); // "1"
const GONE = new Uint8Array(0);
/** Frames to one peer may hold this share of the send queue. */
const SHARE = MQTT_DEFAULTS.queueShare;

export function pageLink(o: PageLinkOptions): PageLink {
  const self = o.id;
  const root = o.root;
  const keepalive = o.keepalive ?? MQTT_DEFAULTS.keepalive;
  const bad = badId(self) || (badRoot(root) ? 'root "' + root + '" must be a topic prefix without wildcards or a leading/trailing /' : '');
  if (bad) throw new Error('mqtt link: ' + bad);
  if (!(keepalive >= 0 && keepalive <= 65535 && Math.floor(keepalive) === keepalive)) throw new Error('mqtt link: keepalive is a whole number of seconds from 0 to 65535');
  const counters: LinkCounters = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, dropped: 0, errors: 0, throttled: 0 };
  const listeners: { [E in keyof LinkEvents]: LinkEvents[E][] } = { frame: [], peer: [], error: [] };
  const budget = new PeerBudgets();
  const inbox = inboxOf(root, self);
  const presence = presenceOf(root, self);
  /** Peers up now, and how many. */
  let up: { [peer: string]: true } = Object.create(null);
  let upCount = 0;
  /** Frames waiting while offline; with those handed to the client and not yet written, within DEFAULT_QUEUE. */
  let offline: { to: PeerId; bytes: Uint8Array }[] = [];
  let queuedFrames = 0;
  let queuedBytes = 0;
  /** Frames and bytes queued per destination (queueShare); entries leave at zero. */
  let perPeer: { [to: string]: { f: number; b: number } } = Object.create(null);
  let closed = false;
  /** close() started: our own empty presence coming back is no stale will. */
  let leaving = false;
  /** This attempt's failure was reported already (an 'error' came before its 'close'). */
  let reported = false;
  let attempt = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const emit = <E extends keyof LinkEvents>(e: E, ...args: Parameters<LinkEvents[E]>): void => {
    for (const fn of listeners[e].slice()) (fn as (...a: unknown[]) => void)(...args);
  };
  /** Count (under errors, or dropped when `drop`) and report; returns false for send. */
  const fail = (code: LinkErrorCode, what: string, drop?: boolean): false => {
    if (drop) counters.dropped++;
    else counters.errors++;
    emit('error', new LinkError('mqtt', code, what));
    return false;
  };
  const peer = (p: PeerId, on: boolean): void => {
    if (on ? up[p] || p === self : !up[p]) return;
    if (on && upCount >= DEFAULT_MAX_PEERS) {
      fail('protocol', 'peer ' + p + ' ignored: maxPeers');
      return;
    }
    if (on) up[p] = true;
    else delete up[p];
    upCount += on ? 1 : -1;
    emit('peer', p, on);
  };
  const allDown = (): void => {
    for (const p of Object.keys(up)) peer(p, false);
  };

  const client: MqttClient = mqtt.connect(o.url, {
    username: o.username,
    password: o.password,
    clientId: 'pollen:' + root + ':' + self,
    protocolVersion: o.protocolVersion ?? 4,
    keepalive,
    connectTimeout: MQTT_DEFAULTS.connectTimeout,
    clean: true,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    will: { topic: presence, payload: GONE as Buffer, qos: 1, retain: true },
  } as IClientOptions);

  const announce = (): void => {
    client.publish(presence, UP as Buffer, { qos: 1, retain: true }, (err) => {
      if (err && !closed && client.connected) fail('io', 'presence not published');
    });
  };

  /** Unqueue a frame (written or lost), for the bounds. */
  const unqueue = (to: PeerId, n: number): void => {
    queuedFrames--;
    queuedBytes -= n;
    const mine = perPeer[to];
    if (mine && --mine.f <= 0) delete perPeer[to];
    else if (mine) mine.b -= n;
  };

  const publish = (to: PeerId, bytes: Uint8Array): void => {
    client.publish(inboxOf(root, to) + self, bytes as Buffer, { qos: 0 }, (err) => {
      // Lost with the connection: back to the offline queue (it is still counted in the bounds), sent again
      // after the next CONNACK; otherwise it left or failed for good.
      if (err && !closed && !client.connected) {
        offline.push({ to, bytes });
        return;
      }
      unqueue(to, bytes.length);
      if (closed) return;
      if (err) fail('io', 'frame to ' + to + ' not written', true);
      else {
        counters.framesOut++;
        counters.bytesOut += bytes.length;
      }
    });
  };

  client.on('connect', () => {
    attempt = 0;
    reported = false;
    client.subscribe({ [inbox + '+']: { qos: 0 }, [presenceOf(root, '+')]: { qos: 1 } }, (err) => {
      if (err && !closed) fail('refused', 'subscriptions refused');
    });
    announce();
    const waiting = offline;
    offline = [];
    for (const f of waiting) publish(f.to, f.bytes);
  });
  client.on('error', (e: Error) => {
    if (closed) return;
    reported = true;
    fail('io', e.message);
  });
  // A lost connection or a failed attempt: one failure counted, every peer down, a retry after the backoff.
  client.on('close', () => {
    if (closed) return;
    if (!reported) fail('io', 'lost the broker');
    allDown();
    if (retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      reported = false;
      if (!closed && !client.connected) client.reconnect();
    }, backoff(MQTT_BACKOFF.min, MQTT_BACKOFF.max, attempt++) * (0.5 + Math.random() / 2));
  });
  client.on('message', (topic: string, payload: Uint8Array) => {
    if (closed) return;
    const h = heard(root, self, topic, payload);
    if (!h) return;
    if (h.bad) fail('protocol', h.bad, h.dropped);
    else if (h.frame !== undefined) {
      const from = h.frame;
      const n = payload.length;
      if (n > DEFAULT_MAX_FRAME) fail('oversize', 'frame of ' + n + ' bytes from ' + from, true);
      else if (!budget.admit(from, n, Date.now())) {
        counters.throttled++;
        counters.dropped++;
      } else {
        counters.framesIn++;
        counters.bytesIn += n;
        if (!listeners.frame.length) counters.dropped++;
        emit('frame', from, new Uint8Array(payload.buffer, payload.byteOffset, n));
      }
    } else if (h.peer === self) {
      // Our own will, published after our new session started: put our presence back.
      if (!h.up && client.connected && !leaving) announce();
    } else peer(h.peer!, h.up!);
  });

  return {
    kind: 'mqtt',
    self,
    maxFrame: DEFAULT_MAX_FRAME,
    counters,
    connected: () => !closed && client.connected,
    retryNow() {
      if (closed || client.connected || client.reconnecting) return;
      clearTimeout(retry);
      retry = undefined;
      attempt = 0;
      reported = false;
      client.reconnect();
    },
    peers: () => Object.keys(up).sort(),
    on(e, fn) {
      const list = listeners[e] as (typeof fn)[];
      list.push(fn);
      return () => {
        const i = list.indexOf(fn);
        if (i >= 0) list.splice(i, 1);
      };
    },
    send(to, bytes) {
      if (closed) return fail('closed', 'send after close', true);
      const n = bytes.length;
      if (n > DEFAULT_MAX_FRAME) return fail('oversize', 'frame of ' + n + ' bytes to ' + to, true);
      if (badId(to)) return fail('unreachable', 'bad peer id', true);
      const mine = perPeer[to] || (perPeer[to] = { f: 0, b: 0 });
      if (queuedFrames + 1 > DEFAULT_QUEUE.frames || queuedBytes + n > DEFAULT_QUEUE.bytes || mine.f + 1 > DEFAULT_QUEUE.frames * SHARE || mine.b + n > DEFAULT_QUEUE.bytes * SHARE) {
        if (!mine.f) delete perPeer[to];
        return fail('queue-full', 'send queue full for ' + to, true);
      }
      mine.f++;
      mine.b += n;
      queuedFrames++;
      queuedBytes += n;
      if (client.connected) publish(to, bytes);
      else offline.push({ to, bytes: bytes.slice() });
      return true;
    },
    /** Clear our presence (peers see us leave now, not after a keepalive), then DISCONNECT. */
    async close() {
      if (closed) return;
      leaving = true;
      clearTimeout(retry);
      if (client.connected) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 2000);
          client.publish(presence, GONE as Buffer, { qos: 1, retain: true }, () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      allDown();
      closed = true;
      offline = [];
      perPeer = Object.create(null);
      up = Object.create(null);
      await client.endAsync(!client.connected);
    },
  };
}
