/**
 * When a node's state is written to its store, and when an update counts as acknowledged (durable).
 *
 *   const p = saver(store, 'sync', () => encodeState(...), onError);
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
import { StoreFileError, type NodeStore } from './savedstate.ts';

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

/** Saves a node's state to its store by the durability mode (see the top of this file). */
export interface Saver {
  readonly stats: { saves: number; saveErrors: number; lastSaveMs: number; lastSaveBytes: number };
  /** The state changed: make sure a save will cover it. */
  changed(): void;
  /** Resolves once every change so far is saved; rejects with the StoreFileError of the save that covered it. */
  durable(): Promise<void>;
  /** Save now (at start, at close), behind a save in progress, whatever the mode; rejects when it fails. */
  flush(): Promise<void>;
  /** Stop scheduling saves (the node closed); pending waiters are rejected. */
  stop(): void;
}

/** A saver of what `encodeNow` gives to `store`; a failed save is passed to `onError` (and rejects its waiters).
 *  A closure rather than a class, so that a page's minifier shortens its state's names. */
export function saver(store: NodeStore, mode: Durability, encodeNow: () => Uint8Array, onError: (e: StoreFileError) => void): Saver {
  /** Changes so far, and the count covered by the last save that finished. */
  let seq = 0;
  let saved = 0;
  let waiters: Waiter[] = [];
  let running: Promise<unknown> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const stats = { saves: 0, saveErrors: 0, lastSaveMs: 0, lastSaveBytes: 0 };

  const schedule = (): void => {
    if (stopped || running || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, mode === 'sync' ? 0 : mode);
  };

  const settle = (upTo: number, err: StoreFileError | undefined): void => {
    const keep: Waiter[] = [];
    for (const w of waiters) {
      if (w.seq > upTo) keep.push(w);
      else if (err) w.reject(err);
      else w.resolve();
    }
    waiters = keep;
  };

  const run = (): Promise<StoreFileError | undefined> => {
    const target = seq;
    const go = async (): Promise<StoreFileError | undefined> => {
      const t0 = performance.now();
      try {
        const bytes = encodeNow();
        await store.save(bytes);
        stats.saves++;
        stats.lastSaveMs = performance.now() - t0;
        stats.lastSaveBytes = bytes.length;
        if (target > saved) saved = target;
        settle(target, undefined);
        return undefined;
      } catch (e) {
        const err = e instanceof StoreFileError ? e : new StoreFileError('io', 'node store: ' + (e as Error).message);
        stats.saveErrors++;
        settle(target, err);
        onError(err);
        return err;
      }
    };
    const p = go().finally(() => {
      running = undefined;
      // Changes made while this save ran: the next save covers them all. (After a failure, only a new change
      // tries again: a state over the bound would otherwise be retried in a loop.)
      if (seq > target) schedule();
    });
    running = p;
    return p;
  };

  return {
    stats,
    changed() {
      seq++;
      schedule();
    },
    durable() {
      if (saved >= seq) return Promise.resolve();
      const p = new Promise<void>((resolve, reject) => waiters.push({ seq, resolve, reject }));
      // After a failed save nothing is scheduled until the next change: a caller waiting now gets a try of its own.
      schedule();
      // An application that ignores the promise must not take the process down on a rejection it never awaited.
      p.catch(() => undefined);
      return p;
    },
    async flush() {
      clearTimeout(timer);
      timer = undefined;
      while (running) await running;
      const err = await run();
      if (err) throw err;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      const ws = waiters;
      waiters = [];
      for (const w of ws) w.reject(new StoreFileError('io', 'the node closed before the update was saved'));
    },
  };
}
