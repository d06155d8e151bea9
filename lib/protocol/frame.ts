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
// Buffer and performance are imported on the hot paths: Node's globals of those names are accessors,
// a getter call (10–15 ns) on every use.
import { Buffer } from 'node:buffer';

// ─── Masking (§5.3) ─────────────────────────────────────────────────────────────────────────────
//
// A masking key is kept as one number, its four bytes in wire order from the low byte up (the value a
// little-endian 32-bit read of the key gives), so a parser holds it in a field and not in a typed array.
// Three loops do the work, chosen by size because their fixed costs differ (measured on Node 20):
// - bytes: an unrolled byte loop, nothing to set up (~0.65 ns/byte);
// - words: 32-bit XOR through an Int32Array view of the buffer (~0.16 ns/byte); the view and
//   `byteOffset` cost ~100 ns to get, so the view is kept for the buffer being parsed (see `viewData`);
// - simd: a 16-byte XOR in WebAssembly (~0.05 ns/byte) on a copy in its memory, ~100 ns per call.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** From this many bytes on, words beat bytes (when the view is at hand). */
const WORD_MIN = 16;
/** A buffer this long is worth a view even for its first frame: more frames or a long one follow. */
const VIEW_WORTH = 512;
/** From this many bytes on, the WebAssembly loop beats words (in place: copy in, XOR, copy back). */
const SIMD_MIN = 1024;
/** From this many bytes on, the WebAssembly loop beats bytes for an unmasking copy (copy in, XOR, copy out). */
const SIMD_COPY_MIN = 256;

/** The masking key at `bytes[at]` as one number (see above). */
export function readMaskKey(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

/** The key as it applies from payload position `offset` on: its byte `offset & 3` comes first. */
function keyAt(key: number, offset: number): number {
  const shift = (offset & 3) << 3;
  return shift === 0 ? key : (key >>> shift) | (key << (32 - shift));
}

/**
 * XORs `data[start, end)` in place with the masking key `key` (see readMaskKey), the first byte being at
 * position `offset` of the payload, so that a payload split across chunks unmasks piece by piece.
 */
export function unmask(data: Uint8Array, start: number, end: number, key: number, offset: number): void {
  const length = end - start;
  const k = keyAt(key, offset);
  if (length >= SIMD_MIN && simd !== null) unmaskSimd(data, start, end, k, data, start);
  else if (length >= WORD_MIN && LITTLE_ENDIAN && (data === viewData || data.length >= VIEW_WORTH)) unmaskWords(data, start, end, k);
  else unmaskBytes(data, start, end, k, data, start);
}

/**
 * Unmasks `source[start, end)` into `target` at `at`, leaving the source as it is: reassembly and
 * unmasking in one pass. `offset` is as for unmask().
 */
export function unmaskInto(source: Uint8Array, start: number, end: number, key: number, offset: number, target: Uint8Array, at: number): void {
  const length = end - start;
  const k = keyAt(key, offset);
  if (length >= SIMD_COPY_MIN && simd !== null) {
    unmaskSimd(source, start, end, k, target, at);
  } else if (length >= VIEW_WORTH) {
    // No WebAssembly: a copy (memcpy speed) and words in place beat bytes.
    target.set(source.subarray(start, end), at);
    unmask(target, at, at + length, k, 0);
  } else {
    unmaskBytes(source, start, end, k, target, at);
  }
}

/**
 * XORs `data[start, end)` in place with the 4-byte `mask`, starting at byte `maskOffset` of the mask
 * (the position within the frame payload). The byte-array form of unmask(), for clients and tests.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, maskOffset = 0, start = 0, end = data.length): void {
  unmask(data, start, end, readMaskKey(mask, 0), maskOffset);
  releaseMaskView();
}

/** Byte by byte, unrolled by four: `target[at…] = source[start, end) ^ key` (target may be source). */
function unmaskBytes(source: Uint8Array, start: number, end: number, key: number, target: Uint8Array, at: number): void {
  const k0 = key & 0xff;
  const k1 = (key >>> 8) & 0xff;
  const k2 = (key >>> 16) & 0xff;
  const k3 = key >>> 24;
  let i = start;
  let j = at;
  const stop = start + ((end - start) & ~3);
  for (; i < stop; i += 4, j += 4) {
    target[j] = source[i]! ^ k0;
    target[j + 1] = source[i + 1]! ^ k1;
    target[j + 2] = source[i + 2]! ^ k2;
    target[j + 3] = source[i + 3]! ^ k3;
  }
  if (i < end) target[j] = source[i]! ^ k0;
  if (i + 1 < end) target[j + 1] = source[i + 1]! ^ k1;
  if (i + 2 < end) target[j + 2] = source[i + 2]! ^ k2;
}

// The 32-bit view of the buffer unmasked last, with its byte offset: reading `buffer` and `byteOffset`
// of a Buffer costs more than unmasking a small frame, so a parser gets them once per chunk. Module
// state rather than a field, so that a connection does not pay for it; keyed by the view object itself.
const NO_WORDS = new Int32Array(0);
let viewData: Uint8Array | null = null;
let viewBase = 0;
let viewWords: Int32Array<ArrayBufferLike> = NO_WORDS;

/** Forgets the cached view, so that the buffer it belongs to is not kept alive. */
export function releaseMaskView(): void {
  viewData = null;
  viewWords = NO_WORDS;
}

/** Little-endian only: the key's bytes in memory order are then the number itself. */
function unmaskWords(data: Uint8Array, start: number, end: number, key: number): void {
  if (data !== viewData) {
    viewData = data;
    viewBase = data.byteOffset;
    viewWords = new Int32Array(data.buffer, 0, data.buffer.byteLength >>> 2);
  }
  // The unaligned head, byte by byte; the key turns by one byte per byte.
  let i = start;
  let k = key;
  while (((viewBase + i) & 3) !== 0 && i < end) {
    data[i] = data[i]! ^ (k & 0xff);
    k = (k >>> 8) | (k << 24);
    i++;
  }
  const words = viewWords;
  let w = (viewBase + i) >>> 2;
  const count = (end - i) >>> 2;
  const last = w + count;
  if (last > words.length) {
    // Only if the buffer was resized since the view was taken: start again with a fresh view.
    viewData = null;
    return unmaskWords(data, i, end, k);
  }
  const stop = w + (count & ~3);
  for (; w < stop; w += 4) {
    words[w] = words[w]! ^ k;
    words[w + 1] = words[w + 1]! ^ k;
    words[w + 2] = words[w + 2]! ^ k;
    words[w + 3] = words[w + 3]! ^ k;
  }
  for (; w < last; w++) words[w] = words[w]! ^ k;
  i += count << 2;
  // The tail starts on a whole word, so the key is where it was.
  if (i < end) unmaskBytes(data, i, end, k, data, i);
}

/**
 * The WebAssembly loop. Its module, written out (WAT):
 *
 *   (module
 *     (memory (export "m") 1 1)                           ;; one 64 KiB page: the scratch block
 *     (func (export "x") (param $length i32) (param $key i32)
 *       (local $i i32) (local $k v128)
 *       (local.set $k (i32x4.splat (local.get $key)))
 *       (block $done (loop $next
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
 *         (v128.store offset=0 (local.get $i) (v128.xor (v128.load offset=0 (local.get $i)) (local.get $k)))
 *         … the same at offsets 16, 32 and 48 …
 *         (local.set $i (i32.add (local.get $i) (i32.const 64)))
 *         (br $next)))))
 *
 * It XORs whole 64-byte steps, so up to 63 bytes past `length` are touched: the block size keeps that
 * inside the page. WebAssembly memory is little-endian, so the key number splats as it is.
 */
// prettier-ignore
const SIMD_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,             // "\0asm", version 1
  0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00,             // types: (i32, i32) -> ()
  0x03, 0x02, 0x01, 0x00,                                     // functions: one, of type 0
  0x05, 0x04, 0x01, 0x01, 0x01, 0x01,                         // memory: min 1 page, max 1 page
  0x07, 0x09, 0x02, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x78, 0x00, 0x00, // exports: "m" memory 0, "x" func 0
  0x0a, 0x65, 0x01, 0x63,                                     // code: one body of 0x63 bytes
  0x02, 0x01, 0x7f, 0x01, 0x7b,                               //   locals: i32 $i, v128 $k
  0x20, 0x01, 0xfd, 0x11, 0x21, 0x03,                         //   $k = i32x4.splat($key)
  0x02, 0x40, 0x03, 0x40,                                     //   block, loop
  0x20, 0x02, 0x20, 0x00, 0x4f, 0x0d, 0x01,                   //     br_if $done ($i >= $length)
  0x20, 0x02, 0x20, 0x02, 0xfd, 0x00, 0x04, 0x00, 0x20, 0x03, 0xfd, 0x51, 0xfd, 0x0b, 0x04, 0x00, // [$i+0] ^= $k
  0x20, 0x02, 0x20, 0x02, 0xfd, 0x00, 0x04, 0x10, 0x20, 0x03, 0xfd, 0x51, 0xfd, 0x0b, 0x04, 0x10, // [$i+16] ^= $k
  0x20, 0x02, 0x20, 0x02, 0xfd, 0x00, 0x04, 0x20, 0x20, 0x03, 0xfd, 0x51, 0xfd, 0x0b, 0x04, 0x20, // [$i+32] ^= $k
  0x20, 0x02, 0x20, 0x02, 0xfd, 0x00, 0x04, 0x30, 0x20, 0x03, 0xfd, 0x51, 0xfd, 0x0b, 0x04, 0x30, // [$i+48] ^= $k
  0x20, 0x02, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x02,             //     $i += 64
  0x0c, 0x00, 0x0b, 0x0b, 0x0b,                               //     br $next; end, end, end
]);

/** Bytes XORed per call: the whole page (a multiple of 64, see above). */
const SIMD_BLOCK = 65536;

interface Simd {
  xor: (length: number, key: number) => void;
  /** The module's memory. */
  scratch: Uint8Array;
}

/** The WebAssembly API, as far as used here (the project's type libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { m: { buffer: ArrayBuffer }; x: (length: number, key: number) => void } };
}

/** null where WebAssembly or its SIMD is unavailable (e.g. `node --jitless`): words then do all. */
const simd: Simd | null = loadSimd();

function loadSimd(): Simd | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) return null;
  try {
    const { exports } = new wasm.Instance(new wasm.Module(SIMD_MODULE));
    return { xor: exports.x, scratch: new Uint8Array(exports.m.buffer, 0, SIMD_BLOCK) };
  } catch {
    return null;
  }
}

/** `target[at…] = source[start, end) ^ key` through the WebAssembly memory, one block at a time. */
function unmaskSimd(source: Uint8Array, start: number, end: number, key: number, target: Uint8Array, at: number): void {
  const { xor, scratch } = simd!;
  while (start < end) {
    // Blocks are whole words, so the key is the same at the start of each.
    const n = Math.min(SIMD_BLOCK, end - start);
    scratch.set(source.subarray(start, start + n));
    xor(n, key);
    target.set(n === SIMD_BLOCK ? scratch : scratch.subarray(0, n), at);
    start += n;
    at += n;
  }
}

// ─── Headers and frames (§5.2) ──────────────────────────────────────────────────────────────────

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
  if (!mask) return formatServerFrame(opcode, payload, 0, payload.length, fin, rsv1);
  const headerSize = frameHeaderSize(payload.length, true);
  const frame = Buffer.allocUnsafe(headerSize + payload.length);
  writeFrameHeader(frame, 0, opcode, payload.length, fin, rsv1, mask);
  frame.set(payload, headerSize);
  applyMask(frame, mask, 0, headerSize);
  return frame;
}

/**
 * An unmasked frame carrying `payload[start, end)`, header and payload in one buffer: for small payloads,
 * which then cost one write. Small buffers come from Node's shared pool.
 */
export function formatServerFrame(opcode: number, payload: Uint8Array, start: number, end: number, fin: boolean, rsv1: boolean): Buffer {
  const length = end - start;
  const frame = Buffer.allocUnsafe(frameHeaderSize(length) + length);
  const at = writeFrameHeader(frame, 0, opcode, length, fin, rsv1);
  frame.set(start === 0 && end === payload.length ? payload : payload.subarray(start, end), at);
  return frame;
}

/** The header alone of an unmasked frame whose payload is written after it, as a separate buffer. */
export function formatFrameHeader(opcode: number, length: number, fin: boolean, rsv1: boolean): Buffer {
  const header = Buffer.allocUnsafe(frameHeaderSize(length));
  writeFrameHeader(header, 0, opcode, length, fin, rsv1);
  return header;
}

/**
 * Up to this payload size a frame is written as one buffer (header + copy); above, header and payload go
 * separately and the payload is not copied (the writer gathers them, e.g. with writev). Measured on
 * loopback, batches of 8 frames: the copy and the extra buffer cost the same at 256 bytes; at 512 the
 * uncopied payload costs 25 % less CPU per message, at 1 KiB 40 % less.
 */
export const COPY_THRESHOLD = 512;

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
      out.push(formatServerFrame(frameOpcode, payload, offset, end, fin, frameRsv1));
    } else {
      out.push(formatFrameHeader(frameOpcode, length, fin, frameRsv1), payload.subarray(offset, end));
    }
    offset = end;
    frameOpcode = 0;
    frameRsv1 = false;
  } while (offset < payload.length);
  return out;
}
