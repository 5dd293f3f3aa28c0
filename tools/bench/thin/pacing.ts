/** How the bench hands the link's rate to a node's link (none yet: the links neither pace nor batch). */
import type { Link } from '../../../transports/link.ts';

export function pacedLinks(link: Link, _bitsPerSecond: number): Link {
  return link;
}

/** run-node options that tell a node its link's rate. */
export function rateArgs(_bitsPerSecond: number): string[] {
  return [];
}
