/** How the bench tells a node its link's rate: pacing and batching (transports/pace.ts) and periods scaled to it. */
import type { Link } from '../../../transports/link.ts';
import { pace, thinConfig } from '../../../transports/pace.ts';

export function pacedLinks(link: Link, bitsPerSecond: number): Link {
  return pace(link, { bitsPerSecond });
}

export function nodeConfig(bitsPerSecond: number): object {
  return thinConfig(bitsPerSecond, 'full');
}

/** run-node options that tell a node its link's rate. */
export function rateArgs(bitsPerSecond: number): string[] {
  return ['--rate', String(bitsPerSecond)];
}
