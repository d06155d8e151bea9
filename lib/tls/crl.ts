/**
 * Certificate revocation lists (RFC 5280 §5): reading one, checking it was signed by the certificate's
 * issuer and is current, and looking a serial number up in it. node:crypto has no CRL type, so the DER
 * is walked here (der.ts) and the signature checked with crypto.verify over the issuer's public key.
 *
 * Only complete CRLs for the issuer's own certificates are used. Delta CRLs, indirect CRLs (entries for
 * other issuers), CRLs limited to some revocation reasons and CRLs of CA or attribute certificates
 * only would each leave a revoked certificate looking good, so they are reported as unusable instead.
 */
import { constants, verify, type X509Certificate } from 'node:crypto';
import { cursor, derBoolean, derIntegerHex, derOid, derTime, DerError, DerTag, readTlv, type Tlv } from './der';
import { generalNameUris } from './cert-extensions';

/** A CRL that cannot be read, or cannot serve the purpose. */
export class CrlError extends Error {
  override readonly name = 'CrlError';
}

/** One revoked certificate. */
export interface RevokedEntry {
  readonly date: Date;
  /** RFC 5280 §5.3.1 reason name ('keyCompromise' …), null when the entry gives none. */
  readonly reason: string | null;
}

export interface Crl {
  /** The issuer's Name, as DER (compared byte for byte with the certificate's issuer). */
  readonly issuer: Buffer;
  readonly thisUpdate: Date;
  /** null when the CRL names no next update (RFC 5280 requires one; older CAs omit it). */
  readonly nextUpdate: Date | null;
  /** Revoked serial numbers (upper-case hex, no leading zeros). */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  /** The URIs of its issuing distribution point, when it names one (a CRL for part of the CA's certificates). */
  readonly scope: readonly string[] | null;
  /** Why it cannot be relied on for a complete answer (delta, indirect …), null when it can. */
  readonly unusable: string | null;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: Buffer;
  readonly signature: Buffer;
}

/** RFC 5280 §5.3.1 CRLReason. */
const REASONS: Readonly<Record<number, string>> = Object.freeze({
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
});

const OID = Object.freeze({
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  authorityKeyIdentifier: '2.5.29.35',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
} as const);

/** Extensions whose meaning is known here, so that being marked critical does not make a CRL unusable. */
const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([OID.crlNumber, OID.issuingDistributionPoint, OID.authorityKeyIdentifier, OID.freshestCrl, OID.authorityInfoAccess]);

/** Reads a DER CRL; throws CrlError when it is not one. */
export function parseCrl(der: Buffer): Crl {
  try {
    return readCrl(der);
  } catch (error) {
    if (error instanceof DerError) throw new CrlError(`not a CRL (${error.message})`);
    throw error;
  }
}

function readCrl(der: Buffer): Crl {
  const outer = readTlv(der);
  if (outer.tag !== DerTag.Sequence || outer.raw.length !== der.length) throw new CrlError('not a CRL (trailing or missing bytes)');
  const parts = cursor(outer);
  const tbsElement = parts.next(DerTag.Sequence, 'tbsCertList');
  const signatureAlgorithm = parts.next(DerTag.Sequence, 'signatureAlgorithm');
  const signatureBits = parts.next(DerTag.BitString, 'signatureValue');
  if (signatureBits.content[0] !== 0) throw new CrlError('not a CRL (signature has unused bits)');

  const tbs = cursor(tbsElement);
  const version = tbs.optional(DerTag.Integer);
  if (version && derIntegerHex(version) !== '1') throw new CrlError(`unsupported CRL version ${derIntegerHex(version)}`);
  const innerAlgorithm = tbs.next(DerTag.Sequence, 'signature');
  // RFC 5280 §5.1.1.2: the two algorithm fields must agree.
  if (!innerAlgorithm.raw.equals(signatureAlgorithm.raw)) throw new CrlError('the signature algorithm fields disagree');
  const issuer = tbs.next(DerTag.Sequence, 'issuer').raw;
  const thisUpdate = derTime(tbs.next(undefined, 'thisUpdate'));
  const maybeNext = tbs.peek();
  const nextUpdate = maybeNext && (maybeNext.tag === DerTag.UtcTime || maybeNext.tag === DerTag.GeneralizedTime) ? derTime(tbs.next()) : null;

  let unusable: string | null = null;
  const revoked = new Map<string, RevokedEntry>();
  const list = tbs.optional(DerTag.Sequence);
  if (list) {
    const entries = cursor(list);
    while (!entries.done) {
      const entry = cursor(entries.next(DerTag.Sequence, 'revoked certificate'));
      const serial = derIntegerHex(entry.next(DerTag.Integer, 'userCertificate'));
      const date = derTime(entry.next(undefined, 'revocationDate'));
      let reason: string | null = null;
      const extensions = entry.optional(DerTag.Sequence);
      if (extensions) {
        for (const { id, critical, value } of readExtensions(extensions)) {
          if (id === OID.reasonCode) {
            const code = readTlv(value);
            if (code.tag !== DerTag.Enumerated || code.content.length !== 1) throw new CrlError('bad reason code');
            reason = REASONS[code.content[0]!] ?? `reason ${code.content[0]}`;
          } else if (id === OID.certificateIssuer) unusable ??= 'it is an indirect CRL (entries of other issuers)';
          else if (critical && id !== OID.invalidityDate) unusable ??= `an entry has the unknown critical extension ${id}`;
        }
      }
      revoked.set(serial, { date, reason });
    }
  }

  let scope: string[] | null = null;
  const extensionsWrapper = tbs.optional(0xa0);
  if (extensionsWrapper) {
    for (const { id, critical, value } of readExtensions(cursor(extensionsWrapper).next(DerTag.Sequence, 'crlExtensions'))) {
      if (id === OID.deltaCrlIndicator) unusable ??= 'it is a delta CRL';
      else if (id === OID.issuingDistributionPoint) {
        const idp = readIssuingDistributionPoint(value);
        unusable ??= idp.unusable;
        scope = idp.uris;
      } else if (critical && !KNOWN_CRL_EXTENSIONS.has(id)) unusable ??= `it has the unknown critical extension ${id}`;
    }
  }
  if (!tbs.done) throw new CrlError('not a CRL (unexpected fields)');
  return { issuer, thisUpdate, nextUpdate, revoked, scope, unusable, tbs: tbsElement.raw, signatureAlgorithm: signatureAlgorithm.raw, signature: signatureBits.content.subarray(1) };
}

interface Extension {
  readonly id: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

function readExtensions(sequence: Tlv): Extension[] {
  const out: Extension[] = [];
  const items = cursor(sequence);
  while (!items.done) {
    const fields = cursor(items.next(DerTag.Sequence, 'extension'));
    const id = derOid(fields.next(DerTag.Oid, 'extnID'));
    const flag = fields.optional(DerTag.Boolean);
    const value = fields.next(DerTag.OctetString, 'extnValue').content;
    out.push({ id, critical: flag ? derBoolean(flag) : false, value });
  }
  return out;
}

/** RFC 5280 §5.2.5: what part of the issuer's certificates the CRL covers. */
function readIssuingDistributionPoint(value: Buffer): { uris: string[] | null; unusable: string | null } {
  const fields = cursor(readTlv(value));
  let uris: string[] | null = null;
  let unusable: string | null = null;
  const point = fields.optional(0xa0);
  if (point) {
    const fullName = cursor(point).optional(0xa0);
    // A name relative to the issuer ([1]) cannot be matched against a URI: nothing is taken as covered.
    uris = fullName ? generalNameUris(fullName) : [];
  }
  while (!fields.done) {
    const field = fields.next();
    const on = field.content.length === 1 && field.content[0] !== 0;
    // [1] onlyContainsUserCerts suits client certificates; the others leave some revocations out.
    if (field.tag === 0x82 && on) unusable ??= 'it lists CA certificates only';
    else if (field.tag === 0x83) unusable ??= 'it covers some revocation reasons only';
    else if (field.tag === 0x84 && on) unusable ??= 'it is an indirect CRL (entries of other issuers)';
    else if (field.tag === 0x85 && on) unusable ??= 'it lists attribute certificates only';
  }
  return { uris, unusable };
}

/** The DER CRLs in a file or setting: PEM "X509 CRL" blocks, else the bytes as one DER CRL. */
export function crlsFrom(input: Buffer): Buffer[] {
  const text = input.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)];
  if (blocks.length > 0) return blocks.map((m) => Buffer.from(m[1]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
  return [input];
}

/** Hash names for the signature algorithms CAs sign CRLs with; null: the key type fixes the hash (EdDSA). */
const SIGNATURE_HASH: Readonly<Record<string, string | null>> = Object.freeze({
  '1.2.840.113549.1.1.5': 'sha1', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
  '1.3.101.113': null, // Ed448
});

const HASH_OIDS: Readonly<Record<string, string>> = Object.freeze({
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
});

/** Whether `issuer`'s key signed the CRL; throws CrlError for an algorithm this code does not know. */
export function crlSignedBy(crl: Crl, issuer: X509Certificate): boolean {
  const algorithm = cursor(readTlv(crl.signatureAlgorithm));
  const id = derOid(algorithm.next(DerTag.Oid, 'algorithm'));
  if (id === OID.rsaPss) {
    const { hash, saltLength } = pssParameters(algorithm.peek());
    return verify(hash, crl.tbs, { key: issuer.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, crl.signature);
  }
  if (!(id in SIGNATURE_HASH)) throw new CrlError(`unsupported signature algorithm ${id}`);
  try {
    return verify(SIGNATURE_HASH[id] ?? null, crl.tbs, issuer.publicKey, crl.signature);
  } catch {
    // A key of another type than the algorithm (an RSA issuer for an ECDSA signature) did not sign it.
    return false;
  }
}

/** RFC 4055 §3.1 RSASSA-PSS-params (defaults SHA-1, MGF1 with SHA-1, salt 20); MGF1 must use the same hash. */
function pssParameters(parameters: Tlv | undefined): { hash: string; saltLength: number } {
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let saltLength = 20;
  if (parameters && parameters.tag === DerTag.Sequence) {
    const fields = cursor(parameters);
    while (!fields.done) {
      const field = fields.next();
      const inner = cursor(field);
      if (field.tag === 0xa0) hash = hashName(inner.next(DerTag.Sequence));
      else if (field.tag === 0xa1) {
        const mgf = cursor(inner.next(DerTag.Sequence));
        if (derOid(mgf.next(DerTag.Oid)) !== OID.mgf1) throw new CrlError('unsupported PSS mask generation function');
        mgfHash = hashName(mgf.next(DerTag.Sequence));
      } else if (field.tag === 0xa2) saltLength = Number.parseInt(derIntegerHex(inner.next(DerTag.Integer)), 16);
    }
  }
  if (mgfHash !== hash) throw new CrlError('unsupported PSS parameters (MGF1 hash differs)');
  return { hash, saltLength };
}

function hashName(algorithm: Tlv): string {
  const id = derOid(cursor(algorithm).next(DerTag.Oid));
  const name = HASH_OIDS[id];
  if (!name) throw new CrlError(`unsupported hash ${id}`);
  return name;
}

/** Why the CRL is not current at `now` (RFC 5280 §6.3.3 (a)), null when it is. */
export function crlTimeProblem(crl: Crl, now: Date): string | null {
  if (crl.thisUpdate.getTime() > now.getTime()) return `it is not valid before ${crl.thisUpdate.toISOString()}`;
  if (crl.nextUpdate && crl.nextUpdate.getTime() <= now.getTime()) return `it expired at ${crl.nextUpdate.toISOString()}`;
  return null;
}
