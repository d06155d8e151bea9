/**
 * UTF-8 validation for text messages and close reasons.
 *
 * RFC 6455 §5.6: "The "Payload data" is text data encoded as UTF-8." and §8.1: "When an endpoint is to
 * interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream,
 * that endpoint MUST _Fail the WebSocket Connection_." Validity is defined by RFC 3629 §4 (the syntax of
 * table 3-7 in the Unicode standard): no overlong forms, no surrogates, nothing above U+10FFFF.
 */
import { isUtf8 } from 'node:buffer';

/**
 * Checks a complete byte string (a whole text message or a close reason) in one go.
 * Wraps node:buffer's native `isUtf8`, which applies the same RFC 3629 rules as {@link Utf8Validator}.
 */
export function isValidUtf8(data: Uint8Array): boolean {
  return isUtf8(data);
}

/** Bounds of a continuation byte when the lead byte adds no extra restriction. */
const CONT_LOW = 0x80;
const CONT_HIGH = 0xbf;

/**
 * Incremental validator for a text message that arrives in fragments, each possibly in several chunks.
 *
 * §8.1 wants the connection failed as soon as the data is known to be invalid, so each `push` answers for
 * the bytes seen so far: it fails on the very byte that rules out every valid continuation (for example the
 * `A0` of `ED A0 80`, which could only start a surrogate). A character split across pushes is carried over
 * in three numbers, so `push` never allocates.
 */
export class Utf8Validator {
  /** Continuation bytes still owed by the character in progress (0 on a character boundary). */
  private needed = 0;
  /** Allowed range of the NEXT continuation byte; narrower than 80..BF only right after E0, ED, F0, F4. */
  private low = CONT_LOW;
  private high = CONT_HIGH;
  /** Once invalid, the stream never becomes valid again. */
  private failed = false;

  /**
   * Validates `data[start..end)` as the continuation of the stream.
   * @returns false as soon as an invalid byte is seen (and from then on until {@link reset}); true while
   *   the stream so far can still be the prefix of valid UTF-8, even if it ends inside a character.
   */
  push(data: Uint8Array, start = 0, end: number = data.length): boolean {
    if (this.failed) return false;

    // Fast path: on a character boundary, a whole chunk that the native check accepts needs no byte loop.
    // The native check only takes whole views (a subarray would allocate), and it rejects a chunk that
    // ends mid-character, so anything else falls through to the byte loop, which also finds WHERE it failed.
    if (this.needed === 0 && start === 0 && end === data.length && isUtf8(data)) return true;

    let needed = this.needed;
    let low = this.low;
    let high = this.high;
    for (let i = start; i < end; i++) {
      const byte = data[i]!;
      if (needed === 0) {
        // A run of ASCII is by far the common case.
        if (byte < 0x80) continue;
        // RFC 3629 table 3-7 (lead byte → range allowed for the second byte).
        if (byte < 0xc2) {
          // 80..BF: a continuation byte with no lead byte. C0, C1: could only encode U+0000..U+007F overlong.
          return this.fail();
        } else if (byte < 0xe0) {
          // C2..DF 80..BF
          needed = 1;
        } else if (byte < 0xf0) {
          // E0 A0..BF (below A0 is overlong), ED 80..9F (above 9F is a surrogate U+D800..DFFF),
          // E1..EC and EE..EF 80..BF.
          needed = 2;
          if (byte === 0xe0) low = 0xa0;
          else if (byte === 0xed) high = 0x9f;
        } else if (byte < 0xf5) {
          // F0 90..BF (below 90 is overlong), F4 80..8F (above 8F exceeds U+10FFFF), F1..F3 80..BF.
          needed = 3;
          if (byte === 0xf0) low = 0x90;
          else if (byte === 0xf4) high = 0x8f;
        } else {
          // F5..FF: could only start a code point above U+10FFFF (or are not UTF-8 bytes at all).
          return this.fail();
        }
      } else {
        if (byte < low || byte > high) return this.fail();
        // Only the first continuation byte is restricted; the rest are plain 80..BF.
        needed--;
        low = CONT_LOW;
        high = CONT_HIGH;
      }
    }
    this.needed = needed;
    this.low = low;
    this.high = high;
    return true;
  }

  /** True when the stream is valid so far AND ends on a character boundary (ask at the end of a message). */
  end(): boolean {
    return !this.failed && this.needed === 0;
  }

  /** Forgets the stream, ready for the next message. */
  reset(): void {
    this.needed = 0;
    this.low = CONT_LOW;
    this.high = CONT_HIGH;
    this.failed = false;
  }

  private fail(): false {
    this.failed = true;
    return false;
  }
}
