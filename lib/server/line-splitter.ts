/**
 * Line mode: splits the stream of message bytes of one connection into lines.
 *
 * Rules (the same whatever the chunking of the input):
 * - A line ends at LF; a CR right before that LF is part of the terminator. A CR followed by anything
 *   else is data.
 * - As soon as `maxLineLength` data bytes have gathered without a terminator, they are emitted with
 *   eol=false and gathering restarts. So a line of exactly `maxLineLength` bytes followed by CRLF comes out
 *   as (line, false) then (empty, true): the limit is reached before the terminator is seen.
 * - A CR that is the last byte of a chunk is undecided until the next byte arrives. It is counted in
 *   `pending` but not towards the limit, so the carry never exceeds `maxLineLength` bytes.
 *
 * Emitted buffers are subarrays of the pushed chunk when a line lies inside one chunk, and fresh copies
 * when it spans chunks; they never alias the internal carry, so the receiver may keep them.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Called per complete line (without its CR/LF) with eol=true, or per full buffer with eol=false. */
export type LineEmitter = (line: Buffer, eol: boolean) => void;

const EMPTY = Buffer.alloc(0);

export class LineSplitter {
  #maxLineLength = 1;
  /** Bytes gathered from earlier chunks: line data, plus the undecided CR when `#crPending`. */
  #carry: Buffer = EMPTY;
  #carryLength = 0;
  /** The last carried byte is a CR whose successor has not arrived yet. */
  #crPending = false;

  /** `maxLineLength` is checked by the caller against 256..65536; this class only needs it to be ≥ 1. */
  constructor(maxLineLength: number) {
    this.maxLineLength = maxLineLength;
  }

  /** The most data bytes emitted as one piece. A change takes effect at the next `push`. */
  get maxLineLength(): number {
    return this.#maxLineLength;
  }

  set maxLineLength(value: number) {
    // A limit below 1 would never let gathering make progress.
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`maxLineLength must be a positive integer, got ${String(value)}`);
    }
    this.#maxLineLength = value;
  }

  /** Bytes gathered and not yet emitted (an undecided trailing CR included). */
  get pending(): number {
    return this.#carryLength;
  }

  /** Splits `data`, calling `emit(line, eol)` per complete line (without its CR/LF) or per full buffer. */
  push(data: Buffer, emit: LineEmitter): void {
    if (data.length === 0) return;
    const max = this.#maxLineLength;
    // The limit may have been lowered since the carry was gathered.
    this.#emitOversizedCarry(max, emit);

    let lineStart = 0;
    if (this.#crPending) {
      this.#crPending = false;
      if (data[0] === LF) {
        // The carried CR and this LF form the CRLF terminator.
        this.#emitLine(data, 0, 0, this.#carryLength - 1, true, emit);
        lineStart = 1;
      } else if (this.#carryLength >= max) {
        // The CR turned out to be data, and it fills the line.
        this.#emitLine(data, 0, 0, this.#carryLength, false, emit);
      }
    }

    const end = data.length;
    while (lineStart < end) {
      // Room left before the line is full; the carry is only non-empty for the first line of a chunk.
      const room = max - this.#carryLength;
      const lf = data.indexOf(LF, lineStart);
      if (lf === -1) {
        // No terminator: emit full buffers, keep the rest. A trailing CR stays undecided.
        const crAtEnd = data[end - 1] === CR;
        const dataEnd = crAtEnd ? end - 1 : end;
        let start = lineStart;
        let limit = room;
        while (dataEnd - start >= limit) {
          this.#emitLine(data, start, start + limit, this.#carryLength + limit, false, emit);
          start += limit;
          limit = max;
        }
        this.#keep(data, start, end, crAtEnd);
        return;
      }
      const dataEnd = lf > lineStart && data[lf - 1] === CR ? lf - 1 : lf;
      if (dataEnd - lineStart < room) {
        this.#emitLine(data, lineStart, dataEnd, this.#carryLength + dataEnd - lineStart, true, emit);
        lineStart = lf + 1;
      } else {
        // Full before the terminator: the terminator then ends an empty (or shorter) next piece.
        this.#emitLine(data, lineStart, lineStart + room, max, false, emit);
        lineStart += room;
      }
    }
  }

  /** Emits what is gathered (eol=false), a pending CR included as data; used when line mode is switched off. */
  flush(emit: LineEmitter): void {
    if (this.#carryLength === 0) return;
    const line = Buffer.from(this.#carry.subarray(0, this.#carryLength));
    this.#carryLength = 0;
    this.#crPending = false;
    emit(line, false);
  }

  /**
   * Emits carry[0..carryLength) followed by data[from..to), `length` bytes in all; `length` may be shorter
   * than the carry when the carry ends in a CR that belongs to the terminator (then from = to = 0).
   */
  #emitLine(data: Buffer, from: number, to: number, length: number, eol: boolean, emit: LineEmitter): void {
    let line: Buffer;
    if (this.#carryLength === 0) {
      line = data.subarray(from, to);
    } else {
      // The only copy: a line spanning chunks. A fresh buffer, so the carry can be reused at once.
      line = Buffer.allocUnsafe(length);
      const fromCarry = Math.min(this.#carryLength, length);
      this.#carry.copy(line, 0, 0, fromCarry);
      data.copy(line, fromCarry, from, to);
      this.#carryLength = 0;
    }
    emit(line, eol);
  }

  /** Splits off full pieces of a carry gathered under a larger limit. */
  #emitOversizedCarry(max: number, emit: LineEmitter): void {
    let dataLength = this.#carryLength - (this.#crPending ? 1 : 0);
    while (dataLength >= max) {
      const piece = Buffer.from(this.#carry.subarray(0, max));
      this.#carry.copyWithin(0, max, this.#carryLength);
      this.#carryLength -= max;
      dataLength -= max;
      emit(piece, false);
    }
  }

  /** Appends data[from..to) to the carry, growing it geometrically up to what is needed. */
  #keep(data: Buffer, from: number, to: number, crPending: boolean): void {
    this.#crPending = crPending;
    if (from === to) return;
    const needed = this.#carryLength + (to - from);
    if (needed > this.#carry.length) {
      const grown = Math.max(needed, Math.min(this.#maxLineLength, Math.max(256, this.#carry.length * 2)));
      const carry = Buffer.allocUnsafe(grown);
      this.#carry.copy(carry, 0, 0, this.#carryLength);
      this.#carry = carry;
    }
    data.copy(this.#carry, this.#carryLength, from, to);
    this.#carryLength = needed;
  }
}
