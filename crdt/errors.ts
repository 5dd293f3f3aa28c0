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

/** A new error type named `name`: `new T(reason, message)` has that name, reason and message "name: message". */
export function errorType<E extends ReasonError>(name: string): ReasonErrorType<E> {
  const T = function (this: ReasonError, reason: string, message: string): void {
    this.name = name;
    this.reason = reason;
    this.message = name + ': ' + message;
  } as unknown as ReasonErrorType<E>;
  const p = Object.create(Error.prototype);
  p.name = name;
  p.constructor = T;
  (T as any).prototype = p;
  return T;
}

/** Input from a peer (bytes or a decoded item) that is not a well-formed frame or state. */
export interface DecodeError extends ReasonError {}
/** reason: a short machine-readable reason, e.g. "frame-size", "depth", "truncated", "type". */
export const DecodeError = /* @__PURE__ */ errorType<DecodeError>('DecodeError');

/** A mutator called with arguments it cannot apply (e.g. a bounded counter asked to go below zero). */
export interface MutatorError extends ReasonError {}
export const MutatorError = /* @__PURE__ */ errorType<MutatorError>('MutatorError');
