/**
 * What the application's data becomes on the wire: the opcode and bytes for SendText, SendBytes, Send
 * and DataToSend by the connection's DataFormat (0 automatic, 1 text, 2 binary, 9 ping, 10 pong), with
 * strings of binary data encoded by CodePage. Failures are returned as values (616), never thrown,
 * so that trySend can answer with a code.
 */
import { Buffer } from 'node:buffer';
import { ErrorCode } from '../generated/api';
import { Opcode } from '../protocol/constants';
import { isValidUtf8 } from '../protocol/utf8';
import { encodeString } from './code-page';
import { WSServerError } from './errors';
import { utf8Bytes } from './text-memo';

/** An opcode and its payload, or why the data cannot be sent in that format. */
export type Formatted = [number, Buffer | WSServerError];

/** Bytes and opcode for Send/DataToSend according to DataFormat. */
export function formatData(dataFormat: number, data: Uint8Array | string, codePage: number): Formatted {
  switch (dataFormat) {
    case 1:
      // dfText with bytes: "Data that has already been UTF-8 encoded may also be supplied" — it must be UTF-8.
      return [Opcode.Text, typeof data === 'string' ? utf8Bytes(data) : checkedUtf8(data)];
    case 2:
      return [Opcode.Binary, toBytes(data, codePage)];
    case 9:
    case 10: {
      const bytes = toBytes(data, codePage);
      if (bytes.length > 125) return [Opcode.Ping, new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. Ping and pong data is at most 125 bytes.')];
      return [dataFormat === 9 ? Opcode.Ping : Opcode.Pong, bytes];
    }
    default:
      // dfAutomatic: a string that is valid Unicode goes as text; one with a lone surrogate (which
      // UTF-8 cannot carry) and bytes go as binary.
      if (typeof data === 'string' && isWellFormed(data)) return [Opcode.Text, utf8Bytes(data)];
      return [Opcode.Binary, toBytes(data, codePage)];
  }
}

/**
 * trySend's formats: 1 text (a string, or UTF-8 bytes sent as they are), 2 binary, 0/9/10 as Send;
 * any other format is 616.
 */
export function formatTrySend(dataFormat: number, data: Uint8Array | string, codePage: number): Formatted {
  if (dataFormat === 1) {
    if (typeof data === 'string') return [Opcode.Text, utf8Bytes(data)];
    return [Opcode.Text, checkedUtf8(data)];
  }
  if (dataFormat === 2) return [Opcode.Binary, toBytes(data, codePage)];
  if (dataFormat === 0 || dataFormat === 9 || dataFormat === 10) return formatData(dataFormat, data, codePage);
  return [Opcode.Binary, new WSServerError(ErrorCode.InvalidArgument)];
}

/** Binary data: strings encoded with CodePage, bytes as they are. */
export function toBytes(data: Uint8Array | string, codePage: number): Buffer {
  if (typeof data === 'string') return encodeString(data, codePage);
  return asBuffer(data);
}

/** sendText's bytes: a string encoded as UTF-8; bytes as they are, when they are UTF-8 (else 616, thrown). */
export function textBytes(text: unknown): Buffer {
  if (typeof text === 'string') return utf8Bytes(text);
  if (!(text instanceof Uint8Array)) return Buffer.from(String(text), 'utf8');
  const bytes = checkedUtf8(text);
  if (bytes instanceof WSServerError) throw bytes;
  return bytes;
}

function checkedUtf8(data: Uint8Array): Buffer | WSServerError {
  const bytes = asBuffer(data);
  return isValidUtf8(bytes) ? bytes : new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. Text data is not valid UTF-8.');
}

/** The same bytes as a Buffer, without copying. */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** True when `text` has no lone surrogate, i.e. it is valid UTF-8 once encoded. */
function isWellFormed(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  if (native) return native.call(text);
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
