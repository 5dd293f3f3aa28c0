/**
 * The bodies of anti-entropy's messages (DELTA, ACK, DIGEST, STATE: PROTOCOL.md, "Delta anti-entropy") read and
 * checked whole, before anything changes: a malformed one throws DecodeError. Used by runtime/antientropy.ts.
 */
import type { Core, Item } from '../crdt/types.ts';
import { DecodeError } from '../crdt/errors.ts';
import { arr, nat, str } from '../crdt/check.ts';
import { type Registry, typeOf, canonicalSpec } from '../crdt/registry.ts';
import { ACK, DELTA, DIGEST, STATE } from './messages.ts';
import { DEFAULT_MAX_VARS, validId } from './store.ts';

/** A decoded entry of a DELTA or STATE frame, checked before anything is applied. */
export interface Incoming {
  id: string;
  spec: string;
  /** null: a type this node does not hold (the entry is skipped). */
  type: Core<any, any> | null;
  delta: unknown;
}

/** The canonical spec when this registry holds its type, or null (unknown, or malformed: either way never
 *  joinable here). */
export function held(types: Registry, spec: string): string | null {
  try {
    return canonicalSpec(types, spec);
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}

export function readEntries(item: Item, max: number, types: Registry): Incoming[] {
  const list = arr(item, 'entries');
  if (list.length > max) throw new DecodeError('count', 'entries: ' + list.length + ' exceeds ' + max);
  const out: Incoming[] = [];
  let prev: string | undefined;
  for (let i = 0; i < list.length; i++) {
    const e = arr(list[i], 'entry', 3);
    const id = str(e[0], 'variable id');
    if (!validId(id)) throw new DecodeError('type', 'bad variable id');
    if (prev !== undefined && !(prev < id)) throw new DecodeError('type', 'entries must be sorted by variable id');
    prev = id;
    const spec = held(types, str(e[1], 'spec'));
    // A type this node does not hold (a board next to a Pi) is left out, not the whole frame: the rest applies.
    if (spec === null) out.push({ id: id, spec: '', type: null, delta: null });
    else {
      const type = typeOf(types, spec);
      out.push({ id: id, spec: spec, type: type, delta: type.decode(e[2]) });
    }
  }
  return out;
}

/** A body of DELTA, ACK, DIGEST or STATE, checked whole before anything changes. */
export interface Body {
  /** DIGEST and ACK: 0 or 1 (see the header); DELTA and STATE: 0. */
  kind: number;
  /** The incarnation echoed by a request or an ack (-1 where the body has none). */
  inc: number;
  /** upTo (DELTA, ACK 0) or mark (STATE, DIGEST, ACK 1). */
  n: number;
  entries: Incoming[];
  /** Offered [varId, spec, digest] (DIGEST 0). */
  offers: Item[][];
  /** Requested or acknowledged variable ids (DIGEST 1, ACK 1). */
  ids: string[];
}

function idList(item: Item, max: number): string[] {
  const b = arr(item, 'ids');
  if (b.length > max) throw new DecodeError('count', 'ids: ' + b.length + ' exceeds ' + max);
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) out.push(str(b[i], 'variable id'));
  return out;
}

/**
 * Most variables one frame may name (entries, offers, ids). Not this node's own maxVars: a peer may hold more
 * variables than this node (a Pi next to a board), and its offers and DELTA frames name them all; refusing the
 * frame whole would leave its round or its deltas unacknowledged for ever. 4 x DEFAULT_MAX_VARS, or 4 x our own
 * bound when larger; the decode limits bound the bytes.
 */
function listCap(maxVars: number): number {
  return 4 * (maxVars > DEFAULT_MAX_VARS ? maxVars : DEFAULT_MAX_VARS);
}

export function readBody(type: number, body: Item, maxVars: number, types: Registry): Body {
  const b = arr(body, 'body');
  const m: Body = { kind: 0, inc: -1, n: 0, entries: [], offers: [], ids: [] };
  if (type === DELTA || type === STATE) {
    if (b.length !== 2) throw new DecodeError('type', type === DELTA ? 'DELTA: expected [upTo, entries]' : 'STATE: expected [mark, entries]');
    m.n = nat(b[0], type === DELTA ? 'upTo' : 'mark');
    m.entries = readEntries(b[1], listCap(maxVars), types);
    return m;
  }
  m.kind = nat(b[0], type === DIGEST ? 'digest kind' : 'ack kind');
  if (type === DIGEST && m.kind === 0) {
    if (b.length !== 3) throw new DecodeError('type', 'DIGEST offer: expected [0, mark, offers]');
    m.n = nat(b[1], 'mark');
    const offers = arr(b[2], 'offers');
    if (offers.length > listCap(maxVars)) throw new DecodeError('count', 'DIGEST: too many offers');
    let prev: string | undefined;
    for (let i = 0; i < offers.length; i++) {
      const o = arr(offers[i], 'offer', 3);
      const id = str(o[0], 'variable id');
      if (prev !== undefined && !(prev < id)) throw new DecodeError('type', 'offers must be sorted by variable id');
      prev = id;
      m.offers.push([id, str(o[1], 'spec'), nat(o[2], 'digest')]);
    }
  } else if (type === ACK && m.kind === 0) {
    if (b.length !== 3) throw new DecodeError('type', 'ACK: expected [0, inc, upTo]');
    m.inc = nat(b[1], 'incarnation');
    m.n = nat(b[2], 'upTo');
  } else if (m.kind === 1) {
    if (b.length !== 4) throw new DecodeError('type', type === DIGEST ? 'DIGEST request: expected [1, inc, mark, ids]' : 'ACK: expected [1, inc, mark, ids]');
    m.inc = nat(b[1], 'incarnation');
    m.n = nat(b[2], 'mark');
    m.ids = idList(b[3], listCap(maxVars));
  } else throw new DecodeError('type', (type === DIGEST ? 'DIGEST' : 'ACK') + ': unknown kind ' + m.kind);
  return m;
}
