/** Helpers for building client frames and chunkings in specs. */
import { formatFrame } from '../../lib/protocol/frame';

/** Bytes from a hex string; spaces are ignored: hex('81 85 37fa213d'). */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** The fixed masking key of RFC 6455 §5.7's examples. */
export const MASK = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);

/** A masked client frame (as a browser would send it). */
export function clientFrame(
  opcode: number,
  payload: string | Uint8Array,
  options: { fin?: boolean; rsv1?: boolean; mask?: Uint8Array } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return formatFrame(opcode, data, { fin: options.fin, rsv1: options.rsv1, mask: options.mask ?? MASK });
}

/** Every way to cut `data` in two: [[a, b], …] for each position 1..n-1 (fresh copies each time). */
export function* splitEverywhere(data: Uint8Array): Generator<Buffer[]> {
  for (let i = 1; i < data.length; i++) yield [Buffer.from(data.subarray(0, i)), Buffer.from(data.subarray(i))];
}

/** One buffer per byte (fresh copies). */
export function byteByByte(data: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i++) out.push(Buffer.from([data[i]!]));
  return out;
}

/** A small seeded PRNG (mulberry32) so random tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `data` at random points into fresh buffers. */
export function randomChunks(data: Uint8Array, random: () => number, maxChunk = 64): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const size = 1 + Math.floor(random() * maxChunk);
    out.push(Buffer.from(data.subarray(at, Math.min(data.length, at + size))));
    at += size;
  }
  return out;
}
