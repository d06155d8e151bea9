import { expect } from 'chai';
import { Asn1Error, readElement } from '../../lib/tls/asn1';
import {
  certificateNames,
  certificatesFrom,
  derToPem,
  formatName,
  isBase64Text,
  normalizeSubject,
  pemBlocks,
} from '../../lib/tls/certificate';
import { SUBJECTS, fixture, fixtureText } from './fixtures';

/** DER of one element (short lengths only: enough for the names built here). */
function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
}
const attribute = (oidHex: string, tag: number, value: string) =>
  der(0x31, der(0x30, der(0x06, Buffer.from(oidHex, 'hex')), der(tag, Buffer.from(value, 'utf8'))));

describe('tls/certificate', () => {
  describe('certificateNames', () => {
    it('writes subject and issuer most specific part first, with the reference field names', () => {
      expect(certificateNames(fixture('server-rsa.der'))).to.deep.equal({ subject: SUBJECTS.serverRsa, issuer: SUBJECTS.ca });
      const ecdsa = pemBlocks(fixtureText('server-ecdsa.crt'))[0]!.der;
      expect(certificateNames(ecdsa).subject).to.equal(SUBJECTS.serverEcdsa);
      const ca = pemBlocks(fixtureText('ca.crt'))[0]!.der;
      expect(certificateNames(ca)).to.deep.equal({ subject: SUBJECTS.ca, issuer: SUBJECTS.ca });
    });

    it('refuses what is not a certificate', () => {
      expect(() => certificateNames(Buffer.from('3003020101', 'hex'))).to.throw(Asn1Error);
    });
  });

  describe('formatName', () => {
    it('quotes values with separators and maps E, S and unknown types', () => {
      const name = der(
        0x30,
        attribute('550406', 0x13, 'US'),
        attribute('550408', 0x0c, 'NY'),
        attribute('55040a', 0x0c, 'Smith, Jones "and" Co'),
        attribute('2a864886f70d010901', 0x16, 'a@b.example'),
        attribute('2b0601040182371402', 0x0c, 'x'),
      );
      expect(formatName(readElement(name))).to.equal('1.3.6.1.4.1.311.20.2=x, E=a@b.example, O="Smith, Jones ""and"" Co", S=NY, C=US');
    });

    it('joins the attributes of a multi-valued RDN with +', () => {
      const rdn = der(0x31, der(0x30, der(0x06, Buffer.from('550403', 'hex')), der(0x0c, Buffer.from('a'))), der(0x30, der(0x06, Buffer.from('55040b', 'hex')), der(0x0c, Buffer.from('b'))));
      expect(formatName(readElement(der(0x30, rdn)))).to.equal('CN=a + OU=b');
    });
  });

  it('normalizeSubject ignores case and spacing around separators', () => {
    expect(normalizeSubject(' CN = LocalHost ,O=X ')).to.equal('cn=localhost,o=x');
    expect(normalizeSubject(SUBJECTS.serverRsa)).to.equal('cn=localhost,o=wsserver-compat tests,c=us');
  });

  describe('PEM and base64', () => {
    it('pemBlocks finds every block, ignoring text around them', () => {
      const blocks = pemBlocks(`intro\n${fixtureText('server-rsa.key-and-cert.pem')}\ntrailer`);
      expect(blocks.map((b) => b.label)).to.deep.equal(['PRIVATE KEY', 'CERTIFICATE']);
      expect(blocks[1]!.der).to.deep.equal(fixture('server-rsa.der'));
    });

    it('pemBlocks skips RFC 1421 headers of legacy encrypted keys', () => {
      const body = Buffer.from('hello world!').toString('base64');
      const text = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${body}\n-----END RSA PRIVATE KEY-----\n`;
      const [block] = pemBlocks(text);
      expect(block!.der.toString()).to.equal('hello world!');
      expect(block!.text).to.equal(text.trimEnd());
    });

    it('derToPem and certificatesFrom round-trip PEM, base64 and DER', () => {
      const der = fixture('server-rsa.der');
      expect(certificatesFrom(Buffer.from(derToPem(der)))).to.deep.equal([der]);
      expect(certificatesFrom(Buffer.from(der.toString('base64')))).to.deep.equal([der]);
      expect(certificatesFrom(der)).to.deep.equal([der]);
      expect(certificatesFrom(fixture('two-servers.pem'))).to.have.length(2);
    });

    it('certificatesFrom refuses PEM without certificates and bytes that are not one', () => {
      expect(() => certificatesFrom(fixture('server-rsa.key'))).to.throw(Asn1Error, 'no CERTIFICATE block');
      expect(() => certificatesFrom(Buffer.from('not a certificate'))).to.throw(Asn1Error, 'not a certificate');
    });

    it('isBase64Text accepts only complete base64', () => {
      expect(isBase64Text('QUJD\nREVG')).to.equal(true);
      expect(isBase64Text('QUJDRA==')).to.equal(true);
      expect(isBase64Text('QUJDR')).to.equal(false);
      expect(isBase64Text('-----BEGIN')).to.equal(false);
      expect(isBase64Text('')).to.equal(false);
    });
  });
});
