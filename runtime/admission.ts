/**
 * Admission of variables from peers: a delta or a state for a variable this node has not declared is taken only
 * when the policy allows it, and never at the cost of the application's own variables.
 *
 *   const adm = init({ allow: ['imp.*', 'ads'], specs: ['gcounter', 'orset'], perPeer: 8 }, 64);
 *   refusal(adm, store, 'imp.42', 'gcounter', 'b');   // '' (take it), or the reason: 'policy', 'spec', 'budget', 'full'
 *   taken(adm, 'imp.42', 'b');                          // after declaring it: counts against b's budget
 *
 * Default (no policy given): any valid name and type, at most `perPeer` new variables per peer, and the last
 * `reserve` slots of the store kept for the application's own `declare` (and derived variables). Why open by
 * default: Pollen's applications learn variables from their peers (the ad counter's per-ad counters, completion
 * groups, a demo node started without the app's declares), so a closed default would break them; the reserve is
 * what stops the measured attack (one frame declaring strangers' variables until the application's own declare
 * failed), and a cluster key keeps strangers out altogether. `allow: []` admits nothing undeclared.
 */
import type { PeerId } from './io.ts';
import type { Store } from './store.ts';
import { dict } from './tables.ts';

export interface AdmissionConfig {
  /** Names a peer may introduce: exact names or prefixes ending in '*'; undefined: any name. */
  allow?: string[];
  /** Type specs a peer may introduce (canonical, e.g. 'orset', 'awmap(pncounter)'); undefined: any. */
  specs?: string[];
  /** New variables one peer may introduce (default 32: a generous app's worth, far below a store of 64). */
  perPeer?: number;
  /** Store slots peers can never take (default a quarter of the store, at most 16). */
  reserve?: number;
}

export interface Admission {
  allow: string[] | null;
  specs: string[] | null;
  perPeer: number;
  reserve: number;
  /** Variables introduced per peer (at most one entry per variable ever declared: bounded by the store). */
  byPeer: { [peer: string]: number };
}

function whole(v: unknown, what: string): number {
  if (typeof v !== 'number' || Math.floor(v) !== v || v < 0) throw new Error('admission: ' + what + ' must be a whole number of at least 0, got ' + String(v));
  return v;
}

export function init(c: AdmissionConfig | undefined, maxVars: number): Admission {
  const cfg = c || {};
  const auto = Math.ceil(maxVars / 4);
  return {
    allow: cfg.allow === undefined ? null : cfg.allow.slice(),
    specs: cfg.specs === undefined ? null : cfg.specs.slice(),
    perPeer: cfg.perPeer === undefined ? 32 : whole(cfg.perPeer, 'perPeer'),
    reserve: cfg.reserve === undefined ? (auto < 16 ? auto : 16) : whole(cfg.reserve, 'reserve'),
    byPeer: dict<number>(),
  };
}

function named(allow: string[], id: string): boolean {
  for (let i = 0; i < allow.length; i++) {
    const p = allow[i];
    if (p === id) return true;
    if (p.length > 0 && p.charAt(p.length - 1) === '*' && id.indexOf(p.substring(0, p.length - 1)) === 0) return true;
  }
  return false;
}

/** '' when peer `from` may introduce variable `id` of `spec` now; else the reason, for the counter
 *  'admit.<reason>'. */
export function refusal(a: Admission, store: Store, id: string, spec: string, from: PeerId): string {
  if (a.allow !== null && !named(a.allow, id)) return 'policy';
  if (a.specs !== null && a.specs.indexOf(spec) < 0) return 'spec';
  if ((from in a.byPeer ? a.byPeer[from] : 0) >= a.perPeer) return 'budget';
  if (store.count >= store.maxVars - a.reserve) return 'full';
  return '';
}

/** Count a variable peer `from` introduced. */
export function taken(a: Admission, from: PeerId): void {
  a.byPeer[from] = (from in a.byPeer ? a.byPeer[from] : 0) + 1;
}
