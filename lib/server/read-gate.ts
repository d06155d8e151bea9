/**
 * The read gate of a connection: the one place that decides whether its socket is read. Everything that
 * may stop reading names its reason here (a bit of one record), and the socket is read exactly when no
 * reason is left. Nothing else pauses or resumes a connection's socket, so a reason cannot be forgotten
 * by a second `pause()` somewhere, nor undone by a `resume()` that did not know about it.
 */

/** Why a connection is not read. Each is set and cleared by its one owner. */
export const ReadHold = Object.freeze({
  /** Accepted but not admitted yet: ConnectionRequest has not let it go on (the socket starts paused). */
  Admission: 1 << 0,
  /**
   * The application decides on the handshake: WebSocketOpenRequest, or in the TLS layer
   * SSLConnectionRequest / SSLClientAuthentication. Its out-parameters must be read before input goes on.
   */
  Handshake: 1 << 1,
  /** AcceptData=false (PauseData): the application asked for no more input. */
  AcceptData: 1 << 2,
  /** DoEvents mode: more undispatched input is queued than the backlog allows. */
  Backlog: 1 << 3,
  /** More output waits for the client than its budget allows: a peer that does not read is not read. */
  Output: 1 << 4,
  /** The protocol core inflates a message in the background and keeps what comes behind it. */
  Inflate: 1 << 5,
  /** MaxReadTime: the connection used up its time in this turn and lets the others be read first. */
  Fairness: 1 << 6,
  /** Nothing more is read: the peer closed, the connection failed, or our FIN is due. */
  Ended: 1 << 7,
} as const);
export type ReadHold = (typeof ReadHold)[keyof typeof ReadHold];

/** The part of a socket the gate drives (a net.Socket or tls.TLSSocket; a fake in specs). */
export interface Readable {
  pause(): unknown;
  resume(): unknown;
}

export class ReadGate {
  private socket: Readable;
  private holds: number;

  /** `holds` is the record the socket starts with: a socket accepted with pauseOnConnect is held for Admission. */
  constructor(socket: Readable, holds: number) {
    this.socket = socket;
    this.holds = holds;
  }

  /** The reasons that hold reading now (0: the socket is read). */
  get reasons(): number {
    return this.holds;
  }

  isHeld(reason: ReadHold): boolean {
    return (this.holds & reason) !== 0;
  }

  hold(reason: ReadHold): void {
    if ((this.holds & reason) !== 0) return;
    const was = this.holds;
    this.holds = was | reason;
    if (was === 0) this.decide();
  }

  release(reason: ReadHold): void {
    if ((this.holds & reason) === 0) return;
    this.holds &= ~reason;
    if (this.holds === 0) this.decide();
  }

  /** Sets or clears one reason. */
  set(reason: ReadHold, held: boolean): void {
    if (held) this.hold(reason);
    else this.release(reason);
  }

  /** The connection moved onto another socket (TLS): the record carries over to it. */
  useSocket(socket: Readable): void {
    this.socket = socket;
    this.decide();
  }

  /** The decision: read exactly when nothing holds reading. */
  private decide(): void {
    if (this.holds === 0) this.socket.resume();
    else this.socket.pause();
  }
}

/** The names of the reasons in `holds`, for logs and specs. */
export function describeHolds(holds: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(ReadHold)) if ((holds & bit) !== 0) names.push(name);
  return names;
}
