/**
 * A workaround for the native poller of @serialport/bindings-cpp (see readWhileWriting), used by serial.ts.
 */
import type { SerialPort } from 'serialport';

/**
 * Keep the port read while a write waits. On Linux and macOS, @serialport/bindings-cpp (13) reads and writes
 * through one poller, whose native poll(events) starts watching only the events of its latest call: when a write
 * meets a full kernel buffer it asks for 'writable', and from then until the line drains nothing watches for
 * 'readable', so the peer's frames (its hellos among them) wait in the kernel for as long as our backlog takes to
 * leave: seconds on a slow line, long enough for the peer to be declared dead. The native side already keeps the
 * union of what is wanted and restores it after each event; only the call from JavaScript narrows it. So each call
 * from JavaScript asks for every event someone still waits for. A binding without that poller (Windows) is left
 * as it is. Returns whether the port's poller was widened.
 */
export function readWhileWriting(port: SerialPort): boolean {
  const binding = (port as unknown as { port?: { poller?: PollerLike } }).port;
  const poller = binding?.poller;
  if (!poller || typeof poller.poll !== 'function' || typeof poller.listenerCount !== 'function' || poller.widened) return false;
  const narrow = poller.poll.bind(poller);
  poller.poll = (flag?: number) => {
    let want = flag ?? 0;
    if (poller.listenerCount('readable') > 0) want |= POLL_READABLE;
    if (poller.listenerCount('writable') > 0) want |= POLL_WRITABLE;
    if (poller.listenerCount('disconnect') > 0) want |= POLL_DISCONNECT;
    narrow(want);
  };
  poller.widened = true;
  return true;
}

/** The poller's event flags (libuv's UV_READABLE, UV_WRITABLE, UV_DISCONNECT, as the binding names them). */
const POLL_READABLE = 1;
const POLL_WRITABLE = 2;
const POLL_DISCONNECT = 4;

interface PollerLike {
  poll(flag?: number): void;
  listenerCount(event: string): number;
  widened?: boolean;
}
