/**
 * Errors are values with a reason a user can act on. Espruino leaves `message` unset when a subclass of Error
 * calls super(message), so it is set by hand.
 */

/** Input from a peer (bytes or a decoded item) that is not a well-formed frame or state. */
export class DecodeError extends Error {
  /** A short machine-readable reason, e.g. "frame-size", "depth", "truncated", "type". */
  reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'DecodeError';
    this.reason = reason;
    this.message = 'DecodeError: ' + message;
  }
}

/** A mutator called with arguments it cannot apply (e.g. a bounded counter asked to go below zero). */
export class MutatorError extends Error {
  reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'MutatorError';
    this.reason = reason;
    this.message = 'MutatorError: ' + message;
  }
}
