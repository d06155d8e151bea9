/**
 * The server certificate as the reference's SSLCert* properties select it. Setting SSLCertSubject
 * searches the store at once (the property then reads back the full subject, or '' when nothing
 * matched); setting SSLCertEncoded looks for that certificate's private key in the store. The request
 * is remembered either way, so that StartListening can fail with the reason instead of quietly
 * serving plain ws (../shared/API-CONTRACT.md, "Plain and TLS").
 */
import { readFileSync } from 'node:fs';
import { CertStoreType, ErrorCode, errorMessage } from '../generated/api';
import { WSServerError } from '../server/errors';
import { certificatesFrom, pemBlocks } from './certificate';
import {
  credentialsFor,
  findByCertificate,
  findBySubject,
  openCertificateStore,
  type CertificateStore,
  type Credentials,
  type FileReader,
  type StoreCertificate,
  type StoreSource,
} from './cert-store';

/** A server certificate ready for TLS. */
export interface SelectedCertificate {
  readonly certificate: StoreCertificate;
  readonly credentials: Credentials;
}

type Request = { readonly kind: 'subject'; readonly text: string } | { readonly kind: 'encoded'; readonly value: Buffer };

export class CertificateSelection {
  storeType: number = CertStoreType.cstUser;
  private storeValue: string | Uint8Array = 'MY';
  password = '';

  private request: Request | null = null;
  private subjectValue = '';
  /** The DER of the certificate SSLCertEncoded shows (the one chosen, or the one given). */
  private encodedDer: Buffer | null = null;
  private encodedRaw = '';

  constructor(private readonly readFile: FileReader = readFileSync) {}

  /** SSLCertStore: a file name, or the store's content (bytes, or a string of one char per byte). */
  get store(): string {
    const value = this.storeValue;
    return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  }

  set store(value: string | Uint8Array) {
    this.storeValue = value;
  }

  /** True once a certificate was asked for (even if the search failed): the server is then a TLS server. */
  get requested(): boolean {
    return this.request !== null;
  }

  /** SSLCertSubject: the full subject of the selected certificate, or ''. */
  get subject(): string {
    return this.subjectValue;
  }

  /**
   * Sets SSLCertSubject and searches the store. A store that cannot be opened throws (271); a subject
   * that matches nothing leaves the property empty, and StartListening then fails with 272.
   */
  set subject(value: string) {
    const text = String(value ?? '');
    this.encodedDer = null;
    this.encodedRaw = '';
    if (text.trim() === '') {
      this.request = null;
      this.subjectValue = '';
      return;
    }
    this.request = { kind: 'subject', text };
    this.subjectValue = '';
    const found = findBySubject(this.openStore(), text);
    if (found) {
      this.subjectValue = found.subject;
      this.encodedDer = found.der;
    }
  }

  /** SSLCertEncoded: the selected certificate as base64 (DER), or what was set when it could not be read. */
  get encoded(): string {
    return this.encodedDer ? this.encodedDer.toString('base64') : this.encodedRaw;
  }

  /**
   * Sets SSLCertEncoded (PEM, base64 or DER) and looks for its private key in the current store;
   * SSLCertSubject shows the certificate's subject when the key is found and '' otherwise. PEM text that
   * carries the private key too is a store of its own. Never throws: StartListening reports problems.
   */
  set encoded(value: string | Uint8Array) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.subjectValue = '';
    this.encodedDer = null;
    this.encodedRaw = typeof value === 'string' ? value : bytes.toString('base64');
    if (bytes.length === 0) {
      this.request = this.request?.kind === 'encoded' ? null : this.request;
      return;
    }
    this.request = { kind: 'encoded', value: bytes };
    try {
      const chosen = this.resolveEncoded(bytes);
      this.encodedDer = chosen.der;
      if (chosen.key) this.subjectValue = chosen.subject;
    } catch {
      // Kept as set; StartListening names the problem.
    }
  }

  /**
   * For StartListening: the certificate to serve, searched again in the store as it is now. Throws the
   * reference's error when the requested certificate cannot be used; null when none was requested.
   */
  resolve(): SelectedCertificate | null {
    const request = this.request;
    if (!request) return null;
    if (request.kind === 'subject') {
      const store = this.openStore();
      const found = findBySubject(store, request.text);
      if (!found) {
        throw new WSServerError(
          ErrorCode.CannotFindCertificate,
          `${errorMessage(ErrorCode.CannotFindCertificate)} No certificate in SSLCertStore matches the subject "${request.text}".`,
        );
      }
      return { certificate: found, credentials: credentialsFor(store, found) };
    }
    const [store, chosen] = this.resolveEncodedWithStore(request.value);
    return { certificate: chosen, credentials: credentialsFor(store, chosen) };
  }

  /** The store this selection reads, opened now (271 when it cannot be). */
  openStore(): CertificateStore {
    return openCertificateStore(this.source(), this.readFile);
  }

  source(): StoreSource {
    return { type: this.storeType, store: this.storeValue, password: this.password };
  }

  private resolveEncoded(bytes: Buffer): StoreCertificate {
    return this.resolveEncodedWithStore(bytes)[1];
  }

  private resolveEncodedWithStore(bytes: Buffer): [CertificateStore | null, StoreCertificate] {
    const text = bytes.toString('latin1');
    if (text.includes('-----BEGIN') && pemBlocks(text).some((b) => b.label.endsWith('PRIVATE KEY'))) {
      // Certificate and key in one PEM text: that text is the store.
      const own = openCertificateStore({ type: CertStoreType.cstPEMKeyBlob, store: bytes, password: this.password }, this.readFile);
      const first = own.certificates.find((c) => c.key) ?? own.certificates[0];
      if (!first) throw notACertificate('the PEM text holds a key but no certificate');
      return [own, first];
    }
    let der: Buffer;
    try {
      der = certificatesFrom(bytes)[0]!;
    } catch (error) {
      throw notACertificate((error as Error).message);
    }
    const store = this.openStore();
    return [store, findByCertificate(store, der)];
  }
}

function notACertificate(detail: string): WSServerError {
  return new WSServerError(
    ErrorCode.CannotFindCertificate,
    `${errorMessage(ErrorCode.CannotFindCertificate)} SSLCertEncoded does not hold a certificate: ${detail}.`,
  );
}
