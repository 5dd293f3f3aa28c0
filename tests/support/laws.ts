/**
 * Property tests every CRDT type must pass (crdt/types.ts), written once and run per type:
 * semilattice laws, leq against join, delta mutators against full mutation and the sequential specification,
 * decomposition, the codec round trip, and convergence of replicas that exchange deltas in random orders with
 * duplicates and drops and finish with a full-state merge.
 */
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { type Core, type Crdt, equal, isBottom } from '../../crdt/types.ts';
import { full } from '../../crdt/core.ts';
import { encode as cborEncode, decode as cborDecode } from '../../crdt/codec/cbor.ts';

/** An operation: a mutator name and its arguments. */
export type Op = [string, any[]];

export interface LawSpec<S, V> {
  type: Crdt<S, V>;
  /** Random operations (the op may be refused by the mutator with MutatorError, e.g. a bounded counter). */
  op: fc.Arbitrary<Op>;
  /**
   * The sequential specification: the value after applying op to a replica whose value is v. Omit only where
   * the value after an op is not a function of the value before (none of ours).
   */
  sequential?: (v: V, op: Op, replica: string) => V;
  /** fast-check runs per property; the default keeps the whole suite quick. */
  runs?: number;
}

const REPLICAS = ['a', 'b', 'c', 'd', 'e'];

/**
 * A core table alone (what a board registers), with join and copy derived by crdt/core.ts and no claims, named
 * "<name> core": run through lawSuite, it holds the board's joinInto, leq, decompose and codec to the laws.
 */
export function coreOnly<S, V>(c: Core<S, V>): Crdt<S, V> {
  return Object.assign(full(c, { claims: () => undefined }), { name: c.name + ' core' });
}

/** Apply one op at a replica: returns the delta, or null when the mutator refuses the op. */
export function applyOp<S, V>(type: Crdt<S, V>, s: S, replica: string, op: Op): S | null {
  const m = type.mutators[op[0]];
  if (!m) throw new Error('no mutator ' + op[0] + ' on ' + type.name);
  try {
    return m(s, replica, op[1]);
  } catch (e) {
    if (e && (e as Error).name === 'MutatorError') return null;
    throw e;
  }
}

/**
 * A random reachable state: a random history of ops at random replicas, with random merges between them, so
 * states carry concurrency (the interesting case for every law).
 */
export function arbState<S, V>(type: Crdt<S, V>, op: fc.Arbitrary<Op>): fc.Arbitrary<S[]> {
  const step = fc.tuple(fc.nat(REPLICAS.length - 1), fc.oneof(op.map((o) => ({ op: o })), fc.nat(REPLICAS.length - 1).map((from) => ({ from }))));
  return fc.array(step, { maxLength: 30 }).map((steps) => {
    const states: S[] = REPLICAS.map(() => type.bottom());
    for (const [r, act] of steps) {
      if ('op' in act) {
        const d = applyOp(type, states[r], REPLICAS[r], act.op);
        if (d !== null) states[r] = type.join(states[r], d);
      } else {
        states[r] = type.join(states[r], states[act.from]);
      }
    }
    return states;
  });
}

function bytes<S, V>(type: Crdt<S, V>, s: S): string {
  return Buffer.from(cborEncode(type.encode(s))).toString('hex');
}

function sameState<S, V>(type: Crdt<S, V>, a: S, b: S, what: string): void {
  assert.ok(equal(type, a, b), what + ': states differ in the lattice order');
  assert.is(bytes(type, a), bytes(type, b), what + ': equal states must encode to equal bytes');
}

export function lawSuite<S, V>(spec: LawSpec<S, V>): void {
  const { type } = spec;
  const runs = spec.runs ?? 150;
  const test = suite(type.name + ' laws');
  const states = arbState(type, spec.op);
  const three = fc.tuple(states, fc.nat(4), fc.nat(4), fc.nat(4));

  test('join is idempotent, commutative and associative', () => {
    fc.assert(fc.property(three, ([ss, i, j, k]) => {
      const a = ss[i], b = ss[j], c = ss[k];
      sameState(type, type.join(a, a), a, 'a ⊔ a = a');
      sameState(type, type.join(a, b), type.join(b, a), 'a ⊔ b = b ⊔ a');
      sameState(type, type.join(type.join(a, b), c), type.join(a, type.join(b, c)), '(a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)');
      sameState(type, type.join(a, type.bottom()), a, 'a ⊔ ⊥ = a');
    }), { numRuns: runs });
  });

  test('joinInto gives what join gives, changes neither the delta nor a copied state\'s original, and shares nothing it edits later', () => {
    fc.assert(fc.property(three, ([ss, i, j, k]) => {
      const a = ss[i], b = ss[j], c = ss[k];
      const aBytes = bytes(type, a), bBytes = bytes(type, b), cBytes = bytes(type, c);
      const bSnap = structuredClone(b);
      // Owned states come from copy() and from decode(); both must work.
      for (const own of [type.copy(a), type.decode(cborDecode(cborEncode(type.encode(a))))]) {
        let s = type.joinInto(own, b);
        sameState(type, s, type.join(a, b), 'joinInto(a, b) = a ⊔ b');
        assert.equal(b, bSnap, 'the delta is untouched');
        s = type.joinInto(s, c);
        sameState(type, s, type.join(type.join(a, b), c), 'joinInto twice = (a ⊔ b) ⊔ c');
        s = type.joinInto(s, s === b ? type.copy(b) : b);
        assert.is(bytes(type, b), bBytes, 'a later joinInto does not edit the delta through shared parts');
        assert.is(bytes(type, c), cBytes, 'nor the second delta');
      }
      assert.is(bytes(type, a), aBytes, 'copy() leaves the original alone');
      // bottom() is owned too, and joinInto of bottom changes nothing.
      sameState(type, type.joinInto(type.bottom(), a), a, '⊥ ⊔ a = a in place');
      sameState(type, type.joinInto(type.copy(a), type.bottom()), a, 'a ⊔ ⊥ = a in place');
    }), { numRuns: runs });
  });

  test('leq agrees with join: a ≤ b ⇔ a ⊔ b = b', () => {
    fc.assert(fc.property(three, ([ss, i, j]) => {
      const a = ss[i], b = ss[j];
      const viaJoin = equal(type, type.join(a, b), b);
      assert.is(type.leq(a, b), viaJoin);
      assert.ok(type.leq(a, type.join(a, b)), 'a ≤ a ⊔ b');
      assert.ok(type.leq(type.bottom(), a), '⊥ ≤ a');
    }), { numRuns: runs });
  });

  test('delta mutators: x ⊔ mδ(x) follows the sequential specification, and mδ(x) ⊔ x inflates x', () => {
    fc.assert(fc.property(states, fc.nat(4), spec.op, ([...ss], r, op) => {
      const x = ss[r];
      const d = applyOp(type, x, REPLICAS[r], op);
      if (d === null) return;
      const after = type.join(x, d);
      assert.ok(type.leq(x, after), 'x ≤ x ⊔ mδ(x)');
      assert.ok(type.leq(d, after), 'mδ(x) ≤ x ⊔ mδ(x)');
      if (spec.sequential) {
        assert.equal(type.value(after), spec.sequential(type.value(x), op, REPLICAS[r]));
      }
      // A delta is a state of its own: joining it twice, or into a later state, changes nothing more.
      sameState(type, type.join(after, d), after, 'delta is idempotent');
    }), { numRuns: runs });
  });

  test('decompose: the join of the parts is the state; each part is irreducible and not bottom', () => {
    fc.assert(fc.property(states, fc.nat(4), (ss, i) => {
      const x = ss[i];
      const parts = type.decompose(x);
      let j = type.bottom();
      for (const p of parts) {
        assert.not.ok(isBottom(type, p), 'a part is bottom');
        const again = type.decompose(p);
        assert.is(again.length, 1, 'a part decomposes further');
        sameState(type, again[0], p, 'an irreducible part decomposes to itself');
        j = type.join(j, p);
      }
      sameState(type, j, x, '⊔ decompose(x) = x');
      if (isBottom(type, x)) assert.is(parts.length, 0, 'bottom decomposes to []');
    }), { numRuns: runs });
  });

  test('encode then decode gives the same state, through CBOR bytes', () => {
    fc.assert(fc.property(states, fc.nat(4), (ss, i) => {
      const x = ss[i];
      const back = type.decode(cborDecode(cborEncode(type.encode(x))));
      sameState(type, back, x, 'decode(encode(x)) = x');
      assert.equal(type.value(back), type.value(x));
    }), { numRuns: runs });
  });

  test('replicas converge: random ops, deltas delivered in random order with duplicates and drops, then a full-state merge', () => {
    const history = fc.array(fc.tuple(fc.nat(REPLICAS.length - 1), spec.op), { minLength: 1, maxLength: 40 });
    fc.assert(fc.property(fc.integer({ min: 3, max: 5 }), history, fc.array(fc.nat(), { minLength: 80, maxLength: 80 }), (n, ops, noise) => {
      const states: S[] = [];
      for (let i = 0; i < n; i++) states.push(type.bottom());
      // In flight: deltas addressed to each replica.
      const inflight: { to: number; d: S }[] = [];
      let t = 0;
      const rnd = () => noise[t++ % noise.length];
      for (const [r0, op] of ops) {
        const r = r0 % n;
        const d = applyOp(type, states[r], REPLICAS[r], op);
        if (d !== null) {
          states[r] = type.join(states[r], d);
          for (let to = 0; to < n; to++) {
            if (to === r) continue;
            const fate = rnd() % 10;
            if (fate === 0) continue; // dropped
            inflight.push({ to, d });
            if (fate === 1) inflight.push({ to, d }); // duplicated
          }
        }
        // Deliver a random part of what is in flight, in random order.
        while (inflight.length > 0 && rnd() % 3 !== 0) {
          const m = inflight.splice(rnd() % inflight.length, 1)[0];
          states[m.to] = type.join(states[m.to], m.d);
        }
      }
      while (inflight.length > 0) {
        const m = inflight.splice(rnd() % inflight.length, 1)[0];
        states[m.to] = type.join(states[m.to], m.d);
      }
      // Anti-entropy: a ring of full-state merges, twice round.
      for (let k = 0; k < 2 * n; k++) states[(k + 1) % n] = type.join(states[(k + 1) % n], states[k % n]);
      for (let i = 1; i < n; i++) {
        sameState(type, states[i], states[0], 'replica ' + i + ' vs replica 0');
        assert.equal(type.value(states[i]), type.value(states[0]));
      }
    }), { numRuns: runs });
  });

  test.run();
}
