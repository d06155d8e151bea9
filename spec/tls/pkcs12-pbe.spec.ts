import { expect } from 'chai';
import { candidatePasswords, pkcs12Kdf } from '../../lib/tls/pkcs12-pbe';
import { PASSWORD } from './fixtures';

const SHA1 = ['sha1', 20, 64] as const;
const SHA256 = ['sha256', 32, 64] as const;

/** RFC 7292 Appendix B.1: the password as a BMPString with its two-byte terminator. */
function bmp(password: string): Buffer {
  return candidatePasswords(password)[0]!;
}

describe('tls/pkcs12-pbe', () => {
  describe('candidatePasswords (RFC 7292 Appendix B.1)', () => {
    it('is the BMPString with its terminator; an empty password is also tried as no bytes at all', () => {
      expect(candidatePasswords('ab').map((b) => b.toString('hex'))).to.deep.equal(['006100620000']);
      expect(candidatePasswords('').map((b) => b.toString('hex'))).to.deep.equal(['0000', '']);
    });
  });

  describe('pkcs12Kdf (RFC 7292 Appendix B.2)', () => {
    // The long-standing PKCS#12 KDF test vectors (password "smeg" / "queeg"), also what OpenSSL computes.
    it('derives keys (ID 1) and IVs (ID 2)', () => {
      const salt = Buffer.from('0a58cf64530d823f', 'hex');
      expect(pkcs12Kdf(SHA1, bmp('smeg'), salt, 1, 1, 24).toString('hex')).to.equal('8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3');
      expect(pkcs12Kdf(SHA1, bmp('smeg'), salt, 2, 1, 8).toString('hex')).to.equal('79993dfe048d3b76');
    });

    it('iterates and spans several digest blocks', () => {
      const salt = Buffer.from('1682c0fc5b3f7ec5', 'hex');
      expect(pkcs12Kdf(SHA1, bmp('queeg'), salt, 1, 1000, 24).toString('hex')).to.equal('483dd6e919d7de2e8e648ba8f862f3fbfbdc2bcb2c02957f');
    });

    it('works with SHA-256 (value from `openssl kdf … PKCS12KDF`)', () => {
      const key = pkcs12Kdf(SHA256, Buffer.from(PASSWORD), Buffer.from('0102030405060708', 'hex'), 3, 2048, 32);
      expect(key.toString('hex')).to.equal('fa04dd1a13ff47167b6f0be078d289cbddec79755bdd0347a9f0e4e06a878d8b');
    });
  });
});
