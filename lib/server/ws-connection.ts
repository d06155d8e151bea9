/**
 * One client connection as the application sees it: the reference's per-connection properties
 * (WSConnection*) and methods, over the state in connection-base.ts. It wires the protocol core's and
 * the socket's callbacks to the modules that do each job:
 *   handshake-flow   admission, the upgrade request, WebSocketOpenRequest, 101 or an HTTP error
 *   reading          input into the core; AcceptData, the DoEvents backlog, MaxReadTime
 *   line-mode        DataIn per line
 *   send-policy      sends by the asynchronous or synchronous rules, MessageLength, pings, Interrupt
 *   send-file        SendFile, streamed
 *   closing          every way a connection ends
 * and socket-driver / read-gate below them all.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Opcode } from '../protocol/constants';
import type { ProtocolError } from '../protocol/errors';
import { ConnectionBase, Phase } from './connection-base';
import { close, disconnect, outputOverflowed, peerClosed, protocolFailed, socketClosed, socketEnded, socketFailed, whenClosed } from './closing';
import type { EngineContext } from './engine-context';
import { DataInEvent } from './events';
import { beginHandshake, handshakeTimeout, receiveHandshake, refuse } from './handshake-flow';
import { changeLineMode, inLineMode, receiveLines, setMaxLineLength } from './line-mode';
import { proxyHeaderEnded, receiveProxyHeader } from './proxy-intake';
import { ReadHold } from './read-gate';
import { countReceived } from './metrics';
import { eventFired, eventQueued, receive, setAcceptData, tickReadClock } from './reading';
import { sendFile } from './send-file';
import { interrupt, ping, pongReceived, queueMessage, sendMessage, setDataToSend, setMessageLength, trySendMessage } from './send-policy';

export { Phase } from './connection-base';

export class WSConnection extends ConnectionBase {
  constructor(engine: EngineContext, socket: Socket, connectionId: number) {
    super(engine, socket, connectionId);
  }

  // ─── Reference properties ───────────────────────────────────────────────────────────────────

  /** The client's address (IPv4 clients in dotted form). */
  get remoteHost(): string {
    return this.driver.remoteHost;
  }

  get remotePort(): number {
    return this.driver.remotePort;
  }

  /** The local address the client connected to. */
  get localAddress(): string {
    return this.driver.localAddress;
  }

  /** Unique across servers and restarts (the ConnectionUID config setting); made when first read. */
  get uid(): string {
    const extras = this.extras();
    return (extras.uid ||= randomUUID());
  }

  /** WSConnectionConnected: true while the WebSocket is open. Setting false closes it as Disconnect does. */
  get connected(): boolean {
    return this.phase === Phase.Open;
  }

  set connected(value: boolean) {
    if (value || this.stage === Phase.Closed) return;
    disconnect(this).catch(noop);
  }

  /** WSConnectionAcceptData: false stops reading and DataIn; true resumes. Nothing is lost. */
  get acceptData(): boolean {
    return this.acceptDataValue;
  }

  set acceptData(value: boolean) {
    setAcceptData(this, value);
  }

  /** WSConnectionLineMode (read-only; changed by ChangeLineMode). */
  get lineMode(): boolean {
    return inLineMode(this);
  }

  /** MessageLength[cid]: bytes still to come in the current multi-call message. */
  get messageRemaining(): number {
    return this.extra === null ? 0 : this.extra.messageRemaining;
  }

  set messageRemaining(value: number) {
    setMessageLength(this, value);
  }

  // ─── Methods ────────────────────────────────────────────────────────────────────────────────

  /** Continues after ConnectionRequest (and TLS) accepted: read the upgrade request. */
  beginHandshake(): void {
    beginHandshake(this);
  }

  /** Refuses the connection before anything was read (ConnectionRequest said no). */
  refuse(): void {
    this.engine.metrics.refusedConnectionRequest++;
    refuse(this);
  }

  /** Queues one message by the asynchronous rules (10035 above OutBufferSize); throws synchronously. */
  queueMessage(opcode: number, data: Buffer): void {
    queueMessage(this, opcode, data);
  }

  /** WSConnectionDataToSend: queued now or 10035, whatever Timeout is (a property set cannot wait). */
  setDataToSend(opcode: number, data: Buffer): void {
    setDataToSend(this, opcode, data);
  }

  /** Queues one message if it can go now: 0, or the error code (see WSServer.trySend). */
  trySendMessage(opcode: number, data: Buffer): number {
    return trySendMessage(this, opcode, data);
  }

  /** Sends one message: queued at once (Timeout 0) or after waiting for room (Timeout > 0). */
  sendMessage(opcode: number, data: Buffer): Promise<void> {
    return sendMessage(this, opcode, data);
  }

  /** SendFile: the file as ONE binary message, streamed within OutBufferSize (see send-file.ts). */
  sendFile(path: string): Promise<void> {
    return sendFile(this, path);
  }

  /** Sends a ping; with a positive Timeout, resolves when the matching pong arrives (609 after Timeout). */
  ping(): Promise<void> {
    return ping(this);
  }

  /** Interrupt: ends a waiting synchronous send (610) or a SendFile; the connection stays open. */
  interrupt(): void {
    interrupt(this);
  }

  /** ChangeLineMode. Switching off hands out what was gathered (eol false). */
  changeLineMode(on: boolean): void {
    changeLineMode(this, on);
  }

  setMaxLineLength(value: number): void {
    setMaxLineLength(this, value);
  }

  /** Applies a changed server-wide setting that open connections follow. */
  applySetting(name: string, value: unknown): void {
    const core = this.core;
    if (!core) return;
    if (name === 'MaxFrameSize') core.maxFrameSize = value as number;
    else if (name === 'BufferMessage') core.bufferMessages = value as boolean;
  }

  /** A close we start (Disconnect, Connected=false, Shutdown); resolves once the socket has closed. */
  close(code: number, reason: string, waitForReply: boolean, waitSeconds: number): Promise<void> {
    return close(this, code, reason, waitForReply, waitSeconds);
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    return whenClosed(this);
  }

  // ─── The TLS layer's view (lib/tls/tls-host.ts) ─────────────────────────────────────────────

  /** TLS: admitted, so the TLS layer may read the ClientHello; the upgrade request waits for beginHandshake. */
  admitForTls(): void {
    this.driver.gate.release(ReadHold.Admission);
  }

  /** TLS: carries on over the TLS socket that now wraps the TCP one, held until beginHandshake. */
  useSocket(socket: TLSSocket | Socket): void {
    this.driver.gate.hold(ReadHold.Handshake);
    this.driver.useSocket(socket);
  }

  /** TLS: reading held while the TLS layer waits for the application (SSLConnectionRequest, SSLClientAuthentication). */
  holdReading(held: boolean): void {
    this.driver.gate.set(ReadHold.Handshake, held);
  }

  // ─── Callbacks of the socket and of the protocol core ───────────────────────────────────────

  onSocketData(chunk: Buffer): void {
    if (this.core !== null) receive(this, chunk);
    else if (this.handshake !== null) receiveHandshake(this, chunk);
    else if (this.extra !== null && this.extra.proxyIntake !== null) receiveProxyHeader(this, this.extra.proxyIntake, chunk);
  }

  onSocketEnd(): void {
    const intake = this.extra === null ? null : this.extra.proxyIntake;
    if (intake !== null) return proxyHeaderEnded(this, intake);
    socketEnded(this);
  }

  onSocketClose(): void {
    socketClosed(this);
  }

  onSocketError(error: Error): void {
    socketFailed(this, error);
  }

  onOutputOverflow(queued: number): void {
    outputOverflowed(this, queued);
  }

  onSocketTimeout(): void {
    const stage = this.stage;
    if (stage === Phase.Handshake || stage === Phase.Opening) handshakeTimeout(this);
    else if (stage < Phase.Open) this.destroy();
  }

  /** Message data from the core: DataIn per piece, or per line in line mode. */
  onData(opcode: number, data: Buffer, first: boolean, last: boolean): void {
    countReceived(this, data.length, last);
    const splitter = this.extra === null ? null : this.extra.lineSplitter;
    if (splitter !== null) receiveLines(this, splitter, data, last);
    else this.engine.dispatcher.dispatchDataIn(this, new DataInEvent(this.connectionId, first ? opcode : 0, data, last, false, opcode === Opcode.Text));
    tickReadClock(this);
  }

  onPing(payload: Buffer): void {
    this.engine.dispatcher.dispatchEvent('Ping', pingEvent(this.connectionId, payload, false));
  }

  onPong(payload: Buffer): void {
    pongReceived(this, payload);
    this.engine.dispatcher.dispatchEvent('Ping', pingEvent(this.connectionId, payload, true));
  }

  onPeerClose(code: number, reason: string): void {
    peerClosed(this, code, reason);
  }

  onProtocolError(error: ProtocolError): void {
    protocolFailed(this, error);
  }

  /** The core waits for a background inflate: what the peer sends meanwhile stays in the kernel. */
  onInflating(busy: boolean): void {
    this.driver.gate.set(ReadHold.Inflate, busy);
  }

  eventQueued(cost: number): void {
    eventQueued(this, cost);
  }

  eventFired(cost: number): void {
    eventFired(this, cost);
  }
}

function pingEvent(connectionId: number, payload: Buffer, response: boolean) {
  return { connectionId, payload: payload.toString('latin1'), payloadB: payload, response };
}

function noop(): void {}
