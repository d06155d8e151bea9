/**
 * The server's certificates as node:tls secure contexts: one per certificate, made the first time a
 * connection needs it and then shared by every connection it serves (with its session-ticket keys, so
 * sessions resume across connections). The server's own is made at StartListening, so that an option
 * OpenSSL refuses fails the start instead of every handshake.
 */
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ErrorCode, errorMessage } from '../generated/api';
import { WSServerError } from '../server/errors';
import type { SSLConnectionRequestEvent } from '../server/events';
import type { CertificateSelection, SelectedCertificate } from './cert-selection';
import { credentialsFor, findBySubject, openCertificateStore, type StoreSource } from './cert-store';
import type { TlsSettings } from './tls-options';

/** One certificate, ready for handshakes. */
export interface Endpoint {
  readonly context: SecureContext;
  readonly chosen: SelectedCertificate;
}

export class Endpoints {
  /** The certificate the server was given (SSLCert*). */
  readonly own: Endpoint;
  /** Those SSLConnectionRequest named, by a hash of the store, its password and the subject. */
  private readonly others = new Map<string, Endpoint>();

  constructor(
    private readonly selection: CertificateSelection,
    chosen: SelectedCertificate,
    private readonly settings: TlsSettings,
  ) {
    this.own = this.endpoint(chosen);
  }

  /**
   * The endpoint for SSLConnectionRequest's out-parameters: the server's own unless they name another.
   * Throws the store's 27x error when the one named cannot be used.
   */
  forRequest(event: SSLConnectionRequestEvent): Endpoint {
    const store = String(event.certStore ?? '');
    const subject = String(event.certSubject ?? '');
    if (store === '' && subject === '') return this.own;
    const source: StoreSource = {
      type: Number(event.certStoreType),
      store: store === '' ? this.selection.store : store,
      password: store === '' ? String(event.certPassword || this.selection.password) : String(event.certPassword ?? ''),
    };
    const wanted = subject === '' ? '*' : subject;
    // Hashed: the map then holds no store passwords.
    const key = createHash('sha256').update(`${source.type}\0${source.store}\0${source.password}\0${wanted}`).digest('hex');
    const known = this.others.get(key);
    if (known) return known;
    const opened = openCertificateStore(source);
    const found = findBySubject(opened, wanted);
    if (!found) {
      throw new WSServerError(ErrorCode.CannotFindCertificate, `${errorMessage(ErrorCode.CannotFindCertificate)} No certificate matches the subject "${wanted}".`);
    }
    const endpoint = this.endpoint({ certificate: found, credentials: credentialsFor(opened, found) });
    this.others.set(key, endpoint);
    return endpoint;
  }

  private endpoint(chosen: SelectedCertificate): Endpoint {
    let context: SecureContext;
    try {
      context = createSecureContext({
        ...this.settings.options,
        key: chosen.credentials.key,
        cert: chosen.credentials.cert,
        // OpenSSL refuses to resume a session of a server that asks for client certificates unless the
        // context has an id (node:tls servers make one up); a session resumes only with its certificate.
        sessionIdContext: createHash('sha256').update(chosen.certificate.x509.raw).digest('hex').slice(0, 32),
      });
    } catch (error) {
      throw new WSServerError(ErrorCode.CannotAcquireCredentials, `${errorMessage(ErrorCode.CannotAcquireCredentials)} ${(error as Error).message}`);
    }
    return { context, chosen };
  }
}
