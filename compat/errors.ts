/**
 * Errors of the compat faces. The procedural functions never throw: every failure becomes the
 * component's numeric code plus a last-error text. The PHP-style class throws IPWorksSSLError, whose
 * message has the form the vendor's PHP wrappers use: "<code>: <text>".
 */
import { ErrorCode, errorMessage } from '../lib/generated/api';
import { WSServerError, toServerError } from '../lib/server/errors';

export class IPWorksSSLError extends Error {
  override name = 'IPWorksSSLError';
  constructor(
    readonly code: number,
    /** The error's text without the code (what get_last_error answers, and the Error event's description). */
    readonly text: string = errorMessage(code),
  ) {
    super(`${code}: ${text}`);
  }
}

/** A failure as the procedural API reports it. */
export interface Failure {
  code: number;
  message: string;
}

/** Anything thrown by the engine (or a bug) as a documented code and its text. */
export function toFailure(error: unknown): Failure {
  const failure = error instanceof WSServerError ? error : toServerError(error, ErrorCode.InvalidArgument);
  return { code: failure.code, message: failure.message };
}

export function failure(code: number, message: string = errorMessage(code)): Failure {
  return { code, message };
}
