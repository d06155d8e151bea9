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

/** Messages and payload bytes (after inflation in, before compression out) of text and binary messages. */
export interface TrafficFigures {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** Why connections that never became WebSockets were turned away, by the server's decision. */
export interface RefusalFigures {
  /** MaxConnections was reached: closed at accept. */
  maxConnections: number;
  /** ConnectionRequest (or AllowedClients / BlockedClients) said no. */
  connectionRequest: number;
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

/** Counts per numeric key (an HTTP status, a close code): rare events, so a Map is fine here. */
class Tally {
  private readonly counts = new Map<number, number>();

  add(key: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  toRecord(): Record<string, number> {
    const record: Record<string, number> = {};
    for (const key of [...this.counts.keys()].sort((a, b) => a - b)) record[String(key)] = this.counts.get(key)!;
    return record;
  }
}

/** The server-wide counters. One per server, shared with its connections through the EngineContext. */
export class ServerCounters {
  accepted = 0;
  /** WebSockets opened by connections that are gone (live ones are counted at snapshot). */
  openedGone = 0;
  refusedMaxConnections = 0;
  refusedConnectionRequest = 0;
  readonly handshakeRefusals = new Tally();
  beforeUpgrade = 0;
  duringHandshake = 0;
  readonly protocolErrors = new Tally();
  outputOverflows = 0;
  socketErrors = 0;
  shutdownDeadline = 0;
  outputHolds = 0;
  backlogHolds = 0;
  readonly closeCodes = new Tally();
  // The traffic of connections that are gone.
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;

  /** An upgrade request was answered with `status` instead of 101. */
  handshakeRefused(status: number): void {
    this.handshakeRefusals.add(status);
  }

  /** The peer broke the protocol; we close with `closeCode`. */
  protocolFailed(closeCode: number): void {
    this.protocolErrors.add(closeCode);
  }

  /**
   * A connection's socket is gone: its traffic joins the totals, and an end nobody counted yet is put
   * down by where the connection was. `stageBefore` is its stage before the close (Closed: a refusal
   * or a failure already counted it); `disconnectCode` the Disconnected status, or -1 if none fired.
   */
  connectionGone(connection: ConnectionBase, stageBefore: Phase, disconnectCode: number): void {
    this.messagesIn += connection.messagesIn;
    this.messagesOut += connection.messagesOut;
    this.bytesIn += connection.bytesIn;
    this.bytesOut += connection.bytesOut;
    if (connection.core !== null) {
      this.openedGone++;
      if (disconnectCode >= 0) this.closeCodes.add(disconnectCode);
    } else if (stageBefore === Phase.Requested) {
      this.beforeUpgrade++;
    } else if (stageBefore === Phase.Handshake || stageBefore === Phase.Opening) {
      this.duringHandshake++;
    }
  }
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
    queues,
    readHolds,
    budgetHits: { output: counters.outputHolds, backlog: counters.backlogHolds },
    traffic,
    refusals: {
      maxConnections: counters.refusedMaxConnections,
      connectionRequest: counters.refusedConnectionRequest,
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
