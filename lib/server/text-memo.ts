/**
 * The last string the server decoded from UTF-8 or encoded to it, kept with its bytes. An echo
 * (`sendText(id, e.text)`) then sends the bytes that arrived instead of encoding the string again, and
 * a broadcast of one string to many connections encodes it once. The memo is a pure cache of
 * `Buffer.from(text, 'utf8')`: a string equal to the remembered one has exactly those bytes.
 *
 * Only strings whose bytes are whole, valid UTF-8 are remembered (a complete text message, or a string
 * the server encoded itself), so that decoding and encoding round-trip exactly. The memo only ever
 * holds bytes the server owns: a received message is copied (at most DECODED_MEMO_LIMIT bytes, which
 * costs less than encoding them), so that an application that overwrites `e.textB` after reading
 * `e.text` — wiping a secret, say — still sends the text it read. The bytes it hands out are never
 * written to by the server. At most TEXT_MEMO_LIMIT bytes are held.
 */
import { Buffer } from 'node:buffer';

/** Longest text (in UTF-8 bytes) the memo keeps. */
export const TEXT_MEMO_LIMIT = 64 * 1024;
/** Longest received text the memo copies: small echoes are where encoding is a large part of the cost. */
export const DECODED_MEMO_LIMIT = 1024;

let lastText: string | null = null;
let lastBytes: Buffer | null = null;

/** The UTF-8 bytes of `text`: the remembered ones when it is the remembered string, else encoded (and remembered). */
export function utf8Bytes(text: string): Buffer {
  if (lastText !== null && text === lastText) return lastBytes!;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= TEXT_MEMO_LIMIT) remember(text, bytes);
  return bytes;
}

/**
 * `bytes` decoded, for bytes that are known to be whole, valid UTF-8 (a text message the core checked).
 * Small ones are remembered with a copy of their bytes, so that sending the string back costs no encoding.
 */
export function decodeUtf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (bytes.length <= DECODED_MEMO_LIMIT) {
    const own = Buffer.allocUnsafe(bytes.length);
    own.set(bytes);
    remember(text, own);
  }
  return text;
}

/** Drops what is remembered (specs; a server that wants nothing kept). */
export function forgetText(): void {
  lastText = null;
  lastBytes = null;
}

function remember(text: string, bytes: Buffer): void {
  lastText = text;
  lastBytes = bytes;
}
