import { expect } from 'chai';
import { HandshakeError } from '../../lib/protocol/errors';
import {
  computeAcceptKey,
  formatAcceptResponse,
  formatRejectResponse,
  parseHeaderLines,
  reasonPhrase,
  validateUpgradeRequest,
} from '../../lib/protocol/handshake';
import { type HttpRequest, HttpRequestParser } from '../../lib/protocol/http-request';

const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** The client handshake of RFC 6455 §1.2, as header lines. */
const SAMPLE_HEADERS = [
  'Host: server.example.com',
  'Upgrade: websocket',
  'Connection: Upgrade',
  `Sec-WebSocket-Key: ${SAMPLE_KEY}`,
  'Origin: http://example.com',
  'Sec-WebSocket-Protocol: chat, superchat',
  'Sec-WebSocket-Version: 13',
];

/** Parses a request head made of `requestLine` and `headers` through the real parser. */
function request(headers: string[], requestLine = 'GET /chat HTTP/1.1'): HttpRequest {
  const text = [requestLine, ...headers].join('\r\n') + '\r\n\r\n';
  const parsed = new HttpRequestParser().push(Buffer.from(text, 'latin1'));
  expect(parsed, 'the test request parses').to.not.equal(null);
  return parsed!;
}

/** The sample headers with the named one replaced by `lines` (or removed when empty). */
function withHeader(name: string, ...lines: string[]): string[] {
  const out: string[] = [];
  let replaced = false;
  for (const line of SAMPLE_HEADERS) {
    if (line.toLowerCase().startsWith(name.toLowerCase() + ':')) {
      if (!replaced) out.push(...lines);
      replaced = true;
    } else {
      out.push(line);
    }
  }
  if (!replaced) out.push(...lines);
  return out;
}

function rejection(req: HttpRequest): HandshakeError {
  try {
    validateUpgradeRequest(req);
  } catch (error) {
    expect(error).to.be.instanceOf(HandshakeError);
    return error as HandshakeError;
  }
  expect.fail('expected validateUpgradeRequest to throw');
}

function expectRejected(req: HttpRequest, status: number, code: string, headers: Array<[string, string]> = []): void {
  const error = rejection(req);
  expect(error.httpStatus).to.equal(status);
  expect(error.code).to.equal(code);
  expect(error.headers).to.deep.equal(headers);
}

describe('opening handshake', () => {
  describe('computeAcceptKey', () => {
    it('gives the RFC 6455 §1.3/§4.2.2 sample value', () => {
      expect(computeAcceptKey(SAMPLE_KEY)).to.equal(SAMPLE_ACCEPT);
    });
    it('depends on the key', () => {
      expect(computeAcceptKey('x3JJHMbDL1EzLkh9GBhXDw==')).to.equal('HSmrc0sMlYUkAGmm5OPpG2HaGWk=');
      expect(computeAcceptKey('dGhlIHNhbXBsZSBub25jZR==')).to.not.equal(SAMPLE_ACCEPT);
    });
  });

  describe('validateUpgradeRequest', () => {
    it('accepts the RFC 6455 §1.2 sample and extracts its fields', () => {
      const req = request(SAMPLE_HEADERS);
      const upgrade = validateUpgradeRequest(req);
      expect(upgrade).to.deep.equal({
        request: req,
        key: SAMPLE_KEY,
        uri: '/chat',
        host: 'server.example.com',
        origin: 'http://example.com',
        subprotocols: ['chat', 'superchat'],
        extensionOffers: [],
        extensionsHeader: '',
      });
    });

    it('defaults origin, subprotocols and extensions when their headers are absent', () => {
      const headers = SAMPLE_HEADERS.filter((line) => !/^(Origin|Sec-WebSocket-Protocol):/.test(line));
      const upgrade = validateUpgradeRequest(request(headers, 'GET /a/b?c=d HTTP/1.1'));
      expect(upgrade.uri).to.equal('/a/b?c=d');
      expect(upgrade.origin).to.equal('');
      expect(upgrade.subprotocols).to.deep.equal([]);
      expect(upgrade.extensionOffers).to.deep.equal([]);
      expect(upgrade.extensionsHeader).to.equal('');
    });

    it('reads the legacy Sec-WebSocket-Origin, preferring Origin', () => {
      const legacy = withHeader('Origin', 'Sec-WebSocket-Origin: http://old.example');
      expect(validateUpgradeRequest(request(legacy)).origin).to.equal('http://old.example');
      const both = [...SAMPLE_HEADERS, 'Sec-WebSocket-Origin: http://old.example'];
      expect(validateUpgradeRequest(request(both)).origin).to.equal('http://example.com');
    });

    it('accepts HTTP versions above 1.1', () => {
      expect(validateUpgradeRequest(request(SAMPLE_HEADERS, 'GET / HTTP/1.2')).uri).to.equal('/');
    });

    describe('method (405 WSS_ERR_METHOD with Allow: GET)', () => {
      for (const method of ['POST', 'HEAD', 'get', 'CONNECT']) {
        it(`rejects ${method}`, () => {
          expectRejected(request(SAMPLE_HEADERS, `${method} /chat HTTP/1.1`), 405, 'WSS_ERR_METHOD', [['Allow', 'GET']]);
        });
      }
    });

    describe('HTTP version (400 WSS_ERR_HTTP_VERSION)', () => {
      for (const version of ['1.0', '0.9']) {
        it(`rejects HTTP/${version}`, () => {
          expectRejected(request(SAMPLE_HEADERS, `GET /chat HTTP/${version}`), 400, 'WSS_ERR_HTTP_VERSION');
        });
      }
    });

    describe('a body (400 WSS_ERR_BODY): the request is a GET whose head is followed by frames only', () => {
      for (const header of ['Content-Length: 5', 'Content-Length: 0, 0', 'Content-Length: x', 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity']) {
        it(`rejects ${header}`, () => {
          const error = rejection(request([...SAMPLE_HEADERS, header]));
          expect([error.httpStatus, error.code]).to.deep.equal([400, 'WSS_ERR_BODY']);
          expect(error.message).to.match(/^the request has a body \((Content-Length .+|Transfer-Encoding)\)$/);
        });
      }

      it('accepts Content-Length: 0', () => {
        expect(validateUpgradeRequest(request([...SAMPLE_HEADERS, 'Content-Length: 0'])).uri).to.equal('/chat');
      });
    });

    describe('Host (400 WSS_ERR_NO_HOST)', () => {
      it('rejects a request without Host', () => {
        expectRejected(request(withHeader('Host')), 400, 'WSS_ERR_NO_HOST');
      });
      it('rejects an empty Host', () => {
        expectRejected(request(withHeader('Host', 'Host:  ')), 400, 'WSS_ERR_NO_HOST');
      });
      it('rejects two Host headers (RFC 7230 §5.4)', () => {
        expectRejected(request(withHeader('Host', 'Host: a.example', 'host: b.example')), 400, 'WSS_ERR_NO_HOST');
      });
      it('accepts a Host with a port, whatever the name case', () => {
        expect(validateUpgradeRequest(request(withHeader('Host', 'HOST: example.com:8080'))).host).to.equal('example.com:8080');
      });
    });

    describe('Upgrade (400 WSS_ERR_UPGRADE)', () => {
      it('accepts "websocket" in any case and inside a list', () => {
        for (const value of ['WebSocket', 'WEBSOCKET', 'h2c, websocket', 'HTTP/2.0,WebSocket ']) {
          expect(validateUpgradeRequest(request(withHeader('Upgrade', `Upgrade: ${value}`))).key, value).to.equal(SAMPLE_KEY);
        }
      });
      it('accepts it in a repeated Upgrade header', () => {
        const headers = withHeader('Upgrade', 'Upgrade: h2c', 'Upgrade: websocket');
        expect(validateUpgradeRequest(request(headers)).key).to.equal(SAMPLE_KEY);
      });
      it('rejects a missing Upgrade', () => {
        expectRejected(request(withHeader('Upgrade')), 400, 'WSS_ERR_UPGRADE');
      });
      for (const value of ['h2c', 'websockets', 'web socket', '']) {
        it(`rejects Upgrade: ${JSON.stringify(value)}`, () => {
          expectRejected(request(withHeader('Upgrade', `Upgrade: ${value}`)), 400, 'WSS_ERR_UPGRADE');
        });
      }
    });

    describe('Connection (400 WSS_ERR_CONNECTION)', () => {
      it('accepts "Upgrade" in any case and inside a list', () => {
        for (const value of ['upgrade', 'keep-alive, Upgrade', 'Upgrade,close', 'UPGRADE']) {
          expect(validateUpgradeRequest(request(withHeader('Connection', `Connection: ${value}`))).key, value).to.equal(
            SAMPLE_KEY,
          );
        }
      });
      it('accepts it in a repeated Connection header', () => {
        const headers = withHeader('Connection', 'Connection: keep-alive', 'Connection: Upgrade');
        expect(validateUpgradeRequest(request(headers)).key).to.equal(SAMPLE_KEY);
      });
      it('rejects a missing Connection', () => {
        expectRejected(request(withHeader('Connection')), 400, 'WSS_ERR_CONNECTION');
      });
      for (const value of ['keep-alive', 'upgraded', 'close']) {
        it(`rejects Connection: ${value}`, () => {
          expectRejected(request(withHeader('Connection', `Connection: ${value}`)), 400, 'WSS_ERR_CONNECTION');
        });
      }
    });

    describe('Sec-WebSocket-Version (426 WSS_ERR_VERSION with Sec-WebSocket-Version: 13)', () => {
      const versionHeader: Array<[string, string]> = [['Sec-WebSocket-Version', '13']];
      it('rejects a missing version', () => {
        expectRejected(request(withHeader('Sec-WebSocket-Version')), 426, 'WSS_ERR_VERSION', versionHeader);
      });
      for (const value of ['8', '12', '14', '013', '13, 8', '']) {
        it(`rejects version ${JSON.stringify(value)}`, () => {
          const headers = withHeader('Sec-WebSocket-Version', `Sec-WebSocket-Version: ${value}`);
          expectRejected(request(headers), 426, 'WSS_ERR_VERSION', versionHeader);
        });
      }
      it('answers 426 rather than a key error to a client of another version', () => {
        const headers = withHeader('Sec-WebSocket-Version', 'Sec-WebSocket-Version: 8').filter((l) => !l.startsWith('Sec-WebSocket-Key'));
        expectRejected(request(headers), 426, 'WSS_ERR_VERSION', versionHeader);
      });
    });

    describe('Sec-WebSocket-Key (400 WSS_ERR_KEY)', () => {
      it('accepts any base64 of 16 bytes', () => {
        const key = Buffer.from([...Array(16).keys()].map((i) => i * 17)).toString('base64');
        const headers = withHeader('Sec-WebSocket-Key', `Sec-WebSocket-Key: ${key}`);
        expect(validateUpgradeRequest(request(headers)).key).to.equal(key);
      });
      const bad: Array<[string, string]> = [
        ['15 bytes', Buffer.alloc(15, 7).toString('base64')],
        ['17 bytes', Buffer.alloc(17, 7).toString('base64')],
        ['non-base64 characters', '!!!!!!!!!!!!!!!!!!!!!!=='],
        ['base64url characters', 'dGhlIHNhbXBsZS-ub25jZQ=='],
        ['no padding', 'dGhlIHNhbXBsZSBub25jZQ'],
        ['one "=" too few', 'dGhlIHNhbXBsZSBub25jZQA='],
        ['an inner space', 'dGhlIHNhbXB sZSBub25jZQ=='],
        ['an empty value', ''],
      ];
      for (const [what, key] of bad) {
        it(`rejects a key with ${what}`, () => {
          expectRejected(request(withHeader('Sec-WebSocket-Key', `Sec-WebSocket-Key: ${key}`)), 400, 'WSS_ERR_KEY');
        });
      }
      it('rejects a missing key', () => {
        expectRejected(request(withHeader('Sec-WebSocket-Key')), 400, 'WSS_ERR_KEY');
      });
      it('rejects a repeated key', () => {
        const headers = withHeader('Sec-WebSocket-Key', `Sec-WebSocket-Key: ${SAMPLE_KEY}`, `Sec-WebSocket-Key: ${SAMPLE_KEY}`);
        expectRejected(request(headers), 400, 'WSS_ERR_KEY');
      });
    });

    describe('Sec-WebSocket-Protocol', () => {
      it('keeps the offered order across repeated headers', () => {
        const headers = withHeader('Sec-WebSocket-Protocol', 'Sec-WebSocket-Protocol: b, a', 'Sec-WebSocket-Protocol: c');
        expect(validateUpgradeRequest(request(headers)).subprotocols).to.deep.equal(['b', 'a', 'c']);
      });
      it('rejects a value that is not a token list (400 WSS_ERR_BAD_SUBPROTOCOLS)', () => {
        const headers = withHeader('Sec-WebSocket-Protocol', 'Sec-WebSocket-Protocol: chat, "super"');
        expectRejected(request(headers), 400, 'WSS_ERR_BAD_SUBPROTOCOLS');
      });
    });

    describe('Sec-WebSocket-Extensions', () => {
      it('parses the offers and joins repeated headers in extensionsHeader', () => {
        const headers = [
          ...SAMPLE_HEADERS,
          'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
          'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits="10"',
        ];
        const upgrade = validateUpgradeRequest(request(headers));
        expect(upgrade.extensionsHeader).to.equal(
          'permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10"',
        );
        expect(upgrade.extensionOffers).to.deep.equal([
          { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
          { name: 'permessage-deflate', params: [['server_max_window_bits', '10']] },
        ]);
      });
      it('rejects bad syntax (400 WSS_ERR_BAD_EXTENSIONS)', () => {
        const headers = [...SAMPLE_HEADERS, 'Sec-WebSocket-Extensions: permessage-deflate; a="b'];
        expectRejected(request(headers), 400, 'WSS_ERR_BAD_EXTENSIONS');
      });
    });
  });

  describe('formatAcceptResponse', () => {
    it('writes the exact bytes of the RFC 6455 §1.3 response', () => {
      const response = formatAcceptResponse({ key: SAMPLE_KEY, subprotocol: 'chat', offered: ['chat', 'superchat'] });
      expect(response.toString('latin1')).to.equal(
        'HTTP/1.1 101 Switching Protocols\r\n' +
          'Upgrade: websocket\r\n' +
          'Connection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
          'Sec-WebSocket-Protocol: chat\r\n' +
          '\r\n',
      );
    });

    it('adds the extensions value and extra headers (pairs) in order', () => {
      const response = formatAcceptResponse({
        key: SAMPLE_KEY,
        extensions: 'permessage-deflate; client_max_window_bits=10',
        headers: [
          ['Set-Cookie', 'a=1'],
          ['X-Server', 'compat'],
        ],
      });
      expect(response.toString('latin1')).to.equal(
        'HTTP/1.1 101 Switching Protocols\r\n' +
          'Upgrade: websocket\r\n' +
          'Connection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
          'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n' +
          'Set-Cookie: a=1\r\n' +
          'X-Server: compat\r\n' +
          '\r\n',
      );
    });

    it('takes extra headers as CRLF or LF separated lines', () => {
      const response = formatAcceptResponse({ key: SAMPLE_KEY, extensions: '', headers: 'X-A: 1\nX-B:2\r\n' });
      expect(response.toString('latin1')).to.equal(
        'HTTP/1.1 101 Switching Protocols\r\n' +
          'Upgrade: websocket\r\n' +
          'Connection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
          'X-A: 1\r\n' +
          'X-B: 2\r\n' +
          '\r\n',
      );
    });

    it('omits a subprotocol that was not offered (case-sensitive) or with no offer at all', () => {
      const cases = [
        { key: SAMPLE_KEY, subprotocol: 'mqtt', offered: ['chat'] },
        { key: SAMPLE_KEY, subprotocol: 'Chat', offered: ['chat'] },
        { key: SAMPLE_KEY, subprotocol: 'chat' },
        { key: SAMPLE_KEY, offered: ['chat'] },
      ];
      for (const options of cases) {
        expect(formatAcceptResponse(options).toString('latin1'), JSON.stringify(options)).to.not.include('Sec-WebSocket-Protocol');
      }
    });

    it('rejects header injection and the headers it writes itself with TypeError', () => {
      const attempts: Array<Parameters<typeof formatAcceptResponse>[0]> = [
        { key: SAMPLE_KEY, headers: [['X-A', 'v\r\nX-Injected: 1']] },
        { key: SAMPLE_KEY, headers: [['X-A\r\nX-Injected', 'v']] },
        { key: SAMPLE_KEY, headers: [['X-A', 'v\nX-Injected: 1']] },
        { key: SAMPLE_KEY, headers: [['X-A', 'v\x00']] },
        { key: SAMPLE_KEY, headers: 'X-A: v\rX-Injected: 1' },
        { key: SAMPLE_KEY, extensions: 'permessage-deflate\r\nX-Injected: 1' },
        { key: SAMPLE_KEY, subprotocol: 'a\r\nX: 1', offered: ['a\r\nX: 1'] },
        { key: SAMPLE_KEY, headers: [['Sec-WebSocket-Protocol', 'chat']] },
        { key: SAMPLE_KEY, headers: 'connection: close' },
      ];
      for (const options of attempts) {
        expect(() => formatAcceptResponse(options), JSON.stringify(options)).to.throw(TypeError);
      }
    });
  });

  describe('formatRejectResponse', () => {
    it('writes the exact bytes of a 401 with WWW-Authenticate', () => {
      const response = formatRejectResponse(401, { headers: [['WWW-Authenticate', 'Basic realm="Secure Realm"']] });
      expect(response.toString('latin1')).to.equal(
        'HTTP/1.1 401 Unauthorized\r\n' +
          'Connection: close\r\n' +
          'Content-Length: 0\r\n' +
          'WWW-Authenticate: Basic realm="Secure Realm"\r\n' +
          '\r\n',
      );
    });

    it('writes the same 401 from the header-lines form', () => {
      const pairs = formatRejectResponse(401, { headers: [['WWW-Authenticate', 'Basic realm="Secure Realm"']] });
      const lines = formatRejectResponse(401, { headers: 'WWW-Authenticate: Basic realm="Secure Realm"' });
      expect(lines.equals(pairs)).to.equal(true);
    });

    it('sends the 426 of a version error with its header', () => {
      const error = new HandshakeError(426, 'WSS_ERR_VERSION', 'x', [['Sec-WebSocket-Version', '13']]);
      expect(formatRejectResponse(error.httpStatus, { headers: [...error.headers] as Array<[string, string]> }).toString()).to.equal(
        'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nContent-Length: 0\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });

    it('counts the body in UTF-8 bytes and appends it', () => {
      const response = formatRejectResponse(403, { body: 'nein – verboten' });
      const body = Buffer.from('nein – verboten', 'utf8');
      expect(response.equals(Buffer.concat([Buffer.from(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`), body]))).to.equal(true);
      expect(body.length).to.equal(17);
    });

    it('uses a custom reason phrase', () => {
      expect(formatRejectResponse(403, { reason: 'Go Away' }).toString()).to.equal(
        'HTTP/1.1 403 Go Away\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
    });

    it('knows the usual reason phrases, and says "Error" otherwise', () => {
      const table: Array<[number, string]> = [
        [400, 'Bad Request'],
        [401, 'Unauthorized'],
        [403, 'Forbidden'],
        [404, 'Not Found'],
        [405, 'Method Not Allowed'],
        [426, 'Upgrade Required'],
        [431, 'Request Header Fields Too Large'],
        [500, 'Internal Server Error'],
        [503, 'Service Unavailable'],
        [499, 'Error'],
        [599, 'Error'],
      ];
      for (const [status, reason] of table) {
        expect(reasonPhrase(status)).to.equal(reason);
        expect(formatRejectResponse(status).toString().split('\r\n')[0]).to.equal(`HTTP/1.1 ${status} ${reason}`);
      }
    });

    it('never produces a 101 or another 1xx (RangeError)', () => {
      for (const status of [101, 100, 199, 0, 1000, 400.5, Number.NaN]) {
        expect(() => formatRejectResponse(status), String(status)).to.throw(RangeError);
      }
    });

    it('rejects injection in the reason or headers, and the headers it writes itself (TypeError)', () => {
      expect(() => formatRejectResponse(400, { reason: 'Bad\r\nX-Injected: 1' })).to.throw(TypeError);
      expect(() => formatRejectResponse(400, { headers: [['X-A', 'a\r\n\r\n<html>']] })).to.throw(TypeError);
      expect(() => formatRejectResponse(400, { headers: [['Bad Name', 'a']] })).to.throw(TypeError);
      expect(() => formatRejectResponse(400, { headers: [['Content-Length', '5']] })).to.throw(TypeError);
      expect(() => formatRejectResponse(400, { headers: 'Connection: keep-alive' })).to.throw(TypeError);
    });
  });

  describe('parseHeaderLines', () => {
    it('splits on CRLF or LF, trims OWS and skips blank lines', () => {
      expect(parseHeaderLines('WWW-Authenticate: Basic realm="Secure Realm"\r\nX-A:1\n\n  X-B :\tb c \r\n')).to.deep.equal([
        ['WWW-Authenticate', 'Basic realm="Secure Realm"'],
        ['X-A', '1'],
        ['X-B', 'b c'],
      ]);
      expect(parseHeaderLines('')).to.deep.equal([]);
      expect(parseHeaderLines('X-Url: http://a:80/')).to.deep.equal([['X-Url', 'http://a:80/']]);
    });

    const bad: Array<[string, string]> = [
      ['a line without a colon', 'X-A: 1\nno colon here'],
      ['a name that is not a token', 'X A: 1'],
      ['an empty name', ': 1'],
      ['a bare CR inside a value', 'X-A: 1\rX-Injected: 2'],
      ['a NUL inside a value', 'X-A: 1\x002'],
      ['a character beyond latin1', 'X-A: \u2603'],
    ];
    for (const [what, text] of bad) {
      it(`throws TypeError on ${what}`, () => {
        expect(() => parseHeaderLines(text)).to.throw(TypeError);
      });
    }
  });
});
