/**
 * The cluster key (runtime/auth.ts) as an attacker meets it: frames without the key, tampered, replayed, passed
 * off as another sender's or to another receiver, from an old life; rotation; encryption. Primitives from
 * node:crypto (transports/crypto.ts), the ones a Node driver uses.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { encode } from '../../crdt/codec/cbor.ts';
import { ORSet } from '../../crdt/orset.ts';
import { createNode, step, read, metrics, type PollenNode } from '../../runtime/full.ts';
import { GOSSIP, VERSION } from '../../runtime/messages.ts';
import * as auth from '../../runtime/auth.ts';
import { nodeCrypto, parseKeys } from '../../transports/crypto.ts';
import type { Output } from '../../runtime/io.ts';

const K1 = new Uint8Array(32).fill(1);
const K2 = new Uint8Array(32).fill(2);
const KX = new Uint8Array(32).fill(9);
const enc = new TextEncoder();

function mk(keys: auth.KeySpec[], epoch = 1000, encrypt = false): auth.Auth {
  return auth.init({ keys, primitives: nodeCrypto, epoch, encrypt });
}

const env = (s: string) => enc.encode(s);

test('seal/open: a sealed frame opens to the same envelope; the tag costs 20 bytes a frame', () => {
  const a = mk([{ id: 1, key: K1 }]);
  const b = mk([{ id: 1, key: K1 }]);
  const f = auth.seal(a, 'a', 'b', env('hello'));
  assert.is(f.length, 5 + auth.OVERHEAD);
  assert.is(auth.OVERHEAD, 20);
  assert.equal([...(auth.open(b, 'b', 'a', f) as Uint8Array)], [...env('hello')]);
});

test('the tag is HMAC-SHA256 under the derived key, truncated to 8 bytes, over header, body and both ids', () => {
  const a = mk([{ id: 7, key: K1 }], 0x0102030405);
  const f = auth.seal(a, 'a', 'b', env('xy'));
  assert.equal([...f.subarray(0, 12)], [0xa1, 7, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0]);
  const mac = createHmac('sha256', K1).update('pollen-auth-mac').digest();
  const input = Buffer.concat([Buffer.from(f.subarray(0, 14)), Buffer.from([0, 1]), Buffer.from('a'), Buffer.from([0, 1]), Buffer.from('b')]);
  const tag = createHmac('sha256', mac).update(input).digest().subarray(0, 8);
  assert.equal([...f.subarray(14)], [...tag]);
});

test('refused: no tag, a wrong key, any flipped bit, another sender, another receiver', () => {
  const a = mk([{ id: 1, key: K1 }]);
  const b = mk([{ id: 1, key: K1 }]);
  const x = mk([{ id: 1, key: KX }]);
  assert.is(auth.open(b, 'b', 'a', env('plain frame, no header at all')), 'auth.none');
  assert.is(auth.open(b, 'b', 'a', auth.seal(x, 'a', 'b', env('hi'))), 'auth.tag');
  const good = auth.seal(a, 'a', 'b', env('hello world'));
  for (let i = 2; i < good.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const t = good.slice();
      t[i] ^= 1 << bit;
      const r = auth.open(b, 'b', 'a', t);
      assert.ok(typeof r === 'string', 'byte ' + i + ' bit ' + bit + ' flipped and still accepted');
    }
  }
  assert.is(auth.open(b, 'b', 'c', good), 'auth.tag', 'accepted as coming from c');
  assert.is(auth.open(b, 'c', 'a', good), 'auth.tag', 'accepted by c');
  assert.ok(auth.open(b, 'b', 'a', good) instanceof Uint8Array, 'the untouched frame opens');
});

test('replay window: a frame opens once; reordering within 64 frames is fine; older ones and earlier lives are refused', () => {
  const a = mk([{ id: 1, key: K1 }], 5000);
  const b = mk([{ id: 1, key: K1 }]);
  const fs: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) fs.push(auth.seal(a, 'a', 'b', env('m' + i)));
  assert.ok(auth.open(b, 'b', 'a', fs[100]) instanceof Uint8Array);
  assert.is(auth.open(b, 'b', 'a', fs[100]), 'auth.replay');
  // Out of order within the window.
  for (const i of [99, 40, 37, 70, 37 + 64]) assert.ok(auth.open(b, 'b', 'a', fs[i]) instanceof Uint8Array, 'frame ' + i);
  assert.is(auth.open(b, 'b', 'a', fs[37]), 'auth.replay', 'below the window');
  assert.is(auth.open(b, 'b', 'a', fs[70]), 'auth.replay');
  // A jump forward by 40 then by 30: the bitmap shifts across its two words.
  assert.ok(auth.open(b, 'b', 'a', fs[141]) instanceof Uint8Array);
  assert.ok(auth.open(b, 'b', 'a', fs[171]) instanceof Uint8Array);
  assert.is(auth.open(b, 'b', 'a', fs[141]), 'auth.replay');
  assert.ok(auth.open(b, 'b', 'a', fs[150]) instanceof Uint8Array);
  assert.is(auth.open(b, 'b', 'a', fs[150]), 'auth.replay');
  // A new life (greater epoch) is taken; the old life's frames no longer are.
  const a2 = mk([{ id: 1, key: K1 }], 6000);
  assert.ok(auth.open(b, 'b', 'a', auth.seal(a2, 'a', 'b', env('new life'))) instanceof Uint8Array);
  assert.is(auth.open(b, 'b', 'a', fs[199]), 'auth.old');
});

test('rotation: two keys accepted during the switch, then the old one refused', () => {
  const old = { id: 1, key: K1 };
  const neu = { id: 2, key: K2 };
  const a = mk([old]);
  const b = mk([old]);
  auth.setKeys(b, [old, neu]); // step 1 on b: accept the new key too
  auth.setKeys(a, [neu, old]); // step 2 on a: seal with the new key
  assert.equal(auth.keyIds(a), [2, 1]);
  assert.ok(auth.open(b, 'b', 'a', auth.seal(a, 'a', 'b', env('x'))) instanceof Uint8Array);
  assert.ok(auth.open(a, 'a', 'b', auth.seal(b, 'b', 'a', env('y'))) instanceof Uint8Array, 'a still takes the old key');
  auth.setKeys(b, [neu]); // step 3: the old key is gone
  const c = mk([old], 9999);
  assert.is(auth.open(b, 'b', 'c', auth.seal(c, 'c', 'b', env('z'))), 'auth.key');
  assert.throws(() => auth.setKeys(b, [neu, { id: 2, key: K1 }]), /twice/);
  assert.throws(() => auth.setKeys(b, [{ id: 3, key: new Uint8Array(8) }]), /at least 16 bytes/);
  assert.equal(auth.keyIds(b), [2], 'a refused setKeys changed nothing');
});

test('encryption: the body on the wire is not the envelope, a receiver opens it, a flipped bit is refused', () => {
  const a = mk([{ id: 1, key: K1 }], 1000, true);
  const b = mk([{ id: 1, key: K1 }]);
  const msg = env('the basket holds milk and bread');
  const f = auth.seal(a, 'a', 'b', msg);
  assert.is(f[0], auth.FMT_ENC);
  assert.is(f.length, msg.length + auth.OVERHEAD);
  assert.not.ok(Buffer.from(f).includes(Buffer.from('milk')), 'plaintext on the wire');
  const g = auth.seal(a, 'a', 'b', msg);
  assert.not.equal([...f.subarray(12, 20)], [...g.subarray(12, 20)], 'two frames share a key stream');
  const t = f.slice();
  t[15] ^= 4;
  assert.is(auth.open(b, 'b', 'a', t), 'auth.tag');
  assert.equal([...(auth.open(b, 'b', 'a', f) as Uint8Array)], [...msg]);
});

test('the senders table is bounded; only senders whose tag checked get an entry', () => {
  const b = auth.init({ keys: [{ id: 1, key: K1 }], primitives: nodeCrypto, epoch: 0, maxSenders: 4 });
  const x = mk([{ id: 1, key: KX }]);
  for (let i = 0; i < 50; i++) auth.open(b, 'b', 's' + i, auth.seal(x, 's' + i, 'b', env('?')));
  assert.is(b.count, 0);
  for (let i = 0; i < 10; i++) {
    const s = mk([{ id: 1, key: K1 }]);
    assert.ok(auth.open(b, 'b', 'p' + i, auth.seal(s, 'p' + i, 'b', env('!'))) instanceof Uint8Array);
  }
  assert.is(b.count, 4);
  assert.equal(Object.keys(b.senders).sort(), ['p6', 'p7', 'p8', 'p9']);
});

test('no secret in the state: only derived keys are kept, and errors never show key bytes', () => {
  const key = new Uint8Array(32).fill(0xab);
  const a = mk([{ id: 1, key }]);
  const dump = JSON.stringify(a, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  assert.not.ok(dump.includes('abababababababab'), 'the raw key is in the state');
  try {
    parseKeys('1 ' + 'ab'.repeat(8) + '\n', 'keys.txt');
    assert.unreachable('a short key was taken');
  } catch (e) {
    assert.match((e as Error).message, /keys.txt line 1/);
    assert.not.ok((e as Error).message.includes('abab'), 'the error shows the key');
  }
  assert.equal(parseKeys('# cluster\n2 ' + 'cd'.repeat(32) + '\n1 ' + 'ef'.repeat(16) + '\n', 'k').map((k) => k.id), [2, 1]);
});

// ---- the node: a stranger's frame is dropped before its body is decoded ----

function gossipAdd(from: string, msgId: string, el: string): Uint8Array {
  const d = ORSet.encode(ORSet.mutators.add(ORSet.bottom(), from, [el]));
  return encode([VERSION, GOSSIP, from, 0, [msgId, 0, [1, 'basket', 'orset', d]]]);
}

function keyed(id: string, key = K1): PollenNode {
  return createNode({ id, seed: 1, auth: { keys: [{ id: 1, key }], primitives: nodeCrypto, epoch: 1000 } });
}

test('attack: a stranger without the key cannot add to a set (it could before the key)', () => {
  const open = createNode({ id: 'a', seed: 1 });
  step(open, { kind: 'frame', from: 'evil', bytes: gossipAdd('evil', 'evil:0:0', 'forged') }, 0);
  assert.equal(read(open, 'basket'), ['forged'], 'without a key the stranger writes (the attack as measured)');

  const n = keyed('a');
  let rejected = 0;
  const plain = step(n, { kind: 'frame', from: 'evil', bytes: gossipAdd('evil', 'evil:0:0', 'forged') }, 0);
  rejected++;
  assert.ok(plain.some((o: Output) => o.kind === 'event' && o.event.type === 'dropped' && o.event.reason === 'auth.none'));
  const x = mk([{ id: 1, key: KX }]);
  for (let i = 0; i < 100; i++) {
    step(n, { kind: 'frame', from: 'evil', bytes: auth.seal(x, 'evil', 'a', gossipAdd('evil', 'evil:0:' + i, 'forged')) }, i);
    rejected++;
  }
  assert.is(read(n, 'basket'), undefined, 'the stranger wrote');
  const m = metrics(n);
  assert.is(m['dropped.auth.none'], 1);
  assert.is(m['dropped.auth.tag'], 100);
  assert.is(m['store.vars'], 0, 'a variable was declared for a rejected frame');
  console.log('  frames rejected for a bad or missing tag in this test: ' + rejected);
});

test('a garbage body behind a bad tag is never decoded (the drop reason is the tag, not the decoder)', () => {
  const n = keyed('a');
  const x = mk([{ id: 1, key: KX }]);
  // A body that would make the decoder work hard (deeply nested arrays).
  const body = new Uint8Array(4000).fill(0x81);
  step(n, { kind: 'frame', from: 'evil', bytes: auth.seal(x, 'evil', 'a', body) }, 0);
  const m = metrics(n);
  assert.is(m['dropped.auth.tag'], 1);
  assert.is(m['dropped'], 1);
});

test('two keyed nodes talk: every frame sealed, every frame opened, replays dropped', () => {
  const a = keyed('a');
  const b = keyed('b');
  const sent: { from: string; to: string; bytes: Uint8Array }[] = [];
  const pump = (from: PollenNode, out: Output[]) => {
    for (const o of out) if (o.kind === 'send') sent.push({ from: from.id, to: o.to, bytes: o.bytes });
  };
  pump(a, step(a, { kind: 'command', command: { op: 'join', contacts: ['b'] } }, 0));
  pump(a, step(a, { kind: 'command', command: { op: 'declare', id: 's', type: 'orset' } }, 0));
  step(b, { kind: 'command', command: { op: 'declare', id: 's', type: 'orset' } }, 0);
  let t = 1;
  const deliverAll = () => {
    while (sent.length) {
      const f = sent.shift()!;
      const to = f.to === 'a' ? a : b;
      pump(to, step(to, { kind: 'frame', from: f.from, bytes: f.bytes }, t++));
    }
  };
  deliverAll();
  pump(a, step(a, { kind: 'command', command: { op: 'update', id: 's', mutator: 'add', args: ['milk'] } }, t++));
  const copy = sent.slice();
  deliverAll();
  assert.equal(read(b, 's'), ['milk']);
  for (const f of copy) if (f.to === 'b') step(b, { kind: 'frame', from: f.from, bytes: f.bytes }, t++);
  const m = metrics(b);
  assert.is(m['dropped.auth.replay'], copy.filter((f) => f.to === 'b').length);
  assert.not.ok(m['dropped.auth.tag']);
});

test.run();
