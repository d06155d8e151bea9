import { expect } from 'chai';
import { SUPPORTED_CODE_PAGES, decodeBytes, encodeString, isSupportedCodePage } from '../../lib/server/code-page';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function bytes(text: string): Uint8Array {
  return text === '' ? new Uint8Array(0) : Uint8Array.from(text.split(' ').map((pair) => Number.parseInt(pair, 16)));
}

describe('server/code-page', () => {
  describe('isSupportedCodePage / SUPPORTED_CODE_PAGES', () => {
    const supported = [65001, 20127, 28591, 1252, 1200, 1201, 12000, 12001];
    for (const page of supported) {
      it(`supports ${page}`, () => {
        expect(isSupportedCodePage(page)).to.equal(true);
      });
    }
    for (const page of [0, 437, 850, 932, 1250, 28592, 65000, -1, 65001.5, Number.NaN]) {
      it(`does not support ${page}`, () => {
        expect(isSupportedCodePage(page)).to.equal(false);
      });
    }
    it('lists exactly the supported pages, UTF-8 first, frozen', () => {
      expect(SUPPORTED_CODE_PAGES).to.deep.equal(supported);
      expect(Object.isFrozen(SUPPORTED_CODE_PAGES)).to.equal(true);
    });
  });

  describe('encodeString exact bytes', () => {
    const rows: ReadonlyArray<readonly [string, number, string]> = [
      ['€', 65001, 'e2 82 ac'],
      ['€', 1252, '80'],
      ['é', 28591, 'e9'],
      ['é', 1252, 'e9'],
      ['é', 65001, 'c3 a9'],
      ['A€', 1200, '41 00 ac 20'],
      ['A€', 1201, '00 41 20 ac'],
      ['A€', 12000, '41 00 00 00 ac 20 00 00'],
      ['A€', 12001, '00 00 00 41 00 00 20 ac'],
      ['😀', 1200, '3d d8 00 de'],
      ['😀', 1201, 'd8 3d de 00'],
      ['😀', 12000, '00 f6 01 00'],
      ['😀', 12001, '00 01 f6 00'],
      ['😀', 65001, 'f0 9f 98 80'],
      ['', 65001, ''],
      ['', 1201, ''],
      ['Hi', 20127, '48 69'],
      // Unmappable characters.
      ['é', 20127, '3f'],
      ['€', 28591, '3f'],
      ['€', 20127, '3f'],
      ['ÿ', 28591, 'ff'],
      ['Ā', 28591, '3f'],
      ['Ā', 1252, '3f'],
      // One astral character is one '?', not two.
      ['a😀b', 20127, '61 3f 62'],
      ['a😀b', 28591, '61 3f 62'],
      ['a😀b', 1252, '61 3f 62'],
      // Lone surrogates.
      ['\ud800', 20127, '3f'],
      ['\ud800', 65001, 'ef bf bd'],
      ['\ud800', 12000, 'fd ff 00 00'],
      ['\ud800', 1200, '00 d8'],
      ['\udc00x', 1201, 'dc 00 00 78'],
    ];
    for (const [text, page, expected] of rows) {
      it(`${JSON.stringify(text)} in ${page} → [${expected}]`, () => {
        expect(hex(encodeString(text, page))).to.equal(expected);
      });
    }
  });

  describe('Windows-1252 0x80–0x9F block', () => {
    // The code page's definition (the WHATWG index agrees); null marks bytes 1252 leaves undefined.
    const high: ReadonlyArray<number | null> = [
      0x20ac, null, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, null, 0x017d, null,
      null, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, null, 0x017e, 0x0178,
    ];
    high.forEach((codePoint, i) => {
      const byte = 0x80 + i;
      if (codePoint === null) {
        it(`0x${byte.toString(16)} is undefined: decodes to U+00${byte.toString(16).toUpperCase()} and back`, () => {
          expect(decodeBytes(Uint8Array.of(byte), 1252)).to.equal(String.fromCharCode(byte));
          expect(hex(encodeString(String.fromCharCode(byte), 1252))).to.equal(byte.toString(16));
        });
      } else {
        it(`0x${byte.toString(16)} ↔ U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`, () => {
          expect(decodeBytes(Uint8Array.of(byte), 1252)).to.equal(String.fromCodePoint(codePoint));
          expect(hex(encodeString(String.fromCodePoint(codePoint), 1252))).to.equal(byte.toString(16));
          // The C1 control of the same number is not in the code page.
          expect(hex(encodeString(String.fromCharCode(byte), 1252))).to.equal('3f');
        });
      }
    });

    it('every byte 0x00–0xFF round-trips', () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      expect(hex(encodeString(decodeBytes(all, 1252), 1252))).to.equal(hex(all));
    });

    it('agrees with ISO-8859-1 outside 0x80–0x9F', () => {
      for (let byte = 0; byte < 256; byte++) {
        if (byte >= 0x80 && byte <= 0x9f) continue;
        expect(decodeBytes(Uint8Array.of(byte), 1252), `byte ${byte}`).to.equal(String.fromCharCode(byte));
      }
    });
  });

  describe('decodeBytes', () => {
    const rows: ReadonlyArray<readonly [string, number, string]> = [
      ['e2 82 ac', 65001, '€'],
      ['80', 1252, '€'],
      ['e9', 28591, 'é'],
      ['80', 28591, '\u0080'],
      ['41 00 ac 20', 1200, 'A€'],
      ['00 41 20 ac', 1201, 'A€'],
      ['41 00 00 00 ac 20 00 00', 12000, 'A€'],
      ['00 00 00 41 00 00 20 ac', 12001, 'A€'],
      ['00 f6 01 00', 12000, '😀'],
      ['', 12001, ''],
      // Bytes a page cannot represent.
      ['41 e9', 20127, 'A?'],
      ['ff', 65001, '\ufffd'],
      ['41 00 42', 1200, 'A\ufffd'],
      ['00 41 42', 1201, 'A\ufffd'],
      ['00 00 11 00', 12000, '\ufffd'],
      ['00 d8 00 00', 12000, '\ufffd'],
      ['41 00 00 00 42', 12000, 'A\ufffd'],
    ];
    for (const [input, page, expected] of rows) {
      it(`[${input}] in ${page} → ${JSON.stringify(expected)}`, () => {
        expect(decodeBytes(bytes(input), page)).to.equal(expected);
      });
    }

    it('reads a Uint8Array view at its offset, not the whole underlying buffer', () => {
      const backing = Uint8Array.of(0xff, 0x00, 0x41, 0x00, 0xff);
      expect(decodeBytes(backing.subarray(1, 4), 1201)).to.equal('A\ufffd');
      expect(decodeBytes(backing.subarray(2, 4), 1200)).to.equal('A');
    });

    it('does not modify the input when decoding UTF-16BE', () => {
      const input = Uint8Array.of(0x00, 0x41);
      decodeBytes(input, 1201);
      expect(hex(input)).to.equal('00 41');
    });
  });

  describe('round trips', () => {
    const unicode = 'Hello, wörld € 😀 日本';
    const pages: ReadonlyArray<readonly [number, string]> = [
      [65001, unicode],
      [1200, unicode],
      [1201, unicode],
      [12000, unicode],
      [12001, unicode],
      [28591, 'Grüße ÿ\u0000\u0080'],
      [1252, 'Grüße € „quoted“ – Œuvre'],
      [20127, 'plain ASCII ~\u007f'],
    ];
    for (const [page, text] of pages) {
      it(`${page}: decode(encode(text)) === text`, () => {
        expect(decodeBytes(encodeString(text, page), page)).to.equal(text);
      });
    }
  });

  describe('unsupported code pages', () => {
    for (const page of [0, 437, 1250, -1]) {
      it(`encodeString and decodeBytes throw RangeError for ${page}`, () => {
        expect(() => encodeString('x', page)).to.throw(RangeError, String(page));
        expect(() => decodeBytes(Uint8Array.of(0x78), page)).to.throw(RangeError, String(page));
      });
    }
  });
});
