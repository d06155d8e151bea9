/**
 * A deterministic in-memory MessageCodec (the RFC 7692 §7.2 codec interface of
 * lib/protocol/permessage-deflate.ts) for the core's specs, so that ServerConnection is tested
 * without node:zlib, the thread pool or timers.
 *
 * "Compression" XORs every byte with 0x55: reversible, byte by byte (so fragments can be cut
 * anywhere), and visibly different from the plain bytes, so a spec can tell that a payload went
 * through the codec. In `async` mode answers wait for `flush()`, which lets a spec hold a call
 * "on the thread pool" for as long as it likes and release it at an exact point. Like the real
 * codec it answers in call order, enforces `maxMessageSize` over the inflated fragments of one
 * message, makes a failure final, and goes silent after close().
 */
import { ProtocolError } from '../../lib/protocol/errors';
import type { CodecCallback, MessageCodec } from '../../lib/protocol/permessage-deflate';

export interface FakeCodecOptions {
  /** Default 0: every message is compressed. */
  threshold?: number;
  /** Answers wait for flush() instead of coming before the call returns. Default false. */
  async?: boolean;
  /** Largest "inflated" message, 1009 beyond (as the real codec). Default unlimited. */
  maxMessageSize?: number;
}

export type CodecCall = ['compress', string] | ['decompress', string, boolean];

const KEY = 0x55;

/** What the fake codec makes of `data`, and what a client would send for it (hex in specs). */
export function fakeCompress(data: string | Uint8Array): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ KEY;
  return out;
}

/** The inverse of fakeCompress (the same XOR). */
export const fakeDecompress = fakeCompress;

export class FakeCodec implements MessageCodec {
  readonly threshold: number;
  /** Every call in order, data as latin1 text of the input: what the connection asked for. */
  readonly calls: CodecCall[] = [];
  closed = false;
  private readonly async: boolean;
  private readonly maxMessageSize: number;
  private readonly held: Array<() => void> = [];
  private failure: Error | null = null;
  private inflated = 0;
  private compressFailure: Error | null = null;

  constructor(options: FakeCodecOptions = {}) {
    this.threshold = options.threshold ?? 0;
    this.async = options.async ?? false;
    this.maxMessageSize = options.maxMessageSize ?? Number.POSITIVE_INFINITY;
  }

  compress(data: Buffer, callback: CodecCallback): void {
    if (this.closed) return;
    this.calls.push(['compress', data.toString('latin1')]);
    const input = Buffer.from(data); // the caller may reuse its buffer once the call returns
    this.answer(() => {
      if (this.compressFailure !== null) this.failure = this.compressFailure;
      if (this.failure !== null) return callback(this.failure);
      callback(null, fakeCompress(input));
    });
  }

  decompress(data: Buffer, last: boolean, callback: CodecCallback): void {
    if (this.closed) return;
    this.calls.push(['decompress', data.toString('latin1'), last]);
    const input = Buffer.from(data); // the connection's buffer is a view of a chunk it may reuse
    this.answer(() => {
      if (this.failure !== null) return callback(this.failure);
      this.inflated += input.length;
      if (this.inflated > this.maxMessageSize) {
        this.failure = new ProtocolError(1009, 'WSS_ERR_MESSAGE_TOO_BIG', `inflated message exceeds ${this.maxMessageSize} bytes`);
        return callback(this.failure);
      }
      if (last) this.inflated = 0;
      callback(null, fakeDecompress(input));
    });
  }

  /** The next compression fails with `error`, and so does every call after it (as a broken zlib). */
  failCompression(error: Error): void {
    this.compressFailure = error;
  }

  /** async mode: answers up to `count` held calls in order, including calls that the answers
   *  cause (the connection reading on); returns how many were answered. */
  flush(count = Number.POSITIVE_INFINITY): number {
    let answered = 0;
    while (answered < count && this.held.length > 0 && !this.closed) {
      this.held.shift()!();
      answered++;
    }
    return answered;
  }

  /** Calls waiting for flush(). */
  get pending(): number {
    return this.held.length;
  }

  close(): void {
    this.closed = true;
    this.held.length = 0;
  }

  private answer(run: () => void): void {
    if (this.async) this.held.push(run);
    else run();
  }
}
