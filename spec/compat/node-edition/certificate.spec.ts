/**
 * Certificate: the SSLCert* properties as one value. What each constructor carries, the order
 * setSSLCert applies it in (the subject last, so the store is searched with everything set), what
 * getSSLCert reads back, and a certificate given by its encoding.
 */
import { expect } from 'chai';
import { CertStoreTypes, Certificate, WSServerError } from '../../../compat/node-edition/index';
import { PASSWORD, SUBJECTS, fixture, fixturePath } from '../../tls/fixtures';
import { closeClient, connect, makeServer, stopAll } from './helpers';

describe('node edition Certificate', () => {
  afterEach(stopAll);

  it('carries store type, store, password and subject as given, and nothing is searched yet', () => {
    const c = new Certificate(CertStoreTypes.cstPFXFile, '/no/such/file.pfx', 'pw', '*');
    expect([c.getStoreType(), c.getStore(), c.getStorePassword(), c.getSubject(), c.getEncoded()]).to.deep.equal([2, '/no/such/file.pfx', 'pw', '*', '']);
    const empty = new Certificate();
    expect([empty.getStoreType(), empty.getStore(), empty.getSubject(), empty.getEncoded()]).to.deep.equal([0, 'MY', '', '']);
  });

  it('reads binary values back one char per byte (a blob store given as bytes)', () => {
    const blob = fixture('server-rsa.pfx');
    const c = new Certificate(CertStoreTypes.cstPFXBlob, blob, PASSWORD, '*');
    expect(c.getStore()).to.equal(blob.toString('latin1'));
    c.setEncoded(Uint8Array.from([0, 128, 255]));
    expect(c.getEncoded()).to.equal('\u0000\u0080\u00ff');
  });

  it('selects by subject in setSSLCert and reads back the full subject and the encoding with getSSLCert', () => {
    const s = makeServer();
    s.setSSLCert(new Certificate(CertStoreTypes.cstPFXFile, fixturePath('server-rsa.pfx'), PASSWORD, 'localhost'));
    const selected = s.getSSLCert();
    expect(selected.getSubject()).to.equal(SUBJECTS.serverRsa);
    expect(selected.getStoreType()).to.equal(2);
    expect(selected.getStore()).to.equal(fixturePath('server-rsa.pfx'));
    expect(selected.getStorePassword()).to.equal(PASSWORD);
    const der = fixture('server-rsa.der');
    expect(selected.getEncoded()).to.equal(der.toString('base64'));
  });

  it('serves wss with a certificate from a PFX blob given as bytes', async () => {
    const s = makeServer();
    s.setSSLCert(new Certificate(CertStoreTypes.cstPFXBlob, fixture('server-rsa.pfx'), PASSWORD, '*'));
    await s.startListening();
    await closeClient(await connect(s.getLocalPort(), { tls: true }));
  });

  it('selects by encoding when only that is given, its key looked up in the store set before', () => {
    const s = makeServer();
    s.setSSLCert(new Certificate(CertStoreTypes.cstPEMKeyFile, fixturePath('server-rsa.key-and-cert.pem'), '', ''));
    s.setSSLCert(new Certificate(fixture('server-rsa.crt').toString('latin1')));
    expect(s.getSSLCert().getSubject()).to.equal('');
    // A bare encoding resets the store to the default, where the key is not found; with the store it is.
    const withStore = new Certificate(CertStoreTypes.cstPEMKeyFile, fixturePath('server-rsa.key-and-cert.pem'), '', '');
    withStore.setEncoded(fixture('server-rsa.crt'));
    s.setSSLCert(withStore);
    expect(s.getSSLCert().getSubject()).to.equal(SUBJECTS.serverRsa);
  });

  it('clears the selection with new Certificate(), so the server speaks plain ws again', async () => {
    const s = makeServer();
    s.setSSLCert(new Certificate(CertStoreTypes.cstPFXFile, fixturePath('server-rsa.pfx'), PASSWORD, '*'));
    s.setSSLCert(new Certificate());
    expect(s.getSSLCert().getSubject()).to.equal('');
    await s.startListening();
    await closeClient(await connect(s.getLocalPort()));
  });

  it('throws the reference code from setSSLCert when the store cannot be opened (271)', () => {
    const s = makeServer();
    const attempt = (c: Certificate) => {
      try {
        s.setSSLCert(c);
        return 0;
      } catch (error) {
        expect(error).to.be.instanceOf(WSServerError);
        return (error as WSServerError).code;
      }
    };
    expect(attempt(new Certificate(CertStoreTypes.cstPFXFile, fixturePath('server-rsa.pfx'), 'wrong', '*'))).to.equal(271);
    expect(attempt(new Certificate(CertStoreTypes.cstPFXFile, fixturePath('corrupt.pfx'), PASSWORD, '*'))).to.equal(271);
  });
});
