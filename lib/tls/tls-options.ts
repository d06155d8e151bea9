/**
 * The reference's SSL config settings turned into node:tls server options. Everything is checked here,
 * at StartListening, so that a misspelt suite or group fails the start with a clear message instead of
 * failing every handshake later.
 *
 * Mapping (and what does not map):
 * - SSLEnabledProtocols → minVersion/maxVersion, with SSL_OP_NO_TLSv1_x for versions left out in between.
 *   The default 4032 is TLS 1.0–1.2, as in the reference; OpenSSL 3 refuses TLS 1.0/1.1 handshakes at its
 *   default security level, so those also need "@SECLEVEL=0" in OpenSSLCipherList. SSL 2/3 cannot be had.
 * - SSLEnabledCipherSuites (IANA names, ';'-separated) → OpenSSL names; TLS 1.3 suites separately (a list
 *   without any keeps TLS 1.3's defaults). '*' uses OpenSSLCipherList (passed through) for TLS ≤ 1.2.
 * - SSLCipherStrength: suites whose bulk cipher is weaker are left out.
 * - TLS12SignatureAlgorithms / TLS13SignatureAlgorithms → sigalgs; TLS12SupportedGroups /
 *   TLS13SupportedGroups → ecdhCurve. OpenSSL keeps one list for all versions, so the union is used, and
 *   only when a setting was changed from its default (else OpenSSL's own defaults stay).
 *   TLS13KeyShareGroups is checked but, being about the shares a client prepares, changes nothing here.
 * - SSLCACerts, OpenSSLCAFile, OpenSSLCADir (the CAs for client certificates), else, when the
 *   application set it, the first file of SSLCACertFilePaths that exists → ca. Read only when
 *   SSLAuthenticateClients is on. Unlike the reference, SSLCACertFilePaths' default (the system's Web PKI
 *   bundle) is not used for client certificates: with none of these set nothing is trusted (ca is empty,
 *   so not even node's bundled roots apply) and every client certificate is reported untrusted.
 * - SSLCheckCRL and SSLLocalCRLs: the revocation check of client certificates (revocation.ts).
 * - ReuseSSLSession=false → no session tickets (no resumption); SSLEnableRenegotiation=false →
 *   SSL_OP_NO_RENEGOTIATION.
 * - SSLSecurityFlags, SSLIncludeCertChain, SSLKeyLogFile, LogSSLPackets: used by the TLS layer.
 * - SSLCheckOCSP, OpenSSLPrngSeedData, UseInternalSecurityAPI, SSLServerCACerts: accepted, no effect
 *   (the reference limits OCSP to other editions; OpenSSL seeds itself).
 */
import { constants as cryptoConstants } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, getCiphers, type SecureContextOptions } from 'node:tls';
import { CONFIG_BY_NAME, ErrorCode } from '../generated/api';
import { WSServerError } from '../server/errors';
import type { CrlMode } from './client-auth';
import { pemBlocks } from './certificate';
import { readLocalCrls, type LocalCrl } from './revocation';
import { groupBySetting, isTls13Suite, suiteByName, suiteParts, tls12SignatureAlgorithm, tls13SignatureAlgorithm, type CipherSuite } from './registry';

/** Reads config settings (the engine's Settings fits). */
export interface SettingsReader {
  str(name: string): string;
  int(name: string): number;
  bool(name: string): boolean;
  /** Whether the application set the setting (to any value, its default included). */
  isAssigned?(name: string): boolean;
}

/** File access, injectable for the specs. */
export interface FileAccess {
  readFile(path: string): Buffer;
  isFile(path: string): boolean;
  /** The files of a directory (full paths). */
  listDirectory(path: string): string[];
}

export const nodeFiles: FileAccess = {
  readFile: (path) => readFileSync(path),
  isFile: (path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
  listDirectory: (path) => readdirSync(path).map((name) => join(path, name)),
};

/** The server options (key and certificate excepted) and what the TLS layer needs besides. */
export interface TlsSettings {
  readonly options: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: false };
  /** SSLSecurityFlags: checks on client certificates to relax. */
  readonly securityFlags: number;
  readonly includeCertChain: boolean;
  /** SSLKeyLogFile ('' = off). */
  readonly keyLogFile: string;
  readonly logPackets: boolean;
  /** The groups the server allows, by code, most preferred first; null while OpenSSL's defaults apply. */
  readonly groups: readonly number[] | null;
  /** Remarks for the Log event (settings accepted without effect, suites this OpenSSL lacks …). */
  readonly notes: readonly string[];
  /** Warnings for the Log event: configurations that refuse clients the application may expect to admit. */
  readonly warnings: readonly string[];
  /** The CAs client certificates are checked against (DER), for the revocation check's issuer search. */
  readonly caCertificates: readonly Buffer[];
  /** Why no client certificate can be trusted (no CA is configured), null when CAs are. */
  readonly untrusted: string | null;
  /** SSLCheckCRL: 0 off, 1 check when a CRL can be had, 2 require one. */
  readonly checkCrl: CrlMode;
  /** SSLLocalCRLs, read at StartListening. */
  readonly localCrls: readonly LocalCrl[];
}

/** SSLEnabledProtocols bits (either of a pair counts: the reference has a client and a server bit). */
const PROTOCOLS = [
  { bits: 0x00c0, name: 'TLS1', node: 'TLSv1', off: cryptoConstants.SSL_OP_NO_TLSv1 },
  { bits: 0x0300, name: 'TLS1.1', node: 'TLSv1.1', off: cryptoConstants.SSL_OP_NO_TLSv1_1 },
  { bits: 0x0c00, name: 'TLS1.2', node: 'TLSv1.2', off: cryptoConstants.SSL_OP_NO_TLSv1_2 },
  { bits: 0x3000, name: 'TLS1.3', node: 'TLSv1.3', off: cryptoConstants.SSL_OP_NO_TLSv1_3 },
] as const;

type NodeVersion = (typeof PROTOCOLS)[number]['node'];

const TLS13_DEFAULT_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

/** Builds the options from the settings; throws 608 (InvalidConfigValue) naming the setting at fault. */
export function tlsSettings(settings: SettingsReader, authenticateClients: boolean, files: FileAccess = nodeFiles): TlsSettings {
  const notes: string[] = [];
  let secureOptions = 0;

  const versions = enabledVersions(settings.int('SSLEnabledProtocols'));
  const minVersion = versions[0]!.node;
  const maxVersion = versions[versions.length - 1]!.node;
  // OpenSSL takes a range; a version left out inside it is switched off on its own.
  const last = PROTOCOLS.indexOf(versions[versions.length - 1]!);
  for (let i = PROTOCOLS.indexOf(versions[0]!) + 1; i < last; i++) {
    if (!versions.includes(PROTOCOLS[i]!)) secureOptions |= PROTOCOLS[i]!.off;
  }

  const ciphers = cipherString(settings, versions.some((v) => v.node === 'TLSv1.3'), notes);
  const options: TlsSettings['options'] = {
    minVersion: ciphers.onlyTls13 ? 'TLSv1.3' : (minVersion as NodeVersion),
    maxVersion: maxVersion as NodeVersion,
    ciphers: ciphers.value,
    honorCipherOrder: ciphers.explicit,
    requestCert: authenticateClients,
    rejectUnauthorized: false,
  };
  const sigalgs = signatureAlgorithms(settings);
  if (sigalgs !== undefined) options.sigalgs = sigalgs;
  const groups = supportedGroups(settings);
  if (groups !== undefined) options.ecdhCurve = groups.map((g) => g.openssl).join(':');
  if (!settings.bool('ReuseSSLSession')) secureOptions |= cryptoConstants.SSL_OP_NO_TICKET;
  if (!settings.bool('SSLEnableRenegotiation')) secureOptions |= cryptoConstants.SSL_OP_NO_RENEGOTIATION;
  if (secureOptions !== 0) options.secureOptions = secureOptions;
  const warnings: string[] = [];
  let caCertificates: Buffer[] = [];
  let untrusted: string | null = null;
  if (authenticateClients) {
    const ca = trustedCAs(settings, files, notes);
    // An empty list, not none: without `ca` node would trust its bundled Web PKI roots.
    options.ca = ca;
    caCertificates = ca.flatMap((text) => pemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der));
    if (caCertificates.length === 0) {
      untrusted = 'no CA certificate is configured for client certificates (SSLCACerts, OpenSSLCAFile, OpenSSLCADir, or SSLCACertFilePaths set explicitly)';
      warnings.push(`SSLAuthenticateClients is on but ${untrusted}: every client certificate is reported untrusted and refused unless SSLClientAuthentication accepts it.`);
    }
  }
  checkWithOpenSSL(options);

  const checkCrl = settings.int('SSLCheckCRL') as CrlMode;
  let localCrls: LocalCrl[] = [];
  if (authenticateClients && checkCrl !== 0) {
    try {
      localCrls = readLocalCrls(settings.str('SSLLocalCRLs'), (path) => files.readFile(path));
    } catch (error) {
      throw invalidSetting('SSLLocalCRLs', `${(error as Error).message}.`);
    }
  } else if (settings.str('SSLLocalCRLs').trim() !== '') notes.push('SSLLocalCRLs is not used: it serves SSLCheckCRL 1 or 2 with SSLAuthenticateClients on.');
  if (checkCrl !== 0 && !authenticateClients) notes.push('SSLCheckCRL applies to client certificates, and SSLAuthenticateClients is off: no certificate is checked.');
  if (settings.int('SSLCheckOCSP') !== 0) notes.push('SSLCheckOCSP is accepted but not performed: OCSP is not available in this edition (SSLCheckCRL is).');
  if (settings.str('OpenSSLPrngSeedData') !== '') notes.push('OpenSSLPrngSeedData is ignored: OpenSSL seeds itself from the system.');

  return {
    options,
    securityFlags: settings.int('SSLSecurityFlags') >>> 0,
    includeCertChain: settings.bool('SSLIncludeCertChain'),
    keyLogFile: settings.str('SSLKeyLogFile'),
    logPackets: settings.bool('LogSSLPackets'),
    groups: groups === undefined ? null : groups.map((g) => g.code),
    notes,
    warnings,
    caCertificates,
    untrusted,
    checkCrl,
    localCrls,
  };
}

function invalidSetting(name: string, detail: string): WSServerError {
  return new WSServerError(ErrorCode.InvalidConfigValue, `Invalid configuration setting value for ${name}: ${detail}`);
}

/** The TLS versions SSLEnabledProtocols enables, oldest first. */
export function enabledVersions(mask: number): Array<(typeof PROTOCOLS)[number]> {
  const versions = PROTOCOLS.filter((p) => (mask & p.bits) !== 0);
  if (versions.length === 0) {
    const ssl = (mask & 0x3c) !== 0 ? ' SSL 2 and SSL 3 cannot be enabled here.' : '';
    throw invalidSetting('SSLEnabledProtocols', `${mask} enables no TLS version (TLS1 192, TLS1.1 768, TLS1.2 3072, TLS1.3 12288).${ssl}`);
  }
  return versions;
}

interface CipherChoice {
  /** The `ciphers` option: TLS ≤ 1.2 list and TLS 1.3 suites, ':'-separated (node:tls splits them). */
  readonly value: string;
  /** True when SSLEnabledCipherSuites named the suites (their order is then the server's preference). */
  readonly explicit: boolean;
  /** True when only TLS 1.3 suites were named: TLS 1.2 and older cannot be negotiated. */
  readonly onlyTls13: boolean;
}

function cipherString(settings: SettingsReader, tls13: boolean, notes: string[]): CipherChoice {
  const strength = settings.int('SSLCipherStrength');
  const openssl = settings.str('OpenSSLCipherList').trim() || 'DEFAULT';
  const wanted = settings.str('SSLEnabledCipherSuites').trim();
  const available = new Set(getCiphers().map((c) => c.toUpperCase()));
  const strongEnough = (suite: CipherSuite) => strength <= 0 || suiteParts(suite.name).strength >= strength;

  if (wanted === '' || wanted === '*') {
    const tls13Suites = TLS13_DEFAULT_SUITES.filter((name) => strongEnough(suiteByName(name)!));
    return { value: [...(tls13 ? tls13Suites : []), openssl + strengthExclusions(strength)].join(':'), explicit: false, onlyTls13: false };
  }

  const suites: CipherSuite[] = [];
  const unknown: string[] = [];
  for (const raw of wanted.split(/[;,]/)) {
    const name = raw.replace(/\(not recommended\)/i, '').trim();
    if (name === '') continue;
    const suite = suiteByName(name);
    if (!suite || !suite.openssl) unknown.push(name);
    else if (!suites.includes(suite)) suites.push(suite);
  }
  if (unknown.length > 0) throw invalidSetting('SSLEnabledCipherSuites', `unknown cipher suite${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}.`);
  const usable = suites.filter((s) => available.has(s.openssl.toUpperCase()) && strongEnough(s));
  const dropped = suites.filter((s) => !usable.includes(s));
  if (dropped.length > 0) {
    notes.push(`SSLEnabledCipherSuites: left out as not offered by this OpenSSL${strength > 0 ? ` or weaker than SSLCipherStrength ${strength}` : ''}: ${dropped.map((s) => s.name).join(', ')}.`);
  }
  const older = usable.filter((s) => !isTls13Suite(s)).map((s) => s.openssl);
  let newer = usable.filter(isTls13Suite).map((s) => s.openssl);
  if (older.length === 0 && newer.length === 0) {
    throw invalidSetting('SSLEnabledCipherSuites', `none of the suites can be used here (${suites.map((s) => s.name).join(', ')}).`);
  }
  if (newer.length === 0 && tls13) newer = TLS13_DEFAULT_SUITES.filter((name) => strongEnough(suiteByName(name)!));
  if (older.length === 0 && !tls13) throw invalidSetting('SSLEnabledCipherSuites', 'only TLS 1.3 suites are listed, but SSLEnabledProtocols does not enable TLS 1.3.');
  // "@SECLEVEL=n" from OpenSSLCipherList still applies (it is what lets TLS 1.0/1.1 through).
  const level = /@SECLEVEL=\d/i.exec(openssl)?.[0];
  const list = older.length > 0 ? [...older, ...(level ? [level] : [])].join(':') : '';
  return { value: [...(tls13 ? newer : []), list].filter((part) => part !== '').join(':'), explicit: true, onlyTls13: older.length === 0 };
}

/** OpenSSL cipher-string exclusions for SSLCipherStrength when no explicit suite list is given. */
function strengthExclusions(strength: number): string {
  if (strength <= 0) return '';
  let out = '';
  if (strength > 56) out += ':!DES';
  if (strength > 128) out += ':!RC4:!AES128:!CAMELLIA128:!ARIA128:!SEED:!IDEA';
  if (strength > 168) out += ':!3DES';
  if (strength > 256) out += ':!AES256:!CAMELLIA256:!ARIA256:!CHACHA20';
  return out;
}

function isDefault(settings: SettingsReader, name: string): boolean {
  const info = (CONFIG_BY_NAME as Record<string, { default: unknown } | undefined>)[name.toLowerCase()];
  return settings.str(name).replace(/\s+/g, '') === String(info?.default ?? '').replace(/\s+/g, '');
}

function splitList(value: string): string[] {
  return value.split(/[,;:]/).map((s) => s.trim()).filter((s) => s !== '');
}

function signatureAlgorithms(settings: SettingsReader): string | undefined {
  if (isDefault(settings, 'TLS12SignatureAlgorithms') && isDefault(settings, 'TLS13SignatureAlgorithms')) return undefined;
  const out: string[] = [];
  const unknown: string[] = [];
  for (const name of splitList(settings.str('TLS13SignatureAlgorithms'))) {
    const mapped = tls13SignatureAlgorithm(name);
    if (!mapped) unknown.push(name);
    else if (!out.includes(mapped)) out.push(mapped);
  }
  if (unknown.length > 0) throw invalidSetting('TLS13SignatureAlgorithms', `unknown signature algorithm ${unknown.join(', ')}.`);
  for (const name of splitList(settings.str('TLS12SignatureAlgorithms'))) {
    const mapped = tls12SignatureAlgorithm(name);
    if (!mapped) unknown.push(name);
    else if (!out.includes(mapped)) out.push(mapped);
  }
  if (unknown.length > 0) throw invalidSetting('TLS12SignatureAlgorithms', `unknown signature algorithm ${unknown.join(', ')} (use hash-signature pairs such as sha256-rsa).`);
  return out.length > 0 ? out.join(':') : undefined;
}

function supportedGroups(settings: SettingsReader): Array<{ openssl: string; code: number }> | undefined {
  const byName = (setting: string): Array<{ openssl: string; code: number }> => {
    const out: Array<{ openssl: string; code: number }> = [];
    const unknown: string[] = [];
    for (const name of splitList(settings.str(setting))) {
      const group = groupBySetting(name);
      if (!group) unknown.push(name);
      else out.push(group);
    }
    if (unknown.length > 0) throw invalidSetting(setting, `unknown group ${unknown.join(', ')}.`);
    return out;
  };
  byName('TLS13KeyShareGroups');
  if (isDefault(settings, 'TLS12SupportedGroups') && isDefault(settings, 'TLS13SupportedGroups')) return undefined;
  const union: Array<{ openssl: string; code: number }> = [];
  for (const group of [...byName('TLS13SupportedGroups'), ...byName('TLS12SupportedGroups')]) {
    if (!union.some((g) => g.code === group.code)) union.push(group);
  }
  if (union.length === 0) throw invalidSetting('TLS12SupportedGroups', 'no group is left for the key exchange.');
  return union;
}

/** The CAs client certificates are checked against, as PEM texts. */
function trustedCAs(settings: SettingsReader, files: FileAccess, notes: string[]): string[] {
  const ca: string[] = [];
  const inline = settings.str('SSLCACerts');
  if (inline.trim() !== '') {
    if (!pemBlocks(inline).some((b) => b.label === 'CERTIFICATE')) throw invalidSetting('SSLCACerts', 'no PEM certificate found.');
    ca.push(inline);
  }
  const file = settings.str('OpenSSLCAFile');
  if (file !== '') ca.push(readPem(files, file, 'OpenSSLCAFile'));
  const dir = settings.str('OpenSSLCADir');
  if (dir !== '') {
    let names: string[];
    try {
      names = files.listDirectory(dir);
    } catch (error) {
      throw invalidSetting('OpenSSLCADir', `cannot list ${dir}: ${(error as Error).message}.`);
    }
    const found = names.filter((path) => files.isFile(path)).map((path) => files.readFile(path).toString('latin1')).filter((text) => text.includes('-----BEGIN CERTIFICATE-----'));
    if (found.length === 0) notes.push(`OpenSSLCADir ${dir} holds no PEM certificate.`);
    ca.push(...found);
  }
  if (ca.length > 0) return ca;
  // Its default is the system's bundle of Web PKI roots: trusting that for client certificates would
  // admit anyone with a publicly issued certificate, so only a value the application set counts.
  const name = 'SSLCACertFilePaths';
  if (!(settings.isAssigned ? settings.isAssigned(name) : !isDefault(settings, name))) return [];
  for (const path of settings.str(name).split(';').map((p) => p.trim())) {
    if (path !== '' && files.isFile(path)) return [readPem(files, path, name)];
  }
  notes.push(`None of the files SSLCACertFilePaths lists exists.`);
  return [];
}

function readPem(files: FileAccess, path: string, setting: string): string {
  let text: string;
  try {
    text = files.readFile(path).toString('latin1');
  } catch (error) {
    throw invalidSetting(setting, `cannot read ${path}: ${(error as Error).message}.`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw invalidSetting(setting, `${path} holds no PEM certificate.`);
  return text;
}

/** Lets OpenSSL judge the lists now, one by one, so that its refusal names the setting. */
function checkWithOpenSSL(options: SecureContextOptions): void {
  const trials: Array<[string, SecureContextOptions]> = [
    ['SSLEnabledCipherSuites / OpenSSLCipherList', { ciphers: options.ciphers, minVersion: options.minVersion, maxVersion: options.maxVersion }],
  ];
  if (options.sigalgs) trials.push(['TLS12SignatureAlgorithms / TLS13SignatureAlgorithms', { sigalgs: options.sigalgs }]);
  if (options.ecdhCurve) trials.push(['TLS12SupportedGroups / TLS13SupportedGroups', { ecdhCurve: options.ecdhCurve }]);
  if (options.ca) trials.push(['SSLCACerts / OpenSSLCAFile / OpenSSLCADir / SSLCACertFilePaths', { ca: options.ca }]);
  for (const [names, trial] of trials) {
    try {
      createSecureContext(trial);
    } catch (error) {
      throw invalidSetting(names, `OpenSSL refuses the value (${(error as Error).message}).`);
    }
  }
}
