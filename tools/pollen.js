#!/usr/bin/env node
// The `pollen` command. The tools are TypeScript run through tsx (a dependency), so this shim only registers
// tsx's loader and hands over to tools/cli.ts; targets/node will ship a prebuilt bundle instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
