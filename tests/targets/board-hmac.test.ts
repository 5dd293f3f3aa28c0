/**
 * The board's cluster-key check (targets/espruino/hmac.ts + runtime/auth.ts) on Espruino's own interpreter,
 * against tags made in Node (runtime/auth.ts over node:crypto): a frame sealed by a Pi opens on the board, a
 * tampered one is refused 'auth.tag', a replay 'auth.replay', and a frame the board seals opens in Node. Also the
 * variables the check costs after load, measured on the interpreter.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { extra } from '../support/extras.ts';
import { runOnEspruino } from '../../tools/espruino.ts';
import { init, open, seal } from '../../runtime/auth.ts';
import { nodeCrypto } from '../../transports/crypto.ts';
import { hmacSha256 } from '../../targets/espruino/hmac.ts';
import { createHash, createHmac } from 'node:crypto';

const dir = extra('espruino', 'the board HMAC on the Espruino interpreter');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('hmacSha256 over a SHA256 gives RFC 4231 test case 2 and node:crypto\'s HMAC for long keys', () => {
  const sha = (b: Uint8Array) => {
    const d = createHash('sha256').update(b).digest();
    return d.buffer.slice(d.byteOffset, d.byteOffset + 32) as ArrayBuffer;
  };
  const t = hmacSha256(sha, Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'));
  assert.is(hex(t), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  const long = Buffer.alloc(131, 0xaa);
  const msg = Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First');
  assert.is(hex(hmacSha256(sha, long, msg)), createHmac('sha256', long).update(msg).digest('hex'));
});

async function bundle(entry: string): Promise<string> {
  const r = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true, format: 'iife', target: 'es2015', write: false, minify: true, logLevel: 'silent', external: ['crypto'],
  });
  return r.outputFiles[0].text;
}

if (dir) {
  test('on the interpreter: Node-sealed frames open, tampered and replayed ones are refused, board-sealed frames open in Node', async () => {
    const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const pi = init({ keys: [{ id: 0, key }], primitives: nodeCrypto, epoch: 5 });
    const env = new Uint8Array([0x85, 1, 9, 0x62, 0x70, 0x69, 0, 0x80]);
    const f1 = seal(pi, 'pi', 'puck', env);
    const f2 = seal(pi, 'pi', 'puck', env);
    const bad = f2.slice();
    bad[14] ^= 1;
    const code = await bundle(
      "import { init, open, seal } from './runtime/auth.ts'; import { boardPrimitives } from './targets/espruino/hmac.ts';" +
      'globalThis.A = { init: init, open: open, seal: seal, prims: boardPrimitives };');
    const h = (s: string) => 'E.toUint8Array(atob("' + Buffer.from(s, 'hex').toString('base64') + '"))';
    const script = [
      'var a = A.init({ keys: [{ id: 0, key: ' + h(key.toString('hex')) + ' }], primitives: A.prims(), epoch: 7 });',
      'mark("ready");',
      'function hx(r) { if (typeof r === "string") return r; var s = ""; for (var i = 0; i < r.length; i++) s += (r[i] < 16 ? "0" : "") + r[i].toString(16); return s; }',
      'print("open1 " + hx(A.open(a, "puck", "pi", ' + h(hex(f1)) + ')));',
      'print("bad " + hx(A.open(a, "puck", "pi", ' + h(hex(bad)) + ')));',
      'print("open2 " + hx(A.open(a, "puck", "pi", ' + h(hex(f2)) + ')));',
      'print("replay " + hx(A.open(a, "puck", "pi", ' + h(hex(f1)) + ')));',
      'print("sealed " + hx(A.seal(a, "puck", "pi", ' + h(hex(env)) + ')));',
      'mark("used");',
    ].join('\n');
    const r = await runOnEspruino({ dir, pool: 12000 }, code, script, { timeoutMs: 60000 });
    assert.is(r.failure, undefined, r.raw.slice(-1500));
    const line = (p: string) => (r.lines.find((l) => l.indexOf(p + ' ') === 0) || '').slice(p.length + 1);
    assert.is(line('open1'), hex(env));
    assert.is(line('bad'), 'auth.tag');
    assert.is(line('open2'), hex(env));
    assert.is(line('replay'), 'auth.replay');
    const back = open(init({ keys: [{ id: 0, key }], primitives: nodeCrypto, epoch: 1 }), 'pi', 'puck', Buffer.from(line('sealed'), 'hex'));
    assert.ok(typeof back !== 'string' && hex(back) === hex(env), 'the board\'s frame does not open in Node: ' + String(back));
    // The cost on the board: the bundle of runtime/auth.ts + hmac.ts after load, and one key's state.
    const empty = await runOnEspruino({ dir, pool: 12000 }, await bundle('globalThis.A = 1;'), 'mark("ready");', { timeoutMs: 60000 });
    const hm = await runOnEspruino({ dir, pool: 12000 }, await bundle("import { hmacSha256 } from './targets/espruino/hmac.ts'; globalThis.H = hmacSha256;"), 'mark("ready");', { timeoutMs: 60000 });
    console.log('  measured: variables after load: auth.ts + hmac.ts ' + (r.memory.load - empty.memory.load) + ', hmac.ts alone ' +
      (hm.memory.load - empty.memory.load) + '; one key initialised ' + (r.memory.ready - r.memory.load) + ', after 5 frames ' + (r.memory.used - r.memory.load) +
      '; bundle ' + code.length + ' bytes minified');
  });
}

test.run();
