import { expect } from 'chai';
import { ErrorCode } from '../../lib/generated/api';
import { WSServerError } from '../../lib/server/errors';
import { CertificateSelection } from '../../lib/tls/cert-selection';
import { PASSWORD, SUBJECTS, fixture, fixturePath, fixtureText } from './fixtures';

function pfxSelection(): CertificateSelection {
  const selection = new CertificateSelection();
  selection.storeType = 2;
  selection.store = fixturePath('server-rsa.pfx');
  selection.password = PASSWORD;
  return selection;
}

function resolveError(selection: CertificateSelection): WSServerError {
  try {
    selection.resolve();
  } catch (error) {
    expect(error).to.be.instanceOf(WSServerError);
    return error as WSServerError;
  }
  throw new Error('resolve did not throw');
}

describe('tls/cert-selection', () => {
  it('starts with the reference defaults and nothing requested', () => {
    const selection = new CertificateSelection();
    expect([selection.storeType, selection.store, selection.password, selection.subject, selection.encoded]).to.deep.equal([0, 'MY', '', '', '']);
    expect(selection.requested).to.equal(false);
    expect(selection.resolve()).to.equal(null);
  });

  it('SSLCertSubject reads back the full subject; SSLCertEncoded then shows the certificate', () => {
    const selection = pfxSelection();
    selection.subject = 'localhost';
    expect(selection.subject).to.equal(SUBJECTS.serverRsa);
    expect(selection.encoded).to.equal(fixture('server-rsa.der').toString('base64'));
    expect(selection.requested).to.equal(true);
    const chosen = selection.resolve()!;
    expect(chosen.certificate.subject).to.equal(SUBJECTS.serverRsa);
    expect(chosen.credentials.key).to.match(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('a subject that matches nothing reads back empty, and starting fails with 272', () => {
    const selection = pfxSelection();
    selection.subject = 'CN=nobody';
    expect(selection.subject).to.equal('');
    expect(selection.requested).to.equal(true);
    const error = resolveError(selection);
    expect(error.code).to.equal(ErrorCode.CannotFindCertificate);
    expect(error.message).to.equal('Cannot find specified certificate. No certificate in SSLCertStore matches the subject "CN=nobody".');
  });

  it('a store that cannot be opened throws when the subject is set, and again at start', () => {
    const selection = new CertificateSelection();
    expect(() => (selection.subject = '*')).to.throw(WSServerError, 'Windows certificate stores').with.property('code', ErrorCode.CannotOpenCertStore);
    expect(selection.subject).to.equal('');
    expect(selection.requested).to.equal(true);
    expect(resolveError(selection).code).to.equal(ErrorCode.CannotOpenCertStore);
  });

  it('start re-reads the store: a password changed afterwards is noticed', () => {
    const selection = pfxSelection();
    selection.subject = '*';
    selection.password = 'wrong';
    expect(resolveError(selection).message).to.contain('Wrong password for the PFX store');
  });

  it('a certificate without its key is selected but cannot serve (273 at start)', () => {
    const selection = new CertificateSelection();
    selection.storeType = 6;
    selection.store = fixturePath('mismatched.pem');
    selection.subject = '*';
    expect(selection.subject).to.equal(SUBJECTS.serverRsa);
    expect(resolveError(selection).code).to.equal(ErrorCode.CannotAcquireCredentials);
  });

  it('clearing SSLCertSubject withdraws the request', () => {
    const selection = pfxSelection();
    selection.subject = '*';
    selection.subject = '';
    expect(selection.requested).to.equal(false);
    expect(selection.encoded).to.equal('');
  });

  describe('SSLCertEncoded', () => {
    it("finds the certificate's key in the store and shows its subject", () => {
      const selection = new CertificateSelection();
      selection.storeType = 6;
      selection.store = fixturePath('server-ecdsa.key');
      selection.encoded = fixtureText('server-ecdsa.crt');
      expect(selection.subject).to.equal(SUBJECTS.serverEcdsa);
      expect(selection.resolve()!.certificate.key?.asymmetricKeyType).to.equal('ec');
    });

    it('takes DER bytes and base64 too, and reads back as base64', () => {
      const der = fixture('server-rsa.der');
      for (const value of [der, der.toString('base64'), der.toString('latin1')]) {
        const selection = new CertificateSelection();
        selection.storeType = 6;
        selection.store = fixturePath('server-rsa.key');
        selection.encoded = value;
        expect(selection.subject).to.equal(SUBJECTS.serverRsa);
        expect(selection.encoded).to.equal(der.toString('base64'));
      }
    });

    it('no key in the store: subject empty, certificate still readable, 273 at start', () => {
      const selection = new CertificateSelection();
      selection.storeType = 6;
      selection.store = fixturePath('server-ecdsa.key');
      selection.encoded = fixture('server-rsa.der');
      expect(selection.subject).to.equal('');
      expect(selection.encoded).to.equal(fixture('server-rsa.der').toString('base64'));
      expect(resolveError(selection).code).to.equal(ErrorCode.CannotAcquireCredentials);
    });

    it('PEM text with the key is a store of its own (the default Windows store is not consulted)', () => {
      const selection = new CertificateSelection();
      selection.encoded = fixtureText('server-rsa.key-and-cert.pem');
      expect(selection.subject).to.equal(SUBJECTS.serverRsa);
      expect(selection.resolve()!.certificate.subject).to.equal(SUBJECTS.serverRsa);
    });

    it('with the default Windows store and no key in the value, start fails with 271', () => {
      const selection = new CertificateSelection();
      selection.encoded = fixtureText('server-rsa.crt');
      expect(selection.subject).to.equal('');
      expect(resolveError(selection).code).to.equal(ErrorCode.CannotOpenCertStore);
    });

    it('something that is not a certificate: 272 at start', () => {
      const selection = new CertificateSelection();
      selection.encoded = 'hello';
      expect(selection.encoded).to.equal('hello');
      const error = resolveError(selection);
      expect(error.code).to.equal(ErrorCode.CannotFindCertificate);
      expect(error.message).to.contain('SSLCertEncoded does not hold a certificate');
    });
  });
});
