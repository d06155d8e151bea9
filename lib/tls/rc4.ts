/**
 * RC4, for one purpose only: reading PFX files protected with pbeWithSHAAnd128BitRC4 or
 * pbeWithSHAAnd40BitRC4 (RFC 7292 Appendix C), which some old exporters wrote. OpenSSL 3 keeps RC4
 * in its legacy provider, which Node.js does not load by default, so node:crypto cannot be used.
 * RC4 is a stream cipher: decryption and encryption are the same XOR with its key stream.
 */

/** The key stream of `key` (1 to 256 bytes) XORed onto `data`, as a new buffer. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  if (key.length < 1 || key.length > 256) throw new RangeError(`RC4 keys are 1 to 256 bytes long, not ${key.length}`);
  // Key scheduling: S starts as the identity permutation and is stirred by the key, repeated.
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    const t = s[i]!;
    s[i] = s[j]!;
    s[j] = t;
  }
  // Output: each step swaps two entries of S and emits S[S[i] + S[j]].
  const out = Buffer.allocUnsafe(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    const t = s[i]!;
    s[i] = s[j]!;
    s[j] = t;
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}
