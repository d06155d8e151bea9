/**
 * WSServer: the component's server engine and its modern, typed face. Properties are accessors with
 * the reference's names in camelCase, methods are async camelCase, events are emitted under the
 * reference's names with camelCase payloads (see events.ts).
 *
 * The server itself only holds its parts together and answers the API:
 *   settings (settings.ts, generated typed values)   config (config.ts)
 *   dispatcher (ProcessIdleEvents or DoEvents)        logger (the Log event)
 *   listening (start, stop, TLS, metrics port)        acceptor (accept, ConnectionRequest)
 *   registry (connections by id)                      flusher (one write per connection per round)
 *   send-format (DataFormat rules)                    metrics (the figures operators watch)
 * Each connection (ws-connection.ts) gets them as its EngineContext. What is here is the public
 * surface — one accessor per documented property, one method per documented method — and argument
 * checks. That list is as long as the reference's, which is why this file is longer than the ~400
 * lines the others keep to: cutting it would split one table of the API across files.
 */
import { EventEmitter } from 'node:events';
import { ErrorCode } from '../generated/api';
import { Opcode } from '../protocol/constants';
import { CertificateSelection } from '../tls/cert-selection';
import { Acceptor } from './acceptor';
import type { ClientList } from './client-filter';
import { disconnect } from './closing';
import { config } from './config';
import { Dispatcher, type HeldDecision } from './dispatcher';
import type { EngineContext } from './engine-context';
import { WSServerError, toServerError } from './errors';
import type { WSServerEventName, WSServerEvents } from './events';
import { FlushScheduler } from './flush-scheduler';
import { Logger } from './logger';
import { connectionMetrics, serverMetrics, type ConnectionMetrics, type ServerMetrics } from './metrics';
import { ServerCounters } from './server-counters';
import { Listening } from './listening';
import { formatMetricsText, type MetricsTextOptions } from './metrics-text';
import { withShutdownDeadline } from './shutdown-deadline';
import { ReadTurns } from './read-clock';
import { ConnectionRegistry, type ConnectionIdLike } from './registry';
import type { QueueFigures } from './connection-base';
import { formatData, formatTrySend, textBytes, toBytes } from './send-format';
import { Settings, formatSettingValue, type SettingValue } from './settings';
import { integerValue } from './values';
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

/** The reference's events with typed payloads (events.ts); any other name is EventEmitter's as usual. */
export interface WSServer {
  on<K extends WSServerEventName>(event: K, listener: Listener<K>): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once<K extends WSServerEventName>(event: K, listener: Listener<K>): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

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

  private localHostValue = '';
  private localPortValue = 0;
  private backlog = 5;
  private defaultTimeoutValue = 0;

  /** SSLAuthenticateClients: ask clients for a certificate (see lib/tls). */
  sslAuthenticateClients = false;
  /** The server certificate (SSLCertStoreType/Store/StorePassword/Subject/Encoded); lib/tls. */
  private readonly certificate = new CertificateSelection();
  /** What the engine counts for metrics() (metrics.ts). */
  private readonly counters = new ServerCounters();
  private readonly listeningState: Listening;

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
      get clients() { return server.acceptor; },
      settings: this.settings,
      dispatcher: this.dispatcher,
      logger: this.logger,
      flusher: this.flusher,
      turns: new ReadTurns(),
      metrics: this.counters,
      connectionClosed: (id) => this.registry.delete(id),
    };
    this.acceptor = new Acceptor(this.engine, this.registry);
    this.listeningState = new Listening(this, this.acceptor, this.certificate);
    if (options.localHost !== undefined) this.localHost = options.localHost;
    if (options.localPort !== undefined) this.localPort = options.localPort;
    if (options.defaultTimeout !== undefined) this.defaultTimeout = options.defaultTimeout;
    if (options.connectionBacklog !== undefined) this.connectionBacklog = options.connectionBacklog;
    for (const [name, value] of Object.entries(options.config ?? {})) this.config(`${name}=${formatSettingValue(value)}`);
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
    this.backlog = integerValue(value, 1, 0x7fffffff);
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
    this.defaultTimeoutValue = integerValue(value, 0, 0x7fffffff);
  }

  /** Listening: true while accepting connections. Setting it starts or stops listening (errors go to the Error event). */
  get listening(): boolean {
    return this.listeningState.active;
  }

  set listening(value: boolean) {
    if (value === this.listeningState.active) return;
    const action = value ? this.startListening() : this.stopListening();
    action.catch((error) => this.reportError(0, toServerError(error).code, toServerError(error).message));
  }

  /** LocalHost: the interface to listen on ('' = all). */
  get localHost(): string {
    return this.localHostValue;
  }

  set localHost(value: string) {
    if (this.listeningState.active) throw new WSServerError(ErrorCode.LocalHostWhileListening);
    this.localHostValue = String(value ?? '');
  }

  /** LocalPort: the port to listen on (0 = any free port; the real one is shown once listening). */
  get localPort(): number {
    return this.listeningState.active ? this.acceptor.boundPort : this.localPortValue;
  }

  set localPort(value: number) {
    if (this.listeningState.active) throw new WSServerError(ErrorCode.LocalPortWhileListening);
    this.localPortValue = integerValue(value, 0, 65535);
  }

  /** SSLCertEncoded: the selected certificate (base64 DER). Setting it (PEM, base64 or DER) looks up its key in SSLCertStore. */
  get sslCertEncoded(): string {
    return this.certificate.encoded;
  }

  set sslCertEncoded(value: string | Uint8Array) {
    this.certificate.encoded = value;
    this.listeningState.certificateSelected();
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
    this.certificate.storeType = integerValue(value, 0, 0x7fffffff);
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
    this.listeningState.certificateSelected();
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

  /**
   * StartListening: binds LocalHost:LocalPort (104 if already listening; socket errors as 100xx codes).
   * While listening, selecting a certificate replaces the one new connections get (listening.ts).
   */
  startListening(): Promise<void> {
    return this.listeningState.start({ host: this.localHostValue, port: this.localPortValue, backlog: this.backlog });
  }

  /** StopListening: no new connections; existing ones keep working. */
  async stopListening(): Promise<void> {
    this.listeningState.stop();
  }

  /**
   * Shutdown: StopListening, then Disconnect on every open connection, as the reference defines it, so
   * each close carries DisconnectStatusCode / DisconnectStatusDescription (1000 and '' by default) once
   * what was queued for the client is out; connections still in their handshake are dropped.
   * ShutdownTimeout bounds the whole (shutdown-deadline.ts).
   */
  async shutdown(): Promise<void> {
    await this.stopListening();
    const closing: Promise<void>[] = [];
    for (const connection of [...this.registry.values()]) closing.push(disconnect(connection));
    await withShutdownDeadline(Promise.all(closing), this.settings.values.ShutdownTimeout, () => this.registry.values(), this.counters);
  }

  /** Disconnect: closes the connection with DisconnectStatusCode/DisconnectStatusDescription (closing.ts). */
  async disconnect(id: ConnectionIdLike): Promise<void> {
    await disconnect(this.connection(id));
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
   * One message without a promise, for hot paths (echo, relay, broadcast). Returns 0 when it was queued,
   * else the error code, without throwing or firing Error: 126 no such connection, 614 not open, 616
   * the data does not fit the format (not UTF-8, a control frame above 125 bytes, MessageLength),
   * 10035 more than OutBufferSize waits (or a SendFile holds the connection; ReadyToSend fires once
   * there is room). It never waits: where Send would wait (Timeout > 0), it answers 10035.
   *
   * `dataFormat` is a WSConnectionDataFormat value (default the connection's): 1 text, 2 binary, 9
   * ping, 10 pong, 0 as Send. `trySend(e.connectionId, e.textB, e.dataFormat)` echoes a DataIn
   * message as it came. BytesSent is set as by Send.
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
    return serverMetrics(this.counters, this.registry.values(), this.listeningState.active);
  }

  /** One connection's figures now (126 for an unknown id). */
  connectionMetrics(id: ConnectionIdLike): ConnectionMetrics {
    return connectionMetrics(this.registry.get(id));
  }

  /** metrics() in the Prometheus text format, for an HTTP handler the application mounts (Content-Type: METRICS_CONTENT_TYPE). */
  metricsText(options?: MetricsTextOptions): string {
    return formatMetricsText(this.metrics(), options);
  }

  // ─── For the TLS layer (lib/tls/tls-host.ts) and the compat faces ───────────────────────────

  /**
   * @internal Config gave AllowedClients or BlockedClients a new list: while listening its host names
   * are looked up now (until then they fail closed, see defaultAccept); otherwise at StartListening.
   */
  clientListChanged(setting: 'AllowedClients' | 'BlockedClients', list: ClientList): void {
    this.listeningState.clientListChanged(setting, list);
  }

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
