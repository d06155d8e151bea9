/**
 * One incoming message being put together (bufferMessages), for a connection that needs more than the
 * piece a message came in: one buffer, whether the message came compressed or not, that grows with the
 * bytes that arrived — never beyond twice what arrived (or 1 KiB), whatever a header announces — so a
 * peer that announces much and sends little holds little.
 *
 * For an uncompressed frame the connection lets the parser ask where each piece goes (pieceTarget):
 * into the buffer when it has room or may grow to take the piece, unmasking and copying in one pass; or,
 * for a large piece of a frame that is still mostly to come, nowhere yet — it stays in the chunk it came
 * in (unmasked in place) and is held there until half the frame is in. The buffer is then made once, at
 * the frame's full length, instead of doubling its way there and copying the message again each time.
 * A connection makes its assembly on first need and keeps it: an idle connection pays nothing.
 */

/** The first size of a buffer: small fragments do not each cause a new one. */
const MIN_ASSEMBLY = 1024;
/**
 * Pieces of at least this size may be held in their chunks (see pieceTarget): each costs a list entry
 * and a view, so a peer that trickles bytes cannot make those outweigh its data.
 */
const HOLD_MIN = 1024;

/** Where the piece being added was unmasked to (see pieceTarget). */
const enum Place {
  /** In its chunk, as the parser found it: copied in when added. */
  Chunk,
  /** Straight into the buffer, by pieceTarget. */
  Buffer,
  /** In its chunk, and kept there for now. */
  Held,
}

export class MessageAssembly {
  private readonly maxMessageSize: number;
  private buffer: Buffer | null = null;
  /** The first `filled` bytes of `buffer` are the message so far (held pieces follow them). */
  private filled = 0;
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  /** Message bytes announced up to the end of the current frame (0 when unknown: compressed data). */
  private frameEnd = 0;
  private place: Place = Place.Chunk;

  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Bytes held for the message: the buffer's size and the held pieces (the budget's figure). */
  get bytes(): number {
    return (this.buffer === null ? 0 : this.buffer.length) + this.heldBytes;
  }

  /** Nothing of the message is here, and the next piece was not placed here either. */
  get empty(): boolean {
    return this.filled === 0 && this.heldBytes === 0 && this.place === Place.Chunk;
  }

  /** An uncompressed frame of `length` payload bytes begins; its pieces will be placed by pieceTarget(). */
  startFrame(length: number): void {
    this.frameEnd = this.filled + this.heldBytes + length;
    this.place = Place.Chunk;
  }

  /** Where the next `length` bytes of the frame go: a view of the buffer, or null (left in the chunk). */
  pieceTarget(length: number): Buffer | null {
    const at = this.filled;
    const buffer = this.buffer;
    if (buffer !== null && this.held === null && buffer.length - at >= length) {
      this.place = Place.Buffer;
      return buffer.subarray(at, at + length);
    }
    const need = at + this.heldBytes + length;
    if (length >= HOLD_MIN && this.frameEnd > 2 * need) {
      this.place = Place.Held;
      return null;
    }
    this.grow(need);
    this.place = Place.Buffer;
    return this.buffer!.subarray(this.filled, this.filled + length);
  }

  /** The next piece of the message, wherever pieceTarget() put it (copied in if it was not asked). */
  add(data: Buffer): void {
    const place = this.place;
    this.place = Place.Chunk;
    if (place === Place.Buffer) {
      this.filled += data.length;
    } else if (place === Place.Held) {
      (this.held ??= []).push(data);
      this.heldBytes += data.length;
    } else if (data.length > 0) {
      const need = this.filled + this.heldBytes + data.length;
      this.grow(need);
      this.buffer!.set(data, this.filled);
      this.filled = need;
    }
  }

  /** The whole message (a view of the buffer, or the buffer itself when it is exactly full); starts over. */
  take(): Buffer {
    if (this.held !== null) this.grow(this.filled + this.heldBytes);
    const buffer = this.buffer;
    const filled = this.filled;
    const whole = buffer === null ? EMPTY : filled === buffer.length ? buffer : buffer.subarray(0, filled);
    this.clear();
    return whole;
  }

  /** Drops the message (a failure, or the connection's end). */
  clear(): void {
    this.buffer = null;
    this.filled = 0;
    this.held = null;
    this.heldBytes = 0;
    this.frameEnd = 0;
    this.place = Place.Chunk;
  }

  /**
   * Room for `need` bytes: a new buffer takes the filled part of the old one and the held pieces. Its
   * size doubles (copies stay linear in the message size), reaches the frame's announced end when that
   * is at most twice what arrived, and is never more than twice what arrived (or 1 KiB).
   */
  private grow(need: number): void {
    const old = this.buffer;
    const capacity = old === null ? 0 : old.length;
    const held = this.held;
    if (capacity >= need && held === null) return;
    let grown = old;
    if (capacity < need) {
      const wanted = Math.max(MIN_ASSEMBLY, 2 * capacity, this.frameEnd);
      const allowed = Math.min(Math.max(MIN_ASSEMBLY, 2 * need), this.maxMessageSize);
      grown = Buffer.allocUnsafe(Math.max(need, Math.min(wanted, allowed)));
      if (old !== null) old.copy(grown, 0, 0, this.filled);
    }
    let at = this.filled;
    if (held !== null) {
      for (const piece of held) {
        grown!.set(piece, at);
        at += piece.length;
      }
      this.held = null;
      this.heldBytes = 0;
    }
    this.buffer = grown;
    this.filled = at;
  }
}

const EMPTY = Buffer.alloc(0);
