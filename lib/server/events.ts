/**
 * Event payloads of the modern API: the reference's event parameters in camelCase. Out-parameters are
 * plain writable fields, read back after the listeners ran. Byte-valued parameters come twice: as a
 * string (`text`) and as the exact bytes (`textB`); the string is decoded only when read.
 */
import { Opcode } from '../protocol/constants';
import { decodeUtf8 } from './text-memo';

export interface ConnectedEvent {
  connectionId: number;
}

export interface ConnectionRequestEvent {
  address: string;
  port: number;
  /** Out: false refuses the connection (TCP closed before any byte is read). */
  accept: boolean;
}

export class DataInEvent {
  private decoded: string | undefined;
  constructor(
    readonly connectionId: number,
    /** 1 text, 2 binary; 0 for a continuation piece of a message, and always 0 in line mode. */
    readonly dataFormat: number,
    /** The exact bytes received. */
    readonly textB: Buffer,
    /** End of message: this piece ends the message. */
    readonly eom: boolean,
    /** End of line (line mode only): the piece ended at a line end rather than at MaxLineLength. */
    readonly eol: boolean,
    /** How `text` is decoded: UTF-8 for text messages, one char per byte otherwise. */
    private readonly utf8: boolean,
  ) {}

  /**
   * The data as a string (decoded on first read). A whole text message, which the core has checked to be
   * valid UTF-8, is decoded through the text memo: sending the string back costs no encoding.
   */
  get text(): string {
    if (this.decoded === undefined) {
      const whole = this.utf8 && this.dataFormat === Opcode.Text && this.eom;
      this.decoded = whole ? decodeUtf8(this.textB) : this.textB.toString(this.utf8 ? 'utf8' : 'latin1');
    }
    return this.decoded;
  }
}

export interface DisconnectedEvent {
  connectionId: number;
  /** The close code: the peer's, ours for a close we started without a reply, 1005 when the close frame had
   *  none, 1006 when TCP closed without a close frame. */
  statusCode: number;
  description: string;
}

export interface ErrorEvent {
  connectionId: number;
  errorCode: number;
  description: string;
}

export interface LogEvent {
  connectionId: number;
  /** 1 info, 2 verbose, 3 debug. */
  logLevel: number;
  message: string;
  /** 'Info' | 'Error' | 'Verbose' | 'Debug'. */
  logType: string;
}

export interface PingEvent {
  connectionId: number;
  payload: string;
  payloadB: Buffer;
  /** false: the client pinged us (the pong was sent automatically); true: a pong arrived. */
  response: boolean;
}

export interface ReadyToSendEvent {
  connectionId: number;
}

export interface SSLClientAuthenticationEvent {
  connectionId: number;
  certEncoded: string;
  certEncodedB: Buffer;
  certSubject: string;
  certIssuer: string;
  status: string;
  /** Out: the application's decision (in: the recommendation). */
  accept: boolean;
}

export interface SSLConnectionRequestEvent {
  connectionId: number;
  supportedCipherSuites: string;
  supportedSignatureAlgs: string;
  /** Out: an alternate certificate for this connection. */
  certStoreType: number;
  certStore: string;
  certPassword: string;
  certSubject: string;
}

export interface SSLStatusEvent {
  connectionId: number;
  message: string;
}

export interface WebSocketOpenRequestEvent {
  connectionId: number;
  requestURI: string;
  hostHeader: string;
  originHeader: string;
  /** In: the offered subprotocols, comma-separated. Out: the one selected (sent back only if it was offered). */
  subProtocols: string;
  extensions: string;
  requestHeaders: string;
  /** Out: 101 accepts; any other HTTP status rejects with it. */
  statusCode: number;
  /** Out: extra response headers ('Name: value' lines). */
  responseHeaders: string;
}

/** Event name → payload, for typed listeners. */
export interface WSServerEvents {
  Connected: ConnectedEvent;
  ConnectionRequest: ConnectionRequestEvent;
  DataIn: DataInEvent;
  Disconnected: DisconnectedEvent;
  Error: ErrorEvent;
  Log: LogEvent;
  Ping: PingEvent;
  ReadyToSend: ReadyToSendEvent;
  SSLClientAuthentication: SSLClientAuthenticationEvent;
  SSLConnectionRequest: SSLConnectionRequestEvent;
  SSLStatus: SSLStatusEvent;
  WebSocketOpenRequest: WebSocketOpenRequestEvent;
}

export type WSServerEventName = keyof WSServerEvents;
