import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { typeOf, specOf, canonicalSpec, known, TAGS, MAX_SPEC_LENGTH, MAX_SPEC_DEPTH } from '../../crdt/all.ts';
import { DecodeError } from '../../crdt/errors.ts';

const BASES = ['gcounter', 'pncounter', 'bcounter', 'maxint', 'gset', 'twopset', 'lww', 'lamport', 'orset', 'mvregister', 'ewflag', 'dwflag', 'awgraph'];

function rejects(spec: unknown, pattern?: RegExp): void {
  try {
    typeOf(spec as string);
  } catch (e) {
    assert.instance(e, DecodeError, String(spec));
    assert.is((e as DecodeError).reason, 'spec');
    if (pattern) assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable('accepted ' + JSON.stringify(spec));
}

test('every base name gives the type with that name and its registered tag', () => {
  for (const b of BASES) {
    const t = typeOf(b);
    assert.is(t.name, b);
    assert.is(t.tag, TAGS[b], b);
    assert.is(specOf(t), b);
  }
  assert.equal(known(), BASES.concat(['awmap', 'pair']).sort());
});

test('tags are distinct and 1..15', () => {
  const tags = Object.values(TAGS).sort((a, b) => a - b);
  assert.equal(tags, Array.from({ length: 15 }, (_, i) => i + 1));
});

test('factories: pair and awmap, nested, canonical without spaces', () => {
  const p = typeOf('pair(gcounter,lww)');
  assert.is(p.tag, TAGS.pair);
  assert.is(specOf(p), 'pair(gcounter,lww)');
  const m = typeOf(' awmap( pair( gcounter , orset ) ) ');
  assert.is(m.tag, TAGS.awmap);
  assert.is(specOf(m), 'awmap(pair(gcounter,orset))');
  assert.is(canonicalSpec('pair( maxint,  maxint)'), 'pair(maxint,maxint)');
  // The same spec gives the same object, so states of one variable always meet the same functions.
  assert.is(typeOf('pair(gcounter,lww)'), p);
  // A parameterised type works as a type: a mutator on the nested map.
  const s = m.bottom();
  assert.ok(m.leq(s, s));
});

test('unknown, malformed, too long or too deep specs are DecodeErrors', () => {
  rejects('gcounterx', /unknown type "gcounterx"/);
  rejects('GCounter', /expected a type name|unexpected/);
  rejects('');
  rejects('pair(gcounter)', /takes 2/);
  rejects('pair(gcounter,lww,orset)', /takes 2/);
  rejects('awmap', /needs 1/);
  rejects('gcounter(orset)');
  rejects('pair(gcounter,lww');
  rejects('pair(gcounter,,lww)');
  rejects('pair(gcounter,lww))');
  rejects('orset orset');
  rejects('__proto__');
  rejects('constructor');
  rejects(42);
  rejects('pair(' + 'gcounter,'.repeat(20) + 'lww)', /length/);
  rejects('a'.repeat(MAX_SPEC_LENGTH + 1), /length/);
  let deep = 'gcounter';
  for (let i = 0; i <= MAX_SPEC_DEPTH; i++) deep = 'awmap(' + deep + ')';
  rejects(deep, /deeper/);
  let ok = 'gcounter';
  for (let i = 0; i < MAX_SPEC_DEPTH; i++) ok = 'awmap(' + ok + ')';
  assert.is(specOf(typeOf(ok)), ok);
});

const specArb: fc.Arbitrary<string> = fc.letrec<{ s: string }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...BASES),
    fc.tuple(tie('s'), tie('s')).map(([a, b]) => 'pair(' + a + ',' + b + ')'),
    tie('s').map((a) => 'awmap(' + a + ')'),
  ),
})).s.filter((s) => s.length <= MAX_SPEC_LENGTH && depth(s) <= MAX_SPEC_DEPTH);

function depth(s: string): number {
  let d = 0;
  let m = 0;
  for (const c of s) {
    if (c === '(') m = Math.max(m, ++d);
    if (c === ')') d--;
  }
  return m;
}

test('specOf(typeOf(s)) is s for random canonical specs, and spaces do not matter', () => {
  fc.assert(
    fc.property(specArb, fc.nat(), (s, seed) => {
      assert.is(specOf(typeOf(s)), s);
      const spaced = s.replace(/[(,]/g, (c) => (seed % 2 ? c + ' ' : ' ' + c));
      assert.is(canonicalSpec(spaced), s);
    }),
    { numRuns: 200 },
  );
});

test.run();

test('a registry holds only the types registered in it: a board registers three and refuses the rest', async () => {
  const reg = await import('../../crdt/registry.ts');
  const { PNCounter } = await import('../../crdt/pncounter.ts');
  const { ORSet } = await import('../../crdt/orset.ts');
  const { LWW } = await import('../../crdt/lww.ts');
  const r = reg.register(reg.register(reg.register(reg.registry(), PNCounter), ORSet), LWW);
  assert.equal(reg.known(r), ['lww', 'orset', 'pncounter']);
  assert.is(reg.typeOf(r, ' orset '), ORSet);
  assert.is(reg.specOf(r, LWW), 'lww');
  for (const spec of ['gcounter', 'pair(lww,lww)', 'awmap(orset)']) {
    try {
      reg.typeOf(r, spec);
      assert.unreachable('accepted ' + spec);
    } catch (e) {
      assert.instance(e, DecodeError);
      assert.is((e as DecodeError).reason, 'spec');
    }
  }
  // The full registry is another object: registering in one never changes the other.
  assert.ok(known().includes('gcounter'));
});
