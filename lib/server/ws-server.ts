/**
 * WSServer: the component's server engine and its modern, typed face. Properties are accessors with
 * the reference's names in camelCase, methods are async camelCase, events are emitted under the
 * reference's names with camelCase payloads (see events.ts).
 *
 * The server itself only holds its parts together and answers the API:
 *   settings (settings.ts, generated typed values)   config (config.ts)
 *   dispatcher (ProcessIdleEvents or DoEvents)        logger (the Log event)
 *   acceptor (listen, accept, ConnectionRequest)      registry (connections by id)
 *   flusher (one write per connection per round)      send-format (DataFormat rules)
 * Each connection (ws-connection.ts) gets them as its EngineContext.
 *
 * (Longer than the ~400 lines the other files keep to: it is the public surface — one accessor per
 * documented property and one method per documented method, each with its documentation — and holds
 * no logic of its own beyond argument checks.)
 */
import { EventEmitter } from 'node:events';
import { ErrorCode } from '../generated/api';
import { Opcode } from '../protocol/constants';
import { CertificateSelection } from '../tls/cert-selection';
import { prepareTls, type TlsLayer } from '../tls/tls-layer';
import { Acceptor } from './acceptor';
import { config } from './config';
import { Dispatcher, type HeldDecision } from './dispatcher';
import type { EngineContext } from './engine-context';
import { WSServerError, toServerError } from './errors';
import type { WSServerEventName, WSServerEvents } from './events';
import { FlushScheduler } from './flush-scheduler';
import { Logger } from './logger';
import { connectionMetrics, serverMetrics, type ConnectionMetrics, type ServerMetrics } from './metrics';
import { ServerCounters } from './server-counters';
import { MetricsEndpoint } from './metrics-endpoint';
import { formatMetricsText, type MetricsTextOptions } from './metrics-text';
import { withShutdownDeadline } from './shutdown-deadline';
import { ReadTurns } from './read-clock';
import { ConnectionRegistry, type ConnectionIdLike } from './registry';
import type { QueueFigures } from './connection-base';
import { formatData, formatTrySend, textBytes, toBytes } from './send-format';
import { Settings, formatSettingValue, type SettingValue } from './settings';
import type { WSConnection } from './ws-connection';

export { VERSION } from './config';
export type { ConnectionIdLike } from './registry';

export interface WSServerOptions {
  localHost?: string;
  localPort?: number;
  defaultTimeout?: number;
  connectionBacklog?: number;
  /** Config settings by name, e.g. { MaxConnections: 5000, ProcessIdleEvents: false }. */
  config?: Record<string, SettingValue>;
}

type Listener<K extends WSServerEventName> = (event: WSServerEvents[K]) => void;

export class WSServer extends EventEmitter {
  /** Server-wide config settings. */
  readonly settings: Settings;
  /** @internal */
  readonly dispatcher: Dispatcher;
  /** @internal */
  readonly logger: Logger;
  /** @internal */
  readonly registry = new ConnectionRegistry();
  /** @internal */
  readonly acceptor: Acceptor;
  private readonly flusher = new FlushScheduler();
  private readonly engine: EngineContext;
  private listeningValue = false;

  private localHostValue = '';
  private localPortValue = 0;
  private backlog = 5;
  private defaultTimeoutValue = 0;

  /** SSLAuthenticateClients: ask clients for a certificate (see lib/tls). */
  sslAuthenticateClients = false;
  /** The server certificate (SSLCertStoreType/Store/StorePassword/Subject/Encoded); lib/tls. */
  private readonly certificate = new CertificateSelection();
  /** The TLS layer while listening with TLS: a certificate selected meanwhile goes to it. */
  private tlsLayer: TlsLayer | null = null;
  /** What the engine counts for metrics() (metrics.ts). */
  private readonly counters = new ServerCounters();
  /** MetricsPort's HTTP listener. */
  private readonly metricsEndpoint = new MetricsEndpoint();

  constructor(options: WSServerOptions = {}) {
    // A listener that returns a rejected promise (an async handler that throws) is reported like one that throws.
    super({ captureRejections: true });
    this.settings = new Settings({ ProcessIdleEvents: true });
    this.dispatcher = new Dispatcher(this, this.settings, this.flusher, (id) => this.registry.byId.get(id));
    this.logger = new Logger(this.settings, this.dispatcher);
    const server = this;
    this.engine = {
      get defaultTimeout() {
        return server.defaultTimeoutValue;
      },
      settings: this.settings,
      dispatcher: this.dispatcher,
      logger: this.logger,
      flusher: this.flusher,
      turns: new ReadTurns(),
      metrics: this.counters,
      connectionClosed: (id) => this.registry.delete(id),
      disconnect: (id) => this.disconnect(id),
    };
    this.acceptor = new Acceptor(this.engine, this.registry);
    if (options.localHost !== undefined) this.localHost = options.localHost;
    if (options.localPort !== undefined) this.localPort = options.localPort;
    if (options.defaultTimeout !== undefined) this.defaultTimeout = options.defaultTimeout;
    if (options.connectionBacklog !== undefined) this.connectionBacklog = options.connectionBacklog;
    for (const [name, value] of Object.entries(options.config ?? {})) this.config(`${name}=${formatSettingValue(value)}`);
  }

  override on<K extends WSServerEventName>(event: K, listener: Listener<K>): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends WSServerEventName>(event: K, listener: Listener<K>): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }

  /** An async event handler failed: reported through the Error event (never through Error itself). */
  override [EventEmitter.captureRejectionSymbol](error: Error, name: string | symbol, ...args: unknown[]): void {
    if (name === 'Error') return;
    this.dispatcher.handlerFailed(String(name), args[0], error);
  }

  // ─── Properties ─────────────────────────────────────────────────────────────────────────────

  /** ConnectionBacklog: the listen queue length. */
  get connectionBacklog(): number {
    return this.backlog;
  }

  set connectionBacklog(value: number) {
    this.backlog = checkInteger(value, 1, 0x7fffffff);
  }

  /** WSConnectionCount: connections currently known (from TCP accept to close). */
  get wsConnectionCount(): number {
    return this.registry.size;
  }

  /** The connections by ConnectionId. */
  get connections(): ReadonlyMap<number, WSConnection> {
    return this.registry.byId;
  }

  /** DefaultTimeout: the Timeout given to new connections (seconds; 0 = asynchronous). */
  get defaultTimeout(): number {
    return this.defaultTimeoutValue;
  }

  set defaultTimeout(value: number) {
    this.defaultTimeoutValue = checkInteger(value, 0, 0x7fffffff);
  }

  /** Listening: true while accepting connections. Setting it starts or stops listening (errors go to the Error event). */
  get listening(): boolean {
    return this.listeningValue;
  }

  set listening(value: boolean) {
    if (value === this.listeningValue) return;
    const action = value ? this.startListening() : this.stopListening();
    action.catch((error) => this.reportError(0, toServerError(error).code, toServerError(error).message));
  }

  /** LocalHost: the interface to listen on ('' = all). */
  get localHost(): string {
    return this.localHostValue;
  }

  set localHost(value: string) {
    if (this.listeningValue) throw new WSServerError(ErrorCode.LocalHostWhileListening);
    this.localHostValue = String(value ?? '');
  }

  /** LocalPort: the port to listen on (0 = any free port; the real one is shown once listening). */
  get localPort(): number {
    return this.listeningValue ? this.acceptor.boundPort : this.localPortValue;
  }

  set localPort(value: number) {
    if (this.listeningValue) throw new WSServerError(ErrorCode.LocalPortWhileListening);
    this.localPortValue = checkInteger(value, 0, 65535);
  }

  /** SSLCertEncoded: the selected certificate (base64 DER). Setting it (PEM, base64 or DER) looks up its key in SSLCertStore. */
  get sslCertEncoded(): string {
    return this.certificate.encoded;
  }

  set sslCertEncoded(value: string | Uint8Array) {
    this.certificate.encoded = value;
    this.reselectCertificate();
  }

  /** SSLCertStore: a file name for the file store types, the content for the blob types. */
  get sslCertStore(): string {
    return this.certificate.store;
  }

  set sslCertStore(value: string | Uint8Array) {
    this.certificate.store = value;
  }

  /** SSLCertStorePassword. */
  get sslCertStorePassword(): string {
    return this.certificate.password;
  }

  set sslCertStorePassword(value: string) {
    this.certificate.password = String(value ?? '');
  }

  /** SSLCertStoreType (CertStoreType: 2 PFX file, 3 PFX blob, 6/7 PEM key, 8/9 certificate, 99 auto …). */
  get sslCertStoreType(): number {
    return this.certificate.storeType;
  }

  set sslCertStoreType(value: number) {
    this.certificate.storeType = checkInteger(value, 0, 0x7fffffff);
  }

  /**
   * SSLCertSubject: set it last; it searches SSLCertStore (exact, then partial match; '*' = the first
   * certificate with a key) and reads back the full subject, or '' when nothing matched. A store that
   * cannot be opened throws 271.
   */
  get sslCertSubject(): string {
    return this.certificate.subject;
  }

  set sslCertSubject(value: string) {
    this.certificate.subject = value;
    this.reselectCertificate();
  }

  /**
   * While listening with TLS, selecting a certificate (SSLCertSubject, SSLCertEncoded) replaces the one
   * new connections get, without a restart; established connections keep theirs. A selection that
   * cannot be used throws its 27x error then, and the previous certificate stays in use. Clearing the
   * selection, or selecting one for a plain listener, waits for the next StartListening.
   */
  private reselectCertificate(): void {
    const layer = this.tlsLayer;
    if (layer === null || !this.listeningValue || !this.certificate.requested) return;
    layer.replaceCertificate(this.certificate.resolve()!);
  }

  /** The connection with this id, or 126 (Invalid ConnectionId). */
  connection(id: ConnectionIdLike): WSConnection {
    return this.registry.get(id);
  }

  /** What one connection holds right now, per budget (see QueueFigures and docs/LIMITS.md); 126 for an unknown id. */
  queueFigures(id: ConnectionIdLike): QueueFigures {
    return this.registry.get(id).queueFigures();
  }

  // ─── Methods ────────────────────────────────────────────────────────────────────────────────

  /** StartListening: binds LocalHost:LocalPort (104 if already listening; socket errors as 100xx codes). */
  async startListening(): Promise<void> {
    if (this.listeningValue || this.acceptor.active) throw new WSServerError(ErrorCode.AlreadyListening);
    // TLS when a certificate was selected (UseSSL forces either way); 27x/282/608 when it cannot be used.
    const tls = prepareTls(this, this.certificate);
    const useIPv6 = this.settings.values.UseIPv6;
    const host = this.localHostValue || (useIPv6 === 0 ? '0.0.0.0' : '::');
    await this.acceptor.listen({ host, port: this.localPortValue, backlog: this.backlog, ipv6Only: useIPv6 === 1 }, tls);
    await this.openMetricsEndpoint();
    this.tlsLayer = tls;
    this.listeningValue = true;
    this.log(0, 1, `Listening on ${host}:${this.acceptor.boundPort}.`, 'Info');
  }

  /** StopListening: no new connections; existing ones keep working. */
  async stopListening(): Promise<void> {
    this.listeningValue = false;
    this.tlsLayer = null;
    this.metricsEndpoint.close();
    if (this.acceptor.stop()) this.log(0, 1, 'Stopped listening.', 'Info');
  }

  /** Shutdown: StopListening, then close every connection with 1001 once what was queued for it is out. */
  async shutdown(): Promise<void> {
    await this.stopListening();
    const closing: Promise<void>[] = [];
    const wait = this.settings.values.WaitForCloseResponse;
    for (const connection of [...this.registry.values()]) {
      closing.push(connection.close(1001, 'Server shutting down', wait, closeWaitSeconds(connection)));
    }
    await withShutdownDeadline(Promise.all(closing), this.settings.values.ShutdownTimeout, () => this.registry.values(), this.counters);
  }

  /** Disconnect: closes the connection with DisconnectStatusCode/DisconnectStatusDescription. */
  async disconnect(id: ConnectionIdLike): Promise<void> {
    const connection = this.connection(id);
    const values = this.settings.values;
    await connection.close(values.DisconnectStatusCode, values.DisconnectStatusDescription, values.WaitForCloseResponse, closeWaitSeconds(connection));
  }

  /**
   * DoEvents: fires everything queued, or waits up to SelectWaitMillis for something to fire. With
   * something queued it fires at once and returns a settled promise (no promise is made per call).
   */
  doEvents(): Promise<void> {
    return this.dispatcher.doEvents();
  }

  /** Interrupt: ends a waiting synchronous send or SendFile on the connection without disconnecting it. */
  async interrupt(id: ConnectionIdLike): Promise<void> {
    this.connection(id).interrupt();
  }

  /** Ping: sends a ping; with a positive Timeout, resolves when the matching pong arrives. */
  ping(id: ConnectionIdLike): Promise<void> {
    try {
      return this.connection(id).ping();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** PauseData: stops reading from the connection (same as AcceptData=false). */
  async pauseData(id: ConnectionIdLike): Promise<void> {
    this.connection(id).acceptData = false;
  }

  /** ProcessData: resumes reading (same as AcceptData=true). */
  async processData(id: ConnectionIdLike): Promise<void> {
    this.connection(id).acceptData = true;
  }

  /** ChangeLineMode: DataIn per line (true) or per message piece (false). */
  async changeLineMode(id: ConnectionIdLike, lineMode: boolean): Promise<void> {
    this.connection(id).changeLineMode(lineMode);
  }

  /**
   * SendText: one text message. `text` may also be bytes already encoded as UTF-8 (a Buffer or any
   * Uint8Array, e.g. a DataIn event's `textB`): they are sent as they are, without decoding and
   * re-encoding, and refused with 616 when they are not valid UTF-8.
   */
  sendText(id: ConnectionIdLike, text: string | Uint8Array): Promise<void> {
    try {
      return this.connection(id).sendMessage(Opcode.Text, textBytes(text));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** SendBytes: one binary message (strings are encoded with CodePage). */
  sendBytes(id: ConnectionIdLike, data: Uint8Array | string): Promise<void> {
    try {
      return this.connection(id).sendMessage(Opcode.Binary, toBytes(data, this.settings.values.CodePage));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends one message without a promise: for hot paths (an echo, a relay, a broadcast) on asynchronous
   * connections. Returns 0 when the message was queued, else the error code — nothing is thrown and no
   * Error event fires:
   * - 126 no such connection; 614 the WebSocket is not open (or is closing);
   * - 616 the data does not fit the format (text bytes that are not UTF-8, a ping or pong above 125
   *   bytes, an unknown format, a MessageLength violation);
   * - 10035 more than OutBufferSize bytes wait for this client (or a SendFile holds the connection):
   *   nothing was queued, ReadyToSend is false and the ReadyToSend event fires once there is room.
   *
   * `dataFormat` is a WSConnectionDataFormat value, by default the connection's: 1 text (a string, or
   * UTF-8 bytes sent as they are), 2 binary (strings encoded with CodePage), 9 ping, 10 pong, 0 automatic
   * (as Send). A DataIn event's `dataFormat` fits: `trySend(e.connectionId, e.textB, e.dataFormat)` echoes
   * a whole message (BufferMessage) without decoding it. BytesSent is set as by Send.
   *
   * It never waits: on a synchronous connection (Timeout > 0) it queues only when Send would queue at
   * once, and returns 10035 where Send would wait.
   */
  trySend(id: ConnectionIdLike, data: Uint8Array | string, dataFormat?: number): number {
    const connection = this.registry.find(id);
    if (!connection) return ErrorCode.InvalidConnectionId;
    const format = dataFormat === undefined ? connection.dataFormat : dataFormat;
    const [opcode, bytes] = formatTrySend(format, data, this.settings.values.CodePage);
    if (bytes instanceof WSServerError) return bytes.code;
    return connection.trySendMessage(opcode, bytes);
  }

  /** Send: one message in the connection's DataFormat (0 auto: strings as text, bytes as binary). */
  send(id: ConnectionIdLike, data: Uint8Array | string): Promise<void> {
    let connection: WSConnection;
    try {
      connection = this.connection(id);
    } catch (error) {
      return Promise.reject(error);
    }
    const [opcode, bytes] = formatData(connection.dataFormat, data, this.settings.values.CodePage);
    if (bytes instanceof WSServerError) return Promise.reject(bytes);
    return connection.sendMessage(opcode, bytes);
  }

  /**
   * WSConnectionDataToSend: sends `data` as Send does, but never waits: it is queued now, or the set
   * fails with 10035 (thrown) when more than OutBufferSize waits — on synchronous connections too, where
   * Send would wait (see send-policy.ts, setDataToSend).
   */
  setDataToSend(id: ConnectionIdLike, data: Uint8Array | string): void {
    const connection = this.connection(id);
    const [opcode, bytes] = formatData(connection.dataFormat, data, this.settings.values.CodePage);
    if (bytes instanceof WSServerError) throw bytes;
    connection.setDataToSend(opcode, bytes);
  }

  /** SendFile: the file's bytes as one binary message, streamed. */
  sendFile(id: ConnectionIdLike, path: string): Promise<void> {
    try {
      return this.connection(id).sendFile(String(path));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Config: "Name=Value" sets, "Name" reads (always a string), "Name[cid]" addresses a per-connection
   * setting. Unknown names → 606; read-only → 607; bad values → 608.
   */
  config(text: string): string {
    return config(this, text);
  }

  // ─── Metrics (metrics.ts, docs/OPERATIONS.md) ───────────────────────────────────────────────

  /** The server's figures now: connections by phase, queued bytes per budget, traffic, refusals, failures, close codes. */
  metrics(): ServerMetrics {
    return serverMetrics(this.counters, this.registry.values(), this.listeningValue);
  }

  /** One connection's figures now (126 for an unknown id). */
  connectionMetrics(id: ConnectionIdLike): ConnectionMetrics {
    return connectionMetrics(this.registry.get(id));
  }

  /** metrics() in the Prometheus text format, for an HTTP handler the application mounts (Content-Type: METRICS_CONTENT_TYPE). */
  metricsText(options?: MetricsTextOptions): string {
    return formatMetricsText(this.metrics(), options);
  }

  /** MetricsPort > 0: serve metricsText() on the loopback port; when it cannot be bound, the start is undone. */
  private async openMetricsEndpoint(): Promise<void> {
    const port = this.settings.values.MetricsPort;
    if (port === 0) return;
    try {
      await this.metricsEndpoint.open(port, () => this.metricsText());
    } catch (error) {
      this.acceptor.stop();
      throw error;
    }
  }

  // ─── For the TLS layer (lib/tls/tls-host.ts) and the compat faces ───────────────────────────

  /** Fires (or queues) an informational event. */
  dispatchEvent<K extends WSServerEventName>(name: K, event: WSServerEvents[K]): void {
    this.dispatcher.dispatchEvent(name, event);
  }

  /** Fires (or queues) an event with out-parameters; `decided` reads them once it was decided (refused: a handler failed). */
  dispatchHeld<K extends WSServerEventName>(name: K, event: WSServerEvents[K], decided: HeldDecision): void {
    this.dispatcher.dispatchHeld(name, event, decided);
  }

  /** The Error event. */
  reportError(connectionId: number, errorCode: number, description: string): void {
    this.dispatcher.reportError(connectionId, errorCode, description);
  }

  /** The Log event, when LogLevel asks for `level`. */
  log(connectionId: number, level: number, message: string, logType: string): void {
    this.logger.log(connectionId, level, message, logType);
  }
}

/** How long a close we start waits for the client's reply (WaitForCloseResponse). */
function closeWaitSeconds(connection: WSConnection): number {
  return connection.timeout > 0 ? connection.timeout : 5;
}

function checkInteger(value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new WSServerError(ErrorCode.InvalidValue);
  return n;
}
