/**
 * The engine's error type: every failure the API reports carries one of the component's documented
 * numeric codes (the reference's 100–11004 table, or one of ours from 601 up) and its message.
 */
import { ErrorCode, errorMessage } from '../generated/api';
import { socketErrorCode } from './socket-errors';

export class WSServerError extends Error {
  override name = 'WSServerError';
  constructor(
    /** The documented error code, e.g. 126 (Invalid ConnectionId). */
    readonly code: number,
    message?: string,
  ) {
    super(message ?? errorMessage(code));
  }
}

/**
 * Turns anything thrown into a WSServerError: a WSServerError as is, a Node system error by its errno
 * (EADDRINUSE → 10048 …), anything else as `fallback` with the original message appended.
 */
export function toServerError(error: unknown, fallback: number = ErrorCode.InvalidArgument): WSServerError {
  if (error instanceof WSServerError) return error;
  const code = socketErrorCode(error);
  if (code !== undefined) return new WSServerError(code);
  return new WSServerError(fallback, `${errorMessage(fallback)} ${describeThrown(error)}`.trim());
}

/**
 * Anything thrown, as text: an Error's message, else the value as a string. It never throws itself: a
 * handler may throw what has no string form (Object.create(null), an object whose toString throws, a
 * revoked Proxy), and that is named by its kind instead.
 */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error && typeof value.message === 'string') return value.message;
  } catch {
    // A Proxy whose traps throw: try the other ways.
  }
  try {
    return String(value);
  } catch {
    // No string form.
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return `[${typeof value}]`;
  }
}
