/**
 * The serial link on the board's own UART (Serial1, or any Espruino Serial), speaking transports/serial.ts's
 * protocol so a gateway's serial link talks to it as to any other port: frames of serialframe.ts (COBS, CRC-32 by
 * E.CRC32, zero delimiters) holding HELLO [1, flags, ...id] or DATA [2, ...payload]. The peer is up from its
 * first hello and down after peerTimeout ms of silence; a hello that has not heard ours is answered at once, and
 * a hello goes out whenever nothing was sent for `keepalive` ms.
 *
 *   serialLink(board, Serial1, { baud: 9600 });                 // pins as the board's defaults
 *   serialLink(board, Serial1, { baud: 9600, path: '/dev/pts/4' }); // the Linux interpreter: a tty as Serial1
 */
import { Deframer, encodeFrame } from '../../transports/serialframe.ts';
import type { PeerId } from '../../runtime/io.ts';
import type { Board, BoardLink } from './board.ts';
import { BOARD_KNOBS } from './knobs.ts';

declare const E: { toString(b: Uint8Array): string; toUint8Array(s: string): Uint8Array };

/** The parts of Espruino's Serial class the link uses. */
export interface EspSerial {
  setup(baud: number, opts?: object): void;
  write(data: string): void;
  on(ev: 'data', fn: (d: string) => void): void;
}

export interface SerialOpts {
  baud?: number;
  /** Options for Serial.setup (rx/tx pins on a board; `path` of a tty on the Linux interpreter). */
  setup?: object;
}

const T_HELLO = 1;
const T_DATA = 2;
const F_HEARD = 1;

export function serialLink(board: Board, port: EspSerial, opts?: SerialOpts): BoardLink {
  const o = opts || {};
  const self = board.node.id;
  let peer: PeerId = '';
  let heard = 0;
  let sent = 0;
  // A frame of `type`; a HELLO's body (null) is made here: the flags, then this node's id.
  function write(type: number, body: Uint8Array | null): void {
    if (body === null) {
      const id = E.toUint8Array(self);
      body = new Uint8Array(id.length + 1);
      body[0] = peer ? F_HEARD : 0;
      body.set(id, 1);
    }
    const p = new Uint8Array(body.length + 1);
    p[0] = type;
    p.set(body, 1);
    port.write(E.toString(encodeFrame(p)));
    sent = Date.now();
  }
  function down(): void {
    const was = peer;
    peer = '';
    board.input({ kind: 'link', peer: was, up: false });
  }
  const d = new Deframer({ maxFrame: BOARD_KNOBS.linkFrame + 1 }, {
    frame: function (f) {
      heard = Date.now();
      if (f[0] === T_HELLO && f.length > 2 && f.length <= 66) {
        const id = E.toString(f.subarray(2));
        if (peer && id !== peer) down();
        const fresh = !peer;
        peer = id;
        if (!(f[1] & F_HEARD)) write(T_HELLO, null);
        if (fresh) board.input({ kind: 'link', peer: id, up: true });
      } else if (f[0] === T_DATA && peer) {
        board.input({ kind: 'frame', from: peer, bytes: f.subarray(1) });
      }
    },
  });
  port.setup(o.baud || BOARD_KNOBS.baud, o.setup);
  port.on('data', function (s) { d.push(E.toUint8Array(s)); });
  setInterval(function () {
    const now = Date.now();
    if (peer && now - heard > BOARD_KNOBS.peerTimeout) down();
    if (now - sent >= BOARD_KNOBS.keepalive) write(T_HELLO, null);
  }, BOARD_KNOBS.keepalive / 2);
  write(T_HELLO, null);
  const link: BoardLink = {
    send: function (to, bytes) {
      if (to !== peer) return false;
      write(T_DATA, bytes);
      return true;
    },
  };
  board.links.push(link);
  return link;
}
