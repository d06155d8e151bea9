/**
 * Reads a TLS ClientHello from the first bytes a client sends (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2),
 * before any TLS library sees them, so that SSLConnectionRequest can show what the client offers and let
 * the application pick a certificate. Pure: bytes in, a description (or "need more") out.
 */
import { groupName, isGrease, isSignallingSuite, signatureSchemeName, suiteByCode } from './registry';

/** What a ClientHello offers. Code points are kept as numbers; names come from the IANA registries. */
export interface ClientHello {
  /** legacy_version (0x0303 for TLS 1.2 and 1.3). */
  readonly legacyVersion: number;
  /** supported_versions (RFC 8446 §4.2.1), GREASE removed; empty when the client did not send it. */
  readonly supportedVersions: readonly number[];
  /** cipher_suites, without the signalling values (SCSVs, GREASE): only suites that can be negotiated. */
  readonly cipherSuites: readonly number[];
  /** signature_algorithms (RFC 8446 §4.2.3), GREASE removed. */
  readonly signatureAlgorithms: readonly number[];
  /** supported_groups (RFC 8446 §4.2.7). */
  readonly supportedGroups: readonly number[];
  /** The groups the client sent key shares for (RFC 8446 §4.2.8). */
  readonly keyShareGroups: readonly number[];
  /** server_name (RFC 6066 §3): the host name, or ''. */
  readonly serverName: string;
  /** application_layer_protocol_negotiation (RFC 7301). */
  readonly alpn: readonly string[];
}

export type ClientHelloResult =
  /** More bytes are needed: nothing changes before the input holds `needed` bytes. */
  | { readonly status: 'incomplete'; readonly needed: number }
  | { readonly status: 'complete'; readonly hello: ClientHello }
  /** The bytes are not a TLS ClientHello (plain HTTP, SSL 2, garbage): `reason` says what was seen. */
  | { readonly status: 'invalid'; readonly reason: string };

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const RECORD_HEADER = 5;
/** RFC 8446 §5.1: "The length MUST NOT exceed 2^14 bytes." */
const MAX_RECORD = 16384;
/** A ClientHello bigger than this is refused (post-quantum key shares make real ones about 2 KB). */
const MAX_HELLO = 32 * 1024;
/** Nor is one cut into more records than this (each record costs a new look at the input). */
const MAX_RECORDS = 64;

const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_KEY_SHARE = 51;

/**
 * Looks at the bytes received so far. The ClientHello may span several records (RFC 8446 §5.1: handshake
 * messages may be fragmented across records), so the records are joined first.
 */
export function parseClientHello(input: Buffer): ClientHelloResult {
  // Gather the handshake bytes record by record, up to the end of the first handshake message.
  const fragments: Buffer[] = [];
  let gathered = 0;
  let wanted = -1;
  let pos = 0;
  while (wanted < 0 || gathered < wanted) {
    if (pos + RECORD_HEADER > input.length) return incompleteOr(input, pos);
    if (fragments.length === MAX_RECORDS) return invalid(`a ClientHello cut into more than ${MAX_RECORDS} records`);
    const type = input[pos]!;
    if (type !== CONTENT_HANDSHAKE) return invalid(pos === 0 ? describeNonTls(input) : `a record of type ${type} inside the ClientHello`);
    // §5.1: legacy_record_version is 0x0301 (or 0x0300/0x0302/0x0303 from older clients).
    if (input[pos + 1] !== 3) return invalid(`record version ${input[pos + 1]}.${input[pos + 2]}`);
    const length = input.readUInt16BE(pos + 3);
    if (length === 0 || length > MAX_RECORD) return invalid(`a handshake record of ${length} bytes`);
    if (pos + RECORD_HEADER + length > input.length) return { status: 'incomplete', needed: pos + RECORD_HEADER + length };
    const fragment = input.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + length);
    fragments.push(fragment);
    gathered += fragment.length;
    pos += RECORD_HEADER + length;
    if (wanted < 0 && gathered >= 4) {
      const head = fragments.length === 1 ? fragment : Buffer.concat(fragments);
      // §4: Handshake { msg_type, uint24 length, body }
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return invalid(`handshake message type ${head[0]} instead of ClientHello`);
      const bodyLength = head.readUIntBE(1, 3);
      if (bodyLength > MAX_HELLO) return invalid(`a ClientHello of ${bodyLength} bytes`);
      wanted = 4 + bodyLength;
    }
  }
  const message = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
  try {
    return { status: 'complete', hello: readBody(message.subarray(4, wanted)) };
  } catch (error) {
    return invalid((error as Error).message);
  }
}

function incompleteOr(input: Buffer, pos: number): ClientHelloResult {
  // Decide as early as possible that plain text is not TLS: one byte is enough.
  if (pos === 0 && input.length > 0 && input[0] !== CONTENT_HANDSHAKE) return invalid(describeNonTls(input));
  return { status: 'incomplete', needed: pos + RECORD_HEADER };
}

function invalid(reason: string): ClientHelloResult {
  return { status: 'invalid', reason };
}

function describeNonTls(input: Buffer): string {
  const first = input[0]!;
  if (/^[A-Z]{3,7} /.test(input.subarray(0, 8).toString('latin1')) || (first >= 0x41 && first <= 0x5a)) {
    return 'plain text (an HTTP request?) instead of a TLS ClientHello';
  }
  // An SSL 2.0-compatible ClientHello starts with a two-byte length whose top bit is set.
  if ((first & 0x80) !== 0 && input[2] === 1) return 'an SSL 2.0 ClientHello (SSL 2 and 3 are not supported)';
  return `a first byte of 0x${first.toString(16).padStart(2, '0')} instead of a TLS handshake record`;
}

/** A bounds-checked reader over the ClientHello body. */
class Reader {
  pos = 0;
  constructor(readonly bytes: Buffer) {}

  take(length: number, what: string): Buffer {
    if (this.pos + length > this.bytes.length) throw new Error(`the ClientHello is cut short in ${what}`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  u8(what: string): number {
    return this.take(1, what)[0]!;
  }

  u16(what: string): number {
    return this.take(2, what).readUInt16BE(0);
  }

  /** A vector with a 1- or 2-byte length prefix. */
  vector(prefix: 1 | 2, what: string): Buffer {
    const length = prefix === 1 ? this.u8(what) : this.u16(what);
    return this.take(length, what);
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
}

/**
 * struct { ProtocolVersion legacy_version; Random random; opaque legacy_session_id<0..32>;
 *          CipherSuite cipher_suites<2..2^16-2>; opaque legacy_compression_methods<1..2^8-1>;
 *          Extension extensions<8..2^16-1>; } ClientHello;  (RFC 8446 §4.1.2)
 */
function readBody(body: Buffer): ClientHello {
  const reader = new Reader(body);
  const legacyVersion = reader.u16('legacy_version');
  reader.take(32, 'random');
  if (reader.vector(1, 'legacy_session_id').length > 32) throw new Error('a session id longer than 32 bytes');
  const suites = reader.vector(2, 'cipher_suites');
  if (suites.length % 2 !== 0) throw new Error('an odd cipher_suites length');
  const cipherSuites = codes(suites, 0).filter((code) => !isSignallingSuite(code));
  reader.vector(1, 'legacy_compression_methods');
  const hello = {
    legacyVersion,
    supportedVersions: [] as number[],
    cipherSuites,
    signatureAlgorithms: [] as number[],
    supportedGroups: [] as number[],
    keyShareGroups: [] as number[],
    serverName: '',
    alpn: [] as string[],
  };
  // RFC 5246 §7.4.1.2: a TLS 1.2 ClientHello may end here, without extensions.
  if (reader.done) return hello;
  const extensions = new Reader(reader.vector(2, 'extensions'));
  while (!extensions.done) {
    const type = extensions.u16('extension type');
    const data = new Reader(extensions.vector(2, `extension ${type}`));
    switch (type) {
      case EXT_SUPPORTED_VERSIONS:
        hello.supportedVersions = codes(data.vector(1, 'supported_versions'), 0);
        break;
      case EXT_SIGNATURE_ALGORITHMS:
        hello.signatureAlgorithms = codes(data.vector(2, 'signature_algorithms'), 0);
        break;
      case EXT_SUPPORTED_GROUPS:
        hello.supportedGroups = codes(data.vector(2, 'supported_groups'), 0);
        break;
      case EXT_KEY_SHARE: {
        // KeyShareEntry { NamedGroup group; opaque key_exchange<1..2^16-1>; }
        const shares = new Reader(data.vector(2, 'key_share'));
        while (!shares.done) {
          const group = shares.u16('key share group');
          shares.vector(2, 'key share');
          if (!isGrease(group)) hello.keyShareGroups.push(group);
        }
        break;
      }
      case EXT_SERVER_NAME: {
        // ServerNameList: entries of { NameType name_type; opaque HostName<1..2^16-1> }, type 0 = host_name.
        const names = new Reader(data.vector(2, 'server_name'));
        while (!names.done) {
          const nameType = names.u8('server name type');
          const name = names.vector(2, 'server name');
          if (nameType === 0 && hello.serverName === '') hello.serverName = name.toString('latin1');
        }
        break;
      }
      case EXT_ALPN: {
        const protocols = new Reader(data.vector(2, 'ALPN'));
        while (!protocols.done) hello.alpn.push(protocols.vector(1, 'ALPN protocol').toString('latin1'));
        break;
      }
      default:
    }
  }
  return hello;
}

/** Big-endian 16-bit code points, GREASE dropped. */
function codes(bytes: Buffer, start: number): number[] {
  const out: number[] = [];
  for (let i = start; i + 1 < bytes.length; i += 2) {
    const code = bytes.readUInt16BE(i);
    if (!isGrease(code)) out.push(code);
  }
  return out;
}

/**
 * SSLConnectionRequest's supportedciphersuites: IANA names, comma-separated (hex for unknown codes).
 * Signalling values (SCSVs, GREASE) are left out, also from a ClientHello built by hand.
 */
export function cipherSuiteNames(hello: ClientHello): string {
  return hello.cipherSuites.filter((code) => !isSignallingSuite(code)).map((code) => suiteByCode(code)?.name ?? `0x${code.toString(16).toUpperCase().padStart(4, '0')}`).join(',');
}

/** SSLConnectionRequest's supportedsignaturealgs: signature scheme names, comma-separated, GREASE left out. */
export function signatureAlgorithmNames(hello: ClientHello): string {
  return hello.signatureAlgorithms.filter((code) => !isGrease(code)).map(signatureSchemeName).join(',');
}

/** The supported groups, by IANA name. */
export function groupNames(hello: ClientHello): string {
  return hello.supportedGroups.map(groupName).join(',');
}

/** The highest TLS version the client offers, as 0x0303-style code. */
export function highestVersion(hello: ClientHello): number {
  let best = hello.legacyVersion;
  for (const version of hello.supportedVersions) if (version > best && version <= 0x0304) best = version;
  return best;
}
