/**
 * Board to gateway over Bluetooth LE: the Puck.js bundle runs on Espruino's interpreter with its BLE link
 * (targets/espruino/ble.ts, `ble: true`), and a Node.js gateway runs the Pi's real BLE link (transports/ble.ts,
 * the same blefrag.ts and hello.ts) inside transports/driver.ts. The board joins its gateway, updates travel
 * both ways in frames of many fragments, both sides converge, and the connection drops and is remade.
 *
 * The radio is a test double, at both ends, because no virtual Bluetooth controller can be made on these
 * machines (no HCI device, no kernel module to make one) and Espruino's Linux build has no radio. Everything
 * above the radio is the real thing: in the interpreter, the test defines `NRF` before the bundle's node starts,
 * recording setServices, turning each updateServices notification into a line "N<base64>" on Serial1 and each
 * line "W<base64>" from Serial1 into a write to the RX characteristic's onWrite ("C" and "D": connect and
 * disconnect events). On the Node side, a noble double (the part of noble's API ble.ts uses) carries the Pi's
 * writes as "W" lines and hands the board's notifications to ble.ts as they come, one notification per line.
 * Serial1 is one end of a real pseudo-terminal pair; the test holds the other end.
 *
 * pollen-test-timeout: 600 (tools/test-all.mjs: the interpreter decodes and merges every frame from flash, and
 * on a machine shared by many jobs one run took minutes; the waits below are bounds, not measurements)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SerialPort } from 'serialport';
import { extra } from '../support/extras.ts';
import { until } from '../support/wait.ts';
import { buildBoard } from '../../targets/espruino/build.ts';
import { runStored, writeStorage, type Interpreter, type RunResult } from '../../tools/espruino.ts';
import { startNode, type PollenDriver } from '../../transports/driver.ts';
import { bleLink, NUS_RX, NUS_SERVICE, NUS_TX, type Noble, type NobleCharacteristic, type NoblePeripheral } from '../../transports/ble.ts';
import { ptyPair, type PtyPair } from '../transports/ptypair.ts';

const dir = extra('espruino', 'board-to-gateway over BLE (radio doubles) on the Espruino interpreter');

/**
 * Client-server keepalives and timeouts for a loaded machine, at both ends: the interpreter runs every frame's
 * decode and merge from flash, and at a load of 20 on two cores a keepalive could wait past the default 8 s, the
 * link flapping for reasons that have nothing to do with it.
 */
const SLOW = JSON.stringify({ keepalive: 3000, peerTimeout: 60000 });

/** In the interpreter: the NRF double on Serial1 (a pty), then the sensor code with the BLE link. */
function boardScript(tty: string): string {
  return [
    'var SVC = "6e400001-b5a3-f393-e0a9-e50e24dcca9e", RXC = "6e400002-b5a3-f393-e0a9-e50e24dcca9e", TXC = "6e400003-b5a3-f393-e0a9-e50e24dcca9e";',
    'var NRF = { svc: null, h: {}, up: false,',
    '  setServices: function (s, o) { NRF.svc = s; print("services " + JSON.stringify(o) + " rx " + s[SVC][RXC].maxLen); },',
    '  updateServices: function (u) { if (NRF.up) Serial1.write("N" + btoa(E.toString(new Uint8Array(u[SVC][TXC].value))) + "\\n"); },',
    '  on: function (e, f) { NRF.h[e] = f; } };',
    'Serial1.setup(115200, { path: ' + JSON.stringify(tty) + ' });',
    'var inl = "";',
    'Serial1.on("data", function (d) {',
    '  inl += d; var i;',
    '  while ((i = inl.indexOf("\\n")) >= 0) {',
    '    var l = inl.slice(0, i); inl = inl.slice(i + 1);',
    '    if (l[0] === "C") { NRF.up = true; NRF.h.connect("aa:bb:cc:dd:ee:ff random"); }',
    '    else if (l[0] === "D") { NRF.up = false; NRF.h.disconnect(19); Serial1.write("d\\n"); }',
    '    else if (l[0] === "W") NRF.svc[SVC][RXC].onWrite({ data: E.toArrayBuffer(atob(l.slice(1))) });',
    '  }',
    '});',
    'var p = Pollen.start({ id: "puck1", contacts: ["pi"], vars: { hits: "pncounter", seen: "orset", mode: "lww" }, serial: false, ble: true, core: { membershipConfig: ' + SLOW + ' } });',
    'p.on("changed", function (id) { print("changed " + id + " " + JSON.stringify(p.query(id))); });',
    'p.on("neighbor", function (peer, up) { print("neighbor " + peer + " " + up); });',
    'p.update("hits", "inc", [3]);',
    'for (var j = 0; j < 6; j++) p.update("seen", "add", ["board-element-" + j]);',
  ].join('\n');
}

/** The Pi's side of the radio: a noble double whose one peripheral is the board behind the pty. */
class PtyChar extends EventEmitter implements NobleCharacteristic {
  constructor(public uuid: string, public properties: string[], private p: PtyBoard) { super(); }
  write(data: Buffer, _withoutResponse: boolean, cb?: (err?: Error | null) => void): void {
    if (this.p.state !== 'connected') return void setImmediate(() => cb?.(new Error('not connected')));
    this.p.writes.push(data.length);
    this.p.port.write('W' + data.toString('base64') + '\n', () => cb?.(null));
  }
  subscribe(cb?: (err?: Error | null) => void): void { setImmediate(() => cb?.(null)); }
}

class PtyBoard extends EventEmitter implements NoblePeripheral {
  id = 'aa:bb:cc:dd:ee:ff';
  mtu: number | null = null;
  state = 'disconnected';
  advertisement = { localName: 'Puck.js eeff', serviceUuids: [NUS_SERVICE] };
  rx = new PtyChar(NUS_RX, ['write', 'writeWithoutResponse'], this);
  tx = new PtyChar(NUS_TX, ['notify'], this);
  writes: number[] = [];
  notes: number[] = [];
  /** Between a drop and the board's "d": the board has not heard of the drop yet. */
  draining = false;
  private buf = '';
  constructor(public port: SerialPort) {
    super();
    port.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (l === 'd') this.draining = false;
        // Notifications written before the board heard of the drop belong to the old connection: dropped.
        else if (l[0] === 'N' && this.state === 'connected' && !this.draining) {
          const b = Buffer.from(l.slice(1), 'base64');
          this.notes.push(b.length);
          this.tx.emit('data', b, true);
        }
      }
    });
  }
  connect(cb?: (err?: Error | null) => void): void {
    this.state = 'connected';
    this.mtu = 23;
    this.port.write('C\n', () => {
      cb?.(null);
      // The exchange after the connection: a Puck.js takes an MTU of up to 131, so the Pi writes 128 bytes.
      setImmediate(() => { this.mtu = 131; this.emit('mtu', 131); });
    });
  }
  disconnect(cb?: () => void): void {
    if (this.state === 'connected') this.drop();
    setImmediate(() => cb?.());
  }
  /** The link goes: both ends hear of it. */
  drop(): void {
    this.state = 'disconnected';
    this.draining = true;
    this.port.write('D\n');
    this.emit('disconnect', 0x13);
  }
  discoverSomeServicesAndCharacteristics(_s: string[], _c: string[], cb?: (e: Error | null, s: unknown[], c: NobleCharacteristic[]) => void): void {
    setImmediate(() => cb?.(null, [{ uuid: NUS_SERVICE }], [this.rx, this.tx]));
  }
}

class PtyNoble extends EventEmitter implements Noble {
  state = 'poweredOn';
  scanning = false;
  advertising = false;
  constructor(public board: PtyBoard) { super(); }
  startScanning(_u: string[], _d: boolean, cb?: (err?: Error | null) => void): void {
    this.scanning = true;
    setImmediate(() => { cb?.(null); this.announce(); });
  }
  /** The board advertises (once its link has declared the service, and again after each disconnection). */
  announce(): void {
    if (this.scanning && this.advertising && this.board.state === 'disconnected') this.emit('discover', this.board);
  }
  stopScanning(cb?: () => void): void { this.scanning = false; setImmediate(() => cb?.()); }
}

if (dir) {
  // The Puck.js profile on the Bangle.js 2 pool, as the serial board-to-gateway suite: the protocol is the same.
  const it: Interpreter = { dir, pool: 12000 };
  let tmp = '';
  let pair: PtyPair | undefined;
  let port: SerialPort | undefined;
  let gw: PollenDriver | undefined;
  let stop: () => void = () => {};

  test.after(async () => {
    stop();
    if (gw) await gw.close();
    if (port && port.isOpen) await new Promise((r) => port!.close(r));
    if (pair) await pair.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('join, fragmented frames both ways, convergence, a dropped connection remade', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-ble-'));
    const code = (await buildBoard('puck', { check: false })).code;
    await writeStorage(it, tmp, [{ name: 'b.js', code }]);
    pair = await ptyPair(undefined, 20000);
    port = new SerialPort({ path: pair.a, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port!.open((e) => (e ? rej(e) : res())));
    const board = new PtyBoard(port);
    const noble = new PtyNoble(board);
    const link = await bleLink({ id: 'pi', noble, backoff: { min: 50, max: 200 }, helloTimeout: 20000 });
    gw = await startNode({ id: 'pi', membership: 'client-server', links: [link], config: { membershipConfig: JSON.parse(SLOW) } });
    gw.declare('hits', 'pncounter');
    gw.declare('seen', 'orset');
    gw.declare('mode', 'lww');
    const g = gw;

    const lines: string[] = [];
    let result: RunResult | undefined;
    const run = runStored(it, tmp, boardScript(pair.b), {
      async: true, timeoutMs: 400000, stop: new Promise<void>((r) => { stop = r; }),
      onLine: (l) => {
        lines.push(l);
        if (l.startsWith('services ')) { noble.advertising = true; noble.announce(); }
      },
    });
    void run.then((r) => { result = r; });
    const said = () => '\nboard said:\n' + lines.join('\n') + (result ? '\n' + result.raw.slice(-1500) : '') +
      '\ngateway: ' + JSON.stringify(g.metrics()) + ' hits ' + g.query('hits') + ' seen ' + JSON.stringify(g.query('seen')) + ' notes ' + board.notes.length + ' writes ' + board.writes.length + '\nPi link: ' + JSON.stringify(link.connections());
    const wait = (what: string, f: () => boolean) => until(() => f() || result !== undefined, what, 120000, 50)
      .then(() => { if (!f()) throw new Error(what + ' never happened' + said()); }, (e: Error) => { throw new Error(e.message + said()); });

    // The link declared the Nordic UART Service itself, without Espruino's own UART, and takes 244-byte writes.
    await wait('the board to declare its service', () => lines.some((l) => l.startsWith('services ')));
    assert.ok(lines.some((l) => l.startsWith('services {"uart":false,"advertise":["6e400001-b5a3-f393-e0a9-e50e24dcca9e"]} rx 244')), said());

    // First connection: the board's count and its 6 elements reach the gateway in frames of many fragments.
    await wait('the gateway to hear the board', () => g.query('hits') === 3 && (g.query('seen') as string[]).length === 6);
    assert.ok(lines.includes('neighbor pi true'), said());
    // The gateway's elements reach the board: its state frame is cut into 128-byte writes (MTU 131).
    for (let i = 0; i < 6; i++) g.update('seen', 'add', ['gateway-element-' + i]);
    g.update('mode', 'set', ['fast', Date.now()]);
    await wait('the board to hear the gateway', () => lines.some((l) => l.startsWith('changed seen') && l.indexOf('gateway-element-5') >= 0) &&
      lines.some((l) => l.startsWith('changed mode') && l.indexOf('fast') >= 0));

    const lastSeen = () => {
      const l = lines.filter((x) => x.startsWith('changed seen')).pop() || 'changed seen []';
      return (JSON.parse(l.slice('changed seen '.length)) as string[]).sort();
    };
    await wait('the board to hold all 12 elements', () => lastSeen().length === 12);
    assert.equal(lastSeen(), (g.query('seen') as string[]).slice().sort());

    // Every fragment kept to its size: notifications of 20 bytes, writes of up to 128.
    assert.ok(board.notes.length > 0 && board.notes.every((n) => n <= 20), 'notifications of at most 20 bytes: ' + board.notes.join(','));
    assert.ok(board.writes.some((n) => n > 20) && board.writes.every((n) => n <= 128), 'writes of up to 128 bytes: ' + board.writes.join(','));
    assert.ok(board.notes.length > 6, 'frames of many fragments from the board: ' + board.notes.length);
    const m = g.metrics();
    for (const k of Object.keys(m)) if (/decode|protocol|link\.ble\.errors/.test(k)) assert.is(m[k], 0, k + said());

    // The connection drops (out of range): both sides see the peer go; ble.ts connects again, hellos are
    // exchanged on the fresh connection, and both sides have their peer back.
    board.drop();
    await wait('the board to see its peer go', () => lines.includes('neighbor pi false'));
    await wait('the board to have heard of the drop', () => !board.draining);
    noble.announce();
    await wait('the board to have its gateway back', () => lines.filter((l) => l === 'neighbor pi true').length === 2);
    assert.equal(link.connections().map((c) => c.peer), ['puck1']);
    assert.is(g.metrics()['link.ble.errors'], 0, said());
    stop();
    const done = await run;
    assert.is(done.failure, undefined, done.raw.slice(-1500));
  });

  test.run();
}
