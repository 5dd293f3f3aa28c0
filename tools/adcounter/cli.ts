/**
 * `pollen adcounter` (or `npm run adcounter`): run the advertisement counter in the simulator and print its
 * report: impressions over the minimum (the cost of being offline), convergence times, bytes per client.
 *
 *   npm run adcounter                                   # 200 clients, 5 ads, a quarter of the time offline
 *   npm run adcounter -- --clients 50 --ads 5 --min 50,100 --baseline   # also a run with nobody offline
 *   npm run adcounter -- --json                         # the report as JSON
 *
 * Options: --seed N, --clients N, --ads N, --min LO,HI (impressions paid per ad), --period MS (between a
 * client's impressions), --offline P (chance of an offline spell after each online one; 0: never),
 * --away LO,HI (ms offline), --membership hyparview|full|client-server, --retire server|everyone (who removes
 * a finished ad), --no-rejoin (a client back online waits for HyParView's isolation retries instead of joining
 * again at once), --baseline (also run with nobody offline, to show the cost of being offline), --variant
 * lasp|escrow (escrow: impressions spend bounded-counter rights, never past the minimum), --compare (both
 * variants side by side at cut rates 0–70%, 50 clients unless --clients; what `npm run adcounter` runs), --json.
 * Exit status: 0 after a run (1 if the run did not converge), 2 for a usage error.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs as nodeParseArgs } from 'node:util';
import { AD_DEFAULTS, runAdCounter, type AdConfig, type AdReport } from './run.ts';

const USAGE =
  'usage: pollen adcounter [--seed N] [--clients N] [--ads N] [--min LO,HI] [--period MS] [--offline P]\n' +
  '                        [--away LO,HI] [--membership hyparview|full|client-server] [--retire server|everyone]\n' +
  '                        [--no-rejoin] [--baseline] [--variant lasp|escrow] [--compare] [--json]\n';

function range(s: string | undefined): [number, number] | null {
  const m = /^(\d+),(\d+)$/.exec(s ?? '');
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a <= b ? [a, b] : null;
}

const OPTIONS = {
  seed: { type: 'string' },
  clients: { type: 'string' },
  ads: { type: 'string' },
  period: { type: 'string' },
  offline: { type: 'string' },
  min: { type: 'string' },
  away: { type: 'string' },
  retire: { type: 'string' },
  membership: { type: 'string' },
  'no-rejoin': { type: 'boolean' },
  variant: { type: 'string' },
  compare: { type: 'boolean' },
  baseline: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** Parse argv (node:util parseArgs, strict) into a config, or an error message. */
export function parseArgs(argv: string[]): { cfg: Partial<AdConfig>; baseline: boolean; json: boolean; compare: boolean } | string {
  let v: { [k: string]: string | boolean | undefined };
  try {
    v = nodeParseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (e) {
    return (e as Error).message;
  }
  const cfg: Partial<AdConfig> = {};
  const offline = { ...AD_DEFAULTS.offline };
  for (const k of ['seed', 'clients', 'ads', 'period'] as const) {
    const s = v[k] as string | undefined;
    if (s === undefined) continue;
    const x = Number(s);
    const ok = s !== '' && Number.isFinite(x) && x >= 0 && (k === 'seed' || (Math.floor(x) === x && x >= 1));
    if (!ok) return '--' + k + ' needs a positive integer';
    (cfg as Record<string, number>)[k] = x;
  }
  if (v.offline !== undefined) {
    const x = Number(v.offline);
    if (v.offline === '' || !Number.isFinite(x) || x < 0 || x > 1) return '--offline needs a probability in [0, 1]';
    offline.p = x;
  }
  for (const k of ['min', 'away'] as const) {
    if (v[k] === undefined) continue;
    const r = range(v[k] as string);
    if (!r) return '--' + k + ' needs LO,HI (integers, LO ≤ HI)';
    if (k === 'min') cfg.min = r;
    else offline.away = r;
  }
  if (v.retire !== undefined) {
    if (v.retire !== 'server' && v.retire !== 'everyone') return '--retire is server or everyone';
    cfg.retire = v.retire;
  }
  if (v.membership !== undefined) {
    if (v.membership !== 'hyparview' && v.membership !== 'full' && v.membership !== 'client-server') return '--membership is hyparview, full or client-server';
    cfg.membership = v.membership;
  }
  if (v['no-rejoin']) cfg.rejoin = false;
  if (v.variant !== undefined) {
    if (v.variant !== 'lasp' && v.variant !== 'escrow') return '--variant is lasp or escrow';
    cfg.variant = v.variant;
  }
  cfg.offline = offline;
  return { cfg, baseline: v.baseline === true, json: v.json === true, compare: v.compare === true };
}

function kb(x: number): string {
  return (x / 1024).toFixed(1) + ' KB';
}

function s(x: number): string {
  return (x / 1000).toFixed(2) + ' s';
}

/** The report as text, one fact per line. */
export function format(r: AdReport, base: AdReport | null): string {
  const c = r.config;
  const i = r.impressions;
  const lines = [
    'advertisement counter: ' + c.clients + ' clients, ' + c.ads + ' ads of ' + c.min[0] + '–' + c.min[1] + ' impressions, seed ' + c.seed + ', ' + c.membership + ', retired by ' + c.retire,
    '  offline: chance ' + c.offline.p + ' after each online spell of ' + s(c.offline.online[0]) + '–' + s(c.offline.online[1]) + ', away ' + s(c.offline.away[0]) + '–' + s(c.offline.away[1]) + (c.rejoin ? ', rejoin when back' : ', no rejoin (HyParView retries)'),
    'impressions: ' + i.total + ' shown, ' + i.paid + ' paid for, ' + i.over + ' over the minimum (' + (i.overRatio * 100).toFixed(1) + '%): ' + i.overOffline + ' by offline clients, ' + i.overOnline + ' by online ones',
  ];
  if (base) {
    const b = base.impressions;
    lines.push('  with nobody offline (same seed): ' + b.over + ' over (' + (b.overRatio * 100).toFixed(1) + '%): the cost of being offline is ' + (i.over - b.over) + ' impressions');
  }
  lines.push(
    'convergence: the first node drops an ad ' + s(r.convergence.detect.mean) + ' (max ' + s(r.convergence.detect.max) + ') after its true count reached the minimum,',
    '  the removal then reaches each connected node in ' + s(r.convergence.spread.p50) + ' (p50; p99 ' + s(r.convergence.spread.p99) + ', max ' + s(r.convergence.spread.max) + '; for a node back from offline, counted from its return)',
    '  so an ad is disabled on every online node ' + s(r.convergence.disableOnline.mean) + ' (max ' + s(r.convergence.disableOnline.max) + ') after its minimum, on every node ' + s(r.convergence.disable.mean) + ' (max ' + s(r.convergence.disable.max) + ')',
    '  every replica identical ' + (r.convergence.quiesce === null ? 'never (not converged)' : s(r.convergence.quiesce)) + ' after the last minimum; ads still served: ' + r.unfinished,
    '  every node learned by itself that all ' + (r.config.clients + 1) + ' finished the campaign: ' + (r.convergence.allKnow === null ? 'not all (' + r.convergence.knowing + ' did)' : s(r.convergence.allKnow) + ' after the last ad was retired'),
    'bytes per client: sent ' + kb(r.bytes.client.sent.mean) + ' (max ' + kb(r.bytes.client.sent.max) + '), received ' + kb(r.bytes.client.received.mean) + ' (max ' + kb(r.bytes.client.received.max) + ')',
    '  sent by class: payload ' + kb(r.bytes.client.payload.mean) + ', delta ' + kb(r.bytes.client.delta.mean) + ', state ' + kb(r.bytes.client.state.mean) + ', control ' + kb(r.bytes.client.control.mean) + '; server sent ' + kb(r.bytes.server.sent),
    'simulated ' + s(r.time) + ', ' + r.events + ' events',
  );
  return lines.join('\n') + '\n';
}

/** Cut rates of the comparison: the chance of an offline spell after each online one. */
export const CUT_RATES = [0, 0.1, 0.3, 0.5, 0.7];
/** Clients in the comparison unless --clients says otherwise: ten runs of 200 take long on two cores. */
const COMPARE_CLIENTS = 50;

/** Both variants at every cut rate, the rest of the config as given: the rows of the comparison. */
export function compare(cfg: Partial<AdConfig>): { p: number; lasp: AdReport; escrow: AdReport }[] {
  const c = { ...cfg, clients: cfg.clients ?? COMPARE_CLIENTS };
  return CUT_RATES.map((p) => {
    const o = { ...(c.offline ?? AD_DEFAULTS.offline), p };
    return { p, lasp: runAdCounter({ ...c, offline: o, variant: 'lasp' }), escrow: runAdCounter({ ...c, offline: o, variant: 'escrow' }) };
  });
}

/** The comparison as a markdown table. */
export function formatCompare(rows: { p: number; lasp: AdReport; escrow: AdReport }[]): string {
  const c = rows[0].lasp.config;
  const pct = (x: number): string => (x * 100).toFixed(1) + '%';
  const lines = [
    'advertisement counter, Lasp (G-Counter impressions) vs escrow (bounded-counter rights, ' + c.grant + ' per request): ' + c.clients + ' clients, ' + c.ads + ' ads of ' + c.min[0] + '–' + c.min[1] + ' impressions, seed ' + c.seed + ', ' + c.membership,
    'cut rate: chance of an offline spell (' + s(c.offline.away[0]) + '–' + s(c.offline.away[1]) + ') after each online one (' + s(c.offline.online[0]) + '–' + s(c.offline.online[1]) + '); impressions per second: shown per simulated second from publication until the last ad was retired everywhere',
    '',
    '| cut rate | Lasp: over the minimum | Lasp: impressions/s | escrow: over the minimum | escrow: impressions/s | escrow: shown / paid | converged (Lasp, escrow) |',
    '|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const l = r.lasp.impressions;
    const e = r.escrow.impressions;
    lines.push('| ' + pct(r.p) + ' | ' + l.over + ' (' + pct(l.overRatio) + ') | ' + l.perSecond + ' | ' + e.over + ' (' + pct(e.overRatio) + ') | ' + e.perSecond + ' | ' + e.total + ' / ' + e.paid + ' | ' + (r.lasp.convergence.converged ? 'yes' : 'NO') + ', ' + (r.escrow.convergence.converged ? 'yes' : 'NO') + ' |');
  }
  return lines.join('\n') + '\n';
}

export function main(argv: string[]): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const p = parseArgs(argv);
  if (typeof p === 'string') {
    process.stderr.write(p + '\n' + USAGE);
    return 2;
  }
  if (p.compare) {
    const rows = compare(p.cfg);
    if (p.json) process.stdout.write(JSON.stringify(rows.map((r) => ({ p: r.p, lasp: r.lasp.impressions, escrow: r.escrow.impressions })), null, 2) + '\n');
    else process.stdout.write(formatCompare(rows));
    return rows.every((r) => r.lasp.convergence.converged && r.escrow.convergence.converged) ? 0 : 1;
  }
  const r = runAdCounter(p.cfg);
  const base = p.baseline ? runAdCounter({ ...p.cfg, offline: { ...(p.cfg.offline ?? AD_DEFAULTS.offline), p: 0 } }) : null;
  if (p.json) process.stdout.write(JSON.stringify(base ? { run: r, baseline: base } : r, null, 2) + '\n');
  else process.stdout.write(format(r, base));
  return r.convergence.converged ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
