import { expect } from 'chai';
import { ProtocolError } from '../../lib/protocol/errors';
import { FrameParser, type FrameHandler } from '../../lib/protocol/frame-parser';
import {
  COPY_THRESHOLD,
  applyMask,
  formatFrame,
  formatMessage,
  frameHeaderSize,
  readMaskKey,
  unmask,
  unmaskInto,
  writeFrameHeader,
} from '../../lib/protocol/frame';
import { MASK, byteByByte, clientFrame, hex, prng, randomChunks, splitEverywhere } from '../helpers/frames';

interface SeenFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
  payload: Buffer;
}

/** Collects whole frames (payload pieces joined) from a parser. */
function collector(options: { allowRsv1?: boolean } = {}) {
  const frames: SeenFrame[] = [];
  let current: SeenFrame | null = null;
  let pieces: Buffer[] = [];
  const handler: FrameHandler = {
    onFrameStart(fin, rsv1, opcode, length) {
      current = { fin, rsv1, opcode, length, payload: Buffer.alloc(0) };
      pieces = [];
    },
    onFramePayload(data, end) {
      pieces.push(Buffer.from(data));
      if (end) {
        current!.payload = Buffer.concat(pieces);
        frames.push(current!);
        current = null;
      }
    },
  };
  const parser = new FrameParser(handler, options);
  return { parser, frames };
}

function parseAll(chunks: Buffer[], options: { allowRsv1?: boolean } = {}): SeenFrame[] {
  const { parser, frames } = collector(options);
  for (const chunk of chunks) parser.push(chunk);
  return frames;
}

function expectFailure(chunks: Buffer[], closeCode: number, code: string, options: { allowRsv1?: boolean } = {}) {
  const { parser } = collector(options);
  let caught: unknown;
  try {
    for (const chunk of chunks) parser.push(chunk);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(ProtocolError);
  expect((caught as ProtocolError).closeCode).to.equal(closeCode);
  expect((caught as ProtocolError).code).to.equal(code);
  return parser;
}

describe('FrameParser', () => {
  describe('§5.7 examples', () => {
    it('parses the masked "Hello" text frame, whole and split at every byte boundary', () => {
      const bytes = hex('81 85 37fa213d 7f9f4d51 58');
      expect(parseAll([Buffer.from(bytes)])[0]).to.deep.include({ fin: true, opcode: 1, length: 5 });
      expect(parseAll([Buffer.from(bytes)])[0]!.payload.toString()).to.equal('Hello');
      for (const parts of splitEverywhere(bytes)) {
        const frames = parseAll(parts);
        expect(frames).to.have.length(1);
        expect(frames[0]!.payload.toString()).to.equal('Hello');
      }
      expect(parseAll(byteByByte(bytes))[0]!.payload.toString()).to.equal('Hello');
    });

    it('parses a fragmented unmasked-payload message "Hel" + "lo" when masked by the client', () => {
      const frames = parseAll([clientFrame(1, 'Hel', { fin: false }), clientFrame(0, 'lo')]);
      expect(frames.map((f) => [f.opcode, f.fin, f.payload.toString()])).to.deep.equal([
        [1, false, 'Hel'],
        [0, true, 'lo'],
      ]);
    });

    it('parses a masked ping with "Hello" (§5.7)', () => {
      const frames = parseAll([hex('89 85 37fa213d 7f9f4d51 58')]);
      expect(frames[0]).to.deep.include({ opcode: 9, length: 5 });
      expect(frames[0]!.payload.toString()).to.equal('Hello');
    });
  });

  describe('§5.2 payload lengths', () => {
    for (const length of [0, 1, 125, 126, 127, 65535, 65536, 100000]) {
      it(`parses a ${length}-byte binary payload with the right length encoding`, () => {
        const payload = Buffer.alloc(length);
        for (let i = 0; i < length; i++) payload[i] = (i * 7) & 0xff;
        const frame = clientFrame(2, payload);
        expect(frame.length).to.equal(length + frameHeaderSize(length, true));
        const frames = parseAll([frame]);
        expect(frames).to.have.length(1);
        expect(frames[0]!.length).to.equal(length);
        expect(frames[0]!.payload.equals(payload)).to.equal(true);
      });
    }

    it('reads a 64-bit length of 2^32+1 without needing the payload', () => {
      const header = Buffer.alloc(14);
      writeFrameHeader(header, 0, 2, 2 ** 32 + 1, true, false, MASK);
      const starts: number[] = [];
      const parser = new FrameParser({ onFrameStart: (_f, _r, _o, length) => starts.push(length), onFramePayload() {} });
      parser.push(header);
      expect(starts).to.deep.equal([2 ** 32 + 1]);
      expect(header.subarray(1, 10).toString('hex')).to.equal('ff0000000100000001');
    });

    it('fails with 1002 when the 64-bit length has its most significant bit set', () => {
      expectFailure([hex('82 ff 8000000000000001 00000000')], 1002, 'WSS_ERR_LENGTH');
    });
  });

  describe('§5.1 masking', () => {
    it('fails with 1002 on an unmasked client frame', () => {
      expectFailure([hex('81 05 48656c6c6f')], 1002, 'WSS_ERR_UNMASKED_FRAME');
    });
    it('unmasks payloads split at any offset (mask position carried across chunks)', () => {
      const payload = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz');
      const frame = clientFrame(2, payload, { mask: Uint8Array.from([1, 2, 3, 4]) });
      for (const parts of splitEverywhere(frame)) {
        expect(parseAll(parts)[0]!.payload.equals(payload)).to.equal(true);
      }
    });
  });

  describe('§5.2 reserved bits and opcodes', () => {
    it('fails with 1002 when RSV2 or RSV3 is set', () => {
      expectFailure([hex('a1 80 00000000')], 1002, 'WSS_ERR_RSV');
      expectFailure([hex('91 80 00000000')], 1002, 'WSS_ERR_RSV');
    });
    it('fails with 1002 on RSV1 when no extension allows it', () => {
      expectFailure([clientFrame(1, 'x', { rsv1: true })], 1002, 'WSS_ERR_RSV');
    });
    it('accepts RSV1 on a first data frame when deflate is negotiated', () => {
      const frames = parseAll([clientFrame(1, 'x', { rsv1: true })], { allowRsv1: true });
      expect(frames[0]!.rsv1).to.equal(true);
    });
    it('fails with 1002 on RSV1 on a continuation or control frame, even with deflate', () => {
      expectFailure([clientFrame(1, 'a', { fin: false, rsv1: true }), clientFrame(0, 'b', { rsv1: true })], 1002, 'WSS_ERR_RSV', {
        allowRsv1: true,
      });
      expectFailure([clientFrame(9, '', { rsv1: true })], 1002, 'WSS_ERR_RSV', { allowRsv1: true });
    });
    for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
      it(`fails with 1002 on reserved opcode ${opcode}`, () => {
        expectFailure([clientFrame(opcode, '')], 1002, 'WSS_ERR_OPCODE');
      });
    }
    for (const opcode of [0x1, 0x2, 0x8, 0x9, 0xa]) {
      it(`accepts opcode ${opcode}`, () => {
        const payload = opcode === 8 ? Buffer.from([0x03, 0xe8]) : Buffer.from('ok');
        expect(parseAll([clientFrame(opcode, payload)])[0]!.opcode).to.equal(opcode);
      });
    }
  });

  describe('§5.5 control frames', () => {
    it('accepts a 125-byte ping and fails with 1002 on a 126-byte one', () => {
      expect(parseAll([clientFrame(9, Buffer.alloc(125, 1))])[0]!.length).to.equal(125);
      expectFailure([clientFrame(9, Buffer.alloc(126, 1))], 1002, 'WSS_ERR_CONTROL_TOO_LONG');
    });
    it('fails with 1002 on a fragmented control frame', () => {
      expectFailure([clientFrame(9, 'x', { fin: false })], 1002, 'WSS_ERR_CONTROL_FRAGMENTED');
    });
    it('delivers a control frame whole even when its payload is split', () => {
      const frame = clientFrame(10, Buffer.alloc(100, 7));
      const pieces: number[] = [];
      const parser = new FrameParser({ onFrameStart() {}, onFramePayload: (data, end) => pieces.push(end ? data.length : -1) });
      for (const chunk of byteByByte(frame)) parser.push(chunk);
      expect(pieces).to.deep.equal([100]);
    });
    it('allows control frames between the fragments of a message', () => {
      const frames = parseAll([clientFrame(1, 'a', { fin: false }), clientFrame(9, 'p'), clientFrame(0, 'b')]);
      expect(frames.map((f) => f.opcode)).to.deep.equal([1, 9, 0]);
    });
  });

  describe('§5.4 fragmentation', () => {
    it('fails with 1002 on a continuation frame with nothing to continue', () => {
      expectFailure([clientFrame(0, 'x')], 1002, 'WSS_ERR_CONTINUATION');
    });
    it('fails with 1002 on a new data frame before the previous message ended', () => {
      expectFailure([clientFrame(1, 'a', { fin: false }), clientFrame(2, 'b')], 1002, 'WSS_ERR_CONTINUATION');
    });
    it('fails with 1002 on a continuation after a finished message', () => {
      expectFailure([clientFrame(1, 'a'), clientFrame(0, 'b')], 1002, 'WSS_ERR_CONTINUATION');
    });
  });

  describe('chunking', () => {
    it('parses thousands of random frame sequences split at random points exactly like the unsplit stream', () => {
      const random = prng(0x5eed);
      for (let round = 0; round < 2000; round++) {
        const frames: Buffer[] = [];
        let open = false;
        const count = 1 + Math.floor(random() * 6);
        for (let i = 0; i < count; i++) {
          const roll = random();
          const size = roll < 0.6 ? Math.floor(random() * 130) : roll < 0.9 ? Math.floor(random() * 1000) : Math.floor(random() * 70000);
          const payload = Buffer.alloc(size);
          for (let j = 0; j < size; j++) payload[j] = (j * 31 + round) & 0xff;
          const mask = Uint8Array.from([random() * 256, random() * 256, random() * 256, random() * 256]);
          if (random() < 0.2) {
            frames.push(clientFrame(9, payload.subarray(0, Math.min(size, 125)), { mask }));
          } else {
            const fin = random() < 0.6 || i === count - 1;
            frames.push(clientFrame(open ? 0 : 2, payload, { fin, mask }));
            open = !fin;
          }
        }
        const stream = Buffer.concat(frames);
        const whole = parseAll([Buffer.from(stream)]);
        const split = parseAll(randomChunks(stream, random, 1 + Math.floor(random() * 200)));
        expect(split.length, `round ${round}`).to.equal(whole.length);
        for (let i = 0; i < whole.length; i++) {
          expect(split[i]!.opcode).to.equal(whole[i]!.opcode);
          expect(split[i]!.fin).to.equal(whole[i]!.fin);
          expect(split[i]!.payload.equals(whole[i]!.payload), `round ${round} frame ${i}`).to.equal(true);
        }
      }
    });

    it('hands a frame inside one chunk over without copying (a view of the chunk)', () => {
      const chunk = clientFrame(2, Buffer.alloc(300, 9));
      let seen: Buffer | null = null;
      const parser = new FrameParser({ onFrameStart() {}, onFramePayload: (data) => (seen = data) });
      parser.push(chunk);
      expect(seen!.buffer).to.equal(chunk.buffer);
    });

    it('tells onFrameStart whether the whole payload is in the chunk, also when the header straddles chunks', () => {
      const seen: boolean[] = [];
      const parser = new FrameParser({ onFrameStart: (_f, _r, _o, _l, inChunk) => seen.push(inChunk), onFramePayload() {} });
      const frame = clientFrame(2, Buffer.alloc(300, 1));
      parser.push(Buffer.concat([clientFrame(2, 'whole'), frame.subarray(0, 100)]));
      parser.push(frame.subarray(100));
      parser.push(frame.subarray(0, 5)); // header cut in the extended length
      parser.push(frame.subarray(5));
      parser.push(clientFrame(2, ''));
      expect(seen).to.deep.equal([true, false, true, true]);
    });

    it('unmasks each piece into the target pieceTarget gives, leaving the chunks masked', () => {
      const payload = Buffer.alloc(5000);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 13 + 7) & 0xff;
      const frame = clientFrame(2, payload, { mask: Uint8Array.from([9, 0x80, 0xff, 3]) });
      const random = prng(7);
      for (let round = 0; round < 50; round++) {
        const chunks = randomChunks(frame, random, 1 + Math.floor(random() * 3000));
        const copies = chunks.map((chunk) => Buffer.from(chunk));
        const target = Buffer.alloc(payload.length);
        let at = 0;
        const pieces: Buffer[] = [];
        const parser: FrameParser = new FrameParser({
          onFrameStart: () => parser.gatherPieces(),
          pieceTarget: (length) => target.subarray(at, (at += length)),
          onFramePayload: (data) => pieces.push(data),
        });
        for (const chunk of chunks) parser.push(chunk);
        expect(target.equals(payload), `round ${round}`).to.equal(true);
        expect(pieces.every((piece) => piece.buffer === target.buffer)).to.equal(true);
        expect(Buffer.concat(pieces).equals(payload)).to.equal(true);
        for (let i = 0; i < chunks.length; i++) expect(chunks[i]!.equals(copies[i]!)).to.equal(true);
      }
    });

    it('unmasks in place the pieces pieceTarget declines, and every piece of a frame not gathered', () => {
      const target = Buffer.alloc(3);
      const frames: string[] = [];
      const asked: number[] = [];
      let first = true;
      const parser: FrameParser = new FrameParser({
        onFrameStart() {
          if (first) parser.gatherPieces();
          first = false;
        },
        pieceTarget(length) {
          asked.push(length);
          return asked.length === 1 ? null : target.subarray(0, length);
        },
        onFramePayload: (data) => frames.push(data.toString()),
      });
      const gathered = clientFrame(1, 'abcdef');
      const chunk = Buffer.concat([gathered.subarray(9), clientFrame(1, 'ghi')]);
      parser.push(gathered.subarray(0, 9)); // header and 'abc'
      parser.push(chunk);
      expect(frames).to.deep.equal(['abc', 'def', 'ghi']);
      expect(asked).to.deep.equal([3, 3]);
      expect(gathered.subarray(6, 9).toString()).to.equal('abc'); // declined: unmasked in place
      expect(target.toString()).to.equal('def');
      expect(chunk.subarray(chunk.length - 3).toString()).to.equal('ghi');
    });

    it('refuses gatherPieces for a control frame or without pieceTarget, and a target of the wrong length', () => {
      const attempt = (frame: Buffer, size: number, withTarget = true) => {
        let caught: unknown;
        const parser: FrameParser = new FrameParser({
          onFrameStart() {
            try {
              parser.gatherPieces();
            } catch (error) {
              caught = error;
            }
          },
          ...(withTarget ? { pieceTarget: () => Buffer.alloc(size) } : {}),
          onFramePayload() {},
        });
        try {
          parser.push(frame);
        } catch (error) {
          caught = error;
        }
        return caught;
      };
      expect(attempt(clientFrame(2, 'abcd'), 3)).to.be.instanceOf(RangeError);
      expect(attempt(clientFrame(9, 'abcd'), 4)).to.be.instanceOf(RangeError);
      expect(attempt(clientFrame(2, 'abcd'), 4, false)).to.be.instanceOf(RangeError);
      expect(attempt(clientFrame(2, 'abcd'), 4)).to.equal(undefined);
    });

    it('keeps input while paused and continues on resume, in order', () => {
      const seen: string[] = [];
      const parser: FrameParser = new FrameParser({
        onFrameStart() {},
        onFramePayload(data) {
          seen.push(data.toString());
          if (data.toString() === 'b') parser.pause();
        },
      });
      parser.push(Buffer.concat([clientFrame(1, 'a'), clientFrame(1, 'b'), clientFrame(1, 'c')]));
      parser.push(clientFrame(1, 'd'));
      expect(seen).to.deep.equal(['a', 'b']);
      expect(parser.pendingBytes).to.be.greaterThan(0);
      parser.resume();
      expect(seen).to.deep.equal(['a', 'b', 'c', 'd']);
    });

    it('ignores all input after a failure', () => {
      const parser = expectFailure([clientFrame(0, 'x')], 1002, 'WSS_ERR_CONTINUATION');
      expect(() => parser.push(clientFrame(1, 'y'))).not.to.throw();
    });
  });
});

describe('frame formatting', () => {
  it('writes the §5.7 unmasked "Hello" frame', () => {
    expect(formatFrame(1, Buffer.from('Hello')).toString('hex')).to.equal('810548656c6c6f');
  });
  it('writes 16-bit and 64-bit lengths (§5.7: 256 bytes and 64 KiB binary)', () => {
    expect(formatFrame(2, Buffer.alloc(256)).subarray(0, 4).toString('hex')).to.equal('827e0100');
    expect(formatFrame(2, Buffer.alloc(65536)).subarray(0, 10).toString('hex')).to.equal('827f0000000000010000');
  });
  it('fragments a message at maxFrameSize with FIN on the last frame only and RSV1 on the first only', () => {
    const frames = formatMessage(2, Buffer.alloc(10, 1), 4, true);
    const parsed = parseAll(
      frames.map((f) => {
        // re-mask as a client would, so the server parser can read our own output
        const copy = Buffer.from(f);
        return clientFrame(copy[0]! & 0x0f, copy.subarray(2), { fin: (copy[0]! & 0x80) !== 0, rsv1: (copy[0]! & 0x40) !== 0 });
      }),
      { allowRsv1: true },
    );
    expect(parsed.map((f) => [f.opcode, f.fin, f.rsv1, f.length])).to.deep.equal([
      [2, false, true, 4],
      [0, false, false, 4],
      [0, true, false, 2],
    ]);
  });
  it('sends an empty message as one empty frame', () => {
    expect(Buffer.concat(formatMessage(1, Buffer.alloc(0), 4)).toString('hex')).to.equal('8100');
  });
  it('continues a message sent in parts with continuation frames', () => {
    const first = Buffer.concat(formatMessage(1, Buffer.from('ab'), 0, false, true, false));
    const last = Buffer.concat(formatMessage(1, Buffer.from('cd'), 0, false, false, true));
    expect(first.toString('hex')).to.equal('01026162');
    expect(last.toString('hex')).to.equal('80026364');
  });
});

describe('applyMask', () => {
  it('matches a byte-by-byte reference for every length, offset and alignment', () => {
    const mask = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
    const backing = Buffer.alloc(300);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 13) & 0xff;
    for (const length of [0, 1, 3, 31, 32, 33, 64, 100, 257]) {
      for (let start = 0; start < 4; start++) {
        for (let offset = 0; offset < 4; offset++) {
          const data = Buffer.from(backing.subarray(0, start + length));
          const expected = Buffer.from(data);
          for (let i = 0; i < length; i++) expected[start + i] = expected[start + i]! ^ mask[(offset + i) & 3]!;
          applyMask(data, mask, offset, start, start + length);
          expect(data.equals(expected), `length ${length} start ${start} offset ${offset}`).to.equal(true);
        }
      }
    }
  });
  it('matches the reference on long buffers, where words and the WebAssembly loop take over, across 64 KiB blocks', () => {
    const mask = Uint8Array.from([0x01, 0x7f, 0x80, 0xfe]);
    const backing = Buffer.alloc(140000 + 8);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 29 + 3) & 0xff;
    for (const length of [15, 16, 17, 500, 511, 512, 513, 1000, 1023, 1024, 1025, 4099, 65535, 65536, 65537, 140000]) {
      for (const [start, offset] of [[0, 0], [1, 3], [2, 1], [3, 2], [5, 0]] as const) {
        const data = Buffer.from(backing.subarray(0, start + length + 3));
        const expected = Buffer.from(data);
        for (let i = 0; i < length; i++) expected[start + i] = expected[start + i]! ^ mask[(offset + i) & 3]!;
        applyMask(data, mask, offset, start, start + length);
        expect(data.equals(expected), `length ${length} start ${start} offset ${offset}`).to.equal(true);
      }
    }
  });
  it('works on a view that is not 4-byte aligned in its ArrayBuffer', () => {
    const whole = Buffer.alloc(200, 0x55);
    const view = whole.subarray(3, 103);
    applyMask(view, Uint8Array.from([1, 2, 3, 4]));
    for (let i = 0; i < 100; i++) expect(view[i]).to.equal(0x55 ^ [1, 2, 3, 4][i & 3]!);
    expect(whole[2]).to.equal(0x55);
    expect(whole[103]).to.equal(0x55);
  });
});

describe('masking keys as numbers', () => {
  /** The reference: byte i of the payload XORed with byte (offset + i) mod 4 of the key. */
  function reference(data: Uint8Array, mask: Uint8Array, offset: number): Buffer {
    const out = Buffer.from(data);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! ^ mask[(offset + i) & 3]!;
    return out;
  }

  it('reads a key as one number, its first byte lowest', () => {
    expect(readMaskKey(hex('37fa213d'), 0)).to.equal(0x3d21fa37);
    expect(readMaskKey(hex('00 01020304'), 1)).to.equal(0x04030201);
    expect(readMaskKey(hex('ffffffff'), 0)).to.equal(-1);
  });

  it('unmask() handles a key offset beyond 2^32 (a payload position in a huge frame)', () => {
    const data = Buffer.from('abcdefgh');
    unmask(data, 0, 8, readMaskKey(MASK, 0), 2 ** 32 + 6);
    expect(data.equals(reference(Buffer.from('abcdefgh'), MASK, 2))).to.equal(true);
  });

  it('unmask() reuses its view of a buffer correctly when called on several buffers in turn', () => {
    const key = readMaskKey(MASK, 0);
    const a = Buffer.alloc(2000, 0x11);
    const b = Buffer.alloc(700, 0x22).subarray(1);
    for (let round = 0; round < 3; round++) {
      unmask(a, 3, 40, key, round);
      unmask(b, 2, 50, key, round);
      unmask(a, 100, 130, key, 1);
    }
    const expectedA = Buffer.alloc(2000, 0x11);
    for (let round = 0; round < 3; round++) {
      reference(expectedA.subarray(3, 40), MASK, round).copy(expectedA, 3);
      reference(expectedA.subarray(100, 130), MASK, 1).copy(expectedA, 100);
    }
    const expectedB = Buffer.alloc(699, 0x22);
    for (let round = 0; round < 3; round++) reference(expectedB.subarray(2, 50), MASK, round).copy(expectedB, 2);
    expect(a.equals(expectedA)).to.equal(true);
    expect(b.equals(expectedB)).to.equal(true);
  });

  it('unmask() takes a fresh view when a resizable buffer grew since the last call', () => {
    type Resizable = ArrayBuffer & { resize(length: number): void };
    const Growable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => Resizable;
    const buffer = new Growable(600, { maxByteLength: 4096 });
    const data = new Uint8Array(buffer); // tracks the buffer's length
    const key = readMaskKey(MASK, 0);
    unmask(data, 0, 600, key, 0);
    buffer.resize(4096);
    data.fill(0x5a);
    unmask(data, 1000, 1900, key, 0);
    unmask(data, 3000, 3800, key, 1);
    const expected = Buffer.alloc(4096, 0x5a);
    reference(expected.subarray(1000, 1900), MASK, 0).copy(expected, 1000);
    reference(expected.subarray(3000, 3800), MASK, 1).copy(expected, 3000);
    expect(Buffer.from(data).equals(expected)).to.equal(true);
  });

  it('unmaskInto() writes the unmasked bytes to the target and leaves the source as it was', () => {
    const source = Buffer.alloc(140000 + 8);
    for (let i = 0; i < source.length; i++) source[i] = (i * 31 + 5) & 0xff;
    const pristine = Buffer.from(source);
    const key = readMaskKey(MASK, 0);
    for (const length of [0, 1, 3, 4, 7, 255, 256, 257, 511, 512, 513, 1024, 65536, 65537, 140000]) {
      for (const [start, at, offset] of [[0, 0, 0], [1, 0, 1], [2, 3, 2], [7, 5, 3]] as const) {
        const target = Buffer.alloc(at + length + 2, 0xee);
        unmaskInto(source, start, start + length, key, offset, target, at);
        const expected = Buffer.alloc(at + length + 2, 0xee);
        reference(source.subarray(start, start + length), MASK, offset).copy(expected, at);
        expect(target.equals(expected), `length ${length} start ${start} at ${at} offset ${offset}`).to.equal(true);
      }
    }
    expect(source.equals(pristine)).to.equal(true);
  });
});

describe('COPY_THRESHOLD', () => {
  it('copies payloads up to the threshold into their frame and hands larger ones over as they are', () => {
    const small = Buffer.alloc(COPY_THRESHOLD, 1);
    const large = Buffer.alloc(COPY_THRESHOLD + 1, 2);
    const one = formatMessage(2, small, 0);
    expect(one).to.have.length(1);
    expect(one[0]!.subarray(0, 4).toString('hex')).to.equal('827e' + COPY_THRESHOLD.toString(16).padStart(4, '0'));
    expect(one[0]!.subarray(4).equals(small)).to.equal(true);
    const two = formatMessage(2, large, 0);
    expect(two).to.have.length(2);
    expect(two[0]!.toString('hex')).to.equal('827e' + (COPY_THRESHOLD + 1).toString(16).padStart(4, '0'));
    expect(two[1]!.buffer).to.equal(large.buffer);
    expect(two[1]!.equals(large)).to.equal(true);
  });
});
