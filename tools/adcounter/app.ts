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
import { read as query, type PollenNode } from '../../runtime/node.ts';
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
  const out: Command[] = [];
  const pending = new Set(dataflowOf(node).reads.map((r) => r.tag));
  for (const ad of served(node)) {
    if (pending.has(tagOf(ad))) continue;
    const c = contractOf(node, ad);
    if (!c) continue;
    out.push({ op: 'declare', id: counterOf(ad), type: 'gcounter' });
    out.push({ op: 'read', id: counterOf(ad), tag: tagOf(ad), pred: 'ad.reached', arg: c.min, then: 'ad.retire', thenArg: ad });
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
