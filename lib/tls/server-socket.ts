/**
 * The server side of one connection's TLS handshake: a TLSSocket of its own over the connection's
 * transport, with its own listeners. Connections share nothing but the secure context, so a handshake
 * can only ever end on the connection it started on.
 *
 * A TLSSocket made with `new TLSSocket(..., { isServer: true })` emits 'secure' when its handshake is
 * done ('secureConnect' is only for tls.connect), and 'error' then 'close' when it fails. It does not get
 * what node:tls servers do for the sockets they accept once these are secure (onServerSocketSecure in
 * node's lib/_tls_wrap.js; nodejs/node#31305): `authorized` is never set, and later TLS errors go to
 * an internal event instead of 'error'. `takeOver` does those two steps itself.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Endpoint } from './endpoint';
import type { TlsSettings } from './tls-options';

/** How a handshake ended; exactly one of these is called, once. */
export interface HandshakeOutcome {
  /** `verifyError`: why the client certificate did not verify (OpenSSL's code), null if it did. */
  secured(socket: TLSSocket, verifyError: string | null): void;
  failed(error: Error): void;
  /** The client went away before the handshake was done. */
  closed(): void;
}

/**
 * Starts the handshake over `transport` (the TCP socket with the ClientHello put back into it, or the
 * LogSSLPackets stream). `keyLog` gets the session secrets (SSLKeyLogFile). No handshake timeout is
 * set here: the TLS layer's own timer bounds the whole TLS step.
 */
export function startServerHandshake(
  transport: Socket | Duplex,
  endpoint: Endpoint,
  settings: TlsSettings,
  keyLog: ((line: Buffer) => void) | undefined,
  outcome: HandshakeOutcome,
): TLSSocket {
  const socket = new TLSSocket(transport, {
    isServer: true,
    secureContext: endpoint.context,
    requestCert: settings.options.requestCert,
    rejectUnauthorized: settings.options.rejectUnauthorized,
  });
  // Attached before the handshake reads anything (it starts on the next tick).
  if (keyLog) socket.on('keylog', keyLog);
  const detach = () => {
    socket.off('secure', onSecure);
    socket.off('error', onError);
    socket.off('close', onClose);
  };
  const onSecure = () => {
    detach();
    const verifyError = settings.options.requestCert ? clientVerifyError(socket) : null;
    takeOver(socket);
    outcome.secured(socket, verifyError);
  };
  const onError = (error: Error) => {
    detach();
    // The socket is closing; what else it reports adds nothing to this error.
    socket.on('error', noop);
    outcome.failed(error);
  };
  const onClose = () => {
    detach();
    outcome.closed();
  };
  socket.on('secure', onSecure);
  socket.on('error', onError);
  socket.on('close', onClose);
  return socket;
}

/** The members of node's TLSSocket that its own server uses on accepted sockets, and documents nowhere. */
interface AcceptedSocketInternals {
  ssl?: { verifyError?(): (Error & { code?: string }) | null } | null;
  _releaseControl?(): boolean;
}

/** OpenSSL's verdict on the client certificate (node:tls servers turn it into `authorized`). */
function clientVerifyError(socket: TLSSocket): string | null {
  const handle = (socket as TLSSocket & AcceptedSocketInternals).ssl;
  if (typeof handle?.verifyError !== 'function') {
    // A node that no longer has the handle's method: trust what it set on the socket.
    return socket.authorized ? null : String(socket.authorizationError ?? 'CERT_UNTRUSTED');
  }
  const error = handle.verifyError();
  return error ? String(error.code ?? error.message) : null;
}

/** From here on TLS errors reach the socket's 'error' listeners (the engine's), as on accepted sockets. */
function takeOver(socket: TLSSocket): void {
  (socket as TLSSocket & AcceptedSocketInternals)._releaseControl?.();
}

function noop(): void {}
