/**
 * `pollen flash --port /dev/ttyACM0 dist/pollen-puck.js`: upload a board bundle over the board's serial console
 * as Espruino's own tools do: interrupt what runs, reset, write the code to Storage as the boot code (`.bootcde`,
 * which the board runs at every boot) in acknowledged chunks, then verify it by CRC-32 and, with --run, boot it.
 *
 *   const r = await flash({ port: '/dev/ttyACM0', code, onProgress: (done, total) => … });
 *   // r.crc: the CRC-32 both ends agree on
 *
 * Why a small REPL protocol of our own and not the `espruino` package (EspruinoTools) from npm: that package is a
 * whole IDE back end (module loading from the web, minification, Bluetooth stacks, a CLI of its own) for a job
 * that here is a loop of `Storage.write` lines; the board's REPL is the protocol, and 150 lines of it are easier
 * to read, bound and test than a large dependency.
 *
 * The protocol: Ctrl-C, `echo(0)` and a DLE before each line (the board echoes nothing back), `reset()`, then
 * for each chunk of
 * CHUNK bytes one line `require("Storage").write(".bootcde", atob("…"), offset, total)` answered with `@ok N`;
 * then `@crc <E.CRC32 of the stored file>`. Lines go out in small pieces (PIECE bytes, paced) because a board's
 * console buffer is small and some USB bridges have none. An answer that is not the one expected (`@fail`, an
 * error printed by the board, a failed assertion, a CRC that differs) or none within `timeoutMs` stops the
 * upload with an error that says which.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { crc32 } from '../transports/crc.ts';

export interface FlashOptions {
  port: string;
  code: string;
  /** Storage file (default '.bootcde', what the board runs at boot). */
  file?: string;
  baudRate?: number;
  /** Per answer (default 5000 ms): a board writing flash answers within a few hundred ms. */
  timeoutMs?: number;
  /** Boot the code after verifying (`load()`). */
  run?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Bytes of code per Storage.write line: 512 bytes become 684 base64 characters, one short line for a board. */
const CHUNK = 512;
/** Bytes per write to the port, and the pause after each (ms). */
const PIECE = 64;
const PAUSE = 3;
/** A board resets in well under this (ms): clearing RAM and printing its banner. */
const RESET_MS = 700;

export class FlashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlashError';
  }
}

export async function flash(o: FlashOptions): Promise<{ bytes: number; crc: number }> {
  const file = o.file || '.bootcde';
  const bytes = Buffer.from(o.code, 'latin1');
  if (bytes.length === 0) throw new FlashError('nothing to flash: the bundle is empty');
  const timeout = o.timeoutMs || 5000;
  const port = new SerialPort({ path: o.port, baudRate: o.baudRate || 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(new FlashError('cannot open ' + o.port + ': ' + e.message)) : res())));
  let buf = '';
  // An interpreter that fails an assertion prints it (then a dump of its variables) and reboots or exits: the
  // upload cannot go on, so every wait ends at once with the assertion rather than at its timeout.
  let crashed: FlashError | null = null;
  const waiters: { re: RegExp; res: (m: RegExpExecArray) => void; rej: (e: Error) => void }[] = [];
  port.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    const assertion = crashed ? null : /ASSERT\(.*?FAILED AT \S+/.exec(buf);
    if (assertion) crashed = new FlashError('the board failed an assertion during the upload: ' + assertion[0]);
    for (let i = 0; i < waiters.length; i++) {
      const m = crashed ? null : waiters[i].re.exec(buf);
      if (m) { buf = buf.slice(m.index + m[0].length); waiters.splice(i, 1)[0].res(m); i--; }
      else if (crashed) { waiters.splice(i, 1)[0].rej(crashed); i--; }
    }
  });
  const send = async (line: string): Promise<void> => {
    // DLE (0x10) at the start of a line: Espruino runs it without echoing it back.
    const data = Buffer.from((line === '\x03' ? line : '\x10' + line) + '\n', 'latin1');
    for (let at = 0; at < data.length; at += PIECE) {
      await new Promise<void>((res, rej) => port.write(data.subarray(at, at + PIECE), (e) => (e ? rej(e) : res())));
      await new Promise((r) => setTimeout(r, PAUSE));
    }
  };
  const expect = (re: RegExp, what: string): Promise<RegExpExecArray> => new Promise((res, rej) => {
    if (crashed) { rej(crashed); return; }
    const w = { re, res: (m: RegExpExecArray) => { clearTimeout(t); res(m); }, rej: (e: Error) => { clearTimeout(t); rej(e); } };
    const t = setTimeout(() => {
      waiters.splice(waiters.indexOf(w), 1);
      const said = buf.replace(/\s+/g, ' ').trim().slice(-200);
      rej(new FlashError('no answer for ' + what + ' within ' + timeout + ' ms' + (said ? '; the board said: ' + said : ' (nothing came back: is it the board\'s console port?)')));
    }, timeout);
    waiters.push(w);
  });
  try {
    await send('\x03');
    await send('echo(0);print("@"+"hello "+process.version);');
    await expect(/@hello (\S+)\r?\n/, 'the first command (a prompt)');
    // reset() takes effect once the line has run, and prints the banner; what is typed before that is lost.
    await send('reset();');
    await new Promise((r) => setTimeout(r, RESET_MS));
    await send('echo(0);print("@"+"reset");');
    await expect(/@reset\r?\n/, 'reset()');
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const b64 = bytes.subarray(at, at + CHUNK).toString('base64');
      await send('print(require("Storage").write(' + JSON.stringify(file) + ',atob("' + b64 + '"),' + at + ',' + bytes.length + ')?"@"+"ok ' + at + '":"@"+"fail ' + at + '");');
      const m = await expect(/@(ok|fail) (\d+)\r?\n|Uncaught [^\r\n]*\r?\n/, 'the chunk at ' + at);
      if (m[1] !== 'ok' || Number(m[2]) !== at) throw new FlashError('the board refused the chunk at ' + at + ': ' + m[0] + ' (Storage full? erase it with require("Storage").eraseAll())');
      if (o.onProgress) o.onProgress(Math.min(at + CHUNK, bytes.length), bytes.length);
    }
    const want = crc32(new Uint8Array(bytes));
    await send('print("@"+"crc "+(E.CRC32(require("Storage").read(' + JSON.stringify(file) + '))>>>0));');
    const got = Number((await expect(/@crc (\d+)\r?\n/, 'the verification'))[1]);
    if (got !== want) throw new FlashError('verification failed: the board holds CRC-32 ' + got + ', the bundle has ' + want);
    if (o.run) await send('load();');
    return { bytes: bytes.length, crc: want };
  } finally {
    await new Promise<void>((res) => port.close(() => res()));
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { port: { type: 'string' }, baud: { type: 'string' }, file: { type: 'string' }, run: { type: 'boolean' }, timeout: { type: 'string' } },
  });
  if (!values.port || positionals.length !== 1) {
    process.stderr.write('usage: pollen flash --port /dev/ttyACM0 [--baud 115200] [--file .bootcde] [--run] BUNDLE.js\n');
    return 2;
  }
  const code = readFileSync(positionals[0], 'latin1');
  let shown = -1;
  try {
    const r = await flash({
      port: values.port, code, file: values.file, run: values.run, baudRate: values.baud ? Number(values.baud) : undefined,
      timeoutMs: values.timeout ? Number(values.timeout) : undefined,
      onProgress: (done, total) => {
        const pct = Math.floor((done * 100) / total);
        if (pct !== shown) { shown = pct; process.stdout.write('\rflash: ' + done + '/' + total + ' bytes (' + pct + '%)'); }
      },
    });
    process.stdout.write('\nflash: ' + r.bytes + ' bytes verified (CRC-32 ' + r.crc + ')\n');
    return 0;
  } catch (e) {
    process.stdout.write('\n');
    process.stderr.write('flash: ' + (e instanceof Error ? e.message : String(e)) + '\n');
    return 1;
  }
}
