/**
 * The memory link: nodes in one process joined through a hub, for tests and the demo. Every link on a hub
 * reaches every other; a frame is copied and delivered on a later turn of the event loop, never inside `send`,
 * so a node never re-enters itself the way it could not on a real link.
 *
 *   const hub = new MemoryHub();
 *   const a = memoryLink(hub, { id: 'a' }), b = memoryLink(hub, { id: 'b' });
 *   b.on('frame', (from, bytes) => console.log(from, bytes));   // 'a', Uint8Array [1, 2]
 *   a.send('b', new Uint8Array([1, 2]));
 *
 * The send queue (one per link, bounded as in link.ts, tail drop) holds frames until the next turn; a peer that
 * left the hub by then makes its frames drop as unreachable.
 */
import type { PeerId } from '../runtime/io.ts';
import { BaseLink, BoundedQueue, type LinkOptions } from './link.ts';

export class MemoryHub {
  /** @internal links by id */
  links: { [id: string]: MemoryLink } = Object.create(null);

  /** @internal */
  attach(link: MemoryLink): void {
    if (this.links[link.self]) throw new Error('memory link: id "' + link.self + '" is already on this hub');
    const others = Object.keys(this.links);
    this.links[link.self] = link;
    for (const id of others) {
      this.links[id].hubPeer(link.self, true);
      link.hubPeer(id, true);
    }
  }

  /** @internal */
  detach(link: MemoryLink): void {
    if (this.links[link.self] !== link) return;
    delete this.links[link.self];
    for (const id of Object.keys(this.links)) this.links[id].hubPeer(link.self, false);
  }
}

export class MemoryLink extends BaseLink {
  readonly kind = 'memory';
  private hub: MemoryHub;
  private q: BoundedQueue<{ to: PeerId; bytes: Uint8Array }>;
  private scheduled = false;

  constructor(hub: MemoryHub, o: LinkOptions) {
    super(o, 'memory');
    this.hub = hub;
    this.q = new BoundedQueue(this.queueFrames, this.queueBytes);
    hub.attach(this);
  }

  /** @internal the hub tells this link a peer joined or left */
  hubPeer(peer: PeerId, up: boolean): void {
    if (up) this.peerUp(peer);
    else this.peerDown(peer);
  }

  send(to: PeerId, bytes: Uint8Array): boolean {
    if (!this.admit(to, bytes)) return false;
    if (!this.hub.links[to]) return this.drop('unreachable', 'no peer "' + to + '" on the memory hub');
    if (!this.q.push({ to, bytes: bytes.slice() }, bytes.length)) {
      return this.drop('queue-full', 'send queue full (' + this.q.length + ' frames, ' + this.q.bytes + ' bytes) for ' + to);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  private flush(): void {
    this.scheduled = false;
    for (let f = this.q.shift(); f && !this.closed; f = this.q.shift()) {
      const peer = this.hub.links[f.to];
      if (!peer) {
        this.drop('unreachable', 'peer "' + f.to + '" left the memory hub before delivery');
        continue;
      }
      this.sent(f.bytes.length);
      peer.receive(this.self, f.bytes);
    }
  }

  /** @internal */
  receive(from: PeerId, bytes: Uint8Array): void {
    this.deliver(from, bytes);
  }

  /** Delivers what is still queued (a node's last DISCONNECTs), then leaves the hub. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.hub.detach(this);
    this.allDown();
    this.closed = true;
  }
}

export function memoryLink(hub: MemoryHub, o: LinkOptions): MemoryLink {
  return new MemoryLink(hub, o);
}
