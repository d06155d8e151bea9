/**
 * The server side of one WebSocket connection after the opening handshake, without I/O: bytes from
 * the client go in through receiveData(), and out come handler calls (messages, pings, the close) and
 * bytes to write. It implements RFC 6455 §5–§7 on top of FrameParser, plus RFC 7692 message
 * compression through a MessageCodec when permessage-deflate was negotiated (the zlib one lives in
 * lib/codec/, outside the sans-I/O core; the core only calls the interface).
 *
 * States (§7):  OPEN ──close()──▶ CLOSING ──peer's close──▶ CLOSED
 *                 └──peer's close (echoed)──────────────────▶ CLOSED
 * A protocol violation stops reading at once and is reported with onProtocolError(); the close frame
 * for it is sent when the owner calls fail(), so that events already queued for this connection can
 * still be handled (and answered) first.
 */
import { Buffer } from 'node:buffer';
import { CloseCode, Defaults, Opcode } from './constants';
import { ProtocolError } from './errors';
import { COPY_THRESHOLD, formatFrameHeader, formatMessage, formatServerFrame } from './frame';
import { FrameParser, type FrameHandler } from './frame-parser';
import { MessageAssembly } from './message-assembly';
import { formatClosePayload, parseClosePayload } from './close';
import type { MessageCodec } from './permessage-deflate';
import { Utf8Validator } from './utf8';

/** What a connection tells its owner. */
export interface ConnectionHandler {
  /** Bytes to send, in order. */
  write(data: Buffer): void;
  /**
   * Message data. `opcode` is Text or Binary for the whole message; `first`/`last` mark its first and
   * last piece. Text pieces always end on a character boundary and are valid UTF-8 so far.
   * With `bufferMessages` every call carries one whole message (first and last both true).
   */
  onData(opcode: number, data: Buffer, first: boolean, last: boolean): void;
  /** A ping arrived (the pong is already queued). */
  onPing(payload: Buffer): void;
  /** A pong arrived. */
  onPong(payload: Buffer): void;
  /**
   * The peer's close frame (code 1005 when it carried none). The reply, if due, is already queued —
   * unless the owner replies itself (ownerRepliesToClose), in which case the state stays Open until it does.
   */
  onPeerClose(code: number, reason: string): void;
  /** The peer broke the protocol; nothing more is read. Call fail() to send the close frame. */
  onProtocolError(error: ProtocolError): void;
  /**
   * The codec answered asynchronously: input stops being parsed until it is done (busy=true), and goes
   * on again (busy=false). The owner should stop reading its socket meanwhile, or everything the peer
   * sends behind a large compressed message is buffered without limit.
   */
  onInflating?(busy: boolean): void;
}

export interface ConnectionOptions {
  /** Largest message accepted, after inflation (close 1009 beyond). */
  maxMessageSize?: number;
  /** Most data frames one incoming message may have (close 1009 beyond; 0 or absent: no limit). */
  maxFragments?: number;
  /** Outgoing messages are split into frames of at most this many payload bytes (0: never split). */
  maxFrameSize?: number;
  /** Deliver whole messages instead of pieces as they arrive. */
  bufferMessages?: boolean;
  /** The codec when permessage-deflate was negotiated. */
  deflate?: MessageCodec | null;
  /**
   * The peer's close is not answered here: the owner calls replyToClose() when it is ready (after the
   * events that came before the close have been handled), and may send data until then (§5.5.1 lets an
   * endpoint finish what it is sending before it answers). Default false: the reply is queued at once.
   */
  ownerRepliesToClose?: boolean;
}

export const ConnectionState = Object.freeze({ Open: 'open', Closing: 'closing', Closed: 'closed' } as const);
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** An entry of the outgoing queue: frames ready to write, or a compression still running. */
interface OutgoingSlot {
  frames: Buffer[] | null;
  /** Its size: the frames' bytes, or the whole input while it is being compressed. */
  bytes: number;
}

/** The bits of ServerConnection.flags. */
const enum Flag {
  BufferMessages = 1 << 0,
  OwnerRepliesToClose = 1 << 1,
  CloseSent = 1 << 2,
  CloseReceived = 1 << 3,
  Failed = 1 << 4,
  Suspended = 1 << 5,
  Inflating = 1 << 6,
  // The incoming message.
  FrameFin = 1 << 7,
  MessageCompressed = 1 << 8,
  FirstPiece = 1 << 9,
  MessageBuffered = 1 << 10,
}

export class ServerConnection implements FrameHandler {
  private readonly handler: ConnectionHandler;
  private readonly parser: FrameParser;
  private readonly deflate: MessageCodec | null;
  readonly maxMessageSize: number;
  maxFrameSize: number;

  private stateValue: ConnectionState = ConnectionState.Open;
  private peerCloseCode: number = CloseCode.NoStatus;
  /** The payload of the latest ping not answered yet (see receivePing). */
  private pendingPong: Buffer | null = null;

  // The incoming message.
  private frameOpcode = 0;
  private messageOpcode = 0;
  private messageSize = 0;
  private utf8: Utf8Validator | null = null;
  /** The unfinished character at the end of the last text piece, carried into the next. */
  private carry: Buffer | null = null;
  /** The message being put together (bufferMessages), made on first need and kept. */
  private assembly: MessageAssembly | null = null;
  /** Data frames of the current message so far (maxFragments). */
  private fragments = 0;
  private readonly maxFragments: number;

  // Outgoing: while a compression runs, later frames wait behind it so order is kept. Created on first need.
  private queue: OutgoingSlot[] | null = null;
  private queueBytes = 0;
  /** An outgoing message sent in parts is open (sendPart with last=false). */
  private partialOpcode = 0;

  /**
   * The connection's yes/no state, one bit each (see Flag; read and written through the accessors
   * below). Every open connection keeps one of these objects: one number instead of eleven fields is
   * 80 bytes less per connection.
   */
  private flags: number = Flag.FirstPiece;

  /** Whole messages only (BufferMessage); may change between messages. */
  get bufferMessages(): boolean {
    return (this.flags & Flag.BufferMessages) !== 0;
  }
  set bufferMessages(on: boolean) {
    this.setFlag(Flag.BufferMessages, on);
  }
  private get ownerRepliesToClose(): boolean {
    return (this.flags & Flag.OwnerRepliesToClose) !== 0;
  }
  private get closeSent(): boolean {
    return (this.flags & Flag.CloseSent) !== 0;
  }
  private set closeSent(on: boolean) {
    this.setFlag(Flag.CloseSent, on);
  }
  private get closeReceived(): boolean {
    return (this.flags & Flag.CloseReceived) !== 0;
  }
  private set closeReceived(on: boolean) {
    this.setFlag(Flag.CloseReceived, on);
  }
  private get failed(): boolean {
    return (this.flags & Flag.Failed) !== 0;
  }
  private set failed(on: boolean) {
    this.setFlag(Flag.Failed, on);
  }
  private get suspended(): boolean {
    return (this.flags & Flag.Suspended) !== 0;
  }
  private set suspended(on: boolean) {
    this.setFlag(Flag.Suspended, on);
  }
  private get inflating(): boolean {
    return (this.flags & Flag.Inflating) !== 0;
  }
  private set inflating(on: boolean) {
    this.setFlag(Flag.Inflating, on);
  }
  private get frameFin(): boolean {
    return (this.flags & Flag.FrameFin) !== 0;
  }
  private set frameFin(on: boolean) {
    this.setFlag(Flag.FrameFin, on);
  }
  private get messageCompressed(): boolean {
    return (this.flags & Flag.MessageCompressed) !== 0;
  }
  private set messageCompressed(on: boolean) {
    this.setFlag(Flag.MessageCompressed, on);
  }
  private get firstPiece(): boolean {
    return (this.flags & Flag.FirstPiece) !== 0;
  }
  private set firstPiece(on: boolean) {
    this.setFlag(Flag.FirstPiece, on);
  }
  /** bufferMessages as it was when the message began: a change applies from the next message. */
  private get messageBuffered(): boolean {
    return (this.flags & Flag.MessageBuffered) !== 0;
  }
  private set messageBuffered(on: boolean) {
    this.setFlag(Flag.MessageBuffered, on);
  }
  private setFlag(flag: Flag, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }

  constructor(handler: ConnectionHandler, options: ConnectionOptions = {}) {
    this.handler = handler;
    if (options.ownerRepliesToClose === true) this.flags |= Flag.OwnerRepliesToClose;
    this.deflate = options.deflate ?? null;
    this.maxMessageSize = options.maxMessageSize ?? Defaults.maxMessageSize;
    this.maxFragments = options.maxFragments || Number.POSITIVE_INFINITY;
    this.maxFrameSize = options.maxFrameSize ?? Defaults.maxFrameSize;
    this.bufferMessages = options.bufferMessages ?? false;
    this.parser = new FrameParser(this, { allowRsv1: this.deflate !== null });
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** True once a close frame was sent (by close() or fail()). */
  get closing(): boolean {
    return this.closeSent;
  }

  /** True when the peer's close frame arrived. */
  get peerClosed(): boolean {
    return this.closeReceived;
  }

  /** True once a protocol violation was found. */
  get hasFailed(): boolean {
    return this.failed;
  }

  /**
   * Stops handing out data (AcceptData=false): input still given to receiveData() is kept, in order,
   * until unsuspend().
   */
  suspend(): void {
    this.suspended = true;
    this.parser.pause();
  }

  unsuspend(): void {
    if (!this.suspended) return;
    this.suspended = false;
    if (!this.inflating) this.resumeReading();
  }

  // ─── Input ──────────────────────────────────────────────────────────────────────────────────

  /** Bytes from the client. The buffer is handed over (payload is unmasked in place). */
  receiveData(chunk: Buffer): void {
    if (this.closeReceived || this.failed) return;
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.protocolError(error);
    }
    this.sendPendingPong();
  }

  /** FrameHandler: a new frame begins. */
  onFrameStart(fin: boolean, rsv1: boolean, opcode: number, length: number, inChunk: boolean): void {
    this.frameOpcode = opcode;
    this.frameFin = fin;
    if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      this.messageOpcode = opcode;
      this.messageCompressed = rsv1;
      this.messageSize = 0;
      this.fragments = 0;
      this.firstPiece = true;
      this.messageBuffered = this.bufferMessages;
      if (opcode === Opcode.Text) (this.utf8 ??= new Utf8Validator()).reset();
    }
    if (opcode === Opcode.Text || opcode === Opcode.Binary || opcode === Opcode.Continuation) {
      // Uncompressed sizes are known from the headers, so an oversized message is refused before its bytes
      // arrive; compressed ones are counted by the codec as they inflate.
      if (!this.messageCompressed && this.messageSize + length > this.maxMessageSize) {
        throw new ProtocolError(CloseCode.MessageTooBig, 'WSS_ERR_MESSAGE_TOO_BIG', 'message too big');
      }
      this.messageSize += length;
      // Each frame costs a header and, in DoEvents mode, an event: a message may have only so many.
      if (++this.fragments > this.maxFragments) {
        throw new ProtocolError(CloseCode.MessageTooBig, 'WSS_ERR_TOO_MANY_FRAGMENTS', `more than ${this.maxFragments} frames in one message`);
      }
      // Buffering an uncompressed message: a single-frame message within one chunk is handed on as a
      // view of it; the pieces of any other frame are placed by the assembly (pieceTarget).
      if (this.messageBuffered && !this.messageCompressed && length > 0 && !(fin && opcode !== Opcode.Continuation && inChunk)) {
        (this.assembly ??= new MessageAssembly(this.maxMessageSize)).startFrame(length);
        this.parser.gatherPieces();
      }
    }
  }

  /** FrameParser: where the next piece of a gathered frame is unmasked to (see MessageAssembly). */
  pieceTarget(length: number): Buffer | null {
    return this.assembly!.pieceTarget(length);
  }

  /** FrameHandler: payload of the current frame. */
  onFramePayload(data: Buffer, end: boolean): void {
    switch (this.frameOpcode) {
      case Opcode.Ping:
        return this.receivePing(data);
      case Opcode.Pong:
        return this.handler.onPong(data);
      case Opcode.Close:
        return this.receiveClose(data);
      default:
        return this.receiveMessageData(data, end && this.frameFin);
    }
  }

  private receiveMessageData(data: Buffer, last: boolean): void {
    if (!this.messageCompressed) return this.deliver(data, last);
    // RFC 7692 §7.2.2: inflate the payload of all frames of the message as one stream.
    let synchronous = true;
    let done = false;
    this.deflate!.decompress(data, last, (error, result) => {
      done = true;
      // The owner's hold is lifted whatever follows, so a failure here cannot leave it set.
      if (!synchronous) this.handler.onInflating?.(false);
      if (this.failed || this.closeReceived) return;
      try {
        if (error) throw error;
        this.deliver(result!, last);
      } catch (caught) {
        if (synchronous) throw caught;
        this.protocolError(caught);
        return;
      }
      if (!synchronous) {
        this.inflating = false;
        if (!this.suspended) this.resumeReading();
      }
    });
    synchronous = false;
    if (!done) {
      this.inflating = true;
      this.parser.pause();
      this.handler.onInflating?.(true);
    }
  }

  private resumeReading(): void {
    try {
      this.parser.resume();
    } catch (error) {
      this.protocolError(error);
    }
    this.sendPendingPong();
  }

  /** Checks a piece of message data and hands it on. */
  private deliver(data: Buffer, last: boolean): void {
    if (this.messageOpcode === Opcode.Text) {
      // §8.1: invalid UTF-8 in a text message fails the connection as soon as it is seen.
      if (!this.utf8!.push(data) || (last && !this.utf8!.end())) {
        throw new ProtocolError(CloseCode.InvalidPayload, 'WSS_ERR_INVALID_UTF8', 'invalid UTF-8 in a text message');
      }
    }
    if (this.messageBuffered) {
      const assembly = this.assembly;
      // A message that came as one piece is handed on as it is (a view of the chunk, or the inflated bytes).
      if (last && (assembly === null || assembly.empty)) return this.handler.onData(this.messageOpcode, data, true, true);
      (this.assembly ??= new MessageAssembly(this.maxMessageSize)).add(data);
      if (last) this.handler.onData(this.messageOpcode, this.assembly.take(), true, true);
      return;
    }
    if (this.messageOpcode === Opcode.Text) data = this.characterBoundary(data, last);
    const first = this.firstPiece;
    this.firstPiece = false;
    this.handler.onData(this.messageOpcode, data, first, last);
  }

  /** Keeps an unfinished trailing character back for the next piece, so each text piece decodes cleanly. */
  private characterBoundary(data: Buffer, last: boolean): Buffer {
    if (this.carry) {
      data = Buffer.concat([this.carry, data]);
      this.carry = null;
    }
    if (last) return data;
    const cut = incompleteTailStart(data);
    if (cut < data.length) {
      this.carry = Buffer.from(data.subarray(cut));
      return data.subarray(0, cut);
    }
    return data;
  }

  private receivePing(payload: Buffer): void {
    // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response … with
    // identical Application data", unless it already sent a close frame — and §5.5.3 lets it answer
    // only the most recent of several pings. The pong waits until the end of the chunk being parsed or
    // until anything else is sent, whichever comes first, so a chunk full of pings costs one pong, not
    // one per ping (a peer that pings and never reads cannot make the output grow as it sends), while
    // a pong still goes out before whatever is sent after its ping.
    if (!this.closeSent) this.pendingPong = Buffer.from(payload);
    this.handler.onPing(payload);
  }

  /** Sends the pong owed for the latest ping, if any (before any close frame). */
  private sendPendingPong(): void {
    const payload = this.pendingPong;
    if (payload === null) return;
    this.pendingPong = null;
    if (!this.closeSent) this.enqueueFrame(controlFrame(Opcode.Pong, payload));
  }

  private receiveClose(payload: Buffer): void {
    const { code, reason } = parseClosePayload(payload);
    this.closeReceived = true;
    this.parser.stop();
    this.peerCloseCode = code;
    if (!this.closeSent && this.ownerRepliesToClose) return this.handler.onPeerClose(code, reason);
    this.replyToClose();
    this.handler.onPeerClose(code, reason);
  }

  /**
   * §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame, the
   * endpoint MUST send a Close frame in response", typically echoing the status code. Does nothing
   * before the peer's close or once a close was sent.
   */
  replyToClose(): void {
    if (!this.closeReceived) return;
    this.sendPendingPong();
    if (!this.closeSent) {
      this.closeSent = true;
      const code = this.peerCloseCode;
      this.enqueueFrame(controlFrame(Opcode.Close, code === CloseCode.NoStatus ? EMPTY : formatClosePayload(code)));
    }
    this.stateValue = ConnectionState.Closed;
  }

  private protocolError(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.parser.stop();
    this.assembly?.clear();
    this.carry = null;
    const failure =
      error instanceof ProtocolError
        ? error
        : new ProtocolError(CloseCode.InternalError, 'WSS_ERR_INTERNAL', error instanceof Error ? error.message : String(error));
    this.handler.onProtocolError(failure);
  }

  // ─── Output ─────────────────────────────────────────────────────────────────────────────────

  /** Sends one whole message (Text or Binary), compressed when negotiated and above the threshold. */
  send(opcode: number, data: Buffer): void {
    this.assertCanSend();
    // What is sent after a ping goes after its pong (the order a peer sees, RFC 6455 §5.5.2).
    this.sendPendingPong();
    if (this.partialOpcode !== 0) throw new Error('a message sent in parts is still open');
    const deflate = this.deflate;
    if (deflate && data.length >= deflate.threshold) {
      const slot: OutgoingSlot = { frames: null, bytes: data.length };
      (this.queue ??= []).push(slot);
      this.queueBytes += slot.bytes;
      deflate.compress(data, (error, result) => {
        // A failed compression (only possible if zlib breaks) still sends the message, uncompressed.
        slot.frames = error ? formatMessage(opcode, data, this.maxFrameSize) : formatMessage(opcode, result!, this.maxFrameSize, true);
        const bytes = byteLength(slot.frames);
        this.queueBytes += bytes - slot.bytes;
        slot.bytes = bytes;
        this.flushQueue();
      });
      return;
    }
    const length = data.length;
    if (length > this.maxFrameSize && this.maxFrameSize > 0) {
      this.enqueue(formatMessage(opcode, data, this.maxFrameSize));
    } else if (length <= COPY_THRESHOLD) {
      // One frame, one buffer (from the pool when small): what most messages are.
      this.enqueueFrame(formatServerFrame(opcode, data, 0, length, true, false));
    } else {
      this.enqueueFrame(formatFrameHeader(opcode, length, true, false), data);
    }
  }

  /**
   * Sends part of a message whose length is spread over several calls (MessageLength, SendFile):
   * FIN goes on the last part only. Parts are never compressed (RFC 7692 lets each message choose).
   */
  sendPart(opcode: number, data: Buffer, last: boolean): void {
    this.assertCanSend();
    this.sendPendingPong();
    const first = this.partialOpcode === 0;
    if (!first && opcode !== this.partialOpcode) throw new Error('a message sent in parts is still open');
    this.partialOpcode = last ? 0 : opcode;
    this.enqueue(formatMessage(opcode, data, this.maxFrameSize, false, first, last));
  }

  /** Output is waiting behind a compression still running. */
  get hasQueuedOutput(): boolean {
    return this.queue !== null && this.queue.length > 0;
  }

  /**
   * Bytes of output held back here (behind a compression still running), a message being compressed
   * counting with its whole input: what the owner adds to its own queue to bound memory.
   */
  get queuedOutputBytes(): number {
    return this.queueBytes;
  }

  /** Input given to receiveData() and not parsed yet (kept while suspended or inflating). */
  get heldInputBytes(): number {
    return this.parser.pendingBytes;
  }

  /** The size of the buffer a message is being assembled in (bufferMessages; 0 when none). */
  get assemblyBytes(): number {
    return this.assembly === null ? 0 : this.assembly.bytes;
  }

  /** True while a message sent in parts is unfinished. */
  get sendingParts(): boolean {
    return this.partialOpcode !== 0;
  }

  /** The opcode of the message being sent in parts (0: none is open). */
  get partsOpcode(): number {
    return this.partialOpcode;
  }

  ping(payload: Buffer = EMPTY): void {
    this.assertCanSend();
    this.sendPendingPong();
    if (payload.length > 125) throw new RangeError('a ping payload is at most 125 bytes');
    this.enqueueFrame(controlFrame(Opcode.Ping, payload));
  }

  pong(payload: Buffer = EMPTY): void {
    this.assertCanSend();
    this.sendPendingPong();
    if (payload.length > 125) throw new RangeError('a pong payload is at most 125 bytes');
    this.enqueueFrame(controlFrame(Opcode.Pong, payload));
  }

  /**
   * Starts the closing handshake (§7.1.2) with `code` and `reason` (truncated to fit 123 bytes), after
   * everything already queued. Without a code the close frame is empty. Does nothing once a close was sent.
   */
  close(code?: number, reason = ''): void {
    if (this.closeSent) return;
    this.sendPendingPong();
    const payload = formatClosePayload(code, reason);
    this.closeSent = true;
    this.enqueueFrame(controlFrame(Opcode.Close, payload));
    this.stateValue = this.closeReceived ? ConnectionState.Closed : ConnectionState.Closing;
  }

  /** §7.1.7 "Fail the WebSocket Connection": send the close frame for `error`; nothing more is read. */
  fail(error: ProtocolError): void {
    this.failed = true;
    this.parser.stop();
    this.sendPendingPong();
    if (!this.closeSent) {
      this.closeSent = true;
      // The reason is for debugging only; the code says what went wrong.
      this.enqueueFrame(controlFrame(Opcode.Close, formatClosePayload(error.closeCode, error.message)));
    }
    this.stateValue = ConnectionState.Closed;
  }

  /** Frees the codec. Call when the transport is gone. */
  destroy(): void {
    this.parser.stop();
    this.deflate?.close();
    this.queue = null;
    this.queueBytes = 0;
    this.assembly = null;
    this.stateValue = ConnectionState.Closed;
  }

  private assertCanSend(): void {
    // §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any further data frames."
    if (this.closeSent) throw new Error('the connection is closing');
  }

  private enqueue(frames: Buffer[]): void {
    if (this.queue !== null && this.queue.length > 0) {
      const slot: OutgoingSlot = { frames, bytes: byteLength(frames) };
      this.queue.push(slot);
      this.queueBytes += slot.bytes;
      return;
    }
    for (const frame of frames) this.handler.write(frame);
  }

  /** enqueue() for one frame — a buffer, or a header and its payload — without a list unless it must wait. */
  private enqueueFrame(frame: Buffer, payload?: Buffer): void {
    if (this.queue !== null && this.queue.length > 0) {
      this.enqueue(payload === undefined ? [frame] : [frame, payload]);
      return;
    }
    this.handler.write(frame);
    if (payload !== undefined) this.handler.write(payload);
  }

  private flushQueue(): void {
    const queue = this.queue;
    if (queue === null) return;
    while (queue.length > 0) {
      const head = queue[0]!;
      if (head.frames === null) return;
      queue.shift();
      this.queueBytes -= head.bytes;
      for (const frame of head.frames) this.handler.write(frame);
    }
    if (this.queue === queue) this.queue = null;
  }
}

const EMPTY = Buffer.alloc(0);

/** A control frame: its payload (at most 125 bytes, §5.5) goes in the same buffer. */
function controlFrame(opcode: number, payload: Buffer): Buffer {
  return formatServerFrame(opcode, payload, 0, payload.length, true, false);
}

function byteLength(frames: readonly Buffer[]): number {
  let n = 0;
  for (const frame of frames) n += frame.length;
  return n;
}

/**
 * Where an unfinished UTF-8 character starts at the end of `data` (data.length when the last
 * character is complete). Only the last 3 bytes can belong to one.
 */
export function incompleteTailStart(data: Uint8Array): number {
  const n = data.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const byte = data[n - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    if (byte < 0xc0) return n; // ASCII: complete
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return back < size ? n - back : n;
  }
  return n;
}

