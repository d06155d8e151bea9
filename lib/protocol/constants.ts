/**
 * Numbers fixed by RFC 6455 and RFC 7692, and the limits this project applies by default.
 * Tables are frozen objects with a same-named union type, so they are usable both as values
 * and as types and can be iterated by the specs.
 */

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §5.2 opcodes. */
export const Opcode = Object.freeze({
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const);
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Control frames have the high bit of the opcode nibble set (§5.5). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** RFC 6455 §7.4.1 status codes (and the registry entries used by this project). */
export const CloseCode = Object.freeze({
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never sent on the wire: "no status code was present". */
  NoStatus: 1005,
  /** Never sent on the wire: "the connection closed without a close frame". */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
} as const);
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** §5.5: control frame payloads are at most 125 bytes. */
export const MAX_CONTROL_PAYLOAD = 125;
/** A close reason is the control payload minus the 2-byte code. */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

/** Default limits (each configurable). */
export const Defaults = Object.freeze({
  /** Largest accepted HTTP request head (request line + headers), answered by 431 beyond. */
  maxHeaderSize: 16 * 1024,
  /** Largest accepted message (after inflation), answered by close 1009 beyond. */
  maxMessageSize: 100 * 1024 * 1024,
  /** Outgoing messages are split into frames of at most this many payload bytes. */
  maxFrameSize: 262144,
  /** Outgoing messages smaller than this are not compressed even when deflate was negotiated. */
  deflateThreshold: 64,
} as const);
