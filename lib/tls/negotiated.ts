/**
 * The SSLNegotiated*[ConnectionId] settings: what a finished handshake agreed on, in the reference's
 * terms. node:tls tells the version and the suite; the key exchange group is not exposed on the server
 * side, so it is worked out the way OpenSSL 3 picks it, from the ClientHello and the server's groups.
 */
import type { ClientHello } from './client-hello';
import { groupBits, suiteParts } from './registry';

/** OpenSSL 3.0's default group list, most preferred first (used while the group settings are default). */
export const OPENSSL_DEFAULT_GROUPS: readonly number[] = [0x1d, 0x17, 0x1e, 0x19, 0x18, 0x100, 0x101, 0x102, 0x103, 0x104];

export interface NegotiatedInput {
  /** node:tls getProtocol(): 'TLSv1.3', 'TLSv1.2' … */
  readonly protocol: string | null;
  /** The IANA name of the suite (getCipher().standardName). */
  readonly suite: string;
  readonly hello: ClientHello | null;
  /** The server's groups, most preferred first. */
  readonly serverGroups: readonly number[];
  /** True when the server's order wins (honorCipherOrder). */
  readonly serverPreference: boolean;
  /** Bits of the server certificate's RSA key (for RSA key exchange). */
  readonly serverKeyBits: number;
}

export interface Negotiated {
  readonly version: string;
  readonly cipherSuite: string;
  readonly cipher: string;
  readonly cipherStrength: number;
  readonly keyExchange: string;
  readonly keyExchangeStrength: number;
}

/** 'TLSv1.2' → 'TLS1.2', the reference's spelling (as in SSLEnabledProtocols). */
export function versionName(protocol: string | null): string {
  if (!protocol) return '';
  return protocol.replace(/^TLSv/, 'TLS').replace(/^SSLv/, 'SSL');
}

export function negotiated(input: NegotiatedInput): Negotiated {
  const parts = suiteParts(input.suite);
  const tls13 = input.protocol === 'TLSv1.3';
  let keyExchange = parts.keyExchange;
  let keyExchangeStrength = 0;
  if (tls13 || keyExchange === 'ECDHE' || keyExchange === 'DHE') {
    const group = input.hello ? predictGroup(input.hello, input.serverGroups, input.serverPreference, tls13, keyExchange === 'DHE') : 0;
    keyExchangeStrength = groupBits(group) || (keyExchange === 'DHE' ? 2048 : 0);
    // TLS 1.3 names no key exchange in its suites: finite-field groups make it DHE.
    if (tls13) keyExchange = group >= 0x100 && group <= 0x104 ? 'DHE' : 'ECDHE';
  } else if (keyExchange === 'RSA') {
    keyExchangeStrength = input.serverKeyBits;
  }
  return {
    version: versionName(input.protocol),
    cipherSuite: input.suite,
    cipher: parts.cipher,
    cipherStrength: parts.strength,
    keyExchange,
    keyExchangeStrength,
  };
}

/**
 * The group OpenSSL 3 settles on. TLS 1.3: the first key share the client sent that the server allows
 * (RFC 8446 §4.2.8), else the first common group. TLS 1.2 ECDHE: the first common group in the client's
 * order, or the server's when its preference wins. 0 when there is none.
 */
export function predictGroup(hello: ClientHello, serverGroups: readonly number[], serverPreference: boolean, tls13: boolean, finiteField = false): number {
  const allowed = (code: number) => serverGroups.includes(code) && (finiteField ? code >= 0x100 && code <= 0x104 : tls13 || code < 0x100);
  if (tls13) {
    for (const code of hello.keyShareGroups) if (allowed(code) && hello.supportedGroups.includes(code)) return code;
  }
  const [first, second] = serverPreference ? [serverGroups, hello.supportedGroups] : [hello.supportedGroups, serverGroups];
  for (const code of first) if (second.includes(code) && allowed(code)) return code;
  return 0;
}
