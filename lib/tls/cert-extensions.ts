/**
 * What revocation checking needs from a certificate that node:crypto's X509Certificate does not show:
 * its issuer Name as DER (CRLs are matched to it byte for byte), its CRL distribution points
 * (RFC 5280 §4.2.1.13) and its key usage bits (§4.2.1.3: a CRL issuer needs cRLSign).
 */
import { cursor, derOid, DerError, DerTag, readTlv, type Tlv } from './der';

export interface RevocationFields {
  /** The issuer Name, as DER. */
  readonly issuer: Buffer;
  /**
   * The http: URIs of the distribution points that promise a complete CRL from the issuer itself
   * (points limited to some reasons, or whose CRL another authority issues, are left out).
   */
  readonly distributionPoints: readonly string[];
  /** The keyUsage bits (bit 0 = digitalSignature … bit 6 = cRLSign, as numbered in §4.2.1.3), null when absent. */
  readonly keyUsage: ReadonlySet<number> | null;
}

/** keyUsage bit that allows signing CRLs. */
export const CRL_SIGN = 6;

const CRL_DISTRIBUTION_POINTS = '2.5.29.31';
const KEY_USAGE = '2.5.29.15';

/** Reads the fields from a DER certificate; throws DerError when it is not one. */
export function revocationFields(der: Buffer): RevocationFields {
  const tbs = cursor(cursor(readTlv(der)).next(DerTag.Sequence, 'tbsCertificate'));
  tbs.optional(0xa0); // version
  tbs.next(DerTag.Integer, 'serialNumber');
  tbs.next(DerTag.Sequence, 'signature');
  const issuer = tbs.next(DerTag.Sequence, 'issuer').raw;
  tbs.next(DerTag.Sequence, 'validity');
  tbs.next(DerTag.Sequence, 'subject');
  tbs.next(DerTag.Sequence, 'subjectPublicKeyInfo');
  tbs.optional(0x81);
  tbs.optional(0x82);
  const wrapper = tbs.optional(0xa3);
  let distributionPoints: string[] = [];
  let keyUsage: Set<number> | null = null;
  if (wrapper) {
    const extensions = cursor(cursor(wrapper).next(DerTag.Sequence, 'extensions'));
    while (!extensions.done) {
      const fields = cursor(extensions.next(DerTag.Sequence, 'extension'));
      const id = derOid(fields.next(DerTag.Oid, 'extnID'));
      fields.optional(DerTag.Boolean);
      const value = fields.next(DerTag.OctetString, 'extnValue').content;
      if (id === CRL_DISTRIBUTION_POINTS) distributionPoints = httpDistributionPoints(readTlv(value));
      else if (id === KEY_USAGE) keyUsage = keyUsageBits(readTlv(value));
    }
  }
  return { issuer, distributionPoints, keyUsage };
}

function httpDistributionPoints(sequence: Tlv): string[] {
  if (sequence.tag !== DerTag.Sequence) throw new DerError('bad CRL distribution points');
  const out: string[] = [];
  const points = cursor(sequence);
  while (!points.done) {
    const fields = cursor(points.next(DerTag.Sequence, 'distribution point'));
    const name = fields.optional(0xa0);
    // [1] reasons, [2] cRLIssuer: a partial or indirect CRL, which cannot clear a certificate alone.
    if (!fields.done || !name) continue;
    const fullName = cursor(name).optional(0xa0);
    if (!fullName) continue;
    for (const uri of generalNameUris(fullName)) if (/^http:\/\//i.test(uri) && !out.includes(uri)) out.push(uri);
  }
  return out;
}

/** The uniformResourceIdentifier ([6] IA5String) entries of a GeneralNames. */
export function generalNameUris(names: Tlv): string[] {
  const out: string[] = [];
  const items = cursor(names);
  while (!items.done) {
    const name = items.next();
    if (name.tag === 0x86) out.push(name.content.toString('latin1'));
  }
  return out;
}

function keyUsageBits(bits: Tlv): Set<number> {
  if (bits.tag !== DerTag.BitString || bits.content.length === 0) throw new DerError('bad key usage');
  const out = new Set<number>();
  for (let i = 1; i < bits.content.length; i++) {
    for (let bit = 0; bit < 8; bit++) if (bits.content[i]! & (0x80 >> bit)) out.add((i - 1) * 8 + bit);
  }
  return out;
}
