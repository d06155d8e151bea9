import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { CrlError, crlSignedBy, crlsFrom, crlTimeProblem, parseCrl } from '../../lib/tls/crl';
import { makeCrlMaterial, type CrlMaterial } from './crl-material';

describe('tls/crl', () => {
  let m: CrlMaterial;
  before(() => (m = makeCrlMaterial('http://127.0.0.1:9/ca.crl')));
  after(() => m?.remove());

  const certificate = (name: string) => new X509Certificate(m.bytes(name));

  it('reads the issuer, the dates and the revoked serials of `openssl ca -gencrl` output', () => {
    const crl = parseCrl(m.bytes('crl.der'));
    const ca = certificate('crl-ca.crt');
    const revoked = certificate('crl-client-revoked.crt');
    // The issuer Name as DER: the CA's subject, byte for byte.
    expect(crl.issuer[0]).to.equal(0x30);
    expect(m.der('crl-ca.crt').includes(crl.issuer)).to.equal(true);
    expect([...crl.revoked.keys()]).to.deep.equal([revoked.serialNumber.toUpperCase()]);
    expect(crl.revoked.get(revoked.serialNumber.toUpperCase())!.reason).to.equal('keyCompromise');
    expect(crl.revoked.has(certificate('crl-client-good.crt').serialNumber.toUpperCase())).to.equal(false);
    expect(crl.nextUpdate!.getTime() - crl.thisUpdate.getTime()).to.equal(30 * 24 * 3600 * 1000);
    expect([crl.unusable, crl.scope]).to.deep.equal([null, null]);
    expect(ca.subject).to.contain('CRL Test CA');
  });

  it('crlsFrom takes PEM blocks, else the bytes as one DER CRL', () => {
    const pem = m.bytes('crl.pem');
    expect(crlsFrom(pem)).to.deep.equal([m.bytes('crl.der')]);
    expect(crlsFrom(Buffer.concat([pem, Buffer.from('text between\n'), m.bytes('crl-rsa.pem')]))).to.have.length(2);
    expect(crlsFrom(m.bytes('crl.der'))).to.deep.equal([m.bytes('crl.der')]);
  });

  it("crlSignedBy checks the signature with the issuer's key (ECDSA and RSA)", () => {
    expect(crlSignedBy(parseCrl(crlsFrom(m.bytes('crl.pem'))[0]!), certificate('crl-ca.crt'))).to.equal(true);
    expect(crlSignedBy(parseCrl(crlsFrom(m.bytes('crl-rsa.pem'))[0]!), certificate('crl-rsa-ca.crt'))).to.equal(true);
    // Same issuer name, another key.
    const forged = parseCrl(crlsFrom(m.bytes('crl-forged.pem'))[0]!);
    expect(forged.issuer).to.deep.equal(parseCrl(m.bytes('crl.der')).issuer);
    expect(crlSignedBy(forged, certificate('crl-ca.crt'))).to.equal(false);
    // A key of the other type.
    expect(crlSignedBy(parseCrl(crlsFrom(m.bytes('crl-rsa.pem'))[0]!), certificate('crl-ca.crt'))).to.equal(false);
  });

  it('crlTimeProblem says when a CRL is expired or not yet valid', () => {
    const expired = parseCrl(crlsFrom(m.bytes('crl-expired.pem'))[0]!);
    expect(crlTimeProblem(expired, new Date())).to.equal('it expired at 2020-01-02T00:00:00.000Z');
    expect(crlTimeProblem(expired, new Date('2020-01-01T12:00:00Z'))).to.equal(null);
    expect(crlTimeProblem(expired, new Date('2019-12-31T23:59:59Z'))).to.equal('it is not valid before 2020-01-01T00:00:00.000Z');
  });

  it('refuses what is not a CRL, and a signature altered after the fact', () => {
    expect(() => parseCrl(Buffer.from('not a crl'))).to.throw(CrlError, /^not a CRL/);
    expect(() => parseCrl(m.der('crl-ca.crt'))).to.throw(CrlError, /^not a CRL/);
    expect(() => parseCrl(Buffer.concat([m.bytes('crl.der'), Buffer.from([0])]))).to.throw(CrlError, 'not a CRL (trailing or missing bytes)');
    const altered = Buffer.from(m.bytes('crl.der'));
    altered[altered.length - 3]! ^= 0x01;
    expect(crlSignedBy(parseCrl(altered), certificate('crl-ca.crt'))).to.equal(false);
  });
});
