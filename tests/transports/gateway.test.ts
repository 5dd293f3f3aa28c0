/**
 * A gateway bridges a serial-only node into an MQTT overlay, with real processes (all tools/run-node.ts): a broker
 * (aedes, or MQTT_URL), two MQTT-only nodes m1 and m2, a gateway g holding an MQTT link and a serial link, and a
 * node s on the other end of a pty pair (ptypair.ts) with g, which has no other link (`--url none`). All run HyParView.
 * Updates made on s reach m1 and m2 and those made on m1 reach s, all through g; then g is killed (SIGKILL, no
 * goodbye) and restarted with its state file, and everything converges again, including what each side did while
 * g was down.
 *
 *   npm test -- transports/gateway
 *   MQTT_URL=$(tools/ci/mosquitto.sh) npm test -- transports/gateway
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { testBroker, type TestBroker } from '../support/broker.ts';
import { NodeProc, startAll, type NodeState } from '../support/proc.ts';
import { overlay } from '../support/overlay.ts';
import { Updates } from '../support/updates.ts';
import { ptyPair, type PtyPair } from './ptypair.ts';

/**
 * Every wait's deadline, ms. The slowest waits are an MQTT node noticing the killed g (the broker's will, 1.5 x
 * the 2 s keepalive) and the merge after the restart (two anti-entropy periods of 1 s, about 2.3 s here); 20 s
 * leaves room for a loaded CI box. (Starting a process has its own 40 s deadline in proc.ts.)
 */
const WAIT = 20_000;

/** What else run-node.ts's state line says: each link kind's peers, and every peer that was ever a neighbour. */
type GwState = NodeState & { peers?: { [kind: string]: string[] }; ever?: string[] };

test('a gateway with MQTT and serial links bridges a serial-only node; kill and restart it, convergence again', async () => {
  let b: TestBroker | undefined;
  let pair: PtyPair | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pollen-gateway-'));
  const procs: NodeProc[] = []; // everything ever started, for the cleanup
  try {
    pair = await ptyPair(); // fails with "python3 is not installed ..." when it is missing
    b = await testBroker();
    const mqtt = ['--root', b.root, '--mqtt-version', String(b.protocolVersion), '--keepalive', '2'];
    const gArgs = ['--id', 'g', '--url', b.url, ...mqtt, '--serial', pair.a, '--join', 'm1', '--store', join(dir, 'g.pollen'), '--seed', '3'];
    const startG = () => NodeProc.start(gArgs);

    const m1 = await NodeProc.start(['--id', 'm1', '--url', b.url, ...mqtt, '--seed', '1']);
    procs.push(m1);
    const [m2, g1] = await startAll(procs, [NodeProc.start(['--id', 'm2', '--url', b.url, ...mqtt, '--join', 'm1', '--seed', '2']), startG()]);
    let g = g1;
    // For the figures: did an MQTT node ever list s (the half-open entry described at `bridged`)? From their lines.
    const halfOpen = new Set<string>();
    for (const p of [m1, m2]) {
      createInterface({ input: p.child.stdout! }).on('line', (l) => {
        if (/"neighbors":\[[^\]]*"s"/.test(l)) halfOpen.add(p.id);
      });
    }
    // The serial node comes last, as a board plugged into a running gateway. (A serial link learns who is at the
    // other end only from its hello, so s's first JOIN is usually dropped unsent; s then gets in by a NEIGHBOR
    // when the link comes up, and its retried JOIN, if any, is forwarded by g into the MQTT side.)
    await g.until((st) => st.neighbors.length > 0, 'g joined the MQTT overlay', WAIT);
    const s = await NodeProc.start(['--id', 's', '--url', 'none', '--serial', pair.b, '--join', 'g', '--seed', '4']);
    procs.push(s);
    const all = () => [m1, m2, g, s];
    const u = new Updates();
    const { inc, add, converged } = u;
    for (const p of all()) u.declare(p);

    const waitAll = async (ps: NodeProc[], what: string) => {
      for (const p of ps) await p.until(converged, p.id + ' ' + what + ' (hits ' + u.hits + ', tags ' + u.tags + ')', WAIT);
    };
    /**
     * s's one neighbour is g, over its serial link, and none other ever was; g reaches s by serial and the MQTT
     * nodes by MQTT only. An MQTT node may hold s in its active view for a while, if a FORWARDJOIN walk for a
     * JOIN of s ends there: its NEIGHBOR to s goes nowhere (s is not on the broker), and keepalives drop the entry
     * within peerTimeout (8 s) plus a period. That is a half-open entry s never hears of, not a relation: the test
     * waits for it to go, and reports whether one was seen.
     */
    const bridged = async (what: string) => {
      await s.until((st) => st.neighbors.join() === 'g', 's has g as its only neighbour ' + what, WAIT);
      await g.until((st) => st.neighbors.includes('s'), 'g has s as a neighbour ' + what, WAIT);
      for (const p of [m1, m2]) await p.until((st) => !st.neighbors.includes('s'), p.id + ' holds no entry for s ' + what, WAIT);
      await m1.until(() => overlay(all()), 'a connected overlay of all four ' + what, WAIT);
      const ss = s.state as GwState;
      assert.equal(ss.peers, { serial: ['g'] }, 's reaches g, and only g, over serial ' + what);
      assert.equal(ss.ever, ['g'], 's never had another neighbour than g ' + what);
      const gp = (g.state as GwState).peers!;
      assert.equal(gp.serial, ['s'], 'g reaches s over serial ' + what);
      assert.ok(!gp.mqtt.includes('s') && gp.mqtt.includes('m1') && gp.mqtt.includes('m2'), 'g\'s MQTT peers ' + JSON.stringify(gp));
    };
    let t = Date.now();
    await bridged('at start');
    const figures = ['overlay settled (s bridged, no MQTT node holding s) ' + (Date.now() - t) + ' ms after s was ready'];
    // Updates on the serial side reach the MQTT side, and the other way round.
    t = Date.now();
    inc(s, 5);
    add(s, 'from-s');
    inc(m1, 2);
    add(m1, 'from-m1');
    inc(m2, -1);
    await waitAll(all(), 'converged');
    figures.push('all four converged ' + (Date.now() - t) + ' ms after updates on s, m1 and m2');
    await bridged('after the first updates');

    // Kill the gateway: s is cut off (it notices the silence on the line), m1 and m2 hear the broker's will.
    await g.kill();
    t = Date.now();
    await s.until((st) => st.neighbors.length === 0, 's loses its only neighbour', WAIT);
    for (const p of [m1, m2]) await p.until((st) => !st.neighbors.includes('g'), p.id + ' drops the dead g', WAIT);
    figures.push('s and the MQTT nodes dropped g ' + (Date.now() - t) + ' ms after the kill');
    // Both sides go on alone; neither can see the other's update until g is back.
    const before = u.hits;
    inc(m1, 3);
    add(m1, 'm1-while-g-down');
    for (const p of [m1, m2]) {
      await p.until((st) => st.vars.hits === before + 3 && st.vars.tags.includes('m1-while-g-down'), p.id + ' has m1\'s update without g', WAIT);
    }
    inc(s, 7);
    add(s, 's-while-g-down');
    await s.until((st) => st.vars.hits === before + 7 && st.vars.tags.includes('s-while-g-down'), 's applied its own update', WAIT);
    assert.not.ok(s.state.vars.tags.includes('m1-while-g-down'), 's cannot have m1\'s update with g down');
    assert.not.ok(m1.state.vars.tags.includes('s-while-g-down'), 'm1 cannot have s\'s update with g down');

    // Restart the gateway with its state file: the two sides merge again.
    g = await startG();
    procs.push(g);
    t = Date.now();
    u.declare(g);
    await s.until((st) => st.neighbors.join() === 'g', 's has the restarted g as its neighbour again', WAIT);
    const back = Date.now() - t;
    await waitAll(all(), 'converged after the gateway restart');
    figures.push('after the restarted g was ready: s had it as neighbour in ' + back + ' ms, all four converged in ' + (Date.now() - t) + ' ms');
    await bridged('after the restart');
    inc(m1, 1);
    add(s, 'after-restart');
    await waitAll(all(), 'converged on updates after the restart');
    figures.push('MQTT nodes that listed s for a while: ' + ([...halfOpen].sort().join(', ') || 'none'));
    console.log('  gateway (' + (b.embedded ? 'aedes' : b.url) + '): ' + figures.join('; '));
    assert.is(u.hits, 17);
    assert.equal(u.tags, ['after-restart', 'from-m1', 'from-s', 'm1-while-g-down', 's-while-g-down']);
  } finally {
    await Promise.all(procs.map((p) => p.quit()));
    await pair?.close();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
