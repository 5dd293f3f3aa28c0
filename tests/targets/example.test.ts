/**
 * The shared-basket example as a person runs it: one command (examples/basket/serve.ts, `npm run
 * example:basket`), two tabs of headless Chromium on the URL it prints, and its Node node typed at on stdin. What
 * one tab adds, the other tab and the Node node show; what the terminal adds, both tabs show; a removal in the
 * second tab leaves every replica.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { extra } from '../support/extras.ts';
import { launch } from '../support/chromium.ts';

const exe = extra('chromium', 'the shared-basket example page in two tabs');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WAIT_MS = 30_000;

async function until(what: string, f: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out after ' + WAIT_MS + ' ms waiting for: ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The items a tab shows, as a person reads them (the list's text, without the remove buttons). */
const shown = (page: Page): Promise<string> =>
  page.evaluate(() => JSON.stringify(Array.from(document.querySelectorAll('#basket li')).map((li) => li.firstChild!.textContent)));

if (exe) {
  let child: ChildProcess;
  const lines: string[] = [];
  let b: Awaited<ReturnType<typeof launch>>;

  test.after(async () => {
    await b?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  test('two tabs and the Node node keep one basket, started by one command', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/basket/serve.ts', '--port', '0'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d) => process.stderr.write(d));
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    await until('the example prints its URL', () => lines.some((l) => l.includes('open http://')));
    const url = /open (http:\/\/\S+)/.exec(lines.find((l) => l.includes('open http://'))!)![1];

    b = await launch(exe);
    const [t1, t2] = [await b.context.newPage(), await b.context.newPage()];
    for (const t of [t1, t2]) {
      t.on('pageerror', (e) => console.error('page error: ' + e.message));
      await t.goto(url);
      await until('the tab is online', () => t.evaluate(() => Boolean((window as any).replica && (window as any).replica.online())));
    }
    assert.is.not(await t1.evaluate(() => (window as any).replica.id), await t2.evaluate(() => (window as any).replica.id), 'each tab is its own replica');

    await t1.fill('#item', 'milk');
    await t1.click('#add button');
    await until('tab 2 shows milk', async () => (await shown(t2)) === '["milk"]');
    await until('the Node node has milk', () => lines.some((l) => l === 'shop: basket = ["milk"]'));

    child.stdin!.write('add tea\n');
    await until('both tabs show tea', async () => (await shown(t1)) === '["milk","tea"]' && (await shown(t2)) === '["milk","tea"]');

    await t2.click('#basket li:first-child button'); // remove milk
    await until('tab 1 no longer shows milk', async () => (await shown(t1)) === '["tea"]');
    await until('the Node node dropped milk', () => lines.some((l) => l === 'shop: basket = ["tea"]'));
  });

  test.run();
}
