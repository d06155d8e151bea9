/**
 * wss: the TLS step between ConnectionRequest and the HTTP upgrade. For each accepted connection it
 *   1. reads the ClientHello off the TCP socket (hello-reader.ts; DefaultConnectionTimeout, else
 *      HandshakeTimeout, bounds the whole TLS step),
 *   2. fires SSLConnectionRequest with the offered suites and signature schemes, and takes the
 *      certificate the application names there, or the server's own (endpoint.ts),
 *   3. puts the ClientHello back and runs the handshake on a TLSSocket of the connection's own
 *      (server-socket.ts),
 *   4. on success moves the connection onto the TLS socket, checks the client certificate's revocation
 *      when SSLCheckCRL asks (revocation.ts: possibly a CRL fetch, still under the TLS step's deadline),
 *      fires SSLClientAuthentication when clients are asked for certificates, and lets the engine read
 *      the upgrade request.
 * From the ClientHello until then reading is held (TlsPeer.holdReading): the events' out-parameters
 * decide what happens to the bytes behind it. The deadline runs until SSLClientAuthentication has been
 * decided (an async handler has until then), and a handler that throws or rejects refuses the client.
 * SSLStatus reports each step (and every record with LogSSLPackets); failures close the connection and
 * are reported through Log and Error (276).
 * Nothing here runs for plain ws.
 */
import { appendFileSync } from 'node:fs';
import type { CipherNameAndProtocol, TLSSocket } from 'node:tls';
import { ErrorCode, errorMessage } from '../generated/api';
import { WSServerError, describeThrown, toServerError } from '../server/errors';
import { secondsToTimer } from '../server/timer-limit';
import type { SSLClientAuthenticationEvent, SSLConnectionRequestEvent } from '../server/events';
import type { CertificateSelection, SelectedCertificate } from './cert-selection';
import type { StoreCertificate } from './cert-store';
import { applyRevocation, clientCertificateFields, judgeClientCertificate, type ClientVerdict } from './client-auth';
import { cipherSuiteNames, highestVersion, signatureAlgorithmNames, type ClientHello } from './client-hello';
import { Endpoints, type Endpoint } from './endpoint';
import { readClientHello } from './hello-reader';
import { negotiated, OPENSSL_DEFAULT_GROUPS, versionName, type Negotiated } from './negotiated';
import { packetLoggingStream } from './packet-log';
import { RevocationChecker } from './revocation';
import { startServerHandshake } from './server-socket';
import type { TlsHost, TlsPeer } from './tls-host';
import { tlsSettings, type TlsSettings } from './tls-options';

/** What is known of a connection's TLS session, kept for SSLNegotiated*[cid]. */
interface SessionInfo {
  readonly hello: ClientHello;
  readonly certificate: StoreCertificate;
  readonly settings: TlsSettings;
  /** Set once the handshake is done. */
  socket: TLSSocket | null;
}

const sessions = new WeakMap<TlsPeer, SessionInfo>();

/**
 * Decides plain or TLS for StartListening (../shared/API-CONTRACT.md, "Plain and TLS"): TLS when a
 * certificate was asked for, UseSSL=true|false forcing either. Throws the reference's 27x error when the
 * certificate cannot be used, 282 when TLS is forced without one, 608 for a bad SSL setting.
 */
export function prepareTls(host: TlsHost, selection: CertificateSelection): TlsLayer | null {
  const mode = host.settings.str('UseSSL').trim().toLowerCase();
  if (mode === 'false') return null;
  if (!selection.requested) {
    if (mode !== 'true') return null;
    throw new WSServerError(
      ErrorCode.ServerCertNotFound,
      `${errorMessage(ErrorCode.ServerCertNotFound)} UseSSL is true but no certificate is selected: set SSLCertStoreType, SSLCertStore, SSLCertStorePassword and SSLCertSubject (or SSLCertEncoded).`,
    );
  }
  const chosen = selection.resolve()!;
  const settings = tlsSettings(host.settings, host.sslAuthenticateClients);
  const layer = new TlsLayer(host, selection, chosen, settings);
  for (const note of settings.notes) host.log(0, 1, note, 'Info');
  // The Log event has no warning type: Info, marked in the text.
  for (const warning of settings.warnings) host.log(0, 1, `Warning: ${warning}`, 'Info');
  host.log(0, 1, `TLS with the certificate "${chosen.certificate.subject}".`, 'Info');
  return layer;
}

/** How much longer than the TLS step's deadline a CRL fetch may run (see authenticate). */
const FETCH_GRACE_MS = 250;

/** One connection's way through the TLS step: its deadline, and whether it has ended. */
class Attempt {
  done = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly deadline: number | null = null;
  /** Stops what still listens to the TCP socket for this attempt. */
  stopReading: () => void = noop;
  /** What the attempt waits for once the handshake itself is done, for the timeout's message. */
  waitingFor = '';

  constructor(
    private readonly layer: TlsLayer,
    readonly peer: TlsPeer,
    deadlineSeconds: number,
  ) {
    if (deadlineSeconds > 0) {
      const ms = secondsToTimer(deadlineSeconds);
      this.deadline = Date.now() + ms;
      this.timer = setTimeout(() => this.fail(`TLS handshake timed out after ${deadlineSeconds} s${this.waitingFor ? ` (${this.waitingFor})` : ''}.`, null), ms);
      this.timer.unref?.();
    }
  }

  /** Milliseconds left before the deadline; null when there is none. */
  remainingMs(): number | null {
    return this.deadline === null ? null : Math.max(0, this.deadline - Date.now());
  }

  finish(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopReading();
  }

  /** Closes the connection, saying why in SSLStatus and Log, and in Error when `code` is given. */
  fail(message: string, code: number | null): void {
    if (this.done) return;
    this.finish();
    this.layer.report(this.peer.connectionId, message, code);
    this.peer.destroy();
  }
}

export class TlsLayer {
  private endpoints: Endpoints;
  private readonly deadlineSeconds: number;
  private readonly keyLog: ((line: Buffer) => void) | undefined;
  /** SSLCheckCRL's checker (with its CRL cache), null when no check is asked for. */
  private readonly revocation: RevocationChecker | null;

  constructor(
    private readonly host: TlsHost,
    private readonly selection: CertificateSelection,
    chosen: SelectedCertificate,
    private readonly settings: TlsSettings,
  ) {
    const idle = host.settings.int('DefaultConnectionTimeout');
    this.deadlineSeconds = idle > 0 ? idle : host.settings.int('HandshakeTimeout');
    // The server's own context is made now: an error in the options shows at StartListening.
    this.endpoints = new Endpoints(selection, chosen, settings);
    this.keyLog = settings.keyLogFile === '' ? undefined : keyLogWriter(host, settings.keyLogFile);
    this.revocation = settings.options.requestCert && settings.checkCrl !== 0 ? new RevocationChecker(settings.localCrls, settings.caCertificates) : null;
  }

  /**
   * The server certificate was selected again while listening: connections whose TLS step reaches
   * SSLConnectionRequest from now on get `chosen`; established ones keep the session they have. The
   * context is made first, so a certificate OpenSSL refuses throws (273) and the old one stays.
   */
  replaceCertificate(chosen: SelectedCertificate): void {
    this.endpoints = new Endpoints(this.selection, chosen, this.settings);
    this.host.log(0, 1, `TLS with the certificate "${chosen.certificate.subject}" for new connections.`, 'Info');
  }

  /** Runs the TLS handshake of an accepted connection; `proceed` continues with the HTTP upgrade. */
  begin(peer: TlsPeer, proceed: () => void): void {
    const raw = peer.rawSocket;
    const attempt = new Attempt(this, peer, this.deadlineSeconds);
    const ended = () => attempt.finish();
    raw.once('close', ended);
    const stopHello = readClientHello(raw, (reading) => {
      peer.holdReading(true);
      if (reading.status === 'invalid') return attempt.fail(`Not a TLS connection: ${reading.reason}.`, null);
      this.requestCertificate(attempt, reading.hello, reading.bytes, proceed);
    });
    attempt.stopReading = () => {
      stopHello();
      raw.off('close', ended);
    };
    // The ClientHello is needed before anything can be decided.
    peer.holdReading(false);
  }

  /** SSLConnectionRequest: the application sees the offer and may name the certificate for this client. */
  private requestCertificate(attempt: Attempt, hello: ClientHello, bytes: Buffer, proceed: () => void): void {
    const { peer } = attempt;
    const id = peer.connectionId;
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
    attempt.waitingFor = 'SSLConnectionRequest undecided';
    this.host.dispatchHeld('SSLConnectionRequest', event, (refused) => {
      if (attempt.done || peer.rawSocket.destroyed) return;
      attempt.waitingFor = '';
      // Which certificate a failed handler meant is unknown: the client is refused rather than guessed at.
      if (refused) return attempt.fail('The SSLConnectionRequest handler failed: connection refused.', null);
      let endpoint: Endpoint;
      try {
        endpoint = this.endpoints.forRequest(event);
      } catch (error) {
        const failure = toServerError(error, ErrorCode.CannotAcquireCredentials);
        const detail = failure.message.slice(errorMessage(failure.code).length).trim();
        return attempt.fail(`The certificate chosen in SSLConnectionRequest cannot be used: ${detail}`, failure.code);
      }
      if (endpoint !== this.endpoints.own) this.status(id, `Using the certificate "${endpoint.chosen.certificate.subject}".`);
      const session: SessionInfo = { hello, certificate: endpoint.chosen.certificate, settings: this.settings, socket: null };
      sessions.set(peer, session);
      // TLS reads the ClientHello again, and whatever came behind it.
      peer.rawSocket.unshift(bytes);
      this.handshake(attempt, endpoint, session, proceed);
    });
  }

  /** The handshake on the connection's own TLS socket. */
  private handshake(attempt: Attempt, endpoint: Endpoint, session: SessionInfo, proceed: () => void): void {
    const { peer } = attempt;
    const id = peer.connectionId;
    const raw = peer.rawSocket;
    const transport = this.settings.logPackets ? packetLoggingStream(raw, (message) => this.status(id, message)) : raw;
    startServerHandshake(transport, endpoint, this.settings, this.keyLog, {
      secured: (socket, verifyError) => {
        if (attempt.done) return void socket.destroy();
        session.socket = socket;
        peer.useSocket(socket);
        const cipher = socket.getCipher();
        const version = versionName(socket.getProtocol());
        this.status(id, `Handshake complete: ${version}, ${cipher.standardName ?? cipher.name}.`);
        this.host.log(id, 1, `TLS established (${version}, ${cipher.standardName ?? cipher.name}).`, 'Info');
        if (this.settings.options.requestCert) return this.authenticate(attempt, socket, verifyError, proceed);
        attempt.finish();
        this.admit(peer, proceed);
      },
      failed: (error) => attempt.fail(`TLS handshake failed: ${describeTlsError(error)}`, ErrorCode.SSLHandshakeError),
      // The engine hears of the close from the TCP socket; there is nothing to add.
      closed: () => attempt.finish(),
    });
  }

  /**
   * The client certificate's verdict, revocation included: a certificate that would be accepted is
   * checked (SSLCheckCRL) before the application hears of it, under the TLS step's deadline.
   */
  private authenticate(attempt: Attempt, socket: TLSSocket, verifyError: string | null, proceed: () => void): void {
    const { peer } = attempt;
    const chain = peerChain(socket);
    const { securityFlags, untrusted, checkCrl } = this.settings;
    const verdict = judgeClientCertificate(chain.length > 0, verifyError, securityFlags, untrusted);
    if (!this.revocation || !verdict.accept) return this.decide(attempt, socket, chain, verdict, proceed);
    attempt.waitingFor = 'checking the client certificate for revocation';
    // The handshake's deadline, not the fetch's own timer, decides when both run out at once: when they
    // fired in the same millisecond, the fetch's 'unknown' could be taken before the deadline refused.
    const budget = attempt.remainingMs();
    this.revocation.check(chain, verifyError === null, budget === null ? null : budget + FETCH_GRACE_MS).then((revocation) => {
      if (attempt.done || socket.destroyed) return;
      attempt.waitingFor = '';
      const checked = applyRevocation(verdict, revocation, checkCrl, securityFlags);
      this.status(peer.connectionId, checked.note);
      this.decide(attempt, socket, chain, checked, proceed);
    }).catch((error: unknown) => {
      // check() settles with an answer, never a rejection; anything else is a bug, refused rather than admitted.
      attempt.finish();
      this.report(peer.connectionId, `Client certificate check failed: ${describeThrown(error)}`, ErrorCode.CertificateVerifyError);
      peer.destroy();
    });
  }

  /**
   * SSLClientAuthentication: the application decides, under the TLS step's deadline; a refused client
   * (accept false, or a handler that failed) never reaches the upgrade.
   */
  private decide(attempt: Attempt, socket: TLSSocket, chain: Buffer[], verdict: ClientVerdict, proceed: () => void): void {
    const { peer } = attempt;
    const id = peer.connectionId;
    const fields = clientCertificateFields(chain, this.settings.includeCertChain);
    const event: SSLClientAuthenticationEvent = { connectionId: id, ...fields, status: verdict.status, accept: verdict.accept };
    this.status(id, `Client certificate: ${fields.certSubject || '(none)'}: ${verdict.status}`);
    attempt.waitingFor = 'SSLClientAuthentication undecided';
    this.host.dispatchHeld('SSLClientAuthentication', event, (refused) => {
      if (attempt.done || socket.destroyed) return;
      attempt.finish();
      if (!refused && event.accept) return this.admit(peer, proceed);
      const why = refused ? 'the SSLClientAuthentication handler failed' : verdict.status;
      this.status(id, 'Client certificate refused: closing the connection.');
      this.host.log(id, 1, `Client certificate refused (${why}).`, refused ? 'Error' : 'Info');
      peer.destroy();
    });
  }

  /** The TLS step is over: input goes on to the engine, which reads the upgrade request. */
  private admit(peer: TlsPeer, proceed: () => void): void {
    peer.holdReading(false);
    proceed();
  }

  /** @internal A failed attempt's report: SSLStatus and Log, and Error when `code` is given. */
  report(connectionId: number, message: string, code: number | null): void {
    this.status(connectionId, message);
    this.host.log(connectionId, 1, message, 'Error');
    if (code !== null) this.host.reportError(connectionId, code, `${errorMessage(code)} ${message}`);
  }

  private status(connectionId: number, message: string): void {
    this.host.dispatchEvent('SSLStatus', { connectionId, message });
  }
}

/**
 * SSLKeyLogFile: appends each secret in SSLKEYLOGFILE format (never truncates); one complaint at most.
 * A file it creates is readable by its owner only (0600): the secrets decrypt every session.
 */
function keyLogWriter(host: TlsHost, file: string): (line: Buffer) => void {
  let reported = false;
  return (line) => {
    try {
      appendFileSync(file, line, { mode: 0o600 });
    } catch (error) {
      if (!reported) host.log(0, 1, `SSLKeyLogFile ${file} cannot be written: ${(error as Error).message}`, 'Error');
      reported = true;
    }
  };
}

function noop(): void {}

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
export function negotiatedSetting(peer: TlsPeer, name: string): string | undefined {
  const key = NEGOTIATED_KEYS[name];
  if (!key) return undefined;
  const info = sessions.get(peer);
  const socket = info?.socket;
  // Node answers null once the socket has closed, whatever its types say.
  const cipher = socket ? (socket.getCipher() as CipherNameAndProtocol | null) : null;
  if (!info || !socket || !cipher) return key === 'cipherStrength' || key === 'keyExchangeStrength' ? '0' : '';
  const details = info.certificate.x509.publicKey.asymmetricKeyDetails;
  const result = negotiated({
    protocol: socket.getProtocol() ?? null,
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
