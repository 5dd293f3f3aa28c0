import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import {
  bleLink, loadNoble, attPayload, NUS_SERVICE, NUS_RX, NUS_TX,
  type BleLink, type Noble, type NoblePeripheral, type NobleCharacteristic,
} from '../../transports/ble.ts';
import { Fragmenter, Reassembler } from '../../transports/blefrag.ts';
import { LinkError } from '../../transports/link.ts';
import { until } from '../support/wait.ts';

/**
 * A simulated adapter and board: the part of noble's API the link uses, with a board behind it that speaks the
 * link's protocol (fragments, hellos) over the Nordic UART Service. The ATT MTU is enforced both ways: a write or
 * a notification longer than MTU - 3 is refused (and counted), as a real stack cannot even send one.
 */
class SimChar extends EventEmitter implements NobleCharacteristic {
  constructor(public uuid: string, public properties: string[], private board: SimBoard) { super(); }
  write(data: Buffer, withoutResponse: boolean, cb?: (err?: Error | null) => void): void {
    const b = this.board;
    if (this.uuid !== NUS_RX) return cb?.(new Error('write to a characteristic without write'));
    if (b.state !== 'connected') return void setImmediate(() => cb?.(new Error('not connected')));
    if (data.length > b.mtu! - 3) {
      b.mtuViolations++;
      return void setImmediate(() => cb?.(new Error('ATT: value of ' + data.length + ' bytes exceeds MTU ' + b.mtu + ' - 3')));
    }
    b.writes.push({ len: data.length, withoutResponse });
    const copy = Buffer.from(data);
    setImmediate(() => {
      b.reasm.push(new Uint8Array(copy));
      cb?.(null);
    });
  }
  subscribe(cb?: (err?: Error | null) => void): void {
    this.board.subscribed = true;
    setImmediate(() => cb?.(null));
  }
}

class SimBoard extends EventEmitter implements NoblePeripheral {
  state = 'disconnected';
  mtu: number | null = null;
  advertisement: { localName: string; serviceUuids: string[] };
  advertising = true;
  subscribed = false;
  mtuViolations = 0;
  writes: { len: number; withoutResponse: boolean }[] = [];
  got: number[][] = [];
  hellos: { id: string; heard: boolean }[] = [];
  refuse = 0; // connection attempts to refuse
  silent = false; // do not answer hellos
  connects = 0;
  frag = new Fragmenter();
  reasm!: Reassembler;
  rx = new SimChar(NUS_RX, ['write', 'writeWithoutResponse'], this);
  tx = new SimChar(NUS_TX, ['notify'], this);
  constructor(public id: string, public nodeId: string, public negotiatedMtu: number, public sim: SimNoble) {
    super();
    this.advertisement = { localName: 'Puck.js ' + id.slice(-4), serviceUuids: [NUS_SERVICE] };
    this.reset();
  }
  private reset() {
    this.reasm = new Reassembler({ maxFrame: 4096, maxFragment: 244 }, { frame: (f) => this.onFrame(f) });
  }
  connect(cb?: (err?: Error | null) => void): void {
    setImmediate(() => {
      if (this.refuse > 0 || !this.advertising) {
        this.refuse = Math.max(0, this.refuse - 1);
        return cb?.(new Error('connection attempt timed out'));
      }
      this.connects++;
      this.state = 'connected';
      this.advertising = false;
      this.mtu = 23; // the exchange happens after the connection
      this.reset();
      cb?.(null);
      if (this.negotiatedMtu !== 23) setImmediate(() => { this.mtu = this.negotiatedMtu; this.emit('mtu', this.negotiatedMtu); });
    });
  }
  disconnect(cb?: () => void): void {
    setImmediate(() => {
      if (this.state === 'connected') this.drop();
      cb?.();
    });
  }
  /** The board resets or walks out of range: the central sees a disconnect, the board advertises again later. */
  drop(readvertiseAfter = -1): void {
    this.state = 'disconnected';
    this.subscribed = false;
    this.mtu = null;
    this.emit('disconnect', 0x13);
    if (readvertiseAfter >= 0) setTimeout(() => { this.advertising = true; this.sim.announce(this); }, readvertiseAfter);
    else this.advertising = true;
  }
  discoverSomeServicesAndCharacteristics(
    _s: string[], _c: string[], cb?: (err: Error | null | undefined, s: unknown[], c: NobleCharacteristic[]) => void,
  ): void {
    setImmediate(() => cb?.(null, [{ uuid: NUS_SERVICE }], [this.rx, this.tx]));
  }
  /** Notify raw bytes to the central (each must fit the MTU). */
  notify(bytes: Uint8Array): void {
    if (!this.subscribed || this.state !== 'connected') return;
    if (bytes.length > this.mtu! - 3) {
      this.mtuViolations++;
      return;
    }
    this.tx.emit('data', Buffer.from(bytes), true);
  }
  sendFrame(type: number, payload: Uint8Array): void {
    const body = new Uint8Array(1 + payload.length);
    body[0] = type;
    body.set(payload, 1);
    for (const p of this.frag.fragment(body, this.mtu! - 3)) this.notify(p);
  }
  private onFrame(f: Uint8Array) {
    if (f[0] === 1) {
      const heard = (f[1] & 1) === 1;
      this.hellos.push({ id: new TextDecoder().decode(f.subarray(2)), heard });
      if (!heard && !this.silent) {
        const id = new TextEncoder().encode(this.nodeId);
        const h = new Uint8Array(1 + id.length);
        h[0] = 1; // heard
        h.set(id, 1);
        this.sendFrame(1, h);
      }
    } else if (f[0] === 2) {
      this.got.push([...f.subarray(1)]);
    }
  }
}

class SimNoble extends EventEmitter implements Noble {
  state = 'unknown';
  scanning = false;
  scans: string[][] = [];
  stopped = false;
  boards: SimBoard[] = [];
  constructor(powerOnAfter = 5) {
    super();
    setTimeout(() => { this.state = 'poweredOn'; this.emit('stateChange', 'poweredOn'); }, powerOnAfter);
  }
  board(id: string, nodeId: string, mtu = 23): SimBoard {
    const b = new SimBoard(id, nodeId, mtu, this);
    this.boards.push(b);
    return b;
  }
  startScanning(uuids: string[], _dup: boolean, cb?: (err?: Error | null) => void): void {
    this.scanning = true;
    this.scans.push(uuids);
    setImmediate(() => {
      cb?.(null);
      for (const b of this.boards) this.announce(b);
    });
  }
  announce(b: SimBoard) {
    if (!this.scanning || !b.advertising) return;
    const filter = this.scans[this.scans.length - 1];
    if (filter.length === 0 || filter.includes(NUS_SERVICE)) this.emit('discover', b);
  }
  stopScanning(cb?: () => void): void {
    this.scanning = false;
    setImmediate(() => cb?.());
  }
  stop(): void { this.stopped = true; }
}

const frame = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

async function withLink(sim: SimNoble, fn: (l: BleLink) => Promise<void>, o: Record<string, unknown> = {}) {
  const l = await bleLink({ id: 'pi', noble: sim, backoff: { min: 10, max: 40 }, ...o });
  try { await fn(l); } finally { await l.close(); }
}

test('scans for the Nordic UART Service, connects, subscribes, hellos both ways', async () => {
  const sim = new SimNoble();
  const puck = sim.board('aa:bb:cc:00:00:01', 'puck1');
  await withLink(sim, async (l) => {
    await until(() => l.peers().join() === 'puck1', 'puck1 up');
    assert.equal(sim.scans[0], [NUS_SERVICE]);
    assert.ok(puck.subscribed);
    assert.equal(puck.hellos[0], { id: 'pi', heard: false });
    assert.equal(l.connections(), [{ id: 'aa:bb:cc:00:00:01', peer: 'puck1', payload: 20, queued: 0 }]);
  });
  assert.is(sim.stopped, false, 'an injected noble is not stopped');
  assert.is(puck.state, 'disconnected');
});

test('frames both ways at the default MTU of 23: every write fits 20 bytes', async () => {
  const sim = new SimNoble();
  const puck = sim.board('p1', 'puck1', 23);
  await withLink(sim, async (l) => {
    await until(() => l.peers().length === 1, 'peer up');
    const got: number[][] = [];
    l.on('frame', (from, bytes) => { assert.is(from, 'puck1'); got.push([...bytes]); });
    const sent = [frame(1), frame(0), frame(17), frame(700, 1), frame(2000, 2)];
    for (const f of sent) assert.ok(l.send('puck1', f));
    await until(() => puck.got.length === sent.length, 'board got all frames');
    assert.equal(puck.got, sent.map((f) => [...f]));
    assert.ok(puck.writes.every((w) => w.len <= 20 && w.withoutResponse));
    assert.is(puck.mtuViolations, 0);
    puck.sendFrame(2, frame(900, 3));
    puck.sendFrame(2, frame(5, 4));
    await until(() => got.length === 2, 'link got both frames');
    assert.equal(got, [[...frame(900, 3)], [...frame(5, 4)]]);
    assert.is(l.counters.framesOut, 5);
    assert.is(l.counters.framesIn, 2);
    assert.is(l.counters.errors, 0);
  });
});

test('a negotiated MTU of 247 raises the payload to 244; 2 KB take 9 writes instead of 103', async () => {
  const sim = new SimNoble();
  const puck = sim.board('p1', 'puck1', 247);
  await withLink(sim, async (l) => {
    await until(() => l.peers().length === 1 && l.connections()[0].payload === 244, 'peer up at MTU 247');
    puck.writes = [];
    assert.ok(l.send('puck1', frame(2000)));
    await until(() => puck.got.length === 1, 'frame');
    assert.equal(puck.got[0], [...frame(2000)]);
    assert.is(puck.writes.length, 9);
    assert.ok(puck.writes.some((w) => w.len === 244));
    assert.is(puck.mtuViolations, 0);
  });
  assert.is(attPayload(null), 20);
  assert.is(attPayload(23), 20);
  assert.is(attPayload(517), 244);
});

test('bad fragment streams from the board are dropped and counted; the next frame arrives', async () => {
  const sim = new SimNoble();
  const puck = sim.board('p1', 'puck1', 23);
  await withLink(sim, async (l) => {
    await until(() => l.peers().length === 1, 'peer up');
    const got: number[][] = [];
    const errs: LinkError[] = [];
    l.on('frame', (_f, bytes) => got.push([...bytes]));
    l.on('error', (e) => errs.push(e));
    const f = new Fragmenter();
    const body = (n: number) => { const b = new Uint8Array(n + 1); b[0] = 2; return b; };
    const a = f.fragment(body(100), 20);
    const b = f.fragment(body(100), 20);
    for (const p of [a[0], a[1], a[3]]) puck.notify(p); // a fragment missing
    for (const p of [b[0], b[1]]) puck.notify(p);
    puck.notify(new Uint8Array([0x80 | (4 << 4), 0xff, 0xff, 1])); // another frame id barges in: interleaved
    puck.notify(new Uint8Array([0x80 | (5 << 4), 0x40, 0x00, 1])); // 16 KB announced: oversized
    puck.sendFrame(2, new Uint8Array([7, 7]));
    await until(() => got.length === 1, 'the good frame');
    assert.equal(got, [[7, 7]]);
    assert.ok(errs.every((e) => e.code === 'decode'));
    const reasons = errs.map((e) => e.message).join('\n');
    assert.match(reasons, /fragment 3 where 2 was due/);
    assert.match(reasons, /by the start of frame 4/);
    assert.match(reasons, /announces 16384 bytes, maxFrame is 4097/);
    assert.is(l.counters.errors, errs.length);
  });
});

test('the board drops out: peer down, queued frames counted, reconnect with backoff, peer up again', async () => {
  const sim = new SimNoble();
  const puck = sim.board('p1', 'puck1', 23);
  await withLink(sim, async (l) => {
    await until(() => l.peers().length === 1, 'peer up');
    const events: string[] = [];
    const codes: string[] = [];
    l.on('peer', (p, up) => events.push(p + (up ? ' up' : ' down')));
    l.on('error', (e) => codes.push(e.code));
    for (let i = 0; i < 5; i++) l.send('puck1', frame(300, i)); // 16 writes each: still queued when it drops
    puck.refuse = 2; // the first two reconnection attempts fail
    puck.drop(30);
    await until(() => events.includes('puck1 down'), 'peer down');
    assert.ok(codes.includes('unreachable'), 'queued frames dropped and counted');
    assert.is(l.send('puck1', frame(3)), false);
    await until(() => events.includes('puck1 up'), 'peer up again', 5000);
    assert.ok(codes.filter((c) => c === 'refused').length >= 1, 'failed attempts reported');
    assert.ok(puck.connects >= 2);
    puck.got = [];
    assert.ok(l.send('puck1', frame(50)));
    await until(() => puck.got.length === 1, 'a frame after the reconnect');
  });
});

test('a board that never says hello is disconnected after helloTimeout', async () => {
  const sim = new SimNoble();
  const mute = sim.board('m1', 'mute', 23);
  mute.silent = true;
  await withLink(sim, async (l) => {
    const errs: string[] = [];
    l.on('error', (e) => errs.push(e.message));
    await until(() => errs.some((m) => /no hello from Puck\.js m1 \(m1\) within 80 ms/.test(m)), 'hello timeout');
    assert.equal(l.peers(), []);
  }, { helloTimeout: 80 });
});

test('boards that keep refusing do not grow the backoff memory past its bound (64)', async () => {
  const sim = new SimNoble();
  for (let i = 0; i < 100; i++) sim.board('r' + i, 'refuser' + i).refuse = 1e9;
  await withLink(sim, async (l) => {
    const refused = new Set<string>();
    l.on('error', (e) => {
      const m = /cannot connect to Puck\.js \S+ \((r\d+)\)/.exec(e.message);
      if (m) refused.add(m[1]);
    });
    await until(() => refused.size > 66, 'more boards tried than the bound', 5000);
    const retry = (l as unknown as { retry: Map<string, unknown> }).retry;
    assert.ok(retry.size <= 64, 'backoff entries: ' + retry.size);
    assert.equal(l.peers(), []);
  });
});

test('several boards at once, up to maxConnections', async () => {
  const sim = new SimNoble();
  for (let i = 0; i < 3; i++) sim.board('b' + i, 'node' + i);
  await withLink(sim, async (l) => {
    await until(() => l.peers().length === 2, 'two peers');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(l.peers().length, 2);
    assert.is(sim.scanning, false, 'scanning stops when full');
    l.send('node0', frame(30));
    l.send('node1', frame(40));
    await until(() => sim.boards[0].got.length === 1 && sim.boards[1].got.length === 1, 'both boards');
  }, { maxConnections: 2 });
});

test('the real @stoprocent/noble loads; without an adapter bleLink says so clearly', async () => {
  let noble: Noble;
  try {
    noble = await loadNoble();
  } catch (e) {
    assert.instance(e, LinkError);
    assert.match((e as Error).message, /@stoprocent\/noble/);
    throw new Error('@stoprocent/noble did not load here: ' + (e as Error).message);
  }
  assert.type(noble.startScanning, 'function');
  try {
    const l = await bleLink({ id: 'pi', adapterTimeout: 4000 });
    // A machine with a powered adapter: the link is up and scanning.
    assert.is(l.noble.state, 'poweredOn');
    await l.close();
  } catch (e) {
    assert.instance(e, LinkError);
    assert.is((e as LinkError).code, 'not-found');
    assert.match((e as Error).message, /ble link: (no Bluetooth LE adapter here|the Bluetooth adapter|not allowed)/);
    console.log('  (noble on this machine: ' + (e as Error).message + ')');
  }
});

test.run();
