/**
 * Scenarios: a JSON description of a run (nodes, links, partitions, churn, workload) and `runScenario`, which
 * builds a Sim from one, runs it and returns its results as plain JSON. Files live in tools/sim/scenarios/.
 *
 *   const r = runScenario({
 *     name: 'plumtree-100', seed: 1, nodes: 100, duration: 60000,
 *     workload: [{ kind: 'broadcast', label: 'single', start: 20000, rounds: 30, every: 1000, senders: 'single' }],
 *   });
 *   r.broadcast.single.rmr.mean; // ≈ 0 once the tree has formed
 *
 * Fields (ms for times; defaults in brackets):
 *   name, seed, nodes; duration                the run: nodes n0 … n{nodes-1}, simulated until `duration`
 *   late [0]                                   the last `late` nodes start down; churn `join` brings them in
 *   membership ['hyparview'], node {}          NodeConfig knobs for every node: membershipConfig, plumtree,
 *                                              antiEntropy, limits, maxVariables
 *   perNode {}                                 extra knobs by node id, merged over `node` (e.g. a server's)
 *   servers [0]                                client-server: the first `servers` nodes are servers
 *                                              (membershipConfig.servers lists them; they are the contacts)
 *   contacts [['n0']]                          who joining nodes contact
 *   join { at [0], spread [0] }                node i starts at `at + i·spread` (0: all at once)
 *   link {}                                    links.ts LinkConfig: latency, bandwidth, queue, loss, dup, reorder…
 *   linkEvents [null]                          { delay }: neighbours of a crashed node get a link-down input
 *   partitions []                              links.ts Partition: { at, heal?, groups? | split? }
 *   churn []                                   churn.ts ChurnEvent: crash / restart / join / leave
 *   workload []                                broadcast rounds or CRDT updates (below)
 *   sample [1000]                              ms between overlay and divergence samples
 *   topology [none]                            'tree', 'mesh' (topology.ts) or adjacency lists: frames flow
 *                                              only between neighbours, who are each node's contacts
 *
 * Workloads:
 *   { kind: 'broadcast', label, start, rounds, every, senders: 'single' | 'random' | 'all', sender? }
 *       a round every `every` ms: one message from `sender` (default: the first live node at `start`), from a
 *       random live node, or from every live node (spread evenly over the round, in a random order);
 *   { kind: 'crdt', label, start, updates, every, vars: [{ id, type, mutator, args }], at? }
 *       an update every `every` ms at a random live node (or one of `at`), cycling through `vars`; the node
 *       declares the variable first if needed. In args, "$k" is the update number, "$node" the node id and
 *       "$t" the time in whole ms, alone or inside a string ("$node-$k").
 */
import type { Item } from '../../crdt/types.ts';
import { Sim, type NodeOptions, type SimResult } from './sim.ts';
import type { LinkConfig, Partition } from './links.ts';
import { type ChurnEvent, actionOf, checkChurn, select, selectorOf } from './churn.ts';
import { type Dist, checkDist } from './random.ts';
import { mesh, tree } from './topology.ts';

export interface VarUpdate {
  id: string;
  type: string;
  mutator: string;
  args: Item[];
}

export type Workload =
  | { kind: 'broadcast'; label?: string; start: number; rounds: number; every: number; senders: 'single' | 'random' | 'all'; sender?: string }
  | { kind: 'crdt'; label?: string; start: number; updates: number; every: number; vars: VarUpdate[]; at?: string[] };

export interface Scenario {
  name?: string;
  seed: number;
  nodes: number;
  duration: number;
  late?: number;
  membership?: 'hyparview' | 'full' | 'client-server';
  node?: NodeOptions;
  perNode?: Record<string, NodeOptions>;
  servers?: number;
  contacts?: string[];
  join?: { at?: number; spread?: number };
  link?: Partial<LinkConfig>;
  linkEvents?: { delay: Dist } | null;
  partitions?: Partition[];
  churn?: ChurnEvent[];
  workload?: Workload[];
  sample?: number;
  topology?: 'tree' | 'mesh' | number[][];
}

export type ScenarioResult = { name: string } & SimResult;

const FIELDS = ['name', 'seed', 'nodes', 'duration', 'late', 'membership', 'node', 'perNode', 'servers', 'contacts', 'join', 'link', 'linkEvents', 'partitions', 'churn', 'workload', 'sample', 'topology'];

/** Check a parsed scenario; throws an Error naming the first bad field. */
export function checkScenario(s: unknown): Scenario {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error('scenario: expected a JSON object');
  const o = s as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) throw new Error('scenario: unknown field "' + k + '" (' + FIELDS.join(', ') + ')');
  const int = (k: string, min: number) => {
    if (!(typeof o[k] === 'number' && Math.floor(o[k] as number) === o[k] && (o[k] as number) >= min)) throw new Error('scenario.' + k + ' must be an integer ≥ ' + min);
  };
  int('seed', 0);
  int('nodes', 1);
  if (!(typeof o.duration === 'number' && o.duration > 0)) throw new Error('scenario.duration must be > 0 ms');
  if (o.late !== undefined) int('late', 0);
  if (o.servers !== undefined) int('servers', 0);
  if (o.sample !== undefined) int('sample', 0);
  if (o.topology !== undefined && o.topology !== 'tree' && o.topology !== 'mesh' && !Array.isArray(o.topology)) {
    throw new Error("scenario.topology is 'tree', 'mesh' or adjacency lists");
  }
  if (o.membership !== undefined && !['hyparview', 'full', 'client-server'].includes(o.membership as string)) {
    throw new Error("scenario.membership is 'hyparview', 'full' or 'client-server'");
  }
  if (o.linkEvents !== undefined && o.linkEvents !== null) {
    const e = checkDist((o.linkEvents as any).delay, 'scenario.linkEvents.delay');
    if (e) throw new Error(e);
  }
  if (o.churn !== undefined) {
    if (!Array.isArray(o.churn)) throw new Error('scenario.churn must be a list');
    o.churn.forEach((c, k) => {
      const e = checkChurn(c, k);
      if (e) throw new Error('scenario.' + e);
    });
  }
  if (o.partitions !== undefined) {
    if (!Array.isArray(o.partitions)) throw new Error('scenario.partitions must be a list');
    o.partitions.forEach((p: any, k) => {
      if (typeof p !== 'object' || p === null || !(p.at >= 0)) throw new Error('scenario.partitions[' + k + '].at must be ≥ 0');
      if (p.heal !== undefined && !(p.heal >= p.at)) throw new Error('scenario.partitions[' + k + '].heal must be ≥ at');
      if ((p.groups === undefined) === (p.split === undefined)) throw new Error('scenario.partitions[' + k + ']: exactly one of groups, split');
    });
  }
  if (o.workload !== undefined) {
    if (!Array.isArray(o.workload)) throw new Error('scenario.workload must be a list');
    o.workload.forEach((w: any, k) => {
      const at = 'scenario.workload[' + k + ']';
      if (typeof w !== 'object' || w === null) throw new Error(at + ': expected an object');
      if (!(w.start >= 0) || !(w.every > 0)) throw new Error(at + ': start ≥ 0 and every > 0 ms are required');
      if (w.kind === 'broadcast') {
        if (!(w.rounds >= 0)) throw new Error(at + '.rounds must be ≥ 0');
        if (!['single', 'random', 'all'].includes(w.senders)) throw new Error(at + ".senders is 'single', 'random' or 'all'");
      } else if (w.kind === 'crdt') {
        if (!(w.updates >= 0)) throw new Error(at + '.updates must be ≥ 0');
        if (!Array.isArray(w.vars) || w.vars.length === 0) throw new Error(at + '.vars must list at least one { id, type, mutator, args }');
        for (const v of w.vars) {
          if (typeof v.id !== 'string' || typeof v.type !== 'string' || typeof v.mutator !== 'string' || !Array.isArray(v.args)) {
            throw new Error(at + '.vars: each needs id, type, mutator (strings) and args (a list)');
          }
        }
      } else throw new Error(at + ".kind is 'broadcast' or 'crdt'");
    });
  }
  return o as unknown as Scenario;
}

/** Parse and check a scenario file's text. */
export function parseScenario(text: string): Scenario {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error('scenario: not JSON: ' + (e as Error).message);
  }
  return checkScenario(j);
}

function labelOf(w: Workload, k: number): string {
  return w.label ?? w.kind + (k === 0 ? '' : '-' + k);
}

/** "$k" and "$t" alone become numbers; inside a longer string each of $k, $node, $t is replaced by its text. */
function substitute(args: Item[], k: number, node: string, now: number): Item[] {
  const t = Math.floor(now);
  return args.map((a) => {
    if (a === '$k') return k;
    if (a === '$t') return t;
    if (typeof a !== 'string' || a.indexOf('$') < 0) return a;
    return a.replace(/\$(k|node|t)\b/g, (_m, v: string) => (v === 'k' ? String(k) : v === 't' ? String(t) : node));
  });
}

/** Build the Sim of a scenario with every action scheduled; run it with `sim.run(s.duration)`. */
export function buildSim(s: Scenario): Sim {
  const ids: string[] = [];
  for (let i = 0; i < s.nodes; i++) ids.push('n' + i);
  const servers = s.servers ?? 0;
  const serverIds = ids.slice(0, servers);
  const base: NodeOptions = { ...(s.node ?? {}), membership: s.membership ?? s.node?.membership ?? 'hyparview' };
  const perNode = s.perNode ?? {};
  const nodeOpts = (i: number): NodeOptions => {
    let o: NodeOptions = base;
    if (servers > 0) o = { ...o, membershipConfig: { ...(o.membershipConfig ?? {}), servers: serverIds } };
    const extra = perNode[ids[i]];
    if (extra) o = { ...o, ...extra, membershipConfig: { ...(o.membershipConfig ?? {}), ...(extra.membershipConfig ?? {}) } };
    return o;
  };
  const hasCrdt = (s.workload ?? []).some((w) => w.kind === 'crdt');
  const sim = new Sim({
    seed: s.seed,
    ids,
    node: nodeOpts,
    link: s.link,
    linkEvents: s.linkEvents ?? null,
    sample: s.sample ?? 1000,
    states: hasCrdt,
    contacts: s.contacts ?? (servers > 0 ? serverIds : [ids[0]]),
    topology: s.topology === 'tree' ? tree(s.nodes) : s.topology === 'mesh' ? mesh(s.nodes) : s.topology,
  });
  const late = s.late ?? 0;
  const at0 = s.join?.at ?? 0;
  const spread = s.join?.spread ?? 0;
  for (let i = 0; i < s.nodes - late; i++) sim.at(at0 + i * spread, () => sim.start(i));
  for (const p of s.partitions ?? []) sim.partition(p);
  for (const c of s.churn ?? []) sim.at(c.at, () => churn(sim, c, late));
  (s.workload ?? []).forEach((w, k) => schedule(sim, w, labelOf(w, k)));
  return sim;
}

function churn(sim: Sim, c: ChurnEvent, late: number): void {
  const act = actionOf(c);
  const except = new Set((c.except ?? []).map((id) => sim.indexOf(id)));
  let eligible: number[];
  if (act === 'crash' || act === 'leave') eligible = sim.live();
  else if (act === 'restart') eligible = sim.down().filter((i) => sim.started[i] === 1);
  else eligible = sim.down().filter((i) => sim.started[i] === 0 && i >= sim.n - late);
  eligible = eligible.filter((i) => !except.has(i));
  const picked = select(selectorOf(c), eligible, sim.randChurn, (id) => sim.indexOf(id));
  for (const i of picked) {
    if (act === 'crash') sim.crash(i);
    else if (act === 'leave') sim.leave(i);
    else if (act === 'restart') sim.start(i, (c as { persist?: boolean }).persist === true);
    else sim.start(i);
  }
}

function schedule(sim: Sim, w: Workload, label: string): void {
  sim.at(w.start, () => sim.measures.mark(label, sim.now));
  if (w.kind === 'broadcast') {
    let sender = -1;
    for (let r = 0; r < w.rounds; r++) {
      sim.at(w.start + r * w.every, () => {
        const live = sim.live();
        if (live.length === 0) return;
        if (w.senders === 'single') {
          if (sender < 0) sender = w.sender !== undefined ? sim.indexOf(w.sender) : live[0];
          if (sender >= 0 && sim.isUp(sender)) sim.broadcast(sender, [r, sender], label);
        } else if (w.senders === 'random') {
          const i = live[sim.randWork.below(live.length)];
          sim.broadcast(i, [r, i], label);
        } else {
          // Every live node once per round, spread evenly over the round in a random order (a burst of N
          // messages in the same millisecond would measure the bounds of the message cache, not the protocol).
          const order = sim.randWork.sample(live.length, live.length);
          order.forEach((k, j) => {
            const i = live[k];
            sim.at(sim.now + (j * w.every) / live.length, () => {
              if (sim.isUp(i)) sim.broadcast(i, [r, i], label);
            });
          });
        }
      });
    }
  } else {
    const pool = w.at?.map((id) => sim.indexOf(id)).filter((i) => i >= 0);
    for (let k = 0; k < w.updates; k++) {
      sim.at(w.start + k * w.every, () => {
        const cand = pool ? pool.filter((i) => sim.isUp(i)) : sim.live();
        if (cand.length === 0) return;
        const i = cand[sim.randWork.below(cand.length)];
        const v = w.vars[k % w.vars.length];
        sim.update(i, v.id, v.type, v.mutator, substitute(v.args, k, sim.ids[i], sim.now), label);
      });
    }
  }
}

/** Run a scenario to its duration and return its results (deterministic: same scenario, same JSON). */
export function runScenario(s: Scenario): ScenarioResult {
  const sc = checkScenario(s);
  const sim = buildSim(sc);
  sim.run(sc.duration);
  return { name: sc.name ?? 'scenario', ...sim.result() };
}
