import { expect } from 'chai';
import { CRL_SIGN, revocationFields } from '../../lib/tls/cert-extensions';
import { parseCrl } from '../../lib/tls/crl';
import { DerError } from '../../lib/tls/der';
import { fixture, fixtureText } from './fixtures';
import { makeCrlMaterial, type CrlMaterial } from './crl-material';

const pemDer = (text: string) => Buffer.from(text.split('-----')[2]!.replace(/\s/g, ''), 'base64');

describe('tls/cert-extensions', () => {
  let m: CrlMaterial;
  before(() => (m = makeCrlMaterial('http://127.0.0.1:9/ca.crl')));
  after(() => m?.remove());

  it("a client certificate's http: distribution point and issuer Name (as its CRL names it)", () => {
    const fields = revocationFields(m.der('crl-client-good.crt'));
    expect(fields.distributionPoints).to.deep.equal(['http://127.0.0.1:9/ca.crl']);
    expect(fields.issuer).to.deep.equal(parseCrl(m.bytes('crl.der')).issuer);
    expect([...fields.keyUsage!]).to.deep.equal([0]); // digitalSignature
  });

  it('a CA certificate has cRLSign; a certificate without the extensions has no points and no key usage', () => {
    expect(revocationFields(m.der('crl-ca.crt')).keyUsage!.has(CRL_SIGN)).to.equal(true);
    expect(revocationFields(pemDer(fixtureText('client.crt'))).distributionPoints).to.deep.equal([]);
    expect(revocationFields(pemDer(fixtureText('ca.crt'))).keyUsage!.has(CRL_SIGN)).to.equal(true);
  });

  it('refuses what is not a certificate', () => {
    expect(() => revocationFields(fixture('PASSWORD.txt'))).to.throw(DerError);
  });
});
