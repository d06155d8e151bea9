import { expect } from 'chai';
import { rc4 } from '../../lib/tls/rc4';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('tls/rc4', () => {
  describe('RFC 6229 key streams (from offset 0)', () => {
    const VECTORS: ReadonlyArray<readonly [string, string]> = [
      // 40-bit key: pbeWithSHAAnd40BitRC4's key size.
      ['0102030405', 'b2396305f03dc027ccc3524a0a1118a8 6982944f18fc82d589c403a47a0d0919'],
      ['01020304050607', '293f02d47f37c9b633f2af5285feb46b'],
      // 128-bit key: pbeWithSHAAnd128BitRC4's key size.
      ['0102030405060708090a0b0c0d0e0f10', '9ac7cc9a609d1ef7b2932899cde41b97 5248c4959014126a6e8a84f11d1a9e1c'],
    ];
    for (const [key, stream] of VECTORS) {
      it(`gives the key stream of the ${hex(key).length * 8}-bit key ${key}`, () => {
        expect(rc4(hex(key), Buffer.alloc(hex(stream).length)).toString('hex')).to.equal(hex(stream).toString('hex'));
      });
    }
  });

  it('encrypts the classic examples ("Key"/"Plaintext", "Wiki"/"pedia", "Secret"/"Attack at dawn")', () => {
    expect(rc4(Buffer.from('Key'), Buffer.from('Plaintext')).toString('hex')).to.equal('bbf316e8d940af0ad3');
    expect(rc4(Buffer.from('Wiki'), Buffer.from('pedia')).toString('hex')).to.equal('1021bf0420');
    expect(rc4(Buffer.from('Secret'), Buffer.from('Attack at dawn')).toString('hex')).to.equal('45a01f645fc35b383552544b9bf5');
  });

  it('decrypts what it encrypts, leaving its input untouched', () => {
    const plain = Buffer.from('forty bits');
    const cipher = rc4(hex('0102030405'), plain);
    // `openssl enc -rc4-40 -K 0102030405 -provider legacy` gives the same bytes.
    expect(cipher.toString('hex')).to.equal('d4561171891da24eb8b0');
    expect(rc4(hex('0102030405'), cipher).toString()).to.equal('forty bits');
    expect(plain.toString()).to.equal('forty bits');
    expect(rc4(hex('01'), Buffer.alloc(0))).to.have.length(0);
  });

  it('refuses keys outside 1 to 256 bytes', () => {
    expect(() => rc4(Buffer.alloc(0), Buffer.alloc(1))).to.throw(RangeError, '1 to 256 bytes');
    expect(() => rc4(Buffer.alloc(257), Buffer.alloc(1))).to.throw(RangeError, '1 to 256 bytes');
  });
});
