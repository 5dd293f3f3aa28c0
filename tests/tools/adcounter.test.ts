import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Net } from '../runtime/net.ts';
import { read, stateOf } from '../../runtime/node.ts';
import { install, program, publish, watch, impression, served, counterOf } from '../../tools/adcounter/app.ts';
import { runAdCounter } from '../../tools/adcounter/run.ts';
import { parseArgs, format, main } from '../../tools/adcounter/cli.ts';

const CONTRACTS = [
  { ad: 'ad1', min: 40 },
  { ad: 'ad2', min: 25 },
  { ad: 'ad3', min: 60 },
];

test('the app on tests/runtime/net.ts: every ad reaches its minimum, then is disabled on every node, offline ones included', () => {
  const ids = ['server', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'];
  const net = new Net({ seed: 12, loss: 0.05, dup: 0.05 });
  for (let i = 0; i < ids.length; i++) net.add({ id: ids[i], seed: 40 + i });
  for (let i = 1; i < ids.length; i++) net.cmd(ids[i], { op: 'join', contacts: ['server'] });
  net.run(3000);
  for (const id of ids) {
    install(net.nodes[id]);
    for (const c of program()) net.cmd(id, c);
  }
  for (const c of publish(CONTRACTS)) net.cmd('server', c);
  net.run(net.now + 2000);
  for (const id of ids) assert.equal(served(net.nodes[id]), ['ad1', 'ad2', 'ad3'], id + ' serves the published ads');
  // c7 goes offline for a while and keeps showing ads.
  const offline = (a: string, b: string) => (a === 'c7') !== (b === 'c7') && net.now < 9000;
  net.blocked = offline;
  const truth: { [ad: string]: number } = { ad1: 0, ad2: 0, ad3: 0 };
  let k = 0;
  for (let round = 0; round < 200; round++) {
    for (const id of ids.slice(1)) {
      for (const c of watch(net.nodes[id])) net.cmd(id, c);
      const shown = impression(net.nodes[id], (n) => (k++ * 7) % n);
      if (!shown) continue;
      for (const c of shown.cmds) net.cmd(id, c);
      truth[shown.ad]++;
    }
    net.run(net.now + 150);
  }
  net.run(net.now + 15000);
  for (const c of CONTRACTS) assert.ok(truth[c.ad] >= c.min, c.ad + ' shown ' + truth[c.ad] + ' times, paid ' + c.min);
  const over = CONTRACTS.reduce((s, c) => s + truth[c.ad] - c.min, 0);
  assert.ok(over > 0, 'c7 was offline: it showed ads past their minimum');
  for (const id of ids) {
    assert.equal(served(net.nodes[id]), [], id + ' still serves');
    assert.equal(read(net.nodes[id], 'ads'), [], id);
    for (const c of CONTRACTS) {
      assert.is(read(net.nodes[id], counterOf(c.ad)), truth[c.ad], id + ' ' + c.ad + ' counted every impression');
      assert.equal(stateOf(net.nodes[id], counterOf(c.ad)), stateOf(net.nodes.server, counterOf(c.ad)));
    }
  }
});

test('the simulator run: converges, accounts for every impression, and is deterministic', () => {
  const cfg = {
    seed: 3,
    clients: 16,
    ads: 3,
    min: [30, 60] as [number, number],
    period: 1000,
    offline: { p: 0.7, online: [2000, 6000] as [number, number], away: [3000, 8000] as [number, number] },
  };
  const r = runAdCounter(cfg);
  assert.ok(r.convergence.converged, JSON.stringify(r.convergence));
  // Completion detection: every node learned by itself that all nodes finished the campaign.
  assert.is(r.convergence.knowing, r.config.clients + 1, JSON.stringify(r.convergence));
  assert.ok(r.convergence.allKnow !== null && r.convergence.allKnow >= 0, JSON.stringify(r.convergence));
  assert.is(r.unfinished, 0);
  assert.is(r.impressions.total, r.impressions.paid + r.impressions.over, 'every impression is paid for or over');
  assert.is(r.impressions.over, r.impressions.overOnline + r.impressions.overOffline);
  assert.ok(r.impressions.offline > 0, 'clients went offline and kept showing ads');
  assert.ok(r.impressions.overOffline > 0, 'offline clients showed ads past their minimum');
  assert.ok(r.convergence.disableOnline.max <= r.convergence.disable.max);
  assert.ok(r.convergence.detect.mean > 0 && r.convergence.spread.mean >= 0);
  assert.ok(r.bytes.client.sent.mean > 0 && r.bytes.client.received.mean > 0);
  assert.equal(runAdCounter(cfg), r, 'same seed, same report');
  const calm = runAdCounter({ ...cfg, offline: { ...cfg.offline, p: 0 } });
  assert.is(calm.impressions.offline, 0);
  assert.ok(calm.impressions.over < r.impressions.over, 'being offline costs impressions: ' + calm.impressions.over + ' vs ' + r.impressions.over);
  assert.match(format(r, calm), /cost of being offline is \d+ impressions/);
});

test('cli: arguments are checked; usage errors exit 2', () => {
  const p = parseArgs(['--clients', '30', '--min', '10,20', '--offline', '0.2', '--baseline']);
  assert.ok(typeof p !== 'string');
  if (typeof p !== 'string') {
    assert.is(p.cfg.clients, 30);
    assert.equal(p.cfg.min, [10, 20]);
    assert.is(p.cfg.offline?.p, 0.2);
    assert.ok(p.baseline);
  }
  assert.type(parseArgs(['--min', '20,10']), 'string');
  assert.type(parseArgs(['--offline', '2']), 'string');
  assert.type(parseArgs(['--clients', '0']), 'string');
  assert.type(parseArgs(['--nope']), 'string');
  const err = process.stderr.write;
  process.stderr.write = () => true;
  try {
    assert.is(main(['--membership', 'star']), 2);
  } finally {
    process.stderr.write = err;
  }
});

test('escrow variant: no impression past the minimum at any cut rate, every paid impression shown, Lasp overcounts beside it', () => {
  let laspOver = 0;
  for (const [p, seed] of [[0, 1], [0.3, 2], [0.7, 3], [0.7, 4]] as const) {
    const cfg = { seed, clients: 20, ads: 3, min: [20, 40] as [number, number], period: 1000, offline: { p, online: [2000, 6000] as [number, number], away: [3000, 9000] as [number, number] } };
    const e = runAdCounter({ ...cfg, variant: 'escrow', grant: 3 });
    assert.is(e.impressions.over, 0, 'cut rate ' + p + ', seed ' + seed);
    assert.is(e.impressions.total, e.impressions.paid, 'every paid impression is shown');
    assert.ok(e.convergence.converged, 'escrow run converged');
    if (p > 0) assert.ok(e.impressions.offline > 0, 'clients showed ads while cut off');
    laspOver += runAdCounter({ ...cfg, variant: 'lasp' }).impressions.over;
  }
  assert.ok(laspOver > 0, 'the Lasp variant overcounts in the same runs: ' + laspOver);
});

test.run();
