/**
 * Runs code on Espruino's own interpreter (a Linux build with a fixed pool of variables, `espruino-<pool>` in one
 * folder) the way a board runs it: the bundle is written to Storage in one run, then evaluated from flash in a
 * second run, so the variable counts are those of a board that boots from Storage.
 *
 *   const r = await runOnEspruino({ dir: '/cache/espruino', pool: 2630 }, bundle, 'mark("ready"); print(1)');
 *   r.memory.load;   // process.memory().usage right after the bundle was evaluated
 *   r.memory.ready;  // at each mark(label) the script called
 *   r.lines;         // ['1'], what the script printed (marks and the interpreter's banner removed)
 *   r.failure;       // undefined, or 'out of memory' / 'Uncaught …' / 'SyntaxError …' / 'timed out …'
 *
 * Why two runs and why stdin: the interpreter keeps a file given on its command line as a string of variables
 * for as long as it runs, so the write run takes the bundle over its console (stdin) in base64 chunks of a
 * bounded size, and the measured run's file is one `eval(require("Storage").read(…))` line. The test script is
 * stored beside the bundle and evaluated from flash too. The flash is `espruino.flash` in the working
 * directory: each call gets its own temporary directory unless it names one (to keep Storage across runs).
 *
 * `cap` makes a run behave as if the pool were only `cap` variables: before the bundle loads, the script fills
 * the difference with ballast, so anything that would pass `cap` at its peak (an encode, a merge) runs out of
 * memory instead. That is how a peak is asserted: running out cannot be caught, and there is no peak counter.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Interpreter {
  /** Folder holding espruino-<pool> binaries (POLLEN_ESPRUINO_DIR). */
  dir: string;
  /** Variables in the pool: 2630 (Puck.js), 5100 (Pico), 12000 (Bangle.js 2). */
  pool: number;
}

export interface RunOptions {
  /** Working directory whose espruino.flash is the board's Storage (default: a fresh temporary one, removed). */
  cwd?: string;
  /** Behave as a pool of this many variables (ballast fills the rest before the bundle loads). */
  cap?: number;
  /** Kill the interpreter after this long (default 20000 ms): a hung script is a failure, not a hang. */
  timeoutMs?: number;
  /** Name of the bundle in Storage (default 'b.js'). */
  file?: string;
  /** The script ends by calling finish() (from a timer or a callback) rather than by returning. */
  async?: boolean;
  /** Kill the interpreter when this settles (a board that runs until the test is done with it): a kill is then
   *  the expected end, not a failure. */
  stop?: Promise<unknown>;
  /** Each line as it is printed (a test that waits for the board to say something). */
  onLine?: (line: string) => void;
}

export interface RunResult {
  /** What the script printed, without the banner, the prompt and the mark lines. */
  lines: string[];
  /** process.memory().usage by label: 'start' (before the bundle), 'load' (after it) and each mark(label). */
  memory: { [label: string]: number };
  /** The pool the interpreter reported (process.memory().total). */
  total: number;
  /** Set when the run did not finish cleanly: what went wrong, in the interpreter's words where it said any. */
  failure?: string;
  /** Every output line, for the message of a failing test. */
  raw: string;
}

/** Bytes of the bundle per Storage.write: the base64 line and its decoded chunk are both strings of variables. */
const CHUNK = 600;
/** Base64 characters per writer run: its file is a string of variables while it runs (about 3,000 of 12,000). */
const WRITER_BYTES = 40000;
const DEFAULT_TIMEOUT = 20000;

export function binary(it: Interpreter): string {
  const bin = path.join(it.dir, 'espruino-' + it.pool);
  if (!fs.existsSync(bin)) throw new Error('no Espruino interpreter at ' + bin + ' (build it with the pool ' + it.pool + ')');
  return bin;
}

/**
 * Write files into the Storage of `cwd` (its espruino.flash). Each writer run is a file of base64 chunks of at
 * most WRITER_BYTES, run by the largest pool in the folder (the flash is the same whatever the pool; only the
 * measured run needs the board's pool). Not over the console: the Linux build reads stdin on a thread of its own,
 * and a long stream of input races its event queue into a failed assertion.
 */
export async function writeStorage(it: Interpreter, cwd: string, files: { name: string; code: string }[], timeoutMs?: number): Promise<void> {
  const writer = largestPool(it);
  const runs: string[][] = [[]];
  let size = 0;
  for (const f of files) {
    const bytes = Buffer.from(f.code, 'latin1');
    if (bytes.length === 0) throw new Error('writeStorage: ' + f.name + ' is empty');
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const b64 = bytes.subarray(at, at + CHUNK).toString('base64');
      if (size + b64.length > WRITER_BYTES) { runs.push([]); size = 0; }
      runs[runs.length - 1].push('if(!S.write(' + JSON.stringify(f.name) + ',atob("' + b64 + '"),' + at + ',' + bytes.length + '))print("@fail ' + f.name + ' ' + at + '");');
      size += b64.length;
    }
  }
  runs[runs.length - 1].push(files.map((f) => 'print("@stored ' + f.name + ' "+S.read(' + JSON.stringify(f.name) + ').length);').join(''));
  let out = '';
  for (const lines of runs) {
    const r = await runProcess(writer, cwd, 'var S=require("Storage");\n' + lines.join('\n') + '\n', timeoutMs || DEFAULT_TIMEOUT);
    out += r.out;
    if (r.timedOut || r.out.indexOf('@fail') >= 0) break;
  }
  for (const f of files) {
    const want = Buffer.byteLength(f.code, 'latin1');
    if (out.indexOf('@stored ' + f.name + ' ' + want) < 0) {
      throw new Error('writeStorage: ' + f.name + ' (' + want + ' bytes) did not reach Storage:\n' + out.slice(-2000));
    }
  }
}

/** The interpreter with the most variables in the folder, for the writer runs. */
function largestPool(it: Interpreter): string {
  let best = it.pool;
  for (const f of fs.readdirSync(it.dir)) {
    const m = /^espruino-(\d+)$/.exec(f);
    if (m && Number(m[1]) > best) best = Number(m[1]);
  }
  return binary({ dir: it.dir, pool: best });
}

/**
 * Evaluate Storage file `file` (the bundle) from flash, then `script`, both stored as a board stores code. The
 * script may call `mark(label)` to record process.memory().usage under `label`; it runs until it returns and its
 * timers are done.
 */
export async function runStored(it: Interpreter, cwd: string, script: string, opts?: RunOptions): Promise<RunResult> {
  const o = opts || {};
  const file = o.file || 'b.js';
  const prelude = [
    'function mark(l){print("@mem "+l+" "+process.memory().usage);}',
    'function finish(){print("@end");}',
    'print("@total "+process.memory().total);',
    o.cap ? ballast(o.cap) : '',
    'mark("start");',
    'eval(require("Storage").read(' + JSON.stringify(file) + '));',
    'mark("load");',
  ].join('\n');
  await writeStorage(it, cwd, [{ name: 't.js', code: prelude + '\n' + script + (o.async ? '' : '\n;finish();') }], o.timeoutMs);
  let stopped = false;
  const stop = o.stop ? o.stop.then(() => { stopped = true; }) : undefined;
  const r = await runProcess(binary(it), cwd, 'eval(require("Storage").read("t.js"))', o.timeoutMs || DEFAULT_TIMEOUT, { stop, onLine: o.onLine });
  return parse(r.out, r.timedOut, o.timeoutMs || DEFAULT_TIMEOUT, stopped);
}

/** writeStorage + runStored in a fresh directory (removed afterwards unless `opts.cwd` names one). */
export async function runOnEspruino(it: Interpreter, bundle: string, script: string, opts?: RunOptions): Promise<RunResult> {
  const o = opts || {};
  const cwd = o.cwd || fs.mkdtempSync(path.join(os.tmpdir(), 'pollen-espruino-'));
  try {
    await writeStorage(it, cwd, [{ name: o.file || 'b.js', code: bundle }], o.timeoutMs);
    return await runStored(it, cwd, script, o);
  } finally {
    if (!o.cwd) fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/**
 * Ballast that leaves `cap` variables to the rest of the run: one flat buffer (contiguous blocks, while the pool
 * is still unfragmented) for the bulk, then single elements up to the exact count. Code evaluated from flash is
 * lexed from flash at every step, so a loop of thousands of small allocations would take seconds.
 */
function ballast(cap: number): string {
  return 'var B_;(function(){var m=process.memory();var t=m.total-' + cap + '+m.usage;' +
    'B_=[new Uint8Array(Math.max(0,t-m.usage-12)*m.blocksize)];while(process.memory().usage<t)B_.push(0);})();';
}

function parse(out: string, timedOut: boolean, timeoutMs: number, stopped?: boolean): RunResult {
  const lines: string[] = [];
  const memory: { [label: string]: number } = {};
  let total = 0;
  let ended = false;
  let failure: string | undefined;
  const all = stripBanner(out).split('\n');
  for (let i = 0; i < all.length; i++) {
    let l = all[i].replace(/\r$/, '').replace(/\r?\x1b\[J/g, '');
    while (l.startsWith('>')) l = l.slice(1);
    if (l === '') continue;
    const mem = /^@mem (\S+) (\d+)$/.exec(l);
    if (mem) { memory[mem[1]] = Number(mem[2]); continue; }
    const tot = /^@total (\d+)$/.exec(l);
    if (tot) { total = Number(tot[1]); continue; }
    if (l === '@end') { ended = true; continue; }
    if (!failure && /OUT OF MEMORY/.test(l)) failure = 'out of memory';
    else if (!failure && /^Uncaught /.test(l)) failure = l + (all[i + 1] && /^\s+at /.test(all[i + 1]) ? ' ' + all[i + 1].trim() : '');
    else if (!failure && /^(SyntaxError|ReferenceError|TypeError|InternalError|Error):? /.test(l)) failure = l;
    lines.push(l);
  }
  if (!failure && timedOut) failure = 'timed out after ' + timeoutMs + ' ms';
  if (!failure && !ended && !stopped) failure = 'the script stopped before its end (no error printed)';
  return { lines, memory, total, failure, raw: out };
}

/** Everything after the banner's last line (the interpreter prints it before running anything). */
function stripBanner(out: string): string {
  const at = out.indexOf('espruino.com/Donate');
  if (at < 0) return out;
  const nl = out.indexOf('\n', at);
  return nl < 0 ? '' : out.slice(nl + 1);
}

interface ProcOut {
  out: string;
  timedOut: boolean;
}

/**
 * Run `code` as the interpreter's file; it exits once nothing is pending. Its stdin is a pipe that stays open and
 * silent: on /dev/null the Linux build's input thread reads end-of-file as a stream of characters that fills its
 * event queue, and then it stops reading the serial devices (Serial1 on a tty) altogether.
 */
function runProcess(bin: string, cwd: string, code: string, timeoutMs: number, opts?: { stop?: Promise<unknown>; onLine?: (l: string) => void }): Promise<ProcOut> {
  const file = path.join(cwd, 'run-' + process.pid + '.js');
  fs.writeFileSync(file, code);
  return new Promise((resolve, reject) => {
    const p = spawn(bin, [file], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdin.on('error', () => { /* closed by the exit */ });
    let out = '';
    let timedOut = false;
    // A script ends at @end even when timers remain (a node's timers never stop by themselves).
    p.stdout.on('data', (d: Buffer) => {
      const before = out.length;
      out += d.toString('latin1');
      if (opts && opts.onLine) {
        const start = out.lastIndexOf('\n', before - 1) + 1;
        const done = out.slice(start, out.lastIndexOf('\n') + 1);
        if (out.lastIndexOf('\n') >= before) for (const l of done.split('\n')) if (l) opts.onLine(l.replace(/\r$/, '').replace(/^>*(\r?\x1b\[J)?/, ''));
      }
      if (/(^|\n)@end\r?\n/.test(out) && p.exitCode === null) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, timeoutMs);
    if (opts && opts.stop) opts.stop.then(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
    p.once('error', (e) => { clearTimeout(timer); reject(e); });
    p.once('close', () => {
      clearTimeout(timer);
      fs.rmSync(file, { force: true });
      resolve({ out, timedOut });
    });
  });
}
