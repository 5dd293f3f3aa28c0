/**
 * The fuzzing loop shared by every target: draw an input (tools/fuzz/mutate.ts), run it, and sort the outcome.
 * An input either passes, or is rejected with a typed error (DecodeError and kin: counted by reason), or is a
 * finding: any other exception (a crash) or a broken invariant the target checks (thrown as Finding). Each input's
 * CPU time in `run` is measured; one over SLOW_MS is run again, up to twice, and counted slow only if every run
 * was (a GC pause that happened to land on it is not a finding). A target's `verify`, the checks that cost more
 * than the work they check, runs after and outside the timing.
 *
 *   const rep = fuzz(target, 10000, 1);  // 10,000 inputs, seed 1
 *   rep.crashes;                         // 0, or the count, with samples in rep.findings
 */
import { type Rng, below, fork, rng } from '../../runtime/rng.ts';
import { nextInput } from './mutate.ts';

/** An input over this much CPU is a slow case (issue 12: the cost of a frame is bounded by its size). */
export const SLOW_MS = 50;
/** Runs again of an input over SLOW_MS; it counts as slow only if every run was (a GC pause lands on one run). */
const RETRIES = 2;
/** Inputs kept to mutate from: the seeds plus accepted inputs, up to this many (then a random one is replaced). */
const CORPUS_MAX = 2000;
/** Findings kept per target with their bytes (the rest are only counted). */
const SAMPLES = 8;

/** A broken invariant (not a crash of the code, a wrong answer from it). */
export class Finding extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Finding';
  }
}

export interface Target {
  name: string;
  /** Largest input, in bytes. */
  max: number;
  /** Real inputs to start from. */
  seeds(): Uint8Array[];
  /**
   * Run one input. Returns 'ok' or a reason it was refused; throws Finding for a wrong answer. A typed refusal
   * (DecodeError…) may also be thrown: `reasonOf` names it. Anything else thrown is a crash.
   */
  run(input: Uint8Array, r: Rng): string;
  /**
   * Checks of what `run` just computed on an accepted input (throw Finding), not timed: e.g. a type's laws, which
   * take several more passes over the state than a node ever spends on it.
   */
  verify?(): void;
  /** Called every `resetEvery` inputs (e.g. a fresh node, so one run's state does not grow without end). */
  reset?(): void;
  resetEvery?: number;
  /** Hand-built inputs (e.g. semantically hostile frames), drawn for one input in `generateOdds`. */
  generate?(r: Rng): Uint8Array;
  generateOdds?: number;
}

export interface Sample {
  kind: 'crash' | 'finding' | 'slow';
  message: string;
  ms: number;
  size: number;
  /** The input, hex, to turn into a regression test. */
  hex: string;
}

export interface Report {
  target: string;
  seed: number;
  inputs: number;
  /** Of the inputs, how many the target's own generator built (the rest are seeds and mutations). */
  generated: number;
  accepted: number;
  rejects: { [reason: string]: number };
  crashes: number;
  findings: number;
  slow: number;
  samples: Sample[];
  /** CPU ms of the slowest input, and its size in bytes. */
  worstMs: number;
  worstSize: number;
  /** Input bytes, largest seen. */
  maxSize: number;
  peakHeapMB: number;
  peakRssMB: number;
  seconds: number;
}

/** The reason of a typed error (DecodeError, StoreError, MutatorError, DataflowError…), or null for anything else. */
export function reasonOf(e: unknown): string | null {
  if (e instanceof Finding) return null;
  const x = e as { name?: unknown; reason?: unknown };
  if (x && typeof x.reason === 'string' && typeof x.name === 'string' && /Error$/.test(x.name) && x.name !== 'Error') {
    return x.name + ':' + x.reason;
  }
  return null;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

type Outcome = { out: string; kind: 'ok' | 'reject' | 'crash' | 'finding'; message: string; ms: number };

/** Run one input and sort the outcome; returns the outcome and the CPU time of `run`. */
function once(t: Target, input: Uint8Array, r: Rng): Outcome {
  const t0 = cpuMs();
  let out: string;
  try {
    out = t.run(input, r);
  } catch (e) {
    return thrown(e, cpuMs() - t0);
  }
  const ms = cpuMs() - t0;
  if (out !== 'ok') return { out: out, kind: 'reject', message: '', ms: ms };
  if (t.verify) {
    try {
      t.verify();
    } catch (e) {
      return thrown(e, ms);
    }
  }
  return { out: out, kind: 'ok', message: '', ms: ms };
}

/** The outcome of an input that threw: a typed refusal (by reason), a finding or a crash. */
function thrown(e: unknown, ms: number): Outcome {
  const why = reasonOf(e);
  if (why !== null) return { out: why, kind: 'reject', message: '', ms: ms };
  const message = e instanceof Error ? (e.stack || e.message).split('\n').slice(0, 4).join(' | ') : String(e);
  return { out: 'ok', kind: e instanceof Finding ? 'finding' : 'crash', message: message, ms: ms };
}

export function fuzz(t: Target, inputs: number, seed: number, progress?: (done: number) => void): Report {
  const r = rng(seed);
  const gen = fork(r, 1);
  const runR = fork(r, 2);
  const corpus = t.seeds().filter((s) => s.length <= t.max);
  const rep: Report = {
    target: t.name, seed: seed, inputs: 0, generated: 0, accepted: 0, rejects: {}, crashes: 0, findings: 0, slow: 0, samples: [],
    worstMs: 0, worstSize: 0, maxSize: 0, peakHeapMB: 0, peakRssMB: 0, seconds: 0,
  };
  const start = Date.now();
  const every = t.resetEvery ?? 0;
  for (let i = 0; i < inputs; i++) {
    if (every > 0 && i > 0 && i % every === 0 && t.reset) t.reset();
    // The seeds themselves go first, unmutated: they must pass.
    let input: Uint8Array;
    if (i < corpus.length && i < inputs / 10) input = corpus[i];
    else if (t.generate && below(gen, t.generateOdds ?? 3) === 0) {
      input = t.generate(gen);
      rep.generated++;
    } else input = nextInput(gen, corpus, t.max);
    // Each input's run draws from a generator of its own, so a run again does the same work, and how many
    // runs timing asked for never shifts the inputs after it.
    const own = below(runR, 4294967296);
    let res = once(t, input, rng(own));
    for (let k = 0; k < RETRIES && res.ms > SLOW_MS && res.kind !== 'crash'; k++) {
      const again = once(t, input, rng(own));
      if (again.ms < res.ms) res = again;
    }
    rep.inputs++;
    if (input.length > rep.maxSize) rep.maxSize = input.length;
    if (res.ms > rep.worstMs) {
      rep.worstMs = res.ms;
      rep.worstSize = input.length;
    }
    if (res.kind === 'ok') {
      rep.accepted++;
      if (corpus.length < CORPUS_MAX) corpus.push(input);
      else if ((i & 7) === 0) corpus[(i >>> 3) % CORPUS_MAX] = input;
    } else if (res.kind === 'reject') {
      rep.rejects[res.out] = (rep.rejects[res.out] || 0) + 1;
    } else {
      if (res.kind === 'crash') rep.crashes++;
      else rep.findings++;
      if (rep.samples.length < SAMPLES) rep.samples.push({ kind: res.kind, message: res.message, ms: res.ms, size: input.length, hex: hex(input) });
    }
    if (res.ms > SLOW_MS) {
      rep.slow++;
      if (rep.samples.length < SAMPLES) rep.samples.push({ kind: 'slow', message: res.out, ms: res.ms, size: input.length, hex: hex(input) });
    }
    if ((i & 1023) === 0) {
      const m = process.memoryUsage();
      rep.peakHeapMB = Math.max(rep.peakHeapMB, m.heapUsed / 1048576);
      rep.peakRssMB = Math.max(rep.peakRssMB, m.rss / 1048576);
      if (progress && (i & 65535) === 0) progress(i);
    }
  }
  const m = process.memoryUsage();
  rep.peakHeapMB = Math.round(Math.max(rep.peakHeapMB, m.heapUsed / 1048576) * 10) / 10;
  rep.peakRssMB = Math.round(Math.max(rep.peakRssMB, m.rss / 1048576) * 10) / 10;
  rep.worstMs = Math.round(rep.worstMs * 100) / 100;
  rep.seconds = Math.round((Date.now() - start) / 100) / 10;
  return rep;
}
