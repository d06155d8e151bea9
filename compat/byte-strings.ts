/**
 * Binary strings in the compat faces. A PHP string is bytes, so a legacy script hands the bytes it got
 * (DataIn `text` of a binary message, a Ping payload, SSLCertStore) back as a string and expects the
 * same bytes on the wire. Here such strings are one char per byte (Latin-1) both ways, whatever
 * CodePage says: CodePage is about text, and these parameters are binary by nature. A char above 0xFF
 * cannot be one byte, so it is refused (605) rather than re-encoded behind the script's back.
 *
 * The modern API keeps its own rule (strings of binary data encoded with CodePage); this module only
 * turns the compat faces' strings into Buffers and hands those to the engine's Buffer paths.
 */
import { CertStoreType, ErrorCode, errorMessage } from '../lib/generated/api';
import { Opcode } from '../lib/protocol/constants';
import { isValidUtf8 } from '../lib/protocol/utf8';
import { WSServerError } from '../lib/server/errors';
import { formatData, type Formatted } from '../lib/server/send-format';
import { utf8Bytes } from '../lib/server/text-memo';

/** The first char above 0xFF (a char that is no byte), or -1. */
function firstWideChar(text: string): number {
  // A regular expression scans a long string far faster than a charCodeAt loop in JS.
  return text.search(/[^\u0000-\u00ff]/);
}

/** True when every char of `text` is one byte (0x00–0xFF). */
export function isByteString(text: string): boolean {
  return firstWideChar(text) === -1;
}

/** The bytes of a one-char-per-byte string; 605 (thrown) when a char is above 0xFF. */
export function bytesOfString(text: string, what: string): Buffer {
  const at = firstWideChar(text);
  if (at !== -1) throw notAByte(text, at, what);
  return Buffer.from(text, 'latin1');
}

/** Bytes as a one-char-per-byte string (what the compat faces hand out for binary data). */
export function stringOfBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function notAByte(text: string, at: number, what: string): WSServerError {
  const code = text.codePointAt(at) ?? 0;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  return new WSServerError(
    ErrorCode.InvalidValue,
    `${errorMessage(ErrorCode.InvalidValue)} ${what} takes a binary string (one char per byte), but char ${at} is U+${hex}: ` +
      'pass the bytes as a Buffer, or send text with SendText.',
  );
}

/** Any value that is not bytes yet goes through the engine's own checks; its code page does not matter then. */
const UNUSED_CODE_PAGE = 65001;

/**
 * The opcode and payload of Send / WSConnectionDataToSend in the compat faces, by DataFormat:
 * - 1 text: a string is text (UTF-8 on the wire); bytes must be UTF-8;
 * - 2 binary, 9 ping, 10 pong: a string is one char per byte (605 above 0xFF);
 * - 0 automatic: a string with a char above 0xFF is text; any other string is bytes, sent as text
 *   when they are valid UTF-8 and as binary when not (a PHP string that holds UTF-8 goes out as
 *   text, one that holds binary data as binary). Bytes go as binary.
 * Failures are returned as values, as the engine's formatData does.
 */
export function formatCompatData(dataFormat: number, data: unknown): Formatted {
  if (typeof data !== 'string') return formatData(dataFormat, data as Uint8Array, UNUSED_CODE_PAGE);
  switch (dataFormat) {
    case 1:
      return formatData(1, data, UNUSED_CODE_PAGE);
    case 2:
    case 9:
    case 10:
      try {
        return formatData(dataFormat, bytesOfString(data, 'Send with DataFormat ' + String(dataFormat)), UNUSED_CODE_PAGE);
      } catch (error) {
        return [Opcode.Binary, error as WSServerError];
      }
    default: {
      if (!isByteString(data)) return [Opcode.Text, utf8Bytes(data)];
      const bytes = Buffer.from(data, 'latin1');
      return [isValidUtf8(bytes) ? Opcode.Text : Opcode.Binary, bytes];
    }
  }
}

/** The SSLCertStoreType values whose SSLCertStore is the store's content (a blob), not a file or store name. */
export const BLOB_STORE_TYPES: ReadonlySet<number> = new Set(
  Object.entries(CertStoreType)
    .filter(([name]) => name.endsWith('Blob'))
    .map(([, value]) => value),
);
