/**
 * The socket side of one connection: its listeners, its read gate, write batching, the end of the TCP
 * connection and the timers that bound it (linger after our FIN, the idle timeout of the handshake).
 * It knows bytes, not WebSockets: what arrives goes to its owner, what the owner writes goes out in
 * batches. The socket may be replaced once, by the TLS socket that wraps it (useSocket).
 *
 * Socket listeners are shared functions that find the driver through a symbol on the socket, so an
 * idle connection costs no closures.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { Flushable, FlushScheduler } from './flush-scheduler';
import type { Logger } from './logger';
import { ReadGate, ReadHold } from './read-gate';

/** What the driver reports to the connection that owns it. */
export interface SocketOwner {
  readonly connectionId: number;
  onSocketData(chunk: Buffer): void;
  /** The peer half-closed. */
  onSocketEnd(): void;
  onSocketClose(): void;
  onSocketError(error: Error): void;
  /** The idle timeout set with setIdleTimeout() ran out. */
  onSocketTimeout(): void;
  /** True while output is held back in the protocol core (behind a compression): our FIN waits for it. */
  readonly holdsOutput: boolean;
  /** Output the socket may hold for the client before reading stops (OutBufferSize at accept). */
  readonly outBufferSize: number;
  /** Output beyond which the client is dropped (MaxQueuedOutput; 0: no limit). */
  readonly outputCap: number;
  /** More than outputCap bytes wait for a client that does not read: the owner drops it. */
  onOutputOverflow(queued: number): void;
  /** The output budget has just stopped reading (for the metrics). */
  outputHeld(): void;
}

const kDriver = Symbol('wsserver-compat.driver');
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
export const LINGER_MS = 2000;

type DriverSocket = Socket & { [kDriver]?: SocketDriver };

export class SocketDriver implements Flushable {
  private socket: DriverSocket;
  /** Whether the socket is read: the one decision (see read-gate.ts). */
  readonly gate: ReadGate;

  // Output batching: out[0..outCount) is written at the next flush.
  private out: Buffer[] | null = null;
  private outCount = 0;
  private outBytes = 0;
  /** The owner is handling input: what it writes goes out when that is over (see batch()). */
  private batching = false;
  /** Our FIN goes out once everything before it has. */
  private endWhenFlushed = false;
  private lingerTimer: NodeJS.Timeout | null = null;

  // The addresses, read from the socket when first asked for (see rememberAddresses).
  private remoteHostValue: string | undefined = undefined;
  private remotePortValue = -1;
  private localAddressValue: string | undefined = undefined;

  constructor(
    private readonly owner: SocketOwner,
    socket: Socket,
    private readonly flusher: FlushScheduler,
    private readonly logger: Logger,
  ) {
    this.socket = socket as DriverSocket;
    // Accepted with pauseOnConnect: nothing is read before the connection is admitted.
    this.gate = new ReadGate(socket, ReadHold.Admission);
    this.attach(this.socket);
  }

  /** @internal The connection the socket listeners report to. */
  ownerOf(): SocketOwner {
    return this.owner;
  }

  /** The socket the connection speaks over (the TLS socket once TLS is up). */
  get rawSocket(): Socket {
    return this.socket;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
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

  /**
   * The client as a proxy names it (a PROXY protocol header, a trusted Forwarded header): RemoteHost
   * and RemotePort show it from now on. `port` null keeps the socket's port.
   */
  useClientAddress(host: string, port: number | null): void {
    this.remoteHostValue = host;
    if (port !== null) this.remotePortValue = port;
  }

  /**
   * Reads the addresses now, while the socket has them: they are read lazily (an idle connection then
   * keeps neither Node's cached address objects nor ours), and once the socket's handle is closed Node
   * no longer knows an address it was never asked for. Called before the socket goes away by our hand
   * or the peer's FIN; a connection reset by the peer before anyone asked shows ''.
   */
  rememberAddresses(): void {
    void this.remoteHost;
    void this.remotePort;
    void this.localAddress;
  }

  /**
   * Bytes waiting to be written to this client in this process (the kernel's socket buffer not counted):
   * gathered for the next write and in the socket.
   */
  get queuedBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  /** Bytes gathered for the next write, not yet given to the socket. */
  get gatheredBytes(): number {
    return this.outBytes;
  }

  /** TLS: carries on over `socket` (the TLSSocket that now wraps the TCP one); the read gate moves with it. */
  useSocket(socket: Socket): void {
    // The TCP socket knows the addresses; the TLS socket is read through it.
    this.rememberAddresses();
    const old = this.socket;
    old.off('data', socketOnData);
    old.off('close', socketOnClose);
    old.off('error', socketOnError);
    old.off('end', socketOnEnd);
    delete old[kDriver];
    this.socket = socket as DriverSocket;
    this.attach(this.socket);
    this.gate.useSocket(socket);
    if (this.gate.isHeld(ReadHold.Output)) {
      old.off('drain', socketOnDrain);
      this.socket.once('drain', socketOnDrain);
    }
  }

  private attach(socket: DriverSocket): void {
    socket[kDriver] = this;
    socket.on('data', socketOnData);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('end', socketOnEnd);
  }

  /** Handshake deadline for an idle client (DefaultConnectionTimeout); 0 removes it. */
  setIdleTimeout(ms: number): void {
    if (ms > 0) {
      this.socket.setTimeout(ms);
      this.socket.once('timeout', socketOnTimeout);
    } else {
      this.socket.setTimeout(0);
      this.socket.removeListener('timeout', socketOnTimeout);
    }
  }

  // ─── Input ──────────────────────────────────────────────────────────────────────────────────

  /**
   * The owner starts handling input: what it writes meanwhile is gathered and goes out in one batch at
   * endBatch(). Returns whether a batch was already open (a handler that resumes input): only the
   * outermost endBatch writes.
   */
  beginBatch(): boolean {
    const outer = this.batching;
    this.batching = true;
    return outer;
  }

  endBatch(outer: boolean): void {
    this.batching = outer;
    if (!outer) this.flush();
  }

  /** True while output is being gathered for the end of the current input. */
  get inBatch(): boolean {
    return this.batching;
  }

  // ─── Output ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Bytes for the client. Gathered and written once per batch: at the end of the input that produced
   * them, or — for writes made outside it — when the server's current dispatch round or tick is over.
   */
  write(data: Buffer): void {
    (this.out ??= [])[this.outCount++] = data;
    this.outBytes += data.length;
    if (!this.batching) this.flusher.schedule(this);
  }

  flush(): void {
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
        this.logger.logOutgoing(this.owner.connectionId, out, count, bytes);
        if (count === 1) socket.write(out[0]!);
        else writeBatch(socket, out, count, bytes);
      }
      // The list is kept for the next batch, without the buffers it pointed to.
      for (let i = 0; i < count; i++) out[i] = EMPTY;
      if (this.out === null && count <= OUT_KEEP) this.out = out;
    }
    if (count > 0) this.checkOutput();
    if (this.endWhenFlushed && !this.owner.holdsOutput && !this.socket.destroyed) {
      this.endWhenFlushed = false;
      this.socket.end();
      this.lingerTimer ??= setTimeout(lingerOver, LINGER_MS, this);
    }
  }

  /**
   * The output budget. A client that does not read makes the socket keep what we write: above
   * OutBufferSize it is not read either (ReadHold.Output) until the socket has drained, so nothing it
   * sends — pings, messages an echo would answer — can make us queue more; above MaxQueuedOutput (only
   * the application's own sends can get there) it is dropped.
   */
  private checkOutput(): void {
    const socket = this.socket;
    const queued = socket.writableLength;
    // Most writes are taken by the kernel at once: nothing waits, nothing to look at.
    if (queued === 0 || socket.destroyed) return;
    const cap = this.owner.outputCap;
    if (cap > 0 && queued > cap) return this.owner.onOutputOverflow(queued);
    if (queued <= this.owner.outBufferSize || this.gate.isHeld(ReadHold.Output)) return;
    this.gate.hold(ReadHold.Output);
    this.owner.outputHeld();
    // writableLength is above the socket's high-water mark, so a write has returned false: 'drain' comes.
    socket.once('drain', socketOnDrain);
  }

  /** @internal The socket took everything: the client reads again, so it is read again. */
  outputDrained(): void {
    this.gate.release(ReadHold.Output);
  }

  /** Nothing more is read; our FIN goes out once everything written so far has (§7.1.1: the server closes first). */
  endAfterOutput(): void {
    this.endWhenFlushed = true;
    this.gate.hold(ReadHold.Ended);
  }

  /** Whether our FIN is due once output is out. */
  get ending(): boolean {
    return this.endWhenFlushed;
  }

  /** Ends with an HTTP answer (a refused handshake) and lingers for the client's FIN. */
  endWith(response: Buffer): void {
    this.gate.hold(ReadHold.Ended);
    this.socket.end(response);
    setTimeout(lingerOver, LINGER_MS, this).unref();
  }

  /** Destroys the socket after `ms` unless it closed by then (WaitForCloseResponse). */
  lingerFor(ms: number): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(lingerOver, ms, this);
  }

  /** The socket closed: no timer of ours may outlive it. */
  clearTimers(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
  }

  /** Drops the TCP connection at once. */
  destroy(): void {
    this.rememberAddresses();
    this.socket.destroy();
  }
}

/** '::ffff:127.0.0.1' → '127.0.0.1': the reference shows IPv4 clients in dotted form. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Writes out[0..count) in one go. Small pieces (headers, small frames) are copied together; large ones
 * (payload views the core did not copy) are written as they are. When that makes more than one write,
 * they go between cork() and uncork(), which Node turns into one writev.
 */
function writeBatch(socket: Socket, out: Buffer[], count: number, total: number): void {
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

function lingerOver(driver: SocketDriver): void {
  driver.destroy();
}

function socketOnData(this: DriverSocket, chunk: Buffer): void {
  this[kDriver]!.ownerOf().onSocketData(chunk);
}

function socketOnClose(this: DriverSocket): void {
  const driver = this[kDriver]!;
  driver.rememberAddresses();
  driver.clearTimers();
  driver.ownerOf().onSocketClose();
}

function socketOnError(this: DriverSocket, error: Error): void {
  this[kDriver]!.ownerOf().onSocketError(error);
}

function socketOnEnd(this: DriverSocket): void {
  const driver = this[kDriver]!;
  driver.rememberAddresses();
  driver.ownerOf().onSocketEnd();
}

function socketOnDrain(this: DriverSocket): void {
  this[kDriver]?.outputDrained();
}

function socketOnTimeout(this: DriverSocket): void {
  this[kDriver]?.ownerOf().onSocketTimeout();
}
