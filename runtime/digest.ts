/**
 * A short digest of a variable's state for the anti-entropy digest exchange: 32-bit FNV-1a (Fowler, Noll, Vo)
 * over the state's deterministic CBOR bytes. Equal states encode to equal bytes (PROTOCOL.md, "CBOR subset"), so equal states
 * give equal digests on every platform; different states collide with probability about 2^-32.
 *
 *   fnv1a(new Uint8Array([0x61])) // 0xe40c292c
 *
 * The board has no Math.imul, so the multiply by the FNV prime 16777619 = 2^24 + 403 is split into a shift and
 * a small product that both stay exact in a double before the final `>>> 0`.
 */

export function fnv1a(bytes: Uint8Array): number {
  // The 32-bit offset basis.
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h = (h ^ bytes[i]) >>> 0;
    // h * 403 < 2^41 and (h << 24) is taken mod 2^32 first, so the sum is exact before truncation.
    h = (((h << 24) >>> 0) + h * 403) % 4294967296;
  }
  return h >>> 0;
}
