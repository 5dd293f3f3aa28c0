/**
 * Replica ids for dots and counter entries. A node that lost part of its state (a crash before its store caught
 * up, a store restored from an older copy, no store at all) does not know the highest dot it issued, and reusing
 * a dot (r, n) that a peer already holds for another element makes both elements vanish on the next join. So a
 * node issues its dots under `peer@epoch`, where the driver hands a fresh epoch to every start: a counter kept
 * durably in the node's store, or a large random number when there is no store. The peer id (membership,
 * envelopes, routing) never changes; only the CRDT replica id does. The node recovers its earlier lives' state
 * from its peers through anti-entropy, as any other replica's.
 *
 *   replicaOf('a', undefined); // 'a'   (no epoch: the simulator, tests)
 *   replicaOf('a', 3);         // 'a@3' (the epoch in base 36, so a 48-bit random one is at most 10 characters)
 *   peerOf('a@3');             // 'a'
 *
 * The map (peer, epoch) -> peer@epoch is one-to-one: an epoch has no '@', so the last '@' splits it back.
 * Cost: each life that updates a variable adds one entry (its replica id and a counter) to that variable's
 * causal context or counter, for good: entries of distinct replicas cannot be merged without coordination.
 */

/** Separator between the peer id and its epoch (written out in replicaOf). */
export const EPOCH_SEPARATOR = '@';
/** Largest epoch: a safe integer, so that its base-36 form is exact (written out in replicaOf). */
export const MAX_EPOCH = 9007199254740991;

/** Is this a usable epoch (a non-negative safe integer)? */
export function validEpoch(e: unknown): boolean {
  return typeof e === 'number' && e >= 0 && e <= MAX_EPOCH && Math.floor(e) === e;
}

/** The replica id a node issues dots under: the peer id alone without an epoch, else peer@epoch (base 36).
 *  Throws Error for an epoch that is not a non-negative safe integer (the node's knob, checked here: one
 *  function for a board where there were two). */
export function replicaOf(peer: string, epoch: number | undefined): string {
  if (epoch === undefined) return peer;
  // The constants written out: on a board each top-level constant is a variable held for the whole run.
  if (typeof epoch !== 'number' || !(epoch >= 0 && epoch <= 9007199254740991) || Math.floor(epoch) !== epoch) {
    throw new Error('node: epoch = ' + String(epoch) + ' is out of range (an integer from 0 to 2^53 - 1)');
  }
  return peer + '@' + epoch.toString(36);
}

/** The peer a replica id belongs to (the id itself when it carries no epoch). */
export function peerOf(replica: string): string {
  const i = replica.lastIndexOf(EPOCH_SEPARATOR);
  if (i <= 0) return replica;
  const e = replica.substring(i + 1);
  if (e.length === 0) return replica;
  for (let k = 0; k < e.length; k++) {
    const c = e.charCodeAt(k);
    // 0-9 and a-z only: anything else is part of a peer id that happens to hold an '@'.
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return replica;
  }
  return replica.substring(0, i);
}
