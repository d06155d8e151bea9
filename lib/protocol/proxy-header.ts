/**
 * The PROXY protocol header a load balancer puts in front of a connection's own bytes (HAProxy's
 * doc/proxy-protocol.txt, versions 1 and 2), read sans-I/O: bytes go in as they arrive, split anyhow,
 * and each push answers "more", "done" (the addresses, how long the header was, what came behind it)
 * or a typed error. The engine owns the socket and the deadline (lib/server/proxy-intake.ts).
 *
 * What is accepted, and what it means for the connection (the spec leaves some of it to the receiver):
 *   v1 "PROXY TCP4|TCP6 src dst sport dport\r\n"   the addresses, checked for their family; ports 0–65535,
 *                                                   no leading zeros; exactly one space between fields
 *   v1 "PROXY UNKNOWN ...\r\n"                      the socket's own addresses (the rest of the line ignored)
 *   v2 LOCAL (a proxy's own health check)           the socket's own addresses; the address block skipped
 *   v2 PROXY, AF_INET / AF_INET6 over STREAM        the addresses; TLVs behind them skipped
 *   v2 PROXY, AF_UNSPEC or UNSPEC transport         the socket's own addresses (as the spec allows)
 *   v2 PROXY, AF_UNIX over STREAM                   the socket's own addresses (a path is no RemoteHost)
 *   v2 PROXY, any family over DGRAM                 refused: a WebSocket needs a stream
 * Anything else is refused, and so is a header that does not begin at the first byte: a connection
 * that must carry a header and does not is a client speaking to us directly, around the proxy.
 */
import { ProxyHeaderError } from './errors';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip-text';

/** The longest v1 line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses and ports). */
export const V1_MAX_LENGTH = 107;
/** v2: the fixed part before the address block. */
export const V2_FIXED_LENGTH = 16;
/**
 * The longest v2 header accepted, address block and TLVs included. The format allows 16 + 65535; the
 * largest address block is 216 bytes (AF_UNIX), and the TLVs load balancers add (ALPN, authority, TLS
 * details, a cloud endpoint id) fit many times over.
 */
export const V2_MAX_LENGTH = 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** \r\n\r\n\0\r\nQUIT\n: chosen by the spec to be an invalid start for every common protocol. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const CR = 0x0d;
const LF = 0x0a;
const PORT = /^(?:0|[1-9][0-9]{0,4})$/;

/** The stable codes of ProxyHeaderError. */
export const ProxyHeaderErrorCode = Object.freeze({
  /** The first bytes are neither "PROXY " nor the v2 signature. */
  Missing: 'PROXY_ERR_MISSING',
  /** A v1 line that breaks the grammar (fields, addresses, ports, a lone CR or LF, a non-ASCII byte). */
  Syntax: 'PROXY_ERR_V1_SYNTAX',
  /** No CRLF within the first 107 bytes of a v1 line, or a v2 header longer than V2_MAX_LENGTH. */
  TooLong: 'PROXY_ERR_TOO_LONG',
  /** v2: a version other than 2, a command other than LOCAL/PROXY, an undefined family or transport. */
  Invalid: 'PROXY_ERR_V2_INVALID',
  /** v2: an address block too short for the family it announces. */
  Length: 'PROXY_ERR_V2_LENGTH',
  /** v2: a datagram transport, which no WebSocket runs over. */
  Unsupported: 'PROXY_ERR_V2_UNSUPPORTED',
} as const);

/** The original connection as the proxy saw it. */
export interface ProxyAddresses {
  family: 'IPv4' | 'IPv6';
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

export type ProxyHeaderResult =
  | { readonly status: 'more' }
  | {
      readonly status: 'done';
      readonly version: 1 | 2;
      /** 'local': the proxy's own connection (v2 LOCAL, v1 UNKNOWN, or a family we keep the socket's addresses for). */
      readonly command: 'proxy' | 'local';
      /** Null: keep the socket's own addresses. */
      readonly addresses: ProxyAddresses | null;
      /** The header's length in bytes. */
      readonly consumed: number;
      /** What came behind the header in the bytes pushed so far (the start of TLS or HTTP). */
      readonly rest: Buffer;
    }
  | { readonly status: 'error'; readonly error: ProxyHeaderError };

const MORE: ProxyHeaderResult = Object.freeze({ status: 'more' });

/** Reads one header. After 'done' or 'error' it must not be pushed to again. */
export class ProxyHeaderParser {
  private buffered: Buffer = Buffer.alloc(0);

  /** Bytes held while the header is incomplete (never more than V2_MAX_LENGTH). */
  get bufferedBytes(): number {
    return this.buffered.length;
  }

  push(chunk: Buffer): ProxyHeaderResult {
    const bytes = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const result = readHeader(bytes);
    // Only an incomplete header is kept, and it is bounded by the checks in readHeader.
    this.buffered = result.status === 'more' ? bytes : Buffer.alloc(0);
    return result;
  }
}

function readHeader(bytes: Buffer): ProxyHeaderResult {
  if (startsLike(bytes, V1_PREFIX)) return bytes.length < V1_PREFIX.length ? MORE : readV1(bytes);
  if (startsLike(bytes, V2_SIGNATURE)) return bytes.length < V2_SIGNATURE.length ? MORE : readV2(bytes);
  return fail(ProxyHeaderErrorCode.Missing, 'the connection does not begin with a PROXY protocol header');
}

/** Whether what has arrived agrees with `prefix` as far as it goes (so a byte at a time is decided early). */
function startsLike(bytes: Buffer, prefix: Buffer): boolean {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

// ─── Version 1 ─────────────────────────────────────────────────────────────────────────────────

function readV1(bytes: Buffer): ProxyHeaderResult {
  // The CR may stand at most one byte before the limit: the LF behind it ends the longest line.
  const limit = Math.min(bytes.length, V1_MAX_LENGTH - 1);
  let end = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const byte = bytes[i]!;
    if (byte === CR) {
      // The LF has not arrived yet.
      if (i + 1 === bytes.length) return MORE;
      // "must not tolerate a single CR or LF character to end the line"
      if (bytes[i + 1] !== LF) return syntax('a CR not followed by LF');
      end = i;
      break;
    }
    if (byte === LF) return syntax('an LF without CR');
    if (byte < 0x20 || byte > 0x7e) return syntax(`a byte 0x${byte.toString(16).padStart(2, '0')} that is not printable US-ASCII`);
  }
  if (end === -1) {
    if (bytes.length >= V1_MAX_LENGTH - 1) return fail(ProxyHeaderErrorCode.TooLong, `no CRLF within the first ${V1_MAX_LENGTH} bytes of the PROXY line`);
    return MORE;
  }
  const consumed = end + 2;
  const rest = bytes.subarray(consumed);
  const fields = bytes.toString('latin1', 0, end).split(' ');
  const protocol = fields[1];
  if (protocol === 'UNKNOWN') return { status: 'done', version: 1, command: 'local', addresses: null, consumed, rest };
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return syntax(`unknown protocol '${protocol ?? ''}' (TCP4, TCP6 or UNKNOWN)`);
  if (fields.length !== 6) return syntax(`${fields.length - 1} fields after PROXY where 5 are due (one space between each)`);
  const [, , source, destination, sourcePort, destinationPort] = fields as [string, string, string, string, string, string];
  const v4 = protocol === 'TCP4';
  const sourceBytes = v4 ? parseIPv4(source) : parseIPv6(source);
  if (sourceBytes === null) return syntax(`source '${source}' is not an ${v4 ? 'IPv4' : 'IPv6'} address`);
  const destinationBytes = v4 ? parseIPv4(destination) : parseIPv6(destination);
  if (destinationBytes === null) return syntax(`destination '${destination}' is not an ${v4 ? 'IPv4' : 'IPv6'} address`);
  const from = parsePort(sourcePort);
  if (from === null) return syntax(`source port '${sourcePort}' is not 0-65535 without leading zeros`);
  const to = parsePort(destinationPort);
  if (to === null) return syntax(`destination port '${destinationPort}' is not 0-65535 without leading zeros`);
  const addresses: ProxyAddresses = {
    family: v4 ? 'IPv4' : 'IPv6',
    sourceAddress: v4 ? formatIPv4(sourceBytes) : formatIPv6(sourceBytes),
    sourcePort: from,
    destinationAddress: v4 ? formatIPv4(destinationBytes) : formatIPv6(destinationBytes),
    destinationPort: to,
  };
  return { status: 'done', version: 1, command: 'proxy', addresses, consumed, rest };
}

function parsePort(text: string): number | null {
  if (!PORT.test(text)) return null;
  const value = Number(text);
  return value <= 65535 ? value : null;
}

function syntax(detail: string): ProxyHeaderResult {
  return fail(ProxyHeaderErrorCode.Syntax, `malformed PROXY v1 line: ${detail}`);
}

// ─── Version 2 ─────────────────────────────────────────────────────────────────────────────────

const FAMILY_UNSPEC = 0x0;
const FAMILY_INET = 0x1;
const FAMILY_INET6 = 0x2;
const FAMILY_UNIX = 0x3;
const TRANSPORT_UNSPEC = 0x0;
const TRANSPORT_STREAM = 0x1;
const TRANSPORT_DGRAM = 0x2;
const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
/** The address block each family needs at least: two addresses, then two ports for INET/INET6. */
const ADDRESS_LENGTH: Readonly<Record<number, number>> = { [FAMILY_INET]: 12, [FAMILY_INET6]: 36, [FAMILY_UNIX]: 216 };

function readV2(bytes: Buffer): ProxyHeaderResult {
  const versionCommand = bytes[12];
  if (versionCommand === undefined) return MORE;
  const version = versionCommand >> 4;
  const command = versionCommand & 0x0f;
  if (version !== 2) return invalid(`version ${version} (only 2 is defined)`);
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) return invalid(`command ${command} (LOCAL 0 or PROXY 1)`);
  const familyTransport = bytes[13];
  if (familyTransport === undefined) return MORE;
  const family = familyTransport >> 4;
  const transport = familyTransport & 0x0f;
  if (family > FAMILY_UNIX) return invalid(`address family ${family}`);
  if (transport > TRANSPORT_DGRAM) return invalid(`transport protocol ${transport}`);
  if (bytes.length < V2_FIXED_LENGTH) return MORE;
  const length = bytes.readUInt16BE(14);
  const consumed = V2_FIXED_LENGTH + length;
  // Refused before its bytes are waited for: an announced length is never reserved.
  if (consumed > V2_MAX_LENGTH) return fail(ProxyHeaderErrorCode.TooLong, `a PROXY v2 header of ${consumed} bytes (at most ${V2_MAX_LENGTH})`);
  if (bytes.length < consumed) return MORE;
  const rest = bytes.subarray(consumed);
  const local = { status: 'done', version: 2, command: 'local', addresses: null, consumed, rest } as const;
  if (command === COMMAND_LOCAL) return local;
  if (transport === TRANSPORT_DGRAM) return fail(ProxyHeaderErrorCode.Unsupported, 'a PROXY v2 header for a datagram transport: a WebSocket needs a stream');
  if (family === FAMILY_UNSPEC || transport === TRANSPORT_UNSPEC) return local;
  const needed = ADDRESS_LENGTH[family]!;
  if (length < needed) return fail(ProxyHeaderErrorCode.Length, `an address block of ${length} bytes where ${family === FAMILY_UNIX ? 'AF_UNIX' : family === FAMILY_INET ? 'AF_INET' : 'AF_INET6'} needs ${needed}`);
  if (family === FAMILY_UNIX) return local;
  const block = V2_FIXED_LENGTH;
  const v4 = family === FAMILY_INET;
  const size = v4 ? 4 : 16;
  const format = v4 ? formatIPv4 : formatIPv6;
  const addresses: ProxyAddresses = {
    family: v4 ? 'IPv4' : 'IPv6',
    sourceAddress: format(bytes, block),
    destinationAddress: format(bytes, block + size),
    sourcePort: bytes.readUInt16BE(block + 2 * size),
    destinationPort: bytes.readUInt16BE(block + 2 * size + 2),
  };
  return { status: 'done', version: 2, command: 'proxy', addresses, consumed, rest };
}

function invalid(detail: string): ProxyHeaderResult {
  return fail(ProxyHeaderErrorCode.Invalid, `invalid PROXY v2 header: ${detail}`);
}

function fail(code: string, message: string): ProxyHeaderResult {
  return { status: 'error', error: new ProxyHeaderError(code, message) };
}
