import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../crdt/codec/cbor.ts';
import { fileStore, memoryStore, encodeState, decodeState, StoreFileError, type NodeStore, type SavedState } from '../../transports/filestore.ts';
import type { Item } from '../../crdt/types.ts';
import { MemoryHub, memoryLink } from '../../transports/memory.ts';
import { startNode } from '../../transports/driver.ts';

const state: SavedState = { epoch: 3, incarnation: 218000000, snapshot: [1, [['xs', 'orset', [['milk', ['a@1', 1]], [{ 'a@1': 1 }, {}]]]]] as Item };

function damaged(f: () => unknown, why: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.instance(e, StoreFileError);
    assert.is((e as StoreFileError).reason, 'damaged');
    assert.match((e as Error).message, why);
    return;
  }
  assert.unreachable('no error');
}

test('the state format reads back, and any truncation or flipped bit is refused as damaged', () => {
  const bytes = encodeState(state);
  assert.equal(decodeState(bytes, 'f'), state);
  for (let n = 0; n < bytes.length; n++) damaged(() => decodeState(bytes.subarray(0, n), 'the store f'), /the store f is damaged/);
  for (let i = 0; i < bytes.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const b = bytes.slice();
      b[i] ^= bit;
      damaged(() => decodeState(b, 'f'), /f is damaged \(/);
    }
  }
  damaged(() => decodeState(new Uint8Array(0), 'f'), /no "PLNS" header/);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  damaged(() => decodeState(longer, 'f'), /truncated or overwritten/);
});

test('a version 1 store (bare CBOR, before epochs) still reads, as epoch 0', () => {
  const v1 = encode([1, 42, state.snapshot]);
  assert.equal(decodeState(v1, 'f'), { epoch: 0, incarnation: 42, snapshot: state.snapshot });
  damaged(() => decodeState(encode([1, 'x', state.snapshot]), 'f'), /not a Pollen node state/);
});

test('fileStore: saves durably in place, refuses a state over its bound and keeps the last one, drops a torn temporary file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-fs-'));
  try {
    const path = join(dir, 'n.pollen');
    const s = fileStore(path, { maxBytes: 100 });
    assert.is(await s.load(), undefined);
    await s.save(new Uint8Array([1, 2, 3]));
    assert.equal([...readFileSync(path)], [1, 2, 3]);
    try {
      await s.save(new Uint8Array(101));
      assert.unreachable();
    } catch (e) {
      assert.instance(e, StoreFileError);
      assert.is((e as StoreFileError).reason, 'full');
      assert.match((e as Error).message, /101 bytes, over the bound of 100/);
    }
    assert.equal([...((await s.load()) as Uint8Array)], [1, 2, 3]);
    // What a kill during a save leaves: a partial temporary file beside the whole old one.
    writeFileSync(path + '.tmp', new Uint8Array([9]));
    assert.equal([...((await s.load()) as Uint8Array)], [1, 2, 3]);
    assert.not.ok(existsSync(path + '.tmp'));
    const gone = fileStore(join(dir, 'no', 'such', 'dir', 'n.pollen'));
    try {
      await gone.save(new Uint8Array([1]));
      assert.unreachable();
    } catch (e) {
      assert.is((e as StoreFileError).reason, 'io');
      assert.match((e as Error).message, /cannot save to .*no\/such\/dir\/n\.pollen/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A memory store whose saves wait until released: shows what is acknowledged before the bytes are in. */
function gatedStore(): NodeStore & { bytes?: Uint8Array; saves: number; release(): void; gate: boolean } {
  let waiting: (() => void)[] = [];
  const s = {
    bytes: undefined as Uint8Array | undefined,
    saves: 0,
    gate: false,
    async load() {
      return s.bytes;
    },
    async save(b: Uint8Array) {
      if (s.gate) await new Promise<void>((r) => waiting.push(r));
      s.bytes = b.slice();
      s.saves++;
    },
    release() {
      const w = waiting;
      waiting = [];
      for (const r of w) r();
    },
  };
  return s;
}

const held = (bytes: Uint8Array | undefined) => JSON.stringify(decodeState(bytes!, 'mem').snapshot);

test("durability 'sync': an update resolves only once a save that holds it is done; a burst shares writes", async () => {
  const hub = new MemoryHub();
  const store = gatedStore();
  const a = await startNode({ id: 'a', seed: 1, links: [memoryLink(hub, { id: 'a' })], store });
  assert.is(a.epoch, 1);
  assert.is(a.replica, 'a@1');
  await a.declare('xs', 'orset');
  store.gate = true;
  let done = false;
  const p = a.update('xs', 'add', ['x']).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.not.ok(done, 'acknowledged before its save finished');
  assert.not.ok(held(store.bytes).includes('"x"'));
  // A burst while the save is held: all covered by at most one more write.
  const burst = [];
  for (let i = 0; i < 50; i++) burst.push(a.update('xs', 'add', ['y' + i]));
  const savesBefore = store.saves;
  store.gate = false;
  store.release();
  await p;
  assert.ok(held(store.bytes).includes('"x"'));
  await Promise.all(burst);
  assert.ok(held(store.bytes).includes('"y49"'));
  assert.ok(store.saves - savesBefore <= 2, store.saves - savesBefore + ' saves for 51 updates');
  await a.close();
  // The next start takes the next epoch, and issues its dots under it.
  const again = await startNode({ id: 'a', seed: 2, links: [memoryLink(hub, { id: 'a' })], store });
  assert.is(again.replica, 'a@2');
  assert.is(decodeState(store.bytes!, 'mem').epoch, 2, 'the new epoch is saved before the node runs');
  await again.update('xs', 'add', ['z']);
  assert.equal(Object.keys(again.state('xs').c.vv).sort(), ['a@1', 'a@2']);
  await again.close();
  hub.links['a']?.close();
});

test('durability in ms: the save waits that long, the update resolves after it; a full store rejects the ack but the node goes on', async () => {
  const hub = new MemoryHub();
  const store = memoryStore(400);
  const a = await startNode({ id: 'a', seed: 1, links: [memoryLink(hub, { id: 'a' })], store, durability: 80 });
  await a.declare('xs', 'orset');
  const t0 = performance.now();
  await a.update('xs', 'add', ['x']);
  assert.ok(performance.now() - t0 >= 70, 'resolved after ' + (performance.now() - t0) + ' ms');
  assert.ok(held(store.bytes).includes('"x"'));
  // Grow the state past 400 bytes: those acks are refused, the store keeps the last state that fit.
  const refused: string[] = [];
  const ps = [];
  for (let i = 0; i < 40; i++) ps.push(a.update('xs', 'add', ['element-' + i]).catch((e: StoreFileError) => refused.push(e.reason)));
  await Promise.all(ps);
  assert.is(refused.length, 40);
  assert.ok(refused.every((r) => r === 'full'));
  assert.ok(held(store.bytes).includes('"x"'));
  assert.is(a.query('xs').length, 41, 'the updates stay applied in memory');
  assert.ok(a.metrics()['driver.saveErrors'] >= 1);
  // An update that changes nothing still waits for the earlier, unsaved ones: refused too, never left hanging.
  await a.update('xs', 'add', ['x']).then(
    () => assert.unreachable('acknowledged over a full store'),
    (e: StoreFileError) => assert.is(e.reason, 'full'),
  );
  await a.close();
  hub.links['a']?.close();
});

test('without a store the epoch is a random one above every store epoch; a snapshot that checks out but is no state is damaged', async () => {
  const hub = new MemoryHub();
  const a = await startNode({ id: 'a', seed: 1, links: [memoryLink(hub, { id: 'a' })] });
  assert.ok(a.epoch >= 2 ** 32 && a.epoch < 2 ** 48, String(a.epoch));
  assert.match(a.replica, /^a@[0-9a-z]{7,10}$/);
  assert.throws(() => a.update('xs', 'add', ['x']), /no variable xs/); // a refusal throws at once, unsaved
  await a.declare('xs', 'orset');
  await a.update('xs', 'add', ['x']); // no store: resolves at once
  assert.equal(Object.keys(a.state('xs').c.vv), [a.replica]);
  await a.close();
  hub.links['a']?.close();
  const store = memoryStore();
  store.bytes = encodeState({ epoch: 1, incarnation: 1, snapshot: [1, [['xs', 'orset', 'not a state']]] });
  try {
    await startNode({ id: 'a', links: [memoryLink(hub, { id: 'a' })], store });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, StoreFileError);
    assert.is((e as StoreFileError).reason, 'damaged');
    assert.match((e as Error).message, /node a: the saved state is damaged/);
  }
  hub.links['a']?.close();
});

test.run();
