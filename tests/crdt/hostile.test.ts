/**
 * Hostile input against the types (issue 12): every finding of the fuzzers and every known attack on the CRDT
 * side is kept here as a regression. Cost is checked by what it produces (the number of parts, the size of a
 * result), never by a clock: a quadratic or enumerating algorithm shows up as a count, and a hang as a timeout.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DecodeError, MutatorError } from '../../crdt/errors.ts';
import { AWGraph } from '../../crdt/awgraph.ts';
import { awmap } from '../../crdt/awmap.ts';
import { Lamport } from '../../crdt/lamport.ts';
import { BCounter } from '../../crdt/bcounter.ts';
import { DWFlag } from '../../crdt/dwflag.ts';
import { EWFlag } from '../../crdt/ewflag.ts';
import { GCounter, inc } from '../../crdt/gcounter.ts';
import { LWW, set as lwwSet } from '../../crdt/lww.ts';
import { MaxInt } from '../../crdt/maxint.ts';
import { MVRegister } from '../../crdt/mvregister.ts';
import { ORSet, add as orAdd } from '../../crdt/orset.ts';
import { pair } from '../../crdt/pair.ts';
import { ALL } from '../../crdt/all.ts';
import { PNCounter } from '../../crdt/pncounter.ts';
import { MAX_COUNT } from '../../crdt/check.ts';
import { checkClaims, implausible } from '../../crdt/claims.ts';
import { maxCounter, nextDot } from '../../crdt/causal.ts';
import { decode as cborDecode, encode as cborEncode } from '../../crdt/codec/cbor.ts';
import type { Crdt, Item } from '../../crdt/types.ts';
import { applyRemote, createStore, declare, get } from '../../runtime/store.ts';

const test = suite('hostile input');

const isDecodeError = (e: unknown) => e instanceof DecodeError;

/** The wire form of a causal type's context claiming counter n for replica r, nothing held. */
function claimItem(name: string, n: number): Item {
  const ctx: Item = [['z', n], []];
  if (name === 'awgraph') return [[], [], ctx];
  return [[], ctx];
}

const CAUSAL: Crdt<any, any>[] = [ORSet, MVRegister, EWFlag, DWFlag, AWGraph, awmap(GCounter), awmap(ORSet), awmap(Lamport)];

test('a context claiming a huge counter decomposes into a bounded number of parts, without enumerating dots', () => {
  for (const t of CAUSAL) {
    for (const n of [1e6, MAX_COUNT]) {
      const s = t.decode(claimItem(t.name, n));
      const parts = t.decompose(s);
      assert.ok(parts.length <= 4, t.name + ' claim ' + n + ': ' + parts.length + ' parts');
      let j = t.bottom();
      for (const p of parts) j = t.join(j, p);
      assert.ok(t.leq(j, s) && t.leq(s, j), t.name + ': the parts still join to the state');
    }
  }
});

test('a pair of causal types with a huge claim decomposes in bounded parts too', () => {
  const P = pair(ORSet, MVRegister);
  const s = P.decode([claimItem('orset', 1e9), claimItem('mvregister', 1e9)]);
  assert.ok(P.decompose(s).length <= 8);
});

test('the store applies a delta claiming 2^48 dots of a stranger, keeping what it holds', () => {
  for (const t of CAUSAL) {
    const store = createStore(4, ALL);
    const spec = t.name;
    declare(store, 'v', spec);
    const fresh = applyRemote(store, 'v', t.decode(claimItem(t.name, MAX_COUNT)));
    assert.ok(fresh !== null, t.name);
    // The claim is remembered as a context, and z cannot make another dot: its counters are used up.
    const c = get(store, 'v')!.state.c;
    assert.is(maxCounter(c, 'z'), MAX_COUNT);
    assert.throws(() => nextDot(c, 'z'), (e: unknown) => e instanceof MutatorError && e.reason === 'overflow');
  }
});

test('a dot counter, a count or a timestamp past 2^48 is refused at decode', () => {
  for (const t of CAUSAL) {
    assert.throws(() => t.decode(claimItem(t.name, MAX_COUNT + 1)), isDecodeError, t.name);
    assert.throws(() => t.decode(claimItem(t.name, 9007199254740991)), isDecodeError, t.name);
  }
  assert.throws(() => GCounter.decode(['a', MAX_COUNT + 1]), isDecodeError);
  assert.throws(() => GCounter.decode(['a', 9007199254740991]), isDecodeError);
  assert.throws(() => LWW.decode([MAX_COUNT + 1, 'a', 1]), isDecodeError);
  assert.throws(() => PNCounter.decode([['a', MAX_COUNT + 1], []]), isDecodeError);
  assert.ok(GCounter.decode(['a', MAX_COUNT]).a === MAX_COUNT);
});

test('a G-Counter whose sum would pass 2^53 - 1 is refused at decode, and its sum stays exact', () => {
  const flat: Item[] = [];
  for (let i = 0; i < 40; i++) flat.push('r' + String(i).padStart(2, '0'), MAX_COUNT);
  assert.throws(() => GCounter.decode(flat), isDecodeError);
  const ok: Item[] = [];
  for (let i = 0; i < 31; i++) ok.push('r' + String(i).padStart(2, '0'), MAX_COUNT);
  assert.is(GCounter.value(GCounter.decode(ok)), 31 * MAX_COUNT);
});

test('-0 is refused wherever a number is a counter, a timestamp or a max-int (it joins non-commutatively with 0)', () => {
  const z = cborDecode(cborEncode(-0)) as number;
  assert.ok(Object.is(z, -0), 'the codec carries -0 as a float');
  assert.throws(() => MaxInt.decode(z), isDecodeError);
  assert.throws(() => LWW.decode([z, 'a', 1]), isDecodeError);
  assert.throws(() => GCounter.decode(['a', z]), isDecodeError);
  assert.throws(() => ORSet.decode([[], [['a', z], []]]), isDecodeError);
  assert.throws(() => BCounter.decode([[], [], ['a', ['b', z]]]), isDecodeError);
  for (const bad of [NaN, Infinity, -Infinity, 1.5]) assert.throws(() => MaxInt.decode(bad), isDecodeError, String(bad));
});

test('LWW writes with one stamp and values 0 and -0 join the same way round', () => {
  const a = { ts: 5, replica: 'r', value: 0 };
  const b = { ts: 5, replica: 'r', value: -0 };
  const ab = cborEncode(LWW.encode(LWW.join(a, b)));
  const ba = cborEncode(LWW.encode(LWW.join(b, a)));
  assert.equal(Array.from(ab), Array.from(ba));
});

test('a peer cannot push counters or timestamps past what local mutators can still beat: mutators fail with MutatorError', () => {
  const s = GCounter.decode(['a', MAX_COUNT]);
  assert.throws(() => inc(s, 'a', 1), (e: unknown) => e instanceof MutatorError && e.reason === 'overflow');
  assert.is(inc(s, 'b', 1).b, 1, 'other replicas still count');
  const w = LWW.decode([MAX_COUNT, 'a', 1]);
  assert.throws(() => lwwSet(w, 'b', 2, MAX_COUNT + 1), (e: unknown) => e instanceof MutatorError);
  const o = ORSet.decode([[], [['a', MAX_COUNT], []]]);
  assert.throws(() => orAdd(o, 'a', 'x'), (e: unknown) => e instanceof MutatorError && e.reason === 'overflow');
  assert.ok(orAdd(o, 'b', 'x').m !== undefined);
});

test('a delta of thousands of fresh replica ids goes through RR with one part per dot', () => {
  const flat: Item[] = [];
  const ctx: Item[] = [];
  for (let i = 0; i < 4000; i++) {
    const r = 'r' + String(i).padStart(5, '0');
    flat.push(r, [r, 1]);
    ctx.push(r, 1);
  }
  const d = ORSet.decode([flat, [ctx, []]]);
  assert.is(ORSet.decompose(d).length, 4000);
  const store = createStore(4, ALL);
  declare(store, 'v', 'orset');
  const fresh = applyRemote(store, 'v', d);
  assert.is(ORSet.value(fresh).length, 4000);
  assert.is(applyRemote(store, 'v', d), null);
});

test('the plausibility check refuses a delta claiming far past what the node knows, or dots of its own replica', () => {
  let mine = ORSet.bottom();
  mine = ORSet.join(mine, orAdd(mine, 'a', 'x'));
  mine = ORSet.join(mine, orAdd(mine, 'b', 'y'));
  const p = { self: 'a', slack: 1000 };
  assert.is(implausible(ORSet, mine, orAdd(mine, 'b', 'z'), p), null, 'a next dot of a peer is plausible');
  const far = ORSet.decode([[], [['b', 5000], []]]);
  assert.match(implausible(ORSet, mine, far, p)!, /past the 1 known/);
  const forged = ORSet.decode([[], [['a', 2], []]]);
  assert.match(implausible(ORSet, mine, forged, p)!, /this replica/);
  assert.is(implausible(ORSet, mine, forged, { slack: 1000 }), null, 'without self (no durable state) only slack applies');
  assert.throws(() => checkClaims(ORSet, mine, far, p), (e: unknown) => e instanceof DecodeError && e.reason === 'claim');
  // Counters and timestamps are claims too; in a map, epoch ids count as the replica.
  assert.match(implausible(GCounter, { a: 3 }, { a: 4 }, p)!, /this replica/);
  assert.match(implausible(LWW, null, { ts: 1e9, replica: 'b', value: 1 }, { slack: 60000 })!, /past the 0 known/);
  assert.match(implausible(Lamport, null, { n: 1e9, replica: 'b', value: 1 }, { slack: 60000 })!, /past the 0 known/);
  const M = awmap(GCounter);
  const md = M.decode(['k', 'b', 2, ['a.1', 3]]);
  assert.match(implausible(M, M.bottom(), md, p)!, /this replica \(a\.1\)/);
});

test.run();
