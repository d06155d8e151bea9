/**
 * The conformance client's own view of the wire (RFC 6455 §5.2): building client frames — including
 * the malformed ones no real client sends — and reading server frames. Written independently of
 * lib/protocol on purpose: a suite that shares the code under test would share its mistakes.
 */
import { randomBytes } from 'node:crypto';

/** RFC 6455 §5.2 opcodes, as the suite writes them. */
export const OP = Object.freeze({ CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const);

/** Everything a client frame can say, valid or not. */
export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** FIN bit; default true. */
  fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number (4 = RSV1, 2 = RSV2, 1 = RSV3); default 0. */
  rsv?: number;
  /** false sends the frame unmasked (a protocol error from a client, §5.1). */
  mask?: boolean;
  /** Overrides the length field (the payload sent stays as given): for lying or out-of-range lengths. */
  declaredLength?: bigint;
}

/** Bytes from text (UTF-8) or as given. */
export function bytes(payload: Buffer | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/** One client frame on the wire: header, masking key, masked payload (§5.2, §5.3). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = bytes(spec.payload);
  const length = spec.declaredLength ?? BigInt(payload.length);
  const masked = spec.mask !== false;
  let header: Buffer;
  if (length < 126n) {
    header = Buffer.alloc(2);
    header[1] = Number(length);
  } else if (length <= 0xffffn) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(length, 2);
  }
  header[0] = (spec.fin === false ? 0 : 0x80) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f);
  if (!masked) return Buffer.concat([header, payload]);
  header[1] = header[1]! | 0x80;
  const key = randomBytes(4);
  const body = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([header, key, body]);
}

/** A close frame payload: 2-byte code then reason bytes (or exactly the raw bytes given). */
export function closePayload(code?: number, reason: Buffer | string = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code, 0);
  return Buffer.concat([head, bytes(reason)]);
}

/** One frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/**
 * Takes one whole server frame off the front of `buffer`.
 * @returns the frame and how many bytes it used, or null when more bytes are needed.
 */
export function decodeFrame(buffer: Buffer): { frame: ServerFrame; used: number } | null {
  if (buffer.length < 2) return null;
  const b0 = buffer[0]!;
  const b1 = buffer[1]!;
  let length = b1 & 0x7f;
  let at = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    const big = buffer.readBigUInt64BE(2);
    // A server that announces more than 2^53 bytes is broken; report it as an absurd length.
    length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    at = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  let key: Buffer | null = null;
  if (masked) {
    if (buffer.length < at + 4) return null;
    key = buffer.subarray(at, at + 4);
    at += 4;
  }
  if (buffer.length < at + length) return null;
  let payload = Buffer.from(buffer.subarray(at, at + length));
  if (key) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!;
  return {
    frame: { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload },
    used: at + length,
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Is this byte sequence well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF)? */
export function isUtf8(data: Uint8Array): boolean {
  try {
    strictUtf8.decode(data);
    return true;
  } catch {
    return false;
  }
}
