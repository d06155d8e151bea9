import { expect } from 'chai';
import { WSServerError } from '../../lib/server/errors';
import { asBuffer, formatData, formatTrySend, textBytes, toBytes, type Formatted } from '../../lib/server/send-format';

const UTF8 = 65001;
const LATIN1 = 28591;
const UTF16LE = 1200;
const TEXT = 1;
const BINARY = 2;
const PING = 9;
const PONG = 10;

/** Bytes that are not UTF-8 (a lone continuation byte, then 0xFF). */
const NOT_UTF8 = Buffer.from([0x61, 0x80, 0xff]);

/** [opcode, hex] of a formatted result that must not be an error. */
function shown([opcode, bytes]: Formatted): [number, string] {
  expect(bytes, 'an error instead of bytes').to.be.instanceOf(Buffer);
  return [opcode, (bytes as Buffer).toString('hex')];
}

function expect616([, bytes]: Formatted): void {
  expect(bytes).to.be.instanceOf(WSServerError);
  expect((bytes as WSServerError).code).to.equal(616);
}

const hex = (text: string, encoding: BufferEncoding = 'utf8') => Buffer.from(text, encoding).toString('hex');

describe('send-format', () => {
  describe('formatData (Send and DataToSend by DataFormat)', () => {
    it('0 automatic: a string goes as UTF-8 text, whatever the code page', () => {
      expect(shown(formatData(0, 'héllo €', UTF8))).to.deep.equal([TEXT, hex('héllo €')]);
      expect(shown(formatData(0, 'héllo €', LATIN1))).to.deep.equal([TEXT, hex('héllo €')]);
      expect(shown(formatData(0, '😀', LATIN1))).to.deep.equal([TEXT, 'f09f9880']);
    });

    it('0 automatic: a string with a lone surrogate goes binary, encoded by the code page', () => {
      expect(shown(formatData(0, 'a\uD800', UTF8))).to.deep.equal([BINARY, '61efbfbd']);
      expect(shown(formatData(0, 'a\uDC00', LATIN1))).to.deep.equal([BINARY, '613f']);
      expect(shown(formatData(0, '\uD800', UTF16LE))).to.deep.equal([BINARY, '00d8']);
    });

    it('0 automatic: bytes go binary as they are, even when they would be UTF-8', () => {
      const bytes = Buffer.from('hello');
      const [opcode, out] = formatData(0, bytes, UTF8);
      expect(opcode).to.equal(BINARY);
      expect(out).to.equal(bytes);
      expect(shown(formatData(0, NOT_UTF8, UTF8))).to.deep.equal([BINARY, '6180ff']);
    });

    it('1 text: a string as UTF-8, the code page notwithstanding', () => {
      expect(shown(formatData(1, 'é', LATIN1))).to.deep.equal([TEXT, 'c3a9']);
    });

    it('1 text: UTF-8 bytes go as they are', () => {
      const bytes = Buffer.from('é');
      const [opcode, out] = formatData(1, bytes, UTF8);
      expect(opcode).to.equal(TEXT);
      expect(out).to.equal(bytes);
    });

    it('1 text: bytes that are not UTF-8 give a 616 value, not an exception', () => {
      let result: Formatted | undefined;
      expect(() => (result = formatData(1, NOT_UTF8, UTF8))).not.to.throw();
      expect(result![0]).to.equal(TEXT);
      expect616(result!);
      expect616(formatData(1, new Uint8Array([0xc3]), UTF8)); // a truncated sequence
      expect616(formatData(1, Buffer.from([0xed, 0xa0, 0x80]), UTF8)); // an encoded surrogate
    });

    it('2 binary: strings by the code page, bytes as they are', () => {
      expect(shown(formatData(2, 'é', UTF8))).to.deep.equal([BINARY, 'c3a9']);
      expect(shown(formatData(2, 'é', LATIN1))).to.deep.equal([BINARY, 'e9']);
      expect(shown(formatData(2, 'Ā€', LATIN1)), 'unmappable in ISO-8859-1').to.deep.equal([BINARY, '3f3f']);
      expect(shown(formatData(2, NOT_UTF8, LATIN1))).to.deep.equal([BINARY, '6180ff']);
    });

    it('9 ping and 10 pong: strings by the code page, bytes as they are', () => {
      expect(shown(formatData(9, 'é', LATIN1))).to.deep.equal([PING, 'e9']);
      expect(shown(formatData(10, 'é', UTF8))).to.deep.equal([PONG, 'c3a9']);
      expect(shown(formatData(9, NOT_UTF8, UTF8))).to.deep.equal([PING, '6180ff']);
      expect(shown(formatData(10, Buffer.alloc(0), UTF8))).to.deep.equal([PONG, '']);
    });

    it('9 ping and 10 pong: at most 125 bytes, counted after encoding; more gives a 616 value', () => {
      expect(formatData(9, Buffer.alloc(125), UTF8)[1]).to.have.length(125);
      expect(formatData(10, Buffer.alloc(125), UTF8)[1]).to.have.length(125);
      expect616(formatData(9, Buffer.alloc(126), UTF8));
      expect616(formatData(10, Buffer.alloc(126), UTF8));
      // 125 characters: 125 bytes in ISO-8859-1, 250 in UTF-8.
      const text = 'é'.repeat(125);
      expect(formatData(9, text, LATIN1)[1]).to.have.length(125);
      expect616(formatData(9, text, UTF8));
    });

    it('an unknown format is taken as 0 automatic', () => {
      expect(shown(formatData(3, 'hi', UTF8))).to.deep.equal([TEXT, hex('hi')]);
      expect(shown(formatData(42, Buffer.from('hi'), UTF8))).to.deep.equal([BINARY, hex('hi')]);
      expect(shown(formatData(-1, '\uD800', LATIN1))).to.deep.equal([BINARY, '3f']);
    });
  });

  describe('formatTrySend', () => {
    it('1 text: a string as UTF-8, UTF-8 bytes as they are, other bytes a 616 value', () => {
      expect(shown(formatTrySend(1, 'é', LATIN1))).to.deep.equal([TEXT, 'c3a9']);
      const bytes = Buffer.from('é');
      expect(formatTrySend(1, bytes, UTF8)).to.deep.equal([TEXT, bytes]);
      expect(formatTrySend(1, bytes, UTF8)[1]).to.equal(bytes);
      expect616(formatTrySend(1, NOT_UTF8, UTF8));
    });

    it('2 binary: strings by the code page', () => {
      expect(shown(formatTrySend(2, 'é', LATIN1))).to.deep.equal([BINARY, 'e9']);
      expect(shown(formatTrySend(2, 'é', UTF8))).to.deep.equal([BINARY, 'c3a9']);
    });

    it('0, 9 and 10 follow Send', () => {
      expect(shown(formatTrySend(0, 'hi', UTF8))).to.deep.equal([TEXT, hex('hi')]);
      expect(shown(formatTrySend(0, '\uD800', LATIN1))).to.deep.equal([BINARY, '3f']);
      expect(shown(formatTrySend(9, 'p', UTF8))).to.deep.equal([PING, '70']);
      expect(shown(formatTrySend(10, 'p', UTF8))).to.deep.equal([PONG, '70']);
      expect616(formatTrySend(9, Buffer.alloc(126), UTF8));
    });

    it('any other format is a 616 value', () => {
      for (const format of [3, 8, 11, 42, -1]) {
        let result: Formatted | undefined;
        expect(() => (result = formatTrySend(format, 'hi', UTF8)), `format ${format}`).not.to.throw();
        expect616(result!);
      }
    });
  });

  describe('textBytes (sendText)', () => {
    it('encodes a string as UTF-8', () => {
      expect(textBytes('héllo').toString('hex')).to.equal(hex('héllo'));
    });

    it('keeps UTF-8 bytes as they are, a Uint8Array as a view over the same memory', () => {
      const bytes = Buffer.from('é');
      expect(textBytes(bytes)).to.equal(bytes);
      const array = new Uint8Array([0x68, 0x69]);
      const out = textBytes(array);
      array[0] = 0x48;
      expect(out.toString()).to.equal('Hi');
    });

    it('throws WSServerError 616 for bytes that are not UTF-8', () => {
      expect(() => textBytes(NOT_UTF8)).to.throw(WSServerError).with.property('code', 616);
    });

    it('turns anything else into its string form', () => {
      expect(textBytes(42).toString()).to.equal('42');
      expect(textBytes(null).toString()).to.equal('null');
    });
  });

  describe('toBytes and asBuffer', () => {
    it('toBytes: strings by the code page, bytes as they are', () => {
      expect(toBytes('é', LATIN1).toString('hex')).to.equal('e9');
      expect(toBytes('é', UTF8).toString('hex')).to.equal('c3a9');
      expect(toBytes('é', UTF16LE).toString('hex')).to.equal('e900');
      const bytes = Buffer.from([1, 2, 3]);
      expect(toBytes(bytes, LATIN1)).to.equal(bytes);
    });

    it('asBuffer: a Buffer is returned as is', () => {
      const bytes = Buffer.from([1, 2, 3]);
      expect(asBuffer(bytes)).to.equal(bytes);
    });

    it('asBuffer: a Uint8Array view becomes a Buffer over the same bytes, without a copy', () => {
      const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
      const view = backing.subarray(2, 5);
      const out = asBuffer(view);
      expect(Buffer.isBuffer(out)).to.equal(true);
      expect([...out]).to.deep.equal([2, 3, 4]);
      expect(out.buffer).to.equal(backing.buffer);
      backing[3] = 99;
      expect(out[1]).to.equal(99);
    });
  });
});
