/** Load a scenario of tools/sim/scenarios by name, with fields overridden (e.g. another seed). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseScenario, type Scenario } from '../../tools/sim/scenario.ts';

export function scenario(name: string, over: Partial<Scenario> = {}): Scenario {
  const file = fileURLToPath(new URL('../../tools/sim/scenarios/' + name + '.json', import.meta.url));
  return { ...parseScenario(readFileSync(file, 'utf8')), ...over };
}
