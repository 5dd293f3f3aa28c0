/**
 * A progress bar on stderr, for anything that runs longer than a few seconds (simulations, the report, benches).
 * Drawn only when stderr is a terminal or when asked (--progress), so logs and pipes stay clean; redrawn at most
 * every 100 ms, so a tight loop that ticks often costs nothing.
 *
 *   const p = progress('report', 24, { force: a.values.progress === true });
 *   for (...) { work(); p.tick('hyparview delta 100'); }
 *   p.done();
 */
export interface Progress {
  /** One step done; `label` says what is running now. */
  tick(label?: string): void;
  /** Set the count of steps done directly (a simulation reports simulated ms). */
  set(done: number, label?: string): void;
  /** Clear the bar (a final line is the caller's). */
  done(): void;
}

const WIDTH = 28;
const EVERY_MS = 100;

export function progress(title: string, total: number, o: { force?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const out = o.stream ?? process.stderr;
  const on = o.force === true || out.isTTY === true;
  let n = 0;
  let last = 0;
  let label = '';
  const t0 = Date.now();
  const draw = (final: boolean) => {
    if (!on) return;
    const now = Date.now();
    if (!final && now - last < EVERY_MS) return;
    last = now;
    const f = total > 0 ? Math.min(1, n / total) : 0;
    const full = Math.round(f * WIDTH);
    const s = Math.round((now - t0) / 100) / 10;
    const line = title + ' [' + '#'.repeat(full) + '.'.repeat(WIDTH - full) + '] ' + Math.round(f * 100) + '% ' + s + ' s ' + label;
    // On a terminal the line is redrawn in place; elsewhere (forced into a pipe) each draw is its own line.
    if (out.isTTY) out.write('\r\x1b[2K' + line.slice(0, (out.columns || 100) - 1));
    else out.write(line + '\n');
  };
  return {
    tick(l) {
      n++;
      if (l !== undefined) label = l;
      draw(n >= total);
    },
    set(done, l) {
      n = done;
      if (l !== undefined) label = l;
      draw(false);
    },
    done() {
      if (on && out.isTTY) out.write('\r\x1b[2K');
    },
  };
}
