/**
 * The simulator's event queue: a binary min-heap ordered by (time, insertion number), so events due at the same
 * millisecond run in the order they were scheduled and a run never depends on the heap's internal layout.
 *
 *   const q = new EventQueue();
 *   q.push(10, EV_TIMER, 3, -1, 7, 'pt.flush'); // node 3's timer, generation 7
 *   const e = q.pop();                          // slot index; q.at[e], q.kind[e], q.to[e], q.ref[e] ...
 *   q.free(e);                                  // once its fields are read
 *
 * Performance: a 10,000-node run schedules millions of events. Each event is a slot in parallel typed arrays
 * (time, order, kind, target, source, generation) plus one reference (the frame's bytes, the timer's id, an
 * action); slots are recycled through a free list and the heap holds slot numbers, so scheduling an event
 * allocates nothing once the arrays have grown to the run's peak.
 */

/** A frame arrives at `to` from `from`; ref: Uint8Array. */
export const EV_FRAME = 0;
/** A timer of node `to` fires; gen: its generation; ref: the timer id. */
export const EV_TIMER = 1;
/** A scenario action (crash, partition, broadcast ...); ref: () => void. */
export const EV_ACTION = 2;
/** A link event at `to` about peer `from`; gen: 1 up, 0 down. */
export const EV_LINK = 3;

export class EventQueue {
  at: Float64Array;
  /** Insertion number: the tie-break for equal times. */
  order: Float64Array;
  kind: Uint8Array;
  to: Int32Array;
  from: Int32Array;
  gen: Float64Array;
  ref: unknown[];
  private heap: Int32Array;
  private n = 0;
  private freeList: Int32Array;
  private nFree = 0;
  private cap: number;
  private counter = 0;

  constructor(capacity = 1024) {
    this.cap = capacity;
    this.at = new Float64Array(capacity);
    this.order = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.to = new Int32Array(capacity);
    this.from = new Int32Array(capacity);
    this.gen = new Float64Array(capacity);
    this.ref = new Array(capacity).fill(null);
    this.heap = new Int32Array(capacity);
    this.freeList = new Int32Array(capacity);
    for (let i = capacity - 1; i >= 0; i--) this.freeList[this.nFree++] = i;
  }

  get size(): number {
    return this.n;
  }

  /** Events scheduled so far (also the next insertion number). */
  get scheduled(): number {
    return this.counter;
  }

  /** Time of the next event, or Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Infinity : this.at[this.heap[0]];
  }

  push(at: number, kind: number, to: number, from: number, gen: number, ref: unknown): void {
    if (this.nFree === 0) this.grow();
    const s = this.freeList[--this.nFree];
    this.at[s] = at;
    this.order[s] = this.counter++;
    this.kind[s] = kind;
    this.to[s] = to;
    this.from[s] = from;
    this.gen[s] = gen;
    this.ref[s] = ref;
    let i = this.n++;
    const h = this.heap;
    // Sift up.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p];
      if (this.at[q] < at || (this.at[q] === at && this.order[q] < this.order[s])) break;
      h[i] = q;
      i = p;
    }
    h[i] = s;
  }

  /** Remove the earliest event and return its slot (read its fields, then free it); -1 when empty. */
  pop(): number {
    if (this.n === 0) return -1;
    const h = this.heap;
    const top = h[0];
    const last = h[--this.n];
    if (this.n > 0) {
      // Sift the last element down from the root.
      const at = this.at[last];
      const ord = this.order[last];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= this.n) break;
        const r = c + 1;
        if (r < this.n && (this.at[h[r]] < this.at[h[c]] || (this.at[h[r]] === this.at[h[c]] && this.order[h[r]] < this.order[h[c]]))) c = r;
        const k = h[c];
        if (at < this.at[k] || (at === this.at[k] && ord < this.order[k])) break;
        h[i] = k;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /** Give a popped slot back (drops its reference so bytes can be collected). */
  free(slot: number): void {
    this.ref[slot] = null;
    this.freeList[this.nFree++] = slot;
  }

  private grow(): void {
    const old = this.cap;
    const cap = old * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.at = f64(this.at);
    this.order = f64(this.order);
    this.gen = f64(this.gen);
    const k = new Uint8Array(cap);
    k.set(this.kind);
    this.kind = k;
    const t = new Int32Array(cap);
    t.set(this.to);
    this.to = t;
    const fr = new Int32Array(cap);
    fr.set(this.from);
    this.from = fr;
    const h = new Int32Array(cap);
    h.set(this.heap);
    this.heap = h;
    for (let i = old; i < cap; i++) this.ref.push(null);
    const fl = new Int32Array(cap);
    fl.set(this.freeList.subarray(0, this.nFree));
    this.freeList = fl;
    for (let i = cap - 1; i >= old; i--) this.freeList[this.nFree++] = i;
    this.cap = cap;
  }
}
