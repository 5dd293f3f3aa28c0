/**
 * The BLE link on the board's own radio, peripheral role: the board side of transports/ble.ts (a Pi gateway, the
 * central). The central connects, writes fragments to the Nordic UART Service's RX characteristic and subscribes
 * to TX; each write and each notification is one fragment of transports/blefrag.ts (the same module as the Pi's),
 * and the frames inside are HELLO [1, flags, ...id] or DATA [2, ...payload] of transports/hello.ts. The central
 * says hello once it has subscribed; the board answers with its own (flag HEARD) and the central is its peer from
 * then until the connection drops (NRF 'disconnect'). No keepalive: the radio's supervision timeout ends a dead
 * connection and Espruino reports it as a disconnect.
 *
 *   bleLink(board, NRF);                         // what Pollen.start({ ..., ble: true }) does
 *
 * Why not the `Bluetooth` serial object: Espruino's own UART service is a byte stream, not a run of fragments. It
 * packs whatever is queued into each notification (up to MTU - 3 bytes, so the tail of one fragment and the head
 * of the next share one), hands received writes to JavaScript merged into strings, and inserts XON/XOFF bytes
 * into what it sends when its input buffer fills. ble.ts reads each notification as one fragment, so this link
 * declares the same service and characteristics itself (NRF.setServices with `uart: false`) and sends each
 * fragment as its own notification (NRF.updateServices with `notify: true`); each write arrives whole in onWrite.
 * With `uart: false` the Espruino console is not on Bluetooth at all while Pollen owns the radio: it stays on
 * Serial1/USB, and the Web IDE reaches the board over Bluetooth again after a boot that skips the saved code
 * (on a Puck.js: hold the button while inserting the battery).
 *
 * Sizes: a notification carries 20 bytes (the ATT payload at the default MTU of 23; Espruino does not tell
 * JavaScript the negotiated MTU, and 20 always fits); a write from the central may carry up to MTU - 3 (RX takes
 * up to 244). Fragments are cut one at a time just before each notification (blefrag's fragmentAt), one every
 * BLE_PACE ms, so a frame of 1 KB never sits in memory as 52 fragments at once.
 *
 * Bounds: frames reassembled up to BOARD_KNOBS.linkFrame + 1 bytes (larger ones are skipped unread, counted by
 * the Reassembler); the send queue holds BLE_QUEUE frames of BLE_QUEUE_BYTES in all, and a frame sent when it
 * is full is dropped and counted in `dropped` (tail drop: the node's anti-entropy sends the state again later). A notification the
 * stack refuses (it throws when its buffers are full) is tried again BLE_RETRIES times, then the rest of that
 * frame is abandoned and counted; the Pi's reassembler counts the frame as missing.
 */
import { Fragmenter, Reassembler, fragmentAt, MIN_PAYLOAD, MAX_PAYLOAD } from '../../transports/blefrag.ts';
import { DATA, HEARD, HELLO, dataFrame, helloFrame, helloId } from '../../transports/hello.ts';
import type { PeerId } from '../../runtime/io.ts';
import type { Board, BoardLink } from './board.ts';
import { BOARD_KNOBS } from './knobs.ts';

declare const E: { toUint8Array(s: string): Uint8Array };

/** The parts of Espruino's NRF object the link uses. */
export interface EspNRF {
  setServices(services: object, options: object): void;
  updateServices(services: object): void;
  on(ev: string, fn: (a?: unknown) => void): void;
}

/** Nordic UART Service and its characteristics, as Espruino spells 128-bit UUIDs (ble.ts's NUS_*). */
const SVC = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
const RX = '6e400002-b5a3-f393-e0a9-e50e24dcca9e';
const TX = '6e400003-b5a3-f393-e0a9-e50e24dcca9e';
/** ms between notifications: two connection intervals at Espruino's fast 7.5 ms, so the stack's queue drains. */
const BLE_PACE = 15;
/** Frames waiting to be sent, and their bytes: a step of the node may answer with several small frames at once
 *  (an ack, a delta per variable), while two frames of the largest size already hold 2 KB on a Puck.js. */
const BLE_QUEUE = 16;
const BLE_QUEUE_BYTES = 2 * BOARD_KNOBS.linkFrame;
/** Tries of one notification the stack refuses before its frame is abandoned. */
const BLE_RETRIES = 20;

export interface BoardBleLink extends BoardLink {
  /** Frames dropped by this link: send queue full, a notification refused too often, a frame from no peer. */
  dropped: number;
  /** The reassembler of the current connection (its `drops` count fragments that did not fit). */
  reasm: Reassembler;
}

export function bleLink(board: Board, nrf: EspNRF): BoardBleLink {
  const self = E.toUint8Array(board.node.id);
  let peer: PeerId = '';
  const frag = new Fragmenter();
  const queue: Uint8Array[] = [];
  let sending: Uint8Array | null = null;
  let id = 0;
  let index = 0;
  let tries = 0;
  let queued = 0;
  let timer: any;

  function push(body: Uint8Array): void {
    if (queue.length >= BLE_QUEUE || queued + body.length > BLE_QUEUE_BYTES) { link.dropped++; return; }
    queue.push(body);
    queued += body.length;
    if (timer === undefined) timer = setTimeout(pump, 0);
  }
  function pump(): void {
    timer = undefined;
    if (!sending) {
      sending = queue.shift() || null;
      if (!sending) return;
      queued -= sending.length;
      id = frag.next();
      index = 0;
      tries = 0;
    }
    const f = fragmentAt(sending, MIN_PAYLOAD, id, index);
    if (f) {
      const u: any = {};
      u[SVC] = {};
      u[SVC][TX] = { value: f.buffer, notify: true };
      try {
        nrf.updateServices(u);
        index++;
        tries = 0;
      } catch (e) {
        if (++tries > BLE_RETRIES) { link.dropped++; sending = null; }
      }
    } else {
      sending = null;
    }
    if (sending || queue.length > 0) timer = setTimeout(pump, BLE_PACE);
  }
  function onFrame(f: Uint8Array): void {
    if (f[0] === HELLO) {
      const from = helloId(f, 2);
      if (from === '' || from === board.node.id) return;
      if (peer && from !== peer) down();
      const fresh = !peer;
      peer = from;
      if (!(f[1] & HEARD)) push(helloFrame(self, true));
      if (fresh) board.input({ kind: 'link', peer: from, up: true });
    } else if (f[0] === DATA && peer) {
      board.input({ kind: 'frame', from: peer, bytes: f.subarray(1) });
    } else {
      link.dropped++;
    }
  }
  function fresh(): Reassembler {
    return new Reassembler({ maxFrame: BOARD_KNOBS.linkFrame + 1, maxFragment: MAX_PAYLOAD }, { frame: onFrame });
  }
  function down(): void {
    const was = peer;
    peer = '';
    if (was) board.input({ kind: 'link', peer: was, up: false });
  }
  // A connection starts clean: nothing half-received, nothing queued for the previous central.
  function reset(): void {
    link.reasm = fresh();
    queue.splice(0, queue.length);
    queued = 0;
    sending = null;
    down();
  }

  const rx: any = { writable: true, maxLen: MAX_PAYLOAD, onWrite: function (evt: { data: ArrayBuffer }) { link.reasm.push(new Uint8Array(evt.data)); } };
  const tx: any = { notify: true, readable: true, maxLen: MIN_PAYLOAD, value: [0] };
  const services: any = {};
  services[SVC] = {};
  services[SVC][RX] = rx;
  services[SVC][TX] = tx;
  nrf.setServices(services, { uart: false, advertise: [SVC] });
  nrf.on('connect', reset);
  nrf.on('disconnect', reset);

  const link: BoardBleLink = {
    dropped: 0,
    reasm: fresh(),
    send: function (to: PeerId, bytes: Uint8Array): boolean {
      if (to !== peer) return false;
      push(dataFrame(bytes));
      return true;
    },
  };
  board.links.push(link);
  return link;
}
