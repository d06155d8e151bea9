/**
 * Node system errors → the component's TCP/IP error codes.
 *
 * The reference reports socket failures with the Winsock numbers (10004–10066) and the resolver ones
 * (11001–11004). Node reports POSIX names in `err.code`; this table translates them.
 */
import { ERROR_CODE_BY_NODE_CODE } from '../generated/api';

// The table lives in the API description (tools/api/wsserver.json, each error's "nodeCodes"), so the
// generated docs, dist/ids.json and this lookup cannot disagree.
const CODES: ReadonlyMap<string, number> = new Map<string, number>(Object.entries(ERROR_CODE_BY_NODE_CODE));

/** Every Node error code this module knows, with its reference number (for docs and specs). */
export const SOCKET_ERROR_CODES: ReadonlyMap<string, number> = CODES;

/**
 * Maps a Node system error to the reference's TCP/IP error number.
 *
 * Looks at `error.code` (e.g. 'EADDRINUSE' → 10048). A bare string is taken as the code itself. An error
 * without a code of its own that wraps others (`AggregateError`, as `net.connect` raises when every address
 * of a host fails) is mapped by its first inner error. Anything unknown gives `undefined`.
 */
export function socketErrorCode(error: unknown): number | undefined {
  if (typeof error === 'string') return CODES.get(error);
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return CODES.get(code);
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.length > 0) {
    const first: unknown = inner[0];
    // Only one level: an inner error that is itself an aggregate is not unwrapped further.
    if (typeof first === 'object' && first !== null) {
      const innerCode = (first as { code?: unknown }).code;
      if (typeof innerCode === 'string') return CODES.get(innerCode);
    }
  }
  return undefined;
}
