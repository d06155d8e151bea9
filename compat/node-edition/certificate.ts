/**
 * The Certificate object of the vendor's Node edition, which stands for the reference's SSLCert*
 * properties (SSLCertStoreType, SSLCertStore, SSLCertStorePassword, SSLCertSubject, SSLCertEncoded)
 * as one value: `setSSLCert(new Certificate(CertStoreTypes.cstPFXFile, file, password, '*'))`.
 * It only carries those values; the store is searched when the certificate is given to setSSLCert,
 * as setting SSLCertSubject does. The generated Certificate class (generated.ts) adds getX/setX.
 */
import { CertStoreType, PropertyId } from '../../lib/generated/api';

/** The values a Certificate carries, named as the SSLCert* properties without their prefix. */
export interface CertificateFields {
  storeType: number;
  store: string | Uint8Array;
  storePassword: string;
  subject: string;
  encoded: string | Uint8Array;
}

export class CertificateBase {
  /** @internal */
  protected readonly fields: CertificateFields;

  /** No certificate: setSSLCert(new Certificate()) clears the selection. */
  constructor();
  /** A certificate by its encoding (PEM, base64 or DER); its private key is looked for in the store set before. */
  constructor(encoded: string | Uint8Array);
  /** The certificate whose subject matches `subject` ('*' = the first with a private key) in the given store. */
  constructor(storeType: number, store: string | Uint8Array, storePassword: string, subject: string);
  constructor(...args: unknown[]) {
    this.fields = { storeType: CertStoreType.cstUser, store: 'MY', storePassword: '', subject: '', encoded: '' };
    if (args.length === 1) {
      this.fields.encoded = args[0] as string | Uint8Array;
    } else if (args.length >= 2) {
      const [storeType, store, storePassword = '', subject = ''] = args;
      this.fields.storeType = Number(storeType);
      this.fields.store = store as string | Uint8Array;
      this.fields.storePassword = String(storePassword);
      this.fields.subject = String(subject);
    }
  }

  /** @internal The fields, for setSSLCert. */
  static fieldsOf(certificate: CertificateBase): Readonly<CertificateFields> {
    return certificate.fields;
  }
}

/**
 * setSSLCert: the SSLCert* properties in the order the reference asks for (store first, subject
 * last, since setting the subject searches the store); a certificate given by its encoding selects
 * by that instead of by subject.
 */
export function selectCertificate(assign: (id: number, value: unknown) => void, certificate: CertificateBase): void {
  const fields = CertificateBase.fieldsOf(certificate);
  assign(PropertyId.SSLCertStoreType, fields.storeType);
  assign(PropertyId.SSLCertStore, fields.store);
  assign(PropertyId.SSLCertStorePassword, fields.storePassword);
  if (fields.subject === '' && fields.encoded.length > 0) assign(PropertyId.SSLCertEncoded, fields.encoded);
  else assign(PropertyId.SSLCertSubject, fields.subject);
}

/** Binary values read back one char per byte, as the properties return them. */
export function byteString(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}
