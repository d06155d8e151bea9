/**
 * WSServer: the component's server engine and its modern, typed face. Properties are accessors with
 * the reference's names in camelCase, methods are async camelCase, events are emitted under the
 * reference's names with camelCase payloads (see events.ts).
 *
 * Events are dispatched in one of two ways (../shared/API-CONTRACT.md, "Dispatch"): with
 * ProcessIdleEvents=true (this class's default) they fire as they occur; with false they are queued
 * and fire only from doEvents(). Events with out-parameters hold their connection until they fired.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCode } from '../generated/api';
import { Opcode } from '../protocol/constants';
import { isSendableCloseCode } from '../protocol/close';
import { isValidUtf8 } from '../protocol/utf8';
import { defaultAccept, parseClientList, type ClientList } from './client-filter';
import { encodeString, isSupportedCodePage } from './code-page';
import { WSServerError, toServerError } from './errors';
import { EventQueue } from './event-queue';
import type { ConnectionRequestEvent, DataInEvent, WSServerEventName, WSServerEvents } from './events';
import { Settings, findSetting, formatSettingValue, parseSettingValue, type SettingInfo, type SettingValue } from './settings';
import { parseConfigString } from './values';
import { CertificateSelection } from '../tls/cert-selection';
import { negotiatedSetting, prepareTls, type TlsLayer } from '../tls/tls-layer';
import { Phase, WSConnection } from './ws-connection';

/** The package version, reported by BuildInfo and property 0 of the procedural API. */
export const VERSION = '0.1.0';

export interface WSServerOptions {
  localHost?: string;
  localPort?: number;
  defaultTimeout?: number;
  connectionBacklog?: number;
  /** Config settings by name, e.g. { MaxConnections: 5000, ProcessIdleEvents: false }. */
  config?: Record<string, SettingValue>;
}

/** A connection id as the API accepts it: a positive integer, or its decimal string form. */
export type ConnectionIdLike = number | string;

type Listener<K extends WSServerEventName> = (event: WSServerEvents[K]) => void;

const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const RESOLVED = Promise.resolve();

export class WSServer extends EventEmitter {
  /** Server-wide config settings. */
  readonly settings: Settings;
  private readonly registry = new Map<number, WSConnection>();
  private readonly queue = new EventQueue();
  private listener: Server | null = null;
  private listeningValue = false;
  private lastId = 0;

  private localHostValue = '';
  private localPortValue = 0;
  private boundPort = 0;
  private backlog = 5;
  private defaultTimeoutValue = 0;

  // SSL certificate selection (used by the TLS layer).
  sslAuthenticateClients = false;
  /** The server certificate (SSLCertStoreType/Store/StorePassword/Subject/Encoded); lib/tls. */
  private readonly certificate = new CertificateSelection();
  /** The TLS layer while TLS is on (set by StartListening); null for plain ws. */
  private tls: TlsLayer | null = null;

  // Settings read on hot paths, cached; setServerSetting keeps them in step.
  private processIdle: boolean;
  private logLevelValue: number;
  /** @internal MaxReadTime in milliseconds. */
  maxReadTime: number;
  /** @internal OutBufferSize: bytes that may wait for one client before a send fails with 10035. */
  outBufferSize: number;
  /** @internal Undispatched DataIn bytes (DoEvents mode, InBufferSize × 16) above which a connection stops reading. */
  inputLimit: number;
  /** @internal MaxLineLength, the default of new connections. */
  maxLineLength: number;
  private codePage: number;
  private selectWaitMillis: number;
  private allowed: ClientList;
  private blocked: ClientList;
  // MaxReadTime: a number that changes once per event-loop turn while connections are reading.
  private readTurnValue = 1;
  private readTurnTicking = false;
  /** Connections with output gathered outside their own read, written at the end of the dispatch round or tick. */
  private readonly pendingFlush: WSConnection[] = [];
  private flushArmed = false;
  /** The event queue is being drained: flushing waits for the end of the round. */
  private draining = false;

  constructor(options: WSServerOptions = {}) {
    // A listener that returns a rejected promise (an async handler that throws) is reported like one that throws.
    super({ captureRejections: true });
    this.settings = new Settings({ ProcessIdleEvents: true });
    this.processIdle = true;
    this.logLevelValue = this.settings.int('LogLevel');
    this.maxReadTime = this.settings.int('MaxReadTime');
    this.outBufferSize = this.settings.int('OutBufferSize');
    this.inputLimit = this.settings.int('InBufferSize') * 16;
    this.maxLineLength = this.settings.int('MaxLineLength');
    this.codePage = this.settings.int('CodePage');
    this.selectWaitMillis = this.settings.int('SelectWaitMillis');
    this.allowed = parseClientList('');
    this.blocked = parseClientList('');
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

  /** An async event handler failed: reported through the Error event (never through Error itself). */
  override [EventEmitter.captureRejectionSymbol](error: Error, name: string | symbol, ...args: unknown[]): void {
    if (name === 'Error') return;
    this.handlerFailed(String(name), args[0], error);
  }

  override once<K extends WSServerEventName>(event: K, listener: Listener<K>): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
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
    return this.registry;
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
    return this.listeningValue ? this.boundPort : this.localPortValue;
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
  }

  /** The connection with this id, or 126 (Invalid ConnectionId). */
  connection(id: ConnectionIdLike): WSConnection {
    const connection = this.findConnection(id);
    if (!connection) throw new WSServerError(ErrorCode.InvalidConnectionId);
    return connection;
  }

  /** The connection with this id, or undefined. */
  private findConnection(id: ConnectionIdLike): WSConnection | undefined {
    const key = typeof id === 'number' ? id : /^\s*\d+\s*$/.test(String(id)) ? Number(id) : NaN;
    const connection = this.registry.get(key);
    return connection && connection.phase !== Phase.Closed ? connection : undefined;
  }

  // ─── Methods ────────────────────────────────────────────────────────────────────────────────

  /** StartListening: binds LocalHost:LocalPort (104 if already listening; socket errors as 100xx codes). */
  async startListening(): Promise<void> {
    if (this.listeningValue || this.listener) throw new WSServerError(ErrorCode.AlreadyListening);
    const listener = this.createListener();
    this.listener = listener;
    const useIPv6 = this.settings.int('UseIPv6');
    const host = this.localHostValue || (useIPv6 === 0 ? '0.0.0.0' : '::');
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host, port: this.localPortValue, backlog: this.backlog, ipv6Only: useIPv6 === 1 }, () => {
          listener.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.listener = null;
      listener.close();
      throw toServerError(error);
    }
    listener.on('error', (error) => this.reportError(0, toServerError(error).code, toServerError(error).message));
    const address = listener.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.localPortValue;
    this.listeningValue = true;
    this.log(0, 1, `Listening on ${host}:${this.boundPort}.`, 'Info');
  }

  /** The listening socket; the TLS layer replaces this to speak wss. */
  protected createListener(): Server {
    // TLS when a certificate was selected (UseSSL forces either way); 27x/282/608 when it cannot be used.
    this.tls = prepareTls(this, this.certificate);
    const server = createServer({ pauseOnConnect: true });
    server.on('connection', (socket) => this.accept(socket));
    return server;
  }

  /** True when a server certificate has been given. */
  protected certificateConfigured(): boolean {
    return this.certificate.requested;
  }

  /** StopListening: no new connections; existing ones keep working. */
  async stopListening(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    this.listeningValue = false;
    if (!listener) return;
    // server.close() waits for every connection before calling back: do not wait for that.
    listener.close();
    this.log(0, 1, 'Stopped listening.', 'Info');
  }

  /** Shutdown: StopListening, then close every connection with 1001 once what was queued for it is out. */
  async shutdown(): Promise<void> {
    await this.stopListening();
    const closing: Promise<void>[] = [];
    const wait = this.settings.bool('WaitForCloseResponse');
    for (const connection of [...this.registry.values()]) {
      closing.push(connection.close(1001, 'Server shutting down', wait, this.closeWaitSeconds(connection)));
    }
    await Promise.all(closing);
  }

  /** Disconnect: closes the connection with DisconnectStatusCode/DisconnectStatusDescription. */
  async disconnect(id: ConnectionIdLike): Promise<void> {
    const connection = this.connection(id);
    await connection.close(
      this.settings.int('DisconnectStatusCode'),
      this.settings.str('DisconnectStatusDescription'),
      this.settings.bool('WaitForCloseResponse'),
      this.closeWaitSeconds(connection),
    );
  }

  private closeWaitSeconds(connection: WSConnection): number {
    return connection.timeout > 0 ? connection.timeout : 5;
  }

  /**
   * DoEvents: fires everything queued, or waits up to SelectWaitMillis for something to fire. With
   * something queued it fires at once and returns a settled promise (no promise is made per call).
   */
  doEvents(): Promise<void> {
    if (this.queue.length === 0) return this.queue.wait(this.selectWaitMillis).then(this.drainAfterWait);
    try {
      this.drainQueue();
    } catch (error) {
      return Promise.reject(error);
    }
    return RESOLVED;
  }

  private readonly drainAfterWait = (): void => this.drainQueue();

  /** Fires what is queued, then writes what the handlers sent, once per connection. */
  private drainQueue(): void {
    this.draining = true;
    try {
      this.queue.drain();
    } finally {
      this.draining = false;
      this.flushPending();
    }
  }

  /**
   * @internal `connection` gathered output outside its own read (a send from a timer, from another
   * connection's handler, from DoEvents): it is written when the current dispatch round is over, or on
   * the next tick — one tick for the whole server, however many connections sent.
   */
  scheduleFlush(connection: WSConnection): void {
    this.pendingFlush.push(connection);
    if (this.flushArmed || this.draining) return;
    this.flushArmed = true;
    process.nextTick(flushPendingTick, this);
  }

  /** @internal Writes the output of every connection that scheduleFlush() was told about. */
  flushPending(): void {
    this.flushArmed = false;
    const pending = this.pendingFlush;
    for (let i = 0; i < pending.length; i++) {
      const connection = pending[i]!;
      if (connection.flushScheduled) connection.flush();
    }
    pending.length = 0;
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
      return this.connection(id).sendMessage(Opcode.Binary, this.toBytes(data));
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
    const connection = this.findConnection(id);
    if (!connection) return ErrorCode.InvalidConnectionId;
    const format = dataFormat === undefined ? connection.dataFormat : dataFormat;
    let opcode: number;
    let bytes: Buffer | WSServerError;
    if (format === 1) {
      opcode = Opcode.Text;
      bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : asBuffer(data);
      if (typeof data !== 'string' && !isValidUtf8(bytes)) return ErrorCode.InvalidArgument;
    } else if (format === 2) {
      opcode = Opcode.Binary;
      bytes = this.toBytes(data);
    } else if (format === 0 || format === 9 || format === 10) {
      [opcode, bytes] = this.formatData(format, data);
    } else {
      return ErrorCode.InvalidArgument;
    }
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
    const [opcode, bytes] = this.formatData(connection.dataFormat, data);
    if (bytes instanceof WSServerError) return Promise.reject(bytes);
    return connection.sendMessage(opcode, bytes);
  }

  /**
   * WSConnectionDataToSend: sends `data` as Send does. Asynchronous connections report 10035 at once
   * (thrown); synchronous ones send in the background and report failures through the Error event.
   */
  setDataToSend(id: ConnectionIdLike, data: Uint8Array | string): void {
    const connection = this.connection(id);
    const [opcode, bytes] = this.formatData(connection.dataFormat, data);
    if (bytes instanceof WSServerError) throw bytes;
    if (connection.timeout === 0) {
      connection.queueMessage(opcode, bytes);
      return;
    }
    connection.sendMessage(opcode, bytes).catch((error) => {
      const failure = toServerError(error);
      this.reportError(connection.connectionId, failure.code, failure.message);
    });
  }

  /** SendFile: the file's bytes as one binary message, streamed. */
  sendFile(id: ConnectionIdLike, path: string): Promise<void> {
    try {
      return this.connection(id).sendFile(String(path));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Bytes and opcode for Send/DataToSend according to DataFormat. */
  private formatData(dataFormat: number, data: Uint8Array | string): [number, Buffer | WSServerError] {
    switch (dataFormat) {
      case 1:
        // dfText with bytes: "Data that has already been UTF-8 encoded may also be supplied" — it must be UTF-8.
        return [Opcode.Text, typeof data === 'string' ? Buffer.from(data, 'utf8') : checkedUtf8(data)];
      case 2:
        return [Opcode.Binary, this.toBytes(data)];
      case 9:
      case 10: {
        const bytes = this.toBytes(data);
        if (bytes.length > 125) return [Opcode.Ping, new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. Ping and pong data is at most 125 bytes.')];
        return [dataFormat === 9 ? Opcode.Ping : Opcode.Pong, bytes];
      }
      default:
        // dfAutomatic: a string that is valid Unicode goes as text; one with a lone surrogate (which
        // UTF-8 cannot carry) and bytes go as binary.
        if (typeof data === 'string' && isWellFormed(data)) return [Opcode.Text, Buffer.from(data, 'utf8')];
        return [Opcode.Binary, this.toBytes(data)];
    }
  }

  private toBytes(data: Uint8Array | string): Buffer {
    if (typeof data === 'string') return encodeString(data, this.codePage);
    return asBuffer(data);
  }

  // ─── Config ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Config: "Name=Value" sets, "Name" reads (always a string), "Name[cid]" addresses a per-connection
   * setting. Unknown names → 606; read-only → 607; bad values → 608.
   */
  config(text: string): string {
    const parsed = parseConfigString(String(text));
    if (!parsed) throw new WSServerError(ErrorCode.UnknownConfig, `Unknown configuration setting: ${String(text)}.`);
    const info = findSetting(parsed.name);
    if (!info) throw new WSServerError(ErrorCode.UnknownConfig, `Unknown configuration setting: ${parsed.name}.`);
    if (parsed.index !== undefined) {
      if (!info.perConnection) {
        throw new WSServerError(ErrorCode.InvalidArgument, `Invalid argument. ${info.name} is not a per-connection setting.`);
      }
      const connection = this.connection(parsed.index);
      if (parsed.value === undefined) return this.connectionSetting(connection, info);
      if (info.readOnly) throw new WSServerError(ErrorCode.ReadOnlyConfig);
      this.setConnectionSetting(connection, info, parseSettingValue(info, parsed.value));
      return '';
    }
    if (parsed.value === undefined) return this.serverSetting(info);
    if (info.readOnly) throw new WSServerError(ErrorCode.ReadOnlyConfig);
    this.setServerSetting(info, parseSettingValue(info, parsed.value));
    return '';
  }

  private serverSetting(info: SettingInfo): string {
    switch (info.name) {
      case 'BuildInfo':
        return `wsserver-compat ${VERSION} (Node.js ${process.version}, ${process.platform}-${process.arch})`;
      case 'LicenseInfo':
        return 'wsserver-compat is open source (MIT): no license key is needed or checked.';
      default:
        return formatSettingValue(this.settings.get(info.name));
    }
  }

  /** Per-connection settings: the connection's own value; the TLS layer adds SSLNegotiated*. */
  protected connectionSetting(connection: WSConnection, info: SettingInfo): string {
    switch (info.name) {
      case 'ConnectionUID':
        return connection.uid;
      case 'MaxLineLength':
        return String(connection.maxLineLength);
      case 'MessageLength':
        return String(connection.messageRemaining);
      default:
        // SSLNegotiated*: from the connection's TLS session ('' for plain ws).
        return negotiatedSetting(connection, info.name) ?? '';
    }
  }

  private setConnectionSetting(connection: WSConnection, info: SettingInfo, value: SettingValue): void {
    if (info.name === 'MaxLineLength') connection.setMaxLineLength(value as number);
    else if (info.name === 'MessageLength') {
      if (connection.timeout === 0) connection.messageRemaining = value as number;
    }
  }

  private setServerSetting(info: SettingInfo, value: SettingValue): void {
    switch (info.name) {
      case 'MaxConnections':
        if (this.listeningValue) throw new WSServerError(ErrorCode.MaxConnectionsWhileListening);
        break;
      case 'CodePage':
        if (!isSupportedCodePage(value as number)) {
          throw new WSServerError(ErrorCode.UnsupportedCodePage, `Unsupported code page: ${value}.`);
        }
        break;
      case 'DisconnectStatusCode':
        if (!isSendableCloseCode(value as number)) {
          throw new WSServerError(ErrorCode.InvalidConfigValue, `Invalid configuration setting value for DisconnectStatusCode: ${value} cannot be sent in a close frame.`);
        }
        break;
      case 'AllowedClients':
      case 'BlockedClients': {
        let list: ClientList;
        try {
          list = parseClientList(value as string);
        } catch (error) {
          throw new WSServerError(ErrorCode.InvalidConfigValue, `Invalid configuration setting value for ${info.name}: ${(error as Error).message}`);
        }
        if (info.name === 'AllowedClients') this.allowed = list;
        else this.blocked = list;
        break;
      }
      case 'UseSSL': {
        const text = String(value).trim().toLowerCase();
        if (text !== '' && text !== 'auto' && text !== 'true' && text !== 'false') {
          throw new WSServerError(ErrorCode.InvalidConfigValue, 'Invalid configuration setting value for UseSSL: use true, false or an empty value.');
        }
        break;
      }
      default:
    }
    this.settings.put(info.name, value);
    switch (info.name) {
      case 'ProcessIdleEvents':
        this.processIdle = value as boolean;
        if (this.processIdle && this.queue.length > 0) setImmediate(() => this.drainQueue());
        break;
      case 'LogLevel':
        this.logLevelValue = value as number;
        break;
      case 'MaxReadTime':
        this.maxReadTime = value as number;
        break;
      case 'OutBufferSize':
        this.outBufferSize = value as number;
        break;
      case 'InBufferSize':
        this.inputLimit = (value as number) * 16;
        break;
      case 'MaxLineLength':
        this.maxLineLength = value as number;
        break;
      case 'CodePage':
        this.codePage = value as number;
        break;
      case 'SelectWaitMillis':
        this.selectWaitMillis = value as number;
        break;
      case 'MaxFrameSize':
      case 'BufferMessage':
        for (const connection of this.registry.values()) connection.applySetting(info.name, value);
        break;
      default:
    }
  }

  // ─── Accepting connections ──────────────────────────────────────────────────────────────────

  /** A TCP connection arrived (paused: nothing is read before ConnectionRequest allows it). */
  protected accept(socket: Socket): WSConnection | null {
    if (this.registry.size >= this.settings.int('MaxConnections')) {
      const address = socket.remoteAddress ?? '';
      socket.on('error', () => undefined);
      socket.destroy();
      this.log(0, 1, `Connection from ${address} refused: MaxConnections (${this.settings.int('MaxConnections')}) reached.`, 'Error');
      return null;
    }
    const id = ++this.lastId;
    const connection = new WSConnection(this, socket, id);
    this.registry.set(id, connection);
    if (this.settings.bool('TcpNoDelay')) socket.setNoDelay(true);
    const keepAlive = this.settings.int('KeepAliveTime');
    if (keepAlive > 0) socket.setKeepAlive(true, keepAlive);
    if (this.logs(1)) this.log(id, 1, `Connection request from ${connection.remoteHost}:${connection.remotePort}.`, 'Info');
    // The address is read only when something looks at it: the client lists, a listener, the log.
    const filtered = this.allowed.entries.length > 0 || this.blocked.entries.length > 0;
    if (!filtered && this.listenerCount('ConnectionRequest') === 0) {
      this.startHandshake(connection);
      return connection;
    }
    const event: ConnectionRequestEvent = {
      address: connection.remoteHost,
      port: connection.remotePort,
      accept: defaultAccept(connection.remoteHost, this.allowed, this.blocked),
    };
    this.dispatchHeld('ConnectionRequest', event, () => {
      if (event.accept) {
        this.startHandshake(connection);
      } else {
        if (this.logs(1)) this.log(id, 1, `Connection from ${connection.remoteHost} refused.`, 'Info');
        connection.refuse();
      }
    });
    return connection;
  }

  /** Begins reading the upgrade request; the TLS layer first runs its handshake. */
  protected startHandshake(connection: WSConnection): void {
    if (this.tls) this.tls.begin(connection, () => connection.beginHandshake());
    else connection.beginHandshake();
  }

  /** A connection's socket closed. */
  connectionClosed(connection: WSConnection): void {
    this.registry.delete(connection.connectionId);
  }

  // ─── Dispatch ───────────────────────────────────────────────────────────────────────────────

  /** @internal Whether `name` has listeners: callers skip building an event nobody receives. */
  listens(name: WSServerEventName): boolean {
    return this.listenerCount(name) > 0;
  }

  /** Fires (or queues) an informational event; nothing is built or queued when nobody listens. */
  dispatchEvent<K extends WSServerEventName>(name: K, event: WSServerEvents[K]): void {
    if (this.listenerCount(name) === 0) return;
    if (this.processIdle) this.fire(name, event);
    else this.queue.push(new QueuedFire(this, name, event, null));
  }

  /**
   * Fires (or queues) an event with out-parameters; `after` runs once it fired and reads them. With no
   * listener there is nothing to decide: `after` runs at once, in DoEvents mode too.
   */
  dispatchHeld<K extends WSServerEventName>(name: K, event: WSServerEvents[K], after: () => void): void {
    if (this.listenerCount(name) === 0) return after();
    if (this.processIdle) {
      this.fire(name, event);
      after();
    } else {
      this.queue.push(new QueuedFire(this, name, event, after));
    }
  }

  /** An engine step that must keep its place among the queued events (e.g. failing a connection). */
  dispatchAction(action: () => void): void {
    if (this.processIdle || this.queue.length === 0) action();
    else this.queue.push({ fire: action });
  }

  dispatchDataIn(connection: WSConnection, event: DataInEvent): void {
    if (this.listenerCount('DataIn') === 0) return;
    if (this.processIdle) return this.fire('DataIn', event);
    connection.inputQueued(event.textB.length, this.inputLimit);
    this.queue.push(new QueuedDataIn(this, connection, event));
  }

  /** Emits one event; a listener that throws is reported through the Error event, never through itself. */
  fire(name: WSServerEventName, event: unknown): void {
    try {
      this.emit(name, event);
    } catch (error) {
      if (name === 'Error') return;
      this.handlerFailed(name, event, error);
    }
  }

  private handlerFailed(name: string, event: unknown, error: unknown): void {
    const id = typeof event === 'object' && event !== null ? ((event as { connectionId?: number }).connectionId ?? 0) : 0;
    const detail = error instanceof Error ? error.message : String(error);
    // A Log handler that throws must not be told about it through Log again.
    if (name !== 'Log') this.log(id, 1, `The ${name} handler threw: ${detail}`, 'Error');
    this.reportError(id, ErrorCode.CallbackError, `An event handler threw an exception in ${name}: ${detail}`);
  }

  /**
   * @internal MaxReadTime bookkeeping: a number that changes once per event-loop turn (at most one
   * setImmediate per turn for the whole server, and only while connections read).
   */
  readTurn(): number {
    if (!this.readTurnTicking) {
      this.readTurnTicking = true;
      setImmediate(advanceReadTurn, this);
    }
    return this.readTurnValue;
  }

  /** @internal */
  advanceReadTurn(): void {
    this.readTurnTicking = false;
    this.readTurnValue++;
  }

  /** The Error event. */
  reportError(connectionId: number, errorCode: number, description: string): void {
    this.dispatchEvent('Error', { connectionId, errorCode, description });
  }

  // ─── Log ────────────────────────────────────────────────────────────────────────────────────

  /** The Log event, when LogLevel asks for `level`. */
  log(connectionId: number, level: number, message: string, logType: string): void {
    if (level > this.logLevelValue || this.listenerCount('Log') === 0) return;
    this.dispatchEvent('Log', { connectionId, logLevel: level, message, logType });
  }

  /** @internal Whether log() at `level` would fire: callers skip building messages nobody reads. */
  logs(level: number): boolean {
    return level <= this.logLevelValue && this.listenerCount('Log') > 0;
  }

  /** LogLevel 2: the request headers (secrets masked with MaskSensitive). */
  logHeaders(connectionId: number, headers: ReadonlyArray<[string, string]>): void {
    if (this.logLevelValue < 2 || this.listenerCount('Log') === 0) return;
    const mask = this.settings.bool('MaskSensitive');
    for (const [name, value] of headers) {
      const shown = mask && SENSITIVE_HEADERS.has(name.toLowerCase()) ? '********' : value;
      this.log(connectionId, 2, `${name}: ${shown}`, 'Verbose');
    }
  }

  /** LogLevel 3: bytes received (or sent), with the first 32 in hex. */
  logFrames(connectionId: number, direction: 'in' | 'out', chunk: Buffer): void {
    if (this.logLevelValue < 3 || this.listenerCount('Log') === 0) return;
    this.log(connectionId, 3, `${direction === 'in' ? 'Received' : 'Sent'} ${chunk.length} bytes: ${chunk.subarray(0, 32).toString('hex')}${chunk.length > 32 ? '…' : ''}`, 'Debug');
  }

  /** LogLevel 3: one batch of frames written to the socket at once (`total` bytes in chunks[0..count)). */
  logOutgoing(connectionId: number, chunks: readonly Buffer[], count: number, total: number): void {
    if (this.logLevelValue < 3 || this.listenerCount('Log') === 0) return;
    const head = count === 1 ? chunks[0]! : Buffer.concat(chunks.slice(0, count), Math.min(total, 32));
    this.log(connectionId, 3, `Sent ${total} bytes: ${head.subarray(0, 32).toString('hex')}${total > 32 ? '…' : ''}`, 'Debug');
  }
}

/** A queued DataIn: fires the event, then tells its connection the bytes were handed out. */
class QueuedDataIn {
  constructor(
    private readonly server: WSServer,
    private readonly connection: WSConnection,
    private readonly event: DataInEvent,
  ) {}

  fire(): void {
    this.server.fire('DataIn', this.event);
    this.connection.inputDispatched(this.event.textB.length, this.server.inputLimit);
  }
}

class QueuedFire {
  constructor(
    private readonly server: WSServer,
    private readonly name: WSServerEventName,
    private readonly event: unknown,
    private readonly after: (() => void) | null,
  ) {}

  fire(): void {
    this.server.fire(this.name, this.event);
    this.after?.();
  }
}

function advanceReadTurn(server: WSServer): void {
  server.advanceReadTurn();
}

function flushPendingTick(server: WSServer): void {
  server.flushPending();
}

/** sendText's bytes: a string encoded as UTF-8; bytes as they are, when they are UTF-8 (else 616). */
function textBytes(text: unknown): Buffer {
  if (typeof text === 'string') return Buffer.from(text, 'utf8');
  if (!(text instanceof Uint8Array)) return Buffer.from(String(text), 'utf8');
  const bytes = checkedUtf8(text);
  if (bytes instanceof WSServerError) throw bytes;
  return bytes;
}

function checkedUtf8(data: Uint8Array): Buffer | WSServerError {
  const bytes = asBuffer(data);
  return isValidUtf8(bytes) ? bytes : new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. Text data is not valid UTF-8.');
}

/** The same bytes as a Buffer, without copying. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** True when `text` has no lone surrogate, i.e. it is valid UTF-8 once encoded. */
function isWellFormed(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  if (native) return native.call(text);
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function checkInteger(value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new WSServerError(ErrorCode.InvalidValue);
  return n;
}
