/**
 * Argument parsing for every `pollen` subcommand and tool entry, on node:util parseArgs: one place that turns a
 * bad option into a usage error (exit 2) with the command's usage, and `--help` into its usage (exit 0).
 *
 *   const a = parse(argv, { seed: { type: 'string' }, quick: { type: 'boolean' } }, USAGE);
 *   if (typeof a === 'number') return a;          // --help printed (0) or a usage error printed (2)
 *   const seed = num(a.values.seed, '--seed', 1);  // throws UsageError on "abc"
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: printed with the usage, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: { [k: string]: string | boolean | string[] | boolean[] | undefined };
  positionals: string[];
}

/**
 * Parse `argv` strictly against `options` (plus --help/-h). Returns the parsed values, or an exit status after
 * printing: 0 for --help (usage on stdout), 2 for an unknown or malformed option (message and usage on stderr).
 */
export function parse(argv: string[], options: Options, usage: string, positionals = true): Parsed | number {
  let r: Parsed;
  try {
    r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true }) as Parsed;
  } catch (e) {
    process.stderr.write((e as Error).message + '\n\n' + usage.trimEnd() + '\n');
    return 2;
  }
  if (r.values.help) {
    process.stdout.write(usage.trimEnd() + '\n');
    return 0;
  }
  return r;
}

/** A number option: undefined stays undefined (or `dflt`); anything not a finite number ≥ min is a UsageError. */
export function num(v: unknown, name: string, dflt?: number, min = -Infinity): number {
  if (v === undefined) {
    if (dflt === undefined) throw new UsageError(name + ' is required');
    return dflt;
  }
  const x = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(x) || x < min) {
    throw new UsageError(name + ' needs a number' + (min > -Infinity ? ' ≥ ' + min : '') + ', got "' + String(v) + '"');
  }
  return x;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(v: unknown, name: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw new UsageError(name + ' is one of ' + allowed.join(', ') + ', got "' + String(v) + '"');
  return v as T;
}

/** A comma-separated list (empty items dropped). */
export function list(v: unknown): string[] {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * Run a subcommand body: a UsageError prints its message and the usage (exit 2); any other error prints
 * "pollen <cmd>: message" (exit 1), since it is a failure of the run rather than of the command line.
 */
export async function guard(cmd: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write('pollen ' + cmd + ': ' + e.message + '\n\n' + usage.trimEnd() + '\n');
      return 2;
    }
    process.stderr.write('pollen ' + cmd + ': ' + (e instanceof Error ? e.message : String(e)) + '\n');
    return 1;
  }
}
