/**
 * runtime/backoff.ts, the one doubling backoff: the membership managers' JOIN retries and the links'
 * reconnections (transports/link.ts adds jitter on top) wait what it says.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoff } from '../../runtime/backoff.ts';
import { backoffDelay } from '../../transports/link.ts';

test('the base first, doubled per step, never past the cap, whatever the count', () => {
  assert.equal([0, 1, 2, 3, 4, 5].map((n) => backoff(1000, 16000, n)), [1000, 2000, 4000, 8000, 16000, 16000]);
  assert.is(backoff(1000, 16000, -3), 1000, 'no doublings before the count reaches 0');
  assert.is(backoff(2000, 30000, 4), 30000, 'the cap is reached exactly even when doubling would pass it');
  assert.is(backoff(1000, 16000, 1e9), 16000, 'a huge count stops at the cap (and costs a few steps)');
  assert.is(backoff(500, 100, 0), 100, 'a base above the cap waits the cap');
});

test('a link waits the same backoff times a jitter of 0.5..1', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const full = backoff(200, 5000, attempt);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt, 200, 5000);
      assert.ok(d >= full / 2 && d <= full, 'attempt ' + attempt + ': ' + d + ' within [' + full / 2 + ', ' + full + ']');
    }
  }
});

test.run();
