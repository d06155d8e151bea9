/**
 * Certificate stores (SSLCertStoreType / SSLCertStore / SSLCertStorePassword): opening each kind the
 * reference lists that means something on this platform, listing its certificates with their subjects,
 * finding one by subject or by its encoding, and turning the choice into node:tls credentials.
 *
 * Errors are the reference's: 271 when the store cannot be opened (missing file, wrong password,
 * damaged content, a kind of store that does not exist here), 272 when no certificate matches, 273 when
 * the certificate found cannot serve (no private key, or a key that belongs to another certificate).
 */
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { CertStoreType, ErrorCode, errorMessage } from '../generated/api';
import { WSServerError } from '../server/errors';
import { Asn1Error, Tag, elements, expect, fields, oid, readElement } from './asn1';
import { certificateNames, derToPem, isBase64Text, normalizeSubject, parseCertificate, pemBlocks } from './certificate';
import { Pkcs12Error, readPkcs12 } from './pkcs12';
import { Pkcs12Limits } from './pkcs12-limits';

/** One certificate of a store, with its private key when the store holds it. */
export interface StoreCertificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  /** The subject in the reference's form: "CN=localhost, O=Example, C=US". */
  readonly subject: string;
  readonly issuer: string;
  readonly key: KeyObject | null;
  /** The PFX friendly name, if any. */
  readonly friendlyName: string;
}

export interface CertificateStore {
  readonly type: number;
  /** The certificates in the order the store lists them. */
  readonly certificates: readonly StoreCertificate[];
  /** Every private key in the store, including keys without a certificate beside them. */
  readonly keys: readonly KeyObject[];
}

/** Which store to open: SSLCertStoreType, SSLCertStore (a file name or the content) and its password. */
export interface StoreSource {
  readonly type: number;
  /** A file name for the file kinds; the content (bytes, or a string one char per byte) for the blob kinds. */
  readonly store: string | Uint8Array;
  readonly password: string;
}

/** What TLS needs: the key and the certificate chain (leaf first), as PEM. */
export interface Credentials {
  readonly key: string;
  readonly cert: string;
}

/** Reads a file (injectable for the specs). */
export type FileReader = (path: string) => Buffer;

const UNAVAILABLE: Readonly<Record<number, string>> = Object.freeze({
  [CertStoreType.cstUser]: 'Windows certificate stores (SSLCertStoreType 0, the user store) do not exist on this platform',
  [CertStoreType.cstMachine]: 'Windows certificate stores (SSLCertStoreType 1, the machine store) do not exist on this platform',
  [CertStoreType.cstJKSFile]: 'Java KeyStore files (SSLCertStoreType 4) can only be opened by Java; convert it with keytool -importkeystore -deststoretype PKCS12',
  [CertStoreType.cstJKSBlob]: 'Java KeyStore data (SSLCertStoreType 5) can only be opened by Java; convert it with keytool -importkeystore -deststoretype PKCS12',
  [CertStoreType.cstSSHPublicKeyBlob]: 'an SSH public key (SSLCertStoreType 10) is not a certificate and cannot serve TLS',
  [CertStoreType.cstSSHPublicKeyFile]: 'an SSH public key (SSLCertStoreType 13) is not a certificate and cannot serve TLS',
  [CertStoreType.cstPPKFile]: 'PuTTY key files (SSLCertStoreType 14) hold no certificate and cannot serve TLS',
  [CertStoreType.cstPPKBlob]: 'PuTTY keys (SSLCertStoreType 15) hold no certificate and cannot serve TLS',
  [CertStoreType.cstXMLFile]: 'XML key files (SSLCertStoreType 16) are not supported',
  [CertStoreType.cstXMLBlob]: 'XML keys (SSLCertStoreType 17) are not supported',
  [CertStoreType.cstJWKFile]: 'JSON Web Keys (SSLCertStoreType 18) hold no certificate and cannot serve TLS',
  [CertStoreType.cstJWKBlob]: 'JSON Web Keys (SSLCertStoreType 19) hold no certificate and cannot serve TLS',
  [CertStoreType.cstBCFKSFile]: 'Bouncy Castle FIPS key stores (SSLCertStoreType 21) can only be opened by the Java and .NET editions',
  [CertStoreType.cstBCFKSBlob]: 'Bouncy Castle FIPS key stores (SSLCertStoreType 22) can only be opened by the Java and .NET editions',
  [CertStoreType.cstPKCS11]: 'PKCS#11 security keys (SSLCertStoreType 23) are not supported',
});

const SUGGESTION = 'Use a PFX file (SSLCertStoreType 2) or a PEM key file (SSLCertStoreType 6).';

/** The kinds whose SSLCertStore names a file. */
const FILE_TYPES: ReadonlySet<number> = new Set([
  CertStoreType.cstPFXFile,
  CertStoreType.cstPEMKeyFile,
  CertStoreType.cstPublicKeyFile,
  CertStoreType.cstP7BFile,
]);

/** Opens a store; throws 271 (CannotOpenCertStore) with the reason when it cannot. */
export function openCertificateStore(source: StoreSource, readFile: FileReader = readFileSync): CertificateStore {
  const type = source.type;
  const unavailable = UNAVAILABLE[type];
  if (unavailable !== undefined) throw storeError(`${unavailable}. ${SUGGESTION}`);
  const bytes = storeBytes(source, readFile);
  try {
    switch (type) {
      case CertStoreType.cstPFXFile:
      case CertStoreType.cstPFXBlob:
        return fromPkcs12(type, unBase64(bytes), source.password);
      case CertStoreType.cstPEMKeyFile:
      case CertStoreType.cstPEMKeyBlob:
        return fromKeyMaterial(type, bytes, source.password, true);
      case CertStoreType.cstPublicKeyFile:
      case CertStoreType.cstPublicKeyBlob:
      case CertStoreType.cstP7BFile:
      case CertStoreType.cstP7BBlob:
        return fromKeyMaterial(type, bytes, source.password, false);
      case CertStoreType.cstAuto:
        return autoDetect(bytes, source.password);
      default:
        throw storeError(`SSLCertStoreType ${type} is not a known store type. ${SUGGESTION}`);
    }
  } catch (error) {
    if (error instanceof WSServerError) throw error;
    if (error instanceof Pkcs12Error) throw storeError(error.reason === 'password' ? `Wrong password for the PFX store: ${error.message}.` : `${error.message}.`);
    throw storeError(`The store content cannot be read: ${(error as Error).message}.`);
  }
}

function storeError(detail: string): WSServerError {
  return new WSServerError(ErrorCode.CannotOpenCertStore, `${errorMessage(ErrorCode.CannotOpenCertStore)} ${detail}`);
}

/** The store's bytes: the named file for the file kinds (and for cstAuto when it names one), else the value itself. */
function storeBytes(source: StoreSource, readFile: FileReader): Buffer {
  const value = source.store;
  const asText = typeof value === 'string' ? value : '';
  const wantsFile = FILE_TYPES.has(source.type) || (source.type === CertStoreType.cstAuto && typeof value === 'string' && isFile(value));
  if (wantsFile) {
    const path = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    if (path === '') throw storeError('SSLCertStore is empty: set it to the name of the file.');
    try {
      return readFile(path);
    } catch (error) {
      throw storeError(`The file ${path} cannot be read: ${(error as Error).message}.`);
    }
  }
  const bytes = typeof value === 'string' ? Buffer.from(asText, 'latin1') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bytes.length === 0) throw storeError('SSLCertStore is empty: set it to the content of the store.');
  return bytes;
}

function isFile(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || path.includes('\n') || path.includes('\0')) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Base64 text (as blobs may be given) → the bytes it encodes; anything else unchanged. */
function unBase64(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  return isBase64Text(text) ? Buffer.from(text.replace(/\s+/g, ''), 'base64') : bytes;
}

function fromPkcs12(type: number, pfx: Buffer, password: string): CertificateStore {
  const contents = readPkcs12(pfx, password);
  const keys = contents.keys.map((k) => k.key);
  const certificates = contents.certificates.map((c) => {
    // A certificate's key: the one with the same localKeyId, else the one that matches its public key.
    const byId = c.localKeyId ? contents.keys.find((k) => k.localKeyId?.equals(c.localKeyId!)) : undefined;
    return entry(c.der, byId?.key ?? null, keys, c.friendlyName);
  });
  return { type, certificates, keys };
}

/**
 * PEM text (keys, certificates, PKCS#7 bundles), or one DER object given as binary or base64.
 * `withKeys` false reads certificates only (the public-key and P7B kinds).
 */
function fromKeyMaterial(type: number, bytes: Buffer, password: string, withKeys: boolean): CertificateStore {
  const text = bytes.toString('latin1');
  const ders: Buffer[] = [];
  const keys: KeyObject[] = [];
  if (text.includes('-----BEGIN')) {
    for (const block of pemBlocks(text)) {
      if (block.label.endsWith('PRIVATE KEY')) {
        if (withKeys) keys.push(pemKey(block.text, password));
      } else if (block.label === 'CERTIFICATE' || block.label === 'X509 CERTIFICATE' || block.label === 'TRUSTED CERTIFICATE') {
        ders.push(block.der);
      } else if (block.label === 'PKCS7') {
        ders.push(...pkcs7Certificates(block.der));
      }
    }
    if (ders.length === 0 && keys.length === 0) throw new Asn1Error('the PEM text holds no certificate or private key');
  } else {
    const der = unBase64(bytes);
    // Base64 of PEM text: read the text.
    if (der !== bytes && der.toString('latin1').includes('-----BEGIN')) return fromKeyMaterial(type, der, password, withKeys);
    const kind = classifyDer(der);
    if (kind === 'certificate') ders.push(der);
    else if (kind === 'pkcs7') ders.push(...pkcs7Certificates(der));
    else if (kind === 'key' && withKeys) keys.push(derKey(der, password));
    else throw new Asn1Error(`expected ${withKeys ? 'a private key or a certificate' : 'a certificate'} (PEM or DER)`);
  }
  if (withKeys && type !== CertStoreType.cstAuto && keys.length === 0) {
    throw new Asn1Error('the PEM key store holds no private key (for a certificate alone use SSLCertStoreType 8 or 9)');
  }
  return { type, certificates: ders.map((der) => entry(der, null, keys, '')), keys };
}

function autoDetect(bytes: Buffer, password: string): CertificateStore {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) return fromKeyMaterial(CertStoreType.cstAuto, bytes, password, true);
  const der = unBase64(bytes);
  if (classifyDer(der) === 'pfx') return fromPkcs12(CertStoreType.cstAuto, der, password);
  return fromKeyMaterial(CertStoreType.cstAuto, der, password, true);
}

/**
 * Tells the DER structures a store may hold apart by their first fields (read lazily: a long flat
 * sequence costs no more than a short one).
 */
function classifyDer(der: Buffer): 'pfx' | 'certificate' | 'pkcs7' | 'key' | 'unknown' {
  try {
    const [first, second] = fields(expect(readElement(der), Tag.Sequence, 'top level'), 2);
    if (first?.tag === Tag.Integer && second?.tag === Tag.Sequence) {
      const inner = fields(second, 3);
      // PFX: version 3, then a ContentInfo (OID first). PKCS#8: version 0, then an AlgorithmIdentifier.
      if (inner[0]?.tag === Tag.Oid && first.content.length === 1 && first.content[0] === 3 && inner.length === 2) return 'pfx';
      return 'key';
    }
    if (first?.tag === Tag.Integer) return 'key'; // PKCS#1 RSA or SEC1 EC private key
    if (first?.tag === Tag.Oid && oid(first) === '1.2.840.113549.1.7.2') return 'pkcs7';
    if (first?.tag === Tag.Sequence) return 'certificate';
  } catch {
    return 'unknown';
  }
  return 'unknown';
}

/**
 * RFC 2315 §9.1: SignedData ::= SEQUENCE { version, digestAlgorithms, contentInfo, certificates [0] IMPLICIT …, … }.
 * A bundle holds at most as many certificates as a PFX may (Pkcs12Limits.maxCertificates).
 */
function pkcs7Certificates(der: Buffer): Buffer[] {
  const [type, wrapped] = fields(expect(readElement(der), Tag.Sequence, 'PKCS#7'), 2);
  if (oid(expect(type, Tag.Oid, 'PKCS#7 content type')) !== '1.2.840.113549.1.7.2') throw new Asn1Error('PKCS#7 data is not SignedData');
  const signedData = expect(fields(expect(wrapped, Tag.Context0, 'PKCS#7 content'), 1)[0], Tag.Sequence, 'SignedData');
  // version, digestAlgorithms, contentInfo, then the optional certificates [0].
  const certificates = fields(signedData, 4)[3];
  if (certificates?.tag !== Tag.Context0) return [];
  const list: Buffer[] = [];
  for (const certificate of elements(certificates)) {
    if (list.length === Pkcs12Limits.maxCertificates) {
      throw new Asn1Error(`the PKCS#7 bundle holds more than ${Pkcs12Limits.maxCertificates} certificates (Pkcs12Limits.maxCertificates)`);
    }
    list.push(Buffer.from(certificate.raw));
  }
  return list;
}

function pemKey(pem: string, password: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase: password });
  } catch (error) {
    throw keyError(error, password);
  }
}

function derKey(der: Buffer, password: string): KeyObject {
  const attempts = [
    { type: 'pkcs8' as const, passphrase: password },
    { type: 'pkcs1' as const },
    { type: 'sec1' as const },
  ];
  let failure: unknown;
  for (const attempt of attempts) {
    try {
      return createPrivateKey({ key: der, format: 'der', ...attempt });
    } catch (error) {
      failure ??= error;
    }
  }
  throw keyError(failure, password);
}

function keyError(error: unknown, password: string): WSServerError {
  const message = (error as Error).message ?? String(error);
  const code = (error as { code?: string }).code;
  if (code === 'ERR_MISSING_PASSPHRASE') return storeError('The private key is encrypted: set SSLCertStorePassword.');
  if (/bad decrypt|decrypt/i.test(message)) {
    return storeError(password === '' ? 'The private key is encrypted: set SSLCertStorePassword.' : 'Wrong password for the encrypted private key.');
  }
  return storeError(`The private key cannot be read: ${message}.`);
}

function entry(der: Buffer, key: KeyObject | null, keys: readonly KeyObject[], friendlyName: string): StoreCertificate {
  const x509 = parseCertificate(der);
  const names = certificateNames(der);
  // The key of a certificate is the one whose public half is in it; a key that matches nothing stays unpaired.
  const own = key && x509.checkPrivateKey(key) ? key : (keys.find((k) => x509.checkPrivateKey(k)) ?? null);
  return { der, x509, subject: names.subject, issuer: names.issuer, key: own, friendlyName };
}

// ─── Selection ─────────────────────────────────────────────────────────────────────────────────

/**
 * SSLCertSubject's search: '*' takes the first certificate with a private key (else the first one);
 * otherwise an exact subject match, then one that differs only in case and spacing, then a subject that
 * contains the text. Among equal matches a certificate with its key wins. Null when nothing matches.
 */
export function findBySubject(store: CertificateStore, wanted: string): StoreCertificate | null {
  const list = store.certificates;
  if (list.length === 0) return null;
  if (wanted.trim() === '*') return list.find((c) => c.key) ?? list[0]!;
  const target = normalizeSubject(wanted);
  if (target === '') return null;
  const tests: Array<(c: StoreCertificate) => boolean> = [
    (c) => c.subject === wanted,
    (c) => normalizeSubject(c.subject) === target,
    (c) => normalizeSubject(c.subject).includes(target) || c.friendlyName.toLowerCase() === target,
  ];
  for (const test of tests) {
    const matches = list.filter(test);
    if (matches.length > 0) return matches.find((c) => c.key) ?? matches[0]!;
  }
  return null;
}

/**
 * SSLCertEncoded's search: the store's entry for this certificate, or the certificate paired with a
 * matching private key of the store (a key file plus a separately given certificate), key null if none.
 */
export function findByCertificate(store: CertificateStore | null, der: Buffer): StoreCertificate {
  const known = store?.certificates.find((c) => c.der.equals(der) && c.key);
  if (known) return known;
  return entry(der, null, store?.keys ?? [], '');
}

/**
 * The credentials for `chosen`: its key and its chain (the chosen certificate, then the issuers the store
 * holds, up to the root). 273 when the certificate has no private key.
 */
export function credentialsFor(store: CertificateStore | null, chosen: StoreCertificate): Credentials {
  if (!chosen.key) {
    const why = store && store.keys.length > 0
      ? 'the private key in SSLCertStore belongs to another certificate'
      : 'SSLCertStore holds no private key for it';
    throw new WSServerError(
      ErrorCode.CannotAcquireCredentials,
      `${errorMessage(ErrorCode.CannotAcquireCredentials)} The certificate "${chosen.subject}" cannot be used by a server: ${why}.`,
    );
  }
  const chain = [chosen];
  for (let current = chosen; chain.length < 10; ) {
    if (current.x509.checkIssued(current.x509)) break; // self-signed: the top
    const issuer = store?.certificates.find((c) => !chain.includes(c) && current.x509.checkIssued(c.x509) && current.x509.verify(c.x509.publicKey));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return {
    key: chosen.key.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: chain.map((c) => derToPem(c.der)).join(''),
  };
}
