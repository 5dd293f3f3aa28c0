/**
 * `npm start`: the main job on embedded defaults. Until the node driver and links exist this is the smallest
 * honest demo of what Pollen promises: three replicas update a counter, a shopping list and a register while
 * apart, then exchange their deltas as CBOR frames in a shuffled order with duplicates and losses, repair the
 * losses with one full-state merge, and end with the same values.
 *
 *   npm start
 */
import { encode, decode } from '../crdt/codec/cbor.ts';
import { typeOf } from '../crdt/registry.ts';
import type { Item } from '../crdt/types.ts';

const REPLICAS = ['pi', 'puck', 'phone'];
const VARS: { [id: string]: string } = { visits: 'pncounter', list: 'orset', mood: 'mvregister' };

interface Frame {
  to: string;
  bytes: Uint8Array;
}

// A fixed seed: the demo prints the same story every time.
let seed = 7;
function rand(): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
}

const state: { [replica: string]: { [id: string]: any } } = {};
for (const r of REPLICAS) {
  state[r] = {};
  for (const id of Object.keys(VARS)) state[r][id] = typeOf(VARS[id]).bottom();
}

const wire: Frame[] = [];
let deltaBytes = 0;

/** Apply a mutator on one replica and queue its delta frame for the others; returns the frame. */
function update(replica: string, id: string, mutator: string, args: Item[]): Uint8Array {
  const t = typeOf(VARS[id]);
  const d = t.mutators[mutator](state[replica][id], replica, args);
  state[replica][id] = t.join(state[replica][id], d);
  const bytes = encode([id, t.encode(d)]);
  deltaBytes += bytes.length;
  for (const to of REPLICAS) if (to !== replica) wire.push({ to: to, bytes: bytes });
  console.log(`${replica.padEnd(6)} ${id}.${mutator}(${args.map((a) => JSON.stringify(a)).join(', ')})  -> delta of ${bytes.length} bytes`);
  return bytes;
}

function receive(to: string, bytes: Uint8Array): void {
  const item = decode(bytes) as Item[];
  const id = item[0] as string;
  const t = typeOf(VARS[id]);
  state[to][id] = t.join(state[to][id], t.decode(item[1]));
}

function show(title: string): void {
  console.log('\n' + title);
  for (const r of REPLICAS) {
    const v = Object.keys(VARS).map((id) => `${id}=${JSON.stringify(typeOf(VARS[id]).value(state[r][id]))}`);
    console.log(`  ${r.padEnd(6)} ${v.join('  ')}`);
  }
}

console.log('Pollen demo: three replicas, updated while apart\n');
update('pi', 'visits', 'inc', [3]);
update('puck', 'visits', 'inc', [1]);
update('phone', 'visits', 'dec', [1]);
const milk = update('pi', 'list', 'add', ['milk']);
update('phone', 'list', 'add', ['eggs']);
update('puck', 'list', 'add', ['bread']);
// The phone removes milk after hearing of it, while the Pi adds it again: add wins.
receive('phone', milk);
update('phone', 'list', 'remove', ['milk']);
update('pi', 'list', 'add', ['milk']);
update('pi', 'mood', 'set', ['sunny']);
update('puck', 'mood', 'set', ['windy']);
show('Before they talk:');

// Deliver every frame in a random order, a quarter of them twice and a tenth of them never.
const order = wire.slice().sort(() => rand() - 0.5);
let lost = 0;
for (const f of order) {
  if (rand() < 0.1) {
    lost++;
    continue;
  }
  receive(f.to, f.bytes);
  if (rand() < 0.25) receive(f.to, f.bytes);
}
show(`After ${order.length} delta frames (${deltaBytes} bytes sent), shuffled, some duplicated, ${lost} lost:`);

// Anti-entropy's backstop: one full-state exchange around the ring repairs whatever was lost.
let stateBytes = 0;
for (let round = 0; round < 2; round++) {
  for (let i = 0; i < REPLICAS.length; i++) {
    const from = REPLICAS[i];
    const to = REPLICAS[(i + 1) % REPLICAS.length];
    for (const id of Object.keys(VARS)) {
      const bytes = encode([id, typeOf(VARS[id]).encode(state[from][id])]);
      stateBytes += bytes.length;
      receive(to, bytes);
    }
  }
}
show(`After a full-state ring exchange (${stateBytes} bytes):`);

const same = Object.keys(VARS).every((id) => {
  const t = typeOf(VARS[id]);
  return REPLICAS.every((r) => t.leq(state[r][id], state[REPLICAS[0]][id]) && t.leq(state[REPLICAS[0]][id], state[r][id]));
});
console.log(same ? '\nAll replicas hold the same state.' : '\nReplicas differ: this is a bug.');
process.exitCode = same ? 0 : 1;
