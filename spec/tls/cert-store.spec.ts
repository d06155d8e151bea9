import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ErrorCode } from '../../lib/generated/api';
import { WSServerError } from '../../lib/server/errors';
import { pemBlocks } from '../../lib/tls/certificate';
import { credentialsFor, findByCertificate, findBySubject, openCertificateStore, type StoreSource } from '../../lib/tls/cert-store';
import { explicit0, int, oid, seq, set, times, tlv } from './der-writer';
import { PASSWORD, SUBJECTS, fixture, fixturePath, fixtureText } from './fixtures';

function open(type: number, store: string | Uint8Array, password = '') {
  return openCertificateStore({ type, store, password });
}

function failure(source: StoreSource): WSServerError {
  try {
    openCertificateStore(source);
  } catch (error) {
    expect(error).to.be.instanceOf(WSServerError);
    return error as WSServerError;
  }
  throw new Error('the store opened');
}

describe('tls/cert-store', () => {
  describe('openCertificateStore', () => {
    it('2 PFX file: certificates with subjects, the key on the server certificate', () => {
      const store = open(2, fixturePath('server-rsa.pfx'), PASSWORD);
      expect(store.type).to.equal(2);
      expect(store.certificates.map((c) => c.subject)).to.deep.equal([SUBJECTS.serverRsa, SUBJECTS.ca]);
      expect(store.certificates.map((c) => c.key !== null)).to.deep.equal([true, false]);
      expect(store.certificates[0]!.issuer).to.equal(SUBJECTS.ca);
      expect(store.certificates[0]!.friendlyName).to.equal('wsserver test');
    });

    it('3 PFX blob: bytes, a one-char-per-byte string, or base64', () => {
      const pfx = fixture('server-rsa.pfx');
      for (const value of [pfx, pfx.toString('latin1'), pfx.toString('base64'), pfx.toString('base64').replace(/(.{64})/g, '$1\r\n')]) {
        expect(open(3, value, PASSWORD).certificates[0]!.subject).to.equal(SUBJECTS.serverRsa);
      }
    });

    it('6 PEM key file, plain and encrypted with the password', () => {
      const plain = open(6, fixturePath('server-rsa.key-and-cert.pem'));
      expect(plain.certificates).to.have.length(1);
      expect(plain.certificates[0]!.key?.asymmetricKeyType).to.equal('rsa');
      const encrypted = open(6, fixturePath('server-rsa.encrypted.pem'), PASSWORD);
      expect(encrypted.certificates[0]!.key).to.not.equal(null);
      expect(encrypted.certificates[0]!.subject).to.equal(SUBJECTS.serverRsa);
    });

    it('6 PEM key file: a key alone is a store with no certificate (for SSLCertEncoded)', () => {
      const store = open(6, fixturePath('server-rsa.key'));
      expect(store.certificates).to.have.length(0);
      expect(store.keys).to.have.length(1);
    });

    it('7 PEM key blob: PEM text, or base64 of it', () => {
      const text = fixtureText('server-ecdsa.key-and-cert.pem');
      expect(open(7, text).certificates[0]!.subject).to.equal(SUBJECTS.serverEcdsa);
      expect(open(7, Buffer.from(text).toString('base64')).certificates[0]!.key?.asymmetricKeyType).to.equal('ec');
    });

    it('8/9 public key: PEM or DER certificates, file or blob, without keys', () => {
      for (const store of [open(8, fixturePath('server-rsa.crt')), open(8, fixturePath('server-rsa.der')), open(9, fixture('server-rsa.der')), open(9, fixture('server-rsa.der').toString('base64')), open(9, fixtureText('ca.crt'))]) {
        expect(store.certificates).to.have.length(1);
        expect(store.keys).to.have.length(0);
      }
      // A key in a public-key store is not read.
      expect(open(9, fixtureText('server-rsa.key-and-cert.pem')).keys).to.have.length(0);
    });

    it('11/12 PKCS#7: the certificates of the bundle', () => {
      expect(open(11, fixturePath('server-rsa.p7b')).certificates.map((c) => c.subject)).to.deep.equal([SUBJECTS.serverRsa, SUBJECTS.ca]);
      expect(open(12, fixture('server-rsa.p7b')).certificates).to.have.length(2);
    });

    it('11/12 PKCS#7: 271 for a bundle of more than 200 certificates, read lazily', () => {
      // SignedData { version, digestAlgorithms, contentInfo, [0] 201 certificates }; the bundle is
      // refused at the cap, before any of its (here empty) certificates is parsed.
      const signed = seq(int(1), set(), seq(oid('1.2.840.113549.1.7.1')), tlv(0xa0, times(201, seq())));
      const p7b = seq(oid('1.2.840.113549.1.7.2'), explicit0(signed));
      expect(() => openCertificateStore({ type: 12, store: p7b, password: '' }))
        .to.throw(WSServerError, 'the PKCS#7 bundle holds more than 200 certificates (Pkcs12Limits.maxCertificates)')
        .with.property('code', 271);
    });

    it('99 auto: a PFX file, a PEM blob, a DER certificate, base64 PFX', () => {
      expect(open(99, fixturePath('server-rsa.pfx'), PASSWORD).certificates[0]!.key).to.not.equal(null);
      expect(open(99, fixtureText('server-rsa.key-and-cert.pem')).certificates[0]!.key).to.not.equal(null);
      expect(open(99, fixture('server-rsa.der')).certificates[0]!.key).to.equal(null);
      expect(open(99, fixture('server-ecdsa.pfx').toString('base64'), PASSWORD).certificates[0]!.subject).to.equal(SUBJECTS.serverEcdsa);
      expect(open(99, fixturePath('server-rsa.encrypted.pem'), PASSWORD).certificates[0]!.key).to.not.equal(null);
    });

    it('pairs keys with their certificates by public key, whatever the order', () => {
      const store = open(6, fixturePath('two-servers.pem'));
      expect(store.certificates.map((c) => [c.subject, c.key?.asymmetricKeyType])).to.deep.equal([
        [SUBJECTS.serverRsa, 'rsa'],
        [SUBJECTS.serverEcdsa, 'ec'],
      ]);
      const mismatched = open(6, fixturePath('mismatched.pem'));
      expect(mismatched.certificates[0]!.key).to.equal(null);
      expect(mismatched.keys).to.have.length(1);
    });

    it('271 for stores that do not exist on this platform, saying why', () => {
      const cases: Array<[number, RegExp]> = [
        [0, /Windows certificate stores .*user store.*do not exist/],
        [1, /machine store/],
        [4, /Java KeyStore.*keytool/],
        [5, /Java KeyStore/],
        [21, /Bouncy Castle/],
        [22, /Bouncy Castle/],
        [10, /SSH public key/],
        [14, /PuTTY/],
        [18, /JSON Web Keys/],
        [23, /PKCS#11/],
        [42, /SSLCertStoreType 42 is not a known store type/],
      ];
      for (const [type, why] of cases) {
        const error = failure({ type, store: 'MY', password: '' });
        expect(error.code, `type ${type}`).to.equal(ErrorCode.CannotOpenCertStore);
        expect(error.message).to.match(/^Cannot open certificate store\. /);
        expect(error.message).to.match(why);
      }
    });

    it('271 for a missing file, an empty store, a wrong password, damaged data', () => {
      const cases: Array<[StoreSource, RegExp]> = [
        [{ type: 2, store: fixturePath('nope.pfx'), password: '' }, /The file .*nope\.pfx cannot be read: ENOENT/],
        [{ type: 2, store: '', password: '' }, /SSLCertStore is empty/],
        [{ type: 3, store: '', password: '' }, /SSLCertStore is empty/],
        [{ type: 2, store: fixturePath('server-rsa.pfx'), password: 'wrong' }, /Wrong password for the PFX store/],
        [{ type: 2, store: fixturePath('corrupt.pfx'), password: PASSWORD }, /not a PKCS#12 \(PFX\) file/],
        [{ type: 6, store: fixturePath('server-rsa.encrypted.pem'), password: '' }, /The private key is encrypted: set SSLCertStorePassword/],
        [{ type: 6, store: fixturePath('server-rsa.encrypted.pem'), password: 'wrong' }, /Wrong password for the encrypted private key/],
        [{ type: 6, store: fixturePath('server-rsa.crt'), password: '' }, /holds no private key \(for a certificate alone use SSLCertStoreType 8 or 9\)/],
        [{ type: 7, store: 'hello', password: '' }, /The store content cannot be read/],
        [{ type: 8, store: fixturePath('server-rsa.key'), password: '' }, /holds no certificate or private key/],
      ];
      for (const [source, why] of cases) {
        const error = failure(source);
        expect(error.code).to.equal(ErrorCode.CannotOpenCertStore);
        expect(error.message).to.match(why);
      }
    });
  });

  describe('findBySubject', () => {
    const store = () => open(6, fixturePath('two-servers.pem'));

    it('takes an exact match first, then one differing in case or spacing', () => {
      expect(findBySubject(store(), SUBJECTS.serverEcdsa)?.subject).to.equal(SUBJECTS.serverEcdsa);
      expect(findBySubject(store(), 'cn=LOCALHOST,ou=ecdsa,o=wsserver-compat tests,c=us')?.subject).to.equal(SUBJECTS.serverEcdsa);
    });

    it('then a subject containing the text (the first in store order)', () => {
      expect(findBySubject(store(), 'OU=ECDSA')?.subject).to.equal(SUBJECTS.serverEcdsa);
      expect(findBySubject(store(), 'CN=localhost')?.subject).to.equal(SUBJECTS.serverRsa);
    });

    it("'*' takes the first certificate with a private key", () => {
      const pfx = open(2, fixturePath('server-rsa.pfx'), PASSWORD);
      expect(findBySubject(pfx, '*')?.subject).to.equal(SUBJECTS.serverRsa);
      const certsOnly = open(11, fixturePath('server-rsa.p7b'));
      expect(findBySubject(certsOnly, '*')?.subject).to.equal(SUBJECTS.serverRsa);
    });

    it('null when nothing matches', () => {
      expect(findBySubject(store(), 'CN=example.com')).to.equal(null);
      expect(findBySubject(store(), '   ')).to.equal(null);
      expect(findBySubject(open(6, fixturePath('server-rsa.key')), '*')).to.equal(null);
    });
  });

  describe('findByCertificate and credentialsFor', () => {
    it('finds the private key of a certificate given apart from its key file', () => {
      const keys = open(6, fixturePath('server-rsa.key'));
      const found = findByCertificate(keys, fixture('server-rsa.der'));
      expect(found.subject).to.equal(SUBJECTS.serverRsa);
      expect(found.key).to.equal(keys.keys[0]);
      expect(findByCertificate(keys, pemBlocks(fixtureText('server-ecdsa.crt'))[0]!.der).key).to.equal(null);
    });

    it('credentials carry the key and the chain up to the root the store holds', () => {
      const store = open(2, fixturePath('server-rsa.pfx'), PASSWORD);
      const credentials = credentialsFor(store, store.certificates[0]!);
      const chain = pemBlocks(credentials.cert).map((b) => new X509Certificate(b.der));
      expect(chain.map((c) => c.subject.split('\n').pop())).to.deep.equal(['CN=localhost', 'CN=Test CA']);
      expect(chain[0]!.checkPrivateKey(createPrivateKey(credentials.key))).to.equal(true);
    });

    it('273 for a certificate without its key, telling a foreign key apart', () => {
      const mismatched = open(6, fixturePath('mismatched.pem'));
      expect(() => credentialsFor(mismatched, mismatched.certificates[0]!))
        .to.throw(WSServerError, 'Cannot acquire security credentials. The certificate "CN=localhost, O=wsserver-compat tests, C=US" cannot be used by a server: the private key in SSLCertStore belongs to another certificate.')
        .with.property('code', ErrorCode.CannotAcquireCredentials);
      const certsOnly = open(8, fixturePath('server-rsa.crt'));
      expect(() => credentialsFor(certsOnly, certsOnly.certificates[0]!)).to.throw(WSServerError, 'SSLCertStore holds no private key for it');
    });
  });
});
