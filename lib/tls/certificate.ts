/**
 * Certificates as the component shows them: subjects and issuers written the reference's way
 * ("CN=www.server.com, OU=test, C=US, E=support@nsoftware.com"), encodings converted between DER,
 * base64 and PEM, and PEM text taken apart into its blocks.
 */
import { X509Certificate } from 'node:crypto';
import { Asn1Error, Tag, children, expect, oid, readElement, text, type Element } from './asn1';

/** Short names for the attribute types of a distinguished name; others are shown as their OID. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'S',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'G',
  '2.5.4.43': 'I',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
});

/** A certificate's names in the reference's form. */
export interface CertificateNames {
  readonly subject: string;
  readonly issuer: string;
}

/**
 * Reads subject and issuer from a DER certificate. RFC 5280 §4.1: TBSCertificate is
 * version [0] (optional), serialNumber, signature, issuer, validity, subject, …
 */
export function certificateNames(der: Buffer): CertificateNames {
  const certificate = expect(readElement(der), Tag.Sequence, 'certificate');
  const tbs = expect(children(certificate)[0], Tag.Sequence, 'tbsCertificate');
  const fields = children(tbs);
  const skip = fields[0]?.tag === Tag.Context0 ? 1 : 0;
  return {
    issuer: formatName(expect(fields[skip + 2], Tag.Sequence, 'issuer')),
    subject: formatName(expect(fields[skip + 4], Tag.Sequence, 'subject')),
  };
}

/**
 * A distinguished name as comma-separated FIELD=value pairs, the most specific part first (the order
 * Windows and the reference's examples use: CN before O before C). Values with a comma or another
 * separator are quoted, as the reference asks.
 */
export function formatName(name: Element): string {
  const parts: string[] = [];
  const rdns = children(name);
  for (let i = rdns.length - 1; i >= 0; i--) {
    const set = expect(rdns[i], Tag.Set, 'relative distinguished name');
    const values: string[] = [];
    for (const pair of children(set)) {
      const [type, value] = children(expect(pair, Tag.Sequence, 'attribute'));
      if (!type || !value) throw new Asn1Error('attribute without a type or a value');
      const id = oid(type);
      values.push(`${ATTRIBUTE_NAMES[id] ?? id}=${quoteValue(text(value))}`);
    }
    parts.push(values.join(' + '));
  }
  return parts.join(', ');
}

function quoteValue(value: string): string {
  if (!/[,+="\n<>#;]/.test(value) && value.trim() === value) return value;
  return `"${value.replace(/"/g, '""')}"`;
}

/** Normalises a subject for comparison: case and the spaces around separators do not count. */
export function normalizeSubject(subject: string): string {
  return subject.trim().replace(/\s*([,=+])\s*/g, '$1').toLowerCase();
}

// ─── Encodings ─────────────────────────────────────────────────────────────────────────────────

/** One block of PEM text: its label ("CERTIFICATE", "PRIVATE KEY" …), headers and DER bytes. */
export interface PemBlock {
  readonly label: string;
  /** The block exactly as written, armour included (what node:crypto wants for legacy encrypted keys). */
  readonly text: string;
  readonly der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `input`, in order; text around the blocks is ignored (RFC 7468 §2). */
export function pemBlocks(input: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of input.matchAll(PEM_BLOCK)) {
    const body = match[2]!;
    // RFC 1421 encapsulated headers (Proc-Type, DEK-Info) end at the first empty line.
    const headerEnd = body.search(/\r?\n\r?\n/);
    const base64 = headerEnd >= 0 && /:/.test(body.slice(0, headerEnd)) ? body.slice(headerEnd) : body;
    blocks.push({ label: match[1]!, text: match[0], der: Buffer.from(base64.replace(/\s+/g, ''), 'base64') });
  }
  return blocks;
}

/** True when `text` is nothing but base64 (whitespace allowed), i.e. a base64-encoded binary blob. */
export function isBase64Text(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  return compact.length >= 4 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact);
}

/** A DER certificate as PEM text. */
export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The DER bytes of the certificate(s) in `input`: PEM text (every CERTIFICATE block), base64 text or
 * DER bytes. Throws Asn1Error when nothing there is a certificate.
 */
export function certificatesFrom(input: Buffer): Buffer[] {
  const asText = input.toString('latin1');
  if (asText.includes('-----BEGIN')) {
    const ders = pemBlocks(asText)
      .filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE')
      .map((b) => b.der);
    if (ders.length === 0) throw new Asn1Error('the PEM text holds no CERTIFICATE block');
    return ders;
  }
  const der = isBase64Text(asText) ? Buffer.from(asText.replace(/\s+/g, ''), 'base64') : input;
  parseCertificate(der);
  return [der];
}

/** Parses a DER certificate, with Asn1Error (not node:crypto's error) when it is not one. */
export function parseCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new Asn1Error(`not a certificate (${(error as Error).message})`);
  }
}
