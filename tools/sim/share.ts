/**
 * Shared configuration for simulated nodes. Every node's parts copy their knobs at creation (membership,
 * Plumtree, anti-entropy and dataflow each hold a `cfg`, the node its decoding limits): on a board that is one
 * copy, in a 10^5-node run it is 10^5 copies of the same few objects. The simulator keeps one canonical object per
 * distinct configuration and points every node whose copy has the same contents at it. The runtime never writes
 * a cfg after its part's init (the client-server manager sorts its server list during init, before this runs),
 * so sharing changes nothing a node does; nodes given their own knobs (a server's) keep their own object.
 */
import type { PollenNode } from '../../runtime/full.ts';

/** Where a node holds a configuration object: the holder (a part of the node) and the field. */
const PLACES: [string | null, string][] = [
  ['ms', 'cfg'],
  ['pt', 'cfg'],
  ['ae', 'cfg'],
  ['df', 'cfg'],
  [null, 'limits'],
];

/** One canonical object per place and distinct contents (keyed by the contents as JSON). */
export class SharedConfig {
  private canon: Map<string, object>[] = PLACES.map(() => new Map());
  /** Objects replaced by a shared one (a figure for the memory report). */
  shared = 0;

  /** Point the node's configuration objects at the canonical ones with the same contents. */
  share(node: PollenNode): void {
    const n = node as unknown as Record<string, any>;
    for (let k = 0; k < PLACES.length; k++) {
      const part = PLACES[k][0];
      const holder = part === null ? n : n[part];
      if (!holder || typeof holder !== 'object') continue;
      const field = PLACES[k][1];
      const cfg = holder[field];
      if (!cfg || typeof cfg !== 'object') continue;
      const key = JSON.stringify(cfg);
      const c = this.canon[k].get(key);
      if (c === undefined) this.canon[k].set(key, cfg);
      else if (c !== cfg) {
        holder[field] = c;
        this.shared++;
      }
    }
  }
}
