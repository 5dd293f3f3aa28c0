/**
 * Pollen variables as a Homie 5 device (the Homie convention, v5.0): what Home Assistant, Node-RED and openHAB
 * read without knowing Pollen. Pure functions: topic ids, the device description, value payloads, and the
 * update a `/set` command turns into. tools/bridge/cmd.ts does the MQTT.
 *
 * The layout, all retained except /set (QoS 1):
 *   homie/5/<device>/$state                 init → ready; 'lost' is the MQTT will, 'disconnected' on a clean stop
 *   homie/5/<device>/$description           JSON: { homie: '5.0', version, name, nodes: { vars: { properties } } }
 *   homie/5/<device>/vars/<property>        the variable's value
 *   homie/5/<device>/vars/<property>/set    a controller's command (settable properties only)
 *
 * One Homie node, `vars`, holds one property per variable. Homie ids are lowercase letters, digits and hyphens, so a
 * variable name is folded (lower case, anything else to '-') and made unique with a suffix; the property's `name`
 * keeps the Pollen name. The datatype follows the CRDT: counters are integers, flags booleans, a last-writer-wins
 * register holding a number a float (a string a string), everything else JSON. `version` grows with each change
 * of the description (a variable appears, a register's datatype settles), as v5 asks.
 */
import type { Item } from '../../crdt/types.ts';

export type Datatype = 'integer' | 'float' | 'boolean' | 'string' | 'json';

export interface Property {
  /** The Pollen variable. */
  variable: string;
  /** Its type spec ('lww', 'pncounter', …). */
  spec: string;
  id: string;
  datatype: Datatype;
  settable: boolean;
}

export const HOMIE_NODE = 'vars';

/** A Homie topic id from any string: lowercase a-z, 0-9 and '-', no leading or trailing '-', never empty. */
export function homieId(s: string): string {
  const id = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return id === '' ? 'x' : id;
}

/** The base type of a spec: 'awmap(pncounter)' → 'awmap'. */
function base(spec: string): string {
  const k = spec.indexOf('(');
  return k < 0 ? spec : spec.slice(0, k);
}

const SETTABLE = ['gcounter', 'pncounter', 'maxint', 'lww', 'mvregister', 'ewflag', 'dwflag', 'gset', 'orset'];

export function datatypeOf(spec: string, value: unknown): Datatype {
  const b = base(spec);
  if (b === 'gcounter' || b === 'pncounter' || b === 'maxint' || b === 'bcounter') return 'integer';
  if (b === 'ewflag' || b === 'dwflag') return 'boolean';
  if (b === 'lww') return typeof value === 'number' ? 'float' : typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean' : 'json';
  return 'json';
}

/** Properties for the variables (name → spec, value), with ids unique within the node. */
export function properties(vars: { name: string; spec: string; value: unknown }[]): Property[] {
  const used = new Set<string>();
  return vars
    .slice()
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((v) => {
      let id = homieId(v.name);
      for (let k = 2; used.has(id); k++) id = homieId(v.name) + '-' + k;
      used.add(id);
      return { variable: v.name, spec: v.spec, id, datatype: datatypeOf(v.spec, v.value), settable: SETTABLE.includes(base(v.spec)) };
    });
}

export function description(name: string, version: number, props: Property[]): object {
  const ps: { [id: string]: object } = {};
  for (const p of props) ps[p.id] = { name: p.variable, datatype: p.datatype, settable: p.settable, retained: true };
  return { homie: '5.0', version, name, nodes: { [HOMIE_NODE]: { name: 'Pollen variables', type: 'pollen', properties: ps } } };
}

/** The payload of a value: numbers and strings as they are, booleans as true/false, the rest as JSON. */
export function payloadOf(p: Property, value: unknown): string {
  if (p.datatype === 'integer' || p.datatype === 'float') return typeof value === 'number' ? String(value) : '0';
  if (p.datatype === 'boolean') return value ? 'true' : 'false';
  if (p.datatype === 'string') {
    const s = typeof value === 'string' ? value : String(value ?? '');
    // An empty payload would delete the retained topic: Homie spells the empty string as one 0x00 byte.
    return s === '' ? '\u0000' : s;
  }
  return JSON.stringify(value ?? null);
}

/** An update for the node: mutator and arguments. */
export interface Update {
  mutator: string;
  args: Item[];
}

/**
 * What a `/set` payload asks of a variable whose value is `current`: the updates that bring it there, [] when it
 * is there already; a string with the reason when the command cannot be carried out (bad payload, a counter asked to
 * go down, a type that is not settable). `now` stamps register writes (ms; kept above the held stamp by the caller).
 */
export function updatesFor(p: Property, current: unknown, payload: string, now: number): Update[] | string {
  const b = base(p.spec);
  if (!p.settable) return p.variable + ' (' + p.spec + ') is not settable';
  const int = () => (/^-?\d+$/.test(payload.trim()) ? Number(payload) : NaN);
  if (b === 'gcounter' || b === 'pncounter' || b === 'maxint') {
    const n = int();
    if (!Number.isSafeInteger(n)) return p.variable + ': "' + payload + '" is not an integer';
    const cur = typeof current === 'number' ? current : 0;
    if (n === cur) return [];
    if (b === 'maxint') return n > cur ? [{ mutator: 'raise', args: [n] }] : p.variable + ' only grows (a max-int): ' + n + ' < ' + cur;
    if (n > cur) return [{ mutator: 'inc', args: [n - cur] }];
    if (b === 'pncounter') return [{ mutator: 'dec', args: [cur - n] }];
    return p.variable + ' only grows (a G-Counter): ' + n + ' < ' + cur;
  }
  if (b === 'ewflag' || b === 'dwflag') {
    const v = payload.trim();
    if (v !== 'true' && v !== 'false') return p.variable + ': a flag takes true or false, got "' + payload + '"';
    return (v === 'true') === Boolean(current) ? [] : [{ mutator: v === 'true' ? 'enable' : 'disable', args: [] }];
  }
  let value: Item;
  if (p.datatype === 'string') value = payload === '\u0000' ? '' : payload;
  else if (p.datatype === 'float' || p.datatype === 'integer') {
    value = Number(payload);
    if (!Number.isFinite(value)) return p.variable + ': "' + payload + '" is not a number';
  } else if (p.datatype === 'boolean') value = payload.trim() === 'true';
  else {
    try {
      value = JSON.parse(payload);
    } catch {
      // A register that has no value yet is described as JSON; a bare word is taken as a string.
      if (b !== 'lww' && b !== 'mvregister') return p.variable + ': the payload is not JSON';
      value = payload;
    }
  }
  if (b === 'lww') return [{ mutator: 'set', args: [value, now] }];
  if (b === 'mvregister') return [{ mutator: 'set', args: [value] }];
  // Sets: the payload is the wanted list; add what is missing, remove (OR-Set) what is extra.
  if (!Array.isArray(value)) return p.variable + ': a set takes a JSON list';
  const have = Array.isArray(current) ? (current as Item[]) : [];
  const key = (x: Item) => JSON.stringify(x);
  const hk = new Set(have.map(key));
  const wk = new Set(value.map(key));
  const out: Update[] = value.filter((x) => !hk.has(key(x))).map((x) => ({ mutator: 'add', args: [x] }));
  const extra = have.filter((x) => !wk.has(key(x)));
  if (extra.length && b === 'gset') return p.variable + ' only grows (a G-Set): cannot remove ' + extra.map(key).join(', ');
  for (const x of extra) out.push({ mutator: 'remove', args: [x] });
  return out;
}
