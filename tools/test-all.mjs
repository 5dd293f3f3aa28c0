/**
 * `npm test`: the typecheck, then every tests/**\/*.test.ts with uvu through tsx, ending with the line
 * `N passed, N failed` (the typecheck counts as one check). Exits non-zero if anything failed or no test ran.
 *
 *   npm test                    # everything
 *   npm test -- orset tools/    # only files whose path matches one of the patterns (regex, case-insensitive);
 *                               # a subset run skips the typecheck, which is about the whole tree
 *
 * Each test file runs in its own process: one file that throws at import, leaves a socket open or dies of an
 * unhandled rejection then costs only its own results (uvu's CLI in one process stops at the first file that
 * fails to import, and hangs on the first handle left open). Files run a few at a time; the output of the
 * file at the head of the queue streams live and the others' is held back and printed whole, in order.
 *
 * Why uvu under this runner, and not `node --test`: the suites are uvu's (short, direct, one file per module,
 * several helpers writing more of them at once), and what this file adds is not in either tool as such: a
 * process group per file, killed whole at its timeout with the brokers, ptys and node children it started; the
 * two-broker double run (below) counted in one summary; the `ci-only:` lines of suites whose extra component
 * (tests/support/extras.ts) this machine lacks, gathered above the summary so nothing is skipped unseen; and one
 * `N passed, N failed` line over all of it, the typecheck included. tests/tools/test-all.test.ts holds it to
 * that. Moving to `node --test` would mean rewriting every suite for the same result.
 *
 * Environment: POLLEN_TEST_JOBS (files at once, default min(4, cores)), POLLEN_TEST_TIMEOUT (seconds per file,
 * default 120; a file may ask for more with a `pollen-test-timeout: SECONDS` comment near its top), POLLEN_TEST_ROOT (the project directory, default this file's parent; its own test points it at
 * a fixture tree), POLLEN_TEST_MQTT_URL (a second broker, e.g. Mosquitto from tools/ci/mosquitto.sh: every file
 * that takes its broker from tests/support/broker.ts runs twice, once on the embedded aedes and once with
 * MQTT_URL set to this, so one summary line counts both).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = process.env.POLLEN_TEST_ROOT || join(dirname(fileURLToPath(import.meta.url)), '..');
const TESTS = join(ROOT, 'tests');
const JOBS = Math.max(1, Number(process.env.POLLEN_TEST_JOBS) || Math.min(4, availableParallelism()));
const TIMEOUT_MS = (Number(process.env.POLLEN_TEST_TIMEOUT) || 120) * 1000;
// Plain output for CI logs and for the summary parser; children inherit it.
const ENV = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
const ANSI = /\x1b\[[0-9;]*m/g;

/** Children run in their own process group so a timeout or Ctrl-C can take their subprocesses too. */
const running = new Set();

function killGroup(child) {
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of running) killGroup(c);
    process.exit(130);
  });
}

/** Run a command; `onData` gets its stdout and stderr as they come. Resolves with the exit code (null: killed). */
function run(cmd, args, onData, timeoutMs, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: env || ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child);
    let timedOut = false;
    const timer = timeoutMs ? setTimeout(() => { timedOut = true; killGroup(child); }, timeoutMs) : undefined;
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => onData(Buffer.from(String(err) + '\n')));
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, timedOut });
    });
  });
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(relative(ROOT, full).split(sep).join('/'));
  }
  return out;
}

function toMatcher(pattern) {
  try {
    const re = new RegExp(pattern, 'i');
    return (s) => re.test(s);
  } catch {
    return (s) => s.toLowerCase().includes(pattern.toLowerCase());
  }
}

function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Counts from uvu's closing summary (`Total: 3`, `Passed: 2`, `Skipped: 0`), or undefined if it never got there. */
function parseSummary(text) {
  const last = (re) => {
    let m;
    let v;
    while ((m = re.exec(text)) !== null) v = Number(m[1]);
    return v;
  };
  const total = last(/^\s*Total:\s+(\d+)/gm);
  const passed = last(/^\s*Passed:\s+(\d+)/gm);
  const skipped = last(/^\s*Skipped:\s+(\d+)/gm);
  if (total === undefined || passed === undefined) return undefined;
  return { total, passed, skipped: skipped || 0 };
}

async function typecheck() {
  process.stdout.write('typecheck: tsc -p tsconfig.json\n');
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const { code } = await run(tsc, ['-p', 'tsconfig.json'], (d) => process.stdout.write(d));
  process.stdout.write(code === 0 ? 'typecheck: ok\n\n' : 'typecheck: FAILED\n\n');
  return code === 0;
}

/**
 * A file's time limit in ms: TIMEOUT_MS, or more when the file asks in its first lines with a comment
 * `pollen-test-timeout: SECONDS` (the packed-install suite runs npm pack and npm ci, which take minutes on a busy
 * machine). A file can lengthen its limit this way, never shorten it.
 */
function fileTimeout(file) {
  let head = '';
  try {
    head = readFileSync(join(ROOT, file), 'utf8').slice(0, 4096);
  } catch {
    return TIMEOUT_MS;
  }
  const m = /pollen-test-timeout:\s*(\d+)/.exec(head);
  return m ? Math.max(TIMEOUT_MS, Number(m[1]) * 1000) : TIMEOUT_MS;
}

/**
 * Run the files JOBS at a time. Output is keyed to the file's index: the lowest unfinished index writes
 * through, the rest buffer until their turn comes.
 */
async function runFiles(runs) {
  const files = runs.map((r) => r.label);
  const slots = files.map(() => ({ chunks: [], text: '', done: false, result: undefined }));
  let head = 0;
  const write = (i, data) => {
    slots[i].text += data.toString();
    if (i === head) process.stdout.write(data);
    else slots[i].chunks.push(data);
  };
  const finish = (i) => {
    slots[i].done = true;
    while (head < slots.length && slots[head].done) {
      report(files[head], slots[head]);
      head++;
      if (head < slots.length) {
        for (const c of slots[head].chunks) process.stdout.write(c);
        slots[head].chunks = [];
      }
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const rel = relative('tests', runs[i].file).split(sep).join('/');
      const args = ['--import', 'tsx', join('node_modules', 'uvu', 'bin.js'), 'tests', '^' + escapeRegex(rel) + '$', '--no-color'];
      if (runs[i].env) write(i, runs[i].label + '\n');
      slots[i].result = await run(process.execPath, args, (d) => write(i, d), fileTimeout(runs[i].file), runs[i].env);
      finish(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS, files.length) }, worker));
  return slots;
}

/** Count one file: failed tests, plus one for a crash, a non-zero exit or a timeout that uvu did not count. */
function tally(slot) {
  const text = slot.text.replace(ANSI, '');
  const s = parseSummary(text);
  const { code, timedOut } = slot.result;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let note = '';
  if (s) {
    passed = s.passed;
    failed = s.total - s.passed;
    skipped = s.skipped;
  }
  if (timedOut) {
    failed += 1;
    note = s ? 'finished its tests but did not exit within ' + TIMEOUT_MS / 1000 + ' s (a handle left open?)'
      : 'timed out after ' + TIMEOUT_MS / 1000 + ' s';
  } else if (!s) {
    failed += 1;
    note = 'crashed before uvu printed its summary (exit code ' + code + ')';
  } else if (code !== 0 && failed === 0) {
    failed += 1;
    note = 'exited with code ' + code + ' although its tests passed';
  }
  return { passed, failed, skipped, ran: s ? s.total : 0, note };
}

/**
 * What to run: each file once, and with POLLEN_TEST_MQTT_URL set, each file that gets its broker from
 * tests/support/broker.ts once more against that broker.
 */
const BROKER_IMPORT = /^import[^\n]*from\s+['"][^'"\n]*support\/broker(\.ts)?['"]/m;

function plan(files) {
  const runs = files.map((f) => ({ file: f, label: f, env: undefined }));
  const url = process.env.POLLEN_TEST_MQTT_URL;
  if (!url) return runs;
  for (const f of files) {
    if (BROKER_IMPORT.test(readFileSync(join(ROOT, f), 'utf8'))) {
      runs.push({ file: f, label: f + ' [MQTT_URL=' + url + ']', env: { ...ENV, MQTT_URL: url } });
    }
  }
  return runs;
}

function report(file, slot) {
  slot.tally = tally(slot);
  if (slot.tally.note) process.stdout.write('\n✘ ' + file + ': ' + slot.tally.note + '\n');
}

async function main(argv) {
  const noTypecheck = argv.includes('--no-typecheck');
  const patterns = argv.filter((a) => a !== '--no-typecheck');
  const matchers = patterns.map(toMatcher);
  const all = findTests(TESTS);
  const files = matchers.length === 0 ? all : all.filter((f) => matchers.some((m) => m(f)));

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let ran = 0;
  const problems = [];
  if (patterns.length === 0 && !noTypecheck) {
    if (await typecheck()) passed++;
    else { failed++; problems.push('typecheck'); }
  } else {
    process.stdout.write('typecheck: skipped (' + (noTypecheck ? '--no-typecheck' : 'subset run') + ')\n\n');
  }

  const runs = plan(files);
  const slots = await runFiles(runs);
  for (let i = 0; i < runs.length; i++) {
    const t = slots[i].tally;
    passed += t.passed;
    failed += t.failed;
    skipped += t.skipped;
    ran += t.ran;
    if (t.failed > 0) problems.push(runs[i].label + (t.note ? ': ' + t.note : ''));
  }

  process.stdout.write('\n' + runs.length + ' test run(s) of ' + files.length + ' file(s), ' + ran + ' test(s)' + (skipped ? ', ' + skipped + ' skipped' : '') + '\n');
  if (files.length === 0) process.stdout.write('no test file matched ' + (patterns.length ? patterns.join(' ') : 'tests/**/*.test.ts') + '\n');
  else if (ran === 0) process.stdout.write('no test ran\n');
  // Suites whose real component (tests/support/extras.ts) this machine lacks said so; .ci/run runs them.
  const ciOnly = [];
  for (const slot of slots) for (const m of slot.text.matchAll(/^ci-only: (.*)$/gm)) ciOnly.push(m[1]);
  for (const c of ciOnly) process.stdout.write('ran in CI only: ' + c + '\n');
  for (const p of problems) process.stdout.write('failed: ' + p + '\n');
  process.stdout.write(passed + ' passed, ' + failed + ' failed\n');
  return failed > 0 || ran === 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.stdout.write('0 passed, 1 failed\n');
  process.exitCode = 1;
});
