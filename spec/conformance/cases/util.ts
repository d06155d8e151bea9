/** Small helpers shared by the case lists. */

/** Bytes from hex with optional spaces: hexBytes('ed a0 80'). */
export function hexBytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
}
