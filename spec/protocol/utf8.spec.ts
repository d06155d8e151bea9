import { expect } from 'chai';
import { Utf8Validator, isValidUtf8 } from '../../lib/protocol/utf8';
import { prng } from '../helpers/frames';

/** 'ED A0 80' → bytes. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(text.split(' ').map((pair) => Number.parseInt(pair, 16)));
}

function ascii(text: string): string {
  return Array.from(Buffer.from(text, 'latin1'), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Independent oracle: a streaming fatal TextDecoder, fed byte-wise, also fails on the first impossible byte. */
function oracle(bytes: Uint8Array): { failAt: number; valid: boolean } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return { failAt: i, valid: false };
    }
  }
  try {
    decoder.decode();
    return { failAt: -1, valid: true };
  } catch {
    return { failAt: -1, valid: false };
  }
}

/** A row is valid, valid-but-truncated (a correct prefix that ends mid-character), or invalid at `failAt`. */
type Row =
  | { name: string; bytes: Uint8Array; kind: 'valid' }
  | { name: string; bytes: Uint8Array; kind: 'truncated' }
  | { name: string; bytes: Uint8Array; kind: 'invalid'; failAt: number };

const valid = (name: string, bytes: string): Row => ({ name, bytes: hex(bytes), kind: 'valid' });
const truncated = (name: string, bytes: string): Row => ({ name, bytes: hex(bytes), kind: 'truncated' });
/** failAt: index of the first impossible byte (the one no valid UTF-8 could have at that place). */
const invalid = (name: string, bytes: string, failAt: number): Row => ({ name, bytes: hex(bytes), kind: 'invalid', failAt });

const ROWS: Row[] = [
  valid('U+0000 NUL', '00'),
  valid('U+0024 dollar sign (1 byte)', '24'),
  valid('U+007F largest 1-byte', '7f'),
  valid('U+0080 smallest 2-byte', 'c2 80'),
  valid('U+00A2 cent sign (2 bytes)', 'c2 a2'),
  valid('U+07FF largest 2-byte', 'df bf'),
  valid('U+0800 smallest 3-byte', 'e0 a0 80'),
  valid('U+20AC euro sign (3 bytes)', 'e2 82 ac'),
  valid('U+D7FF just below the surrogates', 'ed 9f bf'),
  valid('U+E000 just above the surrogates', 'ee 80 80'),
  valid('U+FEFF byte order mark', 'ef bb bf'),
  valid('U+FFFF largest 3-byte', 'ef bf bf'),
  valid('U+10000 smallest 4-byte', 'f0 90 80 80'),
  valid('U+10348 Gothic hwair (4 bytes)', 'f0 90 8d 88'),
  valid('U+10FFFF largest code point', 'f4 8f bf bf'),
  valid('mixed text "a¢€𐍈z"', '61 c2 a2 e2 82 ac f0 90 8d 88 7a'),
  valid('ASCII sentence', ascii('Hello, WebSocket!')),

  invalid('overlong U+0000 (C0 80)', 'c0 80', 0),
  invalid('overlong U+007F (C1 BF)', 'c1 bf', 0),
  invalid('overlong U+0000 in 3 bytes (E0 80 80)', 'e0 80 80', 1),
  invalid('overlong U+07FF in 3 bytes (E0 9F BF)', 'e0 9f bf', 1),
  invalid('overlong U+0000 in 4 bytes (F0 80 80 80)', 'f0 80 80 80', 1),
  invalid('overlong U+FFFF in 4 bytes (F0 8F BF BF)', 'f0 8f bf bf', 1),
  invalid('high surrogate U+D800 (ED A0 80)', 'ed a0 80', 1),
  invalid('low surrogate U+DFFF (ED BF BF)', 'ed bf bf', 1),
  invalid('surrogate pair encoded as two characters (CESU-8)', 'ed a0 80 ed b0 80', 1),
  invalid('U+110000 (F4 90 80 80)', 'f4 90 80 80', 1),
  invalid('U+140000 (F5 80 80 80)', 'f5 80 80 80', 0),
  invalid('U+1FFFFF (F7 BF BF BF)', 'f7 bf bf bf', 0),
  invalid('lone continuation byte 80', '80', 0),
  invalid('lone continuation byte BF', 'bf', 0),
  invalid('continuation byte between ASCII', '61 80 62', 1),
  invalid('extra continuation byte after a complete character', 'c2 a2 a2', 2),
  invalid('ASCII where a continuation byte is due (2-byte)', 'c2 41', 1),
  invalid('ASCII where the last continuation byte is due (3-byte)', 'e2 82 41', 2),
  invalid('ASCII where the last continuation byte is due (4-byte)', 'f0 90 8d 41', 3),
  invalid('lead byte where a continuation byte is due', 'e2 e2 82 ac', 1),
  invalid('FE', 'fe', 0),
  invalid('FF', 'ff', 0),
  invalid('UTF-16 byte order mark FE FF', 'fe ff', 0),
  invalid('valid text, then a surrogate', '61 62 63 c2 a2 ed a0 80', 6),
  invalid('valid text, then a truncated character, then ASCII', '61 e2 82 62', 3),

  truncated('2-byte character missing its last byte', 'c2'),
  truncated('3-byte character missing 1 byte', 'e2 82'),
  truncated('3-byte character missing 2 bytes', 'e2'),
  truncated('U+0800 missing its last byte (E0 A0)', 'e0 a0'),
  truncated('4-byte character missing 1 byte', 'f0 90 8d'),
  truncated('U+10FFFF missing its last byte (F4 8F BF)', 'f4 8f bf'),
  truncated('valid text ending in a started character', '61 62 63 f0'),
];

/**
 * What each push must answer: true while every byte pushed so far precedes the first impossible byte,
 * false for the push that contains it and every push after (the validator stays failed).
 */
function expectedPushResults(row: Row, ranges: ReadonlyArray<readonly [number, number]>): boolean[] {
  return ranges.map(([, end]) => row.kind !== 'invalid' || end <= row.failAt);
}

function expectedEnd(row: Row): boolean {
  return row.kind === 'valid';
}

/** Feeds each range as a fresh array (so whole-chunk fast paths apply). */
function feedCopies(bytes: Uint8Array, ranges: ReadonlyArray<readonly [number, number]>): { pushes: boolean[]; end: boolean } {
  const validator = new Utf8Validator();
  const pushes = ranges.map(([start, end]) => validator.push(bytes.slice(start, end)));
  return { pushes, end: validator.end() };
}

/** Feeds each range as start/end offsets into one shared array. */
function feedOffsets(bytes: Uint8Array, ranges: ReadonlyArray<readonly [number, number]>): { pushes: boolean[]; end: boolean } {
  const validator = new Utf8Validator();
  const pushes = ranges.map(([start, end]) => validator.push(bytes, start, end));
  return { pushes, end: validator.end() };
}

function describeRow(row: Row): string {
  return row.kind === 'invalid' ? `${row.name} [fails at byte #${row.failAt + 1}]` : `${row.name} [${row.kind}]`;
}

describe('protocol/utf8', () => {
  it('has a row table covering every kind, with sane fail positions', () => {
    // Guards the table itself, so a typo in a row cannot silently weaken the tests below.
    const kinds = new Set(ROWS.map((row) => row.kind));
    expect([...kinds].sort()).to.deep.equal(['invalid', 'truncated', 'valid']);
    for (const row of ROWS) {
      // An independent decoder agrees on the row's classification and fail position.
      const expected = oracle(row.bytes);
      expect(expected.valid, row.name).to.equal(row.kind === 'valid');
      expect(expected.failAt, row.name).to.equal(row.kind === 'invalid' ? row.failAt : -1);
    }
  });

  describe('Utf8Validator, each row', () => {
    for (const row of ROWS) {
      describe(describeRow(row), () => {
        const n = row.bytes.length;

        it('fed whole', () => {
          const ranges = [[0, n]] as const;
          for (const feed of [feedCopies, feedOffsets]) {
            const result = feed(row.bytes, ranges);
            expect(result.pushes, feed.name).to.deep.equal(expectedPushResults(row, ranges));
            expect(result.end, feed.name).to.equal(expectedEnd(row));
          }
        });

        it('split in two at every byte position', () => {
          for (let cut = 0; cut <= n; cut++) {
            const ranges = [
              [0, cut],
              [cut, n],
            ] as const;
            for (const feed of [feedCopies, feedOffsets]) {
              const result = feed(row.bytes, ranges);
              expect(result.pushes, `${feed.name}, cut at ${cut}`).to.deep.equal(expectedPushResults(row, ranges));
              expect(result.end, `${feed.name}, cut at ${cut}`).to.equal(expectedEnd(row));
            }
          }
        });

        it('one byte per push, failing on the first impossible byte', () => {
          const ranges: Array<[number, number]> = [];
          for (let i = 0; i < n; i++) ranges.push([i, i + 1]);
          for (const feed of [feedCopies, feedOffsets]) {
            const result = feed(row.bytes, ranges);
            expect(result.pushes, feed.name).to.deep.equal(expectedPushResults(row, ranges));
            expect(result.end, feed.name).to.equal(expectedEnd(row));
          }
        });

        it('isValidUtf8 agrees', () => {
          expect(isValidUtf8(row.bytes)).to.equal(row.kind === 'valid');
        });
      });
    }
  });

  describe('Utf8Validator state', () => {
    it('fails on push #2 of ED A0 80 fed byte-wise (a surrogate is known at its second byte)', () => {
      const validator = new Utf8Validator();
      expect(validator.push(hex('ed'))).to.equal(true);
      expect(validator.push(hex('a0'))).to.equal(false);
    });

    it('stays failed after an invalid byte, even for valid input, until reset', () => {
      const validator = new Utf8Validator();
      expect(validator.push(hex('ff'))).to.equal(false);
      expect(validator.push(hex('61'))).to.equal(false);
      expect(validator.push(new Uint8Array(0))).to.equal(false);
      expect(validator.end()).to.equal(false);
      validator.reset();
      expect(validator.end()).to.equal(true);
      expect(validator.push(hex('61'))).to.equal(true);
      expect(validator.end()).to.equal(true);
    });

    it('reset forgets a pending character', () => {
      const validator = new Utf8Validator();
      expect(validator.push(hex('ed'))).to.equal(true);
      expect(validator.end()).to.equal(false);
      validator.reset();
      // Without the reset, 41 would fail here: a continuation byte is due after ED.
      expect(validator.push(hex('41'))).to.equal(true);
      expect(validator.end()).to.equal(true);
    });

    it('reset restores the full continuation range after a restricted lead byte', () => {
      const validator = new Utf8Validator();
      expect(validator.push(hex('f4'))).to.equal(true);
      validator.reset();
      // After F4 only 80..8F may follow; a fresh E1 must accept A0.
      expect(validator.push(hex('e1 a0 80'))).to.equal(true);
      expect(validator.end()).to.equal(true);
    });

    it('looks only at data[start..end)', () => {
      const data = hex('ff 61 e2 82 ac 62 ff');
      const validator = new Utf8Validator();
      expect(validator.push(data, 1, 6)).to.equal(true);
      expect(validator.end()).to.equal(true);
      expect(validator.push(data, 6)).to.equal(false);
    });

    it('validates a Uint8Array view with a byte offset', () => {
      const backing = hex('ff e2 82 ac ff');
      const view = new Uint8Array(backing.buffer, 1, 3);
      const validator = new Utf8Validator();
      expect(validator.push(view)).to.equal(true);
      expect(validator.end()).to.equal(true);
      expect(isValidUtf8(view)).to.equal(true);
    });

    it('treats an empty stream as valid and empty pushes as neutral', () => {
      const validator = new Utf8Validator();
      expect(validator.end()).to.equal(true);
      expect(validator.push(new Uint8Array(0))).to.equal(true);
      expect(validator.push(hex('e2'))).to.equal(true);
      expect(validator.push(new Uint8Array(0))).to.equal(true);
      expect(validator.end()).to.equal(false);
      expect(validator.push(hex('82 ac'))).to.equal(true);
      expect(validator.end()).to.equal(true);
    });

    it('carries a character split across many large chunks (fast path and byte loop mixed)', () => {
      const text = 'κόσμε €𐍈 '.repeat(500);
      const bytes = Buffer.from(text, 'utf8');
      const validator = new Utf8Validator();
      for (let start = 0; start < bytes.length; start += 997) {
        expect(validator.push(bytes.subarray(start, Math.min(start + 997, bytes.length))), `chunk at ${start}`).to.equal(true);
      }
      expect(validator.end()).to.equal(true);
    });
  });

  describe('seeded random corpus', () => {
    // Bytes at the edges of table 3-7, so random strings hit the interesting cases often.
    const PALETTE = [
      0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee,
      0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xfe, 0xff,
    ];

    function randomCodePointUtf8(random: () => number): Buffer {
      let cp: number;
      do {
        const band = Math.floor(random() * 4);
        const limits = [0x80, 0x800, 0x10000, 0x110000] as const;
        cp = Math.floor(random() * limits[band]!);
      } while (cp >= 0xd800 && cp <= 0xdfff);
      return Buffer.from(String.fromCodePoint(cp), 'utf8');
    }

    function randomBytes(random: () => number): Uint8Array {
      const style = random();
      const out: number[] = [];
      if (style < 0.4) {
        // Valid text, then possibly one byte changed or the end cut off.
        const chars = Math.floor(random() * 8);
        for (let i = 0; i < chars; i++) out.push(...randomCodePointUtf8(random));
        if (out.length > 0 && random() < 0.5) out[Math.floor(random() * out.length)] = PALETTE[Math.floor(random() * PALETTE.length)]!;
        if (out.length > 0 && random() < 0.25) out.length = Math.floor(random() * out.length);
      } else if (style < 0.8) {
        const length = Math.floor(random() * 10);
        for (let i = 0; i < length; i++) out.push(PALETTE[Math.floor(random() * PALETTE.length)]!);
      } else {
        const length = Math.floor(random() * 10);
        for (let i = 0; i < length; i++) out.push(Math.floor(random() * 256));
      }
      return Uint8Array.from(out);
    }

    it('agrees with isValidUtf8 and a fatal TextDecoder on 4000 random byte strings, fed whole, split and byte-wise', () => {
      const random = prng(0x5eed6455);
      let validCount = 0;
      let invalidCount = 0;
      let truncatedCount = 0;
      for (let sample = 0; sample < 4000; sample++) {
        const bytes = randomBytes(random);
        const label = `sample ${sample}: ${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
        const expected = oracle(bytes);
        if (expected.valid) validCount++;
        else if (expected.failAt === -1) truncatedCount++;
        else invalidCount++;

        expect(isValidUtf8(bytes), label).to.equal(expected.valid);

        const whole = new Utf8Validator();
        expect(whole.push(bytes) && whole.end(), label).to.equal(expected.valid);

        const cut = Math.floor(random() * (bytes.length + 1));
        const split = new Utf8Validator();
        expect(split.push(bytes.slice(0, cut)), `${label}, cut ${cut}`).to.equal(expected.failAt === -1 || expected.failAt >= cut);
        expect(split.push(bytes, cut), `${label}, cut ${cut}`).to.equal(expected.failAt === -1);
        expect(split.end(), `${label}, cut ${cut}`).to.equal(expected.valid);

        const bytewise = new Utf8Validator();
        let firstFailure = -1;
        for (let i = 0; i < bytes.length; i++) {
          if (!bytewise.push(bytes, i, i + 1) && firstFailure === -1) firstFailure = i;
        }
        expect(firstFailure, label).to.equal(expected.failAt);
        expect(bytewise.end(), label).to.equal(expected.valid);
      }
      // The corpus must exercise all three outcomes in quantity, or the agreement above proves little.
      expect(validCount).to.be.above(500);
      expect(invalidCount).to.be.above(500);
      expect(truncatedCount).to.be.above(100);
    });
  });
});
