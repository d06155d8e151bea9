/**
 * ProxyProtocol=1: the PROXY protocol header read off a connection before anything else — before TLS
 * and the HTTP upgrade, before MaxHandshakesPerAddress, the client lists and ConnectionRequest, which
 * then see the client the header names. The header must arrive within HandshakeTimeout (a fixed bound
 * when that is 0: a connection that sends nothing must not hold a MaxConnections slot for ever). What
 * came behind it in the same read is put back into the socket, for the TLS layer's ClientHello reader
 * or the upgrade request to read as if nothing had come before. A connection without a valid header
 * is closed at once without an answer (the peer is not speaking HTTP to us yet), logged, and counted.
 */
import type { ProxyHeaderResult } from '../protocol/proxy-header';
import { Phase, type ConnectionBase } from './connection-base';
import { ProxyIntake } from './connection-extras';
import { ReadHold } from './read-gate';
import { secondsToTimer } from './timer-limit';

/** The header's deadline when HandshakeTimeout is 0 (no limit there): ten seconds, well over a TCP retransmit. */
export const PROXY_HEADER_FALLBACK_MS = 10_000;

/** Starts reading the header of a connection just accepted (its socket still held for Admission). */
export function beginProxyHeader(connection: ConnectionBase, proceed: () => void): void {
  const intake = new ProxyIntake(proceed);
  connection.extras().proxyIntake = intake;
  const seconds = connection.engine.settings.values.HandshakeTimeout;
  const ms = seconds > 0 ? secondsToTimer(seconds) : PROXY_HEADER_FALLBACK_MS;
  intake.timer = setTimeout(proxyHeaderTimedOut, ms, connection);
  // Only the header is read now: the hold goes back on as soon as it is complete.
  connection.driver.gate.release(ReadHold.Admission);
}

/** Bytes that arrived while the header is read. */
export function receiveProxyHeader(connection: ConnectionBase, intake: ProxyIntake, chunk: Buffer): void {
  const result = intake.parser.push(chunk);
  if (result.status === 'more') return;
  endIntake(connection, intake);
  if (result.status === 'error') {
    refuseProxyHeader(connection, `${result.error.message} (${result.error.code})`);
    return;
  }
  applyHeader(connection, intake, result);
}

/** The peer half-closed before its header was complete. */
export function proxyHeaderEnded(connection: ConnectionBase, intake: ProxyIntake): void {
  endIntake(connection, intake);
  const held = intake.parser.bufferedBytes;
  refuseProxyHeader(connection, held === 0 ? 'the peer closed before sending a PROXY protocol header' : `the peer closed after ${held} bytes of a PROXY protocol header (truncated)`);
}

function proxyHeaderTimedOut(connection: ConnectionBase): void {
  const intake = connection.extra?.proxyIntake;
  if (!intake || connection.stage !== Phase.Requested) return;
  intake.timer = null;
  endIntake(connection, intake);
  const held = intake.parser.bufferedBytes;
  refuseProxyHeader(connection, held === 0 ? 'no PROXY protocol header within the deadline' : `the PROXY protocol header was incomplete at the deadline (${held} bytes, truncated)`);
}

function endIntake(connection: ConnectionBase, intake: ProxyIntake): void {
  intake.stop();
  connection.extra!.proxyIntake = null;
}

function applyHeader(connection: ConnectionBase, intake: ProxyIntake, header: Extract<ProxyHeaderResult, { status: 'done' }>): void {
  const driver = connection.driver;
  // Held before anything is put back: an unshift into a flowing socket would be emitted at once,
  // into this very listener.
  driver.gate.hold(ReadHold.Admission);
  if (header.rest.length > 0) driver.rawSocket.unshift(header.rest);
  const logger = connection.engine.logger;
  const addresses = header.addresses;
  if (addresses !== null) {
    // The socket's own address (the proxy's) is read now, for the log, before it is replaced.
    const proxy = driver.remoteHost;
    driver.useClientAddress(addresses.sourceAddress, addresses.sourcePort);
    if (logger.logs(2)) logger.log(connection.connectionId, 2, `PROXY v${header.version} header from ${proxy}: client ${addresses.sourceAddress}:${addresses.sourcePort}, destination ${addresses.destinationAddress}:${addresses.destinationPort}.`, 'Info');
  } else if (logger.logs(2)) {
    logger.log(connection.connectionId, 2, `PROXY v${header.version} header without a client address (LOCAL or UNKNOWN): the socket's addresses are kept.`, 'Info');
  }
  intake.proceed();
}

function refuseProxyHeader(connection: ConnectionBase, why: string): void {
  if (connection.stage !== Phase.Requested) return;
  connection.engine.metrics.refusedProxyHeader++;
  connection.engine.logger.log(connection.connectionId, 1, `Connection from ${connection.driver.remoteHost} refused: ${why}.`, 'Error');
  connection.stage = Phase.Closed;
  connection.destroy();
}
