import { expect } from 'chai';
import { Defaults } from '../../lib/protocol/constants';
import { HandshakeError } from '../../lib/protocol/errors';
import { type HttpRequest, HttpRequestParser } from '../../lib/protocol/http-request';

const HEAD =
  'GET /chat?x=1 HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: keep-alive, Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'X-Spaces: \t padded value \t \r\n' +
  'X-Multi: one\r\n' +
  'x-multi: two\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** The plain-data view of a request, for comparing the results of different chunkings. */
function snapshot(request: HttpRequest) {
  return {
    method: request.method,
    uri: request.uri,
    httpVersion: request.httpVersion,
    versionMajor: request.versionMajor,
    versionMinor: request.versionMinor,
    headers: request.headers,
    rawHeaders: request.rawHeaders,
  };
}

/** Feeds `chunks` in order; returns the request, or null if the head never completed. */
function feed(parser: HttpRequestParser, chunks: Buffer[]): HttpRequest | null {
  let result: HttpRequest | null = null;
  for (let i = 0; i < chunks.length; i++) {
    result = parser.push(chunks[i]!);
    if (result !== null) {
      expect(i, 'completed before the last chunk').to.equal(chunks.length - 1);
      return result;
    }
  }
  return result;
}

function parseWhole(text: string, options?: { maxHeaderSize?: number }): HttpRequest | null {
  return new HttpRequestParser(options).push(bytes(text));
}

function catchError(fn: () => unknown): HandshakeError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(HandshakeError);
    return error as HandshakeError;
  }
  expect.fail('expected a HandshakeError');
}

function expect400(text: string, code: string): void {
  const error = catchError(() => parseWhole(text));
  expect(error.httpStatus, JSON.stringify(text)).to.equal(400);
  expect(error.code, JSON.stringify(text)).to.equal(code);
}

/** A head of exactly `size` bytes, padded by one header. */
function headOfSize(size: number): string {
  const prefix = 'GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ';
  const suffix = '\r\n\r\n';
  return prefix + 'p'.repeat(size - prefix.length - suffix.length) + suffix;
}

describe('HttpRequestParser', () => {
  describe('a valid request head', () => {
    it('is parsed into method, target, version, ordered trimmed headers and the raw header lines', () => {
      const request = parseWhole(HEAD);
      expect(request).to.not.equal(null);
      expect(snapshot(request!)).to.deep.equal({
        method: 'GET',
        uri: '/chat?x=1',
        httpVersion: '1.1',
        versionMajor: 1,
        versionMinor: 1,
        headers: [
          ['Host', 'server.example.com'],
          ['Upgrade', 'websocket'],
          ['Connection', 'keep-alive, Upgrade'],
          ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
          ['X-Spaces', 'padded value'],
          ['X-Multi', 'one'],
          ['x-multi', 'two'],
          ['Sec-WebSocket-Version', '13'],
        ],
        rawHeaders: HEAD.slice(HEAD.indexOf('\r\n') + 2, -4),
      });
      expect(request!.rawHeaders.startsWith('Host: server.example.com\r\n')).to.equal(true);
      expect(request!.rawHeaders.endsWith('Sec-WebSocket-Version: 13')).to.equal(true);
    });

    it('looks headers up case-insensitively and joins repeated ones with ", "', () => {
      const request = parseWhole(HEAD)!;
      expect(request.get('HOST')).to.equal('server.example.com');
      expect(request.get('sec-websocket-key')).to.equal('dGhlIHNhbXBsZSBub25jZQ==');
      expect(request.get('X-MULTI')).to.equal('one, two');
      expect(request.get('X-Absent')).to.equal(undefined);
    });

    it('accepts a head without header fields (rawHeaders empty)', () => {
      const request = parseWhole('GET / HTTP/1.0\r\n\r\n')!;
      expect(snapshot(request)).to.deep.equal({
        method: 'GET',
        uri: '/',
        httpVersion: '1.0',
        versionMajor: 1,
        versionMinor: 0,
        headers: [],
        rawHeaders: '',
      });
    });

    it('keeps an empty value, other methods and obs-text bytes as sent (latin1)', () => {
      const request = parseWhole('post * HTTP/2.0\r\nX-Empty:\r\nX-Latin: caf\xe9\r\n\r\n')!;
      expect(request.method).to.equal('post');
      expect(request.uri).to.equal('*');
      expect(request.versionMajor).to.equal(2);
      expect(request.headers).to.deep.equal([
        ['X-Empty', ''],
        ['X-Latin', 'caf\xe9'],
      ]);
      expect(request.rawHeaders).to.equal('X-Empty:\r\nX-Latin: caf\xe9');
    });

    it('gives the identical result fed whole and one byte at a time', () => {
      const whole = snapshot(parseWhole(HEAD)!);
      const parser = new HttpRequestParser();
      const data = bytes(HEAD);
      const chunks: Buffer[] = [];
      for (let i = 0; i < data.length; i++) chunks.push(data.subarray(i, i + 1));
      expect(snapshot(feed(parser, chunks)!)).to.deep.equal(whole);
    });

    it('gives the identical result split at every position (two and three chunks)', () => {
      const whole = snapshot(parseWhole(HEAD)!);
      const data = bytes(HEAD);
      for (let a = 0; a < data.length; a++) {
        const two = feed(new HttpRequestParser(), [data.subarray(0, a), data.subarray(a)]);
        expect(two, `split at ${a}`).to.not.equal(null);
        expect(snapshot(two!), `split at ${a}`).to.deep.equal(whole);
      }
      for (let a = 1; a < data.length; a += 7) {
        for (let b = a; b < data.length; b += 3) {
          const three = feed(new HttpRequestParser(), [data.subarray(0, a), data.subarray(a, b), data.subarray(b)]);
          expect(snapshot(three!), `split at ${a}, ${b}`).to.deep.equal(whole);
        }
      }
    });

    it('returns null until the final empty line has arrived', () => {
      const parser = new HttpRequestParser();
      expect(parser.push(bytes('GET / HTTP/1.1\r\nHost: a\r\n'))).to.equal(null);
      expect(parser.push(bytes('\r'))).to.equal(null);
      expect(parser.push(new Uint8Array(0))).to.equal(null);
      expect(parser.push(bytes('\n'))).to.not.equal(null);
    });

    it('refuses to be fed again after the head is complete', () => {
      const parser = new HttpRequestParser();
      parser.push(bytes(HEAD));
      expect(() => parser.push(bytes('x'))).to.throw(Error, /after the request head/);
    });
  });

  describe('takeRemainder()', () => {
    it('returns the pipelined bytes that followed the head in the same chunk', () => {
      const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x49, 0x67, 0x6f, 0x68, 0x6e]);
      const parser = new HttpRequestParser();
      const request = parser.push(Buffer.concat([bytes(HEAD), frame]));
      expect(request!.get('host')).to.equal('server.example.com');
      const rest = parser.takeRemainder();
      expect(Buffer.isBuffer(rest)).to.equal(true);
      expect([...rest]).to.deep.equal([...frame]);
    });

    it('returns them wherever the input was split', () => {
      const data = Buffer.concat([bytes(HEAD), bytes('tail')]);
      for (let a = 0; a <= data.length; a++) {
        const parser = new HttpRequestParser();
        const first = parser.push(data.subarray(0, a));
        if (first === null) expect(parser.push(data.subarray(a))).to.not.equal(null);
        // Completed by the first chunk: only its own extra bytes are a remainder.
        const expected = a < HEAD.length ? 'tail' : 'tail'.slice(0, a - HEAD.length);
        expect(parser.takeRemainder().toString('latin1'), `split at ${a}`).to.equal(expected);
      }
    });

    it('is a copy, unaffected by later changes to the caller\'s chunk', () => {
      const chunk = Buffer.concat([bytes(HEAD), bytes('ab')]);
      const parser = new HttpRequestParser();
      parser.push(chunk);
      chunk.fill(0);
      expect(parser.takeRemainder().toString()).to.equal('ab');
    });

    it('is an empty Buffer when nothing followed the head, or before completion', () => {
      const parser = new HttpRequestParser();
      expect(parser.push(bytes('GET / HTTP/1.1\r\n'))).to.equal(null);
      expect(parser.takeRemainder().length).to.equal(0);
      parser.push(bytes('\r\n'));
      const rest = parser.takeRemainder();
      expect(Buffer.isBuffer(rest)).to.equal(true);
      expect(rest.length).to.equal(0);
    });
  });

  describe('the head size limit', () => {
    it('defaults to Defaults.maxHeaderSize (16 KiB)', () => {
      expect(Defaults.maxHeaderSize).to.equal(16384);
    });

    it('accepts a head of exactly 16 KiB, whole and byte by byte', () => {
      const text = headOfSize(16384);
      expect(text.length).to.equal(16384);
      expect(parseWhole(text)!.get('x-pad')!.length).to.be.greaterThan(16000);
      const data = bytes(text);
      const parser = new HttpRequestParser();
      let result: HttpRequest | null = null;
      for (let i = 0; i < data.length; i++) result = parser.push(data.subarray(i, i + 1));
      expect(result).to.not.equal(null);
    });

    it('answers 431 WSS_ERR_HEADER_TOO_LARGE for a head one byte over', () => {
      const error = catchError(() => parseWhole(headOfSize(16385)));
      expect(error.httpStatus).to.equal(431);
      expect(error.code).to.equal('WSS_ERR_HEADER_TOO_LARGE');
    });

    it('does not count pipelined bytes after the head against the limit', () => {
      const parser = new HttpRequestParser();
      expect(parser.push(Buffer.concat([bytes(headOfSize(16384)), Buffer.alloc(1000, 0x41)]))).to.not.equal(null);
      expect(parser.takeRemainder().length).to.equal(1000);
    });

    it('fails as soon as an unfinished head passes the limit, before any CRLFCRLF', () => {
      const parser = new HttpRequestParser();
      expect(parser.push(bytes('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(16384 - 19)))).to.equal(null);
      const error = catchError(() => parser.push(bytes('a')));
      expect(error.httpStatus).to.equal(431);
      // The parser stays failed.
      expect(catchError(() => parser.push(bytes('\r\n\r\n')))).to.equal(error);
    });

    it('honours a custom limit', () => {
      expect(parseWhole(headOfSize(100), { maxHeaderSize: 100 })).to.not.equal(null);
      const error = catchError(() => parseWhole(headOfSize(101), { maxHeaderSize: 100 }));
      expect(error.httpStatus).to.equal(431);
      expect(error.code).to.equal('WSS_ERR_HEADER_TOO_LARGE');
      expect(parseWhole(headOfSize(20000), { maxHeaderSize: 20000 })).to.not.equal(null);
    });

    it('rejects a limit that is not a positive integer', () => {
      expect(() => new HttpRequestParser({ maxHeaderSize: 0 })).to.throw(RangeError);
      expect(() => new HttpRequestParser({ maxHeaderSize: 1.5 })).to.throw(RangeError);
    });
  });

  describe('a malformed request line → 400 WSS_ERR_BAD_REQUEST_LINE', () => {
    const cases: Array<[string, string]> = [
      ['empty line before the request line', '\r\nGET / HTTP/1.1\r\n\r\n'],
      ['no target', 'GET HTTP/1.1\r\n\r\n'],
      ['no version', 'GET /\r\n\r\n'],
      ['two spaces after the method', 'GET  / HTTP/1.1\r\n\r\n'],
      ['space inside the target', 'GET /a b HTTP/1.1\r\n\r\n'],
      ['trailing space', 'GET / HTTP/1.1 \r\n\r\n'],
      ['leading space', ' GET / HTTP/1.1\r\n\r\n'],
      ['method not a token', 'G(ET / HTTP/1.1\r\n\r\n'],
      ['lower-case protocol name', 'GET / http/1.1\r\n\r\n'],
      ['version without minor', 'GET / HTTP/1\r\n\r\n'],
      ['two-digit version', 'GET / HTTP/1.10\r\n\r\n'],
      ['non-digit version', 'GET / HTTP/x.1\r\n\r\n'],
      ['tab as separator', 'GET\t/ HTTP/1.1\r\n\r\n'],
      ['control character in target', 'GET /\x7f HTTP/1.1\r\n\r\n'],
      ['non-ASCII byte in target', 'GET /\xe9 HTTP/1.1\r\n\r\n'],
    ];
    for (const [what, text] of cases) {
      it(what, () => expect400(text, 'WSS_ERR_BAD_REQUEST_LINE'));
    }
  });

  describe('a malformed header line → 400 WSS_ERR_BAD_HEADER_LINE', () => {
    const cases: Array<[string, string]> = [
      ['obs-fold with SP', 'X: a\r\n continued'],
      ['obs-fold with HTAB', 'X: a\r\n\tcontinued'],
      ['no colon', 'Host example.com'],
      ['empty name', ': value'],
      ['space before the colon', 'Host : example.com'],
      ['name with a separator', 'X(y): 1'],
      ['name with a non-ASCII byte', 'X\xe9: 1'],
      ['control character in value', 'X: a\x01b'],
      ['DEL in value', 'X: a\x7f'],
      ['ESC in value', 'X: \x1b[31m'],
    ];
    for (const [what, line] of cases) {
      it(what, () => expect400(`GET / HTTP/1.1\r\nHost: a\r\n${line}\r\n\r\n`, 'WSS_ERR_BAD_HEADER_LINE'));
    }
    it('but a HTAB inside a value is fine', () => {
      expect(parseWhole('GET / HTTP/1.1\r\nX: a\tb\r\n\r\n')!.get('x')).to.equal('a\tb');
    });
  });

  describe('bad line endings and NUL → 400 WSS_ERR_MALFORMED_HTTP', () => {
    const cases: Array<[string, string]> = [
      ['bare LF ending the request line', 'GET / HTTP/1.1\nHost: a\r\n\r\n'],
      ['bare LF ending a header line', 'GET / HTTP/1.1\r\nHost: a\n\r\n'],
      ['bare LF as the empty line', 'GET / HTTP/1.1\r\nHost: a\r\n\n'],
      ['bare CR inside a value', 'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n'],
      ['CR CR LF', 'GET / HTTP/1.1\r\r\n\r\n'],
      ['NUL in a value', 'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n'],
      ['NUL in the request line', 'GET /\x00 HTTP/1.1\r\n\r\n'],
      ['NUL in a name', 'GET / HTTP/1.1\r\nX\x00: a\r\n\r\n'],
    ];
    for (const [what, text] of cases) {
      it(what, () => expect400(text, 'WSS_ERR_MALFORMED_HTTP'));
    }
    it('detects them fed byte by byte too, and keeps failing afterwards', () => {
      const data = bytes('GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n');
      const parser = new HttpRequestParser();
      let error: HandshakeError | undefined;
      let at = -1;
      for (let i = 0; i < data.length && error === undefined; i++) {
        try {
          parser.push(data.subarray(i, i + 1));
        } catch (e) {
          error = e as HandshakeError;
          at = i;
        }
      }
      expect(error).to.be.instanceOf(HandshakeError);
      expect(error!.httpStatus).to.equal(400);
      expect(at).to.equal(data.indexOf(0));
      expect(catchError(() => parser.push(bytes('\r\n')))).to.equal(error);
    });
  });
});
