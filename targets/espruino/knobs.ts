/**
 * The board's knobs, in one place: each bounds something that would otherwise grow until the pool runs out,
 * which on the board cannot be caught. Sized for a Puck.js (2,630 variables, measured by tests/targets/espruino).
 */
export const BOARD_KNOBS = {
  /** Bytes of one variable's encoded state (store.ts maxStateBytes): 2048, room for an OR-Set of about 100
   *  short elements; past it an update or a remote delta is refused and counted, never half-applied. */
  maxStateBytes: 2048,
  /** Decoding limits for frames from a link: a frame of 1 KB is 9 BLE notifications or 1 s at 9600 bit/s, and
   *  a board holds one while decoding it. Items and depth well within what a frame of that size can hold. */
  limits: { maxFrame: 1024, maxItems: 512, maxDepth: 8, maxString: 256, maxCount: 512 },
  /** Largest frame a board link reassembles (payload bytes; serialframe.ts and blefrag.ts buffers). */
  linkFrame: 1024,
  /** Write the state to Storage this long after the first change of a burst (ms): one flash write per burst,
   *  not per update; nRF52 flash pages endure about 10,000 erases. */
  persistMs: 10000,
  /** Plumtree's bounds (runtime/plumtree.ts): 64 ids, 16 payloads (about 400 variables full) and 32 missing
   *  messages where the defaults, sized for 100 messages/s on a Pi, would hold thousands of variables. */
  plumtree: { maxIds: 64, cacheSize: 16, maxMissing: 32 },
  /** Serial1: bits per second (Espruino's own default for Serial1) and the hello keepalive / peer timeout of
   *  transports/serial.ts (ms), so both ends agree without configuration. */
  baud: 9600,
  keepalive: 1000,
  peerTimeout: 3500,
};
