import { expect } from 'chai';
import { isIPv6 } from 'node:net';
import { formatIPv4, formatIPv6, isIPv4Mapped, parseIPv4, parseIPv6 } from '../../lib/protocol/ip-text';

describe('ip-text', () => {
  describe('parseIPv4', () => {
    it('reads dotted quads', () => {
      expect([...parseIPv4('192.168.0.1')!]).to.deep.equal([192, 168, 0, 1]);
      expect([...parseIPv4('0.0.0.0')!]).to.deep.equal([0, 0, 0, 0]);
      expect([...parseIPv4('255.255.255.255')!]).to.deep.equal([255, 255, 255, 255]);
    });

    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1..3.4', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.+4', '0x1.2.3.4', '1.2.3.4/8']) {
      it(`refuses ${JSON.stringify(bad)}`, () => expect(parseIPv4(bad)).to.equal(null));
    }
  });

  describe('parseIPv6', () => {
    const cases: Array<[string, string]> = [
      ['::', '::'],
      ['::1', '::1'],
      ['2001:DB8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['fe80::1:2', 'fe80::1:2'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1::', '1::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
      ['::ffff:10.0.0.1', '10.0.0.1'],
      ['::ffff:a00:1', '10.0.0.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [text, formatted] of cases) {
      it(`reads ${text} and writes it as ${formatted}`, () => {
        const bytes = parseIPv6(text);
        expect(bytes).to.not.equal(null);
        expect(formatIPv6(bytes!)).to.equal(formatted);
      });
    }

    for (const bad of ['', ':', ':1', '1:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '1:::2', '12345::', 'g::1', '::1.2.3', '1.2.3.4::', '::1.2.3.4:1', '::1%eth0', '[::1]', '1:2:3:4:5:6:7::8:9', '1:2:3:4:5:6:7:8::']) {
      it(`refuses ${JSON.stringify(bad)} (as node:net does)`, () => {
        expect(parseIPv6(bad)).to.equal(null);
        if (!bad.includes('%')) expect(isIPv6(bad)).to.equal(false);
      });
    }

    it('agrees with node:net on every address it accepts here', () => {
      for (const [text] of cases) expect(isIPv6(text), text).to.equal(true);
    });
  });

  describe('formatting', () => {
    it('writes IPv4 at an offset', () => {
      expect(formatIPv4(Uint8Array.from([9, 127, 0, 0, 1]), 1)).to.equal('127.0.0.1');
    });

    it('tells IPv4-mapped addresses apart', () => {
      expect(isIPv4Mapped(parseIPv6('::ffff:1.2.3.4')!)).to.equal(true);
      expect(isIPv4Mapped(parseIPv6('::1.2.3.4')!)).to.equal(false);
      expect(formatIPv6(parseIPv6('::1.2.3.4')!)).to.equal('::102:304');
    });

    it('writes the first of two equal zero runs as ::', () => {
      expect(formatIPv6(parseIPv6('1:0:0:2:3:0:0:4')!)).to.equal('1::2:3:0:0:4');
    });
  });
});
