/**
 * What every board entry shares: start a node from the sensor code's config, attach the links the board has,
 * join, and publish the API as a plain object on the global `Pollen` (built by assignment: esbuild's export
 * object is made of getters that hand out the wrong export on the board).
 *
 *   Pollen.start({ id: 'puck1', contacts: ['pi'], vars: { hits: 'pncounter' }, serial: { baud: 9600 } })
 *   Pollen.start({ id: 'puck1', contacts: ['pi'], vars: { hits: 'pncounter' }, serial: false, ble: true })
 */
import { start, type Board, type BoardConfig, type Parts } from './board.ts';
import { serialLink, type EspSerial, type SerialOpts } from './serial1.ts';
import type { EspNRF } from './ble.ts';

export interface EntryConfig extends BoardConfig {
  /** Serial1 options, or false for no serial link (default: Serial1 with the board's baud rate). */
  serial?: SerialOpts | false;
  /** true: the BLE link (targets/espruino/ble.ts) to a gateway running transports/ble.ts, on a profile that
   *  carries it (the Puck.js one); default off. */
  ble?: boolean;
}

declare const Serial1: EspSerial | undefined;
declare const NRF: EspNRF | undefined;

/**
 * `ble`: the BLE link (targets/espruino/ble.ts's bleLink) for a profile whose boards have the radio; a profile
 * that leaves it out does not carry its code (about 4.8 KB minified and 143 variables at load, with blefrag.ts; README, "Run it on a board").
 */
export function publish(parts: () => Parts, profile: string, ble?: (b: Board, nrf: EspNRF) => unknown): void {
  const api: { [k: string]: unknown } = {};
  api.profile = profile;
  api.start = function (cfg: EntryConfig): Board {
    const b = start(cfg, parts());
    if (cfg.serial !== false && typeof Serial1 !== 'undefined') serialLink(b, Serial1 as EspSerial, cfg.serial || undefined);
    if (cfg.ble && ble && typeof NRF !== 'undefined') ble(b, NRF as EspNRF);
    // Join through the contacts once the links are attached.
    if (cfg.contacts && cfg.contacts.length > 0) b.input({ kind: 'command', command: { op: 'join', contacts: cfg.contacts } });
    return b;
  };
  (globalThis as any).Pollen = api;
}
