/**
 * Bit errors on a byte stream, for tests and benches of a noisy line (a serial cable near a motor, a radio modem
 * at the edge of its range): each bit passing is flipped with probability `ber`, independently, drawn from a
 * seeded generator so that a run can be repeated.
 *
 *   const noisy = bitErrors(1e-3, 7);
 *   relay.write(noisy(chunk));          // a copy of chunk with its bit errors; chunk itself is left alone
 *   noisy.flipped                       // bits flipped so far
 *
 * The distance to the next error is drawn once (geometric), so the cost is per error, not per bit.
 */
import { float, rng } from '../runtime/rng.ts';

export interface BitErrors {
  (chunk: Uint8Array): Uint8Array;
  flipped: number;
}

export function bitErrors(ber: number, seed: number): BitErrors {
  if (!(ber >= 0 && ber < 1)) throw new Error('bitErrors: ber must be in [0, 1)');
  const r = rng(seed);
  const gap = () => (ber === 0 ? Infinity : Math.floor(Math.log(1 - float(r)) / Math.log(1 - ber)));
  let left = gap();
  const f = ((chunk: Uint8Array) => {
    const out = chunk.slice();
    const bits = out.length * 8;
    let at = 0;
    while (at + left < bits) {
      at += left;
      out[at >> 3] ^= 1 << (at & 7);
      f.flipped++;
      at++;
      left = gap();
    }
    left -= bits - at;
    return out;
  }) as BitErrors;
  f.flipped = 0;
  return f;
}
