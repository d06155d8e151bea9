/**
 * An incremental parser for the head of an HTTP/1.x request (RFC 7230 §3): the request line and
 * the header fields, up to and including the empty line. It never reads a body: in a WebSocket
 * opening handshake, whatever follows the head already belongs to the WebSocket connection.
 *
 * The head is decoded as latin1, so every byte maps to one character and `rawHeaders` keeps the
 * bytes exactly as received (RFC 7230 §3.2.4: "a recipient SHOULD treat other octets in field
 * content (obs-text) as opaque data").
 */

import { Defaults } from './constants';
import { HandshakeError } from './errors';
import { isTokenChar } from './header-grammar';

/** The parsed head of one HTTP request. */
export interface HttpRequest {
  /** The method as sent, e.g. `'GET'` (methods are case-sensitive, RFC 7231 §4.1). */
  method: string;
  /** The request-target, e.g. `'/chat?x=1'`. */
  uri: string;
  /** e.g. `'1.1'`. */
  httpVersion: string;
  versionMajor: number;
  versionMinor: number;
  /** The header fields in order: names as sent, values with the surrounding OWS removed. */
  headers: Array<[name: string, value: string]>;
  /** The header lines exactly as received, CRLF-separated, without the request line and without the
   *  final empty line. */
  rawHeaders: string;
  /** The value of a header, looked up case-insensitively; repeated headers are joined with `', '`
   *  (RFC 7230 §3.2.2). `undefined` when absent. */
  get(name: string): string | undefined;
}

const NUL = 0x00;
const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COLON = 0x3a;
const DEL = 0x7f;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

class ParsedRequest implements HttpRequest {
  readonly httpVersion: string;
  readonly #index = new Map<string, string>();

  constructor(
    readonly method: string,
    readonly uri: string,
    readonly versionMajor: number,
    readonly versionMinor: number,
    readonly headers: Array<[name: string, value: string]>,
    readonly rawHeaders: string,
  ) {
    this.httpVersion = `${versionMajor}.${versionMinor}`;
    for (const [name, value] of headers) {
      const key = name.toLowerCase();
      const seen = this.#index.get(key);
      this.#index.set(key, seen === undefined ? value : `${seen}, ${value}`);
    }
  }

  get(name: string): string | undefined {
    return this.#index.get(name.toLowerCase());
  }
}

function badRequest(code: string, message: string): HandshakeError {
  return new HandshakeError(400, code, message);
}

/**
 * Collects the bytes of a request head as they arrive and parses each line as soon as its CRLF is
 * seen, so that no byte is looked at twice however the input is chunked.
 */
export class HttpRequestParser {
  readonly #maxHeaderSize: number;
  /** The head bytes received so far (`#length` of them are used). */
  #head: Buffer;
  #length = 0;
  /** Where the line being received starts in `#head`. */
  #lineStart = 0;
  /** Where the header lines start (just after the request line's CRLF). */
  #headersStart = -1;
  #previous = -1;
  #requestLine: { method: string; uri: string; major: number; minor: number } | undefined;
  readonly #headers: Array<[string, string]> = [];
  #result: HttpRequest | undefined;
  #remainder: Buffer = Buffer.alloc(0);
  #failure: HandshakeError | undefined;

  /** @param options.maxHeaderSize The largest accepted head in bytes, request line and final CRLF
   *  included (default `Defaults.maxHeaderSize`, 16 KiB). */
  constructor(options: { maxHeaderSize?: number } = {}) {
    const max = options.maxHeaderSize ?? Defaults.maxHeaderSize;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxHeaderSize must be a positive integer, got ${max}`);
    this.#maxHeaderSize = max;
    this.#head = Buffer.allocUnsafe(Math.min(max, 1024));
  }

  /**
   * Feeds bytes. Returns the request once its head (up to and including CRLFCRLF) is complete,
   * else `null`. Must not be called again after it returned the request.
   * @throws HandshakeError(400, …) for malformed input; HandshakeError(431, 'WSS_ERR_HEADER_TOO_LARGE')
   *   when the head grows beyond `maxHeaderSize` before it completes. Once thrown, it throws the same
   *   error on every later call.
   */
  push(chunk: Uint8Array): HttpRequest | null {
    if (this.#failure) throw this.#failure;
    if (this.#result) throw new Error('HttpRequestParser.push() called after the request head was complete');
    try {
      return this.#scan(chunk);
    } catch (error) {
      if (error instanceof HandshakeError) this.#failure = error;
      throw error;
    }
  }

  /** The bytes received after the end of the head (a client may pipeline its first frames);
   *  an empty Buffer when there are none. */
  takeRemainder(): Buffer {
    const rest = this.#remainder;
    this.#remainder = Buffer.alloc(0);
    return rest;
  }

  #scan(chunk: Uint8Array): HttpRequest | null {
    for (let i = 0; i < chunk.length; i++) {
      // The limit is on the head as a whole: a head of exactly maxHeaderSize bytes is accepted.
      if (this.#length >= this.#maxHeaderSize) {
        throw new HandshakeError(
          431,
          'WSS_ERR_HEADER_TOO_LARGE',
          `request head larger than ${this.#maxHeaderSize} bytes`,
        );
      }
      const byte = chunk[i]!;
      this.#append(byte);
      const previous = this.#previous;
      this.#previous = byte;

      if (byte === NUL) throw badRequest('WSS_ERR_MALFORMED_HTTP', 'NUL byte in request head');
      // RFC 7230 §3: each line of the head ends with CRLF; a bare CR or LF is not accepted here
      // (§3.5 only allows, not requires, a recipient to tolerate a bare LF).
      if (previous === CR && byte !== LF) throw badRequest('WSS_ERR_MALFORMED_HTTP', 'CR not followed by LF');
      if (byte !== LF) continue;
      if (previous !== CR) throw badRequest('WSS_ERR_MALFORMED_HTTP', 'line ended by LF without CR');

      const lineEnd = this.#length - 2;
      const lineStart = this.#lineStart;
      this.#lineStart = this.#length;
      if (this.#requestLine === undefined) {
        this.#requestLine = this.#parseRequestLine(lineStart, lineEnd);
        this.#headersStart = this.#length;
      } else if (lineEnd > lineStart) {
        this.#headers.push(this.#parseHeaderLine(lineStart, lineEnd));
      } else {
        // The empty line: the head is complete. Whatever else is in this chunk is not ours.
        this.#result = this.#finish();
        if (i + 1 < chunk.length) this.#remainder = Buffer.from(chunk.subarray(i + 1));
        return this.#result;
      }
    }
    return null;
  }

  #append(byte: number): void {
    if (this.#length === this.#head.length) {
      // Grows geometrically, but never beyond the limit: a head can't be larger than that anyway.
      const bigger = Buffer.allocUnsafe(Math.min(this.#head.length * 2, this.#maxHeaderSize));
      this.#head.copy(bigger, 0, 0, this.#length);
      this.#head = bigger;
    }
    this.#head[this.#length++] = byte;
  }

  // RFC 7230 §3.1.1: request-line = method SP request-target SP HTTP-version CRLF
  #parseRequestLine(start: number, end: number): { method: string; uri: string; major: number; minor: number } {
    const head = this.#head;
    const fail = (why: string): HandshakeError =>
      badRequest('WSS_ERR_BAD_REQUEST_LINE', `bad request line (${why}): ${JSON.stringify(head.toString('latin1', start, end))}`);

    // RFC 7230 §3.5 lets a server skip empty lines before the request line; none are accepted here.
    if (end === start) throw fail('empty');

    // method = token
    let pos = start;
    while (pos < end && isTokenChar(head[pos]!)) pos++;
    if (pos === start) throw fail('no method');
    if (pos === end || head[pos] !== SP) throw fail('method is not a token followed by SP');
    const method = head.toString('latin1', start, pos);

    // request-target: its URI forms (RFC 3986) are visible ASCII, without spaces.
    const targetStart = ++pos;
    while (pos < end && head[pos]! > SP && head[pos]! < DEL) pos++;
    if (pos === targetStart) throw fail('no request-target');
    if (pos === end || head[pos] !== SP) throw fail('request-target is not followed by SP and a version');
    const uri = head.toString('latin1', targetStart, pos);

    // HTTP-version = "HTTP" "/" DIGIT "." DIGIT  (case-sensitive, §2.6)
    pos++;
    if (
      end - pos !== 8 ||
      head.toString('latin1', pos, pos + 5) !== 'HTTP/' ||
      !isDigit(head[pos + 5]!) ||
      head[pos + 6] !== 0x2e ||
      !isDigit(head[pos + 7]!)
    ) {
      throw fail('version is not HTTP/x.y');
    }
    return { method, uri, major: head[pos + 5]! - DIGIT_0, minor: head[pos + 7]! - DIGIT_0 };
  }

  // RFC 7230 §3.2: header-field = field-name ":" OWS field-value OWS
  #parseHeaderLine(start: number, end: number): [string, string] {
    const head = this.#head;
    const fail = (why: string): HandshakeError =>
      badRequest('WSS_ERR_BAD_HEADER_LINE', `bad header line (${why}): ${JSON.stringify(head.toString('latin1', start, end))}`);

    // §3.2.4: "A server that receives an obs-fold in a request message … MUST either reject the
    // message by sending a 400 (Bad Request) … or replace each received obs-fold with one or more SP".
    if (head[start] === SP || head[start] === HTAB) throw fail('obs-fold');

    // field-name = token; §3.2.4: "No whitespace is allowed between the header field-name and colon."
    let pos = start;
    while (pos < end && isTokenChar(head[pos]!)) pos++;
    if (pos === end) throw fail('no colon');
    if (pos === start) throw fail('empty field name');
    if (head[pos] !== COLON) throw fail('field name is not a token');
    const name = head.toString('latin1', start, pos);

    // field-value = *( field-vchar [ 1*( SP / HTAB ) field-vchar ] ); obs-text (0x80-0xFF) allowed.
    let valueStart = pos + 1;
    let valueEnd = end;
    for (let i = valueStart; i < end; i++) {
      const c = head[i]!;
      if ((c < SP && c !== HTAB) || c === DEL) throw fail('control character in value');
    }
    while (valueStart < valueEnd && (head[valueStart] === SP || head[valueStart] === HTAB)) valueStart++;
    while (valueEnd > valueStart && (head[valueEnd - 1] === SP || head[valueEnd - 1] === HTAB)) valueEnd--;
    return [name, head.toString('latin1', valueStart, valueEnd)];
  }

  #finish(): HttpRequest {
    const line = this.#requestLine!;
    // The head ends with the last header line's CRLF and the empty line's CRLF.
    const rawEnd = Math.max(this.#headersStart, this.#length - 4);
    const rawHeaders = this.#head.toString('latin1', this.#headersStart, rawEnd);
    return new ParsedRequest(line.method, line.uri, line.major, line.minor, this.#headers, rawHeaders);
  }
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}
