/**
 * PKCS#12's password-based encryption (RFC 7292 Appendix B and C, RFC 8018): the KDF node:crypto does
 * not expose, the PBES2 and pkcs-12PbeIds parameters as a PFX names them (each derivation booked
 * against the caps of ./pkcs12-limits before any work), and the deciphering, with the RC2 and RC4 bag
 * ciphers that OpenSSL 3 keeps out of its default provider (./rc2, ./rc4). ./pkcs12 walks the file.
 */
import { createDecipheriv, createHash, hash as oneShotHash, pbkdf2Sync } from 'node:crypto';
import { Asn1Error, Asn1LimitError, Tag, expect, octets, oid, readElement, smallInteger, type Element } from './asn1';
import { Pkcs12Error, type Pkcs12Budget } from './pkcs12-limits';
import { rc2CbcDecrypt } from './rc2';
import { rc4 } from './rc4';

const OID = Object.freeze({
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
});

/** Digests by OID: [node:crypto name, output bytes (u), block bytes (v)]. */
export const DIGESTS: Readonly<Record<string, readonly [string, number, number]>> = Object.freeze({
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
export type Pbe =
  | { readonly scheme: 'pkcs12'; readonly cipher: string; readonly keyLength: number; readonly ivLength: number; readonly salt: Buffer; readonly iterations: number }
  | { readonly scheme: 'pbes2'; readonly cipher: string; readonly keyLength: number; readonly iv: Buffer; readonly salt: Buffer; readonly iterations: number; readonly prf: string };

/** How one read goes: its caps, the password in its two forms, and how many of the PKCS#12 forms to try. */
export interface Reading {
  readonly budget: Pkcs12Budget;
  readonly password: string;
  /** The BMPString forms still possible (one once the MAC has told which). */
  bmp: Buffer[];
}

/**
 * The password as PKCS#12 wants it for its own KDF (RFC 7292 Appendix B.1): BMPString, big-endian,
 * with a two-byte terminator. An empty password may also have been used as no password at all (zero
 * bytes), so both are tried (as OpenSSL and Java do).
 */
export function candidatePasswords(password: string): Buffer[] {
  const bmp = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
  return password === '' ? [bmp, Buffer.alloc(0)] : [bmp];
}

/**
 * An iteration count (a positive INTEGER). Read whole, however long, so that a count over a cap is
 * reported as such rather than as a malformed integer.
 */
export function iterationCount(element: Element | undefined, what: string): bigint {
  const bytes = expect(element, Tag.Integer, `${what} iteration count`).content;
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) throw new Asn1Error(`the ${what} iteration count is negative`);
  const value = BigInt(`0x${bytes.toString('hex')}`);
  if (value === 0n) throw new Asn1Error(`the ${what} iteration count is zero`);
  return value;
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

/** Reads a PBES2 or PKCS#12 PBE AlgorithmIdentifier and books its derivation. */
export function parsePbe(algorithm: Element, reading: Reading, what: string): Pbe {
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
export function runPbe(pbe: Pbe, data: Buffer, reading: Reading, what: string): Buffer {
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
