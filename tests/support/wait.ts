/**
 * Waiting in tests of real links: poll a condition until it holds or a deadline passes, then fail with a message
 * that says what was awaited. Every wait is bounded, so a broken link fails the test instead of hanging uvu.
 *
 *   await until(() => b.peers().includes('a'), 'b sees a', 3000);
 */
export async function until(cond: () => boolean, what: string, ms = 5000, every = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out after ' + ms + ' ms waiting for: ' + what);
    await new Promise((r) => setTimeout(r, every));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
