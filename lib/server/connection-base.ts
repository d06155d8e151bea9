/**
 * The state of one connection, shared by the modules that each do one job with it (handshake-flow,
 * reading, line-mode, send-policy, closing) and shown to the application by WSConnection, which
 * extends it. Only state and the few checks every job needs live here; the jobs import this, never
 * WSConnection, so nothing below the property face depends on it.
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '../generated/api';
import { ConnectionState, type ConnectionHandler, type ServerConnection } from '../protocol/connection';
import type { ProtocolError } from '../protocol/errors';
import type { BacklogOwner } from './dispatcher';
import { ConnectionExtras, type FileSendState, type WaitState } from './connection-extras';
import type { EngineContext } from './engine-context';
import { WSServerError } from './errors';
import type { OpeningHandshake } from './opening-handshake';
import type { ReadClock } from './read-clock';
import { describeHolds } from './read-gate';
import { SocketDriver, type SocketOwner } from './socket-driver';

/** A connection's queue figures (see ConnectionBase.queueFigures). */
export interface QueueFigures {
  /** Bytes waiting to be written to the client in this process (gathered, in the socket, behind a compression). Budget: OutBufferSize (reading stops), MaxQueuedOutput (dropped). */
  outputBytes: number;
  /** Bytes read from the socket and not parsed yet, kept while the core is paused. Budget: about one read. */
  heldInputBytes: number;
  /** The buffer a message is being assembled in (BufferMessage). Budget: MaxMessageSize, growing with what arrived. */
  assemblyBytes: number;
  /** What the events queued for DoEvents on this connection's behalf cost. Budget: InBufferSize × 16. */
  backlogBytes: number;
  /** How many events are queued for DoEvents on this connection's behalf. Budget: MaxQueuedEvents. */
  backlogEvents: number;
  /** Why the connection is not read right now (the read gate's reasons; empty while it is read). */
  readHolds: string[];
}

/**
 * Where a connection is before and after its WebSocket exists. While it is open, Open and Closing
 * are the protocol core's own state (see `phase`), not a copy of it.
 */
export const Phase = Object.freeze({
  /** TCP accepted; ConnectionRequest (and TLS) decide whether it may go on. Nothing has been read. */
  Requested: 0,
  /** Reading the HTTP upgrade request. */
  Handshake: 1,
  /** The request is complete; WebSocketOpenRequest decides. Reading is held. */
  Opening: 2,
  /** WebSocket open. */
  Open: 3,
  /** Close frame sent or received; waiting for the close to complete or the TCP end. */
  Closing: 4,
  /** The socket is gone, or the connection was refused. */
  Closed: 5,
} as const);
export type Phase = (typeof Phase)[keyof typeof Phase];

export abstract class ConnectionBase implements ConnectionHandler, SocketOwner, BacklogOwner {
  /** The identifier used everywhere in the API. Never reused during the server's life. */
  readonly connectionId: number;
  /** @internal The parts of the server this connection works with. */
  readonly engine: EngineContext;
  /** @internal The socket side: reading, writing, timers. */
  readonly driver: SocketDriver;

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

  /** @internal Before the WebSocket exists and after its socket is gone (see `phase`). */
  stage: Phase = Phase.Requested;
  /** @internal The protocol core, from the moment the WebSocket opened (it stays after the close). */
  core: ServerConnection | null = null;
  /** @internal The opening handshake while it lasts. */
  handshake: OpeningHandshake | null = null;
  /** @internal The rarely used state (see connection-extras.ts). */
  extra: ConnectionExtras | null = null;
  /** @internal MaxReadTime bookkeeping, made when first needed. */
  clock: ReadClock | null = null;
  /** @internal AcceptData as the application set it. */
  acceptDataValue = true;
  /** @internal What the events queued for DoEvents on this connection's behalf cost, in bytes (see EVENT_COST). */
  queuedInput = 0;
  /** @internal How many events are queued for DoEvents on this connection's behalf. */
  queuedEvents = 0;
  /**
   * @internal InBufferSize as it was when the connection was accepted (the reference: "existing
   * connections are not modified"). Only specs change it afterwards.
   */
  inBufferSize: number;
  /** @internal OutBufferSize as it was when the connection was accepted (see inBufferSize). */
  outBufferSize: number;
  /** @internal Traffic of text and binary messages, payload bytes (see metrics.ts). */
  messagesIn = 0;
  /** @internal */
  messagesOut = 0;
  /** @internal */
  bytesIn = 0;
  /** @internal */
  bytesOut = 0;

  constructor(engine: EngineContext, socket: Socket, connectionId: number) {
    this.engine = engine;
    this.connectionId = connectionId;
    const values = engine.settings.values;
    this.timeout = engine.defaultTimeout;
    this.maxLineLength = values.MaxLineLength;
    this.inBufferSize = values.InBufferSize;
    this.outBufferSize = values.OutBufferSize;
    this.driver = new SocketDriver(this, socket, engine.flusher, engine.logger);
    engine.metrics.accepted++;
  }

  /**
   * Where the connection is. While the WebSocket is open the protocol core says whether a close has
   * begun; before and after, the engine's stage does.
   */
  get phase(): Phase {
    const stage = this.stage;
    if (stage !== Phase.Open) return stage;
    return this.core!.state === ConnectionState.Open ? Phase.Open : Phase.Closing;
  }

  /** @internal The rarely used state, created on first use. */
  extras(): ConnectionExtras {
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

  /** The socket the connection speaks over (the TLS socket once TLS is up). */
  get rawSocket(): Socket {
    return this.driver.rawSocket;
  }

  /**
   * Bytes waiting to be written to this client in this process (the kernel's socket buffer not counted):
   * gathered for the next write, in the socket, and held behind a compression (whole inputs while they
   * compress).
   */
  get queuedBytes(): number {
    return this.driver.queuedBytes + (this.core ? this.core.queuedOutputBytes : 0);
  }

  /**
   * What this connection holds right now, per budget (docs/LIMITS.md): for specs, monitoring and
   * operators. Each figure is read from its one owner; nothing is counted twice.
   */
  queueFigures(): QueueFigures {
    const core = this.core;
    return {
      outputBytes: this.queuedBytes,
      heldInputBytes: core === null ? 0 : core.heldInputBytes,
      assemblyBytes: core === null ? 0 : core.assemblyBytes,
      backlogBytes: this.queuedInput,
      backlogEvents: this.queuedEvents,
      readHolds: describeHolds(this.driver.gate.reasons),
    };
  }

  /** SocketOwner: MaxQueuedOutput, read when it matters (0: no limit). */
  get outputCap(): number {
    return this.engine.settings.values.MaxQueuedOutput;
  }

  /** SocketOwner: the output budget stopped reading (counted for metrics). */
  outputHeld(): void {
    this.engine.metrics.outputHolds++;
  }

  /** SocketOwner: output waits in the core behind a compression, so our FIN must too. */
  get holdsOutput(): boolean {
    return this.core !== null && this.core.hasQueuedOutput;
  }

  /** Writes what was gathered for this client now. */
  flush(): void {
    this.driver.flush();
  }

  /** ConnectionHandler: bytes for the client, batched by the driver. */
  write(data: Buffer): void {
    this.driver.write(data);
  }

  /** True while messages can be sent. */
  canSend(): boolean {
    // A destroyed socket may not have reported 'close' yet: nothing sent now could arrive.
    return this.phase === Phase.Open && !this.core!.closing && !this.driver.destroyed;
  }

  /** @internal Throws 614 unless messages can be sent. */
  assertOpen(): void {
    if (!this.canSend()) throw new WSServerError(ErrorCode.ConnectionClosed);
  }

  /** @internal The status the Disconnected event will report. */
  setCloseStatus(code: number, reason: string): void {
    const extra = this.extras();
    extra.closeCode = code;
    extra.closeReason = reason;
  }

  /** Drops the TCP connection at once. */
  destroy(): void {
    this.driver.destroy();
  }

  // The jobs that WSConnection wires in (the core's and the socket's callbacks).
  abstract onData(opcode: number, data: Buffer, first: boolean, last: boolean): void;
  abstract onPing(payload: Buffer): void;
  abstract onPong(payload: Buffer): void;
  abstract onPeerClose(code: number, reason: string): void;
  abstract onProtocolError(error: ProtocolError): void;
  abstract onSocketData(chunk: Buffer): void;
  abstract onSocketEnd(): void;
  abstract onSocketClose(): void;
  abstract onSocketError(error: Error): void;
  abstract onSocketTimeout(): void;
  abstract onOutputOverflow(queued: number): void;
  abstract eventQueued(cost: number): void;
  abstract eventFired(cost: number): void;
}
