/**
 * RFC 7230 header grammar as used by the WebSocket handshake (RFC 6455 §4, §9.1; RFC 7692 §5).
 */

import { HandshakeError } from './errors';

/** One offer of an extension in Sec-WebSocket-Extensions: its name and parameters, in order.
 *  A parameter without a value is `true`; a quoted-string value is unquoted. */
export interface ExtensionOffer {
  name: string;
  params: Array<[name: string, value: string | true]>;
}

// RFC 7230 §3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//                          "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

const HTAB = 0x09;
const SP = 0x20;
const DQUOTE = 0x22;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

/** Whether the character (or byte) code is an RFC 7230 `tchar`. */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** Whether `s` is an RFC 7230 `token` (`1*tchar`). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!isTokenChar(s.charCodeAt(i))) return false;
  }
  return true;
}

function isOws(code: number): boolean {
  return code === SP || code === HTAB;
}

/** Removes OWS (SP / HTAB) from both ends. `String.prototype.trim` would also strip CR, LF, NBSP… */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Splits a `#token` list, checking each element; `code` names the header in the error. */
function splitTokens(value: string, code: string, what: string): string[] {
  const tokens: string[] = [];
  for (const part of value.split(',')) {
    const element = trimOws(part);
    // RFC 7230 §7: "a recipient MUST accept and ignore … empty list elements".
    if (element.length === 0) continue;
    if (!isToken(element)) {
      throw new HandshakeError(400, code, `${what}: ${JSON.stringify(element)} is not a token`);
    }
    tokens.push(element);
  }
  return tokens;
}

/**
 * Parses an RFC 7230 `#token` list: `'a, b ,,c'` gives `['a', 'b', 'c']`. Empty elements are skipped.
 * @throws HandshakeError(400, 'WSS_ERR_BAD_TOKEN_LIST') when an element is not a token.
 */
export function parseTokenList(value: string): string[] {
  return splitTokens(value, 'WSS_ERR_BAD_TOKEN_LIST', 'bad token list');
}

/**
 * Whether the comma-separated `value` contains `token`, compared case-insensitively
 * (e.g. `Connection: keep-alive, Upgrade` has `upgrade`). Other elements are not validated, since
 * lists such as Upgrade may hold `protocol/version` items. `undefined` (header absent) has no tokens.
 */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  for (const part of value.split(',')) {
    if (trimOws(part).toLowerCase() === wanted) return true;
  }
  return false;
}

/**
 * Parses Sec-WebSocket-Protocol, keeping the client's order of preference.
 * RFC 6455 §4.1: "The elements that comprise this value MUST be non-empty strings with characters in
 * the range U+0021 to U+007E not including separator characters", i.e. tokens.
 * @throws HandshakeError(400, 'WSS_ERR_BAD_SUBPROTOCOLS') on an element that is not a token.
 */
export function parseSubprotocols(value: string): string[] {
  return splitTokens(value, 'WSS_ERR_BAD_SUBPROTOCOLS', 'bad Sec-WebSocket-Protocol');
}

function badExtensions(value: string, at: number, why: string): HandshakeError {
  return new HandshakeError(
    400,
    'WSS_ERR_BAD_EXTENSIONS',
    `bad Sec-WebSocket-Extensions at offset ${at} (${why}): ${JSON.stringify(value)}`,
  );
}

/**
 * Parses Sec-WebSocket-Extensions (RFC 6455 §9.1):
 * ```
 * extension-list  = 1#extension
 * extension       = extension-token *( ";" extension-param )
 * extension-param = token [ "=" (token | quoted-string) ]
 * ```
 * with OWS allowed around the separators and empty list elements ignored. Quoted values are
 * returned unquoted, with backslash escapes resolved. Names are returned as sent.
 * @throws HandshakeError(400, 'WSS_ERR_BAD_EXTENSIONS') on any syntax error.
 */
export function parseExtensionOffers(value: string): ExtensionOffer[] {
  const offers: ExtensionOffer[] = [];
  const end = value.length;
  let pos = 0;

  const skipOws = (): void => {
    while (pos < end && isOws(value.charCodeAt(pos))) pos++;
  };
  const readToken = (what: string): string => {
    const start = pos;
    while (pos < end && isTokenChar(value.charCodeAt(pos))) pos++;
    if (pos === start) throw badExtensions(value, start, `expected ${what}`);
    return value.slice(start, pos);
  };
  // RFC 7230 §3.2.6: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
  const readQuoted = (): string => {
    const start = pos;
    pos++; // the opening DQUOTE
    let text = '';
    for (;;) {
      if (pos >= end) throw badExtensions(value, start, 'unterminated quoted-string');
      const c = value.charCodeAt(pos);
      if (c === DQUOTE) {
        pos++;
        return text;
      }
      if (c === BACKSLASH) {
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        pos++;
        if (pos >= end) throw badExtensions(value, pos, 'backslash at end of quoted-string');
        const escaped = value.charCodeAt(pos);
        if (!isQdtextOrPairChar(escaped, true)) throw badExtensions(value, pos, 'bad escaped character');
        text += value[pos];
        pos++;
        continue;
      }
      if (!isQdtextOrPairChar(c, false)) throw badExtensions(value, pos, 'bad character in quoted-string');
      text += value[pos];
      pos++;
    }
  };

  while (pos < end) {
    skipOws();
    if (pos >= end) break;
    if (value.charCodeAt(pos) === COMMA) {
      pos++; // empty list element
      continue;
    }
    const offer: ExtensionOffer = { name: readToken('an extension name'), params: [] };
    skipOws();
    while (pos < end && value.charCodeAt(pos) === SEMICOLON) {
      pos++;
      skipOws();
      const name = readToken('a parameter name');
      let paramValue: string | true = true;
      skipOws();
      if (pos < end && value.charCodeAt(pos) === EQUALS) {
        pos++;
        skipOws();
        if (pos < end && value.charCodeAt(pos) === DQUOTE) {
          const at = pos;
          paramValue = readQuoted();
          // §9.1: "When using the quoted-string syntax variant, the value after quoted-string
          // unescaping MUST conform to the 'token' ABNF."
          if (!isToken(paramValue)) throw badExtensions(value, at, 'quoted value is not a token');
        } else {
          paramValue = readToken('a parameter value');
        }
        skipOws();
      }
      offer.params.push([name, paramValue]);
    }
    if (pos < end && value.charCodeAt(pos) !== COMMA) throw badExtensions(value, pos, 'expected "," or ";"');
    offers.push(offer);
    pos++; // the comma (or past the end)
  }
  return offers;
}

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; a quoted-pair may also escape '"' and '\'.
function isQdtextOrPairChar(c: number, escaped: boolean): boolean {
  if (c === HTAB || c === SP) return true;
  if (c === DQUOTE || c === BACKSLASH) return escaped;
  return (c > SP && c < 0x7f) || (c >= 0x80 && c <= 0xff);
}

/**
 * Formats one extension for a Sec-WebSocket-Extensions response:
 * `formatExtension('permessage-deflate', [['client_max_window_bits', '10'], ['server_no_context_takeover', true]])`
 * gives `'permessage-deflate; client_max_window_bits=10; server_no_context_takeover'`.
 * Values that are not tokens are sent as quoted-strings.
 * @throws TypeError when the name or a parameter name is not a token, or a value holds a control character.
 */
export function formatExtension(name: string, params: Array<[string, string | true]>): string {
  if (!isToken(name)) throw new TypeError(`extension name ${JSON.stringify(name)} is not a token`);
  let out = name;
  for (const [param, paramValue] of params) {
    if (!isToken(param)) throw new TypeError(`extension parameter ${JSON.stringify(param)} is not a token`);
    out += '; ' + param;
    if (paramValue === true) continue;
    out += '=' + (isToken(paramValue) ? paramValue : quote(paramValue));
  }
  return out;
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isQdtextOrPairChar(c, true)) throw new TypeError(`extension parameter value ${JSON.stringify(s)} cannot be quoted`);
    if (c === DQUOTE || c === BACKSLASH) out += '\\';
    out += s[i];
  }
  return out + '"';
}
