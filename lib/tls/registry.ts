/**
 * Names from the IANA TLS registries (cipher suites, signature schemes, supported groups) with their
 * OpenSSL spellings, and the reference's own names for the SSL config settings. Shared by the
 * ClientHello reader (codes → names for SSLConnectionRequest) and the option mapping (names → OpenSSL).
 */

/** A cipher suite: its IANA code point and name, and what OpenSSL calls it. */
export interface CipherSuite {
  readonly code: number;
  readonly name: string;
  readonly openssl: string;
}

// [code, IANA name, OpenSSL name]. The reference's list (SSLEnabledCipherSuites), the TLS 1.3 suites,
// ChaCha20, AES-CCM and the anonymous suites of its example; suites newer OpenSSL builds dropped
// (static ECDH/DH, DES, 3DES, RC4) keep their historical OpenSSL names.
const SUITES: ReadonlyArray<readonly [number, string, string]> = [
  [0x1301, 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
  [0x1304, 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_SHA256'],
  [0x1305, 'TLS_AES_128_CCM_8_SHA256', 'TLS_AES_128_CCM_8_SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305'],
  [0xc02e, 'TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDH-ECDSA-AES256-GCM-SHA384'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
  [0xc02d, 'TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDH-ECDSA-AES128-GCM-SHA256'],
  [0x00a3, 'TLS_DHE_DSS_WITH_AES_256_GCM_SHA384', 'DHE-DSS-AES256-GCM-SHA384'],
  [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384'],
  [0xc032, 'TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384', 'ECDH-RSA-AES256-GCM-SHA384'],
  [0xc031, 'TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256', 'ECDH-RSA-AES128-GCM-SHA256'],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256'],
  [0x00a2, 'TLS_DHE_DSS_WITH_AES_128_GCM_SHA256', 'DHE-DSS-AES128-GCM-SHA256'],
  [0x00a0, 'TLS_DH_RSA_WITH_AES_128_GCM_SHA256', 'DH-RSA-AES128-GCM-SHA256'],
  [0x00a1, 'TLS_DH_RSA_WITH_AES_256_GCM_SHA384', 'DH-RSA-AES256-GCM-SHA384'],
  [0x00a4, 'TLS_DH_DSS_WITH_AES_128_GCM_SHA256', 'DH-DSS-AES128-GCM-SHA256'],
  [0x00a5, 'TLS_DH_DSS_WITH_AES_256_GCM_SHA384', 'DH-DSS-AES256-GCM-SHA384'],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256'],
  [0xc026, 'TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDH-ECDSA-AES256-SHA384'],
  [0x006a, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA256', 'DHE-DSS-AES256-SHA256'],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256'],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384'],
  [0xc02a, 'TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384', 'ECDH-RSA-AES256-SHA384'],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256'],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256'],
  [0xc025, 'TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDH-ECDSA-AES128-SHA256'],
  [0xc029, 'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256', 'ECDH-RSA-AES128-SHA256'],
  [0x0040, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA256', 'DHE-DSS-AES128-SHA256'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA'],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  [0xc005, 'TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA', 'ECDH-ECDSA-AES256-SHA'],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA'],
  [0xc00f, 'TLS_ECDH_RSA_WITH_AES_256_CBC_SHA', 'ECDH-RSA-AES256-SHA'],
  [0x0038, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA', 'DHE-DSS-AES256-SHA'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  [0xc004, 'TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA', 'ECDH-ECDSA-AES128-SHA'],
  [0xc00e, 'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA', 'ECDH-RSA-AES128-SHA'],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA'],
  [0x0032, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA', 'DHE-DSS-AES128-SHA'],
  [0xc008, 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA', 'ECDHE-ECDSA-DES-CBC3-SHA'],
  [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', 'ECDHE-RSA-DES-CBC3-SHA'],
  [0xc003, 'TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA', 'ECDH-ECDSA-DES-CBC3-SHA'],
  [0xc00d, 'TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA', 'ECDH-RSA-DES-CBC3-SHA'],
  [0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA', 'DHE-RSA-DES-CBC3-SHA'],
  [0x0013, 'TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA', 'DHE-DSS-DES-CBC3-SHA'],
  [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'DES-CBC3-SHA'],
  [0x0009, 'TLS_RSA_WITH_DES_CBC_SHA', 'DES-CBC-SHA'],
  [0x0015, 'TLS_DHE_RSA_WITH_DES_CBC_SHA', 'EDH-RSA-DES-CBC-SHA'],
  [0x0012, 'TLS_DHE_DSS_WITH_DES_CBC_SHA', 'EDH-DSS-DES-CBC-SHA'],
  [0x0004, 'TLS_RSA_WITH_RC4_128_MD5', 'RC4-MD5'],
  [0x0005, 'TLS_RSA_WITH_RC4_128_SHA', 'RC4-SHA'],
  [0x0034, 'TLS_DH_anon_WITH_AES_128_CBC_SHA', 'ADH-AES128-SHA'],
  [0x003a, 'TLS_DH_anon_WITH_AES_256_CBC_SHA', 'ADH-AES256-SHA'],
  [0xc09c, 'TLS_RSA_WITH_AES_128_CCM', 'AES128-CCM'],
  [0xc09d, 'TLS_RSA_WITH_AES_256_CCM', 'AES256-CCM'],
  [0xc09e, 'TLS_DHE_RSA_WITH_AES_128_CCM', 'DHE-RSA-AES128-CCM'],
  [0xc09f, 'TLS_DHE_RSA_WITH_AES_256_CCM', 'DHE-RSA-AES256-CCM'],
  [0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 'ECDHE-ECDSA-AES128-CCM'],
  [0xc0ad, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM', 'ECDHE-ECDSA-AES256-CCM'],
  // Signalling values (RFC 5746 §3.3, RFC 7507 §2): not suites, but clients list them.
  [0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV', ''],
  [0x5600, 'TLS_FALLBACK_SCSV', ''],
];

export const CIPHER_SUITES: readonly CipherSuite[] = Object.freeze(SUITES.map(([code, name, openssl]) => Object.freeze({ code, name, openssl })));

const SUITE_BY_CODE = new Map<number, CipherSuite>(CIPHER_SUITES.map((s) => [s.code, s]));
const SUITE_BY_NAME = new Map<string, CipherSuite>();
for (const suite of CIPHER_SUITES) {
  SUITE_BY_NAME.set(suite.name.toUpperCase(), suite);
  if (suite.openssl) SUITE_BY_NAME.set(suite.openssl.toUpperCase(), suite);
}

/** The suite with this code point, if known. */
export function suiteByCode(code: number): CipherSuite | undefined {
  return SUITE_BY_CODE.get(code);
}

/** The suite with this IANA or OpenSSL name (any case), if known. */
export function suiteByName(name: string): CipherSuite | undefined {
  return SUITE_BY_NAME.get(name.trim().toUpperCase());
}

/** True for the TLS 1.3 suites (RFC 8446 §B.4: no key exchange or authentication in the name). */
export function isTls13Suite(suite: CipherSuite): boolean {
  return (suite.code & 0xff00) === 0x1300;
}

/** What a suite's name says: key exchange, authentication, bulk cipher and its key size in bits. */
export interface SuiteParts {
  readonly keyExchange: string;
  readonly authentication: string;
  readonly cipher: string;
  readonly strength: number;
}

/**
 * Splits an IANA suite name: TLS_<kx>_<auth>_WITH_<cipher>_<mac>, or TLS_<cipher>_<hash> for TLS 1.3
 * (whose key exchange is always ephemeral (EC)DH and whose authentication the certificate decides).
 */
export function suiteParts(name: string): SuiteParts {
  const upper = name.toUpperCase();
  const withAt = upper.indexOf('_WITH_');
  const kxAuth = withAt >= 0 ? upper.slice(4, withAt) : '';
  const rest = withAt >= 0 ? upper.slice(withAt + 6) : upper.slice(4);
  const [keyExchange, authentication] = kxAuth === '' ? ['ECDHE', ''] : kxAuth === 'RSA' ? ['RSA', 'RSA'] : splitOnce(kxAuth);
  const cipher = rest.replace(/_(SHA|SHA256|SHA384|MD5)$/, '');
  return { keyExchange, authentication, cipher, strength: cipherStrength(cipher) };
}

function splitOnce(text: string): [string, string] {
  const at = text.indexOf('_');
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/** Key size in bits of a bulk cipher as named in a suite (3DES counts its 168 key bits). */
export function cipherStrength(cipher: string): number {
  if (cipher.startsWith('3DES')) return 168;
  if (cipher.startsWith('DES')) return 56;
  if (cipher.startsWith('CHACHA20')) return 256;
  const bits = /_(\d{3})(_|$)/.exec(cipher);
  return bits ? Number(bits[1]) : 0;
}

// ─── Signature schemes (RFC 8446 §4.2.3) ──────────────────────────────────────────────────────

const SIGNATURE_SCHEMES: ReadonlyMap<number, string> = new Map([
  [0x0401, 'rsa_pkcs1_sha256'],
  [0x0501, 'rsa_pkcs1_sha384'],
  [0x0601, 'rsa_pkcs1_sha512'],
  [0x0403, 'ecdsa_secp256r1_sha256'],
  [0x0503, 'ecdsa_secp384r1_sha384'],
  [0x0603, 'ecdsa_secp521r1_sha512'],
  [0x0804, 'rsa_pss_rsae_sha256'],
  [0x0805, 'rsa_pss_rsae_sha384'],
  [0x0806, 'rsa_pss_rsae_sha512'],
  [0x0807, 'ed25519'],
  [0x0808, 'ed448'],
  [0x0809, 'rsa_pss_pss_sha256'],
  [0x080a, 'rsa_pss_pss_sha384'],
  [0x080b, 'rsa_pss_pss_sha512'],
  [0x081a, 'ecdsa_brainpoolP256r1tls13_sha256'],
  [0x081b, 'ecdsa_brainpoolP384r1tls13_sha384'],
  [0x081c, 'ecdsa_brainpoolP512r1tls13_sha512'],
  [0x0201, 'rsa_pkcs1_sha1'],
  [0x0203, 'ecdsa_sha1'],
]);

const LEGACY_HASHES = ['none', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const LEGACY_SIGNATURES = ['anonymous', 'rsa', 'dsa', 'ecdsa'];

/**
 * The name of a signature scheme code point. TLS 1.2 hash/signature pairs without a TLS 1.3 name
 * (RFC 5246 §7.4.1.4.1) are written signature_hash, e.g. "dsa_sha256"; anything else as hex.
 */
export function signatureSchemeName(code: number): string {
  const known = SIGNATURE_SCHEMES.get(code);
  if (known) return known;
  const hash = LEGACY_HASHES[code >> 8];
  const signature = LEGACY_SIGNATURES[code & 0xff];
  if (hash && signature && (code >> 8) >= 1) return `${signature}_${hash}`;
  return hex(code);
}

// ─── Groups (RFC 8446 §4.2.7, RFC 7919) ───────────────────────────────────────────────────────

/** A group: IANA code, IANA name, the reference's setting name, OpenSSL's name, strength in bits. */
interface Group {
  readonly code: number;
  readonly name: string;
  readonly setting: string;
  readonly openssl: string;
  readonly bits: number;
}

const GROUPS: readonly Group[] = [
  { code: 0x0017, name: 'secp256r1', setting: 'ecdhe_secp256r1', openssl: 'P-256', bits: 256 },
  { code: 0x0018, name: 'secp384r1', setting: 'ecdhe_secp384r1', openssl: 'P-384', bits: 384 },
  { code: 0x0019, name: 'secp521r1', setting: 'ecdhe_secp521r1', openssl: 'P-521', bits: 521 },
  { code: 0x001d, name: 'x25519', setting: 'ecdhe_x25519', openssl: 'X25519', bits: 253 },
  { code: 0x001e, name: 'x448', setting: 'ecdhe_x448', openssl: 'X448', bits: 448 },
  { code: 0x0100, name: 'ffdhe2048', setting: 'ffdhe_2048', openssl: 'ffdhe2048', bits: 2048 },
  { code: 0x0101, name: 'ffdhe3072', setting: 'ffdhe_3072', openssl: 'ffdhe3072', bits: 3072 },
  { code: 0x0102, name: 'ffdhe4096', setting: 'ffdhe_4096', openssl: 'ffdhe4096', bits: 4096 },
  { code: 0x0103, name: 'ffdhe6144', setting: 'ffdhe_6144', openssl: 'ffdhe6144', bits: 6144 },
  { code: 0x0104, name: 'ffdhe8192', setting: 'ffdhe_8192', openssl: 'ffdhe8192', bits: 8192 },
  { code: 0x11ec, name: 'X25519MLKEM768', setting: '', openssl: 'X25519MLKEM768', bits: 253 },
];

const GROUP_BY_CODE = new Map(GROUPS.map((g) => [g.code, g]));
const GROUP_BY_SETTING = new Map(GROUPS.filter((g) => g.setting).map((g) => [g.setting, g]));

/** The IANA name of a supported-groups code point (hex when unknown). */
export function groupName(code: number): string {
  return GROUP_BY_CODE.get(code)?.name ?? hex(code);
}

/** Strength in bits of a group code point (0 when unknown). */
export function groupBits(code: number): number {
  return GROUP_BY_CODE.get(code)?.bits ?? 0;
}

/** The OpenSSL name and code of one of the reference's group names ("ecdhe_secp256r1"), if known. */
export function groupBySetting(name: string): { openssl: string; code: number } | undefined {
  const group = GROUP_BY_SETTING.get(name.trim().toLowerCase());
  return group && { openssl: group.openssl, code: group.code };
}

/** GREASE values (RFC 8701 §2): 0x?A?A, sent to keep servers honest; never real suites or groups. */
export function isGrease(code: number): boolean {
  return (code & 0x0f0f) === 0x0a0a && (code >> 12) === ((code >> 4) & 0x0f);
}

/**
 * Signalling values in cipher_suites: TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3),
 * TLS_FALLBACK_SCSV (RFC 7507 §2) and GREASE (RFC 8701). Clients list them, but they are never
 * negotiated, and whether a client sends them depends on its TLS library (OpenSSL 3.0 sends the
 * renegotiation SCSV, 3.5 does not), so they are not reported as offered suites.
 */
export function isSignallingSuite(code: number): boolean {
  return code === 0x00ff || code === 0x5600 || isGrease(code);
}

function hex(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

// ─── The reference's signature algorithm names → OpenSSL ──────────────────────────────────────

/**
 * TLS12SignatureAlgorithms uses "hash-signature" pairs ("sha256-rsa"); OpenSSL's sigalgs list wants
 * "RSA+SHA256". Undefined for names it does not know.
 */
export function tls12SignatureAlgorithm(name: string): string | undefined {
  const match = /^(sha1|sha224|sha256|sha384|sha512)-(rsa|dsa|ecdsa)$/.exec(name.trim().toLowerCase());
  return match ? `${match[2]!.toUpperCase()}+${match[1]!.toUpperCase()}` : undefined;
}

/**
 * TLS13SignatureAlgorithms uses scheme names, with rsa_pss_shaNNN meaning the RSAE variant (the one
 * ordinary RSA certificates use); OpenSSL wants the RFC 8446 names.
 */
export function tls13SignatureAlgorithm(name: string): string | undefined {
  const value = name.trim().toLowerCase();
  const pss = /^rsa_pss_(sha256|sha384|sha512)$/.exec(value);
  if (pss) return `rsa_pss_rsae_${pss[1]}`;
  for (const known of SIGNATURE_SCHEMES.values()) if (known.toLowerCase() === value) return known;
  return undefined;
}
