import { expect } from 'chai';
import { DerCursor, DerError, DerTag, derBoolean, derIntegerHex, derOid, derTime, readTlv } from '../../lib/tls/der';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

describe('tls/der', () => {
  describe('readTlv', () => {
    it('reads short and long definite lengths, as views of the input', () => {
      const short = readTlv(hex('04 03 616263 ff'));
      expect([short.tag, short.content.toString(), short.raw.length]).to.deep.equal([DerTag.OctetString, 'abc', 5]);
      const body = Buffer.alloc(300, 7);
      const long = readTlv(Buffer.concat([hex('30 82 012c'), body]));
      expect([long.tag, long.content.length, long.raw.length]).to.deep.equal([0x30, 300, 304]);
    });

    it('refuses what DER forbids: indefinite, non-minimal and over-long lengths, truncation, high tags', () => {
      for (const [input, message] of [
        ['30 80 0000', 'bad length'],
        ['04 81 05 0102030405', 'bad length'],
        ['04 82 0005 0102030405', 'bad length'],
        ['04 85 0000000001 00', 'bad length'],
        ['04 05 0102', 'truncated element'],
        ['04', 'truncated element'],
        ['1f 81 00 00', 'high tag number'],
      ] as const) {
        expect(() => readTlv(hex(input)), input).to.throw(DerError, message);
      }
    });
  });

  it('DerCursor walks elements one at a time, checking tags', () => {
    const walk = new DerCursor(hex('02 01 05 04 00 a0 00'));
    expect(derIntegerHex(walk.next(DerTag.Integer))).to.equal('5');
    expect(walk.optional(DerTag.Integer)).to.equal(undefined);
    expect(walk.next(DerTag.OctetString).content.length).to.equal(0);
    expect(() => walk.next(DerTag.Sequence, 'extensions')).to.throw(DerError, 'extensions: tag 0xa0 instead of 0x30');
    expect(walk.optional(0xa0)!.tag).to.equal(0xa0);
    expect(walk.done).to.equal(true);
    expect(() => walk.next(undefined, 'issuer')).to.throw(DerError, 'issuer missing');
  });

  it('derOid decodes dotted forms, multi-byte arcs included', () => {
    expect(derOid(readTlv(hex('06 03 551d1f')))).to.equal('2.5.29.31');
    expect(derOid(readTlv(hex('06 09 2a864886f70d01010b')))).to.equal('1.2.840.113549.1.1.11');
    expect(() => derOid(readTlv(hex('06 02 2a86')))).to.throw(DerError, 'OID cut short');
  });

  it('derTime reads UTCTime (50 and above is 19YY) and GeneralizedTime in the Z form', () => {
    const utc = (text: string) => derTime(readTlv(Buffer.concat([Buffer.from([DerTag.UtcTime, text.length]), Buffer.from(text)])));
    const general = (text: string) => derTime(readTlv(Buffer.concat([Buffer.from([DerTag.GeneralizedTime, text.length]), Buffer.from(text)])));
    expect(utc('491231235959Z').toISOString()).to.equal('2049-12-31T23:59:59.000Z');
    expect(utc('500101000000Z').toISOString()).to.equal('1950-01-01T00:00:00.000Z');
    expect(general('21280229120000Z').toISOString()).to.equal('2128-02-29T12:00:00.000Z');
    for (const bad of ['2601010000Z', '260101000000+0100', '261301000000Z', '260230000000Z']) expect(() => utc(bad), bad).to.throw(DerError, 'bad time');
  });

  it('derIntegerHex gives serials without leading zeros; derBoolean reads DER booleans', () => {
    expect(derIntegerHex(readTlv(hex('02 03 00ff01')))).to.equal('FF01');
    expect(derIntegerHex(readTlv(hex('02 01 00')))).to.equal('0');
    expect(derBoolean(readTlv(hex('01 01 ff')))).to.equal(true);
    expect(derBoolean(readTlv(hex('01 01 00')))).to.equal(false);
    expect(() => derBoolean(readTlv(hex('02 01 ff')))).to.throw(DerError, 'not a BOOLEAN');
  });
});
