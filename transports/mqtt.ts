/**
 * The MQTT link: every node is one client of a broker (the embedded aedes, Mosquitto, any MQTT 3.1.1/5 broker),
 * and frames travel as the raw payloads of PUBLISH packets (PROTOCOL.md, "MQTT").
 *
 *   const link = await mqttLink({ id: 'a', url: 'mqtt://pi.local:1883', root: 'pollen/garden' });
 *   link.on('peer', (p, up) => ...);     // from retained presence: every node of the cluster, as it comes and goes
 *   link.send('b', bytes);
 *   await link.close();                   // clears its presence, then DISCONNECT
 *
 * Topic layout under `root` (default 'pollen'; one root per cluster):
 *
 *   <root>/inbox/<to>/<from>   a frame from <from> to <to>: QoS 0, not retained, payload = the frame's bytes.
 *                              Each node subscribes to <root>/inbox/<self>/+ ; the sender's id is in the topic
 *                              so the payload stays the raw frame (MQTT 3.1.1 has no user properties).
 *   <root>/presence/<id>       retained, QoS 1. Payload "1" while the node is connected; an empty retained
 *                              payload when it is gone, which also deletes the retained message on the broker.
 *                              Each node subscribes to <root>/presence/+ : the retained messages tell a newcomer
 *                              who is there (discovery), later ones say who came and went. The empty payload is
 *                              the node's last-will message, so the broker announces a crash or a lost network
 *                              (after 1.5 × keepalive) and a clean close publishes it by hand before DISCONNECT.
 *
 * QoS. Frames use QoS 0: Pollen repairs loss itself (Plumtree GRAFTs a missing payload, delta anti-entropy re-sends
 * what was not acknowledged), so QoS 1 would add a PUBACK per frame, duplicates, and an unbounded outgoing store
 * in the client while offline, for nothing the protocol needs. Presence uses QoS 1 with retain: it is the one
 * message that must arrive, since without it a node is never discovered or never mourned.
 *
 * A node id must be a peer id (runtime/messages.ts: 1..64 UTF-8 bytes) and one topic level: no '/', '+', '#', NUL.
 *
 * Keepalive: the broker hears a PINGREQ after `keepalive` s of silence; the link takes any packet from the broker
 * as a sign of life (liveFromTraffic), so a PINGRESP stuck behind a slow line's backlog does not end a connection
 * that is delivering frames.
 *
 * Reconnection: mqtt.js's own fixed-period retry is off; after a lost connection the link retries with
 * exponential backoff and jitter (backoff.min doubling to backoff.max), and on every (re)connection it subscribes
 * again and re-publishes its presence (clean sessions: the broker keeps nothing for us between connections).
 * While disconnected every peer is down (we cannot reach them) and frames wait in the bounded offline queue.
 * A lost connection and each failed attempt count under errors and are reported ('io', 'refused', or 'timeout'
 * when the broker did not answer a CONNECT or PINGREQ in time). Frames the client had not written when the
 * connection went go back to the offline queue.
 * Frames published to our inbox while we are away are lost (clean sessions); anti-entropy re-sends them.
 * If the broker publishes our own will after we reconnected (a takeover race), we see our presence cleared and
 * publish it again.
 *
 * Send queue: frames handed to the client and not yet written, plus frames waiting while offline, are bounded by
 * queue.frames and queue.bytes (link.ts); a frame past either is dropped (tail drop) and counted.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { PeerId } from '../runtime/io.ts';
import { badId, badRoot, heard, inboxOf, presenceOf, MQTT_DEFAULTS, MQTT_BACKOFF } from './mqtttopics.ts';
import { BaseLink, BoundedQueue, LinkError, backoffDelay, type LinkOptions } from './link.ts';
import { type Backoff, backoffKnobs, linkKnobs, ms, whole } from './options.ts';

export interface MqttOptions extends LinkOptions {
  /** Broker URL: mqtt://host:1883, mqtts://host:8883, ws://... (default mqtt://127.0.0.1:1883). */
  url?: string;
  /** Topic root of the cluster (default 'pollen'); no wildcards, no leading or trailing '/'. */
  root?: string;
  /** 5 (default) or 4 (MQTT 3.1.1, e.g. for aedes). */
  protocolVersion?: 4 | 5;
  /** Seconds between PINGs when idle (default 10). The broker declares us dead after 1.5 × this. */
  keepalive?: number;
  /** Reconnect delays in ms: `min` doubling to `max`, each times a random 0.5..1 (default 200, 10000). */
  backoff?: { min?: number; max?: number };
  /** Give up on a connection attempt after this many ms (default 5000). */
  connectTimeout?: number;
  /**
   * Do not wait for the broker: `mqttLink` resolves at once and a failed first attempt is retried with backoff like
   * a lost connection, frames waiting in the offline queue meanwhile (default false: `mqttLink` rejects when the
   * broker cannot be reached). For a browser page that may load without a network and must still start.
   */
  offlineStart?: boolean;
  /**
   * The most of the send queue (frames and bytes) frames to one peer may hold, as a fraction (default 0.5): every
   * peer shares the one broker connection, so without it the answers to one peer that asks for much (a stranger
   * requesting full states, say) could fill the queue and starve the others.
   */
  queueShare?: number;
  /** Client id (default 'pollen:<root>:<id>', so a restarted node takes over its old session at once). */
  clientId?: string;
  /**
   * Passed to mqtt.js as they are: username, password, TLS (ca, cert, key, rejectUnauthorized, servername),
   * wsOptions, properties... The link's own fields (will, clean, reconnectPeriod, keepalive, clientId,
   * protocolVersion, connectTimeout, queueQoSZero, resubscribe) take precedence.
   */
  mqtt?: IClientOptions;
}

/** The defaults of the options above (their reasons are there; transports/mqtttopics.ts, shared with a page's
 *  link), and what each may be (transports/options.ts): MQTT's keepalive is a 16-bit count of seconds, 0 turning
 *  PINGs off. */
export { MQTT_DEFAULTS, MQTT_BACKOFF };
const MQTT_RANGES = { keepalive: whole(0, 65535, 'seconds'), connectTimeout: ms(1), queueShare: { min: 0.01, max: 1, int: false, kind: 'fraction' } };

// Plain bytes rather than Buffers, so that this file also runs in a browser on mqtt.js's browser build. mqtt.js's
// types ask for a Buffer, but it writes any Uint8Array (in Node and in its browser build): hence the casts below.
const UP = new TextEncoder().encode('1');
const GONE = new Uint8Array(0);

export { badId };

/** A broker url as it may be shown: `mqtt://user:secret@host` becomes `mqtt://***@host`. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1***@');
}

export class MqttLink extends BaseLink {
  readonly kind = 'mqtt';
  /** The broker url as given, credentials and all: a private field, which nothing enumerates or prints (messages use `shown`). */
  readonly #url: string;
  /** The url as messages show it: without a user name and password written into it. */
  readonly shown: string;
  readonly root: string;
  /** Times the link connected to the broker (1 after `await mqttLink`; more after reconnections). */
  connects = 0;
  private client!: MqttClient;
  private o: MqttOptions;
  private k: typeof MQTT_DEFAULTS;
  private backoff: Backoff;
  private offline: BoundedQueue<{ topic: string; to: PeerId; bytes: Uint8Array }>;
  private inflightFrames = 0;
  private inflightBytes = 0;
  /** Frames and bytes queued (in flight or offline) per destination, for queueShare; entries leave at zero. */
  private perPeer: { [to: string]: { frames: number; bytes: number } } = Object.create(null);
  private attempt = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private inboxPrefix: string;
  private presencePrefix: string;
  /** Set when close() starts, so our own GONE coming back is not taken for a stale will. */
  private leaving = false;
  /** The connection being lost had a CONNACK (a drop, not a failed attempt). */
  private wasConnected = false;
  /** The current attempt already reported why it failed (an 'error' came before its 'close'). */
  private attemptReported = false;

  constructor(o: MqttOptions) {
    super(o, 'mqtt');
    const bad = badId(o.id);
    if (bad) throw new Error('mqtt link: ' + bad);
    const root = o.root ?? 'pollen';
    if (badRoot(root)) {
      throw new Error('mqtt link: root "' + root + '" must be a topic prefix without wildcards or a leading/trailing /');
    }
    this.o = o;
    this.k = linkKnobs('mqtt link', MQTT_DEFAULTS, MQTT_RANGES, o);
    this.backoff = backoffKnobs('mqtt link', MQTT_BACKOFF, o.backoff);
    this.#url = o.url ?? 'mqtt://127.0.0.1:1883';
    this.shown = withoutCredentials(this.#url);
    this.root = root;
    this.inboxPrefix = inboxOf(root, o.id);
    this.presencePrefix = presenceOf(root, '');
    this.offline = new BoundedQueue(this.queueFrames, this.queueBytes);
    // Any client of the broker can publish to our inbox under any sender id: a budget per sender, frames past
    // it dropped before the node sees them (transports/budget.ts).
    this.budgetByDefault(o);
  }

  /** Connected to the broker now (a CONNACK came and the connection has not been lost since). */
  connected(): boolean {
    return !this.closed && this.client !== undefined && this.client.connected;
  }

  /**
   * Try the broker now instead of at the end of the backoff wait, and start the backoff over: for when the host
   * says its network is back (a browser's 'online' event). Does nothing while connected or after close.
   */
  retryNow(): void {
    if (this.closed || !this.client || this.client.connected || this.client.reconnecting) return;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.attempt = 0;
    this.attemptReported = false;
    this.client.reconnect();
  }

  /** @internal connect once; resolves on the first CONNACK, rejects with a LinkError when that fails. */
  start(): Promise<void> {
    const o = this.o;
    const presence = this.presencePrefix + this.self;
    const opts: IClientOptions = {
      ...o.mqtt,
      clientId: o.clientId ?? 'pollen:' + this.root + ':' + this.self,
      protocolVersion: o.protocolVersion ?? 5,
      keepalive: this.k.keepalive,
      connectTimeout: this.k.connectTimeout,
      clean: true,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: presence, payload: GONE as Buffer, qos: 1, retain: true },
    };
    if (opts.protocolVersion === 5) {
      // Ask the broker not to send us packets we would drop anyway: the frame plus room for topic and header.
      opts.properties = { ...opts.properties, maximumPacketSize: this.maxFrame + 1024 };
    }
    const client = mqtt.connect(this.#url, opts);
    this.client = client;
    return new Promise<void>((resolve, reject) => {
      let first = true;
      client.on('connect', () => {
        this.attempt = 0;
        this.wasConnected = true;
        this.attemptReported = false;
        this.connects++;
        this.online();
        if (first) {
          first = false;
          resolve();
        }
      });
      client.on('message', (topic, payload) => this.onMessage(topic, payload));
      this.liveFromTraffic(client);
      client.on('error', (e: Error & { code?: string | number }) => {
        if (this.closed) return;
        this.attemptReported = true;
        // A string code is the network's (ECONNREFUSED, ENOTFOUND, a TLS check); a number is the broker's CONNACK;
        // none at all is mqtt.js's own timer ('connack timeout', 'Keepalive timeout'): the broker did not answer
        // in time, which on a slow or busy line is no refusal.
        const timedOut = e.code === undefined && /timeout/i.test(e.message);
        const msg = timedOut
          ? (this.wasConnected ? 'lost broker ' : 'no answer from broker ') + this.shown + ' in time (timeout: ' + e.message + '); reconnecting with backoff'
          : typeof e.code === 'string'
          ? (first ? 'cannot reach broker ' : 'lost broker ') + this.shown + ': ' + e.code + (e.message.includes(e.code) ? '' : ' (' + e.message + ')')
          : 'broker ' + this.shown + ' refused the connection: ' + e.message;
        const code = timedOut ? 'timeout' : typeof e.code !== 'string' ? 'refused' : /^E(NOTFOUND|AI_AGAIN)$/.test(e.code) ? 'not-found' : this.wasConnected ? 'io' : 'refused';
        const err = this.fail(code, msg);
        if (first) {
          first = false;
          reject(err);
        }
      });
      client.on('close', () => {
        if (this.closed) return;
        this.allDown();
        if (first) {
          first = false;
          reject(this.fail('refused', 'cannot reach broker ' + this.shown + ': connection closed before CONNACK'));
          if (!o.offlineStart) return;
          this.attemptReported = true;
        }
        // One report per lost connection or failed attempt: the 'error' before this close may have said why.
        if (!this.attemptReported) {
          if (this.wasConnected) this.fail('io', 'lost the broker ' + this.shown + '; reconnecting with backoff');
          else this.fail('refused', 'broker ' + this.shown + ' closed the connection before CONNACK');
        }
        this.wasConnected = false;
        this.scheduleRetry();
      });
    });
  }

  /**
   * Liveness from any packet the broker sends, not only from PINGRESP: mqtt.js 5 waits for a PINGRESP (or an
   * acknowledgement) within half a keepalive of its PINGREQ, and on a busy slow line that reply queues behind the
   * broker's PUBLISHes to us, so the client would call a connection dead while frames are arriving on it. Each
   * packet received puts the PINGREQ off by a keepalive, but only while we also wrote something in the last quarter
   * keepalive: the broker must hear from us within 1.5 keepalives, so a client that only receives still pings.
   */
  private liveFromTraffic(client: MqttClient): void {
    const k = this.k.keepalive * 1000;
    if (k === 0) return;
    let wrote = -Infinity;
    client.on('packetsend', () => {
      wrote = Date.now();
    });
    client.on('packetreceive', (p) => {
      if (p.cmd !== 'pingresp' && Date.now() - wrote < k / 4) client.reschedulePing(true);
    });
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    const delay = backoffDelay(this.attempt, this.backoff.min, this.backoff.max);
    this.attempt++;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.attemptReported = false;
      if (!this.closed && !this.client.connected) this.client.reconnect();
    }, delay);
  }

  /** After every CONNACK: subscribe, announce ourselves, send what waited. */
  private online(): void {
    const c = this.client;
    c.subscribe(
      { [this.inboxPrefix + '+']: { qos: 0 }, [this.presencePrefix + '+']: { qos: 1 } },
      (err) => {
        if (err && !this.closed) this.fail('refused', 'broker ' + this.shown + ' refused the subscriptions: ' + err.message);
      },
    );
    this.announce();
    for (let f = this.offline.shift(); f; f = this.offline.shift()) this.publish(f.topic, f.to, f.bytes);
  }

  private announce(): void {
    this.client.publish(this.presencePrefix + this.self, UP as Buffer, { qos: 1, retain: true }, (err) => {
      if (err && !this.closed && this.client.connected) this.fail('io', 'presence not published: ' + err.message);
    });
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    if (this.closed) return;
    const h = heard(this.root, this.self, topic, payload);
    if (!h) return; // someone else's topic under our root; not a node
    if (h.bad) {
      if (h.dropped) this.counters.dropped++;
      this.fail('protocol', h.bad);
    } else if (h.frame !== undefined) {
      this.deliver(h.frame, new Uint8Array(payload.buffer, payload.byteOffset, payload.length));
    } else if (h.peer === this.self) {
      // Our own will, published after our new session started: put our presence back.
      if (!h.up && this.client.connected && !this.leaving) this.announce();
    } else if (h.up) this.peerUp(h.peer!);
    else this.peerDown(h.peer!);
  }

  send(to: PeerId, bytes: Uint8Array): boolean {
    if (!this.admit(to, bytes)) return false;
    const bad = badId(to);
    if (bad) return this.drop('unreachable', 'cannot send to "' + to + '": ' + bad);
    const topic = inboxOf(this.root, to) + this.self;
    const frames = this.inflightFrames + this.offline.length;
    const queued = this.inflightBytes + this.offline.bytes;
    if (frames + 1 > this.queueFrames || queued + bytes.length > this.queueBytes) {
      return this.drop('queue-full', 'send queue full (' + frames + ' frames, ' + queued + ' bytes) for ' + to);
    }
    const mine = this.perPeer[to];
    const share = this.k.queueShare;
    if (mine && (mine.frames + 1 > Math.max(1, Math.floor(this.queueFrames * share)) || mine.bytes + bytes.length > this.queueBytes * share)) {
      return this.drop('queue-full', 'frames to ' + to + ' hold their share of the send queue (' + mine.frames + ' frames, ' + mine.bytes + ' bytes; queueShare ' + share + ')');
    }
    if (mine) {
      mine.frames++;
      mine.bytes += bytes.length;
    } else this.perPeer[to] = { frames: 1, bytes: bytes.length };
    if (!this.client.connected) {
      this.offline.push({ topic, to, bytes: bytes.slice() }, bytes.length);
      return true;
    }
    this.publish(topic, to, bytes);
    return true;
  }

  private publish(topic: string, to: PeerId, bytes: Uint8Array): void {
    const n = bytes.length;
    this.inflightFrames++;
    this.inflightBytes += n;
    this.client.publish(topic, bytes as Buffer, { qos: 0 }, (err) => {
      this.inflightFrames--;
      this.inflightBytes -= n;
      const mine = this.perPeer[to];
      if (mine && --mine.frames <= 0) delete this.perPeer[to];
      else if (mine) mine.bytes -= n;
      if (err) {
        if (this.closed) return;
        // Lost with the connection: back to the offline queue (bounded, tail drop), so a reconnection does not
        // throw the backlog away; it goes out again after the next CONNACK.
        if (!this.client.connected && this.offline.push({ topic, to, bytes }, n)) return;
        this.drop('io', 'frame to ' + topic + ' not written: ' + err.message);
      } else this.sent(n);
    });
  }

  /** Clean close: clear our presence (peers see us leave now, not after a keepalive), then DISCONNECT. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.leaving = true;
    clearTimeout(this.retry);
    this.offline.clear();
    this.perPeer = Object.create(null);
    const c = this.client;
    if (c && c.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        c.publish(this.presencePrefix + this.self, GONE as Buffer, { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.allDown();
    this.closed = true;
    if (c) await c.endAsync(!c.connected);
  }
}

/** Connect an MQTT link; rejects with a LinkError ('refused') when the broker cannot be reached or says no. */
export async function mqttLink(o: MqttOptions): Promise<MqttLink> {
  const link = new MqttLink(o);
  if (o.offlineStart) {
    // Failures are counted and reported as 'error' events; the link keeps trying.
    link.start().catch(() => {});
    return link;
  }
  try {
    await link.start();
  } catch (e) {
    await link.close();
    throw e instanceof LinkError ? e : new LinkError('mqtt', 'refused', String(e));
  }
  return link;
}
