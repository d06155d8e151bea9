import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { Pkcs12Error, readPkcs12 } from '../../lib/tls/pkcs12';
import { PASSWORD, fixture } from './fixtures';

const SHA1 = ['sha1', 20, 64] as const;
const SHA256 = ['sha256', 32, 64] as const;

/** RFC 7292 Appendix B.1: the password as a BMPString with its two-byte terminator. */
function bmp(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

function subjectOf(der: Buffer): string {
  return new X509Certificate(der).subject.replace(/\n/g, '/');
}

describe('tls/pkcs12', () => {
  describe('readPkcs12', () => {
    it('reads an OpenSSL 3 PFX (PBES2 AES-256, HMAC-SHA256): certificates, key and attributes', () => {
      const contents = readPkcs12(fixture('server-rsa.pfx'), PASSWORD);
      expect(contents.certificates.map((c) => subjectOf(c.der))).to.deep.equal([
        'C=US/O=wsserver-compat tests/CN=localhost',
        'C=US/O=wsserver-compat tests/CN=Test CA',
      ]);
      expect(contents.certificates[0]!.friendlyName).to.equal('wsserver test');
      expect(contents.keys).to.have.length(1);
      const key = contents.keys[0]!;
      expect(key.key.asymmetricKeyType).to.equal('rsa');
      expect(key.localKeyId).to.deep.equal(contents.certificates[0]!.localKeyId);
      expect(contents.certificates[1]!.localKeyId).to.equal(null);
      expect(new X509Certificate(contents.certificates[0]!.der).checkPrivateKey(key.key)).to.equal(true);
      expect(contents.certificates[0]!.der).to.deep.equal(fixture('server-rsa.der'));
    });

    it('reads the older SHA-1/3DES encryption', () => {
      const contents = readPkcs12(fixture('server-rsa.3des.pfx'), PASSWORD);
      expect(contents.certificates).to.have.length(2);
      expect(contents.keys[0]!.key.asymmetricKeyType).to.equal('rsa');
    });

    it('reads an ECDSA PFX and one with an empty password', () => {
      expect(readPkcs12(fixture('server-ecdsa.pfx'), PASSWORD).keys[0]!.key.asymmetricKeyType).to.equal('ec');
      expect(readPkcs12(fixture('server-rsa.nopass.pfx'), '').certificates).to.have.length(1);
    });

    it('tells a wrong password apart', () => {
      for (const name of ['server-rsa.pfx', 'server-rsa.3des.pfx']) {
        let caught: unknown;
        try {
          readPkcs12(fixture(name), 'wrong');
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(Pkcs12Error);
        expect((caught as Pkcs12Error).reason).to.equal('password');
        expect((caught as Pkcs12Error).message).to.contain('wrong password');
      }
    });

    it('calls a cut-short or foreign file a format error', () => {
      expect(() => readPkcs12(fixture('corrupt.pfx'), PASSWORD)).to.throw(Pkcs12Error, 'not a PKCS#12 (PFX) file').with.property('reason', 'format');
      expect(() => readPkcs12(fixture('server-rsa.der'), PASSWORD)).to.throw(Pkcs12Error, 'PFX version: expected tag 0x2, found 0x30').with.property('reason', 'format');
      expect(() => readPkcs12(fixture('server-rsa.crt'), PASSWORD)).to.throw(Pkcs12Error).with.property('reason', 'format');
    });

    it('reads RC2-encrypted (legacy) PFX files with RC2 of its own, whatever the OpenSSL offers', () => {
      // Node's OpenSSL 3 has no RC2 without --openssl-legacy-provider; the reader does not need it.
      const contents = readPkcs12(fixture('server-rsa.rc2.pfx'), PASSWORD);
      expect(contents.keys).to.have.length(1);
      expect(new X509Certificate(contents.certificates[0]!.der).checkPrivateKey(contents.keys[0]!.key)).to.equal(true);
    });
  });
});
