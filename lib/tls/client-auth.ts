/**
 * SSLClientAuthentication: what the event shows about a client certificate, and its recommendation.
 * OpenSSL verifies the chain against the configured CAs; this module words its verdict the way the
 * reference asks ("OK", or why verification failed) and applies the SSLSecurityFlags bits that concern
 * client certificates, then the revocation check's answer (SSLCheckCRL). The application's answer in
 * the event has the last word.
 */
import { certificateNames, derToPem } from './certificate';
import type { Revocation } from './revocation';

/** SSLSecurityFlags bits (the reference's table) and the OpenSSL verdicts each one forgives. */
const FORGIVEN_BY: ReadonlyArray<readonly [number, readonly string[]]> = [
  // 0x00000001 Ignore time validity status of certificate.
  [0x00000001, ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']],
  // 0x00000004 Ignore non-nested certificate times (an issuer that expires before its subject).
  [0x00000004, ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']],
  // 0x00000010 Allow unknown Certificate Authority.
  [
    0x00000010,
    ['UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_UNTRUSTED'],
  ],
  // 0x00000020 Ignore wrong certificate usage.
  [0x00000020, ['INVALID_PURPOSE']],
  // 0x00000100 / 0x00000400 / 0x00000800 Ignore unknown revocation status (of the certificate, CA, root).
  [0x00000100, ['UNABLE_TO_GET_CRL']],
  [0x00000400, ['UNABLE_TO_GET_CRL']],
  [0x00000800, ['UNABLE_TO_GET_CRL']],
];

/** OpenSSL's words for its verification results (X509_verify_cert_error_string). */
const VERIFY_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_CRL: 'unable to get certificate CRL',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "unable to decrypt certificate's signature",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'unable to decode issuer public key',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_HAS_EXPIRED: 'certificate has expired',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: "format error in certificate's notBefore field",
  ERROR_IN_CERT_NOT_AFTER_FIELD: "format error in certificate's notAfter field",
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  CERT_REVOKED: 'certificate revoked',
  INVALID_CA: 'invalid CA certificate',
  PATH_LENGTH_EXCEEDED: 'path length constraint exceeded',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
});

/** The event's status and accept for a verification result. */
export interface ClientVerdict {
  /** "OK" when accepted, else why not. */
  readonly status: string;
  /** The recommendation: verified, or failed only in ways SSLSecurityFlags forgives. */
  readonly accept: boolean;
}

/**
 * `error` is node:tls's authorizationError (an OpenSSL verify code such as 'CERT_HAS_EXPIRED'), null when
 * the chain verified; `presented` is false when the client sent no certificate at all. `untrusted` is
 * why nothing can be trusted (no CA is configured), null when CAs are: every certificate is then
 * refused whatever OpenSSL and SSLSecurityFlags say, and only the application's accept admits it.
 */
export function judgeClientCertificate(presented: boolean, error: string | null, securityFlags: number, untrusted: string | null = null): ClientVerdict {
  if (!presented) return { status: 'No client certificate was presented.', accept: false };
  if (untrusted !== null) return { status: `${VERIFY_MESSAGES.CERT_UNTRUSTED}: ${untrusted} (CERT_UNTRUSTED)`, accept: false };
  if (!error) return { status: 'OK', accept: true };
  if (forgiven(error, securityFlags)) return { status: 'OK', accept: true };
  return { status: describe(error), accept: false };
}

function forgiven(error: string, securityFlags: number): boolean {
  return FORGIVEN_BY.some(([flag, codes]) => (securityFlags & flag) !== 0 && codes.includes(error));
}

function describe(error: string): string {
  return `${VERIFY_MESSAGES[error] ?? error.toLowerCase().replace(/_/g, ' ')} (${error})`;
}

/** SSLCheckCRL: 0 off, 1 check when a CRL can be had, 2 require one. */
export type CrlMode = 0 | 1 | 2;

/** The verdict after the revocation check, and a line for SSLStatus. */
export interface RevocationVerdict extends ClientVerdict {
  readonly note: string;
}

/**
 * Folds the revocation answer into the verdict: revoked refuses (no flag forgives it); unknown refuses
 * in mode 2 unless SSLSecurityFlags forgives an unknown revocation status (0x100, 0x400, 0x800), and
 * leaves the verdict as it was in mode 1.
 */
export function applyRevocation(verdict: ClientVerdict, revocation: Revocation, mode: CrlMode, securityFlags: number): RevocationVerdict {
  if (revocation.state === 'good') return { ...verdict, note: `Not revoked according to ${revocation.source}.` };
  if (revocation.state === 'revoked') {
    const { serial, entry, source } = revocation;
    const reason = entry.reason ? `, reason ${entry.reason}` : '';
    return {
      status: `${describe('CERT_REVOKED')}: serial ${serial} revoked on ${entry.date.toISOString()}${reason}, according to ${source}`,
      accept: false,
      note: `Revoked according to ${source}.`,
    };
  }
  const note = `Revocation status unknown: ${revocation.reason}.`;
  if (mode === 1 || forgiven('UNABLE_TO_GET_CRL', securityFlags)) return { ...verdict, note };
  return { status: `${describe('UNABLE_TO_GET_CRL')}: ${revocation.reason}`, accept: false, note };
}

/** The certificate fields of the event. */
export interface ClientCertificateFields {
  readonly certEncoded: string;
  readonly certEncodedB: Buffer;
  readonly certSubject: string;
  readonly certIssuer: string;
}

/**
 * From the DER certificates the client sent (leaf first): the leaf as base64 DER, or with
 * SSLIncludeCertChain the whole chain as PEM blocks. certEncodedB carries the same bytes as the
 * certEncoded string (the contract's rule for every `…B` twin); decode it to get the DER.
 */
export function clientCertificateFields(chain: readonly Buffer[], includeChain: boolean): ClientCertificateFields {
  const leaf = chain[0];
  if (!leaf) return { certEncoded: '', certEncodedB: Buffer.alloc(0), certSubject: '', certIssuer: '' };
  let subject = '';
  let issuer = '';
  try {
    ({ subject, issuer } = certificateNames(leaf));
  } catch {
    // OpenSSL accepted it, so this is unlikely; the encoding still goes to the application.
  }
  if (includeChain && chain.length > 1) {
    const pem = chain.map((der) => derToPem(der)).join('');
    return { certEncoded: pem, certEncodedB: Buffer.from(pem, 'latin1'), certSubject: subject, certIssuer: issuer };
  }
  const base64 = leaf.toString('base64');
  return { certEncoded: base64, certEncodedB: Buffer.from(base64, 'latin1'), certSubject: subject, certIssuer: issuer };
}
