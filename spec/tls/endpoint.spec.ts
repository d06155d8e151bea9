import { expect } from 'chai';
import { ErrorCode } from '../../lib/generated/api';
import { WSServerError } from '../../lib/server/errors';
import type { SSLConnectionRequestEvent } from '../../lib/server/events';
import { Settings } from '../../lib/server/settings';
import { CertificateSelection } from '../../lib/tls/cert-selection';
import { Endpoints } from '../../lib/tls/endpoint';
import { tlsSettings } from '../../lib/tls/tls-options';
import { PASSWORD, SUBJECTS, fixturePath } from './fixtures';

function rsaSelection(): CertificateSelection {
  const selection = new CertificateSelection();
  selection.storeType = 2;
  selection.store = fixturePath('server-rsa.pfx');
  selection.password = PASSWORD;
  selection.subject = '*';
  return selection;
}

function request(out: Partial<SSLConnectionRequestEvent> = {}): SSLConnectionRequestEvent {
  return { connectionId: 1, supportedCipherSuites: '', supportedSignatureAlgs: '', certStoreType: 2, certStore: '', certPassword: '', certSubject: '', ...out };
}

function thrownBy(fn: () => unknown): WSServerError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(WSServerError);
    return error as WSServerError;
  }
  throw new Error('did not throw');
}

describe('tls/endpoint', () => {
  const settings = tlsSettings(new Settings({}), false);

  it("makes the server's own secure context at once", () => {
    const selection = rsaSelection();
    const endpoints = new Endpoints(selection, selection.resolve()!, settings);
    expect(endpoints.own.chosen.certificate.subject).to.equal(SUBJECTS.serverRsa);
    expect(endpoints.own.context).to.have.property('context');
  });

  it('an option OpenSSL refuses fails there, with 273', () => {
    const selection = rsaSelection();
    const refused = { ...settings, options: { ...settings.options, ciphers: 'NOT-A-CIPHER' } };
    const error = thrownBy(() => new Endpoints(selection, selection.resolve()!, refused));
    expect(error.code).to.equal(ErrorCode.CannotAcquireCredentials);
    expect(error.message).to.match(/no cipher match/i);
  });

  it("SSLConnectionRequest left alone keeps the server's own; one it names is opened once and then reused", () => {
    const selection = rsaSelection();
    const endpoints = new Endpoints(selection, selection.resolve()!, settings);
    expect(endpoints.forRequest(request())).to.equal(endpoints.own);
    const named = request({ certStore: fixturePath('server-ecdsa.pfx'), certPassword: PASSWORD, certSubject: '*' });
    const ecdsa = endpoints.forRequest(named);
    expect(ecdsa.chosen.certificate.subject).to.equal(SUBJECTS.serverEcdsa);
    expect(endpoints.forRequest({ ...named })).to.equal(ecdsa);
  });

  it("a subject alone searches the server's own store, with its password", () => {
    const selection = new CertificateSelection();
    selection.storeType = 6;
    selection.store = fixturePath('two-servers.pem');
    selection.subject = 'CN=localhost';
    const endpoints = new Endpoints(selection, selection.resolve()!, settings);
    expect(endpoints.forRequest(request({ certStoreType: 6, certSubject: 'OU=ECDSA' })).chosen.certificate.subject).to.equal(SUBJECTS.serverEcdsa);
  });

  it("names the store's trouble: 271 a wrong password, 272 no matching subject", () => {
    const selection = rsaSelection();
    const endpoints = new Endpoints(selection, selection.resolve()!, settings);
    expect(thrownBy(() => endpoints.forRequest(request({ certStore: fixturePath('server-ecdsa.pfx'), certPassword: 'wrong' }))).code).to.equal(ErrorCode.CannotOpenCertStore);
    const missing = thrownBy(() => endpoints.forRequest(request({ certSubject: 'CN=nobody' })));
    expect([missing.code, missing.message]).to.deep.equal([ErrorCode.CannotFindCertificate, `${missing.message.split(' No ')[0]} No certificate matches the subject "CN=nobody".`]);
  });
});
