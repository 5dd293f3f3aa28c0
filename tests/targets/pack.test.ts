/**
 * targets/node: the package as a Raspberry Pi would get it. `npm pack` (which runs the prepack build into dist/),
 * then an install of that tarball into an empty folder with install scripts off (so nothing is compiled: no
 * node-gyp, no tsx at run time), then a real cluster run from the installed `pollen` command.
 *
 * The install is offline: the folder gets a lock file made from this repository's own (its production entries,
 * with the same versions and integrity hashes), and `npm ci --offline` takes every package from the npm cache
 * that this repository's `npm ci` filled. So the test needs no network, and installs exactly the versions the
 * other suites ran against.
 *
 * pollen-test-timeout: 360 (tools/test-all.mjs: npm pack and npm ci of some 250 packages take minutes on a busy
 * machine; every step below has its own bound too)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startBroker } from '../../transports/broker.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TMP = mkdtempSync(join(tmpdir(), 'pollen-pack-'));
const APP = join(TMP, 'app');
/** Each step's bound, in ms: npm on a loaded 2-core machine is slow, but a hang must not eat the file's time. */
const STEP_MS = 90_000;

interface Run {
  code: number | null;
  /** stdout and stderr as they came, for messages. */
  out: string;
  stdout: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      out += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), STEP_MS);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, stdout });
    });
  });
}

/** Sizes of a folder tree, in bytes of file contents. */
function treeBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) continue;
    n += s.isDirectory() ? treeBytes(p) : s.isFile() ? s.size : 0;
  }
  return n;
}

/** Every package folder under node_modules (one with a package.json), at any depth. */
function packages(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (name.startsWith('@')) {
      packages(p, out);
      continue;
    }
    if (!existsSync(join(p, 'package.json'))) continue;
    out.push(p);
    if (existsSync(join(p, 'node_modules'))) packages(join(p, 'node_modules'), out);
  }
  return out;
}

let tarball = '';

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test('npm pack ships the built JavaScript and no tests or TypeScript', async () => {
  const r = await run('npm', ['pack', '--json', '--pack-destination', TMP], ROOT);
  assert.is(r.code, 0, r.out);
  // stdout holds the prepack build's line, then npm's JSON.
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n[') + 1))[0];
  tarball = join(TMP, info.filename);
  const files: string[] = info.files.map((f: { path: string }) => f.path);
  for (const need of ['package.json', 'tools/pollen.js', 'dist/cli.js', 'dist/index.js', 'dist/run-node.js', 'dist/browser.js']) {
    assert.ok(files.includes(need), need + ' is in the tarball');
  }
  const bad = files.filter((f) => f.startsWith('tests/') || f.endsWith('.ts') || f.includes('.test.'));
  assert.equal(bad, [], 'no tests and no TypeScript in the tarball');
  console.log('  tarball: ' + info.size + ' bytes, ' + files.length + ' files, ' + info.unpackedSize + ' bytes unpacked');
});

test('the tarball installs offline with install scripts off, without tsx or a compiler, native modules prebuilt for the Pi', async () => {
  assert.ok(tarball, 'the pack step ran');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const spec = 'file:../' + tarball.slice(TMP.length + 1);
  const entries: { [path: string]: unknown } = {
    '': { name: 'app', version: '1.0.0', dependencies: { pollen: spec } },
    'node_modules/pollen': {
      version: pkg.version,
      resolved: spec,
      license: pkg.license,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, e] of Object.entries(lock.packages as { [p: string]: { dev?: boolean; link?: boolean } })) {
    if (path !== '' && !e.dev && !e.link) entries[path] = e;
  }
  mkdirSync(APP);
  writeFileSync(join(APP, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { pollen: spec } }));
  writeFileSync(join(APP, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: entries }));
  const r = await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], APP);
  assert.is(r.code, 0, 'npm ci --offline (the npm cache is filled by this repository\'s npm ci):\n' + r.out);
  const nm = join(APP, 'node_modules');
  // No compiler and no TypeScript loader at run time; and no test tool.
  for (const dev of ['tsx', 'typescript', 'uvu']) assert.not.ok(existsSync(join(nm, dev)), dev + ' is not installed');
  // A native module must ship prebuilt binaries for both Pi architectures: a Pi has no compiler to fall back on.
  const natives = packages(nm).filter((p) => existsSync(join(p, 'binding.gyp')));
  assert.ok(natives.length > 0, 'serialport\'s binding is among the installed packages');
  for (const p of natives) {
    for (const arch of ['linux-arm64', 'linux-arm']) {
      assert.ok(existsSync(join(p, 'prebuilds', arch)), p.slice(nm.length + 1) + ' ships prebuilds/' + arch);
    }
  }
  console.log('  install: ' + treeBytes(nm) + ' bytes in node_modules, ' + packages(nm).length + ' packages');
});

test('the installed `pollen` runs a three-node cluster through the embedded broker to convergence', async () => {
  const bin = join(APP, 'node_modules', '.bin', 'pollen');
  assert.ok(existsSync(bin), 'npm linked the pollen command');
  const v = await run(bin, ['version'], APP);
  assert.is(v.code, 0, v.out);
  assert.is(v.out.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  const r = await run(bin, ['demo', '--nodes', '3', '--quiet'], APP);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, 'All 3 nodes hold the same values.');
});

/** An installed `pollen node` or `pollen bridge` in JSON-lines mode, commands on stdin. */
class Cmd {
  readonly child: ChildProcess;
  readonly events: { ev: string; [k: string]: any }[] = [];
  out = '';
  constructor(args: string[]) {
    this.child = spawn(join(APP, 'node_modules', '.bin', 'pollen'), args.concat(['--json', '--stdin']), { cwd: APP, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d) => (this.out += d));
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      this.out += l + '\n';
      try {
        this.events.push(JSON.parse(l));
      } catch {
        // a line that is not an event: kept in out for the failure message
      }
    });
  }
  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }
  async until(what: string, f: () => boolean): Promise<void> {
    const end = Date.now() + 30_000;
    while (!f()) {
      if (Date.now() > end || this.child.exitCode !== null) throw new Error('waiting for ' + what + ':\n' + this.out);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  quit(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    const gone = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.send('quit');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    return gone.finally(() => clearTimeout(t));
  }
}

test('the installed `pollen node` and `pollen bridge` converge through a broker; the bridge publishes Homie topics', async () => {
  const broker = await startBroker();
  const flags = ['--url', broker.url, '--mqtt-version', '4', '--root', 'packtest', '--var', 'basket:orset'];
  const node = new Cmd(['node', '--id', 'pi-a'].concat(flags));
  const bridge = new Cmd(['bridge', '--id', 'gw'].concat(flags));
  const homie: string[] = [];
  const watcher = mqtt.connect(broker.url, { protocolVersion: 4 });
  watcher.on('message', (topic, payload) => homie.push(topic + '=' + payload.toString()));
  watcher.subscribe('homie/5/#');
  try {
    await node.until('pi-a ready', () => node.events.some((e) => e.ev === 'ready'));
    await bridge.until('gw ready', () => bridge.events.some((e) => e.ev === 'ready'));
    node.send('update basket add milk');
    bridge.send('update basket add eggs');
    const both = (c: Cmd) => c.events.some((e) => e.ev === 'state' && JSON.stringify((e.vars?.basket ?? []).slice().sort()) === '["eggs","milk"]');
    const poll = setInterval(() => {
      node.send('show');
      bridge.send('show');
    }, 300);
    try {
      await node.until('pi-a holds both items', () => both(node));
      await bridge.until('gw holds both items', () => both(bridge));
    } finally {
      clearInterval(poll);
    }
    await bridge.until('the bridge publishes its Homie device', () => homie.includes('homie/5/gw/$state=ready'));
    assert.is(await node.quit(), 0, node.out);
    assert.is(await bridge.quit(), 0, bridge.out);
  } finally {
    node.child.kill('SIGKILL');
    bridge.child.kill('SIGKILL');
    await watcher.endAsync(true);
    await broker.close();
  }
});

test('the installed `pollen report` runs a small matrix in its worker processes and writes the summary and plots', async () => {
  const out = join(TMP, 'report');
  const r = await run(join(APP, 'node_modules', '.bin', 'pollen'), ['report', '--out', out, '--sizes', '8', '--losses', '0', '--memberships', 'hyparview', '--modes', 'delta+BP+RR', '--sync-nodes', '6'], APP);
  assert.is(r.code, 0, r.out);
  for (const f of ['summary.md', 'results.json', 'divergence.svg', 'rmr.svg']) assert.ok(existsSync(join(out, f)), f + ' written');
  const runs = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).runs;
  assert.ok(Array.isArray(runs) && runs.length >= 2, 'results.json holds the runs: ' + JSON.stringify(runs).slice(0, 200));
});

test('the installed `pollen view` serves its page and script and streams frames of a scenario', async () => {
  // The scenario is the user's own file: the package ships no scenarios.
  const sc = join(APP, 'tiny.json');
  writeFileSync(sc, JSON.stringify({ name: 'tiny', seed: 1, nodes: 6, duration: 20000, membership: 'hyparview',
    workload: [{ kind: 'crdt', label: 'crdt', start: 1000, updates: 10, every: 500, vars: [{ id: 'n', type: 'gcounter', mutator: 'inc', args: [1] }] }] }));
  const child = spawn(join(APP, 'node_modules', '.bin', 'pollen'), ['view', '--json', '--sim', sc, '--loop'], { cwd: APP, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('pollen view printed no address:\n' + out)), 30_000);
      createInterface({ input: child.stdout }).on('line', (l) => {
        out += l + '\n';
        if (l.startsWith('{') && JSON.parse(l).ev === 'view') {
          clearTimeout(t);
          resolve(JSON.parse(l).url);
        }
      });
      child.on('exit', (code) => reject(new Error('pollen view exited ' + code + ':\n' + out)));
    });
    const html = await (await fetch(url)).text();
    assert.match(html, '<script', 'the page');
    const js = await fetch(new URL('app.js', url));
    assert.is(js.status, 200);
    assert.ok((await js.text()).length > 10_000, 'the page\'s script, d3-force included');
    const end = Date.now() + 30_000;
    let frame = await fetch(new URL('frame', url));
    while (frame.status !== 200 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      frame = await fetch(new URL('frame', url));
    }
    assert.is(frame.status, 200, 'a frame of the running scenario');
    assert.is((await frame.json()).nodes.length, 6);
  } finally {
    child.kill('SIGTERM');
  }
});

test('the installed package is importable as a library', async () => {
  const script = "import { startBroker, mqttLink, startNode } from 'pollen'; import { ORSet } from 'pollen/crdt';" +
    "const b = await startBroker(); const ids = ['a', 'b'];" +
    "const nodes = await Promise.all(ids.map(async (id) => startNode({ id, links: [await mqttLink({ id, url: b.url, protocolVersion: 4 })], contacts: id === 'b' ? ['a'] : [] })));" +
    "for (const n of nodes) n.declare('s', 'orset'); nodes[0].update('s', 'add', ['x']); nodes[1].update('s', 'add', ['y']);" +
    "const t0 = Date.now(); while (nodes.some((n) => n.query('s').length !== 2) && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 50));" +
    "console.log(JSON.stringify(nodes.map((n) => n.query('s').sort())), typeof ORSet.join);" +
    "await Promise.all(nodes.map((n) => n.close())); await b.close();";
  writeFileSync(join(APP, 'two.mjs'), script);
  const r = await run(process.execPath, ['two.mjs'], APP);
  assert.is(r.code, 0, r.out);
  assert.is(r.out.trim(), '[["x","y"],["x","y"]] function');
});

test.run();
