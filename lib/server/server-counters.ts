/**
 * The counters behind WSServer.metrics() (see metrics.ts): one set per server, shared with its
 * connections through the EngineContext, counted in plain integer fields where things happen. Kept
 * apart from metrics.ts so that the engine's context needs nothing of the connection to hold them.
 */

/** Messages and payload bytes (after inflation in, before compression out) of text and binary messages. */
export interface TrafficFigures {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** How a connection ended, as far as the counters are concerned. */
export const Gone = Object.freeze({
  /** It was a WebSocket: its Disconnected code is counted. */
  Opened: 0,
  /** Before the upgrade request was read (the TLS step, ConnectionRequest still deciding). */
  BeforeUpgrade: 1,
  /** While the upgrade request was read or decided on, without an HTTP answer. */
  DuringHandshake: 2,
  /** Refused or failed, and counted where that happened. */
  Counted: 3,
} as const);
export type Gone = (typeof Gone)[keyof typeof Gone];

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
  /** ProxyProtocol=1: no valid PROXY protocol header in time. */
  refusedProxyHeader = 0;
  /** HealthCheckPath requests answered 200. */
  healthChecks = 0;
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
   * A connection's socket is gone: its traffic joins the totals, and its end is put down by `how`
   * (see metrics.ts, goneAs); `disconnectCode` is the Disconnected status of an opened one.
   */
  connectionGone(traffic: TrafficFigures, how: Gone, disconnectCode: number): void {
    this.messagesIn += traffic.messagesIn;
    this.messagesOut += traffic.messagesOut;
    this.bytesIn += traffic.bytesIn;
    this.bytesOut += traffic.bytesOut;
    if (how === Gone.Opened) {
      this.openedGone++;
      this.closeCodes.add(disconnectCode);
    } else if (how === Gone.BeforeUpgrade) {
      this.beforeUpgrade++;
    } else if (how === Gone.DuringHandshake) {
      this.duringHandshake++;
    }
  }
}
