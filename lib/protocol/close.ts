/**
 * Close frame payloads (RFC 6455 §5.5.1, §7.4): reading the status code and reason a peer sent, and
 * building the payload of a close frame this server sends.
 */
import { CloseCode, MAX_CLOSE_REASON } from './constants';
import { ProtocolError } from './errors';
import { isValidUtf8 } from './utf8';

/** What a close frame said. `code` is 1005 (NoStatus) when the frame carried no payload. */
export interface ClosePayload {
  code: number;
  reason: string;
}

/**
 * May a peer send this status code (RFC 6455 §7.4)?
 * Valid: 1000–1003, 1007–1014 (defined by §7.4.1 and the IANA registry) and 3000–4999 (libraries,
 * frameworks and private use). Everything else is either unused, reserved, or reserved for local use only.
 */
export function isValidReceivedCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  // §7.4.2: "Status codes in the range 0-999 are not used."
  // §7.4.1: 1004 "Reserved"; 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control
  // frame by an endpoint". 1012–1014 were added to the IANA registry after the RFC.
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  // §7.4.2: 1000-2999 are "reserved for definition by this protocol" (unassigned ones are invalid);
  // 3000-3999 are for registered libraries and frameworks, 4000-4999 for private use.
  return code >= 3000 && code <= 4999;
}

/**
 * May this server put this status code in a close frame it sends? The same set a peer may send:
 * 1005, 1006 and 1015 describe local conditions and can never appear on the wire (§7.4.1).
 */
export function isSendableCloseCode(code: number): boolean {
  return isValidReceivedCloseCode(code);
}

/**
 * Parses the payload of a received close frame.
 * @returns `{ code: 1005, reason: '' }` for an empty payload, the code and reason otherwise.
 * @throws ProtocolError 1002 `WSS_ERR_CLOSE_PAYLOAD` for a 1-byte payload, 1002 `WSS_ERR_CLOSE_CODE` for a
 *   code no peer may send, 1007 `WSS_ERR_INVALID_UTF8` for a reason that is not valid UTF-8.
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  // §5.5.1: "The Close frame MAY contain a body". Without one, §7.1.5: "If this Close control frame
  // contains no status code, _The WebSocket Connection Close Code_ is considered to be 1005."
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };

  // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer".
  if (payload.length === 1) {
    throw new ProtocolError(CloseCode.ProtocolError, 'WSS_ERR_CLOSE_PAYLOAD', 'Close frame payload of 1 byte');
  }

  // "(in network byte order) representing a status code".
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidReceivedCloseCode(code)) {
    throw new ProtocolError(CloseCode.ProtocolError, 'WSS_ERR_CLOSE_CODE', `Invalid close code ${code}`);
  }

  // §5.5.1: "Following the 2-byte integer, the body MAY contain UTF-8-encoded data".
  const reason = payload.subarray(2);
  if (!isValidUtf8(reason)) {
    throw new ProtocolError(CloseCode.InvalidPayload, 'WSS_ERR_INVALID_UTF8', 'Close reason is not valid UTF-8');
  }
  return { code, reason: Buffer.from(reason.buffer, reason.byteOffset, reason.length).toString('utf8') };
}

/**
 * Builds the payload of a close frame to send: the 2-byte code, then the reason as UTF-8, cut to at most
 * 123 bytes on a character boundary (so the whole payload fits the 125-byte control frame limit of §5.5).
 * Without a code the payload is empty and the reason is ignored: §5.5.1 allows no reason without a code.
 * @throws RangeError for a code that {@link isSendableCloseCode} rejects.
 */
export function formatClosePayload(code?: number, reason?: string): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  if (!isSendableCloseCode(code)) throw new RangeError(`Close code ${code} may not be sent`);

  // Buffer.from turns lone surrogates into U+FFFD, so the bytes are always valid UTF-8.
  const text = truncateUtf8(Buffer.from(reason ?? '', 'utf8'), MAX_CLOSE_REASON);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}

/**
 * Truncates UTF-8 bytes to at most `max` bytes without cutting a character in half.
 * Returns `bytes` itself when it fits, a view on it otherwise. Expects valid UTF-8.
 */
export function truncateUtf8(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  if (max <= 0) return bytes.subarray(0, 0);

  // The byte at `cut` is the first one dropped. While it is a continuation byte (10xxxxxx), the cut falls
  // inside a character: move it back onto that character's lead byte. A character has at most 3
  // continuation bytes, so at most 3 steps are needed for valid input.
  let cut = max;
  for (let steps = 0; steps < 3 && (bytes[cut]! & 0xc0) === 0x80; steps++) cut--;
  return bytes.subarray(0, cut);
}
