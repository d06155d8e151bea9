/**
 * One client connection: a socket (plain or TLS) driven through the opening handshake and then
 * through the sans-I/O ServerConnection. It owns the socket-facing work — write coalescing,
 * backpressure and ReadyToSend, read pausing (AcceptData), timers, line mode, SendFile — and shows the
 * reference's per-connection properties (WSConnection*) to the application.
 *
 * Socket listeners are shared functions that find the connection through a symbol on the socket, so
 * an idle connection costs no closures.
 */
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { open as openFile } from 'node:fs/promises';
import { CloseCode, Opcode } from '../protocol/constants';
import { HandshakeError, ProtocolError } from '../protocol/errors';
import { ServerConnection, type ConnectionHandler } from '../protocol/connection';
import { HttpRequestParser } from '../protocol/http-request';
import {
  formatAcceptResponse,
  formatRejectResponse,
  validateUpgradeRequest,
  type UpgradeRequest,
} from '../protocol/handshake';
import { negotiatePermessageDeflate, PerMessageDeflate } from '../protocol/permessage-deflate';
import { ErrorCode } from '../generated/api';
import { WSServerError } from './errors';
import { DataInEvent, type WebSocketOpenRequestEvent } from './events';
import { LineSplitter } from './line-splitter';
import { socketErrorCode } from './socket-errors';
import type { WSServer } from './ws-server';

/** Where a connection is in its life. */
export const Phase = Object.freeze({
  /** TCP accepted; ConnectionRequest decides whether it may go on. Nothing has been read. */
  Requested: 0,
  /** Reading the HTTP upgrade request. */
  Handshake: 1,
  /** The request is complete; WebSocketOpenRequest decides. Reading is paused. */
  Opening: 2,
  /** WebSocket open. */
  Open: 3,
  /** Close frame sent; waiting for the peer's close or the TCP end. */
  Closing: 4,
  /** The socket is gone. */
  Closed: 5,
} as const);
export type Phase = (typeof Phase)[keyof typeof Phase];

const kConnection = Symbol('wsserver-compat.connection');
const EMPTY = Buffer.alloc(0);
/** Batches up to this size are joined into one buffer (one write, one syscall); larger ones use cork/uncork. */
const JOIN_LIMIT = 64 * 1024;
/** How long a rejected handshake or a closed WebSocket waits for the client's FIN before the socket is destroyed. */
const LINGER_MS = 2000;

type SocketWithConnection = Socket & { [kConnection]?: WSConnection };

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** The per-connection face of the server (the reference's WSConnection* properties) and its socket driver. */
export class WSConnection implements ConnectionHandler {
  /** The identifier used everywhere in the API. Never reused during the server's life. */
  readonly connectionId: number;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly localAddress: string;
  /** Unique across servers and restarts (the ConnectionUID config setting). */
  readonly uid: string;

  // From the upgrade request.
  host = '';
  origin = '';
  requestURI = '';
  requestHeaders = '';
  /** The subprotocols the client offered (comma-separated). */
  subProtocols = '';
  /** The subprotocol selected in the handshake ('' if none). */
  protocol = '';
  /** The negotiated Sec-WebSocket-Extensions value ('' if none). */
  extensions = '';

  /** Send format for DataToSend/Send: 0 auto, 1 text, 2 binary, 9 ping, 10 pong. */
  dataFormat = 0;
  /** Bytes of the last DataToSend/Send that were queued (all or nothing; always 0 in synchronous mode). */
  bytesSent = 0;
  /** False after a send failed with 10035, until ReadyToSend fires. */
  readyToSend = false;
  /** Seconds: 0 asynchronous sends; > 0 sends wait for room up to this long. */
  timeout: number;
  /** MaxLineLength[cid]. */
  maxLineLength: number;

  phase: Phase = Phase.Requested;

  private readonly server: WSServer;
  private readonly socket: SocketWithConnection;
  private core: ServerConnection | null = null;
  private httpParser: HttpRequestParser | null = null;
  private upgrade: UpgradeRequest | null = null;
  private pendingInput: Buffer | null = null;

  // Output batching.
  private out: Buffer[] = [];
  private outBytes = 0;
  private inReceive = false;
  private flushScheduled = false;
  private endWhenFlushed = false;

  private acceptDataValue = true;
  private pausedForQueue = false;
  /** Bytes of DataIn events queued and not yet fired (DoEvents mode). */
  queuedInput = 0;

  private lineSplitter: LineSplitter | null = null;
  /** MessageLength[cid]: bytes still to come in the current multi-call message. */
  messageRemaining = 0;

  private handshakeTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private drainWaiters: Waiter[] | null = null;
  private drainArmed = false;
  private pings: Map<string, Waiter> | null = null;
  private pingCounter = 0;
  private interrupted: Set<Waiter> | null = null;
  private sendingFile = false;
  private fileInterrupted = false;

  private closeCode: number = CloseCode.Abnormal;
  private closeReason = '';
  private wasOpen = false;
  private closedPromise: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;

  constructor(server: WSServer, socket: Socket, connectionId: number) {
    this.server = server;
    this.socket = socket as SocketWithConnection;
    this.connectionId = connectionId;
    this.remoteHost = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = normalizeAddress(socket.localAddress ?? '');
    this.uid = randomUUID();
    this.timeout = server.defaultTimeout;
    this.maxLineLength = server.settings.int('MaxLineLength');
    this.socket[kConnection] = this;
    socket.on('data', socketOnData);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('end', socketOnEnd);
  }

  // ─── Reference properties ───────────────────────────────────────────────────────────────────

  /** WSConnectionConnected: true while the WebSocket is open. Setting false closes it. */
  get connected(): boolean {
    return this.phase === Phase.Open;
  }

  /** WSConnectionAcceptData: false stops reading and DataIn; true resumes. Nothing is lost. */
  get acceptData(): boolean {
    return this.acceptDataValue;
  }

  set acceptData(value: boolean) {
    if (value === this.acceptDataValue) return;
    this.acceptDataValue = value;
    if (!value) {
      this.core?.suspend();
      this.socket.pause();
      return;
    }
    this.inReceive = true;
    this.core?.unsuspend();
    this.inReceive = false;
    this.flush();
    this.updateReading();
  }

  /** WSConnectionLineMode (read-only; changed by ChangeLineMode). */
  get lineMode(): boolean {
    return this.lineSplitter !== null;
  }

  /** Bytes waiting to be written to this client. */
  get queuedBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  /** The negotiated TLS details, when the socket is TLS. */
  get rawSocket(): Socket {
    return this.socket;
  }

  // ─── Start: ConnectionRequest, then the opening handshake ───────────────────────────────────

  /** Continues after ConnectionRequest accepted: read the upgrade request. */
  beginHandshake(): void {
    if (this.phase !== Phase.Requested) return;
    const settings = this.server.settings;
    this.phase = Phase.Handshake;
    this.httpParser = new HttpRequestParser({ maxHeaderSize: settings.int('MaxHeaderSize') });
    const deadline = settings.int('HandshakeTimeout');
    // Slowloris: a client that sends half a request and waits is dropped at the deadline.
    if (deadline > 0) this.handshakeTimer = setTimeout(handshakeTimedOut, deadline * 1000, this);
    const idle = settings.int('DefaultConnectionTimeout');
    if (idle > 0) {
      this.socket.setTimeout(idle * 1000);
      this.socket.once('timeout', socketOnTimeout);
    }
    this.socket.resume();
  }

  /** Refuses the connection before anything was read (ConnectionRequest said no). */
  refuse(): void {
    this.phase = Phase.Closed;
    this.socket.destroy();
  }

  handshakeTimeout(): void {
    this.handshakeTimer = null;
    if (this.phase !== Phase.Handshake && this.phase !== Phase.Opening) return;
    this.server.log(this.connectionId, 1, 'Handshake timed out.', 'Error');
    if (this.phase === Phase.Handshake) this.reject(408, []);
    else this.socket.destroy();
  }

  private receiveHandshake(chunk: Buffer): void {
    let upgrade: UpgradeRequest;
    try {
      const request = this.httpParser!.push(chunk);
      if (!request) return;
      this.pendingInput = this.httpParser!.takeRemainder();
      this.httpParser = null;
      upgrade = validateUpgradeRequest(request);
    } catch (error) {
      if (error instanceof HandshakeError) {
        this.server.log(this.connectionId, 1, `Handshake refused (${error.httpStatus}): ${error.message}`, 'Error');
        this.reject(error.httpStatus, error.headers.map(([n, v]) => [n, v]));
        return;
      }
      throw error;
    }
    this.clearHandshakeTimer();
    this.socket.pause();
    this.phase = Phase.Opening;
    this.upgrade = upgrade;
    this.host = upgrade.host;
    this.origin = upgrade.origin;
    this.requestURI = upgrade.uri;
    this.requestHeaders = upgrade.request.rawHeaders;
    this.subProtocols = upgrade.subprotocols.join(', ');
    this.server.log(this.connectionId, 1, `GET ${upgrade.uri} HTTP/${upgrade.request.httpVersion}`, 'Info');
    this.server.logHeaders(this.connectionId, upgrade.request.headers);

    const event: WebSocketOpenRequestEvent = {
      connectionId: this.connectionId,
      requestURI: upgrade.uri,
      hostHeader: upgrade.host,
      originHeader: upgrade.origin,
      subProtocols: this.subProtocols,
      extensions: upgrade.extensionsHeader,
      requestHeaders: upgrade.request.rawHeaders,
      statusCode: 101,
      responseHeaders: '',
    };
    // The handshake stays paused until the event has fired: its out-parameters decide.
    this.server.dispatchHeld('WebSocketOpenRequest', event, () => this.completeHandshake(event));
  }

  private completeHandshake(event: WebSocketOpenRequestEvent): void {
    if (this.phase !== Phase.Opening) return;
    const upgrade = this.upgrade!;
    this.upgrade = null;
    const status = Number(event.statusCode);
    if (status !== 101) {
      this.server.log(this.connectionId, 1, `Handshake rejected by the application with status ${status}.`, 'Info');
      this.reject(Number.isInteger(status) && status >= 200 && status <= 999 ? status : 500, event.responseHeaders);
      return;
    }
    const settings = this.server.settings;
    let deflate: PerMessageDeflate | null = null;
    if (settings.bool('EnablePermessageDeflate') && upgrade.extensionOffers.length > 0) {
      const agreed = negotiatePermessageDeflate(upgrade.extensionOffers);
      if (agreed) {
        deflate = new PerMessageDeflate(agreed.params, { maxMessageSize: settings.int('MaxMessageSize') });
        this.extensions = agreed.response;
      }
    }
    const selected = String(event.subProtocols ?? '').trim();
    if (upgrade.subprotocols.includes(selected)) this.protocol = selected;
    let response: Buffer;
    try {
      response = formatAcceptResponse({
        key: upgrade.key,
        subprotocol: this.protocol || undefined,
        offered: upgrade.subprotocols,
        extensions: this.extensions,
        headers: event.responseHeaders || undefined,
      });
    } catch (error) {
      deflate?.close();
      this.server.reportError(this.connectionId, ErrorCode.InvalidArgument, `Bad response headers: ${(error as Error).message}`);
      this.reject(500, []);
      return;
    }
    this.socket.write(response);
    this.socket.setTimeout(0);
    this.core = new ServerConnection(this, {
      deflate,
      maxMessageSize: settings.int('MaxMessageSize'),
      maxFrameSize: settings.int('MaxFrameSize'),
      bufferMessages: settings.bool('BufferMessage'),
    });
    this.phase = Phase.Open;
    this.wasOpen = true;
    this.readyToSend = true;
    this.server.log(this.connectionId, 1, `WebSocket opened${this.extensions ? ` (${this.extensions})` : ''}.`, 'Info');
    this.server.dispatchEvent('Connected', { connectionId: this.connectionId });
    this.server.dispatchEvent('ReadyToSend', { connectionId: this.connectionId });
    const early = this.pendingInput;
    this.pendingInput = null;
    if (early && early.length > 0) this.receive(early);
    this.updateReading();
  }

  /** Answers the handshake with an HTTP error and closes. */
  private reject(status: number, headers: string | Array<[string, string]>): void {
    this.clearHandshakeTimer();
    this.phase = Phase.Closed;
    let response: Buffer;
    try {
      response = formatRejectResponse(status, { headers });
    } catch {
      response = formatRejectResponse(status);
    }
    this.socket.end(response);
    setTimeout(lingerOver, LINGER_MS, this.socket).unref();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
  }

  // ─── Input ──────────────────────────────────────────────────────────────────────────────────

  onSocketData(chunk: Buffer): void {
    if (this.phase === Phase.Handshake) {
      this.receiveHandshake(chunk);
      return;
    }
    if (this.core) this.receive(chunk);
  }

  private receive(chunk: Buffer): void {
    this.server.logFrames(this.connectionId, 'in', chunk);
    const started = this.server.maxReadTime > 0 ? performance.now() : 0;
    this.inReceive = true;
    this.core!.receiveData(chunk);
    this.inReceive = false;
    this.flush();
    // MaxReadTime: a connection whose input took long to handle yields its turn to the others.
    if (started > 0 && performance.now() - started > this.server.maxReadTime && this.phase === Phase.Open) {
      this.socket.pause();
      setImmediate(resumeAfterYield, this);
    }
  }

  /** ConnectionHandler: message data from the protocol core. */
  onData(opcode: number, data: Buffer, first: boolean, last: boolean): void {
    if (this.lineSplitter) {
      this.lineSplitter.push(data, this.emitLine!);
      this.releaseLine(last && this.lineSplitter.pending === 0);
      return;
    }
    const format = first ? opcode : 0;
    this.server.dispatchDataIn(this, new DataInEvent(this.connectionId, format, data, last, false, opcode === Opcode.Text));
  }

  /** Line mode: each line is held until the next one (or the end of the piece) shows whether it ends the message. */
  private emitLine: ((line: Buffer, eol: boolean) => void) | null = null;
  private heldLine: Buffer | null = null;
  private heldEol = false;

  private holdLine(line: Buffer, eol: boolean): void {
    this.releaseLine(false);
    this.heldLine = line;
    this.heldEol = eol;
  }

  private releaseLine(eom: boolean): void {
    const line = this.heldLine;
    if (!line) return;
    this.heldLine = null;
    this.server.dispatchDataIn(this, new DataInEvent(this.connectionId, 0, line, eom, this.heldEol, true));
  }

  onPing(payload: Buffer): void {
    this.server.dispatchEvent('Ping', pingEvent(this.connectionId, payload, false));
  }

  onPong(payload: Buffer): void {
    const key = payload.toString('hex');
    const waiter = this.pings?.get(key);
    if (waiter) {
      this.pings!.delete(key);
      waiter.resolve();
    }
    this.server.dispatchEvent('Ping', pingEvent(this.connectionId, payload, true));
  }

  onPeerClose(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    this.phase = Phase.Closing;
    this.server.log(this.connectionId, 1, `Close received (${code}${reason ? ` ${reason}` : ''}).`, 'Info');
    // §7.1.1: the server closes the TCP connection first, once its close frame is out.
    this.endWhenFlushed = true;
    this.socket.pause();
    if (!this.inReceive) this.flush();
  }

  onProtocolError(error: ProtocolError): void {
    this.socket.pause();
    this.server.log(this.connectionId, 1, `Protocol error: ${error.message} (close ${error.closeCode}).`, 'Error');
    this.server.reportError(this.connectionId, ErrorCode.ProtocolViolation, `${error.message} (${error.code}).`);
    // Queued events of this connection fire (and may be answered) before the close frame goes out.
    this.server.dispatchAction(() => this.failNow(error));
  }

  private failNow(error: ProtocolError): void {
    if (!this.core || this.phase >= Phase.Closed) return;
    this.core.fail(error);
    this.closeCode = error.closeCode;
    this.closeReason = error.message;
    this.phase = Phase.Closing;
    this.endWhenFlushed = true;
    this.flush();
  }

  onSocketEnd(): void {
    // The client half-closed: nothing more will come. Answer with our FIN once our output is out.
    if (this.phase === Phase.Open) this.endWhenFlushed = true;
    this.flush();
  }

  onSocketClose(): void {
    const wasPhase = this.phase;
    this.phase = Phase.Closed;
    this.clearHandshakeTimer();
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = null;
    this.core?.destroy();
    const closed = new WSServerError(ErrorCode.ConnectionClosed);
    this.rejectWaiters(closed);
    if (this.pings) for (const waiter of this.pings.values()) waiter.reject(closed);
    this.pings = null;
    this.server.connectionClosed(this);
    if (this.wasOpen) {
      this.server.log(this.connectionId, 1, `Disconnected (${this.closeCode}).`, 'Info');
      this.server.dispatchEvent('Disconnected', {
        connectionId: this.connectionId,
        statusCode: this.closeCode,
        description: this.closeReason,
      });
    } else if (wasPhase !== Phase.Closed) {
      this.server.log(this.connectionId, 1, 'Connection closed during the handshake.', 'Info');
    }
    this.resolveClosed?.();
  }

  onSocketError(error: Error): void {
    const code = socketErrorCode(error);
    this.server.log(this.connectionId, 1, `Socket error${code ? ` ${code}` : ''}: ${error.message}`, 'Error');
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.phase === Phase.Closed && !this.socket.destroyed) return Promise.resolve();
    return (this.closedPromise ??= new Promise((resolve) => {
      if (this.socket.destroyed && this.phase === Phase.Closed) resolve();
      this.resolveClosed = resolve;
    }));
  }

  resumeAfterYield(): void {
    this.updateReading();
  }

  /** Reads from the socket unless something holds reading. */
  updateReading(): void {
    if (this.phase !== Phase.Open || !this.acceptDataValue || this.pausedForQueue || this.endWhenFlushed) return;
    this.socket.resume();
  }

  /** DoEvents mode: too much undispatched input stops reading until DoEvents catches up. */
  inputQueued(bytes: number, limit: number): void {
    this.queuedInput += bytes;
    if (this.queuedInput > limit && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.socket.pause();
    }
  }

  inputDispatched(bytes: number, limit: number): void {
    this.queuedInput -= bytes;
    if (this.pausedForQueue && this.queuedInput <= limit / 2) {
      this.pausedForQueue = false;
      this.updateReading();
    }
  }

  // ─── Output ─────────────────────────────────────────────────────────────────────────────────

  /** ConnectionHandler: bytes for the client. Gathered and written once per batch. */
  write(data: Buffer): void {
    this.out.push(data);
    this.outBytes += data.length;
    if (!this.inReceive && !this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(flushTick, this);
    }
  }

  flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length > 0 && !this.socket.destroyed) {
      this.server.logOutgoing(this.connectionId, out);
      if (out.length === 1) {
        this.socket.write(out[0]!);
      } else if (this.outBytes <= JOIN_LIMIT) {
        this.socket.write(Buffer.concat(out, this.outBytes));
      } else {
        this.socket.cork();
        for (const chunk of out) this.socket.write(chunk);
        this.socket.uncork();
      }
      this.out = [];
      this.outBytes = 0;
    }
    if (this.endWhenFlushed && this.core && !this.core.hasQueuedOutput && !this.socket.destroyed) {
      this.endWhenFlushed = false;
      this.socket.end();
      this.closeTimer ??= setTimeout(lingerOver, LINGER_MS, this.socket);
    }
  }

  /**
   * Sends one message. Asynchronous mode (Timeout 0): queued at once, or 10035 when the outgoing queue is
   * above OutBufferSize. Synchronous mode: waits for room up to Timeout seconds.
   * The returned promise has already queued the data when it was created in asynchronous mode.
   */
  sendMessage(opcode: number, data: Buffer): Promise<void> {
    if (this.timeout === 0) {
      try {
        this.assertOpen();
        const mark = this.server.settings.int('OutBufferSize');
        if (this.queuedBytes > mark || this.sendingFile) {
          this.bytesSent = 0;
          this.readyToSend = false;
          this.armReadyToSend();
          throw new WSServerError(ErrorCode.WouldBlock);
        }
        this.enqueueMessage(opcode, data);
        this.bytesSent = data.length;
        return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.waitForRoom(this.timeout).then(() => {
      this.enqueueMessage(opcode, data, true);
      this.bytesSent = 0;
    });
  }

  private enqueueMessage(opcode: number, data: Buffer, synchronous = false): void {
    const core = this.core!;
    if (opcode === Opcode.Ping) return core.ping(data);
    if (opcode === Opcode.Pong) return core.pong(data);
    if (!synchronous && this.messageRemaining > 0) {
      // MessageLength: the next N bytes, over several sends, form one message.
      if (data.length > this.messageRemaining) {
        throw new WSServerError(ErrorCode.InvalidArgument, `Invalid argument. The data exceeds the ${this.messageRemaining} bytes left of MessageLength.`);
      }
      this.messageRemaining -= data.length;
      core.sendPart(opcode, data, this.messageRemaining === 0);
      return;
    }
    core.send(opcode, data);
  }

  /** Fires ReadyToSend once everything queued so far has been handed to the OS. */
  private armReadyToSend(): void {
    if (this.drainArmed) return;
    this.drainArmed = true;
    this.flush();
    this.socket.write(EMPTY, () => {
      this.drainArmed = false;
      if (this.phase !== Phase.Open) return;
      this.readyToSend = true;
      this.server.dispatchEvent('ReadyToSend', { connectionId: this.connectionId });
    });
  }

  /** Resolves once everything queued so far has been written out. */
  private drained(): Promise<void> {
    this.flush();
    if (this.socket.writableLength === 0) return RESOLVED;
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.drainWaiters === null) {
        this.drainWaiters = [];
        this.socket.write(EMPTY, () => {
          const waiters = this.drainWaiters ?? [];
          this.drainWaiters = null;
          for (const w of waiters) w.resolve();
        });
      }
      this.drainWaiters.push(waiter);
    });
  }

  /** Waits until the queue is below OutBufferSize, up to `seconds` of inactivity (0: no limit). */
  private async waitForRoom(seconds: number): Promise<void> {
    const mark = this.server.settings.int('OutBufferSize');
    while (this.queuedBytes > mark || this.sendingFile) {
      this.assertOpen();
      await this.interruptible(this.sendingFile ? this.fileDone() : this.drained(), seconds);
    }
    this.assertOpen();
  }

  private fileWaiters: Waiter[] = [];
  private fileDone(): Promise<void> {
    return new Promise((resolve, reject) => this.fileWaiters.push({ resolve, reject }));
  }

  /** Races `promise` against Timeout and Interrupt. */
  private interruptible<T>(promise: Promise<T>, seconds: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => undefined,
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const timer = seconds > 0 ? setTimeout(() => waiter.reject(new WSServerError(ErrorCode.Timeout)), seconds * 1000) : null;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        this.interrupted?.delete(waiter);
      };
      (this.interrupted ??= new Set()).add(waiter);
      promise.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (error) => {
          cleanup();
          reject(error);
        },
      );
    });
  }

  private rejectWaiters(error: Error): void {
    if (this.interrupted) for (const waiter of [...this.interrupted]) waiter.reject(error);
    this.interrupted = null;
    const drain = this.drainWaiters;
    this.drainWaiters = null;
    if (drain) for (const waiter of drain) waiter.reject(error);
    const files = this.fileWaiters;
    this.fileWaiters = [];
    for (const waiter of files) waiter.reject(error);
  }

  /** Interrupt: ends a waiting synchronous send or a SendFile without disconnecting. */
  interrupt(): void {
    this.fileInterrupted = this.sendingFile;
    if (this.interrupted) for (const waiter of [...this.interrupted]) waiter.reject(new WSServerError(ErrorCode.Interrupted));
  }

  /** Sends a ping; with a positive Timeout, waits for the matching pong. */
  async ping(): Promise<void> {
    this.assertOpen();
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(++this.pingCounter >>> 0);
    this.core!.ping(payload);
    if (this.timeout === 0) return;
    const pong = new Promise<void>((resolve, reject) => {
      (this.pings ??= new Map()).set(payload.toString('hex'), { resolve, reject });
    });
    try {
      await this.interruptible(pong, this.timeout);
    } finally {
      this.pings?.delete(payload.toString('hex'));
    }
  }

  /**
   * SendFile: streams the file as ONE binary message, a part per read, reading only as fast as the
   * client takes it (never the whole file in memory).
   */
  async sendFile(path: string): Promise<void> {
    this.assertOpen();
    if (this.sendingFile || this.core!.sendingParts) throw new WSServerError(ErrorCode.WouldBlock);
    let handle;
    try {
      handle = await openFile(path, 'r');
    } catch (error) {
      throw new WSServerError(ErrorCode.FileError, `Cannot read file: ${(error as Error).message}`);
    }
    this.sendingFile = true;
    this.fileInterrupted = false;
    const core = this.core!;
    const mark = this.server.settings.int('OutBufferSize');
    const chunkSize = Math.min(Math.max(this.server.settings.int('MaxFrameSize'), 16 * 1024), 1024 * 1024);
    try {
      const { size } = await handle.stat();
      let sent = 0;
      let done = false;
      while (!done) {
        this.assertOpen();
        if (this.fileInterrupted) {
          core.sendPart(Opcode.Binary, EMPTY, true);
          this.flush();
          throw new WSServerError(ErrorCode.Interrupted);
        }
        if (this.queuedBytes > mark) {
          await this.interruptible(this.drained(), this.timeout).catch((error) => {
            if (error instanceof WSServerError && error.code === ErrorCode.Interrupted) this.fileInterrupted = true;
            else throw error;
          });
          continue;
        }
        const chunk = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(size - sent, 1)));
        const { bytesRead } = size - sent > 0 ? await handle.read(chunk, 0, chunk.length, sent) : { bytesRead: 0 };
        this.assertOpen();
        sent += bytesRead;
        done = bytesRead === 0 || sent >= size;
        core.sendPart(Opcode.Binary, chunk.subarray(0, bytesRead), done);
        this.flush();
      }
    } finally {
      this.sendingFile = false;
      await handle.close().catch(() => undefined);
      const waiters = this.fileWaiters;
      this.fileWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
  }

  /** ChangeLineMode. Switching off hands out what was gathered (eol false). */
  changeLineMode(on: boolean): void {
    if (on) {
      this.lineSplitter ??= new LineSplitter(this.maxLineLength);
      this.emitLine ??= (line, eol) => this.holdLine(line, eol);
      return;
    }
    const splitter = this.lineSplitter;
    this.lineSplitter = null;
    if (splitter) {
      splitter.flush(this.emitLine!);
      this.releaseLine(false);
    }
  }

  setMaxLineLength(value: number): void {
    if (this.lineSplitter && this.lineSplitter.pending > 0) throw new WSServerError(ErrorCode.MaxLineLengthWhileConnected);
    this.maxLineLength = value;
    if (this.lineSplitter) this.lineSplitter.maxLineLength = value;
  }

  /** Applies a changed server-wide setting. */
  applySetting(name: string, value: unknown): void {
    const core = this.core;
    if (!core) return;
    if (name === 'MaxFrameSize') core.maxFrameSize = value as number;
    else if (name === 'BufferMessage') core.bufferMessages = value as boolean;
  }

  /**
   * Server-initiated close (Disconnect, Connected=false, Shutdown): close frame with `code`/`reason`; with
   * `waitForReply` the TCP connection ends when the client answers (or after `waitSeconds`), else at once.
   */
  close(code: number, reason: string, waitForReply: boolean, waitSeconds: number): Promise<void> {
    const closed = this.whenClosed();
    if (this.phase < Phase.Open) {
      this.phase = Phase.Closed;
      this.socket.destroy();
      return closed;
    }
    if (this.phase === Phase.Open && this.core) {
      this.closeCode = code;
      this.closeReason = reason;
      this.core.close(code, reason);
      this.phase = Phase.Closing;
      this.server.log(this.connectionId, 1, `Closing (${code}${reason ? ` ${reason}` : ''}).`, 'Info');
      if (waitForReply) {
        this.flush();
        this.closeTimer = setTimeout(lingerOver, waitSeconds * 1000, this.socket);
      } else {
        this.endWhenFlushed = true;
        this.flush();
      }
    }
    return closed;
  }

  /** Drops the TCP connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private assertOpen(): void {
    if (this.phase !== Phase.Open || !this.core || this.core.closing) throw new WSServerError(ErrorCode.ConnectionClosed);
  }
}

const RESOLVED = Promise.resolve();

function pingEvent(connectionId: number, payload: Buffer, response: boolean) {
  return { connectionId, payload: payload.toString('latin1'), payloadB: payload, response };
}

/** '::ffff:127.0.0.1' → '127.0.0.1': the reference shows IPv4 clients in dotted form. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function socketOnData(this: SocketWithConnection, chunk: Buffer): void {
  this[kConnection]!.onSocketData(chunk);
}

function socketOnClose(this: SocketWithConnection): void {
  this[kConnection]!.onSocketClose();
}

function socketOnError(this: SocketWithConnection, error: Error): void {
  this[kConnection]!.onSocketError(error);
}

function socketOnEnd(this: SocketWithConnection): void {
  this[kConnection]!.onSocketEnd();
}

function socketOnTimeout(this: SocketWithConnection): void {
  const connection = this[kConnection]!;
  if (connection.phase < Phase.Open) {
    connection.phase === Phase.Handshake ? connection.handshakeTimeout() : this.destroy();
  }
}

function handshakeTimedOut(connection: WSConnection): void {
  connection.handshakeTimeout();
}

function flushTick(connection: WSConnection): void {
  connection.flush();
}

function resumeAfterYield(connection: WSConnection): void {
  connection.resumeAfterYield();
}

function lingerOver(socket: Socket): void {
  socket.destroy();
}
