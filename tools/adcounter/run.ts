/**
 * The advertisement counter in the simulator (tools/sim): one server publishes ads with contracts, hundreds of
 * clients show them and count impressions, going offline (cut off from everyone) and back online at random;
 * every node runs the program of tools/adcounter/app.ts. The run measures what the Lasp paper measures:
 *
 * - impressions over the minimum: the impressions shown after an ad had reached its minimum (paid for by no
 *   one), split by whether the client was offline when it showed it: the cost of being offline;
 * - convergence: per ad, how long after its true count reached the minimum the first node drops it (detect:
 *   the impressions offline clients still hold are invisible until they return), how fast that removal then
 *   reaches each connected node (spread), when no online node and when no node at all serves it any more
 *   (offline nodes included, so it spans their time away), and the time from the last ad's minimum until
 *   every replica holds identical states of every variable;
 * - bytes per client: sent (by traffic class) and received, mean and max over clients.
 *
 *   const r = runAdCounter({ clients: 200, seed: 1 });
 *   r.impressions.over;  r.convergence.spread.p50;  r.bytes.client.sent.mean;
 *
 * Deterministic: the same config gives the same report (the simulator and every random draw are seeded).
 */
import { Sim } from '../sim/sim.ts';
import { Random } from '../sim/random.ts';
import type { LinkConfig } from '../sim/links.ts';
import type { Input, Output } from '../../runtime/io.ts';
import { install, program, publish, watch, impression, served, contractsKnown, installEscrow, publishEscrow, watchEscrow, impressionEscrow, grants, type Contract } from './app.ts';
import { doneCommands, waitCommands } from '../../runtime/completion.ts';

export interface AdConfig {
  seed: number;
  clients: number;
  ads: number;
  /** Impressions paid per ad: uniform in [min[0], min[1]]. */
  min: [number, number];
  /** Mean ms between two impressions at one client (each gap uniform in 0.5–1.5 × period). */
  period: number;
  /** Each client alternates online spells (uniform in `online` ms) with, at probability `p`, an offline spell
   *  (uniform in `away` ms) during which it is cut off from every node but keeps showing ads. p = 0: never. */
  offline: { p: number; online: [number, number]; away: [number, number] };
  /** ms before the server publishes, for the overlay to form. */
  warmup: number;
  /** Simulated time cap, ms. */
  maxTime: number;
  membership: 'hyparview' | 'full' | 'client-server';
  /** Who holds the threshold reads that disable ads: the server only (as in the Lasp paper: one removal per
   *  ad), or every node (the first to see the minimum removes it: faster, but up to one removal per node). */
  retire: 'server' | 'everyone';
  /** A client back online joins again through the server at once, as an app told by its OS that the network
   *  is back would. Without it, the client waits for HyParView's isolation retries (up to backoffMax, 30 s). */
  rejoin: boolean;
  /** 'lasp': impressions counted in G-Counters, an ad retired once its count reaches the minimum (as in the
   *  Lasp paper: clients cut off keep showing it). 'escrow': an impression spends a right of the ad's bounded
   *  counter, handed out by the server `grant` at a time on request (app.ts): never past the minimum. */
  variant: 'lasp' | 'escrow';
  /** Escrow: rights handed to a client per request. */
  grant: number;
  link?: Partial<LinkConfig>;
}

/** 200 clients and 5 ads of 100–300 impressions: a campaign of about 20 s of simulated time (a client shows an
 *  ad every 4 s), the Lasp paper's set-up scaled down to run in a minute or two on one machine. Clients spend
 *  about a quarter of their time away: online 5–20 s, then offline 5–20 s half the time. */
export const AD_DEFAULTS: AdConfig = {
  seed: 1,
  clients: 200,
  ads: 5,
  min: [100, 300],
  period: 4000,
  offline: { p: 0.5, online: [5000, 20000], away: [5000, 20000] },
  warmup: 5000,
  maxTime: 600000,
  membership: 'hyparview',
  retire: 'server',
  rejoin: true,
  variant: 'lasp',
  grant: 5,
};

export interface Stat {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface AdReport {
  config: AdConfig;
  impressions: {
    total: number;
    paid: number;
    /** Shown after the ad's true count had reached its minimum. */
    over: number;
    overOnline: number;
    overOffline: number;
    /** over / paid. */
    overRatio: number;
    /** Impressions shown while the client was offline (all of them, over or not). */
    offline: number;
    /** Impressions shown per simulated second, from publication until the last ad was retired everywhere. */
    perSecond: number;
  };
  convergence: {
    /** Per ad: ms from its true count reaching the minimum until no node serves it. */
    disable: Stat;
    /** Per ad: the same, counting only the nodes online at the time (offline ones catch up when back). */
    disableOnline: Stat;
    /** Per ad: ms from its true count reaching the minimum until the first node drops it (the system learns
     *  of the minimum late by the impressions still held by offline clients, plus a dissemination). */
    detect: Stat;
    /** Per ad and node: ms from the first node dropping the ad (or from the node's return online, when later)
     *  until this node drops it: how fast the removal spreads to nodes that are connected. */
    spread: Stat;
    /** ms from the last ad's minimum until every replica holds the same state of every variable; null if never. */
    quiesce: number | null;
    /** Every node's served set is empty and every replica agrees, at the end. */
    converged: boolean;
    /** Completion detection: ms from the last ad's retirement until the last node learned by itself that every
     *  node finished the campaign; null if some node never did. */
    allKnow: number | null;
    /** Nodes that learned it. */
    knowing: number;
  };
  bytes: {
    client: { sent: Stat; received: Stat; payload: Stat; delta: Stat; state: Stat; control: Stat };
    server: { sent: number; received: number };
  };
  /** Ads still served somewhere at the end (should be 0). */
  unfinished: number;
  time: number;
  events: number;
}

function stat(xs: number[]): Stat {
  if (xs.length === 0) return { mean: 0, p50: 0, p99: 0, max: 0 };
  const a = xs.slice().sort((x, y) => x - y);
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  const at = (q: number): number => r1(a[Math.min(a.length - 1, Math.floor(q * a.length))]);
  return { mean: r1(a.reduce((s, x) => s + x, 0) / a.length), p50: at(0.5), p99: at(0.99), max: r1(a[a.length - 1]) };
}

/** The simulator, with the app's hooks: the program installed at every start, and a watch on `served`. */
class AdSim extends Sim {
  escrow = false;
  onServed: (i: number) => void = () => {};
  /** Called when node i learns, from its own replica, that every node has finished the campaign. */
  onAllDone: (i: number) => void = () => {};
  /** Every node's id: the nodes the campaign's completion waits for. */
  everyone: string[] = [];

  override start(i: number, persist = false): void {
    super.start(i, persist);
    if (this.escrow) installEscrow(this.node(i));
    else install(this.node(i));
    for (const c of program()) this.cmd(i, c);
    for (const c of waitCommands(this.node(i), CAMPAIGN, this.everyone, 1, CAMPAIGN)) this.cmd(i, c);
  }

  override input(i: number, inp: Input): Output[] {
    const outs = super.input(i, inp);
    let served = false;
    for (const o of outs) {
      if (o.kind !== 'event') continue;
      if (o.event.type === 'changed' && o.event.id === 'served') served = true;
      else if (o.event.type === 'read' && o.event.tag === CAMPAIGN) this.onAllDone(i);
    }
    if (served) this.onServed(i);
    return outs;
  }
}

/** The completion group (runtime/completion.ts) in which each node marks the campaign done, and the read's tag. */
const CAMPAIGN = 'campaign';

/** Called once per simulated second: simulated ms, events so far, ads disabled everywhere so far, and the
 *  simulator itself (for tracing). */
export type Progress = (now: number, events: number, disabled: number, sim: Sim) => void;

export function runAdCounter(partial: Partial<AdConfig>, progress?: Progress): AdReport {
  const cfg: AdConfig = { ...AD_DEFAULTS, ...partial, offline: { ...AD_DEFAULTS.offline, ...(partial.offline ?? {}) } };
  const n = cfg.clients + 1;
  const ids = ['server'];
  for (let k = 1; k <= cfg.clients; k++) ids.push('c' + k);
  const sim = new AdSim({ seed: cfg.seed, ids, node: { membership: cfg.membership }, link: cfg.link, sample: 0, contacts: ['server'] });
  sim.everyone = ids;
  const escrow = cfg.variant === 'escrow';
  sim.escrow = escrow;
  // Completion detection: a node whose replica knows every contract and serves no ad has finished the
  // campaign and marks it done; each node learns by itself when all have (no orchestrator asks around).
  const knewAt: number[] = [];
  sim.onAllDone = (i) => {
    if (knewAt[i] === undefined) knewAt[i] = sim.now;
  };
  const rand = new Random(cfg.seed, 101);
  const uniform = (r: [number, number]): number => rand.draw({ dist: 'uniform', min: r[0], max: r[1] });

  // Ground truth, kept by the driver.
  const contracts: Contract[] = [];
  for (let k = 1; k <= cfg.ads; k++) contracts.push({ ad: 'ad' + k, min: Math.round(uniform(cfg.min)) });
  const minOf = new Map(contracts.map((c) => [c.ad, c.min]));
  const truth = new Map<string, number>(contracts.map((c) => [c.ad, 0]));
  const reachedAt = new Map<string, number>();
  const retiredAt = new Map<string, number>();
  const serving = new Map<string, number>(contracts.map((c) => [c.ad, 0]));
  const servedBy: Set<string>[] = ids.map(() => new Set());
  const away = new Uint8Array(n);
  const onlineAt = new Map<string, number>();
  const droppedAt = new Map<string, number>();
  const backAt = new Float64Array(n);
  const lags: number[] = [];
  /** Record ads that no online node serves any more (called whenever a served set or an online flag changes). */
  const checkOnline = (): void => {
    for (const ad of reachedAt.keys()) {
      if (onlineAt.has(ad)) continue;
      let k = 0;
      for (let i = 0; i < n && k === 0; i++) if (!away[i] && servedBy[i].has(ad)) k++;
      if (k === 0) onlineAt.set(ad, sim.now);
    }
  };
  const imp = { total: 0, over: 0, overOnline: 0, overOffline: 0, offline: 0 };

  sim.onServed = (i: number) => {
    if (!sim.isUp(i)) return;
    const node = sim.node(i);
    const now = new Set(served(node));
    for (const ad of servedBy[i]) {
      if (now.has(ad)) continue;
      serving.set(ad, (serving.get(ad) ?? 0) - 1);
      if (!droppedAt.has(ad)) droppedAt.set(ad, sim.now);
      else if (!away[i]) lags.push(sim.now - Math.max(droppedAt.get(ad) as number, backAt[i]));
    }
    for (const ad of now) if (!servedBy[i].has(ad)) serving.set(ad, (serving.get(ad) ?? 0) + 1);
    servedBy[i] = now;
    for (const [ad, k] of serving) if (k === 0 && reachedAt.has(ad) && !retiredAt.has(ad)) retiredAt.set(ad, sim.now);
    checkOnline();
    if (i === 0 || cfg.retire === 'everyone') for (const c of escrow ? watchEscrow(node) : watch(node)) sim.cmd(i, c);
    if (now.size === 0 && contractsKnown(node) === contracts.length) for (const c of doneCommands(node, CAMPAIGN, 1)) sim.cmd(i, c);
  };

  for (let i = 0; i < n; i++) sim.at(i * 10, () => sim.start(i));
  sim.at(cfg.warmup, () => {
    for (const c of escrow ? publishEscrow(contracts) : publish(contracts)) sim.cmd(0, c);
  });
  if (escrow) {
    // The server answers requests for rights every 100 ms (a real one would on each change of a want counter).
    const serve = (): void => {
      if (sim.isUp(0)) for (const c of grants(sim.node(0), cfg.grant)) sim.cmd(0, c);
      if (retiredAt.size < contracts.length) sim.at(sim.now + 100, serve);
    };
    sim.at(cfg.warmup + 1, serve);
  }

  // Clients: impressions, and offline spells cut off from everyone.
  for (let i = 1; i < n; i++) {
    const tick = (): void => {
      if (retiredAt.size === contracts.length || !sim.isUp(i)) return;
      let shown: { ad: string; cmds: { op: string }[] } | null;
      if (escrow) {
        const e = impressionEscrow(sim.node(i), 'server', cfg.grant, (k) => rand.below(k));
        for (const c of e.asks) sim.cmd(i, c as never);
        shown = e.ad === null ? null : { ad: e.ad, cmds: e.cmds };
      } else shown = impression(sim.node(i), (k) => rand.below(k));
      if (shown) {
        for (const c of shown.cmds) sim.cmd(i, c as never);
        const t = (truth.get(shown.ad) ?? 0) + 1;
        truth.set(shown.ad, t);
        imp.total++;
        if (away[i]) imp.offline++;
        const min = minOf.get(shown.ad) ?? 0;
        if (t === min) {
          reachedAt.set(shown.ad, sim.now);
          checkOnline();
        }
        if (t > min) {
          imp.over++;
          if (away[i]) imp.overOffline++;
          else imp.overOnline++;
        }
      }
      sim.at(sim.now + cfg.period * (0.5 + rand.float()), tick);
    };
    sim.at(cfg.warmup + rand.float() * cfg.period, tick);
    if (cfg.offline.p <= 0) continue;
    // A random phase: the first online spell is cut short at random, so clients are already leaving and
    // returning while the campaign runs rather than all at one later moment.
    for (let t = cfg.warmup + rand.float() * uniform(cfg.offline.online); t < cfg.maxTime; ) {
      if (rand.chance(cfg.offline.p)) {
        const heal = t + uniform(cfg.offline.away);
        sim.partition({ at: t, heal, groups: [[ids[i]]] });
        sim.at(t, () => {
          away[i] = 1;
          checkOnline();
        });
        sim.at(heal, () => {
          away[i] = 0;
          backAt[i] = sim.now;
          if (cfg.rejoin && sim.isUp(i)) sim.cmd(i, { op: 'join', contacts: ['server'] });
          checkOnline();
        });
        t = heal;
      }
      t += uniform(cfg.offline.online);
    }
  }

  // Run until every ad is disabled everywhere, then until every replica agrees (or the cap).
  let quiesce: number | null = null;
  while (sim.now < cfg.maxTime) {
    sim.run(sim.now + 1000);
    if (progress) progress(sim.now, sim.events, retiredAt.size, sim);
    if (retiredAt.size < contracts.length) continue;
    if (sim.distinctStates() === 1) {
      const last = Math.max(...reachedAt.values());
      quiesce = Math.round(sim.now - last);
      break;
    }
  }

  const disable = contracts.filter((c) => retiredAt.has(c.ad)).map((c) => (retiredAt.get(c.ad) as number) - (reachedAt.get(c.ad) as number));
  const clientM = sim.live().filter((i) => i > 0).map((i) => sim.node(i).metrics);
  const b = (m: Record<string, number>, k: string): number => m[k] ?? 0;
  const sent = (m: Record<string, number>): number => b(m, 'bytes.control') + b(m, 'bytes.payload') + b(m, 'bytes.delta') + b(m, 'bytes.state');
  const server = sim.isUp(0) ? sim.node(0).metrics : {};
  const paid = contracts.reduce((s, c) => s + c.min, 0);
  let unfinished = 0;
  for (const [, k] of serving) if (k > 0) unfinished++;
  const knowing = knewAt.filter((t) => t !== undefined).length;
  return {
    config: cfg,
    impressions: { total: imp.total, paid, over: imp.over, overOnline: imp.overOnline, overOffline: imp.overOffline, overRatio: Math.round((imp.over / paid) * 1000) / 1000, offline: imp.offline,
      perSecond: Math.round((imp.total / Math.max(1, ((retiredAt.size === contracts.length ? Math.max(...retiredAt.values()) : sim.now) - cfg.warmup) / 1000)) * 10) / 10 },
    convergence: {
      disable: stat(disable),
      disableOnline: stat(contracts.filter((c) => onlineAt.has(c.ad)).map((c) => (onlineAt.get(c.ad) as number) - (reachedAt.get(c.ad) as number))),
      detect: stat(contracts.filter((c) => droppedAt.has(c.ad) && reachedAt.has(c.ad)).map((c) => (droppedAt.get(c.ad) as number) - (reachedAt.get(c.ad) as number))),
      spread: stat(lags),
      quiesce, converged: quiesce !== null && unfinished === 0,
      allKnow: knowing === n && retiredAt.size > 0 ? Math.round(Math.max(...knewAt) - Math.max(...retiredAt.values())) : null,
      knowing },
    bytes: {
      client: {
        sent: stat(clientM.map(sent)),
        received: stat(clientM.map((m) => b(m, 'bytes.in'))),
        payload: stat(clientM.map((m) => b(m, 'bytes.payload'))),
        delta: stat(clientM.map((m) => b(m, 'bytes.delta'))),
        state: stat(clientM.map((m) => b(m, 'bytes.state'))),
        control: stat(clientM.map((m) => b(m, 'bytes.control'))),
      },
      server: { sent: sent(server), received: b(server, 'bytes.in') },
    },
    unfinished,
    time: Math.round(sim.now),
    events: sim.events,
  };
}
