/**
 * The synchronous fast path of the permessage-deflate codec (RFC 7692 §7.2): running one message
 * through a kept node:zlib stream on the main thread, so that the LZ77 window carries over to the
 * next message (context takeover, §7.1.1) without a thread-pool round trip.
 *
 * Why private APIs: node:zlib's stream API runs every chunk on the libuv thread pool, a round trip
 * of roughly 90 µs, while deflating a 1 KiB message takes 2-15 µs. Its public synchronous API
 * (`deflateRawSync`) uses a throwaway stream, which loses the window. Context takeover needs sync
 * on a kept stream, which only the stream's native handle (`_handle.writeSync`, results in
 * `_writeState`, internal since Node 10) offers.
 *
 * Why it is safe across Node upgrades: `SYNC_FAST_PATH_WORKS` is decided once, when this module
 * loads, by running a small sample through these internals and comparing with the public API
 * (`probeSyncFastPath`); each stream's internals are checked again when it is opened (`nativeOf`).
 * When either check fails, the codec uses the public asynchronous API for everything: slower,
 * never wrong.
 */
import { constants as zlibConstants, createDeflateRaw, createInflateRaw, deflateRawSync } from 'node:zlib';
import type { DeflateRaw, InflateRaw, ZlibOptions } from 'node:zlib';

const EMPTY = Buffer.alloc(0);
const Z_SYNC_FLUSH = zlibConstants.Z_SYNC_FLUSH;
/** Shared by all synchronous runs (they cannot interleave); each result is copied out of it. */
const scratch = Buffer.allocUnsafe(64 * 1024);

/** The smallest zlib settings: the probe allocates a few KiB, not a full-size compressor. */
const PROBE_OPTIONS = { windowBits: 9, memLevel: 1, level: 1 } as const;
/** Output bytes per inflate step of the probe: small enough to stop it several times. */
const PROBE_STEP = 100;
/** Not a DEFLATE stream: BTYPE 11 is reserved (RFC 1951 §3.2.3). */
const CORRUPT = Buffer.from([0xff, 0xff, 0xff, 0xff]);

export type ZlibStream = DeflateRaw | InflateRaw;

/** The parts of a node:zlib stream's native handle that `runSync` drives. */
export interface ZlibNative {
  handle: { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void };
  /** Written by each writeSync: [0] output room left (avail_out), [1] input left (avail_in). */
  state: Uint32Array;
}

/** runSync results. */
export const RUN_DONE = 0; // all input consumed, all output delivered
export const RUN_FULL = 1; // stopped at `stopAt` output bytes: input or output may remain
export const RUN_ENDED = 2; // the DEFLATE stream ended (a BFINAL block) before the input did
export const RUN_FAILED = 3; // zlib reported an error (`stream.errored` holds it), or the internals misbehaved

/** Collects the output pieces of one message. */
export class Output {
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

/**
 * The stream's native handle and result array when they have the expected shape, else null:
 * the stream is then driven through the public asynchronous API only.
 */
export function nativeOf(stream: ZlibStream): ZlibNative | null {
  const internals = stream as unknown as { _handle?: ZlibNative['handle'] | null; _writeState?: unknown };
  const handle = internals._handle;
  const state = internals._writeState;
  if (handle == null || typeof handle.writeSync !== 'function') return null;
  if (!(state instanceof Uint32Array) || state.length < 2) return null;
  return { handle, state };
}

/**
 * Runs `input` through zlib synchronously with Z_SYNC_FLUSH, on the stream's own handle, adding
 * the output to `out` until it holds `stopAt` bytes. This is the loop of node:zlib's internal
 * processChunkSync (behind `_processChunk(chunk, flag)`), which cannot be reused as is: it closes
 * the handle when done (Node 20) and adds an 'error' listener per call. The caller guarantees that
 * no async write is in flight on the stream: the native side aborts the process on a sync write
 * during an async one. After the call, `native.state[1]` is the number of input bytes left
 * unconsumed.
 */
export function runSync(stream: ZlibStream, native: ZlibNative, input: Buffer, out: Output, stopAt: number): number {
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
    // Counts beyond what was offered mean the result array changed meaning: stop before they turn
    // into offsets, which the native side checks by aborting the process.
    if (availOut > room || availIn > inLen) return RUN_FAILED;
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

/** The stream factories the probe uses; a spec passes broken ones to see the probe refuse them. */
export interface ZlibFactories {
  createDeflateRaw(options: ZlibOptions): ZlibStream;
  createInflateRaw(options: ZlibOptions): ZlibStream;
}

/**
 * Whether runSync works on this Node: deflates a sample on a fresh stream and compares the bytes
 * with the public `deflateRawSync`; inflates them back in small steps (`stopAt` below the output,
 * so RUN_FULL and the unconsumed-input count are exercised as the codec uses them) and compares
 * with the sample; and checks that corrupt input gives RUN_FAILED. Any difference or exception
 * answers false.
 */
export function probeSyncFastPath(factories: ZlibFactories = { createDeflateRaw, createInflateRaw }): boolean {
  const streams: ZlibStream[] = [];
  const open = (stream: ZlibStream): ZlibNative | null => {
    streams.push(stream);
    // A failed probe destroys its stream; the 'error' event that follows must not be uncaught.
    stream.on('error', () => {});
    return nativeOf(stream);
  };
  try {
    const sample = probeSample();
    const expected = deflateRawSync(sample, { ...PROBE_OPTIONS, finishFlush: Z_SYNC_FLUSH });

    const deflate = factories.createDeflateRaw({ ...PROBE_OPTIONS, flush: Z_SYNC_FLUSH });
    const deflateNative = open(deflate);
    if (deflateNative === null) return false;
    const compressed = new Output();
    if (runSync(deflate, deflateNative, sample, compressed, Number.POSITIVE_INFINITY) !== RUN_DONE) return false;
    const deflated = compressed.take();
    if (!deflated.equals(expected)) return false;

    const inflate = factories.createInflateRaw({ windowBits: PROBE_OPTIONS.windowBits, flush: Z_SYNC_FLUSH });
    const inflateNative = open(inflate);
    if (inflateNative === null) return false;
    const inflated = new Output();
    let input = deflated;
    for (let step = 1; ; step++) {
      const status = runSync(inflate, inflateNative, input, inflated, step * PROBE_STEP);
      if (status === RUN_DONE) break;
      const left = inflateNative.state[1]!;
      if (status !== RUN_FULL || left > input.length || step > sample.length) return false;
      input = input.subarray(input.length - left);
    }
    if (!inflated.take().equals(sample)) return false;

    const corrupt = factories.createInflateRaw({ windowBits: PROBE_OPTIONS.windowBits, flush: Z_SYNC_FLUSH });
    const corruptNative = open(corrupt);
    if (corruptNative === null) return false;
    return runSync(corrupt, corruptNative, CORRUPT, new Output(), Number.POSITIVE_INFINITY) === RUN_FAILED && corrupt.errored != null;
  } catch {
    return false;
  } finally {
    for (const stream of streams) stream.close();
  }
}

/** Text with repeats, so the probe's DEFLATE output has matches as well as literals. */
function probeSample(): Buffer {
  let text = '';
  for (let i = 0; text.length < 600; i++) text += `{"id":${i * 7919},"name":"user${i % 13}","ok":${i % 3 === 0}}`;
  return Buffer.from(text);
}

/**
 * Decided once per process, when this module loads (see the file comment). Last in the file
 * because the probe needs the Output class, which is not hoisted.
 */
export const SYNC_FAST_PATH_WORKS: boolean = probeSyncFastPath();
