/**
 * What the TLS layer needs from the engine, and nothing more. The engine (WSServer, WSConnection)
 * fits these shapes structurally; lib/tls imports nothing of it, so the two do not import each other.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SSLClientAuthenticationEvent, SSLConnectionRequestEvent, SSLStatusEvent } from '../server/events';
import type { SettingsReader } from './tls-options';

/** The server side: its settings, its events, its log. */
export interface TlsHost {
  readonly settings: SettingsReader;
  readonly sslAuthenticateClients: boolean;
  dispatchEvent(name: 'SSLStatus', event: SSLStatusEvent): void;
  /**
   * Fires an event with out-parameters; `decided` runs once the application has set them — after the
   * promise of an async handler settled — with `refused` true when a handler threw or rejected.
   */
  dispatchHeld(name: 'SSLConnectionRequest', event: SSLConnectionRequestEvent, decided: (refused: boolean) => void): void;
  dispatchHeld(name: 'SSLClientAuthentication', event: SSLClientAuthenticationEvent, decided: (refused: boolean) => void): void;
  log(connectionId: number, level: number, message: string, logType: string): void;
  reportError(connectionId: number, errorCode: number, description: string): void;
}

/** One accepted connection, as the TLS layer sees it. */
export interface TlsPeer {
  readonly connectionId: number;
  /** The TCP socket the client connected on (the TLS layer reads the ClientHello from it). */
  readonly rawSocket: Socket;
  /** Carries the connection on over `socket` once its handshake is done. */
  useSocket(socket: TLSSocket): void;
  destroy(): void;
  /**
   * The engine's read gate, the only thing that pauses or resumes the connection's socket: true while
   * the layer must not be given more input (an event with out-parameters is out, or the socket is
   * changing hands), false when reading may go on.
   */
  holdReading(held: boolean): void;
}
