/**
 * A PKCS#12 (PFX) reader (RFC 7292) built on node:crypto, so that a PFX store can be listed
 * certificate by certificate, which node:tls (it only takes a whole PFX and keeps one key) cannot do.
 * The cryptography is node:crypto's: HMAC, PBKDF2 and the ciphers. What is done here is walking the
 * structure and the PKCS#12 key derivation of RFC 7292 Appendix B, which node:crypto does not expose.
 *
 * Supported, as produced by OpenSSL 1.x/3.x, Windows and Java: password integrity (HMAC with SHA-1 or
 * SHA-2), PBES2 (PBKDF2 + AES/3DES) and the PKCS#12 PBE schemes (SHA-1 with 3DES or RC2 — RC2 only
 * where the OpenSSL in use still offers it). Public-key integrity/privacy modes are refused.
 */
import { createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Asn1Error, Tag, children, expect, octets, oid, readElement, smallInteger, text, type Element } from './asn1';

/** Why a PFX could not be read; `reason` tells the wrong password apart from the rest. */
export class Pkcs12Error extends Error {
  override name = 'Pkcs12Error';
  constructor(
    readonly reason: 'password' | 'format' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** A certificate found in the PFX, with the attributes that tie it to its key. */
export interface Pkcs12Certificate {
  readonly der: Buffer;
  readonly friendlyName: string;
  /** The localKeyId attribute: equal on a certificate and its private key. */
  readonly localKeyId: Buffer | null;
}

export interface Pkcs12Key {
  readonly key: KeyObject;
  readonly friendlyName: string;
  readonly localKeyId: Buffer | null;
}

export interface Pkcs12Contents {
  readonly certificates: Pkcs12Certificate[];
  readonly keys: Pkcs12Key[];
}

const OID = Object.freeze({
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
});

/** Digests by OID: [node:crypto name, output bytes (u), block bytes (v)]. */
const DIGESTS: Readonly<Record<string, readonly [string, number, number]>> = Object.freeze({
  '1.3.14.3.2.26': ['sha1', 20, 64],
  '2.16.840.1.101.3.4.2.4': ['sha224', 28, 64],
  '2.16.840.1.101.3.4.2.1': ['sha256', 32, 64],
  '2.16.840.1.101.3.4.2.2': ['sha384', 48, 128],
  '2.16.840.1.101.3.4.2.3': ['sha512', 64, 128],
});

/** PBKDF2 pseudo-random functions (RFC 8018 Appendix B.1). */
const HMACS: Readonly<Record<string, string>> = Object.freeze({
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
});

/** PBES2 encryption schemes: [cipher name, key bytes]. The IV is the AlgorithmIdentifier's parameter. */
const PBES2_CIPHERS: Readonly<Record<string, readonly [string, number]>> = Object.freeze({
  '2.16.840.1.101.3.4.1.2': ['aes-128-cbc', 16],
  '2.16.840.1.101.3.4.1.22': ['aes-192-cbc', 24],
  '2.16.840.1.101.3.4.1.42': ['aes-256-cbc', 32],
  '1.2.840.113549.3.7': ['des-ede3-cbc', 24],
});

/** RFC 7292 Appendix C, pkcs-12PbeIds: [cipher name, key bytes, IV bytes]; all use SHA-1. */
const PKCS12_PBE: Readonly<Record<string, readonly [string, number, number]>> = Object.freeze({
  '1.2.840.113549.1.12.1.3': ['des-ede3-cbc', 24, 8],
  '1.2.840.113549.1.12.1.4': ['des-ede-cbc', 16, 8],
  '1.2.840.113549.1.12.1.5': ['rc2-cbc', 16, 8],
  '1.2.840.113549.1.12.1.6': ['rc2-40-cbc', 5, 8],
});

/**
 * Reads a PFX: checks the password against the MAC, decrypts every safe and returns the certificates
 * and private keys in the order they appear.
 */
export function readPkcs12(pfx: Buffer, password: string): Pkcs12Contents {
  let parts: Element[];
  try {
    // RFC 7292 §4: PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
    parts = children(expect(readElement(pfx), Tag.Sequence, 'PFX'));
    if (smallInteger(expect(parts[0], Tag.Integer, 'PFX version')) !== 3) throw new Asn1Error('PFX version is not 3');
  } catch (error) {
    throw asFormatError(error, 'not a PKCS#12 (PFX) file');
  }
  try {
    const authSafe = contentInfo(expect(parts[1], Tag.Sequence, 'authSafe'));
    // §4: "the authSafe is of type data when password integrity mode is used".
    if (authSafe.type === OID.signedData) throw new Pkcs12Error('unsupported', 'PFX files in public-key integrity mode are not supported');
    if (authSafe.type !== OID.data) throw new Asn1Error(`unexpected authSafe content type ${authSafe.type}`);
    const content = octets(expect(authSafe.content, Tag.OctetString, 'authSafe content'));
    const passwords = candidatePasswords(password);
    let bmp = passwords[0]!;
    if (parts[2]) bmp = verifyMac(expect(parts[2], Tag.Sequence, 'macData'), content, passwords);
    const result: Pkcs12Contents = { certificates: [], keys: [] };
    // AuthenticatedSafe ::= SEQUENCE OF ContentInfo
    for (const info of children(expect(readElement(content), Tag.Sequence, 'AuthenticatedSafe'))) {
      const safe = contentInfo(info);
      let safeContents: Buffer;
      if (safe.type === OID.data) {
        safeContents = octets(expect(safe.content, Tag.OctetString, 'safe contents'));
      } else if (safe.type === OID.encryptedData) {
        safeContents = decryptEncryptedData(expect(safe.content, Tag.Sequence, 'EncryptedData'), password, bmp);
      } else if (safe.type === OID.envelopedData) {
        throw new Pkcs12Error('unsupported', 'PFX files in public-key privacy mode are not supported');
      } else {
        throw new Asn1Error(`unexpected safe content type ${safe.type}`);
      }
      readBags(readElement(safeContents), password, bmp, result);
    }
    return result;
  } catch (error) {
    throw asFormatError(error, 'the PFX file is damaged');
  }
}

function asFormatError(error: unknown, what: string): Pkcs12Error {
  if (error instanceof Pkcs12Error) return error;
  return new Pkcs12Error('format', `${what}: ${(error as Error).message}`);
}

/** ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY OPTIONAL } */
function contentInfo(element: Element): { type: string; content: Element | undefined } {
  const [type, wrapped] = children(expect(element, Tag.Sequence, 'ContentInfo'));
  const content = wrapped ? children(expect(wrapped, Tag.Context0, 'content'))[0] : undefined;
  return { type: oid(expect(type, Tag.Oid, 'content type')), content };
}

/**
 * The password as PKCS#12 wants it for its own KDF (RFC 7292 Appendix B.1): BMPString, big-endian,
 * with a two-byte terminator. An empty password may also have been used as no password at all, so both
 * are tried (as OpenSSL does).
 */
function candidatePasswords(password: string): Buffer[] {
  const bmp = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
  return password === '' ? [bmp, Buffer.alloc(0)] : [bmp];
}

/**
 * MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }.
 * Returns the password form that matched; a mismatch means a wrong password (or a damaged file).
 */
function verifyMac(macData: Element, content: Buffer, passwords: Buffer[]): Buffer {
  const [digestInfo, saltElement, iterationsElement] = children(macData);
  const [algorithm, digestElement] = children(expect(digestInfo, Tag.Sequence, 'DigestInfo'));
  const algorithmId = oid(expect(children(expect(algorithm, Tag.Sequence, 'digest algorithm'))[0], Tag.Oid, 'digest algorithm'));
  const digest = DIGESTS[algorithmId];
  if (!digest) throw new Pkcs12Error('unsupported', `unsupported PFX integrity algorithm ${algorithmId}`);
  const expected = octets(expect(digestElement, Tag.OctetString, 'MAC value'));
  const salt = octets(expect(saltElement, Tag.OctetString, 'MAC salt'));
  const iterations = iterationsElement ? smallInteger(iterationsElement) : 1;
  for (const password of passwords) {
    // RFC 7292 Appendix B.4: the MAC key comes from the PKCS#12 KDF with ID 3, as long as the digest.
    const key = pkcs12Kdf(digest, password, salt, 3, iterations, digest[1]);
    const actual = createHmac(digest[0], key).update(content).digest();
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return password;
  }
  throw new Pkcs12Error('password', 'wrong password (the PFX integrity check failed)');
}

/**
 * RFC 7292 Appendix B.2: the PKCS#12 key derivation. `id` 1 derives keys, 2 IVs, 3 MAC keys.
 * Exported for the specs (RFC test vectors).
 */
export function pkcs12Kdf(
  digest: readonly [string, number, number],
  password: Buffer,
  salt: Buffer,
  id: number,
  iterations: number,
  length: number,
): Buffer {
  const [name, u, v] = digest;
  // Steps 1–4: D is v copies of ID; S and P are salt and password repeated to a multiple of v bytes.
  const d = Buffer.alloc(v, id);
  const s = repeatTo(salt, v * Math.ceil(salt.length / v));
  const p = repeatTo(password, v * Math.ceil(password.length / v));
  const i = Buffer.concat([s, p]);
  const out = Buffer.alloc(Math.ceil(length / u) * u);
  const b = Buffer.alloc(v);
  for (let block = 0; block * u < length; block++) {
    // Step 6a: A = H^r(D || I).
    let a = createHash(name).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(name).update(a).digest();
    a.copy(out, block * u);
    // Steps 6b–6c: B is A repeated to v bytes; every v-byte block Ij of I becomes (Ij + B + 1) mod 2^(8v).
    for (let k = 0; k < v; k++) b[k] = a[k % u]!;
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = i[j + k]! + b[k]! + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out.subarray(0, length);
}

function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let k = 0; k < length; k++) out[k] = source[k % source.length]!;
  return out;
}

/** EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo } */
function decryptEncryptedData(encryptedData: Element, password: string, bmp: Buffer): Buffer {
  const [, info] = children(encryptedData);
  // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OPTIONAL }
  const [, algorithm, content] = children(expect(info, Tag.Sequence, 'EncryptedContentInfo'));
  if (!content) return Buffer.alloc(0);
  if ((content.tag & 0x1f) !== 0 || (content.tag & 0xc0) !== 0x80) throw new Asn1Error('encrypted content is not [0]');
  return decrypt(expect(algorithm, Tag.Sequence, 'encryption algorithm'), octets(content), password, bmp);
}

/** Decrypts with a PBES2 or PKCS#12 PBE AlgorithmIdentifier. */
function decrypt(algorithm: Element, data: Buffer, password: string, bmp: Buffer): Buffer {
  const [idElement, params] = children(algorithm);
  const id = oid(expect(idElement, Tag.Oid, 'encryption algorithm'));
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (id === OID.pbes2) {
    // RFC 8018 §A.4: PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }
    const [kdf, scheme] = children(expect(params, Tag.Sequence, 'PBES2 parameters'));
    const [kdfId, kdfParams] = children(expect(kdf, Tag.Sequence, 'key derivation function'));
    if (oid(expect(kdfId, Tag.Oid, 'KDF')) !== OID.pbkdf2) throw new Pkcs12Error('unsupported', 'only PBKDF2 is supported for PBES2');
    // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 }
    const fields = children(expect(kdfParams, Tag.Sequence, 'PBKDF2 parameters'));
    const salt = octets(expect(fields[0], Tag.OctetString, 'PBKDF2 salt'));
    const iterations = smallInteger(expect(fields[1], Tag.Integer, 'PBKDF2 iterations'));
    let prf = 'sha1';
    for (const field of fields.slice(2)) {
      if (field.tag === Tag.Sequence) {
        const prfId = oid(expect(children(field)[0], Tag.Oid, 'PRF'));
        const known = HMACS[prfId];
        if (!known) throw new Pkcs12Error('unsupported', `unsupported PBKDF2 PRF ${prfId}`);
        prf = known;
      }
    }
    const [schemeId, ivElement] = children(expect(scheme, Tag.Sequence, 'encryption scheme'));
    const schemeOid = oid(expect(schemeId, Tag.Oid, 'encryption scheme'));
    const known = PBES2_CIPHERS[schemeOid];
    if (!known) throw new Pkcs12Error('unsupported', `unsupported PBES2 cipher ${schemeOid}`);
    cipher = known[0];
    iv = octets(expect(ivElement, Tag.OctetString, 'IV'));
    // PBES2 uses the password's bytes as they are (UTF-8), not the BMPString form.
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, known[1], prf);
  } else {
    const known = PKCS12_PBE[id];
    if (!known) throw new Pkcs12Error('unsupported', `unsupported PFX encryption algorithm ${id}`);
    // pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
    const [saltElement, iterationsElement] = children(expect(params, Tag.Sequence, 'PBE parameters'));
    const salt = octets(expect(saltElement, Tag.OctetString, 'PBE salt'));
    const iterations = smallInteger(expect(iterationsElement, Tag.Integer, 'PBE iterations'));
    const sha1 = DIGESTS['1.3.14.3.2.26']!;
    cipher = known[0];
    key = pkcs12Kdf(sha1, bmp, salt, 1, iterations, known[1]);
    iv = pkcs12Kdf(sha1, bmp, salt, 2, iterations, known[2]);
  }
  let decipher;
  try {
    decipher = createDecipheriv(cipher, key, iv);
  } catch (error) {
    throw new Pkcs12Error(
      'unsupported',
      `the PFX is encrypted with ${cipher}, which this OpenSSL does not offer (${(error as Error).message}); ` +
        're-export it with AES (openssl pkcs12 -export, OpenSSL 3 default) or start Node.js with --openssl-legacy-provider',
    );
  }
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new Pkcs12Error('password', 'wrong password (the PFX contents could not be decrypted)');
  }
}

/** SafeContents ::= SEQUENCE OF SafeBag; SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes SET OPTIONAL } */
function readBags(safeContents: Element, password: string, bmp: Buffer, result: Pkcs12Contents): void {
  for (const bag of children(expect(safeContents, Tag.Sequence, 'SafeContents'))) {
    const [idElement, valueElement, attributesElement] = children(expect(bag, Tag.Sequence, 'SafeBag'));
    const id = oid(expect(idElement, Tag.Oid, 'bag type'));
    const value = children(expect(valueElement, Tag.Context0, 'bag value'))[0];
    const attributes = attributesElement ? readAttributes(attributesElement) : { friendlyName: '', localKeyId: null };
    if (!value) throw new Asn1Error('empty bag');
    switch (id) {
      case OID.certBag: {
        // CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }
        const [certId, certValue] = children(expect(value, Tag.Sequence, 'CertBag'));
        if (oid(expect(certId, Tag.Oid, 'certificate type')) !== OID.x509Certificate) break; // SDSI certificates: not for TLS
        const der = octets(expect(children(expect(certValue, Tag.Context0, 'certificate value'))[0], Tag.OctetString, 'certificate'));
        result.certificates.push({ der, ...attributes });
        break;
      }
      case OID.keyBag:
        result.keys.push({ key: privateKey(value.raw), ...attributes });
        break;
      case OID.shroudedKeyBag: {
        // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
        const [algorithm, data] = children(expect(value, Tag.Sequence, 'EncryptedPrivateKeyInfo'));
        const plain = decrypt(expect(algorithm, Tag.Sequence, 'key encryption algorithm'), octets(expect(data, Tag.OctetString, 'encrypted key')), password, bmp);
        result.keys.push({ key: privateKey(plain), ...attributes });
        break;
      }
      case OID.safeContentsBag:
        readBags(value, password, bmp, result);
        break;
      default:
      // CRL and secret bags carry nothing a TLS server uses.
    }
  }
}

function privateKey(pkcs8: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new Pkcs12Error('format', `a private key in the PFX cannot be read: ${(error as Error).message}`);
  }
}

function readAttributes(set: Element): { friendlyName: string; localKeyId: Buffer | null } {
  let friendlyName = '';
  let localKeyId: Buffer | null = null;
  for (const attribute of children(expect(set, Tag.Set, 'bag attributes'))) {
    const [type, values] = children(expect(attribute, Tag.Sequence, 'attribute'));
    const first = values ? children(values)[0] : undefined;
    if (!type || !first) continue;
    const id = oid(type);
    if (id === OID.friendlyName) friendlyName = text(first);
    else if (id === OID.localKeyId) localKeyId = octets(first);
  }
  return { friendlyName, localKeyId };
}
