/**
 * RFC 7692 permessage-deflate: the negotiation of its parameters (§7.1) and one connection's
 * compressor and decompressor (§7.2), built on node:zlib raw DEFLATE streams.
 *
 * Speed: node:zlib's stream API runs every chunk on the libuv thread pool, a round trip of
 * roughly 90 µs, while deflating a 1 KiB message takes 2-15 µs. Small messages are therefore
 * run synchronously on the same zlib handle (see `runSync`), big ones stay asynchronous so a
 * megabyte never blocks the event loop, and a process-wide limit keeps thousands of connections
 * from flooding the thread pool (see `whenZlibSlotFree`).
 */
import { createDeflateRaw, createInflateRaw, constants as zlibConstants } from 'node:zlib';
import type { DeflateRaw, InflateRaw } from 'node:zlib';
import { Defaults } from './constants';
import { ProtocolError } from './errors';
import type { ExtensionOffer } from './header-grammar';

/** The server's permessage-deflate policy (every field optional). */
export interface DeflateOptions {
  /** Reset the compressor after each message (always done when the client asks). Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client to reset its compressor after each message. Default false. */
  clientNoContextTakeover?: boolean;
  /** The largest LZ77 window the server compresses with, 8..15. Default 15. */
  serverMaxWindowBits?: number;
  /** The largest window the client may compress with, 8..15; sent only when the client offered
   *  client_max_window_bits (§7.1.2.2). Default 15. */
  clientMaxWindowBits?: number;
  /** Messages smaller than this are sent uncompressed. Default `Defaults.deflateThreshold`. */
  threshold?: number;
  /** zlib level 0..9. Default 1: measured on JSON-like messages it deflates 2-3x faster than
   *  level 6 for ~10% more output, and per-message compression is latency-bound. */
  level?: number;
  /** zlib memLevel 1..9. Default 8 (zlib's own default: 128 KiB of hash tables per compressor). */
  memLevel?: number;
}

/** What was agreed for one connection. Window bits are 8..15 (15 when not negotiated). */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** Options of one connection's codec. */
export interface PerMessageDeflateOptions {
  /** Largest inflated message, answered by 1009 beyond. Default `Defaults.maxMessageSize`. */
  maxMessageSize?: number;
  /** See `DeflateOptions.threshold`. */
  threshold?: number;
  /** See `DeflateOptions.level`. */
  level?: number;
  /** See `DeflateOptions.memLevel`. */
  memLevel?: number;
}

const EXTENSION_NAME = 'permessage-deflate';
const MIN_WINDOW_BITS = 8;
const MAX_WINDOW_BITS = 15;
const DEFAULT_LEVEL = 1;
const DEFAULT_MEM_LEVEL = 8;

// ---------------------------------------------------------------------------------------------
// §7.1 Extension negotiation
// ---------------------------------------------------------------------------------------------
//
// Truth table: what the response carries for each parameter of the offer ("P" is our policy).
//
//  parameter                   | in the offer        | in our response
//  ----------------------------+---------------------+------------------------------------------
//  server_no_context_takeover  | absent              | present iff P (§7.1.1.1: server MAY add it)
//                              | present, no value   | present: MUST be honoured (§7.1.1.1)
//  client_no_context_takeover  | absent              | present iff P (§7.1.1.2: server MAY add it)
//                              | present, no value   | present: the client announced it will not
//                              |                     | take over, echoing it lets us reset too
//  server_max_window_bits      | absent              | =P when P < 15 (§7.1.2.1 MAY), else absent
//                              | =V (8..15)          | =min(V, P): MUST, same or smaller (§7.1.2.1)
//  client_max_window_bits      | absent              | absent: MUST NOT include it (§7.1.2.2);
//                              |                     | the client may use 15, we inflate with 15
//                              | present, no value   | =P when P < 15, else absent
//                              | =V (8..15)          | =min(V, P) when < 15, else absent
//  anything else, a duplicate, a value on a no-value parameter, a window-bits value that is
//  missing (server_), not 8..15 or not a plain decimal    | the offer is declined (§7)

/**
 * Picks the first acceptable 'permessage-deflate' offer (RFC 7692 §5, §7.1): returns the agreed
 * params and the exact response extension string, or null when no offer is acceptable. Offers of
 * other extensions are ignored; a malformed permessage-deflate offer is declined and the next
 * one tried.
 * @throws RangeError when a window-bits option is not an integer 8..15.
 */
export function negotiatePermessageDeflate(
  offers: ExtensionOffer[],
  options: DeflateOptions = {},
): { params: DeflateParams; response: string } | null {
  const serverPolicy = checkWindowBitsOption(options.serverMaxWindowBits, 'serverMaxWindowBits');
  const clientPolicy = checkWindowBitsOption(options.clientMaxWindowBits, 'clientMaxWindowBits');
  // §5: the client lists its offers in order of preference; the server accepts at most one.
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME) continue;
    const accepted = acceptOffer(offer, options, serverPolicy, clientPolicy);
    if (accepted !== null) return accepted;
  }
  return null;
}

/** The response to one offer, or null to decline it. */
function acceptOffer(
  offer: ExtensionOffer,
  options: DeflateOptions,
  serverPolicy: number,
  clientPolicy: number,
): { params: DeflateParams; response: string } | null {
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let serverBits = 0; // 0: not offered
  let clientBits = 0; // 0: not offered; MAX_WINDOW_BITS + 1: offered without a value
  for (const [name, value] of offer.params) {
    // §7: "A server MUST decline an extension negotiation offer for this extension if ... [it]
    // contains an extension parameter not defined for use in an offer ... with an invalid value
    // ... multiple extension parameters with the same name".
    switch (name) {
      case 'server_no_context_takeover':
        // §7.1.1.1: "This parameter has no value."
        if (serverNoContextTakeover || value !== true) return null;
        serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        // §7.1.1.2: "This parameter has no value."
        if (clientNoContextTakeover || value !== true) return null;
        clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        // §7.1.2.1: the value is mandatory.
        if (serverBits !== 0 || value === true) return null;
        serverBits = parseWindowBits(value);
        if (serverBits === 0) return null;
        break;
      case 'client_max_window_bits':
        // §7.1.2.2: "This parameter has no value or a decimal integer value ...".
        if (clientBits !== 0) return null;
        clientBits = value === true ? MAX_WINDOW_BITS + 1 : parseWindowBits(value);
        if (clientBits === 0) return null;
        break;
      default:
        return null;
    }
  }

  let response = EXTENSION_NAME;
  // §7.1.1.1: a server accepting an offer with server_no_context_takeover "MUST include the
  // 'server_no_context_takeover' extension parameter in the response"; it MAY add it unasked.
  const serverReset = serverNoContextTakeover || options.serverNoContextTakeover === true;
  if (serverReset) response += '; server_no_context_takeover';
  // §7.1.1.2: the server MAY include client_no_context_takeover in any response.
  const clientReset = clientNoContextTakeover || options.clientNoContextTakeover === true;
  if (clientReset) response += '; client_no_context_takeover';

  // §7.1.2.1: "A server accepts an extension negotiation offer with this parameter by including
  // the 'server_max_window_bits' extension parameter in the extension negotiation response ...
  // with the same or smaller value as the offer", and it MAY include it unasked.
  let serverMaxWindowBits = serverPolicy;
  if (serverBits !== 0 && serverBits < serverMaxWindowBits) serverMaxWindowBits = serverBits;
  if (serverBits !== 0 || serverMaxWindowBits < MAX_WINDOW_BITS) {
    response += '; server_max_window_bits=' + serverMaxWindowBits;
  }

  // §7.1.2.2: "If a received extension negotiation offer doesn't have the 'client_max_window_bits'
  // extension parameter, the corresponding extension negotiation response to the offer MUST NOT
  // include the 'client_max_window_bits' extension parameter."
  let clientMaxWindowBits = MAX_WINDOW_BITS;
  if (clientBits !== 0) {
    clientMaxWindowBits = clientBits < clientPolicy ? clientBits : clientPolicy;
    if (clientMaxWindowBits < MAX_WINDOW_BITS) {
      response += '; client_max_window_bits=' + clientMaxWindowBits;
    }
  }

  return {
    params: {
      serverNoContextTakeover: serverReset,
      clientNoContextTakeover: clientReset,
      serverMaxWindowBits,
      clientMaxWindowBits,
    },
    response,
  };
}

/** §7.1.2.1/§7.1.2.2: "a decimal integer value without leading zeroes between 8 to 15,
 *  inclusive". Returns 0 for anything else. (A quoted value arrives already unquoted, §7.1.) */
function parseWindowBits(value: string): number {
  if (value.length === 1) {
    const digit = value.charCodeAt(0) - 0x30;
    return digit === 8 || digit === 9 ? digit : 0;
  }
  if (value.length === 2 && value.charCodeAt(0) === 0x31) {
    const digit = value.charCodeAt(1) - 0x30;
    return digit >= 0 && digit <= 5 ? 10 + digit : 0;
  }
  return 0;
}

function checkWindowBitsOption(value: number | undefined, name: string): number {
  if (value === undefined) return MAX_WINDOW_BITS;
  if (!Number.isInteger(value) || value < MIN_WINDOW_BITS || value > MAX_WINDOW_BITS) {
    throw new RangeError(`${name} must be an integer from 8 to 15, got ${value}`);
  }
  return value;
}

function checkIntegerOption(value: number | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// zlib plumbing: the synchronous fast path and the process-wide limit on thread-pool jobs
// ---------------------------------------------------------------------------------------------

/** §7.2.1/§7.2.2: the empty stored block that ends a sync flush, removed by the sender and
 *  appended again by the receiver. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);
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
/** At most this many zlib jobs of all connections are on the thread pool at once. */
const MAX_ZLIB_JOBS = 10;

/** The parts of a node:zlib stream, internal since Node 10, that `runSync` drives. */
interface ZlibNative {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
}
interface ZlibInternals {
  _handle?: ZlibNative | null;
  _writeState?: Uint32Array;
}
type ZlibStream = DeflateRaw | InflateRaw;

/** The stream's native handle and result array when they have the expected shape, else null
 *  (a future Node): everything then takes the asynchronous path. */
function nativeOf(stream: ZlibStream): { handle: ZlibNative; state: Uint32Array } | null {
  const internals = stream as unknown as ZlibInternals;
  const handle = internals._handle;
  const state = internals._writeState;
  if (handle == null || typeof handle.writeSync !== 'function') return null;
  if (!(state instanceof Uint32Array) || state.length < 2) return null;
  return { handle, state };
}

/** Collects the output pieces of one message. */
class Output {
  private readonly pieces: Buffer[] = [];
  length = 0;

  add(piece: Buffer): void {
    this.pieces.push(piece);
    this.length += piece.length;
  }

  /** Everything collected as one buffer; the collector is left empty. */
  take(): Buffer {
    const pieces = this.pieces;
    let result: Buffer;
    if (pieces.length === 1) result = pieces[0]!;
    else if (pieces.length === 0) result = EMPTY;
    else result = Buffer.concat(pieces, this.length);
    pieces.length = 0;
    this.length = 0;
    return result;
  }
}

/** Shared by all synchronous runs (they cannot interleave); each result is copied out of it. */
const scratch = Buffer.allocUnsafe(64 * 1024);

const RUN_DONE = 0; // all input consumed, all output delivered
const RUN_FULL = 1; // stopped at `stopAt` output bytes: input or output may remain
const RUN_ENDED = 2; // the DEFLATE stream ended (a BFINAL block) before the input did
const RUN_FAILED = 3; // zlib reported an error: `stream.errored` holds it

/**
 * Runs `input` through zlib synchronously with Z_SYNC_FLUSH, on the stream's own handle so that
 * the LZ77 window carries over to the next message (context takeover). The public API offers
 * either async on a kept stream or sync on a throwaway one; context takeover needs sync on a kept
 * one. This is the loop of node:zlib's internal processChunkSync (behind `_processChunk(chunk,
 * flag)`), which cannot be reused as is: it closes the handle when done (Node 20) and adds an
 * 'error' listener per call. The caller guarantees that no async write is in flight on the
 * stream: the native side aborts the process on a sync write during an async one.
 * After the call, `state[1]` is the number of input bytes left unconsumed.
 */
function runSync(stream: ZlibStream, native: { handle: ZlibNative; state: Uint32Array }, input: Buffer, out: Output, stopAt: number): number {
  const state = native.state;
  let inOff = 0;
  let inLen = input.length;
  for (;;) {
    let room = stopAt - out.length;
    if (room > scratch.length) room = scratch.length;
    native.handle.writeSync(Z_SYNC_FLUSH, input, inOff, inLen, scratch, 0, room);
    // zlib errors are reported synchronously by destroying the stream.
    if (stream.destroyed) return RUN_FAILED;
    const availOut = state[0]!;
    const availIn = state[1]!;
    const produced = room - availOut;
    if (produced > 0) {
      const piece = Buffer.allocUnsafe(produced);
      scratch.copy(piece, 0, 0, produced);
      out.add(piece);
    }
    inOff += inLen - availIn;
    inLen = availIn;
    // Output room left over means zlib stopped for want of input, or at the end of the stream.
    if (availOut !== 0) return availIn === 0 ? RUN_DONE : RUN_ENDED;
    if (out.length >= stopAt) return RUN_FULL;
  }
}

let zlibJobs = 0;
const zlibWaiting: Array<() => boolean> = [];

/** Runs `start` once fewer than MAX_ZLIB_JOBS async jobs are in flight in the process.
 *  `start` returns false when its owner was closed meanwhile and took no slot. */
function whenZlibSlotFree(start: () => boolean): void {
  zlibWaiting.push(start);
  drainZlibWaiting();
}

function releaseZlibSlot(): void {
  zlibJobs--;
  drainZlibWaiting();
}

function drainZlibWaiting(): void {
  while (zlibJobs < MAX_ZLIB_JOBS && zlibWaiting.length > 0) {
    const start = zlibWaiting.shift()!;
    zlibJobs++;
    if (!start()) zlibJobs--;
  }
}

/** Diagnostics: the number of async zlib jobs of this process now on the thread pool. */
export function zlibJobsInFlight(): number {
  return zlibJobs;
}

// ---------------------------------------------------------------------------------------------
// One direction of a connection: an ordered queue of calls on one lazily created zlib stream
// ---------------------------------------------------------------------------------------------

type Callback = (error: Error | null, result?: Buffer) => void;

interface Call {
  data: Buffer;
  fin: boolean;
  callback: Callback;
}

/** An asynchronous job: the inputs still to feed and the output gathered so far. */
interface AsyncRun {
  first: Buffer;
  second: Buffer | null;
  fin: boolean;
  callback: Callback;
  out: Output;
  /** `stream.bytesWritten` when the run started, to see how much input zlib consumed. */
  writtenBefore: number;
  finished: boolean;
}

abstract class Lane {
  protected stream: ZlibStream | null = null;
  protected native: { handle: ZlibNative; state: Uint32Array } | null = null;
  /** The output of synchronous runs, reused: each result is taken before the callback runs. */
  protected readonly syncOut = new Output();
  /** Once set, the stream is gone and every later call fails with this error. */
  protected failure: Error | null = null;
  protected current: AsyncRun | null = null;
  private readonly queue: Call[] = [];
  /** An async run owns the stream (possibly still waiting for a thread-pool slot). */
  private busy = false;
  private closed = false;

  protected abstract createStream(): ZlibStream;
  /** Handles one call: answers synchronously, or hands over to `goAsync`. */
  protected abstract process(stream: ZlibStream, data: Buffer, fin: boolean, callback: Callback): void;
  /** Finishes an async run whose inputs were all fed. */
  protected abstract complete(stream: ZlibStream, run: AsyncRun): void;
  /** Wraps a zlib error for the callback. */
  protected abstract zlibError(error: Error): Error;
  /** Checks one async output chunk; returns an error to stop the run with, or null. */
  protected abstract checkChunk(run: AsyncRun): Error | null;

  /** Runs the call now when nothing is ahead of it, else queues it: results keep call order. */
  protected submit(data: Buffer, fin: boolean, callback: Callback): void {
    if (this.closed) return;
    if (this.busy || this.queue.length > 0) {
      this.queue.push({ data, fin, callback });
      return;
    }
    this.run(data, fin, callback);
  }

  private run(data: Buffer, fin: boolean, callback: Callback): void {
    if (this.failure !== null) {
      callback(this.failure);
      return;
    }
    let stream = this.stream;
    if (stream === null) {
      stream = this.open();
      if (stream === null) {
        callback(this.failure);
        return;
      }
    }
    this.process(stream, data, fin, callback);
  }

  private pump(): void {
    while (!this.busy && !this.closed && this.queue.length > 0) {
      const call = this.queue.shift()!;
      this.run(call.data, call.fin, call.callback);
    }
  }

  /** Lazy: the zlib stream (and its window memory) exists only once the first call arrives. */
  private open(): ZlibStream | null {
    let stream: ZlibStream;
    try {
      stream = this.createStream();
    } catch (error) {
      this.failure = this.zlibError(error as Error);
      return null;
    }
    stream.on('data', (chunk: Buffer) => {
      const run = this.current;
      if (run === null || stream !== this.stream) return;
      run.out.add(chunk);
      const error = this.checkChunk(run);
      if (error !== null) this.fail(error);
    });
    stream.on('error', (error: Error) => {
      // Errors of synchronous runs were handled already and the stream was dropped.
      if (stream === this.stream) this.fail(this.zlibError(error));
    });
    this.stream = stream;
    this.native = nativeOf(stream);
    return stream;
  }

  /** Feeds `first` (then `second`) on the thread pool, once a process-wide slot is free. */
  protected goAsync(first: Buffer, second: Buffer | null, fin: boolean, callback: Callback, out: Output): void {
    const run: AsyncRun = { first, second, fin, callback, out, writtenBefore: 0, finished: false };
    this.busy = true;
    whenZlibSlotFree(() => {
      const stream = this.stream;
      if (this.closed || stream === null) return false;
      this.current = run;
      run.writtenBefore = stream.bytesWritten;
      const done = (error?: Error | null): void => {
        if (run.finished || stream !== this.stream) return;
        if (error) this.fail(this.zlibError(error));
        else this.complete(stream, run);
      };
      if (second === null) {
        stream.write(first, done);
      } else {
        stream.write(first);
        stream.write(second, done);
      }
      return true;
    });
  }

  /** Ends the current async run: frees its slot, answers it, then serves the queue. */
  protected settle(run: AsyncRun, error: Error | null, result?: Buffer): void {
    this.releaseRun(run);
    this.busy = false;
    try {
      run.callback(error, result);
    } finally {
      // Even a throwing callback must not strand the calls queued behind it.
      this.pump();
    }
  }

  private releaseRun(run: AsyncRun): void {
    if (run.finished) return;
    run.finished = true;
    if (this.current === run) this.current = null;
    releaseZlibSlot();
  }

  /** A fatal error: drops the stream (stopping any inflation at once) and fails the current run
   *  and every queued call with `error`. */
  protected fail(error: Error): void {
    this.failure = error;
    this.dropStream();
    const run = this.current;
    if (run !== null) this.settle(run, error);
  }

  private dropStream(): void {
    const stream = this.stream;
    if (stream === null) return;
    this.stream = null;
    this.native = null;
    stream.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    const run = this.current;
    if (run !== null) this.releaseRun(run);
    this.dropStream();
  }
}

/** §7.2.1 Compression, server to client. */
class Compressor extends Lane {
  constructor(
    private readonly windowBits: number,
    private readonly level: number,
    private readonly memLevel: number,
    private readonly noContextTakeover: boolean,
  ) {
    super();
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

  constructor(
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
    private readonly maxMessageSize: number,
  ) {
    super();
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
    if (stream.bytesWritten - run.writtenBefore < fed) this.ended = true;
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
    if (this.noContextTakeover || this.ended) stream.reset();
    this.ended = false;
  }

  private tooBig(): ProtocolError {
    return new ProtocolError(1009, 'WSS_ERR_MESSAGE_TOO_BIG', `inflated message exceeds ${this.maxMessageSize} bytes`);
  }

  protected zlibError(error: Error): Error {
    // §8.2.3.4 says to fail the connection on corrupt data; 1007 names the cause (as ws does).
    return new ProtocolError(1007, 'WSS_ERR_INFLATE', `invalid compressed data: ${error.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The per-connection codec
// ---------------------------------------------------------------------------------------------

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

/** One connection's compressor and decompressor (raw deflate, node:zlib). */
export class PerMessageDeflate {
  /** Messages smaller than this many bytes should be sent uncompressed. */
  readonly threshold: number;
  private readonly compressor: Compressor;
  private readonly decompressor: Decompressor;

  /** @throws RangeError on out-of-range params or options. */
  constructor(params: DeflateParams, options: PerMessageDeflateOptions = {}) {
    const serverBits = checkWindowBitsOption(params.serverMaxWindowBits, 'serverMaxWindowBits');
    const clientBits = checkWindowBitsOption(params.clientMaxWindowBits, 'clientMaxWindowBits');
    const level = checkIntegerOption(options.level, 'level', 0, 9, DEFAULT_LEVEL);
    const memLevel = checkIntegerOption(options.memLevel, 'memLevel', 1, 9, DEFAULT_MEM_LEVEL);
    const maxMessageSize = options.maxMessageSize ?? Defaults.maxMessageSize;
    this.threshold = options.threshold ?? Defaults.deflateThreshold;
    this.compressor = new Compressor(zlibWindowBits(serverBits), level, memLevel, params.serverNoContextTakeover);
    this.decompressor = new Decompressor(zlibWindowBits(clientBits), params.clientNoContextTakeover, maxMessageSize);
  }

  /**
   * Compresses one whole message (§7.2.1: the trailing 00 00 ff ff is removed; the context is
   * reset after the message when server_no_context_takeover was agreed). Small messages are
   * answered synchronously; results always come back in call order. A zlib failure gives
   * ProtocolError(1011, 'WSS_ERR_DEFLATE') and fails every later call too.
   */
  compress(data: Buffer, callback: (error: Error | null, result?: Buffer) => void): void {
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
  decompress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void {
    this.decompressor.decompress(data, fin, callback);
  }

  /** Frees the zlib streams (idempotent). Pending callbacks are not called after close(), and
   *  calls made after it are ignored. */
  close(): void {
    this.compressor.close();
    this.decompressor.close();
  }
}
