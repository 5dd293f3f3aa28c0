/**
 * Dots are never reused: a node killed right after its updates reached a peer, restarted with an old store and
 * then with none, makes new updates, and no element is lost on either node. Real processes (tools/run-node.ts)
 * on the test broker; before epochs, the restarted node's new adds took the dots of the adds it had lost, and
 * ten adds vanished on both nodes while their sets stayed equal.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBroker } from '../support/broker.ts';
import { NodeProc, startAll } from '../support/proc.ts';

const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => p + (i + 1));
const holds = (want: string[]) => (s: { vars: { [k: string]: any } }) => Array.isArray(s.vars.xs) && want.every((e) => s.vars.xs.includes(e));

test('a node killed after its adds reached a peer, restarted with an old store and with none, loses nothing anywhere', async () => {
  const b = await testBroker();
  const dir = mkdtempSync(join(tmpdir(), 'pollen-dots-'));
  const store = join(dir, 'a.pollen');
  const args = (id: string, withStore: boolean, contact?: string) => [
    '--id', id, '--url', b.url, '--root', b.root, '--mqtt-version', String(b.protocolVersion), '--keepalive', '2',
    '--membership', 'full', ...(withStore ? ['--store', store] : []), ...(contact ? ['--join', contact] : []),
  ];
  const procs: NodeProc[] = [];
  try {
    let [a, peer] = await startAll(procs, [NodeProc.start(args('a', true)), NodeProc.start(args('b', false, 'a'))]);
    a.cmd('declare xs orset');
    peer.cmd('declare xs orset');
    // The old store: epoch 1, no element. What a crash leaves when its saves lag, or a copy put back later.
    await a.until((s) => s.vars.xs !== undefined, 'a declared xs');
    copyFileSync(store, store + '.old');
    const first = names('a', 10);
    for (const e of first) a.cmd('update xs add ' + e);
    await peer.until(holds(first), 'b received the ten adds');
    await a.kill();

    // Restart on the old store: the new life must not take the dots (a, 1..10) again.
    copyFileSync(store + '.old', store);
    a = await NodeProc.start(args('a', true, 'b'));
    procs[0] = a;
    a.cmd('declare xs orset');
    const second = names('n', 10);
    for (const e of second) a.cmd('update xs add ' + e);
    const all2 = first.concat(second);
    await peer.until(holds(all2), 'b holds the first and the new adds');
    await a.until(holds(all2), 'a got its earlier adds back from b and kept its new ones');
    await a.kill();

    // Restart with no store at all.
    a = await NodeProc.start(args('a', false, 'b'));
    procs[0] = a;
    a.cmd('declare xs orset');
    const third = names('m', 10);
    for (const e of third) a.cmd('update xs add ' + e);
    peer.cmd('update xs add from-b');
    const all3 = all2.concat(third, ['from-b']);
    await peer.until(holds(all3), 'b holds everything');
    await a.until(holds(all3), 'a holds everything');
    // Settled: nothing vanished later either, and both hold exactly the same set.
    await new Promise((r) => setTimeout(r, 1500));
    a.cmd('show');
    peer.cmd('show');
    await a.until(holds(all3), 'a still holds everything');
    await peer.until(holds(all3), 'b still holds everything');
    assert.equal([...a.state.vars.xs].sort(), [...all3].sort());
    assert.equal([...peer.state.vars.xs].sort(), [...all3].sort());
  } finally {
    for (const p of procs) await p.kill();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
