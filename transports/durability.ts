/**
 * When a node's state is written to its store, and when an update counts as acknowledged (durable).
 *
 *   const p = new Saver(store, 'sync', () => encodeState(...), onError);
 *   p.changed();                 // the state changed (a local update, a remote delta, a declaration)
 *   await p.durable();           // everything changed so far is in the store
 *
 * Durability modes (the driver's `durability` option):
 * - 'sync' (the default): a save starts as soon as the state changed (on the next turn of the event loop, so a
 *   burst of synchronous calls shares one write); an update's promise resolves once a save that covers it has
 *   finished, i.e. after the file store's fsyncs. Group commit: at most one save runs at a time, and every
 *   change made while it runs is covered by the next one, so the write rate is bounded by the disk, not by the
 *   update rate.
 * - a number N (ms): a save starts N ms after the first change not yet saved; an update's promise resolves after
 *   that save, so within about N ms plus one write. A crash loses at most the last N ms (plus a write) of
 *   updates, and none that was acknowledged.
 *
 * A failed save (StoreFileError: 'full', 'io') rejects the promises of the changes it covered; the next change
 * tries again. Changes from peers are saved the same way but acknowledged to no one.
 */
import { StoreFileError, type NodeStore } from './filestore.ts';

export type Durability = 'sync' | number;

/** Check a durability option; returns an error message, or undefined when it is fine. */
export function checkDurability(d: unknown): string | undefined {
  if (d === 'sync') return undefined;
  if (typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= 3_600_000) return undefined;
  return "durability must be 'sync' or a whole number of ms from 1 to 3600000, got " + String(d);
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Saver {
  /** Changes so far, and the count covered by the last save that finished. */
  private seq = 0;
  private saved = 0;
  private waiters: Waiter[] = [];
  private running: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly stats = { saves: 0, saveErrors: 0, lastSaveMs: 0, lastSaveBytes: 0 };

  constructor(
    private store: NodeStore,
    private mode: Durability,
    private encodeNow: () => Uint8Array,
    private onError: (e: StoreFileError) => void,
  ) {}

  /** The state changed: make sure a save will cover it. */
  changed(): void {
    this.seq++;
    this.schedule();
  }

  /** Resolves once every change so far is saved; rejects with the StoreFileError of the save that covered it. */
  durable(): Promise<void> {
    if (this.saved >= this.seq) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ seq: this.seq, resolve, reject }));
    // After a failed save nothing is scheduled until the next change: a caller waiting now gets a try of its own.
    this.schedule();
    // An application that ignores the promise must not take the process down on a rejection it never awaited.
    p.catch(() => undefined);
    return p;
  }

  /** Save now (at start, at close), behind a save in progress, whatever the mode; rejects when it fails. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
    const err = await this.run();
    if (err) throw err;
  }

  /** Stop scheduling saves (the node closed); pending waiters are rejected. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(new StoreFileError('io', 'the node closed before the update was saved'));
  }

  private schedule(): void {
    if (this.stopped || this.running || this.timer) return;
    const delay = this.mode === 'sync' ? 0 : this.mode;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delay);
  }

  private run(): Promise<StoreFileError | undefined> {
    const target = this.seq;
    const go = async (): Promise<StoreFileError | undefined> => {
      const t0 = performance.now();
      let bytes: Uint8Array | undefined;
      try {
        bytes = this.encodeNow();
        await this.store.save(bytes);
        this.stats.saves++;
        this.stats.lastSaveMs = performance.now() - t0;
        this.stats.lastSaveBytes = bytes.length;
        if (target > this.saved) this.saved = target;
        this.settle(target, undefined);
        return undefined;
      } catch (e) {
        const err = e instanceof StoreFileError ? e : new StoreFileError('io', 'node store: ' + (e as Error).message);
        this.stats.saveErrors++;
        this.settle(target, err);
        this.onError(err);
        return err;
      }
    };
    const p = go().finally(() => {
      this.running = undefined;
      // Changes made while this save ran: the next save covers them all. (After a failure, only a new change
      // tries again: a state over the bound would otherwise be retried in a loop.)
      if (this.seq > target) this.schedule();
    });
    this.running = p;
    return p;
  }

  private settle(upTo: number, err: StoreFileError | undefined): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq > upTo) keep.push(w);
      else if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters = keep;
  }
}
