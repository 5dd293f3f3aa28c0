import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { awmap, apply } from '../../crdt/awmap.ts';
import { MAX_COUNT } from '../../crdt/check.ts';
import { encode as cborEncode } from '../../crdt/codec/cbor.ts';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import { Lamport, LamportCore, type LamportState, decodeBy, encodeBy, set } from '../../crdt/lamport.ts';
import { typeOf } from '../../crdt/all.ts';
import type { Item } from '../../crdt/types.ts';
import { coreOnly, lawSuite, type Op } from '../support/laws.ts';

const test = suite('lamport');
const J = Lamport.join;
const isDecodeError = (e: unknown) => e instanceof DecodeError;

test('bottom reads null; a write reads its value, stamped 1 above what its replica held', () => {
  let s = Lamport.bottom();
  assert.is(Lamport.value(s), null);
  s = J(s, set(s, 'a', { on: true }));
  assert.equal(s, { n: 1, replica: 'a', value: { on: true } });
  s = J(s, set(s, 'a', 'two'));
  assert.equal(s, { n: 2, replica: 'a', value: 'two' });
});

test('a write that saw another beats it whatever the replica ids; concurrent writes: the greater id wins', () => {
  const fromZ = set(null, 'z', 'z first');
  const fromA = set(fromZ, 'a', 'a after z'); // a saw z's write
  assert.is(Lamport.value(J(fromZ, fromA)), 'a after z');
  assert.is(Lamport.value(J(fromA, fromZ)), 'a after z');
  const x = set(null, 'a', 'from a');
  const y = set(null, 'b', 'from b');
  assert.is(Lamport.value(J(x, y)), 'from b');
  assert.is(Lamport.value(J(y, x)), 'from b');
  assert.ok(Lamport.leq(x, y));
  assert.not.ok(Lamport.leq(y, x));
});

test('no write is refused as stale: there is no clock to be behind', () => {
  const held = set(null, 'z', 1);
  assert.not.throws(() => set(held, 'a', 2));
  assert.is(Lamport.value(J(held, set(held, 'a', 2))), 2);
});

test('two different values under one stamp (only a faulty peer sends that) still join the same everywhere', () => {
  const x: LamportState = { n: 3, replica: 'a', value: 'x' };
  const y: LamportState = { n: 3, replica: 'a', value: 'y' };
  assert.equal(J(x, y), J(y, x));
  const z: LamportState = { n: 3, replica: 'a', value: 0 };
  const w: LamportState = { n: 3, replica: 'a', value: -0 };
  assert.equal(cborEncode(Lamport.encode(J(z, w))), cborEncode(Lamport.encode(J(w, z))));
});

test('bad replica ids and values are MutatorErrors; a stamp at the bound cannot be passed', () => {
  assert.throws(() => set(null, '', 'v'), (e: unknown) => e instanceof MutatorError && e.reason === 'args');
  assert.throws(() => set(null, 'a', undefined as unknown as Item), (e: unknown) => e instanceof MutatorError && e.reason === 'args');
  const top = Lamport.decode([MAX_COUNT, 'a', 1]);
  assert.throws(() => set(top, 'b', 2), (e: unknown) => e instanceof MutatorError && e.reason === 'overflow');
});

test('encode: [] for bottom, else [stamp, replica, value]; decode refuses anything else with a DecodeError', () => {
  assert.equal(Lamport.encode(null), []);
  assert.equal(Lamport.encode(set(null, 'a', [1, 'x'])), [1, 'a', [1, 'x']]);
  assert.is(Lamport.decode([]), null);
  assert.equal(Lamport.decode([4, 'a', 'v']), { n: 4, replica: 'a', value: 'v' });
  const bad: Item[] = [null, 0, 'x', [1, 'a'], [1, 'a', 1, 2], [0, 'a', 1], [-1, 'a', 1], [1.5, 'a', 1], [-0, 'a', 1], ['1', 'a', 1], [1, 2, 1], [1, '', 1], [1, '__proto__', 1], { n: 1 }];
  for (const item of bad) assert.throws(() => Lamport.decode(item), isDecodeError, JSON.stringify(item));
  assert.throws(() => Lamport.decode([MAX_COUNT + 1, 'a', 1]), (e: unknown) => e instanceof DecodeError && e.reason === 'claim');
  assert.throws(() => Lamport.decode([1, 'a', undefined as unknown as Item]), isDecodeError);
});

test('inside a map the writer is left out: [stamp, value]; a 3-item form naming the writer is refused', () => {
  const w = set(null, 'r.1', 'v');
  assert.equal(encodeBy(w, 'r.1'), [1, 'v']);
  assert.equal(decodeBy([1, 'v'], 'r.1'), w);
  assert.equal(encodeBy(w, 'q.1'), [1, 'r.1', 'v']);
  assert.equal(decodeBy([1, 'r.1', 'v'], 'q.1'), w);
  assert.throws(() => decodeBy([1, 'r.1', 'v'], 'r.1'), isDecodeError);
  assert.throws(() => decodeBy([1], 'r.1'), isDecodeError);
  assert.throws(() => decodeBy([0, 'v'], 'r.1'), isDecodeError);
  // The map write of crdt-benchmarks B3.1: one key, one dot, one register; 13 bytes.
  const M = awmap(Lamport);
  const d = apply(Lamport, M.bottom(), '16r', 'v', 'set', [1539]);
  assert.equal(M.encode(d), ['v', '16r', 2, [1, 1539]]);
  assert.is(cborEncode(M.encode(d)).length, 13);
  assert.equal(M.decode(M.encode(d)), d);
});

test('the registry knows it by its own spec and tag, beside the clock-based lww', () => {
  assert.is(typeOf('lamport'), Lamport);
  assert.is(Lamport.tag, 15);
  assert.is(typeOf('awmap(lamport)').name, 'awmap(lamport)');
  assert.is.not(typeOf('lww'), Lamport);
});

test('claims: the stamp, under the writer', () => {
  const out: { [r: string]: number } = {};
  Lamport.claims({ n: 7, replica: 'a', value: 1 }, out);
  assert.equal(out, { a: 7 });
});

test.run();

const value = fc.constantFrom<Item>('on', 'off', 0, -0, 42, -1.5, true, null, [1, 'x'], { k: 'v' });
lawSuite({ type: Lamport, op: value.map((v): Op => ['set', [v]]), sequential: (_v, op) => op[1][0] as Item });
lawSuite({ type: coreOnly(LamportCore), op: value.map((v): Op => ['set', [v]]), sequential: (_v, op) => op[1][0] as Item });

// In a map, where the register is written without its writer: the laws through that codec too.
const keys = fc.constantFrom('k1', 'k2');
lawSuite({
  type: awmap(Lamport),
  op: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(keys, value).map(([k, v]): Op => ['apply', [k, 'set', [v]]]) },
    { weight: 1, arbitrary: keys.map((k): Op => ['remove', [k]]) },
  ),
  sequential: (v, op) => {
    const out: { [k: string]: any } = { ...v };
    const k = op[1][0] as string;
    if (op[0] === 'remove') delete out[k];
    else out[k] = op[1][2][0];
    return out;
  },
  runs: 100,
});
