/**
 * An incremental parser for client-to-server frames (RFC 6455 §5). It accepts the byte stream in
 * chunks of any size, checks every frame-level rule as soon as the bytes that decide it are in, and
 * hands unmasked payload to a handler without copying when a frame lies within one chunk.
 *
 * Frame-sequence rules (§5.4 fragmentation) live here too, because they need nothing but the
 * previous frames: message-level rules (size, UTF-8, inflation) are the connection's.
 */
import { Buffer } from 'node:buffer';
import { MAX_CONTROL_PAYLOAD, Opcode, isControlOpcode } from './constants';
import { ProtocolError } from './errors';
import { readMaskKey, releaseMaskView, unmask, unmaskInto } from './frame';

/** Receives what the parser finds. Both methods may throw a ProtocolError to fail the connection. */
export interface FrameHandler {
  /**
   * A valid frame header. `length` is the payload length; `inChunk` tells that the whole payload is
   * already in the chunk being parsed, so it will come as one piece (a view of the chunk). Here, and
   * only here, the handler may call FrameParser.gatherPieces() for a data frame.
   */
  onFrameStart(fin: boolean, rsv1: boolean, opcode: number, length: number, inChunk: boolean): void;
  /**
   * Unmasked payload bytes of the current frame, `end` true with its last bytes. A data frame may come in
   * several pieces (as the chunks arrive); a control frame always comes whole. A frame with an empty
   * payload gives one empty piece with `end` true. Pieces are views of the chunk, or the targets
   * pieceTarget() gave.
   */
  onFramePayload(data: Buffer, end: boolean): void;
  /**
   * For a frame whose pieces are gathered (gatherPieces): where the next `length` payload bytes are to
   * be unmasked — a buffer of exactly that length — or null to unmask them in place in the chunk.
   */
  pieceTarget?(length: number): Buffer | null;
}

export interface FrameParserOptions {
  /** Whether RSV1 may be set: true when permessage-deflate was negotiated (RFC 7692 §6). */
  allowRsv1?: boolean;
}

const enum State {
  Header,
  Payload,
}

/** The bits of FrameParser.flags. */
const enum Flag {
  AllowRsv1 = 1 << 0,
  Gathering = 1 << 1,
  ExpectContinuation = 1 << 2,
  Paused = 1 << 3,
  Stopped = 1 << 4,
}

/** Parser states are few: a header is either read straight from the chunk or gathered in a scratch buffer. */
export class FrameParser {
  private readonly handler: FrameHandler;

  private state = State.Header;
  /** Header bytes gathered across chunks (at most 2 + 8 + 4). Allocated on first need. */
  private head: Buffer | null = null;
  private headLength = 0;

  // The frame being read.
  /** The masking key, as one number (see readMaskKey). */
  private key = 0;
  private opcode = 0;
  private payloadLength = 0;
  private payloadRead = 0;
  /** A control frame's payload, gathered whole (at most 125 bytes). */
  private control: Buffer[] | null = null;
  /** The yes/no state, one bit each (see Flag and the accessors below): one field, not five, per connection. */
  private flags = 0;
  /** Input kept while paused; created on first need. */
  private pending: Buffer[] | null = null;

  constructor(handler: FrameHandler, options: FrameParserOptions = {}) {
    this.handler = handler;
    if (options.allowRsv1 === true) this.flags |= Flag.AllowRsv1;
  }

  /** RSV1 may be set (permessage-deflate was negotiated). */
  private get allowRsv1(): boolean {
    return (this.flags & Flag.AllowRsv1) !== 0;
  }
  /** The handler picks where each piece of the current data frame is unmasked to (see gatherPieces). */
  private get gathering(): boolean {
    return (this.flags & Flag.Gathering) !== 0;
  }
  private set gathering(on: boolean) {
    this.setFlag(Flag.Gathering, on);
  }
  /** §5.4: a data frame without FIN was seen, so the next data frame must be a continuation. */
  private get expectContinuation(): boolean {
    return (this.flags & Flag.ExpectContinuation) !== 0;
  }
  private set expectContinuation(on: boolean) {
    this.setFlag(Flag.ExpectContinuation, on);
  }
  private get paused(): boolean {
    return (this.flags & Flag.Paused) !== 0;
  }
  private set paused(on: boolean) {
    this.setFlag(Flag.Paused, on);
  }
  private get stopped(): boolean {
    return (this.flags & Flag.Stopped) !== 0;
  }
  private set stopped(on: boolean) {
    this.setFlag(Flag.Stopped, on);
  }
  private setFlag(flag: Flag, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }

  /**
   * Parses `chunk`. Payload is unmasked IN PLACE: the caller hands the chunk over. Throws the
   * ProtocolError that fails the connection; the parser then stops and ignores further input.
   */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.paused) {
      (this.pending ??= []).push(chunk);
      return;
    }
    try {
      this.parse(chunk, 0);
    } catch (error) {
      this.stop();
      throw error;
    } finally {
      releaseMaskView();
    }
  }

  /**
   * Asks the handler, before each piece of the frame being started, where to unmask it
   * (handler.pieceTarget), so that a message is reassembled in the same pass that unmasks it; a piece
   * unmasked into a target leaves its chunk as it came. Call from onFrameStart, for a data frame.
   */
  gatherPieces(): void {
    if (this.payloadRead !== 0 || this.state !== State.Header || isControlOpcode(this.opcode) || this.handler.pieceTarget === undefined) {
      throw new RangeError('gatherPieces() is for the data frame being started, with a handler that has pieceTarget()');
    }
    this.gathering = true;
  }

  /** Stops handing out frames after the current callback (e.g. while a message inflates); input is kept. */
  pause(): void {
    this.paused = true;
  }

  /** Continues with the input kept since pause(). Throws like push(). */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    while (!this.paused && !this.stopped && this.pending !== null && this.pending.length > 0) {
      const chunk = this.pending.shift()!;
      try {
        this.parse(chunk, 0);
      } catch (error) {
        this.stop();
        throw error;
      } finally {
        releaseMaskView();
      }
    }
    if (this.pending !== null && this.pending.length === 0) this.pending = null;
  }

  /** Ignores all further input (after a close frame or a failure). */
  stop(): void {
    this.stopped = true;
    this.pending = null;
    this.control = null;
    this.gathering = false;
  }

  /** Bytes kept while paused. */
  get pendingBytes(): number {
    let n = 0;
    if (this.pending !== null) for (const chunk of this.pending) n += chunk.length;
    return n;
  }

  private parse(chunk: Buffer, pos: number): void {
    while (pos < chunk.length) {
      if (this.paused || this.stopped) {
        if (!this.stopped) (this.pending ??= []).unshift(chunk.subarray(pos));
        return;
      }
      pos = this.state === State.Header ? this.readHeader(chunk, pos) : this.readPayload(chunk, pos);
    }
    // A frame with an empty payload is complete as soon as its header is.
    if (this.state === State.Payload && this.payloadLength === 0 && !this.paused && !this.stopped) {
      this.finishEmptyFrame();
    }
  }

  /** Reads a header from `chunk` at `pos`, gathering it across chunks when needed. Returns the new position. */
  private readHeader(chunk: Buffer, pos: number): number {
    if (this.headLength === 0 && chunk.length - pos >= 2) {
      const needed = headerLength(chunk[pos + 1]!);
      if (chunk.length - pos >= needed) {
        this.startFrame(chunk, pos, chunk.length - pos - needed);
        return this.afterHeader(chunk, pos + needed);
      }
    }
    // Slow path: the header straddles chunks.
    const head = (this.head ??= Buffer.allocUnsafe(14));
    while (pos < chunk.length) {
      head[this.headLength++] = chunk[pos++]!;
      if (this.headLength >= 2 && this.headLength === headerLength(head[1]!)) {
        this.headLength = 0;
        this.startFrame(head, 0, chunk.length - pos);
        return this.afterHeader(chunk, pos);
      }
    }
    return pos;
  }

  private afterHeader(chunk: Buffer, pos: number): number {
    this.state = State.Payload;
    if (this.payloadLength === 0) {
      // Deliver now only if more input follows in this chunk; otherwise parse() finishes it at the end.
      if (pos < chunk.length) this.finishEmptyFrame();
    }
    return pos;
  }

  private finishEmptyFrame(): void {
    this.state = State.Header;
    this.payloadRead = 0;
    this.control = null;
    this.handler.onFramePayload(EMPTY, true);
  }

  /** Decodes and validates a complete header that starts at `bytes[at]`; `available` payload bytes follow it in the chunk. */
  private startFrame(bytes: Buffer, at: number, available: number): void {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;

    // §5.2: "RSV1, RSV2, RSV3: MUST be 0 unless an extension is negotiated that defines meanings".
    if ((b0 & 0x30) !== 0) throw fail('WSS_ERR_RSV', 'RSV2 and RSV3 must be clear');
    if (rsv1 && !this.allowRsv1) throw fail('WSS_ERR_RSV', 'RSV1 must be clear');

    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
    if (opcode > Opcode.Binary && opcode < Opcode.Close) throw fail('WSS_ERR_OPCODE', `reserved opcode ${opcode}`);
    if (opcode > Opcode.Pong) throw fail('WSS_ERR_OPCODE', `reserved opcode ${opcode}`);

    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
    if ((b1 & 0x80) === 0) throw fail('WSS_ERR_UNMASKED_FRAME', 'client frames must be masked');

    let length = b1 & 0x7f;
    let maskAt = at + 2;
    if (length === 126) {
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      maskAt += 2;
    } else if (length === 127) {
      const high = bytes.readUInt32BE(at + 2);
      // §5.2: "the most significant bit MUST be 0".
      if (high > 0x7fffffff) throw fail('WSS_ERR_LENGTH', 'the 64-bit payload length has its top bit set');
      // Lengths beyond 2^53 cannot be counted exactly; no message limit allows them anyway.
      if (high > 0x1fffff) throw new ProtocolError(1009, 'WSS_ERR_MESSAGE_TOO_BIG', 'frame payload too large');
      length = high * 0x100000000 + bytes.readUInt32BE(at + 6);
      maskAt += 8;
    }

    if (isControlOpcode(opcode)) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (length > MAX_CONTROL_PAYLOAD) throw fail('WSS_ERR_CONTROL_TOO_LONG', 'control frame payload over 125 bytes');
      if (!fin) throw fail('WSS_ERR_CONTROL_FRAGMENTED', 'fragmented control frame');
      // RFC 7692 §6.1: only data frames can be compressed.
      if (rsv1) throw fail('WSS_ERR_RSV', 'RSV1 set on a control frame');
    } else if (opcode === Opcode.Continuation) {
      // §5.4: a continuation frame only continues a message that was started.
      if (!this.expectContinuation) throw fail('WSS_ERR_CONTINUATION', 'continuation frame without a message to continue');
      // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only.
      if (rsv1) throw fail('WSS_ERR_RSV', 'RSV1 set on a continuation frame');
      this.expectContinuation = !fin;
    } else {
      // §5.4: fragments of one message must not be interleaved with another message.
      if (this.expectContinuation) throw fail('WSS_ERR_CONTINUATION', 'new data frame before the previous message ended');
      this.expectContinuation = !fin;
    }

    this.key = readMaskKey(bytes, maskAt);
    this.opcode = opcode;
    this.payloadLength = length;
    this.payloadRead = 0;
    this.gathering = false;
    this.handler.onFrameStart(fin, rsv1, opcode, length, available >= length);
  }

  private readPayload(chunk: Buffer, pos: number): number {
    const read = this.payloadRead;
    const available = Math.min(this.payloadLength - read, chunk.length - pos);
    const end = pos + available;
    const target = this.gathering ? this.handler.pieceTarget!(available) : null;
    let piece: Buffer;
    if (target === null) {
      unmask(chunk, pos, end, this.key, read);
      piece = chunk.subarray(pos, end);
    } else {
      if (target.length !== available) throw new RangeError(`pieceTarget(${available}) gave ${target.length} bytes`);
      unmaskInto(chunk, pos, end, this.key, read, target, 0);
      piece = target;
    }
    this.payloadRead = read + available;
    const done = this.payloadRead === this.payloadLength;

    if (isControlOpcode(this.opcode)) {
      if (!done) {
        (this.control ??= []).push(piece);
        return end;
      }
      const whole = this.control ? Buffer.concat([...this.control, piece]) : piece;
      this.control = null;
      this.state = State.Header;
      this.handler.onFramePayload(whole, true);
      return end;
    }

    if (done) {
      this.state = State.Header;
      this.gathering = false;
    }
    this.handler.onFramePayload(piece, done);
    return end;
  }
}

const EMPTY = Buffer.alloc(0);

/** Total header length implied by the second header byte: base 2, extended length, 4 mask bytes if MASK is set. */
function headerLength(b1: number): number {
  const len = b1 & 0x7f;
  return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}

function fail(code: string, message: string): ProtocolError {
  return new ProtocolError(1002, code, message);
}
