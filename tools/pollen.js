#!/usr/bin/env node
// The `pollen` command. In a source checkout (tools/cli.ts beside this file) it runs the TypeScript through tsx,
// a dev dependency; an installed package ships no TypeScript, only the JavaScript that targets/node/build.ts
// bundled into dist/ at pack time, so there it needs neither tsx nor a compiler.
import { existsSync } from 'node:fs';

const source = new URL('./cli.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist/cli.js'));
}
process.exitCode = await main(process.argv.slice(2));
