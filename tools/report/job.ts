/**
 * A worker process of the report (tools/report/cmd.ts starts two, one per core, and a child's memory is its own):
 * it reads one case (JSON, matrix.ts Case) per line on stdin, runs it, and writes its RunSummary as one line on
 * stdout, until stdin closes. Loading the runtime once per worker instead of once per run saves seconds per run.
 */
import { createInterface } from 'node:readline';
import { runScenario } from '../sim/scenario.ts';
import { summarise, type Case } from './matrix.ts';

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const c = JSON.parse(line) as Case;
  const t0 = Date.now();
  const r = runScenario(c.scenario);
  process.stdout.write(JSON.stringify(summarise(c, r, Date.now() - t0)) + '\n');
});
