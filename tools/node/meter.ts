/**
 * A link wrapped to count its traffic by class (control, payload, delta, state): the driver hands a link only
 * bytes, so the class is read from the envelope's message type (runtime/messages.ts), the one byte that says it
 * without decoding the frame. The counts feed /metrics as pollen_link_*_total{link, class}.
 *
 *   const m = metered(await mqttLink({...}));   // use m wherever the link would go
 *   m.byClass.out.delta.bytes;
 */
import { GOSSIP, DELTA, STATE } from '../../runtime/messages.ts';
import type { PeerId } from '../../runtime/io.ts';
import type { Link, LinkCounters, LinkEvents } from '../../transports/link.ts';

export const CLASSES = ['control', 'payload', 'delta', 'state'] as const;
export type Cls = (typeof CLASSES)[number];

type Tally = { [c in Cls]: { frames: number; bytes: number } };

function tally(): Tally {
  return { control: { frames: 0, bytes: 0 }, payload: { frames: 0, bytes: 0 }, delta: { frames: 0, bytes: 0 }, state: { frames: 0, bytes: 0 } };
}

/**
 * The class of a frame from its envelope [VERSION, type, …]: 0x85, the version, then the type in one byte (or
 * 0x18 and one byte). A DELTA that carries whole states (anti-entropy's state mode) still counts as delta here.
 */
export function classOf(b: Uint8Array): Cls {
  if (b.length < 3) return 'control';
  const t = b[2] < 24 ? b[2] : b[2] === 24 && b.length > 3 ? b[3] : -1;
  return t === GOSSIP ? 'payload' : t === DELTA ? 'delta' : t === STATE ? 'state' : 'control';
}

export class MeteredLink implements Link {
  readonly inner: Link;
  readonly byClass = { in: tally(), out: tally() };
  constructor(inner: Link) {
    this.inner = inner;
    inner.on('frame', (_from, bytes) => {
      const c = this.byClass.in[classOf(bytes)];
      c.frames++;
      c.bytes += bytes.length;
    });
  }
  get kind(): string {
    return this.inner.kind;
  }
  get self(): PeerId {
    return this.inner.self;
  }
  get maxFrame(): number {
    return this.inner.maxFrame;
  }
  get counters(): LinkCounters {
    return this.inner.counters;
  }
  send(to: PeerId, bytes: Uint8Array): boolean {
    const ok = this.inner.send(to, bytes);
    if (ok) {
      const c = this.byClass.out[classOf(bytes)];
      c.frames++;
      c.bytes += bytes.length;
    }
    return ok;
  }
  peers(): PeerId[] {
    return this.inner.peers();
  }
  on<E extends keyof LinkEvents>(event: E, fn: LinkEvents[E]): () => void {
    return this.inner.on(event, fn);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export function metered(l: Link): MeteredLink {
  return new MeteredLink(l);
}
