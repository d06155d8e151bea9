import { expect } from 'chai';
import { HandshakeError } from '../../lib/protocol/errors';
import {
  formatExtension,
  hasToken,
  isToken,
  isTokenChar,
  parseExtensionOffers,
  parseSubprotocols,
  parseTokenList,
  trimOws,
} from '../../lib/protocol/header-grammar';

function catchHandshakeError(fn: () => unknown): HandshakeError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(HandshakeError);
    return error as HandshakeError;
  }
  expect.fail('expected a HandshakeError');
}

describe('header grammar', () => {
  describe('isToken / isTokenChar', () => {
    it('accepts exactly the RFC 7230 tchar set', () => {
      const tchars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
      for (let c = 0; c < 256; c++) {
        expect(isTokenChar(c), `code ${c}`).to.equal(tchars.includes(String.fromCharCode(c)));
      }
    });
    it('accepts tokens', () => {
      expect(isToken('permessage-deflate')).to.equal(true);
      expect(isToken("x!#$%&'*+-.^_`|~9")).to.equal(true);
    });
    it('rejects the empty string, separators, spaces and non-ASCII', () => {
      for (const bad of ['', 'a b', 'a,b', 'a;b', 'a=b', '"a"', 'a/b', '(a)', 'a:b', 'é', 'a\tb', 'a\r\n']) {
        expect(isToken(bad), JSON.stringify(bad)).to.equal(false);
      }
    });
  });

  describe('trimOws', () => {
    it('removes only SP and HTAB at both ends', () => {
      expect(trimOws(' \t a b \t')).to.equal('a b');
      expect(trimOws('\r\na\u00a0')).to.equal('\r\na\u00a0');
      expect(trimOws('  ')).to.equal('');
    });
  });

  describe('parseTokenList', () => {
    it('splits on commas, trims OWS and skips empty elements', () => {
      expect(parseTokenList('a, b ,,c')).to.deep.equal(['a', 'b', 'c']);
      expect(parseTokenList('\tkeep-alive,Upgrade\t')).to.deep.equal(['keep-alive', 'Upgrade']);
      expect(parseTokenList(' , ,')).to.deep.equal([]);
    });
    it('throws HandshakeError(400) on an element that is not a token', () => {
      for (const bad of ['a, b c', 'a, "b"', 'x/1', 'a;b']) {
        const error = catchHandshakeError(() => parseTokenList(bad));
        expect(error.httpStatus, bad).to.equal(400);
        expect(error.code, bad).to.equal('WSS_ERR_BAD_TOKEN_LIST');
      }
    });
  });

  describe('hasToken', () => {
    it('finds a token case-insensitively inside a comma list', () => {
      expect(hasToken('keep-alive, Upgrade', 'upgrade')).to.equal(true);
      expect(hasToken('WebSocket', 'websocket')).to.equal(true);
      expect(hasToken('h2c,\tWEBSOCKET ', 'websocket')).to.equal(true);
      expect(hasToken('HTTP/2.0, websocket', 'websocket')).to.equal(true);
    });
    it('does not match substrings, other tokens, or an absent header', () => {
      expect(hasToken('upgraded', 'upgrade')).to.equal(false);
      expect(hasToken('keep-alive', 'upgrade')).to.equal(false);
      expect(hasToken('websocket2', 'websocket')).to.equal(false);
      expect(hasToken('web socket', 'websocket')).to.equal(false);
      expect(hasToken('', 'upgrade')).to.equal(false);
      expect(hasToken(undefined, 'upgrade')).to.equal(false);
    });
  });

  describe('parseSubprotocols', () => {
    it('keeps the order of preference and the case', () => {
      expect(parseSubprotocols('chat, superchat,MQTT')).to.deep.equal(['chat', 'superchat', 'MQTT']);
      expect(parseSubprotocols('v1.json.example.com')).to.deep.equal(['v1.json.example.com']);
    });
    it('throws HandshakeError(400, WSS_ERR_BAD_SUBPROTOCOLS) on a non-token', () => {
      const error = catchHandshakeError(() => parseSubprotocols('chat, super chat'));
      expect(error.httpStatus).to.equal(400);
      expect(error.code).to.equal('WSS_ERR_BAD_SUBPROTOCOLS');
    });
  });

  describe('parseExtensionOffers', () => {
    it('parses a single offer without parameters', () => {
      expect(parseExtensionOffers('permessage-deflate')).to.deep.equal([{ name: 'permessage-deflate', params: [] }]);
    });

    it('parses parameters with and without values, in order', () => {
      expect(parseExtensionOffers('permessage-deflate; client_max_window_bits; server_max_window_bits=10')).to.deep.equal([
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', true],
            ['server_max_window_bits', '10'],
          ],
        },
      ]);
    });

    it('unquotes quoted-string values and resolves backslash escapes', () => {
      expect(parseExtensionOffers('x; a="10"; b="\\1\\2"; c="tok"')).to.deep.equal([
        {
          name: 'x',
          params: [
            ['a', '10'],
            ['b', '12'],
            ['c', 'tok'],
          ],
        },
      ]);
    });

    it('parses several offers, with OWS around every separator and empty elements', () => {
      const value =
        ' permessage-deflate ;\tclient_max_window_bits = 15 ; server_no_context_takeover ,, ' +
        'permessage-deflate; client_max_window_bits="12", x-webkit-deflate-frame ,';
      expect(parseExtensionOffers(value)).to.deep.equal([
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', '15'],
            ['server_no_context_takeover', true],
          ],
        },
        { name: 'permessage-deflate', params: [['client_max_window_bits', '12']] },
        { name: 'x-webkit-deflate-frame', params: [] },
      ]);
    });

    it('returns no offers for an empty value', () => {
      expect(parseExtensionOffers('')).to.deep.equal([]);
      expect(parseExtensionOffers(' , ')).to.deep.equal([]);
    });

    describe('rejects bad syntax with HandshakeError(400, WSS_ERR_BAD_EXTENSIONS)', () => {
      const cases: Array<[string, string]> = [
        ['a parameter before any name', '; a=1'],
        ['an empty parameter name', 'x; ; a'],
        ['a missing value after "="', 'x; a='],
        ['two tokens without a separator', 'x y'],
        ['a non-token extension name', 'x/1'],
        ['a non-token value', 'x; a=1/2'],
        ['an unterminated quoted-string', 'x; a="10'],
        ['a backslash at the end', 'x; a="10\\'],
        ['a quoted value that is not a token', 'x; a="1 0"'],
        ['an empty quoted value', 'x; a=""'],
        ['a quote inside a token', 'x; a=1"0"'],
        ['a control character in a quoted-string', 'x; a="1\x010"'],
        ['a trailing semicolon', 'permessage-deflate;'],
        ['a repeated "="', 'x; a==1'],
      ];
      for (const [what, value] of cases) {
        it(what, () => {
          const error = catchHandshakeError(() => parseExtensionOffers(value));
          expect(error.httpStatus).to.equal(400);
          expect(error.code).to.equal('WSS_ERR_BAD_EXTENSIONS');
        });
      }
    });
  });

  describe('formatExtension', () => {
    it('writes "name; param=value; flag"', () => {
      expect(
        formatExtension('permessage-deflate', [
          ['client_max_window_bits', '10'],
          ['server_no_context_takeover', true],
        ]),
      ).to.equal('permessage-deflate; client_max_window_bits=10; server_no_context_takeover');
      expect(formatExtension('permessage-deflate', [])).to.equal('permessage-deflate');
    });
    it('quotes a value that is not a token, so that it parses back', () => {
      const text = formatExtension('x', [['a', 'b c"\\']]);
      expect(text).to.equal('x; a="b c\\"\\\\"');
    });
    it('round-trips through parseExtensionOffers', () => {
      const params: Array<[string, string | true]> = [
        ['client_max_window_bits', '9'],
        ['client_no_context_takeover', true],
      ];
      expect(parseExtensionOffers(formatExtension('permessage-deflate', params))).to.deep.equal([
        { name: 'permessage-deflate', params },
      ]);
    });
    it('throws TypeError on names that are not tokens or values with CR/LF', () => {
      expect(() => formatExtension('bad name', [])).to.throw(TypeError);
      expect(() => formatExtension('x', [['a\r\nX-Injected', '1']])).to.throw(TypeError);
      expect(() => formatExtension('x', [['a', '1\r\nX-Injected: 1']])).to.throw(TypeError);
    });
  });
});
