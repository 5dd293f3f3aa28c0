import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNNER = path.join(ROOT, 'tools/test-all.mjs');

/** A throwaway project: fixture test files, and the real node_modules linked in so they can import uvu. */
const FIXTURES: { [file: string]: string } = {
  'tests/a/pass.test.ts': "import { test } from 'uvu';\ntest('one', () => {});\ntest('two', () => {});\ntest.run();\n",
  'tests/b/fail.test.ts': "import { test } from 'uvu';\nimport * as assert from 'uvu/assert';\ntest('ok', () => {});\ntest('bad', () => { assert.is(1, 2); });\ntest.run();\n",
  'tests/b/crash.test.ts': "throw new Error('broken at import');\n",
  'tests/b/hang.test.ts': "import { test } from 'uvu';\ntest('leaves a timer', () => { setInterval(() => {}, 1000); });\ntest.run();\n",
  'tests/support/helper.ts': "throw new Error('not a test file, must not run');\n",
  'tests/support/broker.ts': "export const embedded = 'embedded';\n",
  'tests/c/mqtt.test.ts': "import { embedded } from '../support/broker.ts';\nimport { test } from 'uvu';\ntest('broker ' + (process.env.MQTT_URL || embedded), () => { console.log('broker=' + (process.env.MQTT_URL || embedded)); });\ntest.run();\n",
};

let root = '';

test.before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-testall-'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  for (const f of Object.keys(FIXTURES)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), FIXTURES[f]);
  }
});

test.after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/**
 * Run the runner over the fixture tree. The hang fixture costs one timeout: 10 s, so that a loaded machine
 * (tsx takes seconds to start there) does not time out the files that do exit.
 */
function runAll(args: string[], mqttUrl?: string): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, POLLEN_TEST_ROOT: root, POLLEN_TEST_TIMEOUT: '10' };
    // The runner under test must see only what the test gives it, also when this suite itself runs under CI's
    // broker double-run.
    delete env.POLLEN_TEST_MQTT_URL;
    delete env.MQTT_URL;
    if (mqttUrl) env.POLLEN_TEST_MQTT_URL = mqttUrl;
    execFile(process.execPath, [RUNNER, '--no-typecheck'].concat(args), { cwd: root, env }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, lines: stdout.trimEnd().split('\n') });
    });
  });
}

test('counts tests across files, a crash and a hang as one failure each, and exits 1', async () => {
  const r = await runAll(['a/', 'b/']);
  // pass: 2, fail: 1 + 1, hang: 1 passed + 1 for not exiting, crash: 1
  assert.is(r.lines[r.lines.length - 1], '4 passed, 3 failed');
  assert.is(r.code, 1);
  assert.ok(r.lines.some((l) => /crash\.test\.ts: crashed/.test(l)), r.lines.join('\n'));
  assert.ok(r.lines.some((l) => /hang\.test\.ts: .*did not exit/.test(l)), r.lines.join('\n'));
  assert.not.ok(r.lines.some((l) => /\x1b\[/.test(l)), 'colour codes in the output');
});

test('a pattern selects a subset; all passing exits 0', async () => {
  const r = await runAll(['a/']);
  assert.is(r.lines[r.lines.length - 1], '2 passed, 0 failed');
  assert.is(r.code, 0);
});

test('with POLLEN_TEST_MQTT_URL, a file that takes its broker from support/broker runs twice, the second time with MQTT_URL', async () => {
  const once = await runAll(['c/']);
  assert.is(once.lines[once.lines.length - 1], '1 passed, 0 failed');
  assert.ok(once.lines.includes('broker=embedded'), once.lines.join('\n'));
  const twice = await runAll(['c/', 'a/'], 'mqtt://127.0.0.1:1');
  assert.is(twice.lines[twice.lines.length - 1], '4 passed, 0 failed');
  assert.ok(twice.lines.includes('broker=embedded'), twice.lines.join('\n'));
  assert.ok(twice.lines.includes('broker=mqtt://127.0.0.1:1'), twice.lines.join('\n'));
  assert.is(twice.code, 0);
});

test('no matching test is a failure', async () => {
  const r = await runAll(['nothing-matches-this']);
  assert.is(r.lines[r.lines.length - 1], '0 passed, 0 failed');
  assert.is(r.code, 1);
});

test.run();
