/**
 * The real zlib codec (lib/codec/deflate-codec.ts) plugged into the sans-I/O ServerConnection: the
 * connection cases of RFC 7692 with real DEFLATE bytes on both sides and the codec's sync and
 * thread-pool paths. spec/protocol/connection.spec.ts has the same cases with a fake codec.
 */
import { expect } from 'chai';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { PerMessageDeflate } from '../../lib/codec/deflate-codec';
import { ServerConnection, type ConnectionHandler, type ConnectionOptions } from '../../lib/protocol/connection';
import { ProtocolError } from '../../lib/protocol/errors';
import type { DeflateParams } from '../../lib/protocol/permessage-deflate';
import { clientFrame, hex } from '../helpers/frames';

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
  const handler: ConnectionHandler = {
    write: (data) => written.push(Buffer.from(data)),
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
  return { connection, events, written, errors, output };
}

const PARAMS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** What a client sends for a compressed message: deflate, strip 00 00 ff ff (RFC 7692 §7.2.1). */
function compressForClient(text: string | Buffer): Buffer {
  const out = deflateRawSync(typeof text === 'string' ? Buffer.from(text) : text, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

/** Waits for pending zlib work (async paths). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('PerMessageDeflate driving a ServerConnection (RFC 7692 §7.2 end to end, without sockets)', () => {
  it('inflates a compressed message (§7.2.3.1 "Hello")', () => {
    const { connection, events } = open({ deflate: new PerMessageDeflate(PARAMS) });
    connection.receiveData(clientFrame(1, hex('f248cdc9c90700'), { rsv1: true }));
    expect(events).to.deep.equal([['data', 1, 'Hello', true, true]]);
  });

  it('inflates a compressed message split into fragments with a ping between them', async () => {
    const { connection, events } = open({ deflate: new PerMessageDeflate(PARAMS), bufferMessages: true });
    const payload = compressForClient('Hello, fragmented world');
    connection.receiveData(clientFrame(1, payload.subarray(0, 5), { rsv1: true, fin: false }));
    connection.receiveData(clientFrame(9, 'p'));
    connection.receiveData(clientFrame(0, payload.subarray(5)));
    await settle();
    expect(events).to.deep.equal([
      ['ping', 'p'],
      ['data', 1, 'Hello, fragmented world', true, true],
    ]);
  });

  it('keeps context takeover across messages', async () => {
    const { connection, events } = open({ deflate: new PerMessageDeflate(PARAMS) });
    // §7.2.3.2: the same "Hello" twice with a shared window; the second refers back to the first.
    connection.receiveData(clientFrame(1, hex('f248cdc9c90700'), { rsv1: true }));
    connection.receiveData(clientFrame(1, hex('f2 00 11 00 00'), { rsv1: true }));
    await settle();
    expect(events.map((e) => e[2])).to.deep.equal(['Hello', 'Hello']);
  });

  it('compresses outgoing messages above the threshold and sets RSV1 on the first frame only', async () => {
    const { connection, written } = open({ deflate: new PerMessageDeflate(PARAMS, { threshold: 10 }) });
    const text = 'a fairly compressible message, a fairly compressible message';
    connection.send(1, Buffer.from(text));
    connection.send(1, Buffer.from('short'));
    await settle();
    const out = Buffer.concat(written);
    expect(out[0]).to.equal(0xc1);
    const length = out[1]!;
    const inflated = inflateRawSync(Buffer.concat([out.subarray(2, 2 + length), hex('0000ffff')]), { finishFlush: 2 });
    expect(inflated.toString()).to.equal(text);
    expect(out.subarray(2 + length).toString('hex')).to.equal('8105' + Buffer.from('short').toString('hex'));
  });

  it('keeps the order of sends when a large compression is followed by small frames and a close', async () => {
    const { connection, written } = open({ deflate: new PerMessageDeflate(PARAMS, { threshold: 0 }) });
    const big = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    connection.send(2, big);
    connection.ping(Buffer.from('p'));
    connection.close(1000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const firstBytes = written.map((b) => b[0]);
    expect(firstBytes[0]).to.equal(0xc2);
    expect(firstBytes.slice(-2)).to.deep.equal([0x89, 0x88]);
  });

  it('counts the output held behind a compression (the whole input while it runs) until it is written', async () => {
    const { connection, written } = open({ deflate: new PerMessageDeflate(PARAMS, { threshold: 10 }) });
    expect(connection.queuedOutputBytes).to.equal(0);
    // Above the codec's synchronous limit (8 KiB), so the compression runs on the thread pool.
    connection.send(2, Buffer.alloc(100000, 1));
    connection.send(1, Buffer.from('x'));
    // 100000 bytes being compressed, then the 3-byte frame of 'x' waiting behind them.
    expect(connection.queuedOutputBytes).to.equal(100003);
    expect(written).to.deep.equal([]);
    await settle();
    expect(connection.queuedOutputBytes).to.equal(0);
    expect(written.map((b) => b[0])).to.deep.equal([0xc2, 0x81]);
  });

  it('fails with 1009 when a message inflates beyond maxMessageSize', async () => {
    const { connection, events } = open({ deflate: new PerMessageDeflate(PARAMS, { maxMessageSize: 1024 }), maxMessageSize: 1024 });
    connection.receiveData(clientFrame(2, compressForClient(Buffer.alloc(100000)), { rsv1: true }));
    await settle();
    expect(events).to.deep.equal([['error', 1009, 'WSS_ERR_MESSAGE_TOO_BIG']]);
  });

  it('fails with 1002 on a compressed message when deflate was not negotiated', () => {
    const { connection, events } = open();
    connection.receiveData(clientFrame(1, hex('f248cdc9c90700'), { rsv1: true }));
    expect(events).to.deep.equal([['error', 1002, 'WSS_ERR_RSV']]);
  });

  it('fails with 1007 on invalid UTF-8 inside a compressed text message', async () => {
    const { connection, events } = open({ deflate: new PerMessageDeflate(PARAMS) });
    connection.receiveData(clientFrame(1, compressForClient(hex('c0 80')), { rsv1: true }));
    await settle();
    expect(events).to.deep.equal([['error', 1007, 'WSS_ERR_INVALID_UTF8']]);
  });
});
