/**
 * The advertisement counter (Rovio's, the Lasp paper's evaluation app) as a Pollen dataflow program. A game
 * platform sells ad space; each ad is paid for a minimum number of impressions; clients show ads, online or
 * not, and count impressions; once an ad reaches its minimum it is disabled everywhere.
 *
 *   ads        orset                      ad ids, added by the server, removed when an ad is done
 *   contracts  orset                      { ad, min } per ad
 *   pairs      product(ads, contracts)    every [ad, contract]
 *   matched    filter(pairs, ad.matches)  the pairs whose contract is the ad's
 *   served     map(matched, ad.of)        the ads a client may show: active and under contract
 *   imp.<ad>   gcounter                   impressions of one ad, one entry per client
 *   read(imp.<ad>, value ≥ min)  →  ad.retire: remove the ad from `ads` (so from `served`, everywhere)
 *
 * Every node runs the same program; the threshold reads are held by the server alone (as in the Lasp paper) or
 * by every node (then the first node that sees an ad's minimum removes it, with no orchestrator, at the price
 * of up to one removal per node), and the removal spreads like any update. `served` and its inputs are derived locally on
 * each node (share: false), so no bytes are spent on them. The app is written as plain commands plus plain
 * functions, so any driver can run it: tests/runtime/net.ts in the tests, tools/sim in `pollen adcounter`.
 *
 *   install(node);                          // register the functions on a fresh node (and after a restart)
 *   for (const c of program()) drive(c);    // declare and derive
 *   for (const c of publish([{ ad: 'ad1', min: 300 }])) drive(c);   // at the server
 *   const i = impression(node, pick);       // at a client: the commands that count one, or null
 *   for (const c of watch(node)) drive(c);  // after changes: a threshold read per newly served ad
 */
import { dataflowOf } from '../../runtime/dataflow/glue.ts';
import type { Command } from '../../runtime/io.ts';
import type { ItemMap } from '../../crdt/types.ts';
import { read as query, stateOf, type PollenNode } from '../../runtime/node.ts';
import { localRights, type BCounterState } from '../../crdt/bcounter.ts';
import type { GCounterState } from '../../crdt/gcounter.ts';
import { register } from '../../runtime/dataflow.ts';

export interface Contract {
  ad: string;
  /** Impressions paid for. */
  min: number;
}

/** The impression counter of one ad. */
export function counterOf(ad: string): string {
  return 'imp.' + ad;
}

/** The read's tag for an ad (to tell whether one is pending). */
export function tagOf(ad: string): string {
  return 'retire.' + ad;
}

// The program's functions: plain, deterministic, no closures (a board runs them too).
function matches(p: any): boolean {
  return Array.isArray(p) && p[1] !== null && typeof p[1] === 'object' && (p[1] as ItemMap).ad === p[0];
}
function adOf(p: any): any {
  return p[0];
}
function reached(v: number, min: number): boolean {
  return v >= min;
}
function retire(_v: number, ad: string): Command[] {
  return [{ op: 'update', id: 'ads', mutator: 'remove', args: [ad] }];
}

/** Register the program's functions on a node (after every start: a restarted node has none). */
export function install(node: PollenNode): void {
  register(dataflowOf(node), 'ad.matches', matches);
  register(dataflowOf(node), 'ad.of', adOf);
  register(dataflowOf(node), 'ad.reached', reached);
  register(dataflowOf(node), 'ad.retire', retire);
}

/** The declarations and derivations, in order. */
export function program(): Command[] {
  return [
    { op: 'declare', id: 'ads', type: 'orset' },
    { op: 'declare', id: 'contracts', type: 'orset' },
    { op: 'derive', id: 'pairs', operation: 'product', inputs: ['ads', 'contracts'], share: false },
    { op: 'derive', id: 'matched', operation: 'filter', inputs: ['pairs'], fn: 'ad.matches', share: false },
    { op: 'derive', id: 'served', operation: 'map', inputs: ['matched'], fn: 'ad.of', share: false },
  ];
}

/** The server's commands that put ads on sale. */
export function publish(contracts: Contract[]): Command[] {
  const out: Command[] = [];
  for (const c of contracts) {
    out.push({ op: 'update', id: 'ads', mutator: 'add', args: [c.ad] });
    out.push({ op: 'update', id: 'contracts', mutator: 'add', args: [{ ad: c.ad, min: c.min }] });
  }
  return out;
}

/** The ads this node may show now (its local `served`). */
export function served(node: PollenNode): string[] {
  return (query(node, 'served') as string[] | undefined) ?? [];
}

/** How many contracts this node's replica holds. */
export function contractsKnown(node: PollenNode): number {
  return ((query(node, 'contracts') as ItemMap[] | undefined) ?? []).length;
}

function contractOf(node: PollenNode, ad: string): Contract | null {
  const cs = (query(node, 'contracts') as ItemMap[] | undefined) ?? [];
  for (const c of cs) if (c.ad === ad && typeof c.min === 'number') return { ad, min: c.min };
  return null;
}

/**
 * Threshold reads for the served ads that have none pending yet: declare the ad's counter and ask for
 * ad.retire once it reaches the contract's minimum (at once if it already has).
 */
export function watch(node: PollenNode): Command[] {
  return retireReads(node, counterOf, 'gcounter', 'ad.reached');
}

/**
 * For every served ad with a contract and no retire read pending: declare its variable (id of the ad, of the
 * given type) and ask for ad.retire once pred holds at the contract's minimum.
 */
function retireReads(node: PollenNode, idOf: (ad: string) => string, type: string, pred: string): Command[] {
  const out: Command[] = [];
  const pending = new Set(dataflowOf(node).reads.map((r) => r.tag));
  for (const ad of served(node)) {
    if (pending.has(tagOf(ad))) continue;
    const c = contractOf(node, ad);
    if (!c) continue;
    out.push({ op: 'declare', id: idOf(ad), type });
    out.push({ op: 'read', id: idOf(ad), tag: tagOf(ad), pred, arg: c.min, then: 'ad.retire', thenArg: ad });
  }
  return out;
}

/** One impression at a client: the ad `pick` chooses among the served ones, and the commands that count it
 *  (declaring its counter is a no-op when it exists); null when there is nothing to show. */
export function impression(node: PollenNode, pick: (n: number) => number): { ad: string; cmds: Command[] } | null {
  const ads = served(node);
  if (ads.length === 0) return null;
  const ad = ads[pick(ads.length)];
  return {
    ad,
    cmds: [
      { op: 'declare', id: counterOf(ad), type: 'gcounter' },
      { op: 'update', id: counterOf(ad), mutator: 'inc', args: [1] },
    ],
  };
}

// ---- the escrow variant -------------------------------------------------------------------------------------
//
//   rights.<ad>  bcounter   the ad's remaining impressions as rights: the server mints the minimum, a client
//                           spends one per impression (a decrement it may make only within rights it holds)
//   want.<ad>    gcounter   a client's requests for rights (its entry counts them)
//
// The server hands `grant` rights to a client per request (a bounded-counter transfer), so rights move to the
// clients that show the ad. A client cut off spends what it holds and asks in vain: it never shows an ad past
// the minimum, because the rights summed over all replicas never go below zero (crdt/bcounter.ts). The ad is
// retired once the server sees the minimum spent.

export function rightsOf(ad: string): string {
  return 'rights.' + ad;
}

export function wantOf(ad: string): string {
  return 'want.' + ad;
}

function spent(_v: number, min: number, s: BCounterState): boolean {
  let t = 0;
  for (const k of Object.keys(s.n)) t += s.n[k];
  return t >= min;
}

/** Register the escrow variant's functions (besides install's). */
export function installEscrow(node: PollenNode): void {
  install(node);
  register(dataflowOf(node), 'ad.spent', spent);
}

/** The server's commands that put ads on sale with their minimum as rights it holds. */
export function publishEscrow(contracts: Contract[]): Command[] {
  const out = publish(contracts);
  for (const c of contracts) {
    out.push({ op: 'declare', id: rightsOf(c.ad), type: 'bcounter' });
    out.push({ op: 'update', id: rightsOf(c.ad), mutator: 'inc', args: [c.min] });
  }
  return out;
}

function given(s: BCounterState, from: string, to: string): number {
  const t = s.t[from];
  return t !== undefined && t[to] !== undefined ? t[to] : 0;
}

/** The server's retire reads, on rights spent (as watch does on impressions for the Lasp variant). */
export function watchEscrow(node: PollenNode): Command[] {
  return retireReads(node, rightsOf, 'bcounter', 'ad.spent');
}

/**
 * One impression at a client in the escrow variant: an ad it holds a right for, and the decrement that spends
 * it; null when it holds none. `asks` are the requests for more (one per served ad it holds no right for and
 * has not asked since its last grant), to run either way.
 */
export function impressionEscrow(node: PollenNode, server: string, grant: number, pick: (n: number) => number): { ad: string | null; cmds: Command[]; asks: Command[] } {
  const ok: string[] = [];
  const asks: Command[] = [];
  for (const ad of served(node)) {
    const s = stateOf(node, rightsOf(ad)) as BCounterState | undefined;
    if (s !== undefined && localRights(s, node.replica) >= 1) {
      ok.push(ad);
      continue;
    }
    const w = stateOf(node, wantOf(ad)) as GCounterState | undefined;
    const asked = w !== undefined && w[node.replica] !== undefined ? w[node.replica] : 0;
    // Ask again only once every earlier request was answered (the server gives `grant` per request).
    if (asked * grant <= (s === undefined ? 0 : given(s, server, node.replica))) {
      asks.push({ op: 'declare', id: wantOf(ad), type: 'gcounter' });
      asks.push({ op: 'update', id: wantOf(ad), mutator: 'inc', args: [1] });
    }
  }
  if (ok.length === 0) return { ad: null, cmds: [], asks };
  const ad = ok[pick(ok.length)];
  return { ad, cmds: [{ op: 'update', id: rightsOf(ad), mutator: 'dec', args: [1] }], asks };
}

/** The server's grants: `grant` rights (or what it has left) to each client per request not yet answered. */
export function grants(node: PollenNode, grant: number): Command[] {
  const out: Command[] = [];
  for (const ad of served(node)) {
    const s = stateOf(node, rightsOf(ad)) as BCounterState | undefined;
    const w = stateOf(node, wantOf(ad)) as GCounterState | undefined;
    if (s === undefined || w === undefined) continue;
    let mine = localRights(s, node.replica);
    for (const c of Object.keys(w).sort()) {
      if (mine <= 0) break;
      const owed = w[c] * grant - given(s, node.replica, c);
      if (owed <= 0) continue;
      const n = Math.min(owed, grant, mine);
      out.push({ op: 'update', id: rightsOf(ad), mutator: 'transfer', args: [c, n] });
      mine -= n;
    }
  }
  return out;
}
