import { expect } from 'chai';
import { pemBlocks } from '../../lib/tls/certificate';
import { clientCertificateFields, judgeClientCertificate } from '../../lib/tls/client-auth';
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
