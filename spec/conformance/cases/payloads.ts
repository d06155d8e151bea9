/** Deterministic payloads: patterned so that a lost, doubled or reordered chunk changes the bytes. */
import { createHash } from 'node:crypto';

/** n bytes of printable ASCII that do not repeat with a short period. */
export function textOf(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = 33 + ((i * 7 + (i >> 8) * 13) % 94);
  return out;
}

/** n bytes covering every byte value, not periodic at frame-size boundaries. */
export function binaryOf(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8) * 7 + (i >> 16)) & 0xff;
  return out;
}

/** n bytes that look random (deflate cannot shrink them): SHA-256 in counter mode. */
export function noiseOf(n: number, seed = 0): Buffer {
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  for (let block = 0; at < n; block++) {
    const digest = createHash('sha256').update(`${seed}:${block}`).digest();
    at += digest.copy(out, at, 0, Math.min(32, n - at));
  }
  return out;
}

/** Compressible UTF-8 text of about n bytes (words with non-ASCII letters). */
export function proseOf(n: number): Buffer {
  const words = ['wörld', 'hello', 'κόσμε', 'frame', 'deflate', 'message', 'ünïcode', 'socket', '€uro', 'échange'];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const word = words[(i * 7 + (i >> 3)) % words.length]!;
    parts.push(word);
    size += Buffer.byteLength(word) + 1;
  }
  return Buffer.from(parts.join(' '), 'utf8');
}
