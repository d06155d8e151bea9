/**
 * The end of a connection (RFC 6455 §7): a close we start (Disconnect, Connected=false, Shutdown), the
 * peer's close, a protocol violation that fails the connection, the peer's FIN, and the socket going
 * away — after which every wait ends, the connection leaves the registry and Disconnected fires.
 */
import { socketErrorCode } from './socket-errors';
import { CloseCode } from '../protocol/constants';
import type { ProtocolError } from '../protocol/errors';
import { ErrorCode, errorMessage } from '../generated/api';
import { Phase, type ConnectionBase } from './connection-base';
import { releaseHeldLine } from './line-mode';
import { goneAs } from './metrics';
import { ReadHold } from './read-gate';
import { rejectWaiters } from './send-policy';
import { secondsToTimer } from './timer-limit';

/**
 * Disconnect (the method, WSConnectionConnected=false, and Shutdown for each connection): a close with
 * DisconnectStatusCode / DisconnectStatusDescription; with WaitForCloseResponse it waits for the
 * client's reply up to the connection's Timeout, else 5 s.
 */
export function disconnect(connection: ConnectionBase): Promise<void> {
  const values = connection.engine.settings.values;
  const waitSeconds = connection.timeout > 0 ? connection.timeout : 5;
  return close(connection, values.DisconnectStatusCode, values.DisconnectStatusDescription, values.WaitForCloseResponse, waitSeconds);
}

/**
 * A close we start: close frame with `code`/`reason`; with `waitForReply` the TCP connection ends when
 * the client answers (or after `waitSeconds`), else once the close frame is out.
 */
export function close(connection: ConnectionBase, code: number, reason: string, waitForReply: boolean, waitSeconds: number): Promise<void> {
  const closed = whenClosed(connection);
  if (connection.stage < Phase.Open) {
    connection.stage = Phase.Closed;
    connection.destroy();
    return closed;
  }
  if (connection.phase === Phase.Open) {
    const logger = connection.engine.logger;
    connection.setCloseStatus(code, reason);
    connection.core!.close(code, reason);
    if (logger.logs(1)) logger.log(connection.connectionId, 1, `Closing (${code}${reason ? ` ${reason}` : ''}).`, 'Info');
    if (waitForReply) {
      connection.flush();
      connection.driver.lingerFor(secondsToTimer(waitSeconds));
    } else {
      connection.driver.endAfterOutput();
      connection.flush();
    }
  }
  return closed;
}

/**
 * The peer's close frame arrived. Nothing more is read; the reply goes out after the events queued
 * before the close have fired (DoEvents mode), so what the application sends from them comes first.
 */
export function peerClosed(connection: ConnectionBase, code: number, reason: string): void {
  const logger = connection.engine.logger;
  connection.setCloseStatus(code, reason);
  connection.driver.gate.hold(ReadHold.Ended);
  if (logger.logs(1)) logger.log(connection.connectionId, 1, `Close received (${code}${reason ? ` ${reason}` : ''}).`, 'Info');
  connection.engine.dispatcher.dispatchAction(() => replyToClose(connection));
}

function replyToClose(connection: ConnectionBase): void {
  if (!connection.core || connection.stage >= Phase.Closed) return;
  connection.core.replyToClose();
  // §7.1.1: the server closes the TCP connection first, once its close frame is out.
  connection.driver.endAfterOutput();
  if (!connection.driver.inBatch) connection.flush();
}

/** The peer broke the protocol: nothing more is read; the close goes out after the events queued before it. */
export function protocolFailed(connection: ConnectionBase, error: ProtocolError): void {
  const { logger, dispatcher } = connection.engine;
  const id = connection.connectionId;
  connection.driver.gate.hold(ReadHold.Ended);
  logger.log(id, 1, `Protocol error: ${error.message} (close ${error.closeCode}).`, 'Error');
  connection.engine.metrics.protocolFailed(error.closeCode);
  dispatcher.reportError(id, ErrorCode.ProtocolViolation, `${errorMessage(ErrorCode.ProtocolViolation)} ${error.message} (${error.code}, close ${error.closeCode}).`);
  // Queued events of this connection fire (and may be answered) before the close frame goes out.
  dispatcher.dispatchAction(() => failNow(connection, error));
}

function failNow(connection: ConnectionBase, error: ProtocolError): void {
  if (!connection.core || connection.stage >= Phase.Closed) return;
  connection.core.fail(error);
  connection.setCloseStatus(error.closeCode, error.message);
  connection.driver.endAfterOutput();
  connection.flush();
}

/**
 * The client half-closed: nothing more will come. Our FIN follows once our output is out — after the
 * events queued before the FIN have fired, so that their answers are not cut off.
 */
export function socketEnded(connection: ConnectionBase): void {
  connection.driver.gate.hold(ReadHold.Ended);
  connection.engine.dispatcher.dispatchAction(() => endAfterOutput(connection));
}

function endAfterOutput(connection: ConnectionBase): void {
  if (connection.phase === Phase.Open) connection.driver.endAfterOutput();
  connection.flush();
}

/** The socket is gone: waits end with 614, the connection leaves the registry, Disconnected fires. */
export function socketClosed(connection: ConnectionBase): void {
  const wasStage = connection.stage;
  connection.stage = Phase.Closed;
  connection.handshake?.clearTimer();
  connection.handshake = null;
  connection.core?.destroy();
  const extra = connection.extra;
  if (extra) {
    rejectWaiters(extra);
    extra.proxyIntake?.stop();
  }
  const { logger, dispatcher } = connection.engine;
  const id = connection.connectionId;
  connection.engine.connectionClosed(id);
  if (connection.core) {
    releaseHeldLine(connection);
    const statusCode = extra ? extra.closeCode : CloseCode.Abnormal;
    const description = extra ? extra.closeReason : '';
    connection.engine.metrics.connectionGone(connection, goneAs(connection, wasStage), statusCode);
    if (logger.logs(1)) logger.log(id, 1, `Disconnected (${statusCode}).`, 'Info');
    dispatcher.dispatchEvent('Disconnected', { connectionId: id, statusCode, description });
  } else {
    connection.engine.metrics.connectionGone(connection, goneAs(connection, wasStage), 0);
    if (wasStage !== Phase.Closed) logger.log(id, 1, 'Connection closed during the handshake.', 'Info');
  }
  extra?.resolveClosed?.();
}

/**
 * More than MaxQueuedOutput bytes wait for a client that reads nothing: it is dropped at once (a close
 * frame would wait behind everything it does not read) and Disconnected reports 1008.
 */
export function outputOverflowed(connection: ConnectionBase, queued: number): void {
  if (connection.stage >= Phase.Closed) return;
  const logger = connection.engine.logger;
  const cap = connection.engine.settings.values.MaxQueuedOutput;
  connection.setCloseStatus(CloseCode.PolicyViolation, 'Output budget exceeded');
  connection.engine.metrics.outputOverflows++;
  logger.log(connection.connectionId, 1, `Dropped: ${queued} bytes wait for a client that does not read (MaxQueuedOutput ${cap}).`, 'Error');
  connection.driver.gate.hold(ReadHold.Ended);
  connection.destroy();
}

/**
 * Node error codes that only a write can raise: the socket could not take, or deliver, what we wrote.
 * (ECONNRESET is not here: a reset read with nothing to send is a client going away, not a failed send.)
 */
const WRITE_ERROR_CODES: ReadonlySet<string> = new Set(['EPIPE', 'ESHUTDOWN', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED']);

/**
 * Whether a socket error counts as an error "sending data to the connected client" (4202): the error
 * came from a write (its syscall is `write`, or its code is one only a write raises — EPIPE, ESHUTDOWN,
 * ERR_STREAM_WRITE_AFTER_END, ERR_STREAM_DESTROYED), or output for the client was still waiting when it
 * came (`pendingBytes` > 0: gathered, in the socket, or behind a compression), so that output is lost.
 * A reset that arrives while nothing waits for the client (ECONNRESET on a read of an idle connection)
 * is not: the client went away, and Disconnected (1006) says so.
 */
export function failedWhileSending(error: Error, pendingBytes: number): boolean {
  if (pendingBytes > 0) return true;
  const { code, syscall } = error as NodeJS.ErrnoException;
  return syscall === 'write' || (typeof code === 'string' && WRITE_ERROR_CODES.has(code));
}

/**
 * A socket error: logged; on an open WebSocket, an error while sending (see failedWhileSending) also
 * fires the Error event with 4202 and the connection id. The close that follows reports the end.
 * Before the WebSocket opened the application has no connection to be told about: only the log sees it.
 */
export function socketFailed(connection: ConnectionBase, error: Error): void {
  const code = socketErrorCode(error);
  const { logger, dispatcher } = connection.engine;
  const id = connection.connectionId;
  connection.engine.metrics.socketErrors++;
  logger.log(id, 1, `Socket error${code ? ` ${code}` : ''}: ${error.message}`, 'Error');
  if (connection.core === null) return;
  const pending = connection.queuedBytes;
  if (!failedWhileSending(error, pending)) return;
  const lost = pending > 0 ? ` (${pending} bytes not sent)` : '';
  dispatcher.reportError(id, ErrorCode.SendError, `${errorMessage(ErrorCode.SendError)} ${error.message}${lost}`);
}

/** Resolves once the socket has closed. */
export function whenClosed(connection: ConnectionBase): Promise<void> {
  const destroyed = connection.driver.destroyed;
  if (connection.stage === Phase.Closed && !destroyed) return Promise.resolve();
  const extra = connection.extras();
  return (extra.closedPromise ??= new Promise((resolve) => {
    if (destroyed && connection.stage === Phase.Closed) resolve();
    extra.resolveClosed = resolve;
  }));
}
