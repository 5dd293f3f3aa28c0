import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { knobs, ms, count, IDS, MAX_MS, FLAG, choice } from '../../runtime/knobs.ts';
import { createNode } from '../../runtime/full.ts';
import { Full, FULL_DEFAULTS, FULL_RANGES } from '../../runtime/membership/full.ts';
import { ClientServer, CS_DEFAULTS, CS_RANGES } from '../../runtime/membership/clientserver.ts';
import { HyParView, HYPARVIEW_DEFAULTS, HYPARVIEW_RANGES } from '../../runtime/membership/hyparview.ts';
import * as pt from '../../runtime/plumtree.ts';
import * as ae from '../../runtime/antientropy.ts';

/** The ranges as the messages state them. */
const MS1 = '(ms, a number from 1 to ' + MAX_MS + ')';
const COUNT0 = '(count, a whole number from 0 to 1000000)';
const COUNT1 = '(count, a whole number from 1 to 1000000)';

/** createNode's error message for a configuration, or '' when it does not throw. */
function refusal(config: object): string {
  try {
    createNode({ id: 'n', seed: 1, ...config });
  } catch (e) {
    assert.instance(e, Error);
    return (e as Error).message;
  }
  return '';
}

test('knobs: defaults apply where nothing is given, a given knob overrides only itself', () => {
  assert.equal(Full.init('a', undefined).cfg, FULL_DEFAULTS);
  assert.equal(Full.init('a', {}).cfg, FULL_DEFAULTS);
  assert.equal(HyParView.init('a', undefined).cfg, HYPARVIEW_DEFAULTS);
  assert.equal(pt.init('a').cfg, pt.PLUMTREE_DEFAULTS);
  assert.equal(ae.init(undefined, 0).cfg, ae.AE_DEFAULTS);
  assert.equal(ClientServer.init('a', null).cfg, CS_DEFAULTS);
  assert.equal(Full.init('a', { keepalive: 250 }).cfg, { ...FULL_DEFAULTS, keepalive: 250 });
  assert.equal(pt.init('a', { t1: 300, cacheSize: 0 }).cfg, { ...pt.PLUMTREE_DEFAULTS, t1: 300, cacheSize: 0 });
  // The servers list is copied, deduplicated and sorted; the caller's array is left alone.
  const given = ['s2', 's1', 's2'];
  assert.equal(ClientServer.init('a', { servers: given }).cfg.servers, ['s1', 's2']);
  assert.equal(given, ['s2', 's1', 's2']);
});

test('knobs: every knob of every layer has a stated range, and its default is within it', () => {
  const layers: [string, object, object][] = [
    ['full', FULL_DEFAULTS, FULL_RANGES],
    ['client-server', CS_DEFAULTS, CS_RANGES],
    ['hyparview', HYPARVIEW_DEFAULTS, HYPARVIEW_RANGES],
    ['plumtree', pt.PLUMTREE_DEFAULTS, pt.PLUMTREE_RANGES],
    ['anti-entropy', ae.AE_DEFAULTS, ae.AE_RANGES],
  ];
  for (const [who, defaults, ranges] of layers) {
    assert.equal(Object.keys(ranges).sort(), Object.keys(defaults).sort(), who);
    // Handing the defaults back in explicitly passes every check.
    assert.equal(knobs(who, defaults, ranges as any, { ...defaults }), defaults, who);
  }
});

test('knobs: a period of 0 is refused at createNode, naming the layer, the knob, the value and the range', () => {
  assert.is(refusal({ plumtree: { ihaveFlush: 0 } }), 'plumtree: knob ihaveFlush = 0 is out of range ' + MS1);
  assert.is(refusal({ antiEntropy: { period: 0 } }), 'anti-entropy: knob period = 0 is out of range ' + MS1);
  assert.is(refusal({ membershipConfig: { shufflePeriod: 0 } }), 'hyparview: knob shufflePeriod = 0 is out of range ' + MS1);
  assert.is(refusal({ membership: 'full', membershipConfig: { keepalive: 0 } }), 'full: knob keepalive = 0 is out of range ' + MS1);
  assert.is(refusal({ membership: 'client-server', membershipConfig: { keepalive: 0 } }), 'client-server: knob keepalive = 0 is out of range ' + MS1);
});

test('knobs: a negative size, NaN, infinity, a fraction of a count and a string are refused', () => {
  assert.is(refusal({ membership: 'full', membershipConfig: { maxMembers: -1 } }), 'full: knob maxMembers = -1 is out of range ' + COUNT1);
  assert.is(refusal({ plumtree: { cacheSize: -4 } }), 'plumtree: knob cacheSize = -4 is out of range ' + COUNT0);
  assert.is(refusal({ antiEntropy: { maxBytes: NaN } }), 'anti-entropy: knob maxBytes = NaN is out of range ' + COUNT0);
  assert.is(refusal({ plumtree: { t1: Infinity } }), 'plumtree: knob t1 = Infinity is out of range ' + MS1);
  assert.is(refusal({ membershipConfig: { activeSize: 2.5 } }), 'hyparview: knob activeSize = 2.5 is out of range ' + COUNT1);
  assert.is(refusal({ membershipConfig: { activeSize: '4' } }), 'hyparview: knob activeSize = "4" is out of range ' + COUNT1);
  const cs = (servers: unknown) => refusal({ membership: 'client-server', membershipConfig: { servers } });
  assert.is(cs(['s0', 7]), 'client-server: knob servers = a list is out of range (a list of peer ids)');
  assert.is(cs('s0'), 'client-server: knob servers = "s0" is out of range (a list of peer ids)');
  // The bounds themselves are allowed.
  assert.is(refusal({ membershipConfig: { passiveSize: 0, activeSize: 1 }, plumtree: { t1: 1, t2: MAX_MS } }), '');
});

test('knobs: an unknown knob name is refused, with the names the layer has', () => {
  const m = refusal({ membership: 'full', membershipConfig: { heartbeat: 500 } });
  assert.is(m, 'full: unknown knob "heartbeat" (knobs: ' + Object.keys(FULL_DEFAULTS).join(', ') + ')');
  assert.match(m, 'keepalive, peerTimeout, sample, maxMembers');
  assert.match(refusal({ plumtree: { T1: 400 } }), 'plumtree: unknown knob "T1"');
  // A HyParView knob handed to another manager is unknown there.
  assert.match(refusal({ membership: 'client-server', membershipConfig: { activeSize: 4 } }), 'client-server: unknown knob "activeSize"');
  // Something that is no object of knobs at all.
  assert.is(refusal({ antiEntropy: 1000 }), 'anti-entropy: the configuration is 1000, expected an object of knobs');
});

test('knobs: the three membership managers name their liveness and retry knobs alike', () => {
  const alike = ['keepalive', 'peerTimeout', 'joinTimeout', 'backoffMax'];
  for (const [name, d] of [['hyparview', HYPARVIEW_DEFAULTS], ['full', FULL_DEFAULTS], ['client-server', CS_DEFAULTS]] as const) {
    for (const k of alike) assert.type((d as unknown as Record<string, unknown>)[k], 'number', name + ' has ' + k);
    const cfg = d as unknown as { keepalive: number; peerTimeout: number; joinTimeout: number; backoffMax: number };
    assert.ok(cfg.keepalive < cfg.peerTimeout, name + ': a peer is heard from more than once before it times out');
    assert.ok(cfg.joinTimeout <= cfg.backoffMax, name + ': the backoff starts below its cap');
  }
});

test('knobs: the reader on its own (ranges, a left-out knob keeps its default, lists are copied)', () => {
  const d = { every: 50, size: 4, ids: [] as string[] };
  const r = { every: ms(5), size: count(0), ids: IDS };
  assert.equal(knobs('x', d, r, { size: 0, every: undefined }), { every: 50, size: 0, ids: [] });
  assert.throws(() => knobs('x', d, r, { every: 4.5 }), /x: knob every = 4\.5 is out of range \(ms, a number from 5 to /);
  assert.throws(() => knobs('x', d, r, { size: 1000001 }), /x: knob size = 1000001 is out of range/);
  assert.throws(() => knobs('x', d, { every: ms(5) } as any, {}), /x: knob size has no stated range/);
  const out = knobs('x', d, r, {});
  assert.is.not(out.ids, d.ids);
});

test('knobs: a switch takes only true or false, a mode only one of its names', () => {
  const d = { on: true, mode: 'delta' };
  const r = { on: FLAG, mode: choice(['delta', 'state']) };
  assert.equal(knobs('x', d, r, { on: false, mode: 'state' }), { on: false, mode: 'state' });
  assert.equal(knobs('x', d, r, {}), d);
  assert.throws(() => knobs('x', d, r, { on: 1 }), /x: knob on = 1 is out of range \(true or false\)/);
  assert.throws(() => knobs('x', d, r, { on: 'false' }), /x: knob on = "false" is out of range \(true or false\)/);
  assert.throws(() => knobs('x', d, r, { mode: 'State' }), /x: knob mode = "State" is out of range \(one of "delta", "state"\)/);
  assert.throws(() => knobs('x', d, r, { mode: 0 }), /x: knob mode = 0 is out of range/);
  // Through createNode: anti-entropy's measurement knobs and the node's plumtreeDeltas.
  assert.is(refusal({ antiEntropy: { bp: 0 } }), 'anti-entropy: knob bp = 0 is out of range (true or false)');
  assert.is(refusal({ antiEntropy: { mode: 'op' } }), 'anti-entropy: knob mode = "op" is out of range (one of "delta", "state")');
  assert.is(refusal({ plumtreeDeltas: 'no' }), 'node: plumtreeDeltas = no is out of range (true or false)');
  assert.is(refusal({ antiEntropy: { bp: false, rr: false, mode: 'state' }, plumtreeDeltas: false }), '');
  assert.equal(ae.init({ rr: false }, 0).cfg, { ...ae.AE_DEFAULTS, rr: false });
});

test.run();

test('knobs: a range may be written short (the runtime tables are pure strings, dropped from bundles that do not use them)', () => {
  const R = { period: 'ms 1', size: 'count 0', on: 'flag', peers: 'ids', mode: 'choice delta state' };
  const D = { period: 50, size: 3, on: true, peers: [] as string[], mode: 'delta' };
  assert.equal(knobs('x', D, R, { period: 7, mode: 'state' }), { period: 7, size: 3, on: true, peers: [], mode: 'state' });
  assert.throws(() => knobs('x', D, R, { period: 0 }), /x: knob period = 0 is out of range \(ms, a number from 1 to 2147483647\)/);
  assert.throws(() => knobs('x', D, R, { mode: 'both' }), /one of "delta", "state"/);
  assert.throws(() => knobs('x', { a: 1 }, { a: 'nope' }, {}), /no range "nope"/);
});
