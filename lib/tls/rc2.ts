/**
 * RC2 decryption (RFC 2268) in CBC mode, for one purpose only: reading the certificate bags of PFX
 * files written with pbeWithSHAAnd40BitRC2-CBC or pbeWithSHAAnd128BitRC2-CBC (the Windows export, Java
 * keytool's legacy mode and OpenSSL 1.x default). OpenSSL 3 moved RC2 into its legacy provider, which
 * Node.js does not load unless started with --openssl-legacy-provider, so node:crypto cannot be used.
 * Nothing here encrypts: a server has no reason to write RC2.
 */

/**
 * RFC 2268 §2: PITABLE, "a random permutation of the values 0, ..., 255" made from the digits of pi.
 * Rows of 16, each comment giving the index of its first entry.
 */
// prettier-ignore
const PITABLE = Uint8Array.of(
  0xd9, 0x78, 0xf9, 0xc4, 0x19, 0xdd, 0xb5, 0xed, 0x28, 0xe9, 0xfd, 0x79, 0x4a, 0xa0, 0xd8, 0x9d, // 0x00
  0xc6, 0x7e, 0x37, 0x83, 0x2b, 0x76, 0x53, 0x8e, 0x62, 0x4c, 0x64, 0x88, 0x44, 0x8b, 0xfb, 0xa2, // 0x10
  0x17, 0x9a, 0x59, 0xf5, 0x87, 0xb3, 0x4f, 0x13, 0x61, 0x45, 0x6d, 0x8d, 0x09, 0x81, 0x7d, 0x32, // 0x20
  0xbd, 0x8f, 0x40, 0xeb, 0x86, 0xb7, 0x7b, 0x0b, 0xf0, 0x95, 0x21, 0x22, 0x5c, 0x6b, 0x4e, 0x82, // 0x30
  0x54, 0xd6, 0x65, 0x93, 0xce, 0x60, 0xb2, 0x1c, 0x73, 0x56, 0xc0, 0x14, 0xa7, 0x8c, 0xf1, 0xdc, // 0x40
  0x12, 0x75, 0xca, 0x1f, 0x3b, 0xbe, 0xe4, 0xd1, 0x42, 0x3d, 0xd4, 0x30, 0xa3, 0x3c, 0xb6, 0x26, // 0x50
  0x6f, 0xbf, 0x0e, 0xda, 0x46, 0x69, 0x07, 0x57, 0x27, 0xf2, 0x1d, 0x9b, 0xbc, 0x94, 0x43, 0x03, // 0x60
  0xf8, 0x11, 0xc7, 0xf6, 0x90, 0xef, 0x3e, 0xe7, 0x06, 0xc3, 0xd5, 0x2f, 0xc8, 0x66, 0x1e, 0xd7, // 0x70
  0x08, 0xe8, 0xea, 0xde, 0x80, 0x52, 0xee, 0xf7, 0x84, 0xaa, 0x72, 0xac, 0x35, 0x4d, 0x6a, 0x2a, // 0x80
  0x96, 0x1a, 0xd2, 0x71, 0x5a, 0x15, 0x49, 0x74, 0x4b, 0x9f, 0xd0, 0x5e, 0x04, 0x18, 0xa4, 0xec, // 0x90
  0xc2, 0xe0, 0x41, 0x6e, 0x0f, 0x51, 0xcb, 0xcc, 0x24, 0x91, 0xaf, 0x50, 0xa1, 0xf4, 0x70, 0x39, // 0xa0
  0x99, 0x7c, 0x3a, 0x85, 0x23, 0xb8, 0xb4, 0x7a, 0xfc, 0x02, 0x36, 0x5b, 0x25, 0x55, 0x97, 0x31, // 0xb0
  0x2d, 0x5d, 0xfa, 0x98, 0xe3, 0x8a, 0x92, 0xae, 0x05, 0xdf, 0x29, 0x10, 0x67, 0x6c, 0xba, 0xc9, // 0xc0
  0xd3, 0x00, 0xe6, 0xcf, 0xe1, 0x9e, 0xa8, 0x2c, 0x63, 0x16, 0x01, 0x3f, 0x58, 0xe2, 0x89, 0xa9, // 0xd0
  0x0d, 0x38, 0x34, 0x1b, 0xab, 0x33, 0xff, 0xb0, 0xbb, 0x48, 0x0c, 0x5f, 0xb9, 0xb1, 0xcd, 0x2e, // 0xe0
  0xc5, 0xf3, 0xdb, 0x47, 0xe5, 0xa5, 0x9c, 0x77, 0x0a, 0xa6, 0x20, 0x68, 0xfe, 0x7f, 0xc1, 0xad, // 0xf0
);

/** The block size in bytes (RFC 2268 §1: 64-bit blocks). */
export const RC2_BLOCK_SIZE = 8;

/**
 * RFC 2268 §2, key expansion: the 64 16-bit round keys K[0..63] for a key of 1 to 128 bytes and an
 * effective key length of `effectiveBits` (1 to 1024; 40 and 128 are the PKCS#12 ones).
 */
export function rc2ExpandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  if (key.length < 1 || key.length > 128) throw new RangeError(`RC2 keys are 1 to 128 bytes long, not ${key.length}`);
  if (!Number.isInteger(effectiveBits) || effectiveBits < 1 || effectiveBits > 1024) {
    throw new RangeError(`the RC2 effective key length is 1 to 1024 bits, not ${effectiveBits}`);
  }
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  // "T8 = (T1+7)/8 and TM = 255 MOD 2^(8 + T1 - 8*T8)": the bytes and the mask that cut the key down.
  const t8 = (effectiveBits + 7) >> 3;
  const tm = 0xff >> (8 * t8 - effectiveBits);
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  return k;
}

/** RFC 2268 §4, decryption of one block, in place (`block` at `offset`, 8 bytes, little-endian words). */
export function rc2DecryptBlock(k: Uint16Array, block: Uint8Array, offset = 0): void {
  let r0 = block[offset]! | (block[offset + 1]! << 8);
  let r1 = block[offset + 2]! | (block[offset + 3]! << 8);
  let r2 = block[offset + 4]! | (block[offset + 5]! << 8);
  let r3 = block[offset + 6]! | (block[offset + 7]! << 8);
  // §4.1: "j = 63"; five r-mixing rounds, one r-mashing, six r-mixing, one r-mashing, five r-mixing,
  // each the inverse of §3's, words taken from R[3] down to R[0].
  let j = 63;
  for (let round = 0; round < 16; round++) {
    // §4.1.1 reverse mixing: R[i] = (R[i] rotr s[i]) - K[j] - (R[i-1] & R[i-2]) - (~R[i-1] & R[i-3]), s = 1, 2, 3, 5.
    r3 = ((r3 >>> 5) | (r3 << 11)) & 0xffff;
    r3 = (r3 - k[j--]! - (r2 & r1) - (~r2 & r0)) & 0xffff;
    r2 = ((r2 >>> 3) | (r2 << 13)) & 0xffff;
    r2 = (r2 - k[j--]! - (r1 & r0) - (~r1 & r3)) & 0xffff;
    r1 = ((r1 >>> 2) | (r1 << 14)) & 0xffff;
    r1 = (r1 - k[j--]! - (r0 & r3) - (~r0 & r2)) & 0xffff;
    r0 = ((r0 >>> 1) | (r0 << 15)) & 0xffff;
    r0 = (r0 - k[j--]! - (r3 & r2) - (~r3 & r1)) & 0xffff;
    if (round === 4 || round === 10) {
      // §4.1.2 reverse mashing: R[i] = R[i] - K[R[i-1] & 63].
      r3 = (r3 - k[r2 & 63]!) & 0xffff;
      r2 = (r2 - k[r1 & 63]!) & 0xffff;
      r1 = (r1 - k[r0 & 63]!) & 0xffff;
      r0 = (r0 - k[r3 & 63]!) & 0xffff;
    }
  }
  block[offset] = r0 & 0xff;
  block[offset + 1] = r0 >>> 8;
  block[offset + 2] = r1 & 0xff;
  block[offset + 3] = r1 >>> 8;
  block[offset + 4] = r2 & 0xff;
  block[offset + 5] = r2 >>> 8;
  block[offset + 6] = r3 & 0xff;
  block[offset + 7] = r3 >>> 8;
}

/**
 * RC2-CBC decryption with the PKCS#5 padding removed (RFC 8018 §6.1.1 step 4, the padding every
 * PKCS#12 PBE scheme uses). Throws when the data is not whole blocks or the padding is wrong, which
 * for a PFX means a wrong password.
 */
export function rc2CbcDecrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, data: Uint8Array): Buffer {
  if (iv.length !== RC2_BLOCK_SIZE) throw new RangeError(`the RC2-CBC IV is 8 bytes, not ${iv.length}`);
  if (data.length === 0 || data.length % RC2_BLOCK_SIZE !== 0) throw new Error('RC2-CBC data is not a whole number of blocks');
  const k = rc2ExpandKey(key, effectiveBits);
  const out = Buffer.from(data);
  // CBC: P[n] = D(C[n]) XOR C[n-1], with C[-1] the IV; going backwards leaves C[n-1] unread until used.
  for (let at = out.length - RC2_BLOCK_SIZE; at >= 0; at -= RC2_BLOCK_SIZE) {
    rc2DecryptBlock(k, out, at);
    const previous = at === 0 ? iv : data.subarray(at - RC2_BLOCK_SIZE, at);
    for (let i = 0; i < RC2_BLOCK_SIZE; i++) out[at + i]! ^= previous[i]!;
  }
  const pad = out[out.length - 1]!;
  if (pad < 1 || pad > RC2_BLOCK_SIZE) throw new Error('bad RC2-CBC padding');
  for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) throw new Error('bad RC2-CBC padding');
  return out.subarray(0, out.length - pad);
}
