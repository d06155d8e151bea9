/**
 * RFC 6455 §5.2 base framing: writing frame headers and (un)masking payloads.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many bytes the word-wise loop costs more (a typed-array view) than it saves. */
const WORD_MASK_THRESHOLD = 32;

/**
 * XORs `data[start, end)` in place with the 4-byte `mask`, starting at byte `maskOffset` of the mask
 * (the position within the frame payload, so a payload split across chunks unmasks correctly).
 * The bulk is done in 32-bit words on 4-byte-aligned memory; only the unaligned head and the tail
 * are done byte by byte.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, maskOffset = 0, start = 0, end = data.length): void {
  let i = start;
  let k = maskOffset & 3;
  if (end - i >= WORD_MASK_THRESHOLD) {
    while (((data.byteOffset + i) & 3) !== 0) {
      data[i] = data[i]! ^ mask[k]!;
      k = (k + 1) & 3;
      i++;
    }
    const words = (end - i) >>> 2;
    const b0 = mask[k]!;
    const b1 = mask[(k + 1) & 3]!;
    const b2 = mask[(k + 2) & 3]!;
    const b3 = mask[(k + 3) & 3]!;
    // The word holds the four mask bytes in memory order, whatever the machine's byte order.
    const word = LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] = view[w]! ^ word;
    i += words * 4;
  }
  for (; i < end; i++) {
    data[i] = data[i]! ^ mask[k]!;
    k = (k + 1) & 3;
  }
}

/** Size of a frame header for a payload of `length` bytes (§5.2: 7-bit, 16-bit or 64-bit length). */
export function frameHeaderSize(length: number, masked = false): number {
  const base = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes a frame header into `target` at `offset` and returns the offset after it.
 * `mask` (client frames only, i.e. in tests) adds the MASK bit and the masking key.
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  opcode: number,
  length: number,
  fin = true,
  rsv1 = false,
  mask?: Uint8Array,
): number {
  target[offset++] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) {
    target[offset++] = maskBit | length;
  } else if (length < 0x10000) {
    target[offset++] = maskBit | 126;
    target[offset++] = length >>> 8;
    target[offset++] = length & 0xff;
  } else {
    // §5.2: 64-bit length, most significant bit 0. JS numbers are exact up to 2^53.
    target[offset++] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[offset++] = 0;
    target[offset++] = (high >>> 16) & 0xff;
    target[offset++] = (high >>> 8) & 0xff;
    target[offset++] = high & 0xff;
    target[offset++] = low >>> 24;
    target[offset++] = (low >>> 16) & 0xff;
    target[offset++] = (low >>> 8) & 0xff;
    target[offset++] = low & 0xff;
  }
  if (mask) {
    target[offset++] = mask[0]!;
    target[offset++] = mask[1]!;
    target[offset++] = mask[2]!;
    target[offset++] = mask[3]!;
  }
  return offset;
}

/** Options of {@link formatFrame}. */
export interface FormatFrameOptions {
  fin?: boolean;
  rsv1?: boolean;
  /** Client-side masking key (tests and the load client); servers never mask (§5.1). */
  mask?: Uint8Array;
}

/** One complete frame (header and payload copied into one buffer). */
export function formatFrame(opcode: number, payload: Uint8Array, options: FormatFrameOptions = {}): Buffer {
  const { fin = true, rsv1 = false, mask } = options;
  const headerSize = frameHeaderSize(payload.length, mask !== undefined);
  const frame = Buffer.allocUnsafe(headerSize + payload.length);
  writeFrameHeader(frame, 0, opcode, payload.length, fin, rsv1, mask);
  frame.set(payload, headerSize);
  if (mask) applyMask(frame, mask, 0, headerSize);
  return frame;
}

/** Up to this payload size a frame is written as one buffer (header + copy); above, header and payload go separately. */
export const COPY_THRESHOLD = 16 * 1024;

/**
 * Frames one outgoing message: split into frames of at most `maxFrameSize` payload bytes, the first
 * carrying the opcode (and RSV1 when compressed), the rest continuation frames, FIN on the last only.
 * Payloads are not copied when large: the returned list alternates headers and payload views.
 * `first`/`last` let a message be sent in several parts (MessageLength, SendFile).
 */
export function formatMessage(
  opcode: number,
  payload: Buffer,
  maxFrameSize: number,
  rsv1 = false,
  first = true,
  last = true,
): Buffer[] {
  const out: Buffer[] = [];
  const size = maxFrameSize > 0 ? maxFrameSize : payload.length || 1;
  let offset = 0;
  let frameOpcode = first ? opcode : 0;
  let frameRsv1 = first && rsv1;
  do {
    const end = Math.min(payload.length, offset + size);
    const fin = last && end === payload.length;
    const length = end - offset;
    if (length <= COPY_THRESHOLD) {
      const frame = Buffer.allocUnsafe(frameHeaderSize(length) + length);
      const at = writeFrameHeader(frame, 0, frameOpcode, length, fin, frameRsv1);
      payload.copy(frame, at, offset, end);
      out.push(frame);
    } else {
      const header = Buffer.allocUnsafe(frameHeaderSize(length));
      writeFrameHeader(header, 0, frameOpcode, length, fin, frameRsv1);
      out.push(header, payload.subarray(offset, end));
    }
    offset = end;
    frameOpcode = 0;
    frameRsv1 = false;
  } while (offset < payload.length);
  return out;
}
