/**
 * The live view's page in Chromium (playwright-core, the executable from tests/support/extras.ts): a browser
 * with a fresh profile, and what the page shows (node states, edges by kind, frames, divergence), read from its DOM.
 *
 *   const b = await browser(exe);
 *   await b.page.goto(url);
 *   await until(b.page, (p) => Object.keys(p.nodes).length === 3 && p, 'three nodes');
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './cliproc.ts';

export const SHOTS = join(ROOT, 'out', 'screenshots');

export async function browser(exe: string): Promise<{ ctx: BrowserContext; page: Page; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pollen-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: exe,
    headless: true,
    viewport: { width: 1100, height: 700 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  return {
    ctx,
    page,
    close: async () => {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the page shows now: node states by id, edge keys by kind, the divergence counter. */
export async function picture(page: Page): Promise<{ nodes: { [id: string]: string }; eager: string[]; lazy: string[]; frames: number; divergence: string }> {
  // A string, not a function: tsx compiles this file with esbuild's keepNames, whose helper the page lacks.
  return page.evaluate(PICTURE);
}

const PICTURE = `(() => {
  const nodes = {};
  document.querySelectorAll('circle[data-id]').forEach((c) => (nodes[c.dataset.id] = c.dataset.state));
  const keys = (k) => [...document.querySelectorAll('line[data-kind="' + k + '"]')].map((l) => l.dataset.key).sort();
  return { nodes, eager: keys('eager'), lazy: keys('lazy'), frames: Number(document.body.dataset.frames || 0), divergence: document.getElementById('divergence').textContent };
})()`;

export async function until<T>(page: Page, f: (p: Awaited<ReturnType<typeof picture>>) => T | false, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await picture(page);
    const r = f(last);
    if (r !== false) return r;
    if (Date.now() > end) throw new Error('timed out waiting for: ' + what + '; page shows ' + JSON.stringify(last));
    await new Promise((r) => setTimeout(r, 200));
  }
}

