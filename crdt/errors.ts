/**
 * Errors are values with a reason a user can act on: `e.reason` is short and machine-readable ("frame-size",
 * "depth", "full"), `e.message` names the type and says what to fix.
 *
 *   throw new DecodeError('depth', 'nested deeper than 16');   // e instanceof DecodeError && e instanceof Error
 *
 * Made by `errorType` rather than `class … extends Error`: on Espruino, `super(message)` into the native Error
 * throws "Calling 'super' outside of class", so every error path of such a class would crash on a board. A plain
 * constructor whose prototype inherits Error.prototype keeps `instanceof` (for both the type and Error) and
 * `name`, on the board and on Node alike.
 */

/** An error of one of Pollen's kinds, with its reason. */
export interface ReasonError extends Error {
  reason: string;
}

/** What `errorType` returns: called with `new`, like a class. */
export interface ReasonErrorType<E extends ReasonError> {
  new (reason: string, message: string): E;
  readonly prototype: E;
}

/**
 * A new error type named `name`: `new T(reason, message)` has that name (from its prototype), reason and message
 * "name: message". A type may pass its own constructor as `init`, written at the top of its module with the same
 * two lines as the one below: it then closes over nothing, where a constructor made here keeps this call's scope
 * alive, which costs a board about seven more variables per type for as long as the bundle runs.
 */
export function errorType<E extends ReasonError>(name: string, init?: (this: ReasonError, reason: string, message: string) => void): ReasonErrorType<E> {
  const T = (init || function (this: ReasonError, reason: string, message: string): void {
    this.reason = reason;
    this.message = this.name + ': ' + message;
  }) as unknown as ReasonErrorType<E>;
  const p = Object.create(Error.prototype);
  p.name = name;
  p.constructor = T;
  (T as any).prototype = p;
  return T;
}

/** Input from a peer (bytes or a decoded item) that is not a well-formed frame or state. */
export interface DecodeError extends ReasonError {}
/** reason: a short machine-readable reason, e.g. "frame-size", "depth", "truncated", "type". */
export const DecodeError = /* @__PURE__ */ errorType<DecodeError>('DecodeError', function (reason, message) {
  this.reason = reason;
  this.message = this.name + ': ' + message;
});

/** A mutator called with arguments it cannot apply (e.g. a bounded counter asked to go below zero). */
export interface MutatorError extends ReasonError {}
export const MutatorError = /* @__PURE__ */ errorType<MutatorError>('MutatorError', function (reason, message) {
  this.reason = reason;
  this.message = this.name + ': ' + message;
});
