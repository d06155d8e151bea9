/**
 * Error values of the protocol core. Each carries a stable string `code` (WSS_ERR_*) so that
 * specs and the engine can tell them apart without parsing messages.
 */

/** A violation of RFC 6455/7692 by the peer: the connection must be failed with `closeCode`. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    /** The close code to send (1002, 1007, 1009, …). */
    readonly closeCode: number,
    /** Stable identifier, e.g. 'WSS_ERR_UNMASKED_FRAME'. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An opening handshake that cannot be accepted: answer with `httpStatus` (and `headers`). */
export class HandshakeError extends Error {
  override name = 'HandshakeError';
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Sec-WebSocket-Version: 13` for a bad version. */
    readonly headers: ReadonlyArray<readonly [string, string]> = [],
  ) {
    super(message);
  }
}

/**
 * A PROXY protocol header (HAProxy's proxy-protocol.txt, v1 or v2) that is missing, malformed or too
 * long: the connection is closed without an answer, the peer is not speaking HTTP to us yet.
 */
export class ProxyHeaderError extends Error {
  override name = 'ProxyHeaderError';
  constructor(
    /** Stable identifier, e.g. 'PROXY_ERR_MISSING' (see proxy-header.ts). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
