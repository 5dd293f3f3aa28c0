import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { soak, summary } from '../../tools/soak.ts';

// The short run of `npm run soak`: real run-node processes (five side by side, each on its own file store), killed with SIGKILL 25 times in all at
// seeded random moments (some during its start), restarted, and checked each time.
test('25 kill -9 restarts lose no acknowledged update and leave every store file readable', async () => {
  const r = await soak({ kills: 25, seed: 12, maxRunMs: 300, lanes: 5 });
  const why = summary(r) + '\n' + r.problems.join('\n');
  assert.is(r.kills, 25, why);
  assert.ok(r.acked > 50, 'the node acknowledged updates: ' + why);
  assert.is(r.lostAcked, 0, why);
  assert.is(r.unreadable, 0, why);
  assert.is(r.failedStarts, 0, why);
  assert.is(r.epochNotGrown, 0, why);
  // Each lane's node took a fresh epoch from its store at every start (epochNotGrown above), several times.
  assert.ok(r.lastEpoch >= 2, why);
});

test.run();
