/**
 * Where the live view's frames come from:
 * - a simulation (`simSource`): a scenario run in slices of simulated time, paced against the wall clock
 *   (`speed` simulated ms per wall ms), a frame after each slice;
 * - a running cluster (`clusterSource`): each node's /state (served by `pollen node --http`) polled every
 *   `every` ms; a node that stops answering is shown down (one that never answered is not shown);
 * - drivers in this process (`driverSource`): the demo's cluster with `npm start -- --view`.
 * Each returns a stop function.
 */
import { buildSim, checkScenario, type Scenario } from '../sim/scenario.ts';
import type { PollenDriver } from '../../transports/driver.ts';
import { downSnapshot, frameOf, nodeSnapshot, type Frame, type NodeSnapshot } from './snapshot.ts';

/** Nodes drawn from a simulation: more would make an unreadable picture and heavy frames. */
export const MAX_VIEW_NODES = 300;

export function simSource(s: Scenario, push: (f: Frame) => void, o: { speed?: number; slice?: number; loop?: boolean; done?: () => void } = {}): () => void {
  const sc = checkScenario(s);
  if (sc.nodes > MAX_VIEW_NODES) throw new Error('the view draws at most ' + MAX_VIEW_NODES + ' nodes; run this scenario with --nodes ' + MAX_VIEW_NODES + ' or fewer');
  const speed = o.speed ?? 10;
  const slice = o.slice ?? 250;
  let sim = buildSim(sc);
  let t = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const frame = () => frameOf(sim.now, 'sim', sim.nodes.map((n, i) => (n ? nodeSnapshot(n) : downSnapshot(sim.ids[i]))));
  const tick = () => {
    if (stopped) return;
    t = Math.min(sc.duration, t + slice);
    sim.run(t);
    push(frame());
    if (t >= sc.duration) {
      if (!o.loop) {
        o.done?.();
        return;
      }
      sim = buildSim(sc);
      t = 0;
    }
    timer = setTimeout(tick, slice / speed);
  };
  push(frame());
  timer = setTimeout(tick, slice / speed);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export function clusterSource(urls: string[], push: (f: Frame) => void, o: { every?: number } = {}): () => void {
  const every = o.every ?? 500;
  const t0 = Date.now();
  const last = new Map<string, NodeSnapshot>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const snaps = await Promise.all(
      urls.map(async (u) => {
        try {
          const r = await fetch(new URL('state', u.endsWith('/') ? u : u + '/'), { signal: AbortSignal.timeout(every * 2) });
          if (!r.ok) throw new Error(String(r.status));
          const s = (await r.json()) as NodeSnapshot;
          last.set(u, s);
          return s;
        } catch {
          // A node that never answered is not drawn (its id is unknown yet); one that did is drawn down.
          const was = last.get(u);
          return was ? downSnapshot(was.id) : undefined;
        }
      }),
    );
    if (stopped) return;
    push(frameOf(Date.now() - t0, 'cluster', snaps.filter((x): x is NodeSnapshot => x !== undefined)));
    timer = setTimeout(() => void poll(), every);
  };
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export function driverSource(nodes: () => (PollenDriver | undefined)[], ids: string[], push: (f: Frame) => void, o: { every?: number } = {}): () => void {
  const t0 = Date.now();
  const once = () => {
    const ns = nodes();
    push(frameOf(Date.now() - t0, 'cluster', ids.map((id, i) => (ns[i] ? nodeSnapshot(ns[i]!.node) : downSnapshot(id)))));
  };
  once();
  const timer = setInterval(once, o.every ?? 300);
  return () => clearInterval(timer);
}
