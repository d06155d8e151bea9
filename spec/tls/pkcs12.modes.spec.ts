/**
 * Every PFX encryption Windows, Java keytool and OpenSSL 1.x/3.x write (the files tools/make-test-certs.sh
 * makes into spec/fixtures/tls/pfx/): each one is first checked to be what its name says (the algorithm
 * identifiers are in the file), then read, then used to serve wss on loopback.
 */
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { WSServerError } from '../../lib/server/errors';
import { readPkcs12, Pkcs12Error } from '../../lib/tls/pkcs12';
import { PASSWORD, SUBJECTS, fixture, fixturePath } from './fixtures';
import { cleanUp, echoServer, openWss, roundTrip, tlsServer } from './helpers';

/** The OIDs that name each scheme, as they appear in the DER. */
const ALGORITHMS = Object.freeze({
  // RFC 7292 Appendix C
  'RC4-128': '1.2.840.113549.1.12.1.1',
  'RC4-40': '1.2.840.113549.1.12.1.2',
  '3DES': '1.2.840.113549.1.12.1.3',
  '2DES': '1.2.840.113549.1.12.1.4',
  'RC2-128': '1.2.840.113549.1.12.1.5',
  'RC2-40': '1.2.840.113549.1.12.1.6',
  // RFC 8018
  PBES2: '1.2.840.113549.1.5.13',
  'AES-128': '2.16.840.1.101.3.4.1.2',
  'AES-192': '2.16.840.1.101.3.4.1.22',
  'AES-256': '2.16.840.1.101.3.4.1.42',
  'PBES2-3DES': '1.2.840.113549.3.7',
  'PRF-SHA1': '1.2.840.113549.2.7',
  'PRF-SHA224': '1.2.840.113549.2.8',
  'PRF-SHA256': '1.2.840.113549.2.9',
  'PRF-SHA384': '1.2.840.113549.2.10',
  'PRF-SHA512': '1.2.840.113549.2.11',
  // MAC digests (the DigestInfo of MacData)
  'MAC-SHA1': '1.3.14.3.2.26',
  'MAC-SHA224': '2.16.840.1.101.3.4.2.4',
  'MAC-SHA256': '2.16.840.1.101.3.4.2.1',
  'MAC-SHA384': '2.16.840.1.101.3.4.2.2',
  'MAC-SHA512': '2.16.840.1.101.3.4.2.3',
} as const);
type Algorithm = keyof typeof ALGORITHMS;

/** [file, password, what writes it this way, algorithms it must contain, whether it has a MAC]. */
const MODES: ReadonlyArray<readonly [string, string, string, readonly Algorithm[], boolean]> = [
  ['openssl-aes256.pfx', PASSWORD, 'OpenSSL 3 default, Windows AES256-SHA256', ['PBES2', 'AES-256', 'PRF-SHA256', 'MAC-SHA256'], true],
  ['openssl-aes256-sha1mac.pfx', PASSWORD, 'PBES2 AES-256, HMAC-SHA1 MAC', ['PBES2', 'AES-256', 'MAC-SHA1'], true],
  ['openssl-aes256-sha512mac.pfx', PASSWORD, 'PBES2 AES-256, HMAC-SHA512 MAC', ['PBES2', 'AES-256', 'MAC-SHA512'], true],
  ['openssl-aes128.pfx', PASSWORD, 'PBES2 AES-128', ['PBES2', 'AES-128'], true],
  ['openssl-aes192-sha384mac.pfx', PASSWORD, 'PBES2 AES-192, HMAC-SHA384 MAC', ['PBES2', 'AES-192', 'MAC-SHA384'], true],
  ['openssl-pbes2-3des-sha224mac.pfx', PASSWORD, 'PBES2 3DES, HMAC-SHA224 MAC', ['PBES2', 'PBES2-3DES', 'MAC-SHA224'], true],
  ['openssl-legacy.pfx', PASSWORD, 'OpenSSL 1.x default / -legacy, Windows TripleDES-SHA1', ['RC2-40', '3DES', 'MAC-SHA1'], true],
  ['openssl-3des.pfx', PASSWORD, 'SHA-1 and 3-key 3DES', ['3DES'], true],
  ['openssl-2des.pfx', PASSWORD, 'SHA-1 and 2-key 3DES', ['2DES'], true],
  ['openssl-rc2-40.pfx', PASSWORD, 'SHA-1 and 40-bit RC2', ['RC2-40'], true],
  ['openssl-rc2-128.pfx', PASSWORD, 'SHA-1 and 128-bit RC2', ['RC2-128'], true],
  ['openssl-rc4-40.pfx', PASSWORD, 'SHA-1 and 40-bit RC4', ['RC4-40'], true],
  ['openssl-rc4-128.pfx', PASSWORD, 'SHA-1 and 128-bit RC4', ['RC4-128'], true],
  ['openssl-aes256-nomac.pfx', PASSWORD, 'no MAC (-nomac)', ['PBES2', 'AES-256'], false],
  ['openssl-legacy-nomac.pfx', PASSWORD, 'no MAC, legacy encryption', ['3DES'], false],
  ['openssl-plain-certs.pfx', PASSWORD, 'certificates unencrypted (-certpbe NONE)', ['PBES2', 'MAC-SHA256'], true],
  ['openssl-nopass.pfx', '', 'no password: nothing encrypted, no MAC', [], false],
  ['openssl-emptypass.pfx', '', 'an empty password', ['PBES2', 'MAC-SHA256'], true],
  ['openssl-emptypass-legacy-nomac.pfx', '', 'an empty password, legacy encryption, no MAC', ['3DES'], false],
  ['java.p12', PASSWORD, 'Java keytool default', ['PBES2', 'AES-256', 'PRF-SHA256', 'MAC-SHA256'], true],
  ['java-legacy.p12', PASSWORD, 'Java keytool -J-Dkeystore.pkcs12.legacy', ['RC2-40', '3DES', 'MAC-SHA1'], true],
  ['java-prf-sha1-sha224.p12', PASSWORD, 'Java keytool, PRFs SHA-1 and SHA-224', ['PBES2', 'AES-128', 'PRF-SHA1', 'PRF-SHA224', 'MAC-SHA224'], true],
  ['java-prf-sha512-sha384.p12', PASSWORD, 'Java keytool, PRFs SHA-512 and SHA-384', ['PBES2', 'PRF-SHA512', 'PRF-SHA384', 'MAC-SHA512'], true],
  ['java-nomac.p12', PASSWORD, 'Java keytool, no MAC and certificates unencrypted', ['PBES2', 'PRF-SHA256'], false],
];

/** The DER encoding of an OID's value (X.690 §8.19), to find it in a file. */
function oidBytes(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const septets = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) septets.unshift((v & 0x7f) | 0x80);
    out.push(...septets);
  }
  return Buffer.from([0x06, out.length, ...out]);
}

/** True when any MAC digest OID is in the file (certificates name their digests with other OIDs). */
function hasMacDigest(file: Buffer): boolean {
  const digests: Algorithm[] = ['MAC-SHA1', 'MAC-SHA224', 'MAC-SHA256', 'MAC-SHA384', 'MAC-SHA512'];
  return digests.some((name) => file.includes(oidBytes(ALGORITHMS[name])));
}

describe('tls/pkcs12: every encryption mode', () => {
  afterEach(cleanUp);
  const serverDer = fixture('server-rsa.der');

  for (const [file, password, writer, algorithms, withMac] of MODES) {
    describe(`${file} (${writer})`, () => {
      it('is the mode its name says', () => {
        const bytes = fixture(`pfx/${file}`);
        for (const name of algorithms) expect(bytes.includes(oidBytes(ALGORITHMS[name])), name).to.equal(true);
        expect(hasMacDigest(bytes)).to.equal(withMac);
      });

      it('loads: the server certificate, the CA and the key of the server certificate', () => {
        const contents = readPkcs12(fixture(`pfx/${file}`), password);
        expect(contents.certificates).to.have.length(2);
        expect(contents.certificates[0]!.der).to.deep.equal(serverDer);
        expect(new X509Certificate(contents.certificates[1]!.der).subject).to.contain('CN=Test CA');
        expect(contents.keys).to.have.length(1);
        expect(new X509Certificate(serverDer).checkPrivateKey(contents.keys[0]!.key)).to.equal(true);
        expect(contents.certificates[0]!.friendlyName).to.equal('wsserver test');
      });

      it('serves wss with the loaded key', async () => {
        const server = await echoServer({ storeType: 2, store: fixturePath(`pfx/${file}`), password, subject: '*' });
        expect(server.sslCertSubject).to.equal(SUBJECTS.serverRsa);
        const ws = await openWss(server.localPort);
        expect(await roundTrip(ws, 'legacy')).to.equal('echo legacy');
        const peer = (ws as unknown as { _socket: TLSSocket })._socket.getPeerX509Certificate()!;
        expect(peer.raw).to.deep.equal(serverDer);
      });

      if (password !== '') {
        it('refuses a wrong password with 271 when the subject is selected', () => {
          const why = withMac ? 'the PFX integrity check failed' : 'could not be decrypted';
          expect(() => readPkcs12(fixture(`pfx/${file}`), 'wrong')).to.throw(Pkcs12Error, why).with.property('reason', 'password');
          expect(() => tlsServer({ storeType: 2, store: fixturePath(`pfx/${file}`), password: 'wrong', subject: '*' }))
            .to.throw(WSServerError, 'Wrong password for the PFX store')
            .with.property('code', 271);
        });
      }
    });
  }
});
