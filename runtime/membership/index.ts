/**
 * The membership managers by the name configuration uses (ARCHITECTURE.md). HyParView is the default.
 *
 *   const mem = managerOf('full');
 *   const s = mem.init('a', { keepalive: 500 });     // full's knobs; an unknown one throws (runtime/knobs.ts)
 */
import { hasOwn } from '../../crdt/keys.ts';
import type { Membership } from './membership.ts';
import { HyParView } from './hyparview.ts';
import { Full } from './full.ts';
import { ClientServer } from './clientserver.ts';

export type ManagerName = 'hyparview' | 'full' | 'client-server';

const MANAGERS: { [name: string]: Membership<any> } = {
  hyparview: HyParView,
  full: Full,
  'client-server': ClientServer,
};

/** The manager of that name; throws for an unknown one (a configuration error, not input from a peer). */
export function managerOf(name: string): Membership<any> {
  const m = MANAGERS[name];
  if (!m || !hasOwn(MANAGERS, name)) throw new Error('unknown membership manager "' + name + '" (hyparview, full, client-server)');
  return m;
}
