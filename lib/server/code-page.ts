/**
 * The CodePage setting: how JS strings handed in for BINARY data become bytes, and back.
 *
 * Text frames are always UTF-8 on the wire (RFC 6455 §5.6: "the "Payload data" is text data encoded as
 * UTF-8"), so this only concerns binary payloads that the application supplies or reads as strings.
 *
 * Unmappable characters become '?' in the single-byte code pages, as the Windows converters do. A
 * character outside the BMP counts as one character there (one '?', not two). Decoding bytes that a
 * code page cannot represent gives '?' for US-ASCII and U+FFFD for the Unicode forms.
 */

/** UTF-8, the default. */
const UTF8 = 65001;
const US_ASCII = 20127;
const ISO_8859_1 = 28591;
const WINDOWS_1252 = 1252;
const UTF16LE = 1200;
const UTF16BE = 1201;
const UTF32LE = 12000;
const UTF32BE = 12001;

/** Every code page `encodeString`/`decodeBytes` accept; the first one is the default. */
export const SUPPORTED_CODE_PAGES: readonly number[] = Object.freeze([
  UTF8,
  US_ASCII,
  ISO_8859_1,
  WINDOWS_1252,
  UTF16LE,
  UTF16BE,
  UTF32LE,
  UTF32BE,
]);

const QUESTION_MARK = 0x3f;
const REPLACEMENT = 0xfffd;

/**
 * Windows-1252 bytes 0x80–0x9F (the only block where it differs from ISO-8859-1). A 0 marks the five
 * bytes the code page leaves undefined; Windows passes those through as the C1 controls U+0081 etc.
 */
const CP1252_HIGH: readonly number[] = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, // 80–87
  0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0, // 88–8F
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, // 90–97
  0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178, // 98–9F
];

/** The reverse of CP1252_HIGH, built once. */
const CP1252_REVERSE: ReadonlyMap<number, number> = (() => {
  const map = new Map<number, number>();
  for (let i = 0; i < CP1252_HIGH.length; i++) {
    const codePoint = CP1252_HIGH[i] ?? 0;
    // Undefined bytes round-trip through the matching C1 control.
    map.set(codePoint === 0 ? 0x80 + i : codePoint, 0x80 + i);
  }
  return map;
})();

/** True when `codePage` is one of SUPPORTED_CODE_PAGES. */
export function isSupportedCodePage(codePage: number): boolean {
  return SUPPORTED_CODE_PAGES.includes(codePage);
}

function unsupported(codePage: number): RangeError {
  return new RangeError(`Unsupported code page ${String(codePage)}; supported: ${SUPPORTED_CODE_PAGES.join(', ')}`);
}

/**
 * Turns `text` into bytes in `codePage`. Throws RangeError for an unsupported code page.
 * A lone surrogate becomes EF BF BD in UTF-8, U+FFFD in UTF-32, '?' in the single-byte pages, and is
 * kept as is in UTF-16 (which can carry it).
 */
export function encodeString(text: string, codePage: number): Buffer {
  switch (codePage) {
    case UTF8:
      return Buffer.from(text, 'utf8');
    case US_ASCII:
      return encodeSingleByte(text, asciiByte);
    case ISO_8859_1:
      return encodeSingleByte(text, latin1Byte);
    case WINDOWS_1252:
      return encodeSingleByte(text, cp1252Byte);
    case UTF16LE:
      return Buffer.from(text, 'utf16le');
    case UTF16BE:
      return Buffer.from(text, 'utf16le').swap16();
    case UTF32LE:
      return encodeUtf32(text, true);
    case UTF32BE:
      return encodeUtf32(text, false);
    default:
      throw unsupported(codePage);
  }
}

/**
 * Turns bytes in `codePage` back into a string. Throws RangeError for an unsupported code page.
 * Bytes above 0x7F in US-ASCII become '?'; malformed UTF-8, an odd trailing byte in UTF-16, and
 * surrogates, values above U+10FFFF or a short tail in UTF-32 become U+FFFD.
 */
export function decodeBytes(bytes: Uint8Array, codePage: number): string {
  // A view, not a copy: Buffer's decoders are the fast path for the common pages.
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (codePage) {
    case UTF8:
      return buffer.toString('utf8');
    case US_ASCII:
      return decodeSingleByte(buffer, asciiChar);
    case ISO_8859_1:
      return buffer.toString('latin1');
    case WINDOWS_1252:
      return decodeSingleByte(buffer, cp1252Char);
    case UTF16LE:
      return decodeUtf16(buffer, true);
    case UTF16BE:
      return decodeUtf16(buffer, false);
    case UTF32LE:
      return decodeUtf32(buffer, true);
    case UTF32BE:
      return decodeUtf32(buffer, false);
    default:
      throw unsupported(codePage);
  }
}

function asciiByte(codePoint: number): number {
  return codePoint <= 0x7f ? codePoint : QUESTION_MARK;
}

function latin1Byte(codePoint: number): number {
  return codePoint <= 0xff ? codePoint : QUESTION_MARK;
}

function cp1252Byte(codePoint: number): number {
  if (codePoint < 0x80 || (codePoint >= 0xa0 && codePoint <= 0xff)) return codePoint;
  return CP1252_REVERSE.get(codePoint) ?? QUESTION_MARK;
}

function asciiChar(byte: number): number {
  return byte <= 0x7f ? byte : QUESTION_MARK;
}

function cp1252Char(byte: number): number {
  if (byte < 0x80 || byte >= 0xa0) return byte;
  const codePoint = CP1252_HIGH[byte - 0x80] ?? 0;
  return codePoint === 0 ? byte : codePoint;
}

/** One byte per code point; a surrogate pair is one code point, a lone surrogate maps like any other. */
function encodeSingleByte(text: string, toByte: (codePoint: number) => number): Buffer {
  // Never more bytes than UTF-16 code units.
  const out = Buffer.allocUnsafe(text.length);
  let length = 0;
  let i = 0;
  while (i < text.length) {
    const codePoint = text.codePointAt(i) ?? 0;
    out[length++] = toByte(codePoint);
    i += codePoint > 0xffff ? 2 : 1;
  }
  return out.subarray(0, length);
}

/** Every byte maps to one BMP character, so the result is built as UTF-16LE code units in one buffer. */
function decodeSingleByte(bytes: Buffer, toChar: (byte: number) => number): string {
  const units = Buffer.allocUnsafe(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) units.writeUInt16LE(toChar(bytes[i] ?? 0), i * 2);
  return units.toString('utf16le');
}

function encodeUtf32(text: string, littleEndian: boolean): Buffer {
  const out = Buffer.allocUnsafe(text.length * 4);
  let length = 0;
  let i = 0;
  while (i < text.length) {
    let codePoint = text.codePointAt(i) ?? 0;
    i += codePoint > 0xffff ? 2 : 1;
    // UTF-32 cannot carry a surrogate code point.
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) codePoint = REPLACEMENT;
    if (littleEndian) out.writeUInt32LE(codePoint, length);
    else out.writeUInt32BE(codePoint, length);
    length += 4;
  }
  return out.subarray(0, length);
}

function decodeUtf16(bytes: Buffer, littleEndian: boolean): string {
  const even = bytes.length & ~1;
  let text: string;
  if (littleEndian) {
    text = bytes.toString('utf16le', 0, even);
  } else {
    // swap16 works in place, so it gets a copy rather than the caller's bytes.
    text = Buffer.from(bytes.subarray(0, even)).swap16().toString('utf16le');
  }
  return even === bytes.length ? text : text + String.fromCharCode(REPLACEMENT);
}

function decodeUtf32(bytes: Buffer, littleEndian: boolean): string {
  let text = '';
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    const codePoint = littleEndian ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i);
    const valid = codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
    text += String.fromCodePoint(valid ? codePoint : REPLACEMENT);
  }
  if (i < bytes.length) text += String.fromCharCode(REPLACEMENT);
  return text;
}
