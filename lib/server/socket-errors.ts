/**
 * Node system errors → the component's TCP/IP error codes.
 *
 * The reference reports socket failures with the Winsock numbers (10004–10066) and the resolver ones
 * (11001–11004). Node reports POSIX names in `err.code`; this table translates them.
 */

const CODES: ReadonlyMap<string, number> = new Map<string, number>([
  ['EINTR', 10004], // interrupted function call
  ['EBADF', 10009], // file handle is not valid
  ['EACCES', 10013], // permission denied
  ['EPERM', 10013], // Winsock folds "operation not permitted" into access denied
  ['EFAULT', 10014], // bad address
  ['EINVAL', 10022], // invalid argument
  ['EMFILE', 10024], // too many open sockets
  ['ENFILE', 10024], // system-wide table full: same code in Winsock
  ['EWOULDBLOCK', 10035], // resource temporarily unavailable
  ['EAGAIN', 10035], // POSIX spelling of the same condition
  ['EINPROGRESS', 10036], // operation now in progress
  ['EALREADY', 10037], // operation already in progress
  ['ENOTSOCK', 10038], // socket operation on non-socket
  ['EMSGSIZE', 10040], // message too long
  ['EPROTONOSUPPORT', 10043], // protocol not supported
  ['EOPNOTSUPP', 10045], // operation not supported
  ['EAFNOSUPPORT', 10047], // address family not supported
  ['EADDRINUSE', 10048], // address already in use
  ['EADDRNOTAVAIL', 10049], // cannot assign requested address
  ['ENETDOWN', 10050], // network is down
  ['ENETUNREACH', 10051], // network is unreachable
  ['ECONNABORTED', 10053], // software caused connection abort
  ['ECONNRESET', 10054], // connection reset by peer
  ['ENOBUFS', 10055], // no buffer space available
  ['EISCONN', 10056], // socket is already connected
  ['ENOTCONN', 10057], // socket is not connected
  ['EPIPE', 10058], // cannot send after socket shutdown
  ['ETIMEDOUT', 10060], // connection timed out
  ['ECONNREFUSED', 10061], // connection refused
  ['ELOOP', 10062], // too many levels of symbolic links
  ['ENAMETOOLONG', 10063], // name too long
  ['EHOSTDOWN', 10064], // host is down
  ['EHOSTUNREACH', 10065], // no route to host
  ['ENOTEMPTY', 10066], // directory not empty
  ['ENOTFOUND', 11001], // host not found
  ['EAI_AGAIN', 11002], // non-authoritative host not found; try again
  ['EAI_FAIL', 11003], // non-recoverable resolver error
  ['EAI_NODATA', 11004], // valid name, no data record of the requested type
]);

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
