import { expect } from 'chai';
import { Asn1Error, Tag, children, expect as expectTag, octets, oid, readElement, smallInteger, text } from '../../lib/tls/asn1';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('tls/asn1', () => {
  describe('readElement', () => {
    it('reads a short-form element and points at its content', () => {
      const element = readElement(hex('04 03 010203 ff'));
      expect(element.tag).to.equal(Tag.OctetString);
      expect(element.constructed).to.equal(false);
      expect(element.content).to.deep.equal(hex('010203'));
      expect(element.raw).to.deep.equal(hex('04 03 010203'));
    });

    it('reads long-form lengths', () => {
      const body = Buffer.alloc(300, 7);
      const element = readElement(Buffer.concat([hex('04 82 012c'), body]));
      expect(element.content.length).to.equal(300);
      expect(element.raw.length).to.equal(304);
    });

    it('reads BER indefinite lengths up to the end-of-contents marker', () => {
      const element = readElement(hex('30 80 02 01 05 04 01 aa 00 00 ff'));
      expect(element.tag).to.equal(Tag.Sequence);
      expect(element.content).to.deep.equal(hex('02 01 05 04 01 aa'));
      expect(element.raw.length).to.equal(10);
      expect(children(element).map((e) => e.tag)).to.deep.equal([Tag.Integer, Tag.OctetString]);
    });

    it('refuses truncated input, lengths past the end and indefinite primitives', () => {
      expect(() => readElement(hex('04'))).to.throw(Asn1Error, 'truncated');
      expect(() => readElement(hex('04 05 0102'))).to.throw(Asn1Error, 'past the end');
      expect(() => readElement(hex('04 80 00 00'))).to.throw(Asn1Error, 'indefinite length on a primitive');
      expect(() => readElement(hex('30 80 02 01 05'))).to.throw(Asn1Error);
      expect(() => readElement(hex('1f 81 01 00'))).to.throw(Asn1Error, 'high tag');
    });
  });

  it('children lists the elements of a constructed element in order', () => {
    const list = children(readElement(hex('30 08 02 01 03 06 03 2a 86 48')));
    expect(list).to.have.length(2);
    expect(smallInteger(list[0]!)).to.equal(3);
    expect(oid(list[1]!)).to.equal('1.2.840');
  });

  it('oid decodes multi-byte arcs (rsaEncryption, commonName)', () => {
    expect(oid(readElement(hex('06 09 2a 86 48 86 f7 0d 01 01 01')))).to.equal('1.2.840.113549.1.1.1');
    expect(oid(readElement(hex('06 03 55 04 03')))).to.equal('2.5.4.3');
    expect(oid(readElement(hex('06 03 88 37 03')))).to.equal('2.999.3');
  });

  it('octets joins the pieces of a constructed (BER) OCTET STRING', () => {
    const element = readElement(hex('24 80 04 02 0102 04 01 03 00 00'));
    expect(octets(element)).to.deep.equal(hex('010203'));
    expect(expectTag(element, Tag.OctetString, 'x')).to.equal(element);
  });

  it('expect names what was missing or mistagged', () => {
    expect(() => expectTag(undefined, Tag.Sequence, 'macData')).to.throw(Asn1Error, 'macData is missing');
    expect(() => expectTag(readElement(hex('02 01 00')), Tag.Sequence, 'PFX')).to.throw(Asn1Error, 'PFX: expected tag 0x30, found 0x2');
  });

  it('smallInteger refuses negative and huge integers', () => {
    expect(smallInteger(readElement(hex('02 02 08 00')))).to.equal(2048);
    expect(() => smallInteger(readElement(hex('02 01 80')))).to.throw(Asn1Error, 'out of range');
    expect(() => smallInteger(readElement(hex('02 07 01 00 00 00 00 00 00')))).to.throw(Asn1Error, 'out of range');
  });

  it('text decodes UTF8String, BMPString and T61String', () => {
    expect(text(readElement(hex('0c 03 5a c3 bc')))).to.equal('Zü');
    expect(text(readElement(hex('1e 06 00 41 00 e9 20 ac')))).to.equal('Aé€');
    expect(text(readElement(hex('14 02 41 e9')))).to.equal('Aé');
  });
});
