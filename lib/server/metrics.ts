/**
 * What a server counts for operators, read on demand (WSServer.metrics(), connectionMetrics(id),
 * metricsText()). The engine counts in plain integer fields at the few places where things happen —
 * a message in or out, a budget stopping a read, a refusal, a failure, a connection's end — and never
 * allocates on a message's way; everything else (connections by phase, queued bytes per budget) is
 * read from its one owner when a snapshot is taken. A connection's own traffic lives on the connection
 * and is added to the server's totals when it goes, so a message costs one increment, not two.
 */
import { Phase, type ConnectionBase, type QueueFigures } from './connection-base';
import { describeHolds } from './read-gate';
import { Gone, type ServerCounters, type TrafficFigures } from './server-counters';

export type { TrafficFigures } from './server-counters';

/** Why connections that never became WebSockets were turned away, by the server's decision. */
export interface RefusalFigures {
  /** MaxConnections was reached: closed at accept. */
  maxConnections: number;
  /** ConnectionRequest (or AllowedClients / BlockedClients) said no. */
  connectionRequest: number;
  /** ProxyProtocol=1: the PROXY protocol header was missing, malformed, truncated, oversized or late. */
  proxyHeader: number;
  /** Upgrade requests answered with an HTTP error, by status (400, 405, 408, 426, 431, or the one WebSocketOpenRequest chose). */
  handshake: Record<string, number>;
}

/** Connections that ended badly, by reason. */
export interface FailureFigures {
  /** Closed before the upgrade request was read: the TLS step failed or refused the client certificate, or the client went away. */
  beforeUpgrade: number;
  /** Closed while the upgrade request was read or decided on, without an HTTP answer (the client went away, a held request timed out). */
  duringHandshake: number;
  /** The peer broke the protocol, by the close code we sent (1002, 1007, 1009). */
  protocol: Record<string, number>;
  /** Dropped for holding more than MaxQueuedOutput. */
  outputOverflow: number;
  /** Socket errors (ECONNRESET and the like). */
  socketError: number;
  /** Destroyed by Shutdown when its deadline (ShutdownTimeout) passed. */
  shutdownDeadline: number;
}

/** How often a budget stopped reading a connection (ReadHold.Output / ReadHold.Backlog), since the server was made. */
export interface BudgetHitFigures {
  output: number;
  backlog: number;
}

/** A server's figures at one moment. Counters run from the server's creation; gauges are now. */
export interface ServerMetrics {
  listening: boolean;
  /** Connections now, by phase, and their total (WSConnectionCount). */
  connections: { total: number; requested: number; handshake: number; opening: number; open: number; closing: number };
  /** TCP connections accepted (MaxConnections refusals not included). */
  accepted: number;
  /** WebSockets opened. */
  opened: number;
  /** HealthCheckPath requests answered 200 (neither refusals nor WebSockets). */
  healthChecks: number;
  /** What the connections hold now, summed per budget (see QueueFigures). */
  queues: Omit<QueueFigures, 'readHolds'>;
  /** How many connections are not read now, by the read gate's reason (a connection may count under several). */
  readHolds: Record<string, number>;
  budgetHits: BudgetHitFigures;
  /** Connections gone and connections now together. */
  traffic: TrafficFigures;
  refusals: RefusalFigures;
  failures: FailureFigures;
  /** Disconnected events by their status code (the peer's close code, ours, 1005, 1006). */
  closeCodes: Record<string, number>;
}

/** One connection's figures at one moment. */
export interface ConnectionMetrics {
  connectionId: number;
  /** requested, handshake, opening, open, closing or closed (see Phase). */
  phase: PhaseName;
  remoteHost: string;
  remotePort: number;
  traffic: TrafficFigures;
  queue: QueueFigures;
}

export type PhaseName = 'requested' | 'handshake' | 'opening' | 'open' | 'closing' | 'closed';
const PHASE_NAMES: readonly PhaseName[] = ['requested', 'handshake', 'opening', 'open', 'closing', 'closed'];

/** How a connection whose socket is gone ended, for ServerCounters.connectionGone; `stageBefore` is its stage before the close. */
export function goneAs(connection: ConnectionBase, stageBefore: Phase): Gone {
  if (connection.core !== null) return Gone.Opened;
  if (stageBefore === Phase.Requested) return Gone.BeforeUpgrade;
  if (stageBefore === Phase.Handshake || stageBefore === Phase.Opening) return Gone.DuringHandshake;
  // Closed already: a refusal or a failure counted it where it happened.
  return Gone.Counted;
}

/** A message piece of `bytes` bytes went to the core for sending; `last` ends the message. */
export function countSent(connection: ConnectionBase, bytes: number, last: boolean): void {
  connection.bytesOut += bytes;
  if (last) connection.messagesOut++;
}

/** A piece of a received message was handed out; `last` ends the message. */
export function countReceived(connection: ConnectionBase, bytes: number, last: boolean): void {
  connection.bytesIn += bytes;
  if (last) connection.messagesIn++;
}

export function phaseName(phase: Phase): PhaseName {
  return PHASE_NAMES[phase]!;
}

/** One connection's snapshot. */
export function connectionMetrics(connection: ConnectionBase & { readonly remoteHost: string; readonly remotePort: number }): ConnectionMetrics {
  return {
    connectionId: connection.connectionId,
    phase: phaseName(connection.phase),
    remoteHost: connection.remoteHost,
    remotePort: connection.remotePort,
    traffic: trafficOf(connection),
    queue: connection.queueFigures(),
  };
}

function trafficOf(connection: ConnectionBase): TrafficFigures {
  return { messagesIn: connection.messagesIn, messagesOut: connection.messagesOut, bytesIn: connection.bytesIn, bytesOut: connection.bytesOut };
}

/** The server's snapshot: the counters, and what its live connections hold now. */
export function serverMetrics(counters: ServerCounters, connections: Iterable<ConnectionBase>, listening: boolean): ServerMetrics {
  const byPhase = { total: 0, requested: 0, handshake: 0, opening: 0, open: 0, closing: 0 };
  const queues = { outputBytes: 0, heldInputBytes: 0, assemblyBytes: 0, backlogBytes: 0, backlogEvents: 0 };
  const readHolds: Record<string, number> = {};
  const traffic: TrafficFigures = { messagesIn: counters.messagesIn, messagesOut: counters.messagesOut, bytesIn: counters.bytesIn, bytesOut: counters.bytesOut };
  let opened = counters.openedGone;
  for (const connection of connections) {
    const phase = connection.phase;
    // A connection refused or failed a moment ago may still be in the registry until its socket reports.
    if (phase === Phase.Closed) continue;
    byPhase.total++;
    byPhase[phaseName(phase) as Exclude<PhaseName, 'closed'>]++;
    if (connection.core !== null) opened++;
    const figures = connection.queueFigures();
    queues.outputBytes += figures.outputBytes;
    queues.heldInputBytes += figures.heldInputBytes;
    queues.assemblyBytes += figures.assemblyBytes;
    queues.backlogBytes += figures.backlogBytes;
    queues.backlogEvents += figures.backlogEvents;
    for (const reason of describeHolds(connection.driver.gate.reasons)) readHolds[reason] = (readHolds[reason] ?? 0) + 1;
    traffic.messagesIn += connection.messagesIn;
    traffic.messagesOut += connection.messagesOut;
    traffic.bytesIn += connection.bytesIn;
    traffic.bytesOut += connection.bytesOut;
  }
  return {
    listening,
    connections: byPhase,
    accepted: counters.accepted,
    opened,
    healthChecks: counters.healthChecks,
    queues,
    readHolds,
    budgetHits: { output: counters.outputHolds, backlog: counters.backlogHolds },
    traffic,
    refusals: {
      maxConnections: counters.refusedMaxConnections,
      connectionRequest: counters.refusedConnectionRequest,
      proxyHeader: counters.refusedProxyHeader,
      handshake: counters.handshakeRefusals.toRecord(),
    },
    failures: {
      beforeUpgrade: counters.beforeUpgrade,
      duringHandshake: counters.duringHandshake,
      protocol: counters.protocolErrors.toRecord(),
      outputOverflow: counters.outputOverflows,
      socketError: counters.socketErrors,
      shutdownDeadline: counters.shutdownDeadline,
    },
    closeCodes: counters.closeCodes.toRecord(),
  };
}
