import { expect } from 'chai';
import * as sinon from 'sinon';
import { ServerConnection, incompleteTailStart, type ConnectionHandler, type ConnectionOptions } from '../../lib/protocol/connection';
import { ProtocolError } from '../../lib/protocol/errors';
import { COPY_THRESHOLD } from '../../lib/protocol/frame';
import { FakeCodec, fakeCompress, fakeDecompress } from '../helpers/fake-codec';
import { byteByByte, clientFrame, hex, prng, randomChunks } from '../helpers/frames';

type Seen =
  | ['data', number, string, boolean, boolean]
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['error', number, string];

/** A connection wired to a recording handler. */
function open(options: ConnectionOptions = {}) {
  const events: Seen[] = [];
  const written: Buffer[] = [];
  const inflating: boolean[] = [];
  const handler: ConnectionHandler = {
    write: (data) => written.push(Buffer.from(data)),
    onInflating: (busy) => inflating.push(busy),
    onData: (opcode, data, first, last) => events.push(['data', opcode, data.toString('latin1'), first, last]),
    onPing: (payload) => events.push(['ping', payload.toString()]),
    onPong: (payload) => events.push(['pong', payload.toString()]),
    onPeerClose: (code, reason) => events.push(['close', code, reason]),
    onProtocolError: (error) => {
      events.push(['error', error.closeCode, error.code]);
      errors.push(error);
    },
  };
  const errors: ProtocolError[] = [];
  const connection = new ServerConnection(handler, options);
  const output = () => Buffer.concat(written).toString('hex');
  return { connection, events, written, errors, output, inflating };
}

const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

/** A handler that ignores everything. */
const silent: ConnectionHandler = {
  write() {},
  onData() {},
  onPing() {},
  onPong() {},
  onPeerClose() {},
  onProtocolError() {},
};

/** A masked client frame header (zero key) announcing `length` bytes with a 64-bit length. */
function writeHeader(target: Buffer, opcode: number, length: number): void {
  target[0] = 0x80 | opcode;
  target[1] = 0x80 | 127;
  target.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  target.writeUInt32BE(length >>> 0, 6);
  target.writeUInt32BE(0, 10);
}

describe('ServerConnection', () => {
  describe('messages', () => {
    it('delivers a single-frame text message', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(1, 'Hello'));
      expect(events).to.deep.equal([['data', 1, 'Hello', true, true]]);
    });

    it('delivers fragments as they arrive, marking the first and last piece', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(2, 'ab', { fin: false }));
      connection.receiveData(clientFrame(0, 'cd', { fin: false }));
      connection.receiveData(clientFrame(0, 'ef'));
      expect(events).to.deep.equal([
        ['data', 2, 'ab', true, false],
        ['data', 2, 'cd', false, false],
        ['data', 2, 'ef', false, true],
      ]);
    });

    it('delivers one whole message when buffering', () => {
      const { connection, events } = open({ bufferMessages: true });
      connection.receiveData(clientFrame(1, 'ab', { fin: false }));
      connection.receiveData(clientFrame(9, 'p'));
      connection.receiveData(clientFrame(0, 'cd'));
      expect(events).to.deep.equal([
        ['ping', 'p'],
        ['data', 1, 'abcd', true, true],
      ]);
    });

    it('delivers empty messages', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(1, ''));
      connection.receiveData(clientFrame(2, ''));
      expect(events).to.deep.equal([
        ['data', 1, '', true, true],
        ['data', 2, '', true, true],
      ]);
    });

    it('keeps text pieces on character boundaries when a character is split between frames', () => {
      const { connection, events } = open();
      const euro = Buffer.from('€', 'utf8'); // e2 82 ac
      connection.receiveData(clientFrame(1, Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]), { fin: false }));
      connection.receiveData(clientFrame(0, Buffer.concat([euro.subarray(2), Buffer.from('b')])));
      expect(events).to.deep.equal([
        ['data', 1, 'a', true, false],
        ['data', 1, utf8('€b'), false, true],
      ]);
    });

    it('parses a stream fed one byte at a time', () => {
      const { connection, events } = open();
      for (const byte of byteByByte(Buffer.concat([clientFrame(1, 'hi'), clientFrame(9, 'x'), clientFrame(2, 'yo')]))) {
        connection.receiveData(byte);
      }
      expect(events.filter((e) => e[0] === 'data').map((e) => e[2])).to.deep.equal(['h', 'i', 'y', 'o']);
      expect(events.filter((e) => e[0] === 'ping')).to.deep.equal([['ping', 'x']]);
    });
  });

  describe('buffering whole messages (bufferMessages)', () => {
    /** A connection that keeps the Buffers it is given, as they are. */
    function keeping(options: ConnectionOptions) {
      const messages: Array<{ opcode: number; data: Buffer; first: boolean; last: boolean }> = [];
      const errors: ProtocolError[] = [];
      const handler: ConnectionHandler = {
        write() {},
        onData: (opcode, data, first, last) => messages.push({ opcode, data, first, last }),
        onPing() {},
        onPong() {},
        onPeerClose() {},
        onProtocolError: (error) => errors.push(error),
      };
      return { connection: new ServerConnection(handler, options), messages, errors };
    }

    function payloadOf(size: number, seed: number): Buffer {
      const out = Buffer.alloc(size);
      for (let i = 0; i < size; i++) out[i] = (i * 131 + seed) & 0xff;
      return out;
    }

    afterEach(() => sinon.restore());

    it('hands a single-frame message that lies in one chunk over as a view of that chunk', () => {
      const { connection, messages } = keeping({ bufferMessages: true });
      const chunk = Buffer.concat([clientFrame(2, payloadOf(3000, 1)), clientFrame(1, 'tail')]);
      connection.receiveData(chunk);
      expect(messages).to.have.length(2);
      expect(messages[0]!.data.buffer).to.equal(chunk.buffer);
      expect(messages[0]!.data.equals(payloadOf(3000, 1))).to.equal(true);
      expect(messages[1]!.data.toString()).to.equal('tail');
    });

    it('reassembles a frame spread over chunks, whatever the cut', () => {
      const random = prng(11);
      for (const size of [2, 125, 126, 4000, 70000, 300000]) {
        const payload = payloadOf(size, size);
        const frame = clientFrame(2, payload, { mask: Uint8Array.from([0xa5, 0x5a, 0x01, 0xf0]) });
        const chunks = randomChunks(frame, random, Math.max(2, Math.floor(frame.length / 3)));
        if (chunks.length === 1) chunks.push(chunks[0]!.subarray(1)), (chunks[0] = chunks[0]!.subarray(0, 1));
        const { connection, messages } = keeping({ bufferMessages: true });
        for (const chunk of chunks) connection.receiveData(chunk);
        expect(messages, `size ${size}`).to.have.length(1);
        expect(messages[0]).to.include({ opcode: 2, first: true, last: true });
        expect(messages[0]!.data.equals(payload), `size ${size}`).to.equal(true);
      }
    });

    it('reassembles fragmented messages of any shape, with control frames between the fragments', () => {
      const random = prng(23);
      for (let round = 0; round < 200; round++) {
        const count = 1 + Math.floor(random() * 8);
        const fragments: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          const roll = random();
          fragments.push(payloadOf(roll < 0.2 ? 0 : roll < 0.7 ? Math.floor(random() * 200) : Math.floor(random() * 40000), round + i));
        }
        const frames: Buffer[] = [];
        fragments.forEach((fragment, i) => {
          frames.push(clientFrame(i === 0 ? 2 : 0, fragment, { fin: i === count - 1 }));
          if (random() < 0.3) frames.push(clientFrame(9, 'p'));
        });
        frames.push(clientFrame(2, 'next'));
        const { connection, messages, errors } = keeping({ bufferMessages: true });
        for (const chunk of randomChunks(Buffer.concat(frames), random, 1 + Math.floor(random() * 20000))) connection.receiveData(chunk);
        expect(errors).to.deep.equal([]);
        expect(messages, `round ${round}`).to.have.length(2);
        expect(messages[0]!.data.equals(Buffer.concat(fragments)), `round ${round}`).to.equal(true);
        expect(messages[1]!.data.toString()).to.equal('next');
      }
    });

    it('still fails fast on invalid UTF-8 in a text message it is reassembling', () => {
      const { connection, messages, errors } = keeping({ bufferMessages: true });
      const frame = clientFrame(1, Buffer.concat([Buffer.alloc(5000, 0x61), hex('c0 80'), Buffer.alloc(5000, 0x62)]));
      connection.receiveData(frame.subarray(0, 5010));
      expect(errors.map((e) => [e.closeCode, e.code])).to.deep.equal([[1007, 'WSS_ERR_INVALID_UTF8']]);
      connection.receiveData(frame.subarray(5010));
      expect(messages).to.deep.equal([]);
    });

    it('reassembles text whose characters are cut between chunks and frames', () => {
      const text = 'κόσμε €𝄞 '.repeat(500);
      const bytes = Buffer.from(text);
      const frames = Buffer.concat([clientFrame(1, bytes.subarray(0, 1001), { fin: false }), clientFrame(0, bytes.subarray(1001))]);
      const { connection, messages, errors } = keeping({ bufferMessages: true });
      for (const chunk of randomChunks(frames, prng(5), 777)) connection.receiveData(chunk);
      expect(errors).to.deep.equal([]);
      expect(messages.map((m) => [m.opcode, m.data.toString()])).to.deep.equal([[1, text]]);
    });

    it('never allocates from a length beyond maxMessageSize', () => {
      const allocations = sinon.spy(Buffer, 'allocUnsafe');
      const { connection, errors } = keeping({ bufferMessages: true, maxMessageSize: 100000 });
      const header = Buffer.alloc(14);
      writeHeader(header, 2, 100001);
      connection.receiveData(header);
      expect(errors.map((e) => [e.closeCode, e.code])).to.deep.equal([[1009, 'WSS_ERR_MESSAGE_TOO_BIG']]);
      expect(allocations.args.filter(([size]) => size > 1000)).to.deep.equal([]);
    });

    it('grows the assembly with the bytes that arrived, never from the length a header announces', () => {
      const allocations = sinon.spy(Buffer, 'allocUnsafe');
      const { connection, messages } = keeping({ bufferMessages: true });
      const header = Buffer.alloc(14);
      writeHeader(header, 2, 50 * 1024 * 1024);
      const piece = Buffer.alloc(4096, 0x37);
      connection.receiveData(Buffer.concat([header, piece]));
      connection.receiveData(Buffer.from(piece));
      const large = allocations.args.map(([size]) => size as number).filter((size) => size > 1000);
      expect(large.every((size) => size <= 2 * 8192), String(large)).to.equal(true);
      expect(messages).to.deep.equal([]);
    });

    it('makes one buffer at the full length of a long frame once half of it is in, never more than twice what arrived', () => {
      const random = prng(5);
      for (const size of [100000, 1 << 20]) {
        const payload = payloadOf(size, 3);
        const frame = clientFrame(2, payload, { mask: Uint8Array.from([1, 2, 3, 4]) });
        const { connection, messages } = keeping({ bufferMessages: true });
        const allocations = sinon.spy(Buffer, 'allocUnsafe');
        let sent = 0;
        while (sent < frame.length) {
          const chunk = Buffer.from(frame.subarray(sent, (sent += 1024 + Math.floor(random() * 65536))));
          connection.receiveData(chunk);
          expect(connection.assemblyBytes, `size ${size}, ${sent} sent`).to.be.at.most(2 * sent);
        }
        const large = allocations.args.map(([n]) => n as number).filter((n) => n > 4096);
        allocations.restore();
        expect(large, `size ${size}`).to.deep.equal([size]);
        expect(messages).to.have.length(1);
        expect(messages[0]!.data.equals(payload)).to.equal(true);
        expect(connection.assemblyBytes).to.equal(0);
      }
    });

    it('keeps one buffer for a message of many tiny fragments, compressed or not', () => {
      for (const compressed of [false, true]) {
        const { connection, messages } = keeping({ bufferMessages: true, deflate: compressed ? new FakeCodec() : null });
        const frames: Buffer[] = [];
        for (let i = 0; i < 2000; i++) {
          const piece = Buffer.from([i & 0xff, 0x11, 0x22]);
          frames.push(clientFrame(i === 0 ? 2 : 0, compressed ? fakeCompress(piece) : piece, { fin: i === 1999, rsv1: compressed && i === 0 }));
        }
        const input = Buffer.concat(frames);
        const allocations = sinon.spy(Buffer, 'allocUnsafe');
        connection.receiveData(input);
        const sizes = allocations.args.map(([size]) => size as number).filter((size) => size >= 1024);
        allocations.restore();
        expect(messages).to.have.length(1);
        expect(messages[0]!.data.length).to.equal(6000);
        expect(messages[0]!.data[3 * 255]).to.equal(255);
        // Doubling from 1 KiB to hold 6000 bytes: 1, 2, 4 and 8 KiB, whatever the number of fragments.
        expect(sizes, `compressed ${compressed}`).to.deep.equal([1024, 2048, 4096, 8192]);
      }
    });

    it('refuses a message with more fragments than maxFragments (1009)', () => {
      const { connection, events } = open({ maxFragments: 3 });
      connection.receiveData(Buffer.concat([clientFrame(2, 'a', { fin: false }), clientFrame(0, 'b', { fin: false }), clientFrame(0, 'c', { fin: false })]));
      expect(events.filter((e) => e[0] === 'error')).to.deep.equal([]);
      connection.receiveData(clientFrame(0, 'd'));
      expect(events.at(-1)).to.deep.equal(['error', 1009, 'WSS_ERR_TOO_MANY_FRAGMENTS']);
    });

    it('does not preallocate a large frame when streaming: pieces are views of the chunks', () => {
      const allocations = sinon.spy(Buffer, 'allocUnsafe');
      const { connection, messages } = keeping({ bufferMessages: false });
      const header = Buffer.alloc(14);
      writeHeader(header, 2, 50 * 1024 * 1024);
      const piece = Buffer.alloc(4096, 0x37);
      connection.receiveData(Buffer.concat([header, piece]));
      connection.receiveData(piece);
      expect(allocations.args.filter(([size]) => size > 10000)).to.deep.equal([]);
      expect(messages.map((m) => [m.data.length, m.first, m.last])).to.deep.equal([
        [4096, true, false],
        [4096, false, false],
      ]);
      expect(messages[1]!.data.buffer).to.equal(piece.buffer);
    });

    it('applies a change of bufferMessages from the next message on', () => {
      const { connection, messages } = keeping({ bufferMessages: true });
      connection.receiveData(clientFrame(2, 'ab', { fin: false }));
      connection.bufferMessages = false;
      connection.receiveData(clientFrame(0, 'cd'));
      connection.receiveData(clientFrame(2, 'ef', { fin: false }));
      connection.bufferMessages = true;
      connection.receiveData(clientFrame(0, 'gh'));
      expect(messages.map((m) => [m.data.toString(), m.first, m.last])).to.deep.equal([
        ['abcd', true, true],
        ['ef', true, false],
        ['gh', false, true],
      ]);
    });
  });

  describe('§8.1 UTF-8', () => {
    it('fails with 1007 on invalid UTF-8 in a text message', () => {
      const { connection, events, errors } = open();
      connection.receiveData(clientFrame(1, hex('cebae1bdb9cf83cebcceb5eda080656469746564')));
      expect(events).to.deep.equal([['error', 1007, 'WSS_ERR_INVALID_UTF8']]);
      expect(errors[0]).to.be.instanceOf(ProtocolError);
    });

    it('fails fast: in the first fragment, before the message ends', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(1, hex('41 c0 80'), { fin: false }));
      expect(events).to.deep.equal([['error', 1007, 'WSS_ERR_INVALID_UTF8']]);
      connection.receiveData(clientFrame(0, 'more'));
      expect(events).to.have.length(1);
    });

    it('fails with 1007 when a text message ends inside a character', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(1, hex('e2 82')));
      expect(events).to.deep.equal([['error', 1007, 'WSS_ERR_INVALID_UTF8']]);
    });

    it('does not validate binary messages', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(2, hex('c0 80 ff')));
      expect(events).to.deep.equal([['data', 2, '\xc0\x80\xff', true, true]]);
    });
  });

  describe('limits', () => {
    it('fails with 1009 from the frame header when a message exceeds maxMessageSize', () => {
      const { connection, events } = open({ maxMessageSize: 10 });
      connection.receiveData(clientFrame(2, 'x'.repeat(10)));
      connection.receiveData(clientFrame(2, 'x'.repeat(6), { fin: false }));
      connection.receiveData(clientFrame(0, 'x'.repeat(5)).subarray(0, 6)); // header and mask only: decided already
      expect(events.map((e) => e[0])).to.deep.equal(['data', 'data', 'error']);
      expect(events[2]).to.deep.equal(['error', 1009, 'WSS_ERR_MESSAGE_TOO_BIG']);
    });
  });

  describe('§5.5.2 ping and pong', () => {
    it('answers a ping with a pong carrying the same payload', () => {
      const { connection, events, output } = open();
      connection.receiveData(clientFrame(9, 'Hello'));
      expect(output()).to.equal('8a0548656c6c6f');
      expect(events).to.deep.equal([['ping', 'Hello']]);
    });
    it('answers only the latest of the pings in one chunk (§5.5.3), so unread pongs cannot pile up', () => {
      const { connection, events, output } = open();
      const pings: Buffer[] = [];
      for (let i = 0; i < 1000; i++) pings.push(clientFrame(9, `p${i}`));
      connection.receiveData(Buffer.concat(pings));
      expect(events).to.have.length(1000);
      expect(output()).to.equal('8a04' + Buffer.from('p999').toString('hex'));
    });
    it('sends a pong before whatever is sent after its ping, and before a close', () => {
      const { connection, output, written } = open();
      const handler = (connection as unknown as { handler: ConnectionHandler }).handler;
      handler.onPing = () => connection.send(1, Buffer.from('x'));
      connection.receiveData(clientFrame(9, 'a'));
      expect(output()).to.equal('8a0161' + '810178');
      written.length = 0;
      handler.onPing = () => connection.close(1000);
      connection.receiveData(clientFrame(9, 'b'));
      expect(output()).to.equal('8a0162' + '880203e8');
    });
    it('reports a pong without answering it', () => {
      const { connection, events, written } = open();
      connection.receiveData(clientFrame(10, 'r'));
      expect(events).to.deep.equal([['pong', 'r']]);
      expect(written).to.have.length(0);
    });
    it('sends pings and pongs with payload, refusing more than 125 bytes', () => {
      const { connection, output } = open();
      connection.ping(Buffer.from('a'));
      connection.pong(Buffer.from('b'));
      expect(output()).to.equal('89016' + '18a0162');
      expect(() => connection.ping(Buffer.alloc(126))).to.throw(RangeError);
    });
  });

  describe('§5.5.1 and §7 closing', () => {
    it('echoes the peer close code and reports code and reason', () => {
      const { connection, events, output } = open();
      connection.receiveData(clientFrame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')])));
      expect(events).to.deep.equal([['close', 1000, 'bye']]);
      expect(output()).to.equal('880203e8');
      expect(connection.state).to.equal('closed');
    });
    it('reports 1005 for an empty close and answers with an empty close', () => {
      const { connection, events, output } = open();
      connection.receiveData(clientFrame(8, ''));
      expect(events).to.deep.equal([['close', 1005, '']]);
      expect(output()).to.equal('8800');
    });
    it('fails with 1002 on a 1-byte close payload and on an invalid close code', () => {
      for (const payload of [hex('03'), hex('03ed'), hex('0000'), hex('1388')]) {
        const { connection, events } = open();
        connection.receiveData(clientFrame(8, payload));
        expect(events[0]![0], payload.toString('hex')).to.equal('error');
        expect(events[0]![1]).to.equal(1002);
      }
    });
    it('fails with 1007 on a close reason that is not UTF-8', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(8, hex('03e8 ff')));
      expect(events).to.deep.equal([['error', 1007, 'WSS_ERR_INVALID_UTF8']]);
    });
    it('ignores data after the peer close', () => {
      const { connection, events } = open();
      connection.receiveData(Buffer.concat([clientFrame(8, hex('03e8')), clientFrame(1, 'late')]));
      connection.receiveData(clientFrame(1, 'later'));
      expect(events).to.deep.equal([['close', 1000, '']]);
    });
    it('runs a server-initiated closing handshake', () => {
      const { connection, events, output } = open();
      connection.close(1001, 'going');
      expect(connection.state).to.equal('closing');
      expect(output()).to.equal('880703e9' + Buffer.from('going').toString('hex'));
      expect(() => connection.send(1, Buffer.from('x'))).to.throw(/closing/);
      connection.receiveData(clientFrame(1, 'still read until the close'));
      connection.receiveData(clientFrame(8, hex('03e9')));
      expect(events.map((e) => e[0])).to.deep.equal(['data', 'close']);
      expect(connection.state).to.equal('closed');
      expect(output()).to.equal('880703e9' + Buffer.from('going').toString('hex')); // no second close frame
    });
    it('truncates a long reason to 123 bytes without splitting a character', () => {
      const { connection, written } = open();
      connection.close(1000, '€'.repeat(60));
      const frame = written[0]!;
      expect(frame[1]).to.equal(2 + 123 - (123 % 3));
      expect(Buffer.from(frame.subarray(4)).toString('utf8')).to.equal('€'.repeat(41));
    });
    it('sends the close frame for a protocol error only when told to (fail)', () => {
      const { connection, events, errors, output } = open();
      connection.receiveData(Buffer.concat([clientFrame(1, 'ok'), clientFrame(0, 'bad')]));
      expect(events).to.deep.equal([
        ['data', 1, 'ok', true, true],
        ['error', 1002, 'WSS_ERR_CONTINUATION'],
      ]);
      connection.send(1, Buffer.from('reply'));
      connection.fail(errors[0]!);
      expect(output().startsWith('81057265706c79')).to.equal(true);
      expect(output().slice(14, 22)).to.equal('88' + (2 + errors[0]!.message.length).toString(16).padStart(2, '0') + '03ea');
      expect(connection.state).to.equal('closed');
    });
  });

  describe('outgoing', () => {
    it('fragments at maxFrameSize', () => {
      const { connection, output } = open({ maxFrameSize: 2 });
      connection.send(1, Buffer.from('abcde'));
      expect(output()).to.equal('01026162' + '00026364' + '800165');
    });
    it('writes a small message as one buffer, header and payload together', () => {
      const writes: Buffer[] = [];
      const connection = new ServerConnection({ ...silent, write: (data) => writes.push(data) });
      connection.send(1, Buffer.from('Hello'));
      connection.send(2, Buffer.alloc(COPY_THRESHOLD, 0xab));
      expect(writes.map((w) => w.length)).to.deep.equal([7, 4 + COPY_THRESHOLD]);
      expect(writes[0]!.toString('hex')).to.equal('810548656c6c6f');
      expect(writes[1]!.subarray(0, 5).toString('hex')).to.equal('827e' + COPY_THRESHOLD.toString(16).padStart(4, '0') + 'ab');
    });
    it('writes a larger message as its header and then the payload itself, uncopied and unchanged', () => {
      const writes: Buffer[] = [];
      const connection = new ServerConnection({ ...silent, write: (data) => writes.push(data) }, { maxFrameSize: 0 });
      const payload = Buffer.alloc(70000, 0x5c);
      connection.send(2, payload);
      expect(writes).to.have.length(2);
      expect(writes[0]!.toString('hex')).to.equal('827f0000000000011170');
      expect(writes[1]).to.equal(payload);
      expect(payload.equals(Buffer.alloc(70000, 0x5c))).to.equal(true);
    });
    it('sends a message in parts with FIN on the last part only', () => {
      const { connection, output } = open({ maxFrameSize: 0 });
      connection.sendPart(2, Buffer.from('ab'), false);
      expect(connection.sendingParts).to.equal(true);
      expect(() => connection.send(2, Buffer.from('x'))).to.throw(/still open/);
      connection.sendPart(2, Buffer.from('cd'), true);
      expect(output()).to.equal('02026162' + '80026364');
    });
  });

  // The connection's side of RFC 7692, with the fake codec of spec/helpers/fake-codec.ts: what it
  // hands to the codec, what it does with the answers, in which order, and while an answer is
  // pending. The same cases with the real zlib codec are in spec/codec/deflate-codec.connection.spec.ts.
  describe('RFC 7692 permessage-deflate', () => {
    it('inflates a compressed message through the codec', () => {
      const codec = new FakeCodec();
      const { connection, events } = open({ deflate: codec });
      connection.receiveData(clientFrame(1, fakeCompress('Hello'), { rsv1: true }));
      expect(events).to.deep.equal([['data', 1, 'Hello', true, true]]);
      expect(codec.calls).to.deep.equal([['decompress', fakeCompress('Hello').toString('latin1'), true]]);
    });

    it('inflates a compressed message split into fragments with a ping between them', () => {
      const codec = new FakeCodec();
      const { connection, events } = open({ deflate: codec, bufferMessages: true });
      const payload = fakeCompress('Hello, fragmented world');
      connection.receiveData(clientFrame(1, payload.subarray(0, 5), { rsv1: true, fin: false }));
      connection.receiveData(clientFrame(9, 'p'));
      connection.receiveData(clientFrame(0, payload.subarray(5)));
      expect(events).to.deep.equal([
        ['ping', 'p'],
        ['data', 1, 'Hello, fragmented world', true, true],
      ]);
      // §7.2.2: the fragments of one message are one stream; only the last one ends it.
      expect(codec.calls.map((call) => call[2])).to.deep.equal([false, true]);
    });

    it('stops reading while a fragment is inflating and goes on, in order, when it is answered', () => {
      const codec = new FakeCodec({ async: true });
      const { connection, events } = open({ deflate: codec, bufferMessages: true });
      const payload = fakeCompress('Hello, fragmented world');
      connection.receiveData(
        Buffer.concat([clientFrame(1, payload.subarray(0, 5), { rsv1: true, fin: false }), clientFrame(9, 'p'), clientFrame(0, payload.subarray(5))]),
      );
      // The ping behind the first fragment is not read until that fragment is answered.
      expect([events, codec.pending]).to.deep.equal([[], 1]);
      expect(codec.flush(1)).to.equal(1);
      expect([events, codec.pending]).to.deep.equal([[['ping', 'p']], 1]);
      codec.flush();
      expect(events).to.deep.equal([
        ['ping', 'p'],
        ['data', 1, 'Hello, fragmented world', true, true],
      ]);
    });

    it('tells its owner when a background inflate starts and ends (onInflating), and only then', () => {
      const codec = new FakeCodec({ async: true });
      const { connection, events, inflating } = open({ deflate: codec });
      connection.receiveData(clientFrame(1, fakeCompress('one'), { rsv1: true }));
      expect(inflating).to.deep.equal([true]);
      codec.flush();
      expect([inflating, events]).to.deep.equal([[true, false], [['data', 1, 'one', true, true]]]);
      // An answer given before decompress() returns is no pause at all: nothing is reported.
      const sync = open({ deflate: new FakeCodec() });
      sync.connection.receiveData(clientFrame(1, fakeCompress('two'), { rsv1: true }));
      expect([sync.inflating, sync.events.length]).to.deep.equal([[], 1]);
    });

    it('lifts the inflate hold even when the answer fails the connection', () => {
      const codec = new FakeCodec({ async: true, maxMessageSize: 2 });
      const { connection, errors, inflating } = open({ deflate: codec, maxMessageSize: 2 });
      connection.receiveData(clientFrame(1, fakeCompress('too long'), { rsv1: true }));
      codec.flush();
      expect(inflating).to.deep.equal([true, false]);
      expect(errors.map((e) => e.closeCode)).to.deep.equal([1009]);
    });

    it('keeps reading suspended after an answer while AcceptData is off (suspend)', () => {
      const codec = new FakeCodec({ async: true });
      const { connection, events } = open({ deflate: codec });
      connection.receiveData(Buffer.concat([clientFrame(1, fakeCompress('one'), { rsv1: true }), clientFrame(1, 'two')]));
      connection.suspend();
      codec.flush();
      expect(events).to.deep.equal([['data', 1, 'one', true, true]]);
      connection.unsuspend();
      expect(events).to.deep.equal([
        ['data', 1, 'one', true, true],
        ['data', 1, 'two', true, true],
      ]);
    });

    it('passes consecutive compressed messages to one codec, in order (context takeover is the codec\'s)', () => {
      const codec = new FakeCodec({ async: true });
      const { connection, events } = open({ deflate: codec });
      connection.receiveData(clientFrame(1, fakeCompress('Hello'), { rsv1: true }));
      connection.receiveData(clientFrame(1, fakeCompress('Hello'), { rsv1: true }));
      codec.flush();
      expect(events.map((e) => e[2])).to.deep.equal(['Hello', 'Hello']);
      expect(codec.calls.map((call) => call[0] + ':' + String(call[2]))).to.deep.equal(['decompress:true', 'decompress:true']);
    });

    it('compresses outgoing messages above the threshold and sets RSV1 on the first frame only', () => {
      const codec = new FakeCodec({ threshold: 10 });
      const { connection, written } = open({ deflate: codec });
      const text = 'a fairly compressible message, a fairly compressible message';
      connection.send(1, Buffer.from(text));
      connection.send(1, Buffer.from('short'));
      const out = Buffer.concat(written);
      expect(out[0]).to.equal(0xc1);
      const length = out[1]!;
      expect(fakeDecompress(out.subarray(2, 2 + length)).toString()).to.equal(text);
      expect(out.subarray(2 + length).toString('hex')).to.equal('8105' + Buffer.from('short').toString('hex'));
      expect(codec.calls).to.deep.equal([['compress', text]]);
    });

    it('keeps the order of sends when a large compression is followed by small frames and a close', () => {
      const codec = new FakeCodec({ async: true });
      const { connection, written } = open({ deflate: codec });
      const big = Buffer.alloc(2 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
      connection.send(2, big);
      connection.ping(Buffer.from('p'));
      connection.close(1000);
      expect(written).to.deep.equal([]);
      codec.flush();
      const firstBytes = written.map((b) => b[0]);
      // The compressed message, split at maxFrameSize (RSV1 on its first frame only), then ping and close.
      expect(firstBytes[0]).to.equal(0x42);
      expect(firstBytes.slice(-2)).to.deep.equal([0x89, 0x88]);
    });

    it('counts the output held behind a compression (the whole input while it runs) until it is written', () => {
      const codec = new FakeCodec({ threshold: 10, async: true });
      const { connection, written } = open({ deflate: codec });
      expect(connection.queuedOutputBytes).to.equal(0);
      connection.send(2, Buffer.alloc(100000, 1));
      connection.send(1, Buffer.from('x'));
      // 100000 bytes being compressed, then the 3-byte frame of 'x' waiting behind them.
      expect(connection.queuedOutputBytes).to.equal(100003);
      expect(connection.hasQueuedOutput).to.equal(true);
      expect(written).to.deep.equal([]);
      codec.flush();
      expect(connection.queuedOutputBytes).to.equal(0);
      expect(connection.hasQueuedOutput).to.equal(false);
      // The compressed message (header with a 64-bit length, then its 100000 bytes), then 'x'.
      expect(written.map((b) => b.length)).to.deep.equal([10, 100000, 3]);
      expect(written.map((b) => b[0])).to.deep.equal([0xc2, 1 ^ 0x55, 0x81]);
    });

    it('sends the message uncompressed when the compression fails', () => {
      const codec = new FakeCodec();
      codec.failCompression(new Error('zlib broke'));
      const { connection, output } = open({ deflate: codec });
      connection.send(1, Buffer.from('plain text'));
      expect(output()).to.equal('810a' + Buffer.from('plain text').toString('hex'));
    });

    it('fails with 1009 when a message inflates beyond maxMessageSize', () => {
      const { connection, events } = open({ deflate: new FakeCodec({ maxMessageSize: 1024 }), maxMessageSize: 1024 });
      connection.receiveData(clientFrame(2, fakeCompress(Buffer.alloc(100000)), { rsv1: true }));
      expect(events).to.deep.equal([['error', 1009, 'WSS_ERR_MESSAGE_TOO_BIG']]);
    });

    it('fails with the codec\'s error when it comes later, and reads nothing more', () => {
      const codec = new FakeCodec({ async: true, maxMessageSize: 1024 });
      const { connection, events } = open({ deflate: codec });
      connection.receiveData(Buffer.concat([clientFrame(2, fakeCompress(Buffer.alloc(2000)), { rsv1: true }), clientFrame(1, 'after')]));
      expect(events).to.deep.equal([]);
      codec.flush();
      expect(events).to.deep.equal([['error', 1009, 'WSS_ERR_MESSAGE_TOO_BIG']]);
      expect(connection.hasFailed).to.equal(true);
    });

    it('fails with 1002 on a compressed message when deflate was not negotiated', () => {
      const { connection, events } = open();
      connection.receiveData(clientFrame(1, hex('f248cdc9c90700'), { rsv1: true }));
      expect(events).to.deep.equal([['error', 1002, 'WSS_ERR_RSV']]);
    });

    it('fails with 1007 on invalid UTF-8 inside a compressed text message', () => {
      const { connection, events } = open({ deflate: new FakeCodec() });
      connection.receiveData(clientFrame(1, fakeCompress(hex('c0 80')), { rsv1: true }));
      expect(events).to.deep.equal([['error', 1007, 'WSS_ERR_INVALID_UTF8']]);
    });

    it('closes the codec when destroyed, and drops answers that come after', () => {
      const codec = new FakeCodec({ async: true });
      const { connection, written } = open({ deflate: codec });
      connection.send(1, Buffer.from('pending'));
      connection.destroy();
      expect(codec.closed).to.equal(true);
      expect(codec.flush()).to.equal(0);
      expect(written).to.deep.equal([]);
    });
  });
});

describe('incompleteTailStart', () => {
  it('finds where an unfinished character starts', () => {
    expect(incompleteTailStart(Buffer.from('abc'))).to.equal(3);
    expect(incompleteTailStart(hex('41 e2 82'))).to.equal(1);
    expect(incompleteTailStart(hex('41 e2 82 ac'))).to.equal(4);
    expect(incompleteTailStart(hex('f0 9f 98'))).to.equal(0);
    expect(incompleteTailStart(hex('c3'))).to.equal(0);
    expect(incompleteTailStart(hex('c3 a9'))).to.equal(2);
    expect(incompleteTailStart(Buffer.alloc(0))).to.equal(0);
  });
});
