/**
 * A PKCS#12 (PFX) reader (RFC 7292) built on node:crypto, so that a PFX store can be listed
 * certificate by certificate, which node:tls (it only takes a whole PFX and keeps one key) cannot do.
 * node:crypto does the cryptography it offers by default: HMAC, PBKDF2, AES and 3DES. Done here:
 * walking the structure, the PKCS#12 key derivation of RFC 7292 Appendix B, which node:crypto does not
 * expose, and the RC2 and RC4 bag ciphers (./rc2, ./rc4), which OpenSSL 3 keeps out of its default
 * provider, so that the files Windows, Java keytool and OpenSSL 1.x write load without Node flags.
 *
 * Supported, as those and OpenSSL 3 write them: password integrity (HMAC with SHA-1 or SHA-2, or no
 * MAC at all), PBES2 (PBKDF2 with any HMAC PRF + AES or 3DES) and the PKCS#12 PBE schemes (SHA-1 with
 * 3DES, 2-key 3DES, RC2-128, RC2-40, RC4-128, RC4-40), and no password. Public-key integrity/privacy
 * modes are refused.
 *
 * The file is read in two passes so that a hostile one costs little (./pkcs12-limits): first every part
 * readable without the password is walked and every iteration count found is checked against the caps,
 * then the MAC is verified and the encrypted parts are decrypted (their own counts checked as they open).
 */
import { createDecipheriv, createHash, createHmac, createPrivateKey, hash as oneShotHash, pbkdf2Sync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Asn1Error, Asn1LimitError, Tag, expect, octets, oid, readElement, smallInteger, text, type Element } from './asn1';
import { Pkcs12Budget, Pkcs12LimitError } from './pkcs12-limits';
import { rc2CbcDecrypt } from './rc2';
import { rc4 } from './rc4';

/** Why a PFX could not be read; `reason` tells the wrong password apart from the rest. */
export class Pkcs12Error extends Error {
  override name = 'Pkcs12Error';
  constructor(
    /** 'limit': the file is over one of the caps of ./pkcs12-limits (the message names it). */
    readonly reason: 'password' | 'format' | 'unsupported' | 'limit',
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
  '1.2.840.113549.1.12.1.1': ['rc4', 16, 0],
  '1.2.840.113549.1.12.1.2': ['rc4-40', 5, 0],
  '1.2.840.113549.1.12.1.3': ['des-ede3-cbc', 24, 8],
  '1.2.840.113549.1.12.1.4': ['des-ede-cbc', 16, 8],
  '1.2.840.113549.1.12.1.5': ['rc2-cbc', 16, 8],
  '1.2.840.113549.1.12.1.6': ['rc2-40-cbc', 5, 8],
});

const SHA1 = DIGESTS['1.3.14.3.2.26']!;

/** A password-based encryption found in the file, not yet run. */
type Pbe =
  | { readonly scheme: 'pkcs12'; readonly cipher: string; readonly keyLength: number; readonly ivLength: number; readonly salt: Buffer; readonly iterations: number }
  | { readonly scheme: 'pbes2'; readonly cipher: string; readonly keyLength: number; readonly iv: Buffer; readonly salt: Buffer; readonly iterations: number; readonly prf: string };

interface Mac {
  readonly digest: readonly [string, number, number];
  readonly expected: Buffer;
  readonly salt: Buffer;
  readonly iterations: number;
}

interface Attributes {
  readonly friendlyName: string;
  readonly localKeyId: Buffer | null;
}

/** A private key as found: read already (keyBag) or still encrypted (pkcs8ShroudedKeyBag). */
type FoundKey = Attributes & ({ readonly key: KeyObject } | { readonly pbe: Pbe; readonly data: Buffer });

/** What one safe of the AuthenticatedSafe holds, kept in file order; `encrypted` until decrypted. */
interface Slot {
  readonly certificates: Pkcs12Certificate[];
  readonly keys: FoundKey[];
  encrypted?: { readonly pbe: Pbe; readonly data: Buffer };
}

/** How one read goes: its caps, the password in its two forms, and how many of the PKCS#12 forms to try. */
interface Reading {
  readonly budget: Pkcs12Budget;
  readonly password: string;
  /** The BMPString forms still possible (one once the MAC has told which). */
  bmp: Buffer[];
}

/**
 * Reads a PFX: checks every count against the caps, checks the password against the MAC, decrypts
 * every safe and returns the certificates and private keys in the order they appear.
 */
export function readPkcs12(pfx: Buffer, password: string): Pkcs12Contents {
  const budget = new Pkcs12Budget();
  let parts: Element[];
  try {
    // RFC 7292 §4: PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
    parts = budget.fields(expect(readElement(pfx), Tag.Sequence, 'PFX'), 3);
    if (smallInteger(expect(parts[0], Tag.Integer, 'PFX version')) !== 3) throw new Asn1Error('PFX version is not 3');
  } catch (error) {
    throw asPkcs12Error(error, 'not a PKCS#12 (PFX) file');
  }
  try {
    const authSafe = contentInfo(expect(parts[1], Tag.Sequence, 'authSafe'), budget);
    // §4: "the authSafe is of type data when password integrity mode is used".
    if (authSafe.type === OID.signedData) throw new Pkcs12Error('unsupported', 'PFX files in public-key integrity mode are not supported');
    if (authSafe.type !== OID.data) throw new Asn1Error(`unexpected authSafe content type ${authSafe.type}`);
    const content = octets(expect(authSafe.content, Tag.OctetString, 'authSafe content'));
    const reading: Reading = { budget, password, bmp: candidatePasswords(password) };
    // Pass 1: everything readable without the password, every iteration count booked before any derivation.
    const mac = parts[2] ? parseMac(expect(parts[2], Tag.Sequence, 'macData'), reading) : null;
    if (mac) reading.bmp = reading.bmp.slice(0, 1); // decided by the MAC below; book PBEs for one form
    const slots: Slot[] = [];
    // AuthenticatedSafe ::= SEQUENCE OF ContentInfo
    for (const info of budget.each(expect(readElement(content), Tag.Sequence, 'AuthenticatedSafe'))) {
      const safe = contentInfo(info, budget);
      const slot: Slot = { certificates: [], keys: [] };
      if (safe.type === OID.data) {
        readBags(readElement(octets(expect(safe.content, Tag.OctetString, 'safe contents'))), reading, 1, slot);
      } else if (safe.type === OID.encryptedData) {
        const encrypted = parseEncryptedData(expect(safe.content, Tag.Sequence, 'EncryptedData'), reading);
        if (encrypted) slot.encrypted = encrypted;
      } else if (safe.type === OID.envelopedData) {
        throw new Pkcs12Error('unsupported', 'PFX files in public-key privacy mode are not supported');
      } else {
        throw new Asn1Error(`unexpected safe content type ${safe.type}`);
      }
      slots.push(slot);
    }
    // Pass 2: the work, within the caps.
    if (mac) reading.bmp = [verifyMac(mac, content, candidatePasswords(password))];
    for (const slot of slots) {
      if (!slot.encrypted) continue;
      const plain = runPbe(slot.encrypted.pbe, slot.encrypted.data, reading, 'contents');
      delete slot.encrypted;
      readBags(readElement(plain), reading, 1, slot);
    }
    const result: Pkcs12Contents = { certificates: [], keys: [] };
    for (const slot of slots) {
      result.certificates.push(...slot.certificates);
      for (const found of slot.keys) {
        const key = 'key' in found ? found.key : privateKey(runPbe(found.pbe, found.data, reading, 'private key'));
        result.keys.push({ key, friendlyName: found.friendlyName, localKeyId: found.localKeyId });
      }
    }
    return result;
  } catch (error) {
    throw asPkcs12Error(error, 'the PFX file is damaged');
  }
}

function asPkcs12Error(error: unknown, what: string): Pkcs12Error {
  if (error instanceof Pkcs12Error) return error;
  if (error instanceof Pkcs12LimitError || error instanceof Asn1LimitError) {
    return new Pkcs12Error('limit', `the PFX file is over a cap of this reader: ${error.message}`);
  }
  return new Pkcs12Error('format', `${what}: ${(error as Error).message}`);
}

/** ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY OPTIONAL } */
function contentInfo(element: Element, budget: Pkcs12Budget): { type: string; content: Element | undefined } {
  const [type, wrapped] = budget.fields(expect(element, Tag.Sequence, 'ContentInfo'), 2);
  const content = wrapped ? budget.fields(expect(wrapped, Tag.Context0, 'content'), 1)[0] : undefined;
  return { type: oid(expect(type, Tag.Oid, 'content type')), content };
}

/**
 * The password as PKCS#12 wants it for its own KDF (RFC 7292 Appendix B.1): BMPString, big-endian,
 * with a two-byte terminator. An empty password may also have been used as no password at all (zero
 * bytes), so both are tried (as OpenSSL and Java do).
 */
function candidatePasswords(password: string): Buffer[] {
  const bmp = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
  return password === '' ? [bmp, Buffer.alloc(0)] : [bmp];
}

/**
 * An iteration count (a positive INTEGER). Read whole, however long, so that a count over a cap is
 * reported as such rather than as a malformed integer.
 */
function iterationCount(element: Element | undefined, what: string): bigint {
  const bytes = expect(element, Tag.Integer, `${what} iteration count`).content;
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) throw new Asn1Error(`the ${what} iteration count is negative`);
  const value = BigInt(`0x${bytes.toString('hex')}`);
  if (value === 0n) throw new Asn1Error(`the ${what} iteration count is zero`);
  return value;
}

/** MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 } */
function parseMac(macData: Element, reading: Reading): Mac {
  const { budget } = reading;
  const [digestInfo, saltElement, iterationsElement] = budget.fields(macData, 3);
  const [algorithm, digestElement] = budget.fields(expect(digestInfo, Tag.Sequence, 'DigestInfo'), 2);
  const algorithmId = oid(expect(budget.fields(expect(algorithm, Tag.Sequence, 'digest algorithm'), 1)[0], Tag.Oid, 'digest algorithm'));
  const digest = DIGESTS[algorithmId];
  if (!digest) throw new Pkcs12Error('unsupported', `unsupported PFX integrity algorithm ${algorithmId}`);
  const expected = octets(expect(digestElement, Tag.OctetString, 'MAC value'));
  const salt = octets(expect(saltElement, Tag.OctetString, 'MAC salt'));
  const iterations = budget.derivation('MAC', iterationsElement ? iterationCount(iterationsElement, 'MAC') : 1n, reading.bmp.length);
  return { digest, expected, salt, iterations };
}

/** Returns the password form that matched; a mismatch means a wrong password (or a damaged file). */
function verifyMac(mac: Mac, content: Buffer, passwords: Buffer[]): Buffer {
  for (const password of passwords) {
    // RFC 7292 Appendix B.4: the MAC key comes from the PKCS#12 KDF with ID 3, as long as the digest.
    const key = pkcs12Kdf(mac.digest, password, mac.salt, 3, mac.iterations, mac.digest[1]);
    const actual = createHmac(mac.digest[0], key).update(content).digest();
    if (actual.length === mac.expected.length && timingSafeEqual(actual, mac.expected)) return password;
  }
  throw new Pkcs12Error('password', 'wrong password (the PFX integrity check failed)');
}

/** One hash of `data`: node:crypto's one-shot form where this Node has it (Node 20.12+), else createHash. */
const digestOf: (name: string, data: Buffer) => Buffer =
  typeof oneShotHash === 'function'
    ? (name, data) => oneShotHash(name, data, 'buffer')
    : (name, data) => createHash(name).update(data).digest();

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
    let a = digestOf(name, Buffer.concat([d, i]));
    for (let r = 1; r < iterations; r++) a = digestOf(name, a);
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
function parseEncryptedData(encryptedData: Element, reading: Reading): { pbe: Pbe; data: Buffer } | null {
  const { budget } = reading;
  const [, info] = budget.fields(encryptedData, 2);
  // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OPTIONAL }
  const [, algorithm, content] = budget.fields(expect(info, Tag.Sequence, 'EncryptedContentInfo'), 3);
  const pbe = parsePbe(expect(algorithm, Tag.Sequence, 'encryption algorithm'), reading, 'contents');
  if (!content) return null;
  if ((content.tag & 0x1f) !== 0 || (content.tag & 0xc0) !== 0x80) throw new Asn1Error('encrypted content is not [0]');
  return { pbe, data: octets(content) };
}

/** Reads a PBES2 or PKCS#12 PBE AlgorithmIdentifier and books its derivation. */
function parsePbe(algorithm: Element, reading: Reading, what: string): Pbe {
  const { budget } = reading;
  const [idElement, params] = budget.fields(algorithm, 2);
  const id = oid(expect(idElement, Tag.Oid, 'encryption algorithm'));
  if (id === OID.pbes2) {
    // RFC 8018 §A.4: PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }
    const [kdf, scheme] = budget.fields(expect(params, Tag.Sequence, 'PBES2 parameters'), 2);
    const [kdfId, kdfParams] = budget.fields(expect(kdf, Tag.Sequence, 'key derivation function'), 2);
    if (oid(expect(kdfId, Tag.Oid, 'KDF')) !== OID.pbkdf2) throw new Pkcs12Error('unsupported', 'only PBKDF2 is supported for PBES2');
    // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 }
    const fields = budget.fields(expect(kdfParams, Tag.Sequence, 'PBKDF2 parameters'), 4);
    const salt = octets(expect(fields[0], Tag.OctetString, 'PBKDF2 salt'));
    const count = iterationCount(fields[1], `${what} PBKDF2`);
    let keyLength: number | null = null;
    let prf = 'sha1';
    for (const field of fields.slice(2)) {
      if (field.tag === Tag.Integer) keyLength = smallInteger(field);
      else if (field.tag === Tag.Sequence) {
        const prfId = oid(expect(budget.fields(field, 1)[0], Tag.Oid, 'PRF'));
        const known = HMACS[prfId];
        if (!known) throw new Pkcs12Error('unsupported', `unsupported PBKDF2 PRF ${prfId}`);
        prf = known;
      }
    }
    const [schemeId, ivElement] = budget.fields(expect(scheme, Tag.Sequence, 'encryption scheme'), 2);
    const schemeOid = oid(expect(schemeId, Tag.Oid, 'encryption scheme'));
    const known = PBES2_CIPHERS[schemeOid];
    if (!known) throw new Pkcs12Error('unsupported', `unsupported PBES2 cipher ${schemeOid}`);
    if (keyLength !== null && keyLength !== known[1]) throw new Asn1Error(`the PBKDF2 key length ${keyLength} does not fit ${known[0]}`);
    const iv = octets(expect(ivElement, Tag.OctetString, 'IV'));
    // PBES2 takes the password's own bytes: one form only.
    const iterations = budget.derivation(`${what} PBKDF2`, count, 1);
    return { scheme: 'pbes2', cipher: known[0], keyLength: known[1], iv, salt, iterations, prf };
  }
  const known = PKCS12_PBE[id];
  if (!known) throw new Pkcs12Error('unsupported', `unsupported PFX encryption algorithm ${id}`);
  // pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
  const [saltElement, iterationsElement] = budget.fields(expect(params, Tag.Sequence, 'PBE parameters'), 2);
  const salt = octets(expect(saltElement, Tag.OctetString, 'PBE salt'));
  const iterations = budget.derivation(`${what} PBE`, iterationCount(iterationsElement, `${what} PBE`), reading.bmp.length);
  return { scheme: 'pkcs12', cipher: known[0], keyLength: known[1], ivLength: known[2], salt, iterations };
}

/**
 * Decrypts with every password form still possible until one gives a whole DER element (the padding
 * alone lets one wrong key in 256 through, and RC4 has none). None: a wrong password.
 */
function runPbe(pbe: Pbe, data: Buffer, reading: Reading, what: string): Buffer {
  const keys =
    pbe.scheme === 'pbes2'
      ? [{ key: pbkdf2Sync(Buffer.from(reading.password, 'utf8'), pbe.salt, pbe.iterations, pbe.keyLength, pbe.prf), iv: pbe.iv }]
      : reading.bmp.map((bmp) => ({
          key: pkcs12Kdf(SHA1, bmp, pbe.salt, 1, pbe.iterations, pbe.keyLength),
          iv: pbe.ivLength > 0 ? pkcs12Kdf(SHA1, bmp, pbe.salt, 2, pbe.iterations, pbe.ivLength) : Buffer.alloc(0),
        }));
  for (const { key, iv } of keys) {
    const plain = decipher(pbe.cipher, key, iv, data);
    if (plain && isWholeElement(plain)) return plain;
  }
  throw new Pkcs12Error('password', `wrong password (the PFX ${what} could not be decrypted)`);
}

function isWholeElement(plain: Buffer): boolean {
  try {
    return readElement(plain).end === plain.length;
  } catch (error) {
    if (error instanceof Asn1LimitError) throw error;
    return false;
  }
}

/** One decryption; null when the padding is wrong (a wrong key). RC2 and RC4 are ours, the rest node:crypto's. */
function decipher(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer | null {
  try {
    switch (cipher) {
      case 'rc2-cbc':
      case 'rc2-40-cbc':
        // The PKCS#12 RC2 schemes use the whole key as the effective key length (RFC 7292 Appendix C).
        return rc2CbcDecrypt(key, key.length * 8, iv, data);
      case 'rc4':
      case 'rc4-40':
        return rc4(key, data);
      default: {
        const node = createDecipheriv(cipher, key, iv);
        return Buffer.concat([node.update(data), node.final()]);
      }
    }
  } catch {
    return null;
  }
}

/** SafeContents ::= SEQUENCE OF SafeBag; SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes SET OPTIONAL } */
function readBags(safeContents: Element, reading: Reading, depth: number, slot: Slot): void {
  const { budget } = reading;
  budget.bagDepth(depth);
  for (const bag of budget.each(expect(safeContents, Tag.Sequence, 'SafeContents'))) {
    const [idElement, valueElement, attributesElement] = budget.fields(expect(bag, Tag.Sequence, 'SafeBag'), 3);
    const id = oid(expect(idElement, Tag.Oid, 'bag type'));
    const value = budget.fields(expect(valueElement, Tag.Context0, 'bag value'), 1)[0];
    if (!value) throw new Asn1Error('empty bag');
    switch (id) {
      case OID.certBag: {
        // CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }
        const [certId, certValue] = budget.fields(expect(value, Tag.Sequence, 'CertBag'), 2);
        if (oid(expect(certId, Tag.Oid, 'certificate type')) !== OID.x509Certificate) break; // SDSI certificates: not for TLS
        budget.certificate();
        const der = octets(expect(budget.fields(expect(certValue, Tag.Context0, 'certificate value'), 1)[0], Tag.OctetString, 'certificate'));
        slot.certificates.push({ der, ...readAttributes(attributesElement, budget) });
        break;
      }
      case OID.keyBag:
        budget.key();
        slot.keys.push({ key: privateKey(value.raw), ...readAttributes(attributesElement, budget) });
        break;
      case OID.shroudedKeyBag: {
        budget.key();
        // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
        const [algorithm, data] = budget.fields(expect(value, Tag.Sequence, 'EncryptedPrivateKeyInfo'), 2);
        const pbe = parsePbe(expect(algorithm, Tag.Sequence, 'key encryption algorithm'), reading, 'private key');
        slot.keys.push({ pbe, data: octets(expect(data, Tag.OctetString, 'encrypted key')), ...readAttributes(attributesElement, budget) });
        break;
      }
      case OID.safeContentsBag:
        readBags(value, reading, depth + 1, slot);
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

function readAttributes(set: Element | undefined, budget: Pkcs12Budget): Attributes {
  let friendlyName = '';
  let localKeyId: Buffer | null = null;
  if (!set) return { friendlyName, localKeyId };
  for (const attribute of budget.each(expect(set, Tag.Set, 'bag attributes'))) {
    const [type, values] = budget.fields(expect(attribute, Tag.Sequence, 'attribute'), 2);
    const first = values ? budget.fields(values, 1)[0] : undefined;
    if (!type || !first) continue;
    const id = oid(type);
    if (id === OID.friendlyName) friendlyName = text(first);
    else if (id === OID.localKeyId) localKeyId = octets(first);
  }
  return { friendlyName, localKeyId };
}
