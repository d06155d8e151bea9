import { expect } from 'chai';
import { LineSplitter } from '../../lib/server/line-splitter';

/** One emitted piece, as text (latin1 keeps every byte visible). */
type Piece = readonly [string, boolean];

/**
 * Feeds `chunks` and records the emitted buffers themselves; they are turned into text only at the end,
 * so a buffer that aliased the splitter's carry would show up as corrupted.
 */
function run(chunks: readonly Buffer[], max: number): { pieces: Piece[]; pending: number; splitter: LineSplitter } {
  const splitter = new LineSplitter(max);
  const raw: Array<readonly [Buffer, boolean]> = [];
  for (const chunk of chunks) splitter.push(chunk, (line, eol) => raw.push([line, eol]));
  return { pieces: raw.map(([line, eol]) => [line.toString('latin1'), eol] as const), pending: splitter.pending, splitter };
}

function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/**
 * Independent model of the rules, one byte at a time over the whole input: LF ends a line, CR LF ends a
 * line, any other CR is data, `max` data bytes without a terminator are a piece of their own, and a final
 * CR stays pending.
 */
function model(input: string, max: number): { pieces: Piece[]; pending: number } {
  const pieces: Piece[] = [];
  let current = '';
  let pending = 0;
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (char === '\n') {
      pieces.push([current, true]);
      current = '';
      continue;
    }
    if (char === '\r') {
      if (i + 1 === input.length) {
        pending = 1;
        break;
      }
      if (input[i + 1] === '\n') {
        pieces.push([current, true]);
        current = '';
        i++;
        continue;
      }
    }
    current += char;
    if (current.length === max) {
      pieces.push([current, false]);
      current = '';
    }
  }
  return { pieces, pending: pending + current.length };
}

/** Every way to cut `text` into chunks at the given cut positions. */
function cut(text: string, positions: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  for (const position of positions) {
    chunks.push(latin1(text.slice(start, position)));
    start = position;
  }
  chunks.push(latin1(text.slice(start)));
  return chunks;
}

describe('server/line-splitter', () => {
  // Rows with max = 8: [input, expected pieces, expected pending].
  const rows: ReadonlyArray<readonly [string, string, readonly Piece[], number]> = [
    ['LF ends a line', 'abc\n', [['abc', true]], 0],
    ['CRLF ends a line, CR stripped', 'abc\r\n', [['abc', true]], 0],
    ['lone CR is data', 'a\rb\n', [['a\rb', true]], 0],
    ['CR CR LF keeps the first CR', 'a\r\r\n', [['a\r', true]], 0],
    ['LF CR: the CR starts the next line', 'a\n\rb\n', [['a', true], ['\rb', true]], 0],
    ['empty lines', '\n\r\n\n', [['', true], ['', true], ['', true]], 0],
    ['several lines and a rest', 'one\ntwo\r\nthr', [['one', true], ['two', true]], 3],
    ['trailing CR stays pending', 'ab\r', [], 3],
    ['no terminator, under the limit', 'abcdefg', [], 7],
    ['max - 1 data bytes then LF', '1234567\n', [['1234567', true]], 0],
    ['max - 1 data bytes then CRLF', '1234567\r\n', [['1234567', true]], 0],
    ['exactly max data bytes then LF', '12345678\n', [['12345678', false], ['', true]], 0],
    ['exactly max data bytes then CRLF', '12345678\r\n', [['12345678', false], ['', true]], 0],
    ['max + 1 data bytes then LF', '123456789\n', [['12345678', false], ['9', true]], 0],
    ['exactly max, no terminator', '12345678', [['12345678', false]], 0],
    ['max + 1, no terminator', '123456789', [['12345678', false]], 1],
    ['two full buffers and a rest', '1234567812345678ab', [['12345678', false], ['12345678', false]], 2],
    ['max - 1 then a pending CR: counted, not emitted', '1234567\r', [], 8],
    ['max - 1 then CR as data fills the line', '1234567\rx', [['1234567\r', false]], 1],
    ['CR as data at the limit before CRLF', '123456\r\r\n', [['123456\r', true]], 0],
    ['lone CR at the limit', '1234567\r\rx\n', [['1234567\r', false], ['\rx', true]], 0],
    ['line of only CRs', '\r\r\r\n', [['\r\r', true]], 0],
    ['binary bytes pass through', 'a\u0000\u00ff\u0080\n', [['a\u0000\u00ff\u0080', true]], 0],
  ];

  for (const [label, input, pieces, pending] of rows) {
    describe(label, () => {
      it('fed whole', () => {
        const result = run([latin1(input)], 8);
        expect(result.pieces).to.deep.equal(pieces);
        expect(result.pending).to.equal(pending);
      });

      it('matches the byte-at-a-time model', () => {
        expect(model(input, 8)).to.deep.equal({ pieces, pending });
      });

      it('fed byte by byte', () => {
        const chunks = Array.from(latin1(input), (byte) => Buffer.of(byte));
        const result = run(chunks, 8);
        expect(result.pieces).to.deep.equal(pieces);
        expect(result.pending).to.equal(pending);
      });

      it('fed in two chunks at every split point (empty chunks included)', () => {
        for (let at = 0; at <= input.length; at++) {
          const result = run(cut(input, [at]), 8);
          expect(result.pieces, `split at ${at}`).to.deep.equal(pieces);
          expect(result.pending, `split at ${at}`).to.equal(pending);
        }
      });

      it('fed in three chunks at every pair of split points', () => {
        for (let a = 0; a <= input.length; a++) {
          for (let b = a; b <= input.length; b++) {
            const result = run(cut(input, [a, b]), 8);
            expect(result.pieces, `split at ${a}, ${b}`).to.deep.equal(pieces);
          }
        }
      });
    });
  }

  describe('a longer mixed stream against the model', () => {
    // Deterministic pseudo-random bytes rich in CR and LF.
    const alphabet = ['a', 'b', '\r', '\n', '\r', 'x', '\u00ff', '\u0000'];
    let seed = 12345;
    let input = '';
    for (let i = 0; i < 600; i++) {
      // 32-bit LCG; its high bits are the well-mixed ones.
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const pick = seed >>> 16;
      input += alphabet[pick % alphabet.length] ?? 'a';
      if (pick % 31 === 0) input += 'y'.repeat(pick % 20);
    }
    for (const max of [1, 2, 3, 5, 8, 256]) {
      it(`max ${max}: whole, byte by byte and in chunks of 7 all equal the model`, () => {
        const expected = model(input, max);
        const whole = run([latin1(input)], max);
        const bytes = run(Array.from(latin1(input), (byte) => Buffer.of(byte)), max);
        const sevens: Buffer[] = [];
        for (let i = 0; i < input.length; i += 7) sevens.push(latin1(input.slice(i, i + 7)));
        const seven = run(sevens, max);
        for (const result of [whole, bytes, seven]) {
          expect({ pieces: result.pieces, pending: result.pending }).to.deep.equal(expected);
        }
        expect(expected.pieces.length).to.be.greaterThan(20);
      });
    }
  });

  describe('CR at a chunk end', () => {
    it('a following LF makes it a CRLF terminator', () => {
      const result = run([latin1('ab\r'), latin1('\ncd\n')], 8);
      expect(result.pieces).to.deep.equal([
        ['ab', true],
        ['cd', true],
      ]);
    });

    it('a following data byte makes it data', () => {
      const result = run([latin1('ab\r'), latin1('c\n')], 8);
      expect(result.pieces).to.deep.equal([['ab\rc', true]]);
    });

    it('a following CR makes it data and is pending itself', () => {
      const result = run([latin1('ab\r'), latin1('\r')], 8);
      expect(result.pieces).to.deep.equal([]);
      expect(result.pending).to.equal(4);
      result.splitter.push(latin1('\n'), () => undefined);
      expect(result.splitter.pending).to.equal(0);
    });

    it('stays undecided across an empty push', () => {
      const result = run([latin1('ab\r'), Buffer.alloc(0), latin1('\n')], 8);
      expect(result.pieces).to.deep.equal([['ab', true]]);
    });

    it('a CR alone in the carry followed by LF gives an empty line', () => {
      const result = run([latin1('\r'), latin1('\n')], 8);
      expect(result.pieces).to.deep.equal([['', true]]);
    });
  });

  describe('maxLineLength', () => {
    it('works at the smallest engine value, 256: exact and +1', () => {
      const exact = run([latin1(`${'a'.repeat(256)}\n`)], 256);
      expect(exact.pieces).to.deep.equal([
        ['a'.repeat(256), false],
        ['', true],
      ]);
      const over = run([latin1(`${'a'.repeat(257)}\n`)], 256);
      expect(over.pieces).to.deep.equal([
        ['a'.repeat(256), false],
        ['a', true],
      ]);
      const under = run([latin1(`${'a'.repeat(255)}\r\n`)], 256);
      expect(under.pieces).to.deep.equal([['a'.repeat(255), true]]);
    });

    it('a raised limit applies from the next push', () => {
      const splitter = new LineSplitter(4);
      const pieces: Piece[] = [];
      const emit = (line: Buffer, eol: boolean): void => void pieces.push([line.toString('latin1'), eol]);
      splitter.push(latin1('abcdef'), emit);
      splitter.maxLineLength = 8;
      splitter.push(latin1('ghijklmn\n'), emit);
      expect(pieces).to.deep.equal([
        ['abcd', false],
        ['efghijkl', false],
        ['mn', true],
      ]);
    });

    it('a lowered limit splits what was gathered under the old one', () => {
      const splitter = new LineSplitter(16);
      const pieces: Piece[] = [];
      const emit = (line: Buffer, eol: boolean): void => void pieces.push([line.toString('latin1'), eol]);
      splitter.push(latin1('abcdefghij\r'), emit);
      expect(splitter.pending).to.equal(11);
      splitter.maxLineLength = 4;
      splitter.push(latin1('\n'), emit);
      expect(pieces).to.deep.equal([
        ['abcd', false],
        ['efgh', false],
        ['ij', true],
      ]);
      expect(splitter.pending).to.equal(0);
    });

    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`rejects ${bad} with RangeError, in the constructor and the setter`, () => {
        expect(() => new LineSplitter(bad)).to.throw(RangeError, 'maxLineLength');
        const splitter = new LineSplitter(8);
        expect(() => {
          splitter.maxLineLength = bad;
        }).to.throw(RangeError, 'maxLineLength');
        expect(splitter.maxLineLength).to.equal(8);
      });
    }
  });

  describe('flush', () => {
    it('emits the gathered bytes with eol=false and empties the splitter', () => {
      const result = run([latin1('ab\ncd')], 8);
      const flushed: Piece[] = [];
      result.splitter.flush((line, eol) => flushed.push([line.toString('latin1'), eol]));
      expect(flushed).to.deep.equal([['cd', false]]);
      expect(result.splitter.pending).to.equal(0);
    });

    it('emits a pending CR as data', () => {
      const result = run([latin1('ab\r')], 8);
      const flushed: Piece[] = [];
      result.splitter.flush((line, eol) => flushed.push([line.toString('latin1'), eol]));
      expect(flushed).to.deep.equal([['ab\r', false]]);
    });

    it('emits nothing when nothing is gathered', () => {
      const result = run([latin1('ab\n')], 8);
      let calls = 0;
      result.splitter.flush(() => calls++);
      expect(calls).to.equal(0);
      const fresh = new LineSplitter(8);
      fresh.flush(() => calls++);
      expect(calls).to.equal(0);
    });

    it('forgets a pending CR, so a later LF starts from scratch', () => {
      const result = run([latin1('ab\r')], 8);
      result.splitter.flush(() => undefined);
      const after: Piece[] = [];
      result.splitter.push(latin1('\n'), (line, eol) => after.push([line.toString('latin1'), eol]));
      expect(after).to.deep.equal([['', true]]);
    });

    it('returns a copy that later pushes do not overwrite', () => {
      const splitter = new LineSplitter(8);
      splitter.push(latin1('abc'), () => undefined);
      let flushed: Buffer = Buffer.alloc(0);
      splitter.flush((line) => {
        flushed = line;
      });
      splitter.push(latin1('xyz'), () => undefined);
      expect(flushed.toString('latin1')).to.equal('abc');
    });
  });

  describe('buffers', () => {
    it('a line inside one chunk is a view of that chunk, not a copy', () => {
      const data = latin1('hello\nworld\n');
      const lines: Buffer[] = [];
      new LineSplitter(64).push(data, (line) => lines.push(line));
      expect(lines.map((line) => line.buffer === data.buffer)).to.deep.equal([true, true]);
      expect(lines.map((line) => line.byteOffset - data.byteOffset)).to.deep.equal([0, 6]);
    });

    it('a line spanning chunks is a fresh copy that survives later pushes', () => {
      const splitter = new LineSplitter(64);
      const lines: Buffer[] = [];
      const emit = (line: Buffer): void => void lines.push(line);
      splitter.push(latin1('hel'), emit);
      splitter.push(latin1('lo\nwor'), emit);
      splitter.push(latin1('ld\n'), emit);
      expect(lines.map((line) => line.toString('latin1'))).to.deep.equal(['hello', 'world']);
    });

    it('pending counts the carried bytes', () => {
      const splitter = new LineSplitter(64);
      expect(splitter.pending).to.equal(0);
      splitter.push(latin1('abc'), () => undefined);
      expect(splitter.pending).to.equal(3);
      splitter.push(latin1('d\ne'), () => undefined);
      expect(splitter.pending).to.equal(1);
    });
  });
});
