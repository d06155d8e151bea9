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
import { open as openFile, type FileHandle } from 'node:fs/promises';
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
import { ErrorCode, errorMessage } from '../generated/api';
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
/** While a send waits for room, how often it looks at the queue (it also wakes when the queue drains). */
const POLL_MS = 20;

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
  private socket: SocketWithConnection;
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
  /** The opcode of the MessageLength message being sent. */
  private partOpcode = 0;

  private handshakeTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  /** Called once everything written so far has been handed to the OS. */
  private drainWaiters: Array<() => void> | null = null;
  private drainWaitersArmed = false;
  private drainArmed = false;
  private pings: Map<string, Waiter> | null = null;
  private pingCounter = 0;
  /** Waits that Interrupt (610) or the connection closing (614) end. */
  private interrupted: Set<Waiter> | null = null;
  /** Bumped by Interrupt: synchronous sends queued behind others fail if it changed while they waited. */
  private interruptEpoch = 0;
  /** Synchronous sends go out in call order: each waits behind the previous one. */
  private syncTail: Promise<void> = Promise.resolve();
  private syncPending = 0;
  private sendingFile = false;
  private fileInterrupted = false;

  // MaxReadTime: when this connection started reading in the current event-loop turn.
  private readTurn = 0;
  private readStart = 0;
  /** Reading yields to the other connections until the next turn. */
  private yielding = false;

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

  /** WSConnectionConnected: true while the WebSocket is open. Setting false closes it as Disconnect does. */
  get connected(): boolean {
    return this.phase === Phase.Open;
  }

  set connected(value: boolean) {
    if (value || this.phase === Phase.Closed) return;
    this.server.disconnect(this.connectionId).catch(noop);
  }

  /** WSConnectionAcceptData: false stops reading and DataIn; true resumes. Nothing is lost. */
  get acceptData(): boolean {
    return this.acceptDataValue;
  }

  set acceptData(value: boolean) {
    if (value === this.acceptDataValue) return;
    this.acceptDataValue = value;
    this.applyInputHold();
  }

  /**
   * Holds or releases input. While AcceptData is false or the connection yields its turn (MaxReadTime),
   * the core keeps what it has not handed out yet and the socket is not read; releasing hands out the
   * kept input first, in order.
   */
  private applyInputHold(): void {
    const core = this.core;
    if (!this.acceptDataValue || this.yielding) {
      core?.suspend();
      this.socket.pause();
      return;
    }
    if (core) {
      this.startReadTurn();
      const outer = this.inReceive;
      this.inReceive = true;
      core.unsuspend();
      this.inReceive = outer;
      if (!outer) this.flush();
    }
    this.updateReading();
  }

  /** WSConnectionLineMode (read-only; changed by ChangeLineMode). */
  get lineMode(): boolean {
    return this.lineSplitter !== null;
  }

  /**
   * Bytes waiting to be written to this client in this process (the kernel's socket buffer not counted):
   * gathered for the next write, in the socket, and held behind a compression (whole inputs while they
   * compress).
   */
  get queuedBytes(): number {
    return this.outBytes + this.socket.writableLength + (this.core ? this.core.queuedOutputBytes : 0);
  }

  /** The negotiated TLS details, when the socket is TLS. */
  get rawSocket(): Socket {
    return this.socket;
  }

  /**
   * TLS: carries on over `socket` (the TLSSocket that now wraps the TCP one) once its handshake is done,
   * before the upgrade request is read. The new socket starts paused; beginHandshake resumes it.
   */
  useSocket(socket: Socket): void {
    const old = this.socket;
    old.off('data', socketOnData);
    old.off('close', socketOnClose);
    old.off('error', socketOnError);
    old.off('end', socketOnEnd);
    delete old[kConnection];
    socket.pause();
    this.socket = socket as SocketWithConnection;
    this.socket[kConnection] = this;
    socket.on('data', socketOnData);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('end', socketOnEnd);
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
        this.server.reportError(this.connectionId, ErrorCode.HandshakeFailed, `${errorMessage(ErrorCode.HandshakeFailed)} ${error.message} (HTTP ${error.httpStatus}).`);
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
    // AcceptData=false set before the handshake completed holds the first frames too.
    if (!this.acceptDataValue) this.core.suspend();
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
    if (this.core) {
      this.receive(chunk);
    } else if (this.phase === Phase.Opening) {
      // Frames a client sends right behind its request wait for the handshake to complete.
      this.pendingInput = this.pendingInput ? Buffer.concat([this.pendingInput, chunk]) : chunk;
    }
  }

  private receive(chunk: Buffer): void {
    this.server.logFrames(this.connectionId, 'in', chunk);
    this.startReadTurn();
    this.inReceive = true;
    this.core!.receiveData(chunk);
    this.inReceive = false;
    this.flush();
    this.checkReadTime();
  }

  /** MaxReadTime bookkeeping: notes when this connection started reading in the current event-loop turn. */
  private startReadTurn(): void {
    if (this.server.maxReadTime <= 0) return;
    const turn = this.server.readTurn();
    if (turn !== this.readTurn) {
      this.readTurn = turn;
      this.readStart = performance.now();
    }
  }

  /**
   * MaxReadTime: a connection that has been handled for longer than that in one turn stops — even in the
   * middle of a chunk — and lets the other connections be read before it goes on.
   */
  private checkReadTime(): void {
    const limit = this.server.maxReadTime;
    if (limit <= 0 || this.yielding || this.readTurn === 0 || performance.now() - this.readStart <= limit) return;
    if (this.phase !== Phase.Open && this.phase !== Phase.Closing) return;
    this.yielding = true;
    this.applyInputHold();
    setImmediate(endYield, this);
  }

  /** @internal The turn given up by checkReadTime() is over: go on with what was kept. */
  endYield(): void {
    this.yielding = false;
    this.readTurn = 0;
    if (this.phase === Phase.Open || this.phase === Phase.Closing) this.applyInputHold();
  }

  /** ConnectionHandler: message data from the protocol core. */
  onData(opcode: number, data: Buffer, first: boolean, last: boolean): void {
    if (this.lineSplitter) {
      this.lineSplitter.push(data, this.emitLine!);
      this.releaseLine(last && this.lineSplitter.pending === 0);
      this.checkReadTime();
      return;
    }
    const format = first ? opcode : 0;
    this.server.dispatchDataIn(this, new DataInEvent(this.connectionId, format, data, last, false, opcode === Opcode.Text));
    this.checkReadTime();
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
    this.server.reportError(this.connectionId, ErrorCode.ProtocolViolation, `${errorMessage(ErrorCode.ProtocolViolation)} ${error.message} (${error.code}, close ${error.closeCode}).`);
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

  /** Reads from the socket unless something holds reading. */
  updateReading(): void {
    if (this.phase !== Phase.Open && this.phase !== Phase.Closing) return;
    if (!this.acceptDataValue || this.yielding || this.pausedForQueue || this.endWhenFlushed) return;
    const core = this.core;
    if (!core || core.peerClosed || core.hasFailed) return;
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
      // One batch, one log entry: what the socket is given at once.
      this.server.logOutgoing(this.connectionId, out, this.outBytes);
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
   * Queues one message now, by the asynchronous rules (Timeout 0): when more than OutBufferSize bytes
   * already wait for this client, or a SendFile holds the connection, it fails with 10035, ReadyToSend
   * turns false and the ReadyToSend event is armed for when the queue has drained. All or nothing:
   * BytesSent is then 0, else the whole message. Throws synchronously.
   */
  queueMessage(opcode: number, data: Buffer): void {
    this.assertOpen();
    const mark = this.server.settings.int('OutBufferSize');
    // Small sends are gathered into one write per turn; a burst beyond the mark goes to the socket now,
    // which may well take it (the kernel's buffer is not part of our queue).
    if (this.outBytes > mark) this.flush();
    if (this.sendingFile || this.queuedBytes > mark) {
      this.bytesSent = 0;
      this.readyToSend = false;
      this.armReadyToSend();
      throw new WSServerError(ErrorCode.WouldBlock);
    }
    this.enqueueMessage(opcode, data, false);
    this.bytesSent = data.length;
  }

  /**
   * Sends one message. Asynchronous mode (Timeout 0): as queueMessage(); the returned promise is already
   * settled. Synchronous mode (Timeout > 0): waits for room (see waitForRoom) behind earlier synchronous
   * sends, so messages keep their order; when there is room and nothing waits, the message is queued
   * before this returns.
   */
  sendMessage(opcode: number, data: Buffer): Promise<void> {
    if (this.timeout === 0) {
      try {
        this.queueMessage(opcode, data);
        return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.bytesSent = 0;
    if (this.syncPending === 0 && !this.sendingFile && this.queuedBytes <= this.server.settings.int('OutBufferSize')) {
      try {
        this.assertOpen();
        this.enqueueMessage(opcode, data, true);
        return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const epoch = this.interruptEpoch;
    const seconds = this.timeout;
    this.syncPending++;
    const result = this.syncTail
      .then(async () => {
        // Interrupt ends every synchronous send that was waiting when it was called.
        if (epoch !== this.interruptEpoch) throw new WSServerError(ErrorCode.Interrupted);
        await this.waitForRoom(seconds, false);
        this.enqueueMessage(opcode, data, true);
      })
      .finally(() => {
        this.syncPending--;
      });
    this.syncTail = result.then(noop, noop);
    return result;
  }

  private enqueueMessage(opcode: number, data: Buffer, synchronous: boolean): void {
    const core = this.core!;
    if (opcode === Opcode.Ping) return core.ping(data);
    if (opcode === Opcode.Pong) return core.pong(data);
    if (!synchronous && this.messageRemaining > 0) {
      // MessageLength: the next N bytes, over several sends, form one message.
      if (data.length > this.messageRemaining) {
        throw new WSServerError(ErrorCode.InvalidArgument, `Invalid argument. The data exceeds the ${this.messageRemaining} bytes left of MessageLength.`);
      }
      if (core.sendingParts && this.partOpcode !== opcode) {
        throw new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. All parts of a MessageLength message must have the same format.');
      }
      this.partOpcode = opcode;
      this.messageRemaining -= data.length;
      core.sendPart(opcode, data, this.messageRemaining === 0);
      return;
    }
    if (core.sendingParts) {
      throw new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. A message sent in parts (MessageLength) is still unfinished.');
    }
    core.send(opcode, data);
  }

  /** Fires ReadyToSend once everything queued has been handed to the OS (compressions included). */
  private armReadyToSend(): void {
    if (this.drainArmed) return;
    this.drainArmed = true;
    // Never before the failed send has returned: the caller must see its 10035 first.
    setImmediate(readyWhenDrained, this);
  }

  /** @internal The ReadyToSend wait: until the socket has taken everything and no compression is left. */
  readyWhenDrained(): void {
    const socket = this.socket;
    if (this.phase !== Phase.Open || socket.destroyed) {
      this.drainArmed = false;
      return;
    }
    this.flush();
    if (socket.writableLength > 0 && !socket.writableEnded) return this.onDrained(readyWhenDrained.bind(null, this));
    // Frames still being compressed come back through I/O: look again on the next turn, never in a spin.
    if (this.core && this.core.queuedOutputBytes > 0) return void setImmediate(readyWhenDrained, this);
    this.drainArmed = false;
    this.readyToSend = true;
    this.server.dispatchEvent('ReadyToSend', { connectionId: this.connectionId });
  }

  /**
   * Calls `callback` once everything written so far has been handed to the OS, or when the connection
   * closes. One empty write marks the spot for every waiter.
   */
  private onDrained(callback: () => void): void {
    this.flush();
    const socket = this.socket;
    if (socket.writableLength === 0 || socket.writableEnded || socket.destroyed) {
      // Nothing to wait for; a later turn (not a tick) so that no caller can spin without I/O.
      setImmediate(callback);
      return;
    }
    (this.drainWaiters ??= []).push(callback);
    if (this.drainWaitersArmed) return;
    this.drainWaitersArmed = true;
    socket.write(EMPTY, () => this.drainedNow());
  }

  private drainedNow(): void {
    this.drainWaitersArmed = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = null;
    if (waiters) for (const waiter of waiters) waiter();
  }

  /**
   * Resolves after `ms`, or sooner when a queue that is not empty drains. (With nothing queued it always
   * waits: resolving at once would let a waiting loop spin without ever giving I/O a turn.)
   */
  private waitForOutput(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const waiters = this.drainWaiters;
        const at = waiters ? waiters.indexOf(done) : -1;
        if (at !== -1) waiters!.splice(at, 1);
        resolve();
      }, ms);
      this.flush();
      const socket = this.socket;
      if (socket.writableLength > 0 && !socket.writableEnded && !socket.destroyed) this.onDrained(done);
    });
  }

  /**
   * Whether bytes moved since `mark` was taken (and takes a new mark): bytes read from the client, or
   * written towards it. The reference's timeouts are inactivity timeouts, "extended … when any amount of
   * data is successfully sent or received". Node reports a write as done only when all of it is out, so
   * libuv's own queue size (kept on the socket's handle) shows the progress within a large write.
   */
  private moved(mark: number[]): boolean {
    const socket = this.socket;
    const handle = (socket as unknown as { _handle?: { writeQueueSize?: unknown } | null })._handle;
    const inLibuv = typeof handle?.writeQueueSize === 'number' ? handle.writeQueueSize : 0;
    const now = [socket.bytesRead, socket.writableLength, inLibuv];
    let changed = false;
    for (let i = 0; i < now.length; i++) {
      if (mark[i] !== now[i]) changed = true;
      mark[i] = now[i]!;
    }
    return changed;
  }

  /**
   * Waits until no more than OutBufferSize bytes wait for this client and (unless `forFile`) no SendFile
   * holds the connection. `seconds` is an inactivity limit (0: none): it starts again whenever bytes
   * move (see moved()), and when it runs out the wait fails with 609. Interrupt ends it with 610, the
   * connection closing with 614.
   */
  private async waitForRoom(seconds: number, forFile: boolean): Promise<void> {
    const limit = seconds * 1000;
    let progressAt = performance.now();
    const mark: number[] = [];
    this.moved(mark);
    for (;;) {
      this.assertOpen();
      if ((forFile || !this.sendingFile) && this.queuedBytes <= this.server.settings.int('OutBufferSize')) return;
      let wait = POLL_MS;
      if (limit > 0) {
        const left = limit - (performance.now() - progressAt);
        if (left <= 0) throw new WSServerError(ErrorCode.Timeout);
        wait = Math.min(wait, Math.ceil(left));
      }
      await this.interruptible(this.waitForOutput(wait));
      if (this.moved(mark)) progressAt = performance.now();
    }
  }

  /** Races `promise` against Interrupt (610) and the connection closing (614). */
  private interruptible<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiters = (this.interrupted ??= new Set());
      const waiter: Waiter = {
        resolve: noop,
        reject: (error) => {
          waiters.delete(waiter);
          reject(error);
        },
      };
      waiters.add(waiter);
      promise.then(
        (value) => {
          waiters.delete(waiter);
          resolve(value);
        },
        (error: Error) => waiter.reject(error),
      );
    });
  }

  private rejectWaiters(error: Error): void {
    const interrupted = this.interrupted;
    this.interrupted = null;
    if (interrupted) for (const waiter of [...interrupted]) waiter.reject(error);
    this.drainedNow();
    const pings = this.pings;
    this.pings = null;
    if (pings) for (const waiter of pings.values()) waiter.reject(error);
  }

  /**
   * Interrupt: ends a synchronous send that waits for room (610), and a SendFile, which then finishes its
   * message early with an empty final frame. The connection stays open.
   */
  interrupt(): void {
    if (this.sendingFile) this.fileInterrupted = true;
    this.interruptEpoch++;
    const interrupted = this.interrupted;
    if (!interrupted) return;
    const error = new WSServerError(ErrorCode.Interrupted);
    for (const waiter of [...interrupted]) waiter.reject(error);
  }

  /**
   * Sends a ping. With Timeout 0 it resolves once the ping is queued (the pong shows up as a Ping event);
   * with a positive Timeout it resolves when the matching pong arrives, or fails with 609 after Timeout
   * seconds.
   */
  async ping(): Promise<void> {
    this.assertOpen();
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(++this.pingCounter >>> 0);
    this.core!.ping(payload);
    if (this.timeout === 0) return;
    const key = payload.toString('hex');
    let timer: NodeJS.Timeout | undefined;
    const pong = new Promise<void>((resolve, reject) => {
      timer = setTimeout(reject, this.timeout * 1000, new WSServerError(ErrorCode.Timeout));
      (this.pings ??= new Map()).set(key, { resolve, reject });
    });
    try {
      await this.interruptible(pong);
    } finally {
      clearTimeout(timer);
      this.pings?.delete(key);
    }
  }

  /**
   * SendFile: streams the file as ONE binary message, a part per read (frames of at most MaxFrameSize),
   * reading only while no more than OutBufferSize bytes wait for the client: memory stays near
   * OutBufferSize whatever the file size. Resolves once the last part is queued. Meanwhile other sends on
   * this connection fail with 10035 (or wait, when synchronous). Timeout > 0 is an inactivity limit (609);
   * Interrupt ends the message early with an empty final frame and fails with 610.
   */
  async sendFile(path: string): Promise<void> {
    this.assertOpen();
    if (this.sendingFile || this.core!.sendingParts) throw new WSServerError(ErrorCode.WouldBlock);
    this.sendingFile = true;
    this.fileInterrupted = false;
    const core = this.core!;
    const chunkSize = Math.min(Math.max(this.server.settings.int('MaxFrameSize'), 16 * 1024), 1024 * 1024);
    let handle: FileHandle | undefined;
    try {
      try {
        handle = await openFile(path, 'r');
      } catch (error) {
        throw new WSServerError(ErrorCode.FileError, `Cannot read file: ${(error as Error).message}`);
      }
      const { size } = await handle.stat();
      let sent = 0;
      let started = false;
      for (;;) {
        this.assertOpen();
        if (this.fileInterrupted) {
          if (started) {
            core.sendPart(Opcode.Binary, EMPTY, true);
            this.flush();
          }
          throw new WSServerError(ErrorCode.Interrupted);
        }
        if (this.queuedBytes > this.server.settings.int('OutBufferSize')) {
          try {
            await this.waitForRoom(this.timeout, true);
          } catch (error) {
            if (!(error instanceof WSServerError) || error.code !== ErrorCode.Interrupted) throw error;
            this.fileInterrupted = true;
          }
          continue;
        }
        const want = Math.min(chunkSize, size - sent);
        const chunk = Buffer.allocUnsafe(Math.max(want, 0));
        const { bytesRead } = want > 0 ? await handle.read(chunk, 0, want, sent) : { bytesRead: 0 };
        this.assertOpen();
        sent += bytesRead;
        // A file that shrank while being sent ends where its data ends.
        const last = bytesRead === 0 || sent >= size;
        core.sendPart(Opcode.Binary, chunk.subarray(0, bytesRead), last);
        started = true;
        this.flush();
        if (last) return;
      }
    } finally {
      this.sendingFile = false;
      this.fileInterrupted = false;
      await handle?.close().catch(noop);
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
    // A destroyed socket may not have reported 'close' yet: nothing sent now could arrive.
    if (this.phase !== Phase.Open || !this.core || this.core.closing || this.socket.destroyed) {
      throw new WSServerError(ErrorCode.ConnectionClosed);
    }
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

function endYield(connection: WSConnection): void {
  connection.endYield();
}

function readyWhenDrained(connection: WSConnection): void {
  connection.readyWhenDrained();
}

function noop(): void {}

function lingerOver(socket: Socket): void {
  socket.destroy();
}
