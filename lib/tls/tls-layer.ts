/**
 * wss: the TLS step between ConnectionRequest and the HTTP upgrade. For each accepted connection it
 *   1. reads the ClientHello from the TCP socket (DefaultConnectionTimeout bounds the whole handshake),
 *   2. fires SSLConnectionRequest with the offered suites and signature schemes, and takes the
 *      certificate the application names there (or the server's own),
 *   3. hands the socket, ClientHello included, to a node:tls server for that certificate (injected with
 *      the documented `server.emit('connection', socket)`; the TLS servers never listen themselves),
 *   4. on success moves the connection onto the TLS socket, fires SSLClientAuthentication when clients
 *      are asked for certificates, and lets the engine read the upgrade request.
 * SSLStatus reports each step (and every record with LogSSLPackets); failures close the connection and
 * are reported through Log and Error (276). Nothing here runs for plain ws.
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { ErrorCode, errorMessage } from '../generated/api';
import { WSServerError, toServerError } from '../server/errors';
import type { SSLClientAuthenticationEvent, SSLConnectionRequestEvent } from '../server/events';
import type { WSConnection } from '../server/ws-connection';
import type { WSServer } from '../server/ws-server';
import type { CertificateSelection, SelectedCertificate } from './cert-selection';
import { credentialsFor, findBySubject, openCertificateStore, type StoreCertificate, type StoreSource } from './cert-store';
import { clientCertificateFields, judgeClientCertificate } from './client-auth';
import { cipherSuiteNames, highestVersion, parseClientHello, signatureAlgorithmNames, type ClientHello } from './client-hello';
import { negotiated, OPENSSL_DEFAULT_GROUPS, versionName, type Negotiated } from './negotiated';
import { packetLoggingStream } from './packet-log';
import { tlsSettings, type TlsSettings } from './tls-options';

/** What is known of a connection's TLS session, kept for SSLNegotiated*[cid]. */
interface SessionInfo {
  hello: ClientHello;
  certificate: StoreCertificate;
  settings: TlsSettings;
}

const sessions = new WeakMap<WSConnection, SessionInfo>();

/** What to do when a connection's handshake ends. */
interface Outcome {
  secured(socket: TLSSocket): void;
  failed(error: Error): void;
}

/** A TLS server for one certificate, and the handshakes it is running. */
interface Endpoint {
  readonly server: TlsServer;
  readonly chosen: SelectedCertificate;
  /** Handshakes in progress, by the TCP socket's remote address and port (unique while it is open). */
  readonly pending: Map<string, Outcome>;
}

/**
 * Decides plain or TLS for StartListening (../shared/API-CONTRACT.md, "Plain and TLS"): TLS when a
 * certificate was asked for, UseSSL=true|false forcing either. Throws the reference's 27x error when the
 * certificate cannot be used, 282 when TLS is forced without one, 608 for a bad SSL setting.
 */
export function prepareTls(server: WSServer, selection: CertificateSelection): TlsLayer | null {
  const mode = server.settings.str('UseSSL').trim().toLowerCase();
  if (mode === 'false') return null;
  if (!selection.requested) {
    if (mode !== 'true') return null;
    throw new WSServerError(
      ErrorCode.ServerCertNotFound,
      `${errorMessage(ErrorCode.ServerCertNotFound)} UseSSL is true but no certificate is selected: set SSLCertStoreType, SSLCertStore, SSLCertStorePassword and SSLCertSubject (or SSLCertEncoded).`,
    );
  }
  const chosen = selection.resolve()!;
  const settings = tlsSettings(server.settings, server.sslAuthenticateClients);
  const layer = new TlsLayer(server, selection, chosen, settings);
  for (const note of settings.notes) server.log(0, 1, note, 'Info');
  server.log(0, 1, `TLS with the certificate "${chosen.certificate.subject}".`, 'Info');
  return layer;
}

export class TlsLayer {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly deadlineSeconds: number;

  constructor(
    private readonly server: WSServer,
    private readonly selection: CertificateSelection,
    chosen: SelectedCertificate,
    private readonly settings: TlsSettings,
  ) {
    const idle = server.settings.int('DefaultConnectionTimeout');
    this.deadlineSeconds = idle > 0 ? idle : server.settings.int('HandshakeTimeout');
    // Build the default endpoint now: an error in the options shows at StartListening.
    this.endpoint('', chosen);
  }

  /** Runs the TLS handshake of an accepted connection; `proceed` continues with the HTTP upgrade. */
  begin(connection: WSConnection, proceed: () => void): void {
    const raw = connection.rawSocket;
    const id = connection.connectionId;
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    const state = { done: false };
    const finish = () => {
      state.done = true;
      if (timer) clearTimeout(timer);
      timer = null;
    };
    const fail = (message: string, code: number | null) => {
      if (state.done) return;
      finish();
      this.status(id, message);
      this.server.log(id, 1, message, 'Error');
      if (code !== null) this.server.reportError(id, code, `${errorMessage(code)} ${message}`);
      connection.destroy();
    };
    if (this.deadlineSeconds > 0) {
      timer = setTimeout(() => fail(`TLS handshake timed out after ${this.deadlineSeconds} s.`, null), this.deadlineSeconds * 1000);
      timer.unref?.();
    }
    raw.once('close', finish);

    let received = 0;
    let needed = 1;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      // Look again only once a whole record may be there: tiny chunks cost no repeated parsing.
      if (received < needed) return;
      const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      chunks.length = 0;
      chunks.push(bytes);
      const result = parseClientHello(bytes);
      if (result.status === 'incomplete') {
        needed = result.needed;
        return;
      }
      raw.off('data', onData);
      raw.pause();
      if (result.status === 'invalid') return fail(`Not a TLS connection: ${result.reason}.`, null);
      const hello = result.hello;
      this.status(id, `ClientHello received: up to ${versionName(versionString(highestVersion(hello)))}, ${hello.cipherSuites.length} cipher suites${hello.serverName ? `, server name ${hello.serverName}` : ''}.`);
      const event: SSLConnectionRequestEvent = {
        connectionId: id,
        supportedCipherSuites: cipherSuiteNames(hello),
        supportedSignatureAlgs: signatureAlgorithmNames(hello),
        certStoreType: this.selection.storeType,
        certStore: '',
        certPassword: '',
        certSubject: '',
      };
      this.server.dispatchHeld('SSLConnectionRequest', event, () => {
        if (state.done || raw.destroyed) return;
        let endpoint: Endpoint;
        try {
          endpoint = this.endpointFor(event);
        } catch (error) {
          const failure = toServerError(error, ErrorCode.CannotAcquireCredentials);
          const detail = failure.message.slice(errorMessage(failure.code).length).trim();
          return fail(`The certificate chosen in SSLConnectionRequest cannot be used: ${detail}`, failure.code);
        }
        sessions.set(connection, { hello, certificate: endpoint.chosen.certificate, settings: this.settings });
        if (endpoint !== this.endpoints.get('')) this.status(id, `Using the certificate "${endpoint.chosen.certificate.subject}".`);
        raw.unshift(bytes);
        this.handshake(connection, endpoint, state, finish, fail, proceed);
      });
    };
    raw.on('data', onData);
    raw.resume();
  }

  /** Hands the socket to the TLS server of `endpoint` and waits for the outcome. */
  private handshake(
    connection: WSConnection,
    endpoint: Endpoint,
    state: { done: boolean },
    finish: () => void,
    fail: (message: string, code: number | null) => void,
    proceed: () => void,
  ): void {
    const raw = connection.rawSocket;
    const id = connection.connectionId;
    const secured = (socket: TLSSocket) => {
      if (state.done) return void socket.destroy();
      finish();
      connection.useSocket(socket);
      const cipher = socket.getCipher();
      this.status(id, `Handshake complete: ${versionName(socket.getProtocol())}, ${cipher.standardName ?? cipher.name}.`);
      this.server.log(id, 1, `TLS established (${versionName(socket.getProtocol())}, ${cipher.standardName ?? cipher.name}).`, 'Info');
      if (this.settings.options.requestCert) this.authenticate(connection, socket, proceed);
      else proceed();
    };
    const failed = (error: Error) => fail(`TLS handshake failed: ${describeTlsError(error)}`, ErrorCode.SSLHandshakeError);

    if (this.settings.logPackets) {
      // A private TLS server per connection: the stream in between hides the socket's address.
      const server = this.createServer(endpoint.chosen.credentials);
      server.on('secureConnection', secured);
      server.on('tlsClientError', failed);
      server.emit('connection', packetLoggingStream(raw, (message) => this.status(id, message)));
      return;
    }
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    const outcome: Outcome = { secured, failed };
    endpoint.pending.set(key, outcome);
    raw.once('close', () => {
      if (endpoint.pending.get(key) === outcome) endpoint.pending.delete(key);
    });
    endpoint.server.emit('connection', raw);
  }

  /** SSLClientAuthentication: the application decides; a refused client never reaches the upgrade. */
  private authenticate(connection: WSConnection, socket: TLSSocket, proceed: () => void): void {
    const id = connection.connectionId;
    const chain = peerChain(socket);
    const verdict = judgeClientCertificate(chain.length > 0, socket.authorized ? null : String(socket.authorizationError ?? 'CERT_UNTRUSTED'), this.settings.securityFlags);
    const fields = clientCertificateFields(chain, this.settings.includeCertChain);
    const event: SSLClientAuthenticationEvent = { connectionId: id, ...fields, status: verdict.status, accept: verdict.accept };
    this.status(id, `Client certificate: ${fields.certSubject || '(none)'}: ${verdict.status}`);
    this.server.dispatchHeld('SSLClientAuthentication', event, () => {
      if (socket.destroyed) return;
      if (event.accept) return proceed();
      this.status(id, 'Client certificate refused: closing the connection.');
      this.server.log(id, 1, `Client certificate refused (${verdict.status}).`, 'Info');
      connection.destroy();
    });
  }

  /** The endpoint for SSLConnectionRequest's out-parameters: the server's own unless they name another. */
  private endpointFor(event: SSLConnectionRequestEvent): Endpoint {
    const store = String(event.certStore ?? '');
    const subject = String(event.certSubject ?? '');
    if (store === '' && subject === '') return this.endpoints.get('')!;
    const source: StoreSource = {
      type: Number(event.certStoreType),
      store: store === '' ? this.selection.store : store,
      password: store === '' ? String(event.certPassword || this.selection.password) : String(event.certPassword ?? ''),
    };
    const wanted = subject === '' ? '*' : subject;
    const key = createHash('sha256').update(`${source.type}\0${source.store}\0${source.password}\0${wanted}`).digest('hex');
    const known = this.endpoints.get(key);
    if (known) return known;
    const opened = openCertificateStore(source);
    const found = findBySubject(opened, wanted);
    if (!found) {
      throw new WSServerError(ErrorCode.CannotFindCertificate, `${errorMessage(ErrorCode.CannotFindCertificate)} No certificate matches the subject "${wanted}".`);
    }
    return this.endpoint(key, { certificate: found, credentials: credentialsFor(opened, found) });
  }

  private endpoint(key: string, chosen: SelectedCertificate): Endpoint {
    const server = this.createServer(chosen.credentials);
    const pending = new Map<string, Outcome>();
    const take = (socket: TLSSocket): Outcome | undefined => {
      const key = `${socket.remoteAddress}|${socket.remotePort}`;
      const outcome = pending.get(key);
      pending.delete(key);
      return outcome;
    };
    server.on('secureConnection', (socket: TLSSocket) => {
      const outcome = take(socket);
      if (outcome) outcome.secured(socket);
      else socket.destroy();
    });
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => take(socket)?.failed(error));
    const endpoint: Endpoint = { server, chosen, pending };
    this.endpoints.set(key, endpoint);
    return endpoint;
  }

  private createServer(credentials: { key: string; cert: string }): TlsServer {
    const options: TlsOptions = {
      ...this.settings.options,
      key: credentials.key,
      cert: credentials.cert,
      // The layer's own timer bounds the handshake (DefaultConnectionTimeout); node's default is 120 s.
      handshakeTimeout: 0x7fffffff,
    };
    let server: TlsServer;
    try {
      server = new TlsServer(options);
    } catch (error) {
      throw new WSServerError(ErrorCode.CannotAcquireCredentials, `${errorMessage(ErrorCode.CannotAcquireCredentials)} ${(error as Error).message}`);
    }
    const keyLog = this.settings.keyLogFile;
    if (keyLog !== '') {
      let reported = false;
      server.on('keylog', (line: Buffer) => {
        try {
          // SSLKEYLOGFILE format, appended (never truncated), one line per secret.
          appendFileSync(keyLog, line);
        } catch (error) {
          if (!reported) this.server.log(0, 1, `SSLKeyLogFile ${keyLog} cannot be written: ${(error as Error).message}`, 'Error');
          reported = true;
        }
      });
    }
    return server;
  }

  private status(connectionId: number, message: string): void {
    this.server.dispatchEvent('SSLStatus', { connectionId, message });
  }
}

/** The certificates the client sent, leaf first, as DER. */
function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert = socket.getPeerCertificate(true) as { raw?: Buffer; issuerCertificate?: unknown } | null;
  while (cert && cert.raw && chain.length < 10) {
    if (chain.some((der) => der.equals(cert!.raw!))) break; // a self-signed root points at itself
    chain.push(cert.raw);
    cert = (cert.issuerCertificate ?? null) as typeof cert;
  }
  return chain;
}

function versionString(code: number): string {
  return code === 0x0304 ? 'TLSv1.3' : code === 0x0303 ? 'TLSv1.2' : code === 0x0302 ? 'TLSv1.1' : code === 0x0301 ? 'TLSv1' : `0x${code.toString(16)}`;
}

/** OpenSSL's error text without its "error:0A000102:SSL routines:…" prefix and file references. */
function describeTlsError(error: Error): string {
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(error.message)?.[1];
  const alert = /alert number (\d+)/.exec(error.message)?.[1];
  if (reason) return `${reason}${alert ? ` (alert ${alert})` : ''}.`;
  return `${error.message.replace(/\s+$/, '')}${error.message.endsWith('.') ? '' : '.'}`;
}

/**
 * SSLNegotiated*[ConnectionId]: '' for a plain connection or before the TLS handshake finished.
 */
export function negotiatedSetting(connection: WSConnection, name: string): string | undefined {
  const key = NEGOTIATED_KEYS[name];
  if (!key) return undefined;
  const info = sessions.get(connection);
  const socket = connection.rawSocket as Partial<TLSSocket> & Socket;
  if (!info || typeof socket.getCipher !== 'function' || !socket.encrypted) return key === 'cipherStrength' || key === 'keyExchangeStrength' ? '0' : '';
  const cipher = socket.getCipher();
  const details = info.certificate.x509.publicKey.asymmetricKeyDetails;
  const result = negotiated({
    protocol: socket.getProtocol!() ?? null,
    suite: cipher.standardName ?? cipher.name,
    hello: info.hello,
    serverGroups: info.settings.groups ?? OPENSSL_DEFAULT_GROUPS,
    serverPreference: info.settings.options.honorCipherOrder === true,
    serverKeyBits: details?.modulusLength ?? 0,
  });
  return String(result[key]);
}

const NEGOTIATED_KEYS: Readonly<Record<string, keyof Negotiated>> = Object.freeze({
  SSLNegotiatedCipher: 'cipher',
  SSLNegotiatedCipherStrength: 'cipherStrength',
  SSLNegotiatedCipherSuite: 'cipherSuite',
  SSLNegotiatedKeyExchange: 'keyExchange',
  SSLNegotiatedKeyExchangeStrength: 'keyExchangeStrength',
  SSLNegotiatedVersion: 'version',
});
