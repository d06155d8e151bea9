import { expect } from 'chai';
import {
  formatClosePayload,
  isSendableCloseCode,
  isValidReceivedCloseCode,
  parseClosePayload,
  truncateUtf8,
} from '../../lib/protocol/close';
import { ProtocolError } from '../../lib/protocol/errors';

/** The RFC 6455 §7.4 rule, written out range by range independently of the implementation. */
function expectedValid(code: number): boolean {
  if (code <= 999) return false; // §7.4.2: not used
  if (code <= 1003) return true; // 1000 normal, 1001 going away, 1002 protocol error, 1003 unsupported data
  if (code <= 1006) return false; // 1004 reserved, 1005 no status, 1006 abnormal
  if (code <= 1014) return true; // 1007..1011 (RFC), 1012..1014 (IANA registry)
  if (code <= 2999) return false; // 1015 TLS handshake, the rest reserved for the protocol
  if (code <= 4999) return true; // registered and private use
  return false;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectProtocolError(fn: () => unknown, closeCode: number, code: string, label = ''): void {
  const error = catchError(fn);
  expect(error, label).to.be.instanceOf(ProtocolError);
  expect((error as ProtocolError).closeCode, label).to.equal(closeCode);
  expect((error as ProtocolError).code, label).to.equal(code);
}

function codeBytes(code: number): number[] {
  return [code >> 8, code & 0xff];
}

describe('protocol/close', () => {
  describe('close code rules (§7.4)', () => {
    it('classifies every code 0..5000 like the per-range expectation', () => {
      let validCount = 0;
      for (let code = 0; code <= 5000; code++) {
        expect(isValidReceivedCloseCode(code), `received ${code}`).to.equal(expectedValid(code));
        expect(isSendableCloseCode(code), `sendable ${code}`).to.equal(expectedValid(code));
        if (expectedValid(code)) validCount++;
      }
      // 4 + 8 + 2000: guards the expectation itself.
      expect(validCount).to.equal(2012);
    });

    it('names the boundary codes explicitly', () => {
      for (const code of [1000, 1003, 1007, 1011, 1012, 1014, 3000, 4999]) {
        expect(isValidReceivedCloseCode(code), String(code)).to.equal(true);
      }
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
        expect(isValidReceivedCloseCode(code), String(code)).to.equal(false);
        expect(isSendableCloseCode(code), String(code)).to.equal(false);
      }
    });

    it('rejects numbers that are not integers', () => {
      for (const code of [1000.5, Number.NaN, Number.POSITIVE_INFINITY, -1000]) {
        expect(isValidReceivedCloseCode(code), String(code)).to.equal(false);
        expect(isSendableCloseCode(code), String(code)).to.equal(false);
      }
    });
  });

  describe('parseClosePayload', () => {
    it('reads an empty payload as 1005 (no status) with an empty reason', () => {
      expect(parseClosePayload(new Uint8Array(0))).to.deep.equal({ code: 1005, reason: '' });
    });

    it('fails a 1-byte payload with 1002 WSS_ERR_CLOSE_PAYLOAD', () => {
      expectProtocolError(() => parseClosePayload(Uint8Array.of(0x03)), 1002, 'WSS_ERR_CLOSE_PAYLOAD');
    });

    it('reads the code big-endian and the reason as UTF-8', () => {
      expect(parseClosePayload(Uint8Array.of(0x03, 0xe8, 0x62, 0x79, 0x65))).to.deep.equal({ code: 1000, reason: 'bye' });
      expect(parseClosePayload(Uint8Array.of(0x0f, 0xa0))).to.deep.equal({ code: 4000, reason: '' });
      const reason = 'κόσμε €𐍈';
      const payload = Uint8Array.from([...codeBytes(4999), ...Buffer.from(reason, 'utf8')]);
      expect(parseClosePayload(payload)).to.deep.equal({ code: 4999, reason });
    });

    it('keeps a leading byte order mark in the reason', () => {
      const payload = Uint8Array.of(0x03, 0xe8, 0xef, 0xbb, 0xbf, 0x61);
      expect(parseClosePayload(payload)).to.deep.equal({ code: 1000, reason: '\ufeffa' });
    });

    it('reads a payload that is a view into a larger buffer', () => {
      const backing = Uint8Array.of(0xff, 0xff, 0x03, 0xe9, 0x6f, 0x6b, 0xff);
      const view = new Uint8Array(backing.buffer, 2, 4);
      expect(parseClosePayload(view)).to.deep.equal({ code: 1001, reason: 'ok' });
    });

    it('accepts on the wire exactly the codes a peer may send (0..5100, then samples up to 65535)', () => {
      const codes: number[] = [];
      for (let code = 0; code <= 5100; code++) codes.push(code);
      for (let code = 5101; code <= 0xffff; code += 251) codes.push(code);
      codes.push(0xffff);
      for (const code of codes) {
        const payload = Uint8Array.from(codeBytes(code));
        if (expectedValid(code)) {
          expect(parseClosePayload(payload).code, String(code)).to.equal(code);
        } else {
          expectProtocolError(() => parseClosePayload(payload), 1002, 'WSS_ERR_CLOSE_CODE', String(code));
        }
      }
    });

    it('fails 1005, 1006 and 1015 on the wire with 1002 WSS_ERR_CLOSE_CODE', () => {
      for (const code of [1005, 1006, 1015]) {
        expectProtocolError(() => parseClosePayload(Uint8Array.from([...codeBytes(code), 0x61])), 1002, 'WSS_ERR_CLOSE_CODE');
      }
    });

    it('fails a reason that is not UTF-8 with 1007 WSS_ERR_INVALID_UTF8', () => {
      const cases = {
        surrogate: [0xce, 0xba, 0xed, 0xa0, 0x80],
        overlong: [0xc0, 0xaf],
        'truncated character': [0x61, 0xe2, 0x82],
        'byte FF': [0xff],
      };
      for (const [name, reason] of Object.entries(cases)) {
        const payload = Uint8Array.from([...codeBytes(1000), ...reason]);
        expectProtocolError(() => parseClosePayload(payload), 1007, 'WSS_ERR_INVALID_UTF8', name);
      }
    });

    it('reports a bad code before a bad reason', () => {
      expectProtocolError(() => parseClosePayload(Uint8Array.of(0x03, 0xed, 0xff)), 1002, 'WSS_ERR_CLOSE_CODE');
    });
  });

  describe('formatClosePayload', () => {
    it('writes 1000 "bye" as 03 e8 62 79 65', () => {
      expect([...formatClosePayload(1000, 'bye')]).to.deep.equal([0x03, 0xe8, 0x62, 0x79, 0x65]);
    });

    it('writes just the code when there is no reason', () => {
      expect([...formatClosePayload(1000)]).to.deep.equal([0x03, 0xe8]);
      expect([...formatClosePayload(4999, '')]).to.deep.equal([0x13, 0x87]);
    });

    it('writes an empty payload without a code, ignoring the reason', () => {
      expect(formatClosePayload().length).to.equal(0);
      expect(formatClosePayload(undefined, 'ignored').length).to.equal(0);
      expect(Buffer.isBuffer(formatClosePayload())).to.equal(true);
    });

    it('throws RangeError for every code that may not be sent', () => {
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 1000.5, Number.NaN]) {
        expect(() => formatClosePayload(code, 'x'), String(code)).to.throw(RangeError);
      }
    });

    it('round-trips through parseClosePayload', () => {
      for (const code of [1000, 1001, 1011, 3000, 4999]) {
        expect(parseClosePayload(formatClosePayload(code, 'going €'))).to.deep.equal({ code, reason: 'going €' });
      }
    });

    it('keeps a reason of exactly 123 bytes whole and cuts ASCII beyond it', () => {
      const exact = 'r'.repeat(123);
      expect(formatClosePayload(1000, exact).length).to.equal(125);
      expect(parseClosePayload(formatClosePayload(1000, exact)).reason).to.equal(exact);
      const long = 'r'.repeat(200);
      const payload = formatClosePayload(1000, long);
      expect(payload.length).to.equal(125);
      expect(parseClosePayload(payload).reason).to.equal('r'.repeat(123));
    });

    it('never splits a 2-, 3- or 4-byte character straddling the 123-byte cut', () => {
      const characters = { '2-byte ¢': '¢', '3-byte €': '€', '4-byte 𐍈': '𐍈' };
      let straddling = 0;
      for (const [name, character] of Object.entries(characters)) {
        const width = Buffer.byteLength(character, 'utf8');
        // Every prefix length that puts the character across byte 123, plus the lengths around it.
        for (let prefix = 123 - width - 1; prefix <= 124; prefix++) {
          const reason = 'a'.repeat(prefix) + character + 'zz';
          const payload = formatClosePayload(1000, reason);
          const label = `${name} after ${prefix} bytes`;
          // The longest whole-character prefix of the reason that fits in 123 bytes.
          const kept =
            prefix + width <= 123
              ? 'a'.repeat(prefix) + character + 'z'.repeat(Math.min(2, 123 - prefix - width))
              : 'a'.repeat(Math.min(prefix, 123));
          if (prefix < 123 && prefix + width > 123) straddling++;

          expect(payload.length, label).to.be.at.most(125);
          expect(payload.subarray(2).equals(Buffer.from(kept, 'utf8')), label).to.equal(true);
          // parseClosePayload insists on valid UTF-8, so this also proves no character was cut.
          expect(parseClosePayload(payload), label).to.deep.equal({ code: 1000, reason: kept });
        }
      }
      // 1 + 2 + 3 cut positions fall inside a character.
      expect(straddling).to.equal(6);
    });

    it('cuts a reason made only of multi-byte characters on a character boundary', () => {
      // 61 × 2 = 122, 41 × 3 = 123, 30 × 4 = 120 bytes kept.
      const cases = [
        ['¢', 61],
        ['€', 41],
        ['𐍈', 30],
      ] as const;
      for (const [character, kept] of cases) {
        const payload = formatClosePayload(1001, character.repeat(100));
        expect(parseClosePayload(payload), character).to.deep.equal({ code: 1001, reason: character.repeat(kept) });
      }
    });

    it('encodes a lone surrogate in the reason as U+FFFD, so the payload is valid UTF-8', () => {
      expect([...formatClosePayload(1000, 'a\ud800')]).to.deep.equal([0x03, 0xe8, 0x61, 0xef, 0xbf, 0xbd]);
    });
  });

  describe('truncateUtf8', () => {
    it('returns the same buffer when it fits', () => {
      const bytes = Buffer.from('a€', 'utf8');
      expect(truncateUtf8(bytes, 4)).to.equal(bytes);
      expect(truncateUtf8(bytes, 100)).to.equal(bytes);
    });

    it('returns an empty buffer for max 0', () => {
      expect(truncateUtf8(Buffer.from('abc'), 0).length).to.equal(0);
    });

    it('cuts at the last character boundary at or before max, for every max', () => {
      const text = 'a¢€𐍈b';
      const bytes = Buffer.from(text, 'utf8'); // boundaries at 0, 1, 3, 6, 10, 11
      const expected = [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11];
      for (let max = 0; max <= bytes.length; max++) {
        const result = truncateUtf8(bytes, max);
        expect(result.length, `max ${max}`).to.equal(expected[max]);
        expect(result.equals(bytes.subarray(0, expected[max])), `max ${max}`).to.equal(true);
      }
    });
  });
});
