/**
 * The opening of a connection, in the order it happens (RFC 6455 §4.2): admitted by ConnectionRequest,
 * the upgrade request read under its deadlines (HandshakeTimeout, DefaultConnectionTimeout), held while
 * WebSocketOpenRequest decides (the deadlines still running: an async handler has until then), then
 * answered — 101 and the protocol core, or an HTTP error; 500 when the handler failed (fail closed).
 * The request parsing and the answers themselves are in opening-handshake.ts; this module drives them.
 */
import { ErrorCode, errorMessage } from '../generated/api';
import { HandshakeError } from '../protocol/errors';
import { ServerConnection } from '../protocol/connection';
import type { UpgradeRequest } from '../protocol/handshake';
import type { HttpRequest } from '../protocol/http-request';
import { defaultAccept } from './client-filter';
import { Phase, type ConnectionBase } from './connection-base';
import type { WebSocketOpenRequestEvent } from './events';
import { forwardedClient } from './forwarded-client';
import { healthCheckResponse, isHealthCheck } from './health-check';
import { OpeningHandshake, acceptResponse, agree, openRequestEvent, rejectResponse } from './opening-handshake';
import { ReadHold } from './read-gate';
import { receive } from './reading';
import { describeThrown } from './errors';
import { secondsToTimer } from './timer-limit';

/** ConnectionRequest (and TLS) let the connection go on: read the upgrade request. */
export function beginHandshake(connection: ConnectionBase): void {
  if (connection.stage !== Phase.Requested) return;
  const values = connection.engine.settings.values;
  connection.stage = Phase.Handshake;
  const handshake = new OpeningHandshake(values.MaxHeaderSize);
  connection.handshake = handshake;
  const deadline = values.HandshakeTimeout;
  // Slowloris: a client that sends half a request and waits is dropped at the deadline.
  if (deadline > 0) handshake.timer = setTimeout(handshakeTimeout, secondsToTimer(deadline), connection);
  const idle = values.DefaultConnectionTimeout;
  if (idle > 0) {
    connection.driver.setIdleTimeout(secondsToTimer(idle));
    handshake.idleTimeout = true;
  }
  const gate = connection.driver.gate;
  gate.release(ReadHold.Handshake);
  gate.release(ReadHold.Admission);
}

/** ConnectionRequest said no: the connection closes before anything was read. */
export function refuse(connection: ConnectionBase): void {
  connection.stage = Phase.Closed;
  connection.destroy();
}

/** HandshakeTimeout or DefaultConnectionTimeout ran out before the WebSocket opened. */
export function handshakeTimeout(connection: ConnectionBase): void {
  if (connection.handshake) connection.handshake.timer = null;
  const stage = connection.stage;
  if (stage !== Phase.Handshake && stage !== Phase.Opening) return;
  connection.engine.logger.log(connection.connectionId, 1, 'Handshake timed out.', 'Error');
  if (stage === Phase.Handshake) {
    rejectHandshake(connection, 408, []);
    return;
  }
  // Closed now, not when the socket reports it: WebSocketOpenRequest may still fire meanwhile, and
  // must not open a WebSocket on a socket that is gone.
  connection.stage = Phase.Closed;
  connection.destroy();
}

/** Bytes of the upgrade request (or of frames sent right behind it). */
export function receiveHandshake(connection: ConnectionBase, chunk: Buffer): void {
  const handshake = connection.handshake!;
  if (connection.stage === Phase.Opening) {
    // Frames a client sends right behind its request wait for the handshake to complete.
    handshake.hold(chunk);
    return;
  }
  const { logger, dispatcher } = connection.engine;
  const id = connection.connectionId;
  let upgrade: UpgradeRequest;
  try {
    const request = handshake.readRequest(chunk);
    if (!request) return;
    const healthPath = connection.engine.settings.values.HealthCheckPath;
    if (healthPath !== '' && isHealthCheck(request, healthPath)) return answerHealthCheck(connection, request.method);
    upgrade = handshake.validate(request);
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    logger.log(id, 1, `Handshake refused (${error.httpStatus}): ${error.message}`, 'Error');
    dispatcher.reportError(id, ErrorCode.HandshakeFailed, `${errorMessage(ErrorCode.HandshakeFailed)} ${error.message} (HTTP ${error.httpStatus}).`);
    rejectHandshake(connection, error.httpStatus, error.headers.map(([n, v]) => [n, v]));
    return;
  }
  if (!clientBehindProxies(connection, upgrade.request)) return;
  // HandshakeTimeout keeps running while WebSocketOpenRequest decides: an async handler that never
  // settles must not hold the connection for ever.
  connection.driver.gate.hold(ReadHold.Handshake);
  connection.stage = Phase.Opening;
  const event = openRequestEvent(id, upgrade);
  connection.host = upgrade.host;
  connection.origin = upgrade.origin;
  connection.requestURI = upgrade.uri;
  connection.requestHeaders = upgrade.request.rawHeaders;
  connection.subProtocols = event.subProtocols;
  if (logger.logs(1)) logger.log(id, 1, `GET ${upgrade.uri} HTTP/${upgrade.request.httpVersion}`, 'Info');
  logger.logHeaders(id, upgrade.request.headers);
  // The handshake stays held until the event has been decided: its out-parameters decide.
  dispatcher.dispatchHeld('WebSocketOpenRequest', event, (refused) => (refused ? refuseOpening(connection) : completeHandshake(connection, event)));
}

/**
 * TrustedProxies: a trusted peer's Forwarded / X-Forwarded-For names the client, which RemoteHost (and
 * RemotePort, when Forwarded gives one) then show, and which AllowedClients / BlockedClients are applied
 * to again. Returns false when they refuse it (answered 403).
 */
function clientBehindProxies(connection: ConnectionBase, request: HttpRequest): boolean {
  const { clients, logger } = connection.engine;
  if (clients.trusted.entries.length === 0) return true;
  const driver = connection.driver;
  const peer = driver.remoteHost;
  const verdict = forwardedClient(request, peer, clients.trusted);
  const id = connection.connectionId;
  if (verdict.kind === 'direct') return true;
  if (verdict.kind === 'malformed') {
    logger.log(id, 1, `Ignored a malformed ${verdict.header} header from the trusted proxy ${peer}: ${JSON.stringify(verdict.value.slice(0, 200))}; the client is taken to be ${peer}.`, 'Error');
    return true;
  }
  driver.useClientAddress(verdict.address, verdict.port);
  if (logger.logs(2)) logger.log(id, 2, `Client ${verdict.address}${verdict.port === null ? '' : `:${verdict.port}`} (${verdict.header} from the trusted proxy ${peer}).`, 'Info');
  if (clients.allowed.entries.length === 0 && clients.blocked.entries.length === 0) return true;
  if (defaultAccept(verdict.address, clients.allowed, clients.blocked)) return true;
  logger.log(id, 1, `Handshake refused (403): the client ${verdict.address} named by ${verdict.header} is not allowed by AllowedClients / BlockedClients.`, 'Info');
  rejectHandshake(connection, 403, []);
  return false;
}

/** HealthCheckPath: 200 and the connection closed; no WebSocket event, no refusal counted. */
function answerHealthCheck(connection: ConnectionBase, method: string): void {
  const { metrics, logger } = connection.engine;
  metrics.healthChecks++;
  if (logger.logs(2)) logger.log(connection.connectionId, 2, `Health check (${method}) answered 200.`, 'Info');
  connection.handshake?.clearTimer();
  connection.handshake = null;
  connection.stage = Phase.Closed;
  connection.driver.endWith(healthCheckResponse(method));
}

/** The WebSocketOpenRequest handler failed: nothing it set can be trusted, so the upgrade is refused. */
function refuseOpening(connection: ConnectionBase): void {
  if (connection.stage !== Phase.Opening) return;
  connection.engine.logger.log(connection.connectionId, 1, 'Handshake refused (500): the WebSocketOpenRequest handler failed.', 'Error');
  rejectHandshake(connection, 500, []);
}

/** WebSocketOpenRequest has fired: 101 and the protocol core, or the status it chose. */
function completeHandshake(connection: ConnectionBase, event: WebSocketOpenRequestEvent): void {
  if (connection.stage !== Phase.Opening) return;
  const { settings, logger, dispatcher } = connection.engine;
  const id = connection.connectionId;
  const handshake = connection.handshake!;
  // Read first: a value that cannot be converted throws here, before anything is made, and the
  // dispatcher then refuses (refuseOpening).
  const status = Number(event.statusCode);
  const upgrade = handshake.upgrade!;
  if (status !== 101) {
    handshake.upgrade = null;
    if (logger.logs(1)) logger.log(id, 1, `Handshake rejected by the application with status ${status}.`, 'Info');
    rejectHandshake(connection, Number.isInteger(status) && status >= 200 && status <= 999 ? status : 500, event.responseHeaders);
    return;
  }
  const values = settings.values;
  const agreement = agree(upgrade, event, {
    enableDeflate: values.EnablePermessageDeflate,
    maxMessageSize: values.MaxMessageSize,
    deflate: {
      threshold: values.DeflateThreshold,
      level: values.DeflateLevel,
      memLevel: values.DeflateMemLevel,
      serverMaxWindowBits: values.DeflateServerMaxWindowBits,
      clientMaxWindowBits: values.DeflateClientMaxWindowBits,
      serverNoContextTakeover: values.DeflateServerNoContextTakeover,
      clientNoContextTakeover: values.DeflateClientNoContextTakeover,
    },
  });
  handshake.upgrade = null;
  handshake.clearTimer();
  const deflate = agreement.deflate;
  connection.extensions = agreement.extensions;
  connection.protocol = agreement.protocol;
  let response: Buffer;
  try {
    response = acceptResponse(upgrade, agreement, event.responseHeaders);
  } catch (error) {
    deflate?.close();
    dispatcher.reportError(id, ErrorCode.InvalidArgument, `Bad response headers: ${describeThrown(error)}`);
    rejectHandshake(connection, 500, []);
    return;
  }
  const driver = connection.driver;
  driver.rawSocket.write(response);
  driver.setIdleTimeout(0);
  // Nothing of the handshake is kept but what the properties show.
  connection.handshake = null;
  const core = new ServerConnection(connection, {
    deflate,
    maxMessageSize: values.MaxMessageSize,
    maxFrameSize: values.MaxFrameSize,
    maxFragments: values.MaxMessageFragments,
    bufferMessages: values.BufferMessage,
    // The reply to the peer's close waits for the events queued before it (closing.ts, peerClosed).
    ownerRepliesToClose: true,
  });
  connection.core = core;
  // AcceptData=false set before the handshake completed holds the first frames too.
  if (!connection.acceptDataValue) core.suspend();
  connection.stage = Phase.Open;
  connection.readyToSend = true;
  if (logger.logs(1)) logger.log(id, 1, `WebSocket opened${connection.extensions ? ` (${connection.extensions})` : ''}.`, 'Info');
  if (dispatcher.listens('Connected')) dispatcher.dispatchEvent('Connected', { connectionId: id });
  if (dispatcher.listens('ReadyToSend')) dispatcher.dispatchEvent('ReadyToSend', { connectionId: id });
  const early = handshake.takePendingInput();
  if (early && early.length > 0) receive(connection, early);
  driver.gate.release(ReadHold.Handshake);
}

/** Answers the handshake with an HTTP error and closes. */
export function rejectHandshake(connection: ConnectionBase, status: number, headers: string | Array<[string, string]>): void {
  connection.engine.metrics.handshakeRefused(status);
  connection.handshake?.clearTimer();
  connection.handshake = null;
  connection.stage = Phase.Closed;
  connection.driver.endWith(rejectResponse(status, headers));
}
