/**
 * The server side of the RFC 6455 opening handshake (§4.2): checking the client's upgrade request
 * and writing the 101 response, or the HTTP error response that refuses it.
 */

import { createHash } from 'node:crypto';
import { WEBSOCKET_GUID } from './constants';
import { HandshakeError } from './errors';
import {
  type ExtensionOffer,
  hasToken,
  isToken,
  parseExtensionOffers,
  parseSubprotocols,
  trimOws,
} from './header-grammar';
import type { HttpRequest } from './http-request';

/** A request that passed §4.2.1, with the fields the server needs to decide on it. */
export interface UpgradeRequest {
  request: HttpRequest;
  /** Sec-WebSocket-Key as sent. */
  key: string;
  uri: string;
  host: string;
  /** Origin (or the legacy Sec-WebSocket-Origin); `''` when absent. */
  origin: string;
  /** The subprotocols offered, in the client's order of preference. */
  subprotocols: string[];
  extensionOffers: ExtensionOffer[];
  /** The raw Sec-WebSocket-Extensions value(s) joined with `', '`; `''` when absent. */
  extensionsHeader: string;
}

/** Extra response headers: pairs, or `'Name: value'` lines separated by CRLF or LF. */
export type ExtraHeaders = string | Array<[string, string]>;

// §4.2.1 point 5: "when decoded, is 16 bytes in length" — 16 bytes are 22 base64 digits and "==".
const KEY_SYNTAX = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Checks a client's opening handshake against RFC 6455 §4.2.1.
 * @throws HandshakeError with one of: 405 'WSS_ERR_METHOD' (with `Allow: GET`); 400
 *   'WSS_ERR_HTTP_VERSION', 'WSS_ERR_BODY', 'WSS_ERR_NO_HOST', 'WSS_ERR_UPGRADE', 'WSS_ERR_CONNECTION', 'WSS_ERR_KEY',
 *   'WSS_ERR_BAD_EXTENSIONS', 'WSS_ERR_BAD_SUBPROTOCOLS'; 426 'WSS_ERR_VERSION' (with
 *   `Sec-WebSocket-Version: 13`).
 */
export function validateUpgradeRequest(request: HttpRequest): UpgradeRequest {
  // §4.2.1 point 1: "An HTTP/1.1 or higher GET request".
  if (request.method !== 'GET') {
    throw new HandshakeError(405, 'WSS_ERR_METHOD', `method ${request.method} is not GET`, [['Allow', 'GET']]);
  }
  if (request.versionMajor < 1 || (request.versionMajor === 1 && request.versionMinor < 1)) {
    throw new HandshakeError(400, 'WSS_ERR_HTTP_VERSION', `HTTP/${request.httpVersion} is older than HTTP/1.1`);
  }

  // The upgrade request is a GET with no body: whatever follows its head is WebSocket frames. A body
  // announced all the same (RFC 7230 §3.3: Content-Length or Transfer-Encoding) would be read as frames
  // — or, by a proxy in front of us, as a body, so that the two disagree on where the frames begin.
  const contentLength = request.get('content-length');
  if (request.get('transfer-encoding') !== undefined || (contentLength !== undefined && !/^0+$/.test(contentLength))) {
    throw new HandshakeError(
      400,
      'WSS_ERR_BODY',
      contentLength !== undefined && request.get('transfer-encoding') === undefined ? `the request has a body (Content-Length ${contentLength})` : 'the request has a body (Transfer-Encoding)',
    );
  }

  // Point 2: "A |Host| header field containing the server's authority." RFC 7230 §5.4 adds: "A
  // server MUST respond with a 400 … to any HTTP/1.1 request message that lacks a Host header
  // field and to any request message that contains more than one Host header field".
  let hostCount = 0;
  for (const [name] of request.headers) if (name.toLowerCase() === 'host') hostCount++;
  const host = request.get('host') ?? '';
  if (hostCount !== 1 || host === '') {
    throw new HandshakeError(400, 'WSS_ERR_NO_HOST', hostCount > 1 ? 'more than one Host header' : 'no Host header');
  }

  // Point 3: "An |Upgrade| header field containing the value "websocket", treated as an ASCII
  // case-insensitive value."
  if (!hasToken(request.get('upgrade'), 'websocket')) {
    throw new HandshakeError(400, 'WSS_ERR_UPGRADE', 'Upgrade header does not contain "websocket"');
  }
  // Point 4: "A |Connection| header field that includes the token "Upgrade", treated as an ASCII
  // case-insensitive value."
  if (!hasToken(request.get('connection'), 'upgrade')) {
    throw new HandshakeError(400, 'WSS_ERR_CONNECTION', 'Connection header does not contain "Upgrade"');
  }

  // Point 6 (checked before the key, so that a client of another protocol version, which may not
  // send a key of this form at all, learns which version to speak): "with a value of 13".
  // §4.4: "If this version does not match a version understood by the server, the server MUST abort
  // the WebSocket handshake … and instead send an appropriate HTTP error code (such as 426 Upgrade
  // Required) and a |Sec-WebSocket-Version| header field indicating the version(s) the server is
  // capable of understanding."
  const version = request.get('sec-websocket-version');
  if (version !== '13') {
    throw new HandshakeError(
      426,
      'WSS_ERR_VERSION',
      version === undefined ? 'no Sec-WebSocket-Version header' : `unsupported Sec-WebSocket-Version ${JSON.stringify(version)}`,
      [['Sec-WebSocket-Version', '13']],
    );
  }

  // Point 5: "A |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded, is
  // 16 bytes in length." A repeated header reads as "k1, k2" and fails here too.
  const key = request.get('sec-websocket-key');
  if (key === undefined) throw new HandshakeError(400, 'WSS_ERR_KEY', 'no Sec-WebSocket-Key header');
  if (!KEY_SYNTAX.test(key)) {
    throw new HandshakeError(400, 'WSS_ERR_KEY', `Sec-WebSocket-Key ${JSON.stringify(key)} is not 16 bytes in base64`);
  }

  // Point 7: "Optionally, an |Origin| header field." Pre-RFC drafts (version 8) named it
  // Sec-WebSocket-Origin.
  const origin = request.get('origin') ?? request.get('sec-websocket-origin') ?? '';

  // Point 8: "Optionally, a |Sec-WebSocket-Protocol| header field, with a list of values indicating
  // which protocols the client would like to speak, ordered by preference."
  const protocols = request.get('sec-websocket-protocol');
  const subprotocols = protocols === undefined ? [] : parseSubprotocols(protocols);

  // Point 9: "Optionally, a |Sec-WebSocket-Extensions| header field, with a list of values indicating
  // which extensions the client would like to speak."
  const extensionsHeader = request.get('sec-websocket-extensions') ?? '';
  const extensionOffers = extensionsHeader === '' ? [] : parseExtensionOffers(extensionsHeader);

  return { request, key, uri: request.uri, host, origin, subprotocols, extensionOffers, extensionsHeader };
}

/** §4.2.2 point 5.4: base64(SHA-1(key + GUID)), the value of Sec-WebSocket-Accept. */
export function computeAcceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID, 'latin1').digest('base64');
}

/** Response headers that the handshake functions write themselves and callers may not add. */
const ACCEPT_MANAGED = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);
const REJECT_MANAGED = new Set(['connection', 'content-length', 'transfer-encoding']);

/**
 * The 101 response of §4.2.2 point 5. `subprotocol` is sent only when it is one of `offered`
 * (case-sensitive); §4.2.2: the server selects "one or none of the acceptable protocols", and §4.1
 * makes the client fail a connection whose subprotocol "was not present in the client's handshake".
 * `extensions` is a ready Sec-WebSocket-Extensions value (`''` or absent: none).
 * @throws TypeError on header injection (CR, LF, NUL or other control characters, or a name that is
 *   not a token) or on an extra header that this function writes itself (Upgrade, Connection,
 *   Sec-WebSocket-Accept/-Protocol/-Extensions).
 */
export function formatAcceptResponse(options: {
  key: string;
  subprotocol?: string;
  offered?: string[];
  extensions?: string;
  headers?: ExtraHeaders;
}): Buffer {
  let head =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    headerLine('Sec-WebSocket-Accept', computeAcceptKey(options.key));
  const { subprotocol, offered } = options;
  if (subprotocol !== undefined && offered !== undefined && offered.includes(subprotocol)) {
    head += headerLine('Sec-WebSocket-Protocol', subprotocol);
  }
  if (options.extensions) head += headerLine('Sec-WebSocket-Extensions', options.extensions);
  head += extraHeaderLines(options.headers, ACCEPT_MANAGED);
  return Buffer.from(head + '\r\n', 'latin1');
}

/** Reason phrases (RFC 9110 §15) for the statuses a refused handshake is likely to use. */
const REASONS: ReadonlyMap<number, string> = new Map([
  [200, 'OK'],
  [301, 'Moved Permanently'],
  [302, 'Found'],
  [303, 'See Other'],
  [307, 'Temporary Redirect'],
  [308, 'Permanent Redirect'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [402, 'Payment Required'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [409, 'Conflict'],
  [410, 'Gone'],
  [413, 'Content Too Large'],
  [414, 'URI Too Long'],
  [426, 'Upgrade Required'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
  [500, 'Internal Server Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Gateway Timeout'],
  [505, 'HTTP Version Not Supported'],
]);

/** The default reason phrase of `status`; `'Error'` for a status outside the table. */
export function reasonPhrase(status: number): string {
  return REASONS.get(status) ?? 'Error';
}

/**
 * A response refusing the handshake: `HTTP/1.1 <status> <reason>`, `Connection: close`,
 * `Content-Length` of the body (UTF-8; default empty), then the extra headers and the body.
 * @throws RangeError when `status` is not an integer in 200-999 (so it can never be a 101);
 *   TypeError on header injection, a bad reason phrase, or an extra Connection / Content-Length /
 *   Transfer-Encoding header.
 */
export function formatRejectResponse(
  status: number,
  options: { reason?: string; headers?: ExtraHeaders; body?: string } = {},
): Buffer {
  // A 1xx would leave the client waiting for a final response, and 101 would complete the upgrade.
  if (!Number.isInteger(status) || status < 200 || status > 999) {
    throw new RangeError(`rejection status must be an integer in 200-999, got ${status}`);
  }
  const reason = options.reason ?? reasonPhrase(status);
  // RFC 7230 §3.1.2: reason-phrase = *( HTAB / SP / VCHAR / obs-text )
  if (!isFieldValue(reason)) throw new TypeError(`bad reason phrase ${JSON.stringify(reason)}`);
  const body = Buffer.from(options.body ?? '', 'utf8');
  const head =
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Connection: close\r\n' +
    `Content-Length: ${body.length}\r\n` +
    extraHeaderLines(options.headers, REJECT_MANAGED) +
    '\r\n';
  return body.length === 0 ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * Parses extra headers given as `'Name: value'` lines (separated by CRLF or LF) into pairs. Blank
 * lines are skipped; OWS around names and values is removed.
 * @throws TypeError on a line without a colon, a name that is not a token, or a value holding CR,
 *   NUL or another control character (header injection).
 */
export function parseHeaderLines(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (trimOws(line) === '') continue;
    const colon = line.indexOf(':');
    if (colon === -1) throw new TypeError(`header line without a colon: ${JSON.stringify(line)}`);
    const name = trimOws(line.slice(0, colon));
    const value = trimOws(line.slice(colon + 1));
    checkHeader(name, value);
    pairs.push([name, value]);
  }
  return pairs;
}

function extraHeaderLines(headers: ExtraHeaders | undefined, managed: ReadonlySet<string>): string {
  if (headers === undefined) return '';
  const pairs = typeof headers === 'string' ? parseHeaderLines(headers) : headers;
  let out = '';
  for (const [name, value] of pairs) {
    if (managed.has(name.toLowerCase())) {
      throw new TypeError(`the ${name} header is written by the handshake itself and cannot be added`);
    }
    out += headerLine(name, value);
  }
  return out;
}

function headerLine(name: string, value: string): string {
  checkHeader(name, value);
  return `${name}: ${value}\r\n`;
}

function checkHeader(name: string, value: string): void {
  // RFC 7230 §3.2: field-name = token. Anything else, CR and LF above all, could smuggle lines.
  if (!isToken(name)) throw new TypeError(`header name ${JSON.stringify(name)} is not a token`);
  if (!isFieldValue(value)) throw new TypeError(`header ${name} has a value with a forbidden character: ${JSON.stringify(value)}`);
}

// field-value characters: HTAB, SP, VCHAR and obs-text — no CR, LF, NUL or other controls, and
// nothing beyond latin1, which could not be sent as a single byte.
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}
