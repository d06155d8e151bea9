/**
 * A PKCS#12 (PFX) reader (RFC 7292) built on node:crypto, so that a PFX store can be listed
 * certificate by certificate, which node:tls (it only takes a whole PFX and keeps one key) cannot do.
 * This file walks the structure: the PFX, its AuthenticatedSafe, the safes and their bags, and the
 * password-integrity MAC; the password-based encryption of safes and keys is ./pkcs12-pbe.
 *
 * Supported, as Windows, Java keytool, OpenSSL 1.x and 3 write them: password integrity (HMAC with
 * SHA-1 or SHA-2, or no MAC at all), PBES2 (PBKDF2 with any HMAC PRF + AES or 3DES) and the PKCS#12
 * PBE schemes (SHA-1 with 3DES, 2-key 3DES, RC2-128, RC2-40, RC4-128, RC4-40), and no password.
 * Public-key integrity/privacy modes are refused.
 *
 * The file is read in two passes so that a hostile one costs little (./pkcs12-limits): first every part
 * readable without the password is walked and every iteration count found is checked against the caps,
 * then the MAC is verified and the encrypted parts are decrypted (their own counts checked as they open).
 */
import { createHmac, createPrivateKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Asn1Error, Asn1LimitError, Tag, expect, octets, oid, readElement, smallInteger, text, type Element } from './asn1';
import { DIGESTS, candidatePasswords, iterationCount, parsePbe, pkcs12Kdf, runPbe, type Pbe, type Reading } from './pkcs12-pbe';
import { Pkcs12Budget, Pkcs12Error, Pkcs12LimitError } from './pkcs12-limits';

export { Pkcs12Error } from './pkcs12-limits';

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
});

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
