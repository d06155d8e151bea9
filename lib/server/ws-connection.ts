/**
 * One client connection: a socket (plain or TLS) driven through the opening handshake and then
 * through the sans-I/O ServerConnection. It owns the socket-facing work — write coalescing,
 * backpressure and ReadyToSend, read pausing (AcceptData), timers, line mode, SendFile (streamed by
 * send-file.ts) — and shows the reference's per-connection properties (WSConnection*) to the application.
 *
 * Socket listeners are shared functions that find the connection through a symbol on the socket, so
 * an idle connection costs no closures; what few connections need (line mode, SendFile, pings, waits,
 * the close, the handshake once over, MaxReadTime bookkeeping, the UID, the addresses) is made on first
 * use, so that an open, idle connection stays small.
 */
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { CloseCode, Opcode } from '../protocol/constants';
import { HandshakeError, ProtocolError } from '../protocol/errors';
import { ServerConnection, type ConnectionHandler } from '../protocol/connection';
import type { UpgradeRequest } from '../protocol/handshake';
import { ErrorCode, errorMessage } from '../generated/api';
import { WSServerError, toServerError } from './errors';
import { DataInEvent, type WebSocketOpenRequestEvent } from './events';
import { LineSplitter } from './line-splitter';
import { OpeningHandshake, acceptResponse, agree, openRequestEvent, rejectResponse } from './opening-handshake';
import { sendFile, type FileSendState } from './send-file';
import { drainedNow, interruptible, onDrained, waitForRoom, type WaitState, type Waiter } from './send-wait';
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
/** Small pieces of a batch are joined into buffers of at most this size (see writeBatch). */
const JOIN_LIMIT = 64 * 1024;
/**
 * Pieces of at least this size (payloads the core passes as views) are written as they are, between
 * cork() and uncork() (one writev). Measured on loopback: below it, copying the pieces of a batch into
 * one buffer (from Node's pool while under 4 KiB) costs less than a write() each; above it, the copy and
 * an allocation outside the pool cost more.
 */
const OWN_WRITE = 1024;
/** An output list that grew beyond this many entries (a burst of sends) is dropped after its flush. */
const OUT_KEEP = 256;
/** How long a rejected handshake or a closed WebSocket waits for the client's FIN before the socket is destroyed. */
const LINGER_MS = 2000;
/** MaxReadTime: at most this many messages go by between two looks at the clock. */
const CLOCK_STRIDE = 64;

type SocketWithConnection = Socket & { [kConnection]?: WSConnection };

/**
 * Per-connection state that most connections never need — line mode, MessageLength, SendFile, pings,
 * Interrupt, synchronous sends, drain waits, the close — created on first use, so that an open, idle
 * connection carries one empty field for all of it.
 */
class ConnectionExtras implements FileSendState, WaitState {
  /** ConnectionUID, made when first read. */
  uid = '';

  // Line mode.
  lineSplitter: LineSplitter | null = null;
  emitLine: ((line: Buffer, eol: boolean) => void) | null = null;
  /** Each line is held until the next one (or the end of the piece) shows whether it ends the message. */
  heldLine: Buffer | null = null;
  heldEol = false;

  /** MessageLength[cid]: bytes still to come in the current multi-call message. */
  messageRemaining = 0;
  /** The opcode of the MessageLength message being sent. */
  partOpcode = 0;

  /** Called once everything written so far has been handed to the OS (see send-wait.ts). */
  drainWaiters: Array<() => void> | null = null;
  drainWaitersArmed = false;
  /** ReadyToSend is armed (a send failed with 10035). */
  drainArmed = false;
  pings: Map<string, Waiter> | null = null;
  pingCounter = 0;
  /** Waits that Interrupt (610) or the connection closing (614) end. */
  interrupted: Set<Waiter> | null = null;
  /** Bumped by Interrupt: synchronous sends queued behind others fail if it changed while they waited. */
  interruptEpoch = 0;
  /** Synchronous sends go out in call order: each waits behind the previous one (null: none waits). */
  syncTail: Promise<void> | null = null;
  syncPending = 0;
  sendingFile = false;
  fileInterrupted = false;

  // The close.
  closeCode: number = CloseCode.Abnormal;
  closeReason = '';
  closeTimer: NodeJS.Timeout | null = null;
  closedPromise: Promise<void> | null = null;
  resolveClosed: (() => void) | null = null;
}

/**
 * MaxReadTime bookkeeping of a connection that reads. The clock is read when a turn starts and then only
 * every `countdown` messages, a stride sized from the time per message seen so far (see tickReadClock).
 */
class ReadClock {
  /** The server's turn number when this connection started reading in it (0: not reading). */
  turn = 0;
  /** performance.now() then. */
  start = 0;
  /** Messages handled in this turn. */
  messages = 0;
  /** Messages to go before the next look at the clock. */
  countdown = 0;
}

/** The per-connection face of the server (the reference's WSConnection* properties) and its socket driver. */
export class WSConnection implements ConnectionHandler {
  /** The identifier used everywhere in the API. Never reused during the server's life. */
  readonly connectionId: number;

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

  /** @internal The server this connection belongs to. */
  readonly server: WSServer;
  private socket: SocketWithConnection;
  /** The protocol core, from the moment the WebSocket opened (it stays after the close). */
  private core: ServerConnection | null = null;
  private handshake: OpeningHandshake | null = null;
  private extra: ConnectionExtras | null = null;
  private clock: ReadClock | null = null;

  // The addresses, read from the socket when first asked for (see rememberAddresses).
  private remoteHostValue: string | undefined = undefined;
  private remotePortValue = -1;
  private localAddressValue: string | undefined = undefined;

  // Output batching: out[0..outCount) is written at the next flush.
  private out: Buffer[] | null = null;
  private outCount = 0;
  private outBytes = 0;
  private inReceive = false;
  /** @internal Output waits for the server's next flush round (WSServer.flushPending). */
  flushScheduled = false;
  private endWhenFlushed = false;

  private acceptDataValue = true;
  private pausedForQueue = false;
  /** Bytes of DataIn events queued and not yet fired (DoEvents mode). */
  queuedInput = 0;
  /** Reading yields to the other connections until the next turn (MaxReadTime). */
  private yielding = false;

  constructor(server: WSServer, socket: Socket, connectionId: number) {
    this.server = server;
    this.socket = socket as SocketWithConnection;
    this.connectionId = connectionId;
    this.timeout = server.defaultTimeout;
    this.maxLineLength = server.maxLineLength;
    this.socket[kConnection] = this;
    socket.on('data', socketOnData);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('end', socketOnEnd);
  }

  /** The client's address (IPv4 clients in dotted form). */
  get remoteHost(): string {
    return (this.remoteHostValue ??= normalizeAddress(this.socket.remoteAddress ?? ''));
  }

  get remotePort(): number {
    if (this.remotePortValue < 0) this.remotePortValue = this.socket.remotePort ?? 0;
    return this.remotePortValue;
  }

  /** The local address the client connected to. */
  get localAddress(): string {
    return (this.localAddressValue ??= normalizeAddress(this.socket.localAddress ?? ''));
  }

  /** Unique across servers and restarts (the ConnectionUID config setting); made when first read. */
  get uid(): string {
    const extras = this.extras();
    return (extras.uid ||= randomUUID());
  }

  /**
   * Reads the addresses now, while the socket has them: they are read lazily (an idle connection then
   * keeps neither Node's cached address objects nor ours), and once the socket's handle is closed Node
   * no longer knows an address it was never asked for. Called before the socket goes away by our hand
   * or the peer's FIN; a connection reset by the peer before anyone asked shows ''.
   */
  private rememberAddresses(): void {
    void this.remoteHost;
    void this.remotePort;
    void this.localAddress;
  }

  /** The rarely used state, created on first use. */
  private extras(): ConnectionExtras {
    return (this.extra ??= new ConnectionExtras());
  }

  /** @internal SendFile's flags (see send-file.ts), kept with the rarely used state. */
  fileState(): FileSendState {
    return this.extras();
  }

  /** @internal The waits' state (see send-wait.ts), kept with the rarely used state. */
  waitState(): WaitState {
    return this.extras();
  }

  /** @internal The protocol core; only while the WebSocket is open (check with assertOpen first). */
  get protocolCore(): ServerConnection {
    return this.core!;
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
    return this.extra !== null && this.extra.lineSplitter !== null;
  }

  /** MessageLength[cid]: bytes still to come in the current multi-call message. */
  get messageRemaining(): number {
    return this.extra === null ? 0 : this.extra.messageRemaining;
  }

  set messageRemaining(value: number) {
    if (value === 0 && this.extra === null) return;
    this.extras().messageRemaining = value;
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
    // The TCP socket knows the addresses; the TLS socket is read through it.
    this.rememberAddresses();
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
    const handshake = new OpeningHandshake(settings.int('MaxHeaderSize'));
    this.handshake = handshake;
    const deadline = settings.int('HandshakeTimeout');
    // Slowloris: a client that sends half a request and waits is dropped at the deadline.
    if (deadline > 0) handshake.timer = setTimeout(handshakeTimedOut, deadline * 1000, this);
    const idle = settings.int('DefaultConnectionTimeout');
    if (idle > 0) {
      this.socket.setTimeout(idle * 1000);
      this.socket.once('timeout', socketOnTimeout);
      handshake.idleTimeout = true;
    }
    this.socket.resume();
  }

  /** Refuses the connection before anything was read (ConnectionRequest said no). */
  refuse(): void {
    this.phase = Phase.Closed;
    this.destroy();
  }

  handshakeTimeout(): void {
    if (this.handshake) this.handshake.timer = null;
    if (this.phase !== Phase.Handshake && this.phase !== Phase.Opening) return;
    this.server.log(this.connectionId, 1, 'Handshake timed out.', 'Error');
    if (this.phase === Phase.Handshake) this.reject(408, []);
    else this.destroy();
  }

  private receiveHandshake(chunk: Buffer): void {
    const handshake = this.handshake!;
    let upgrade: UpgradeRequest | null;
    try {
      upgrade = handshake.read(chunk);
      if (!upgrade) return;
    } catch (error) {
      if (error instanceof HandshakeError) {
        this.server.log(this.connectionId, 1, `Handshake refused (${error.httpStatus}): ${error.message}`, 'Error');
        this.server.reportError(this.connectionId, ErrorCode.HandshakeFailed, `${errorMessage(ErrorCode.HandshakeFailed)} ${error.message} (HTTP ${error.httpStatus}).`);
        this.reject(error.httpStatus, error.headers.map(([n, v]) => [n, v]));
        return;
      }
      throw error;
    }
    handshake.clearTimer();
    this.socket.pause();
    this.phase = Phase.Opening;
    const event = openRequestEvent(this.connectionId, upgrade);
    this.host = upgrade.host;
    this.origin = upgrade.origin;
    this.requestURI = upgrade.uri;
    this.requestHeaders = upgrade.request.rawHeaders;
    this.subProtocols = event.subProtocols;
    if (this.server.logs(1)) this.server.log(this.connectionId, 1, `GET ${upgrade.uri} HTTP/${upgrade.request.httpVersion}`, 'Info');
    this.server.logHeaders(this.connectionId, upgrade.request.headers);

    // The handshake stays paused until the event has fired: its out-parameters decide.
    this.server.dispatchHeld('WebSocketOpenRequest', event, () => this.completeHandshake(event));
  }

  private completeHandshake(event: WebSocketOpenRequestEvent): void {
    if (this.phase !== Phase.Opening) return;
    const handshake = this.handshake!;
    const upgrade = handshake.upgrade!;
    handshake.upgrade = null;
    const status = Number(event.statusCode);
    if (status !== 101) {
      if (this.server.logs(1)) this.server.log(this.connectionId, 1, `Handshake rejected by the application with status ${status}.`, 'Info');
      this.reject(Number.isInteger(status) && status >= 200 && status <= 999 ? status : 500, event.responseHeaders);
      return;
    }
    const settings = this.server.settings;
    const agreement = agree(upgrade, event, {
      enableDeflate: settings.bool('EnablePermessageDeflate'),
      maxMessageSize: settings.int('MaxMessageSize'),
    });
    const deflate = agreement.deflate;
    this.extensions = agreement.extensions;
    this.protocol = agreement.protocol;
    let response: Buffer;
    try {
      response = acceptResponse(upgrade, agreement, event.responseHeaders);
    } catch (error) {
      deflate?.close();
      this.server.reportError(this.connectionId, ErrorCode.InvalidArgument, `Bad response headers: ${(error as Error).message}`);
      this.reject(500, []);
      return;
    }
    this.socket.write(response);
    this.socket.setTimeout(0);
    if (handshake.idleTimeout) this.socket.removeListener('timeout', socketOnTimeout);
    // Nothing of the handshake is kept but what the properties show.
    this.handshake = null;
    this.core = new ServerConnection(this, {
      deflate,
      maxMessageSize: settings.int('MaxMessageSize'),
      maxFrameSize: settings.int('MaxFrameSize'),
      bufferMessages: settings.bool('BufferMessage'),
    });
    // AcceptData=false set before the handshake completed holds the first frames too.
    if (!this.acceptDataValue) this.core.suspend();
    this.phase = Phase.Open;
    this.readyToSend = true;
    if (this.server.logs(1)) this.server.log(this.connectionId, 1, `WebSocket opened${this.extensions ? ` (${this.extensions})` : ''}.`, 'Info');
    const server = this.server;
    if (server.listens('Connected')) server.dispatchEvent('Connected', { connectionId: this.connectionId });
    if (server.listens('ReadyToSend')) server.dispatchEvent('ReadyToSend', { connectionId: this.connectionId });
    const early = handshake.takePendingInput();
    if (early && early.length > 0) this.receive(early);
    this.updateReading();
  }

  /** Answers the handshake with an HTTP error and closes. */
  private reject(status: number, headers: string | Array<[string, string]>): void {
    this.handshake?.clearTimer();
    this.handshake = null;
    this.phase = Phase.Closed;
    this.socket.end(rejectResponse(status, headers));
    setTimeout(lingerOver, LINGER_MS, this.socket).unref();
  }

  // ─── Input ──────────────────────────────────────────────────────────────────────────────────

  onSocketData(chunk: Buffer): void {
    if (this.phase === Phase.Handshake) {
      this.receiveHandshake(chunk);
      return;
    }
    if (this.core) {
      this.receive(chunk);
    } else if (this.phase === Phase.Opening && this.handshake) {
      // Frames a client sends right behind its request wait for the handshake to complete.
      this.handshake.hold(chunk);
    }
  }

  private receive(chunk: Buffer): void {
    this.server.logFrames(this.connectionId, 'in', chunk);
    this.startReadTurn();
    this.inReceive = true;
    this.core!.receiveData(chunk);
    this.inReceive = false;
    this.flush();
    this.tickReadClock();
  }

  /** MaxReadTime bookkeeping: notes when this connection started reading in the current event-loop turn. */
  private startReadTurn(): void {
    if (this.server.maxReadTime <= 0) return;
    const turn = this.server.readTurn();
    const clock = (this.clock ??= new ReadClock());
    if (turn !== clock.turn) {
      clock.turn = turn;
      clock.start = performance.now();
      clock.messages = 0;
      // The first look comes after the first message: it tells how long a message takes.
      clock.countdown = 1;
    }
  }

  /**
   * MaxReadTime: a connection that has been handled for longer than that in one turn stops — even in the
   * middle of a chunk — and lets the other connections be read before it goes on. Called per message and
   * per chunk; the clock is read every `countdown` calls, a stride set to use about half the time left at
   * the pace seen so far (at most CLOCK_STRIDE): fast handlers cost no clock reads, slow ones are looked at
   * after each message as they near the limit.
   */
  private tickReadClock(): void {
    const clock = this.clock;
    if (clock === null || clock.turn === 0) return;
    clock.messages++;
    if (--clock.countdown > 0) return;
    const limit = this.server.maxReadTime;
    if (limit <= 0 || this.yielding) return;
    const spent = performance.now() - clock.start;
    if (spent <= limit) {
      const pace = spent / clock.messages;
      const stride = pace > 0 ? Math.floor((limit - spent) / pace / 2) : CLOCK_STRIDE;
      clock.countdown = stride < 1 ? 1 : stride > CLOCK_STRIDE ? CLOCK_STRIDE : stride;
      return;
    }
    clock.countdown = 1;
    if (this.phase !== Phase.Open && this.phase !== Phase.Closing) return;
    this.yielding = true;
    this.applyInputHold();
    setImmediate(endYield, this);
  }

  /** @internal The turn given up by tickReadClock() is over: go on with what was kept. */
  endYield(): void {
    this.yielding = false;
    if (this.clock) this.clock.turn = 0;
    if (this.phase === Phase.Open || this.phase === Phase.Closing) this.applyInputHold();
  }

  /** ConnectionHandler: message data from the protocol core. */
  onData(opcode: number, data: Buffer, first: boolean, last: boolean): void {
    const splitter = this.extra === null ? null : this.extra.lineSplitter;
    if (splitter !== null) {
      splitter.push(data, this.extra!.emitLine!);
      this.releaseLine(last && splitter.pending === 0);
      this.tickReadClock();
      return;
    }
    const format = first ? opcode : 0;
    this.server.dispatchDataIn(this, new DataInEvent(this.connectionId, format, data, last, false, opcode === Opcode.Text));
    this.tickReadClock();
  }

  /** Line mode: each line is held until the next one (or the end of the piece) shows whether it ends the message. */
  private holdLine(line: Buffer, eol: boolean): void {
    this.releaseLine(false);
    const extra = this.extras();
    extra.heldLine = line;
    extra.heldEol = eol;
  }

  private releaseLine(eom: boolean): void {
    const extra = this.extra;
    const line = extra?.heldLine;
    if (!extra || !line) return;
    extra.heldLine = null;
    this.server.dispatchDataIn(this, new DataInEvent(this.connectionId, 0, line, eom, extra.heldEol, true));
  }

  onPing(payload: Buffer): void {
    this.server.dispatchEvent('Ping', pingEvent(this.connectionId, payload, false));
  }

  onPong(payload: Buffer): void {
    const pings = this.extra ? this.extra.pings : null;
    if (pings) {
      const key = payload.toString('hex');
      const waiter = pings.get(key);
      if (waiter) {
        pings.delete(key);
        waiter.resolve();
      }
    }
    this.server.dispatchEvent('Ping', pingEvent(this.connectionId, payload, true));
  }

  onPeerClose(code: number, reason: string): void {
    this.setCloseStatus(code, reason);
    this.phase = Phase.Closing;
    if (this.server.logs(1)) this.server.log(this.connectionId, 1, `Close received (${code}${reason ? ` ${reason}` : ''}).`, 'Info');
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
    this.setCloseStatus(error.closeCode, error.message);
    this.phase = Phase.Closing;
    this.endWhenFlushed = true;
    this.flush();
  }

  /** The status the Disconnected event will report. */
  private setCloseStatus(code: number, reason: string): void {
    const extra = this.extras();
    extra.closeCode = code;
    extra.closeReason = reason;
  }

  onSocketEnd(): void {
    this.rememberAddresses();
    // The client half-closed: nothing more will come. Answer with our FIN once our output is out.
    if (this.phase === Phase.Open) this.endWhenFlushed = true;
    this.flush();
  }

  onSocketClose(): void {
    const wasPhase = this.phase;
    this.phase = Phase.Closed;
    // What Node still knows (addresses it was asked for before): nothing can be read later.
    this.rememberAddresses();
    this.handshake?.clearTimer();
    this.handshake = null;
    this.core?.destroy();
    const extra = this.extra;
    if (extra) {
      if (extra.closeTimer) clearTimeout(extra.closeTimer);
      extra.closeTimer = null;
      this.rejectWaiters(extra);
    }
    this.server.connectionClosed(this);
    if (this.core) {
      const statusCode = extra ? extra.closeCode : CloseCode.Abnormal;
      const description = extra ? extra.closeReason : '';
      if (this.server.logs(1)) this.server.log(this.connectionId, 1, `Disconnected (${statusCode}).`, 'Info');
      this.server.dispatchEvent('Disconnected', { connectionId: this.connectionId, statusCode, description });
    } else if (wasPhase !== Phase.Closed) {
      this.server.log(this.connectionId, 1, 'Connection closed during the handshake.', 'Info');
    }
    extra?.resolveClosed?.();
  }

  onSocketError(error: Error): void {
    const code = socketErrorCode(error);
    this.server.log(this.connectionId, 1, `Socket error${code ? ` ${code}` : ''}: ${error.message}`, 'Error');
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.phase === Phase.Closed && !this.socket.destroyed) return Promise.resolve();
    const extra = this.extras();
    return (extra.closedPromise ??= new Promise((resolve) => {
      if (this.socket.destroyed && this.phase === Phase.Closed) resolve();
      extra.resolveClosed = resolve;
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

  /**
   * ConnectionHandler: bytes for the client. Gathered and written once per batch: at the end of the read
   * that produced them, or — for sends made outside a read of this connection — when the server's current
   * dispatch round or tick is over (WSServer.scheduleFlush).
   */
  write(data: Buffer): void {
    (this.out ??= [])[this.outCount++] = data;
    this.outBytes += data.length;
    if (!this.inReceive && !this.flushScheduled) {
      this.flushScheduled = true;
      this.server.scheduleFlush(this);
    }
  }

  flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    const count = this.outCount;
    if (out !== null && count > 0) {
      const bytes = this.outBytes;
      // The list is taken out while it is written: a Log handler that sends starts a new batch.
      this.out = null;
      this.outCount = 0;
      this.outBytes = 0;
      const socket = this.socket;
      // A destroyed socket takes nothing: what was gathered could never arrive.
      if (!socket.destroyed) {
        // One batch, one log entry: what the socket is given at once.
        this.server.logOutgoing(this.connectionId, out, count, bytes);
        if (count === 1) socket.write(out[0]!);
        else this.writeBatch(socket, out, count, bytes);
      }
      // The list is kept for the next batch, without the buffers it pointed to.
      for (let i = 0; i < count; i++) out[i] = EMPTY;
      if (this.out === null && count <= OUT_KEEP) this.out = out;
    }
    if (this.endWhenFlushed && this.core && !this.core.hasQueuedOutput && !this.socket.destroyed) {
      this.endWhenFlushed = false;
      this.socket.end();
      const extra = this.extras();
      extra.closeTimer ??= setTimeout(lingerOver, LINGER_MS, this.socket);
    }
  }

  /**
   * Writes out[0..count) in one go. Small pieces (headers, small frames) are copied together; large ones
   * (payload views the core did not copy) are written as they are. When that makes more than one write,
   * they go between cork() and uncork(), which Node turns into one writev.
   */
  private writeBatch(socket: Socket, out: Buffer[], count: number, total: number): void {
    let largest = 0;
    for (let i = 0; i < count; i++) if (out[i]!.length > largest) largest = out[i]!.length;
    if (total <= JOIN_LIMIT && largest < OWN_WRITE) {
      socket.write(joinChunks(out, 0, count, total));
      return;
    }
    socket.cork();
    let runStart = 0;
    let runBytes = 0;
    for (let i = 0; i < count; i++) {
      const chunk = out[i]!;
      if (chunk.length >= OWN_WRITE || runBytes + chunk.length > JOIN_LIMIT) {
        if (i > runStart) socket.write(joinChunks(out, runStart, i, runBytes));
        runStart = i;
        runBytes = 0;
        if (chunk.length >= OWN_WRITE) {
          socket.write(chunk);
          runStart = i + 1;
          continue;
        }
      }
      runBytes += chunk.length;
    }
    if (count > runStart) socket.write(joinChunks(out, runStart, count, runBytes));
    socket.uncork();
  }

  /**
   * Queues one message now, by the asynchronous rules (Timeout 0): when more than OutBufferSize bytes
   * already wait for this client, or a SendFile holds the connection, it fails with 10035, ReadyToSend
   * turns false and the ReadyToSend event is armed for when the queue has drained. All or nothing:
   * BytesSent is then 0, else the whole message. Throws synchronously.
   */
  queueMessage(opcode: number, data: Buffer): void {
    this.assertOpen();
    if (!this.makeRoom()) throw new WSServerError(ErrorCode.WouldBlock);
    this.enqueueMessage(opcode, data, false);
    this.bytesSent = data.length;
  }

  /**
   * The asynchronous rule: true when a message may be queued now. Else BytesSent is 0, ReadyToSend turns
   * false and the ReadyToSend event is armed for when the queue has drained.
   */
  private makeRoom(): boolean {
    const mark = this.server.outBufferSize;
    // Small sends are gathered into one write per turn; a burst beyond the mark goes to the socket now,
    // which may well take it (the kernel's buffer is not part of our queue).
    if (this.outBytes > mark) this.flush();
    if ((this.extra !== null && this.extra.sendingFile) || this.queuedBytes > mark) {
      this.bytesSent = 0;
      this.readyToSend = false;
      this.armReadyToSend();
      return false;
    }
    return true;
  }

  /**
   * WSServer.trySend: queues one message if it can go now, and says how it went instead of throwing —
   * 0, or the error code. Asynchronous rules whatever Timeout is; on a synchronous connection a message
   * never overtakes synchronous sends that wait for room (10035 while any waits).
   */
  trySendMessage(opcode: number, data: Buffer): number {
    if (!this.canSend()) return ErrorCode.ConnectionClosed;
    const synchronous = this.timeout > 0;
    if (synchronous && this.extra !== null && this.extra.syncPending > 0) {
      this.bytesSent = 0;
      return ErrorCode.WouldBlock;
    }
    if (!this.makeRoom()) return ErrorCode.WouldBlock;
    try {
      this.enqueueMessage(opcode, data, synchronous);
    } catch (error) {
      this.bytesSent = 0;
      return toServerError(error).code;
    }
    this.bytesSent = synchronous ? 0 : data.length;
    return 0;
  }

  /**
   * Sends one message. Asynchronous mode (Timeout 0): as queueMessage(); the returned promise is already
   * settled. Synchronous mode (Timeout > 0): waits for room (see waitForRoom in send-wait.ts) behind
   * earlier synchronous sends, so messages keep their order; when there is room and nothing waits, the
   * message is queued before this returns.
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
    const extra = this.extra;
    const waiting = extra !== null && (extra.syncPending > 0 || extra.sendingFile);
    if (!waiting && this.queuedBytes <= this.server.outBufferSize) {
      try {
        this.assertOpen();
        this.enqueueMessage(opcode, data, true);
        return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.sendWhenRoom(opcode, data);
  }

  /** A synchronous send that waits for room, behind the synchronous sends already waiting. */
  private sendWhenRoom(opcode: number, data: Buffer): Promise<void> {
    const extra = this.extras();
    const epoch = extra.interruptEpoch;
    const seconds = this.timeout;
    extra.syncPending++;
    const result = (extra.syncTail ?? RESOLVED)
      .then(async () => {
        // Interrupt ends every synchronous send that was waiting when it was called.
        if (epoch !== extra.interruptEpoch) throw new WSServerError(ErrorCode.Interrupted);
        await waitForRoom(this, seconds, false);
        this.enqueueMessage(opcode, data, true);
      })
      .finally(() => {
        // The last one out leaves no chain behind.
        if (--extra.syncPending === 0) extra.syncTail = null;
      });
    extra.syncTail = result.then(noop, noop);
    return result;
  }

  private enqueueMessage(opcode: number, data: Buffer, synchronous: boolean): void {
    const core = this.core!;
    if (opcode === Opcode.Ping) return core.ping(data);
    if (opcode === Opcode.Pong) return core.pong(data);
    const extra = this.extra;
    if (!synchronous && extra !== null && extra.messageRemaining > 0) {
      // MessageLength: the next N bytes, over several sends, form one message.
      if (data.length > extra.messageRemaining) {
        throw new WSServerError(ErrorCode.InvalidArgument, `Invalid argument. The data exceeds the ${extra.messageRemaining} bytes left of MessageLength.`);
      }
      if (core.sendingParts && extra.partOpcode !== opcode) {
        throw new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. All parts of a MessageLength message must have the same format.');
      }
      extra.partOpcode = opcode;
      extra.messageRemaining -= data.length;
      core.sendPart(opcode, data, extra.messageRemaining === 0);
      return;
    }
    if (core.sendingParts) {
      throw new WSServerError(ErrorCode.InvalidArgument, 'Invalid argument. A message sent in parts (MessageLength) is still unfinished.');
    }
    core.send(opcode, data);
  }

  /** Fires ReadyToSend once everything queued has been handed to the OS (compressions included). */
  private armReadyToSend(): void {
    const extra = this.extras();
    if (extra.drainArmed) return;
    extra.drainArmed = true;
    // Never before the failed send has returned: the caller must see its 10035 first.
    setImmediate(readyWhenDrained, this);
  }

  /** @internal The ReadyToSend wait: until the socket has taken everything and no compression is left. */
  readyWhenDrained(): void {
    const socket = this.socket;
    const extra = this.extras();
    if (this.phase !== Phase.Open || socket.destroyed) {
      extra.drainArmed = false;
      return;
    }
    this.flush();
    if (socket.writableLength > 0 && !socket.writableEnded) return onDrained(this, readyWhenDrained.bind(null, this));
    // Frames still being compressed come back through I/O: look again on the next turn, never in a spin.
    if (this.core && this.core.queuedOutputBytes > 0) return void setImmediate(readyWhenDrained, this);
    extra.drainArmed = false;
    this.readyToSend = true;
    this.server.dispatchEvent('ReadyToSend', { connectionId: this.connectionId });
  }

  /** The connection closed: every wait ends with 614. */
  private rejectWaiters(extra: ConnectionExtras): void {
    const interrupted = extra.interrupted;
    const pings = extra.pings;
    extra.interrupted = null;
    extra.pings = null;
    const error = interrupted || pings ? new WSServerError(ErrorCode.ConnectionClosed) : null;
    if (interrupted) for (const waiter of [...interrupted]) waiter.reject(error!);
    drainedNow(extra);
    if (pings) for (const waiter of pings.values()) waiter.reject(error!);
  }

  /**
   * Interrupt: ends a synchronous send that waits for room (610), and a SendFile, which then finishes its
   * message early with an empty final frame. The connection stays open.
   */
  interrupt(): void {
    const extra = this.extras();
    if (extra.sendingFile) extra.fileInterrupted = true;
    extra.interruptEpoch++;
    const interrupted = extra.interrupted;
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
    const extra = this.extras();
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(++extra.pingCounter >>> 0);
    this.core!.ping(payload);
    if (this.timeout === 0) return;
    const key = payload.toString('hex');
    let timer: NodeJS.Timeout | undefined;
    const pong = new Promise<void>((resolve, reject) => {
      timer = setTimeout(reject, this.timeout * 1000, new WSServerError(ErrorCode.Timeout));
      (extra.pings ??= new Map()).set(key, { resolve, reject });
    });
    try {
      await interruptible(this, pong);
    } finally {
      clearTimeout(timer);
      extra.pings?.delete(key);
    }
  }

  /**
   * SendFile: streams the file as ONE binary message, a part per read (frames of at most MaxFrameSize),
   * reading only while no more than OutBufferSize bytes wait for the client: memory stays near
   * OutBufferSize whatever the file size. Resolves once the last part is queued. Meanwhile other sends on
   * this connection fail with 10035 (or wait, when synchronous). Timeout > 0 is an inactivity limit (609);
   * Interrupt ends the message early with an empty final frame and fails with 610. (See send-file.ts.)
   */
  sendFile(path: string): Promise<void> {
    return sendFile(this, path);
  }

  /** ChangeLineMode. Switching off hands out what was gathered (eol false). */
  changeLineMode(on: boolean): void {
    if (on) {
      const extra = this.extras();
      extra.lineSplitter ??= new LineSplitter(this.maxLineLength);
      extra.emitLine ??= (line, eol) => this.holdLine(line, eol);
      return;
    }
    const extra = this.extra;
    const splitter = extra ? extra.lineSplitter : null;
    if (extra && splitter) {
      extra.lineSplitter = null;
      splitter.flush(extra.emitLine!);
      this.releaseLine(false);
    }
  }

  setMaxLineLength(value: number): void {
    const splitter = this.extra ? this.extra.lineSplitter : null;
    if (splitter && splitter.pending > 0) throw new WSServerError(ErrorCode.MaxLineLengthWhileConnected);
    this.maxLineLength = value;
    if (splitter) splitter.maxLineLength = value;
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
      this.destroy();
      return closed;
    }
    if (this.phase === Phase.Open && this.core) {
      this.setCloseStatus(code, reason);
      this.core.close(code, reason);
      this.phase = Phase.Closing;
      if (this.server.logs(1)) this.server.log(this.connectionId, 1, `Closing (${code}${reason ? ` ${reason}` : ''}).`, 'Info');
      if (waitForReply) {
        this.flush();
        this.extras().closeTimer = setTimeout(lingerOver, waitSeconds * 1000, this.socket);
      } else {
        this.endWhenFlushed = true;
        this.flush();
      }
    }
    return closed;
  }

  /** Drops the TCP connection at once. */
  destroy(): void {
    this.rememberAddresses();
    this.socket.destroy();
  }

  /** True while messages can be sent. */
  private canSend(): boolean {
    // A destroyed socket may not have reported 'close' yet: nothing sent now could arrive.
    return this.phase === Phase.Open && this.core !== null && !this.core.closing && !this.socket.destroyed;
  }

  /** @internal Throws 614 unless messages can be sent. */
  assertOpen(): void {
    if (!this.canSend()) throw new WSServerError(ErrorCode.ConnectionClosed);
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
    connection.phase === Phase.Handshake ? connection.handshakeTimeout() : connection.destroy();
  }
}

function handshakeTimedOut(connection: WSConnection): void {
  connection.handshakeTimeout();
}

function endYield(connection: WSConnection): void {
  connection.endYield();
}

function readyWhenDrained(connection: WSConnection): void {
  connection.readyWhenDrained();
}

function noop(): void {}

/** chunks[from..to) as one buffer of `bytes` bytes (the chunk itself when it is the only one). */
function joinChunks(chunks: readonly Buffer[], from: number, to: number, bytes: number): Buffer {
  if (to - from === 1) return chunks[from]!;
  const joined = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = from; i < to; i++) {
    const chunk = chunks[i]!;
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}

function lingerOver(socket: SocketWithConnection): void {
  const connection = socket[kConnection];
  if (connection) connection.destroy();
  else socket.destroy();
}
