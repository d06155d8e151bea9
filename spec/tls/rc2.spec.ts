import { expect } from 'chai';
import { RC2_BLOCK_SIZE, rc2CbcDecrypt, rc2DecryptBlock, rc2ExpandKey } from '../../lib/tls/rc2';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** RFC 2268 §5: [key, effective key bits, plaintext, ciphertext]. */
const VECTORS: ReadonlyArray<readonly [string, number, string, string]> = [
  ['00000000 00000000', 63, '00000000 00000000', 'ebb773f9 93278eff'],
  ['ffffffff ffffffff', 64, 'ffffffff ffffffff', '278b27e4 2e2f0d49'],
  ['30000000 00000000', 64, '10000000 00000001', '30649edf 9be7d2c2'],
  ['88', 64, '00000000 00000000', '61a8a244 adacccf0'],
  ['88bca90e 90875a', 64, '00000000 00000000', '6ccf4308 974c267f'],
  ['88bca90e 90875a7f 0f79c384 627bafb2', 64, '00000000 00000000', '1a807d27 2bbe5db1'],
  ['88bca90e 90875a7f 0f79c384 627bafb2', 128, '00000000 00000000', '2269552a b0f85ca6'],
  ['88bca90e 90875a7f 0f79c384 627bafb2 16f80a6f 85920584 c42fceb0 be255daf 1e', 129, '00000000 00000000', '5b78d3a4 3dfff1f1'],
];

describe('tls/rc2', () => {
  describe('rc2DecryptBlock (RFC 2268 §5 test vectors)', () => {
    for (const [key, bits, plain, cipher] of VECTORS) {
      it(`decrypts ${cipher} with the ${hex(key).length}-byte key ${key.slice(0, 8)}… at ${bits} effective bits`, () => {
        const block = hex(cipher);
        rc2DecryptBlock(rc2ExpandKey(hex(key), bits), block);
        expect(block.toString('hex')).to.equal(hex(plain).toString('hex'));
      });
    }

    it('decrypts a block at an offset and leaves the bytes around it alone', () => {
      const buffer = Buffer.concat([hex('aa'), hex('2269552a b0f85ca6'), hex('bb')]);
      rc2DecryptBlock(rc2ExpandKey(hex('88bca90e 90875a7f 0f79c384 627bafb2'), 128), buffer, 1);
      expect(buffer.toString('hex')).to.equal('aa0000000000000000bb');
    });
  });

  describe('rc2ExpandKey', () => {
    it('refuses keys and effective lengths outside RFC 2268', () => {
      expect(() => rc2ExpandKey(new Uint8Array(0), 40)).to.throw(RangeError, '1 to 128 bytes');
      expect(() => rc2ExpandKey(new Uint8Array(129), 40)).to.throw(RangeError, '1 to 128 bytes');
      expect(() => rc2ExpandKey(hex('88'), 0)).to.throw(RangeError, '1 to 1024 bits');
      expect(() => rc2ExpandKey(hex('88'), 1025)).to.throw(RangeError, '1 to 1024 bits');
    });

    it('gives 64 round keys that depend on the effective length', () => {
      const key = hex('88bca90e 90875a7f 0f79c384 627bafb2');
      expect(rc2ExpandKey(key, 128)).to.have.length(64);
      expect(Buffer.from(rc2ExpandKey(key, 64).buffer).equals(Buffer.from(rc2ExpandKey(key, 128).buffer))).to.equal(false);
    });
  });

  describe('rc2CbcDecrypt', () => {
    const key = hex('88bca90e 90875a7f 0f79c384 627bafb2');
    const iv = hex('0011223344556677');

    // Ciphertexts from `openssl enc -rc2-cbc` / `-rc2-40-cbc -provider legacy` (an implementation we did not write).
    it('decrypts a multi-block message and removes its padding (128-bit key)', () => {
      const cipher = hex('bdf1f6be62edc5c855f81459f3176640e02b16abb72cc34ee5d034b354117966');
      expect(rc2CbcDecrypt(key, 128, iv, cipher).toString('latin1')).to.equal('RC2 in CBC mode, padded.');
    });

    it('decrypts with a 40-bit key, as pbeWithSHAAnd40BitRC2-CBC uses', () => {
      const cipher = hex('3c152881c33a09357a408a930e8e6640');
      expect(rc2CbcDecrypt(hex('0102030405'), 40, hex('0706050403020100'), cipher).toString('latin1')).to.equal('forty bits');
    });

    it('chains blocks: P[n] = D(C[n]) XOR C[n-1], the first XORed with the IV', () => {
      // D(2269552a…) is eight zero bytes (RFC vector), so the plaintext is the IV: here all padding.
      const block = hex('2269552a b0f85ca6');
      expect(rc2CbcDecrypt(key, 128, hex('0808080808080808'), block)).to.have.length(0);
      expect(rc2CbcDecrypt(key, 128, Buffer.from('message\x01', 'latin1'), block).toString('latin1')).to.equal('message');
      // Doubled, the second plaintext block is the first ciphertext block, whose last byte (0xa6) is no padding.
      expect(() => rc2CbcDecrypt(key, 128, iv, Buffer.concat([block, block]))).to.throw('bad RC2-CBC padding');
    });

    it('refuses data that is not whole blocks, a wrong IV size and bad padding', () => {
      expect(() => rc2CbcDecrypt(key, 128, iv, hex('00'))).to.throw('whole number of blocks');
      expect(() => rc2CbcDecrypt(key, 128, iv, Buffer.alloc(0))).to.throw('whole number of blocks');
      expect(() => rc2CbcDecrypt(key, 128, hex('00'), Buffer.alloc(RC2_BLOCK_SIZE))).to.throw(RangeError, 'IV is 8 bytes');
      expect(() => rc2CbcDecrypt(key, 128, Buffer.alloc(8), hex('2269552a b0f85ca6'))).to.throw('bad RC2-CBC padding');
      expect(() => rc2CbcDecrypt(key, 128, hex('0000000000000009'), hex('2269552a b0f85ca6'))).to.throw('bad RC2-CBC padding');
    });
  });
});
