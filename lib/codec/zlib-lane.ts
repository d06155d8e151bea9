/**
 * One direction of a permessage-deflate codec (RFC 7692 §7.2.1 compression or §7.2.2
 * decompression): an ordered queue of calls on one lazily created node:zlib stream. A call is
 * answered synchronously when the subclass can run it on the fast path (zlib-sync.ts), or runs on
 * the thread pool once the process-wide limiter (zlib-limiter.ts) gives it a slot; either way the
 * callbacks keep call order, which the connection relies on (frames go out, and messages are
 * delivered, in order).
 */
import type { CodecCallback as Callback } from '../protocol/permessage-deflate';
import { releaseZlibSlot, whenZlibSlotFree } from './zlib-limiter';
import { nativeOf, Output, type ZlibNative, type ZlibStream } from './zlib-sync';

interface Call {
  data: Buffer;
  fin: boolean;
  callback: Callback;
}

/** An asynchronous job: the inputs still to feed and the output gathered so far. */
export interface AsyncRun {
  first: Buffer;
  second: Buffer | null;
  fin: boolean;
  callback: Callback;
  out: Output;
  /** `stream.bytesWritten` when the run started, to see how much input zlib consumed. */
  writtenBefore: number;
  finished: boolean;
}

/** The shared machinery of Compressor and Decompressor (deflate-codec.ts). */
export abstract class Lane {
  protected stream: ZlibStream | null = null;
  /** The stream's native handle for runSync; null while the stream is driven asynchronously only. */
  protected native: ZlibNative | null = null;
  /** The output of synchronous runs, reused: each result is taken before the callback runs. */
  protected readonly syncOut = new Output();
  /** Once set, the stream is gone and every later call fails with this error. */
  protected failure: Error | null = null;
  protected current: AsyncRun | null = null;
  private readonly queue: Call[] = [];
  /** An async run owns the stream (possibly still waiting for a thread-pool slot). */
  private busy = false;
  private closed = false;

  /** @param syncFastPath false: never use runSync (the public async API only). */
  constructor(private readonly syncFastPath: boolean) {}

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
    this.native = this.syncFastPath ? nativeOf(stream) : null;
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

  /** Drops the stream for good; the next call opens a fresh one. */
  protected replaceStream(): void {
    this.dropStream();
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
