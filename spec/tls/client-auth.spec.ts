import { expect } from 'chai';
import { pemBlocks } from '../../lib/tls/certificate';
import { applyRevocation, clientCertificateFields, judgeClientCertificate } from '../../lib/tls/client-auth';
import type { Revocation } from '../../lib/tls/revocation';
import { SUBJECTS, fixtureText } from './fixtures';

const der = (name: string) => pemBlocks(fixtureText(name))[0]!.der;

describe('tls/client-auth', () => {
  describe('judgeClientCertificate', () => {
    it('OK and accepted when OpenSSL verified the chain', () => {
      expect(judgeClientCertificate(true, null, 0)).to.deep.equal({ status: 'OK', accept: true });
    });

    it('says why in OpenSSL words, with the code, when it did not', () => {
      expect(judgeClientCertificate(true, 'CERT_HAS_EXPIRED', 0)).to.deep.equal({ status: 'certificate has expired (CERT_HAS_EXPIRED)', accept: false });
      expect(judgeClientCertificate(true, 'SOME_NEW_CODE', 0)).to.deep.equal({ status: 'some new code (SOME_NEW_CODE)', accept: false });
      expect(judgeClientCertificate(false, 'UNABLE_TO_GET_ISSUER_CERT', 0xffffffff)).to.deep.equal({ status: 'No client certificate was presented.', accept: false });
    });

    it('SSLSecurityFlags forgive only the verdicts their bit names', () => {
      const accepted = { status: 'OK', accept: true };
      expect(judgeClientCertificate(true, 'CERT_HAS_EXPIRED', 0x1)).to.deep.equal(accepted);
      expect(judgeClientCertificate(true, 'CERT_NOT_YET_VALID', 0x1)).to.deep.equal(accepted);
      expect(judgeClientCertificate(true, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0x10)).to.deep.equal(accepted);
      expect(judgeClientCertificate(true, 'DEPTH_ZERO_SELF_SIGNED_CERT', 0x10)).to.deep.equal(accepted);
      expect(judgeClientCertificate(true, 'INVALID_PURPOSE', 0x20)).to.deep.equal(accepted);
      expect(judgeClientCertificate(true, 'CERT_HAS_EXPIRED', 0x10).accept).to.equal(false);
      expect(judgeClientCertificate(true, 'CERT_REVOKED', 0x80000000 | 0x1 | 0x10 | 0x20).accept).to.equal(false);
      expect(judgeClientCertificate(true, 'CERT_SIGNATURE_FAILURE', 0x10).status).to.equal('certificate signature failure (CERT_SIGNATURE_FAILURE)');
    });
  });

  describe('with nothing trusted (no CA configured)', () => {
    it('refuses every presented certificate, saying why, whatever OpenSSL and SSLSecurityFlags say', () => {
      const why = 'no CA certificate is configured';
      const refused = { status: 'certificate not trusted: no CA certificate is configured (CERT_UNTRUSTED)', accept: false };
      expect(judgeClientCertificate(true, null, 0, why)).to.deep.equal(refused);
      expect(judgeClientCertificate(true, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 0x10, why)).to.deep.equal(refused);
      expect(judgeClientCertificate(false, null, 0, why)).to.deep.equal({ status: 'No client certificate was presented.', accept: false });
    });
  });

  describe('applyRevocation (SSLCheckCRL)', () => {
    const ok = { status: 'OK', accept: true };
    const good: Revocation = { state: 'good', source: 'the CRL from http://ca/crl' };
    const revoked: Revocation = { state: 'revoked', serial: '2001', entry: { date: new Date('2026-01-02T03:04:05Z'), reason: 'keyCompromise' }, source: 'the CRL from http://ca/crl' };
    const unknown: Revocation = { state: 'unknown', reason: 'http://ca/crl: ECONNREFUSED' };

    it('a good certificate keeps its verdict', () => {
      expect(applyRevocation(ok, good, 2, 0)).to.deep.equal({ ...ok, note: 'Not revoked according to the CRL from http://ca/crl.' });
    });

    it('a revoked one is refused with a status that says so, in either mode and whatever the flags', () => {
      for (const mode of [1, 2] as const) {
        expect(applyRevocation(ok, revoked, mode, 0xffffffff)).to.deep.equal({
          status: 'certificate revoked (CERT_REVOKED): serial 2001 revoked on 2026-01-02T03:04:05.000Z, reason keyCompromise, according to the CRL from http://ca/crl',
          accept: false,
          note: 'Revoked according to the CRL from http://ca/crl.',
        });
      }
      const noReason: Revocation = { ...revoked, entry: { date: new Date(0), reason: null } };
      expect(applyRevocation(ok, noReason, 1, 0).status).to.equal('certificate revoked (CERT_REVOKED): serial 2001 revoked on 1970-01-01T00:00:00.000Z, according to the CRL from http://ca/crl');
    });

    it('unknown: mode 1 accepts as before, mode 2 refuses unless 0x100/0x400/0x800 forgive it', () => {
      const note = 'Revocation status unknown: http://ca/crl: ECONNREFUSED.';
      expect(applyRevocation(ok, unknown, 1, 0)).to.deep.equal({ ...ok, note });
      expect(applyRevocation(ok, unknown, 2, 0)).to.deep.equal({ status: 'unable to get certificate CRL (UNABLE_TO_GET_CRL): http://ca/crl: ECONNREFUSED', accept: false, note });
      for (const flag of [0x100, 0x400, 0x800]) expect(applyRevocation(ok, unknown, 2, flag)).to.deep.equal({ ...ok, note });
    });
  });

  describe('clientCertificateFields', () => {
    it('the leaf as base64 DER, its subject and issuer', () => {
      const leaf = der('client.crt');
      expect(clientCertificateFields([leaf, der('ca.crt')], false)).to.deep.equal({
        certEncoded: leaf.toString('base64'),
        certEncodedB: Buffer.from(leaf.toString('base64'), 'latin1'),
        certSubject: SUBJECTS.client,
        certIssuer: SUBJECTS.ca,
      });
    });

    it('the chain as PEM blocks with SSLIncludeCertChain', () => {
      const fields = clientCertificateFields([der('client.crt'), der('ca.crt')], true);
      expect(pemBlocks(fields.certEncoded).map((b) => b.der)).to.deep.equal([der('client.crt'), der('ca.crt')]);
      expect(fields.certEncodedB).to.deep.equal(Buffer.from(fields.certEncoded, 'latin1'));
      expect(clientCertificateFields([der('client.crt')], true).certEncoded).to.equal(der('client.crt').toString('base64'));
    });

    it('empty fields without a certificate', () => {
      expect(clientCertificateFields([], true)).to.deep.equal({ certEncoded: '', certEncodedB: Buffer.alloc(0), certSubject: '', certIssuer: '' });
    });
  });
});
