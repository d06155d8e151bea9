import { expect } from 'chai';
import WebSocket from 'ws';
import { ErrorCode } from '../../lib/generated/api';
import { WSServerError } from '../../lib/server/errors';
import { PASSWORD, SUBJECTS, fixture, fixturePath, fixtureText } from './fixtures';
import { cleanUp, echoServer, handshake, openWss, rejection, roundTrip, tlsServer, type CertificateSetup } from './helpers';

describe('tls: wss with each certificate store', () => {
  afterEach(cleanUp);

  const stores: Array<[string, CertificateSetup, string]> = [
    ['2 PFX file', { storeType: 2, store: fixturePath('server-rsa.pfx'), password: PASSWORD, subject: '*' }, SUBJECTS.serverRsa],
    ['2 PFX file (SHA-1/3DES)', { storeType: 2, store: fixturePath('server-rsa.3des.pfx'), password: PASSWORD, subject: 'localhost' }, SUBJECTS.serverRsa],
    ['3 PFX blob (bytes)', { storeType: 3, store: fixture('server-ecdsa.pfx'), password: PASSWORD, subject: '*' }, SUBJECTS.serverEcdsa],
    ['3 PFX blob (base64)', { storeType: 3, store: fixture('server-rsa.pfx').toString('base64'), password: PASSWORD, subject: '*' }, SUBJECTS.serverRsa],
    ['6 PEM key file', { storeType: 6, store: fixturePath('server-ecdsa.key-and-cert.pem'), subject: '*' }, SUBJECTS.serverEcdsa],
    ['6 PEM key file, encrypted key', { storeType: 6, store: fixturePath('server-rsa.encrypted.pem'), password: PASSWORD, subject: '*' }, SUBJECTS.serverRsa],
    ['7 PEM key blob', { storeType: 7, store: fixtureText('server-rsa.key-and-cert.pem'), subject: 'CN=localhost' }, SUBJECTS.serverRsa],
    ['99 auto (PFX file)', { storeType: 99, store: fixturePath('server-rsa.pfx'), password: PASSWORD, subject: '*' }, SUBJECTS.serverRsa],
    ['6 key file + SSLCertEncoded', { storeType: 6, store: fixturePath('server-rsa.key'), encoded: fixtureText('server-rsa.crt') }, SUBJECTS.serverRsa],
    ['SSLCertEncoded with its key (PEM)', { storeType: 0, store: 'MY', encoded: fixtureText('server-ecdsa.key-and-cert.pem') }, SUBJECTS.serverEcdsa],
  ];
  for (const [name, setup, subject] of stores) {
    it(`echoes over wss: ${name}`, async () => {
      const server = await echoServer(setup);
      expect(server.sslCertSubject).to.equal(subject);
      const ws = await openWss(server.localPort);
      expect(await roundTrip(ws, 'hello')).to.equal('echo hello');
      const peer = (ws as unknown as { _socket: import('node:tls').TLSSocket })._socket.getPeerX509Certificate()!;
      expect(peer.raw.toString('base64')).to.equal(server.sslCertEncoded);
    });
  }

  it('SSLCertSubject picks one certificate of several', async () => {
    const server = await echoServer({ storeType: 6, store: fixturePath('two-servers.pem'), subject: 'OU=ECDSA' });
    expect(server.sslCertSubject).to.equal(SUBJECTS.serverEcdsa);
    const { certificate } = await handshake(server.localPort);
    expect(certificate.subject.OU).to.equal('ECDSA');
    expect((await handshake(server.localPort)).socket.getPeerX509Certificate()!.publicKey.asymmetricKeyType).to.equal('ec');
  });

  it('sends the chain the store holds (leaf, then the CA)', async () => {
    const server = await echoServer();
    const { socket } = await handshake(server.localPort);
    const chain = socket.getPeerCertificate(true);
    expect(chain.subject.CN).to.equal('localhost');
    expect(chain.issuerCertificate.subject.CN).to.equal('Test CA');
  });

  describe('a certificate that cannot be used fails StartListening, never falling back to plain ws', () => {
    const cases: Array<[string, CertificateSetup, number, RegExp]> = [
      ['wrong PFX password', { ...{ storeType: 2, store: fixturePath('server-rsa.pfx'), subject: '*' }, password: 'nope' }, ErrorCode.CannotOpenCertStore, /Wrong password for the PFX store/],
      ['corrupt PFX', { storeType: 2, store: fixturePath('corrupt.pfx'), password: PASSWORD, subject: '*' }, ErrorCode.CannotOpenCertStore, /not a PKCS#12/],
      ['missing file', { storeType: 6, store: fixturePath('missing.pem'), subject: '*' }, ErrorCode.CannotOpenCertStore, /cannot be read/],
      ['no subject match', { storeType: 2, store: fixturePath('server-rsa.pfx'), password: PASSWORD, subject: 'CN=example.org' }, ErrorCode.CannotFindCertificate, /matches the subject "CN=example.org"/],
      ['key that does not match', { storeType: 6, store: fixturePath('mismatched.pem'), subject: '*' }, ErrorCode.CannotAcquireCredentials, /belongs to another certificate/],
      ['certificate without key', { storeType: 8, store: fixturePath('server-rsa.crt'), subject: '*' }, ErrorCode.CannotAcquireCredentials, /holds no private key/],
      ['SSLCertEncoded without its key', { storeType: 6, store: fixturePath('server-ecdsa.key'), encoded: fixture('server-rsa.der') }, ErrorCode.CannotAcquireCredentials, /private key in SSLCertStore belongs to another/],
    ];
    for (const [name, setup, code, message] of cases) {
      it(name, async () => {
        const server = tlsServer(null);
        server.sslCertStoreType = setup.storeType;
        server.sslCertStore = setup.store;
        server.sslCertStorePassword = setup.password ?? '';
        try {
          if (setup.encoded !== undefined) server.sslCertEncoded = setup.encoded;
          if (setup.subject !== undefined) server.sslCertSubject = setup.subject;
        } catch (error) {
          // A store that cannot be opened shows already when the subject is set.
          expect((error as WSServerError).code).to.equal(code);
        }
        expect(server.sslCertSubject).to.equal(code === ErrorCode.CannotAcquireCredentials && setup.subject ? SUBJECTS.serverRsa : '');
        const error = await rejection(server.startListening());
        expect(error).to.be.instanceOf(WSServerError);
        expect(error.code).to.equal(code);
        expect(error.message).to.match(message);
        expect(server.listening).to.equal(false);
      });
    }

    it('a store error at selection is thrown again by StartListening', async () => {
      const server = tlsServer(null);
      server.sslCertStoreType = 2;
      server.sslCertStore = fixturePath('server-rsa.pfx');
      server.sslCertStorePassword = 'nope';
      expect(() => (server.sslCertSubject = '*')).to.throw(WSServerError).with.property('code', ErrorCode.CannotOpenCertStore);
      expect(server.sslCertSubject).to.equal('');
      const error = await rejection(server.startListening());
      expect(error.code).to.equal(ErrorCode.CannotOpenCertStore);
      expect(server.listening).to.equal(false);
    });

    it('the default Windows store type gives 271 saying why', async () => {
      const server = tlsServer(null);
      expect(() => (server.sslCertSubject = 'CN=localhost'))
        .to.throw(WSServerError, /Windows certificate stores \(SSLCertStoreType 0, the user store\) do not exist on this platform/)
        .with.property('code', ErrorCode.CannotOpenCertStore);
      expect((await rejection(server.startListening())).code).to.equal(ErrorCode.CannotOpenCertStore);
    });

    it('a bad SSL config setting fails the start with 608', async () => {
      const server = tlsServer(undefined, { SSLEnabledCipherSuites: 'TLS_NOT_A_SUITE' });
      const error = await rejection(server.startListening());
      expect(error.code).to.equal(ErrorCode.InvalidConfigValue);
      expect(error.message).to.equal('Invalid configuration setting value for SSLEnabledCipherSuites: unknown cipher suite TLS_NOT_A_SUITE.');
    });
  });

  describe('plain and TLS', () => {
    it('plain ws without a certificate, wss with one, side by side', async () => {
      const plain = await echoServer(null);
      const secure = await echoServer();
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const client = new WebSocket(`ws://127.0.0.1:${plain.localPort}/`);
        client.once('open', () => resolve(client));
        client.once('error', reject);
      });
      expect(await roundTrip(ws, 'plain')).to.equal('echo plain');
      expect(await roundTrip(await openWss(secure.localPort), 'secure')).to.equal('echo secure');
      expect(plain.config(`SSLNegotiatedVersion[${[...plain.connections.keys()][0]}]`)).to.equal('');
      expect(secure.config(`SSLNegotiatedVersion[${[...secure.connections.keys()][0]}]`)).to.equal('TLS1.2');
      ws.close();
    });

    it('a plain client at the TLS port and a TLS client at the plain port both fail', async () => {
      const plain = await echoServer(null);
      const secure = await echoServer();
      const notTls = await rejection(
        new Promise((resolve, reject) => {
          const client = new WebSocket(`ws://127.0.0.1:${secure.localPort}/`);
          client.once('open', resolve);
          client.once('error', reject);
        }),
      );
      expect(notTls).to.be.instanceOf(Error);
      expect(await rejection(openWss(plain.localPort))).to.be.instanceOf(Error);
    });

    it('UseSSL=true without a certificate fails with 282; UseSSL=false serves plain ws despite one', async () => {
      const forced = tlsServer(null, { UseSSL: 'true' });
      const error = await rejection(forced.startListening());
      expect(error.code).to.equal(ErrorCode.ServerCertNotFound);
      expect(error.message).to.match(/^Could not find server certificate\. UseSSL is true but no certificate is selected/);
      const plain = await echoServer(undefined, { UseSSL: 'false' });
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const client = new WebSocket(`ws://127.0.0.1:${plain.localPort}/`);
        client.once('open', () => resolve(client));
        client.once('error', reject);
      });
      expect(await roundTrip(ws, 'x')).to.equal('echo x');
      ws.close();
    });
  });
});
