/**
 * Real components that `.ci/run` sets up beside `npm test`: the Espruino interpreter built from its source
 * (pools of 2,630, 5,100 and 12,000 variables) and Debian's Chromium. A suite that needs one asks for it here:
 *
 *   const dir = extra('espruino', 'board bundles on the interpreter'); // undefined on a plain clone
 *   if (dir) { test('…', async () => { … }); test.run(); }
 *
 * On a machine without the component (a fresh clone running `npm test`), the suite says so in a line that
 * starts with `ci-only:`, which tools/test-all.mjs gathers above its summary: nothing is skipped silently.
 * Under CI (CI or POLLEN_REQUIRE_EXTRAS set, as .ci/run does) a missing component is an error that fails the
 * suite, because there it means the set-up broke.
 */

/** Each extra: the variable that points at it, and what .ci/run does to provide it. */
const EXTRAS = {
  espruino: { env: 'POLLEN_ESPRUINO_DIR', what: 'the Espruino interpreter (folder of espruino-<pool> binaries)' },
  chromium: { env: 'POLLEN_CHROMIUM', what: 'a Chromium executable' },
};

export type ExtraName = keyof typeof EXTRAS;

/** The component's path, or undefined (after printing the `ci-only:` line) when this machine lacks it. */
export function extra(name: ExtraName, suite: string): string | undefined {
  const e = EXTRAS[name];
  const value = process.env[e.env];
  if (value) return value;
  if (process.env.CI || process.env.POLLEN_REQUIRE_EXTRAS) {
    throw new Error(e.env + ' is not set: .ci/run should have provided ' + e.what);
  }
  process.stdout.write('ci-only: ' + suite + ' needs ' + e.what + ' (' + e.env + '); .ci/run provides it\n');
  return undefined;
}
