/**
 * One connection's permessage-deflate codec on node:zlib raw DEFLATE streams (RFC 7692 §7.2):
 * the `MessageCodec` that lib/protocol/connection.ts compresses (§7.2.1) and decompresses (§7.2.2)
 * through, with context takeover (§7.1.1), window bits (§7.1.2) and an inflated-size cap.
 *
 * Speed: node:zlib's stream API runs every chunk on the libuv thread pool, a round trip of
 * roughly 90 µs, while deflating a 1 KiB message takes 2-15 µs. Small messages are therefore run
 * synchronously on the same zlib handle (zlib-sync.ts, when this Node passed its check), big ones
 * stay asynchronous so a megabyte never blocks the event loop, and a process-wide limit keeps
 * thousands of connections from flooding the thread pool (zlib-limiter.ts).
 */
import { createDeflateRaw, createInflateRaw, constants as zlibConstants } from 'node:zlib';
import { Defaults } from '../protocol/constants';
import { ProtocolError } from '../protocol/errors';
import {
  MAX_WINDOW_BITS,
  MIN_WINDOW_BITS,
  type CodecCallback as Callback,
  type DeflateParams,
  type MessageCodec,
} from '../protocol/permessage-deflate';
import { Lane, type AsyncRun } from './zlib-lane';
import { Output, RUN_DONE, RUN_ENDED, RUN_FAILED, RUN_FULL, SYNC_FAST_PATH_WORKS, runSync, type ZlibStream } from './zlib-sync';

/** Options of one connection's codec. */
export interface PerMessageDeflateOptions {
  /** Largest inflated message, answered by 1009 beyond. Default `Defaults.maxMessageSize`. */
  maxMessageSize?: number;
  /** Messages smaller than this are sent uncompressed. Default `Defaults.deflateThreshold`. */
  threshold?: number;
  /** zlib level 0..9. Default 1: measured on JSON-like messages it deflates 2-3x faster than
   *  level 6 for ~10% more output, and per-message compression is latency-bound. */
  level?: number;
  /** zlib memLevel 1..9. Default 8 (zlib's own default: 128 KiB of hash tables per compressor). */
  memLevel?: number;
  /**
   * false: never use the synchronous fast path, only node:zlib's public asynchronous API, as on a
   * Node whose zlib internals failed the load-time check (`SYNC_FAST_PATH_WORKS`). For specs and
   * for ruling the fast path out when chasing a problem. Default true.
   */
  syncFastPath?: boolean;
}

const DEFAULT_LEVEL = 1;
const DEFAULT_MEM_LEVEL = 8;

/** §7.2.1/§7.2.2: the empty stored block that ends a sync flush, removed by the sender and
 *  appended again by the receiver. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const Z_SYNC_FLUSH = zlibConstants.Z_SYNC_FLUSH;

/** Inputs up to this size are compressed synchronously. Measured at level 1 on JSON-like text:
 *  8 KiB takes ~60 µs, less than one thread-pool round trip (~90 µs); beyond 4-8 KiB, with
 *  many busy connections, the pool's parallelism starts to win over the main thread. */
const SYNC_DEFLATE_LIMIT = 8 * 1024;
/** Compressed fragments up to this size (typically ~50 KiB inflated, ~50 µs) are inflated
 *  synchronously... */
const SYNC_INFLATE_LIMIT = 16 * 1024;
/** ...until they have produced this much output; the rest continues asynchronously, so even a
 *  1:1000 decompression bomb blocks the event loop for well under a millisecond. */
const SYNC_INFLATE_BUDGET = 256 * 1024;

/** One connection's compressor and decompressor (raw deflate, node:zlib). */
export class PerMessageDeflate implements MessageCodec {
  /** Messages smaller than this many bytes should be sent uncompressed. */
  readonly threshold: number;
  // Each direction's lane is made on its first message: a browser always negotiates the extension,
  // and an idle connection should not carry two lanes, their queues and output buffers (~0.5 KiB).
  private compressor: Compressor | null = null;
  private decompressor: Decompressor | null = null;
  private closed = false;
  private readonly syncFastPath: boolean;
  private readonly serverWindowBits: number;
  private readonly clientWindowBits: number;
  private readonly level: number;
  private readonly memLevel: number;
  private readonly maxMessageSize: number;
  private readonly serverNoContextTakeover: boolean;
  private readonly clientNoContextTakeover: boolean;

  /** @throws RangeError on out-of-range params or options. */
  constructor(params: DeflateParams, options: PerMessageDeflateOptions = {}) {
    const serverBits = checkIntegerOption(params.serverMaxWindowBits, 'serverMaxWindowBits', MIN_WINDOW_BITS, MAX_WINDOW_BITS, MAX_WINDOW_BITS);
    const clientBits = checkIntegerOption(params.clientMaxWindowBits, 'clientMaxWindowBits', MIN_WINDOW_BITS, MAX_WINDOW_BITS, MAX_WINDOW_BITS);
    this.level = checkIntegerOption(options.level, 'level', 0, 9, DEFAULT_LEVEL);
    this.memLevel = checkIntegerOption(options.memLevel, 'memLevel', 1, 9, DEFAULT_MEM_LEVEL);
    this.maxMessageSize = options.maxMessageSize ?? Defaults.maxMessageSize;
    this.threshold = options.threshold ?? Defaults.deflateThreshold;
    // The fast path is used only where this Node's zlib internals passed the load-time check.
    this.syncFastPath = options.syncFastPath !== false && SYNC_FAST_PATH_WORKS;
    this.serverWindowBits = zlibWindowBits(serverBits);
    this.clientWindowBits = zlibWindowBits(clientBits);
    this.serverNoContextTakeover = params.serverNoContextTakeover;
    this.clientNoContextTakeover = params.clientNoContextTakeover;
  }

  /**
   * Compresses one whole message (§7.2.1: the trailing 00 00 ff ff is removed; the context is
   * reset after the message when server_no_context_takeover was agreed). Small messages are
   * answered synchronously; results always come back in call order. A zlib failure gives
   * ProtocolError(1011, 'WSS_ERR_DEFLATE') and fails every later call too.
   */
  compress(data: Buffer, callback: Callback): void {
    if (this.closed) return;
    this.compressor ??= new Compressor(this.syncFastPath, this.serverWindowBits, this.level, this.memLevel, this.serverNoContextTakeover);
    this.compressor.compress(data, callback);
  }

  /**
   * Decompresses one fragment of a compressed message; `fin` marks the last one (§7.2.2: then
   * 00 00 ff ff is appended, and the context is reset after it when client_no_context_takeover
   * was agreed). The result is this fragment's share of the message. Beyond `maxMessageSize`
   * inflated bytes in one message: ProtocolError(1009, 'WSS_ERR_MESSAGE_TOO_BIG'), found while
   * inflating, so the full output is never allocated. Corrupt data: ProtocolError(1007,
   * 'WSS_ERR_INFLATE'). Both are final: every later call fails with the same error. Small
   * fragments are answered synchronously; results always come back in call order.
   */
  decompress(data: Buffer, fin: boolean, callback: Callback): void {
    if (this.closed) return;
    this.decompressor ??= new Decompressor(this.syncFastPath, this.clientWindowBits, this.clientNoContextTakeover, this.maxMessageSize);
    this.decompressor.decompress(data, fin, callback);
  }

  /** Frees the zlib streams (idempotent). Pending callbacks are not called after close(), and
   *  calls made after it are ignored. */
  close(): void {
    this.closed = true;
    this.compressor?.close();
    this.decompressor?.close();
  }
}

/** §7.2.1 Compression, server to client. */
class Compressor extends Lane {
  constructor(
    syncFastPath: boolean,
    private readonly windowBits: number,
    private readonly level: number,
    private readonly memLevel: number,
    private readonly noContextTakeover: boolean,
  ) {
    super(syncFastPath);
  }

  compress(data: Buffer, callback: Callback): void {
    this.submit(data, true, callback);
  }

  protected createStream(): ZlibStream {
    // Each write is one whole message flushed with Z_SYNC_FLUSH (§7.2.1).
    return createDeflateRaw({ windowBits: this.windowBits, level: this.level, memLevel: this.memLevel, flush: Z_SYNC_FLUSH });
  }

  protected process(stream: ZlibStream, data: Buffer, _fin: boolean, callback: Callback): void {
    const native = this.native;
    if (native === null || data.length > SYNC_DEFLATE_LIMIT) {
      this.goAsync(data, null, true, callback, new Output());
      return;
    }
    const out = this.syncOut;
    if (runSync(stream, native, data, out, Number.POSITIVE_INFINITY) === RUN_FAILED) {
      out.take();
      this.fail(this.zlibError(stream.errored ?? new Error('deflate failed')));
      callback(this.failure);
      return;
    }
    const result = this.finishMessage(stream, out);
    callback(null, result);
  }

  protected complete(stream: ZlibStream, run: AsyncRun): void {
    this.settle(run, null, this.finishMessage(stream, run.out));
  }

  /** §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end." */
  private finishMessage(stream: ZlibStream, out: Output): Buffer {
    let result = out.take();
    const n = result.length;
    if (n >= 4 && result[n - 4] === 0x00 && result[n - 3] === 0x00 && result[n - 2] === 0xff && result[n - 1] === 0xff) {
      result = result.subarray(0, n - 4);
    }
    // §7.1.1.1: with server_no_context_takeover the next message must not refer to this one.
    if (this.noContextTakeover) stream.reset();
    return result;
  }

  protected zlibError(error: Error): Error {
    return new ProtocolError(1011, 'WSS_ERR_DEFLATE', `deflate failed: ${error.message}`);
  }

  protected checkChunk(): Error | null {
    return null;
  }
}

/** §7.2.2 Decompression, client to server. */
class Decompressor extends Lane {
  /** Bytes of the current message inflated so far (all fragments). */
  private inflated = 0;
  /** The client ended its DEFLATE stream (a BFINAL block) inside the current message. */
  private ended = false;
  /** ...and it did so in an async run, where node:zlib then ends the stream's readable side. */
  private endedAsync = false;

  constructor(
    syncFastPath: boolean,
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
    private readonly maxMessageSize: number,
  ) {
    super(syncFastPath);
  }

  decompress(data: Buffer, fin: boolean, callback: Callback): void {
    this.submit(data, fin, callback);
  }

  protected createStream(): ZlibStream {
    return createInflateRaw({ windowBits: this.windowBits, flush: Z_SYNC_FLUSH });
  }

  protected process(stream: ZlibStream, data: Buffer, fin: boolean, callback: Callback): void {
    const native = this.native;
    if (native === null || data.length > SYNC_INFLATE_LIMIT) {
      this.goAsync(data, fin ? TAIL : null, fin, callback, new Output());
      return;
    }
    const out = this.syncOut;
    // Stop one byte past the limit: that byte proves the message too big.
    const capLeft = this.maxMessageSize - this.inflated + 1;
    const stopAt = capLeft < SYNC_INFLATE_BUDGET ? capLeft : SYNC_INFLATE_BUDGET;
    // §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the
    // message", fed separately from the payload to save a copy.
    let input = data;
    let status = runSync(stream, native, input, out, stopAt);
    if (status === RUN_DONE && fin) {
      input = TAIL;
      status = runSync(stream, native, input, out, stopAt);
    }
    if (status === RUN_FAILED) {
      out.take();
      this.fail(this.zlibError(stream.errored ?? new Error('inflate failed')));
      callback(this.failure);
      return;
    }
    if (this.inflated + out.length > this.maxMessageSize) {
      out.take();
      this.fail(this.tooBig());
      callback(this.failure);
      return;
    }
    if (status === RUN_FULL) {
      // The sync budget is spent: continue with the unconsumed input on the thread pool.
      const rest = input.subarray(input.length - native.state[1]!);
      const run = new Output();
      run.add(out.take());
      this.goAsync(rest, input === data && fin ? TAIL : null, fin, callback, run);
      return;
    }
    if (status === RUN_ENDED) this.ended = true;
    const result = out.take();
    this.finishFragment(stream, fin, result.length);
    callback(null, result);
  }

  protected complete(stream: ZlibStream, run: AsyncRun): void {
    const fed = run.first.length + (run.second === null ? 0 : run.second.length);
    if (stream.bytesWritten - run.writtenBefore < fed) this.ended = this.endedAsync = true;
    const result = run.out.take();
    this.finishFragment(stream, run.fin, result.length);
    this.settle(run, null, result);
  }

  protected checkChunk(run: AsyncRun): Error | null {
    // The running total is checked as output arrives so a bomb never allocates its full size.
    return this.inflated + run.out.length > this.maxMessageSize ? this.tooBig() : null;
  }

  private finishFragment(stream: ZlibStream, fin: boolean, produced: number): void {
    if (!fin) {
      this.inflated += produced;
      return;
    }
    this.inflated = 0;
    // §7.1.1.2: with client_no_context_takeover the client starts each message afresh. A client
    // that ended its DEFLATE stream (§7.2.3.4, BFINAL) starts a new one as well; whatever it put
    // after the final block was ignored by zlib.
    // After an async run hit the end, node:zlib has also ended the readable side (push(null)),
    // which reset() does not undo: the next async write would fail with "push() after EOF". The
    // stream is replaced instead (the next call opens a new one). Sync runs bypass the readable
    // side, so after them reset() is enough and keeps the memory.
    if (this.endedAsync) this.replaceStream();
    else if (this.noContextTakeover || this.ended) stream.reset();
    this.ended = false;
    this.endedAsync = false;
  }

  private tooBig(): ProtocolError {
    return new ProtocolError(1009, 'WSS_ERR_MESSAGE_TOO_BIG', `inflated message exceeds ${this.maxMessageSize} bytes`);
  }

  protected zlibError(error: Error): Error {
    // §8.2.3.4 says to fail the connection on corrupt data; 1007 names the cause (as ws does).
    return new ProtocolError(1007, 'WSS_ERR_INFLATE', `invalid compressed data: ${error.message}`);
  }
}

/**
 * Window bits as zlib takes them. zlib refuses 8 for raw streams, so 8 becomes 9:
 * - inflating with a bigger window than the peer's is always fine (§7.1.2.2 lets us);
 * - deflating with 9 when the client asked server_max_window_bits=8 still never refers further
 *   back than 256 bytes: zlib keeps MIN_LOOKAHEAD (262) bytes of a window free for lookahead,
 *   so its farthest match distance is 2^bits - 262 = 250. (zlib itself maps 8 to 9 for zlib
 *   streams on the same grounds; the specs check it against a 256-byte-window inflater.)
 */
function zlibWindowBits(bits: number): number {
  return bits < 9 ? 9 : bits;
}

function checkIntegerOption(value: number | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}
