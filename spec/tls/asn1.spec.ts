import { expect } from 'chai';
import { Asn1Error, Asn1LimitError, Asn1Limits, Tag, children, elements, expect as expectTag, fields, octets, oid, readElement, smallInteger, text } from '../../lib/tls/asn1';

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

  describe('elements and fields', () => {
    it('walk a list one element at a time and stop where the caller stops', () => {
      // The third element runs past the end: a walk that stops before it never reads it.
      const list = hex('02 01 01 02 01 02 04 7f');
      const seen: number[] = [];
      for (const element of elements(list)) {
        seen.push(smallInteger(element));
        if (seen.length === 2) break;
      }
      expect(seen).to.deep.equal([1, 2]);
      expect(fields(list, 2).map(smallInteger)).to.deep.equal([1, 2]);
      const [first, second] = elements(list);
      expect([first, second].map((e) => smallInteger(e!))).to.deep.equal([1, 2]);
      expect(() => children(list)).to.throw(Asn1Error, 'past the end');
    });

    it('fields gives fewer when there are fewer, none for a count of 0', () => {
      const element = readElement(hex('30 03 02 01 07'));
      expect(fields(element, 3)).to.have.length(1);
      expect(fields(element, 0)).to.have.length(0);
    });

    it('an element knows its size and content length without copying', () => {
      const ok = readElement(Buffer.concat([hex('04 82 0100'), Buffer.alloc(256)]));
      expect(ok.size).to.equal(260);
      expect(ok.contentLength).to.equal(256);
      expect(ok.end).to.equal(260);
    });
  });

  describe('nesting caps (Asn1Limits)', () => {
    it(`reads indefinite lengths nested ${Asn1Limits.maxDepth} deep and refuses one level more`, () => {
      const nest = (levels: number) => Buffer.concat([Buffer.alloc(levels * 2).fill(hex('30 80')), Buffer.alloc(levels * 2)]);
      expect(readElement(nest(Asn1Limits.maxDepth)).size).to.equal(Asn1Limits.maxDepth * 4);
      expect(() => readElement(nest(Asn1Limits.maxDepth + 1)))
        .to.throw(Asn1LimitError, `indefinite-length elements nest deeper than the cap of ${Asn1Limits.maxDepth} levels (Asn1Limits.maxDepth)`);
    });

    it('joins constructed strings nested up to the cap and refuses deeper ones', () => {
      const nest = (levels: number) => {
        let piece = hex('04 01 aa');
        for (let i = 0; i < levels; i++) piece = Buffer.concat([Buffer.from([0x24, piece.length]), piece]);
        return readElement(piece);
      };
      expect(octets(nest(Asn1Limits.maxDepth))).to.deep.equal(hex('aa'));
      expect(() => octets(nest(Asn1Limits.maxDepth + 1))).to.throw(Asn1LimitError, 'constructed strings nest deeper than the cap');
    });

    it('refuses a constructed OCTET STRING with a piece of another type', () => {
      expect(() => octets(readElement(hex('24 05 04 01 aa 05 00')))).to.throw(Asn1Error, 'not an OCTET STRING');
    });
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
