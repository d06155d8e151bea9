import { expect } from 'chai';
import { deflateRawSync } from 'node:zlib';
import type { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { clientFrame, MASK } from '../helpers/frames';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';
import { cleanup, rawConnection, record, track } from '../helpers/engine';

/** A fresh client can still open a WebSocket and get an echo. */
async function stillServes(server: WSServer, port: number): Promise<void> {
  const { client } = await rawConnection(server, port);
  client.sendText('still there?');
  expect((await client.readMessage()).data.toString()).to.equal('still there?');
  client.destroy();
}

function echo(server: WSServer): void {
  server.on('DataIn', (e) => {
    if (e.eom) void server.sendText(e.connectionId, e.text).catch(() => undefined);
  });
}

describe('WSServer bad input', () => {
  afterEach(cleanup);

  describe('handshakes', () => {
    const cases: Array<[string, string | Buffer, number]> = [
      ['garbage text', 'GARBAGE\r\n\r\n', 400],
      ['binary junk', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]), 400],
      ['a POST', 'POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', 405],
      ['no Upgrade header', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
      ['no key', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
      ['a bad key', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
      ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
    ];
    // A body behind the upgrade request would otherwise be parsed as frames (issue 12).
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const withBody = (header: string, body: Buffer) =>
      Buffer.concat([Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${header}\r\n\r\n`), body]);
    const frame = clientFrame(1, 'smuggled');
    cases.push(
      ['a Content-Length body (a frame inside)', withBody(`Content-Length: ${frame.length}`, frame), 400],
      ['a chunked body', withBody('Transfer-Encoding: chunked', Buffer.concat([Buffer.from(`${frame.length.toString(16)}\r\n`), frame, Buffer.from('\r\n0\r\n\r\n')])), 400],
    );
    for (const [what, request, status] of cases) {
      it(`answers ${what} with ${status}, closes, and keeps serving`, async () => {
        const { server, port } = await startServer();
        echo(server);
        const errors = record(server, 'Error');
        const client = track(await RawClient.connect(port));
        client.write(request);
        const response = await client.readHttpResponse();
        expect(response.status).to.equal(status);
        expect(response.headers['connection']).to.equal('close');
        await client.waitForEnd();
        expect(errors.map(([, e]) => e.errorCode)).to.deep.equal([618]);
        await stillServes(server, port);
      });
    }

    it('answers an unsupported version with 426 and Sec-WebSocket-Version: 13', async () => {
      const { server, port } = await startServer();
      const client = track(await RawClient.connect(port));
      const response = await client.handshake({ version: '8' });
      expect(response.status).to.equal(426);
      expect(response.headers['sec-websocket-version']).to.equal('13');
      await client.waitForEnd();
    });

    it('answers a request head larger than MaxHeaderSize with 431', async () => {
      const { server, port } = await startServer();
      echo(server);
      server.config('MaxHeaderSize=1024');
      const client = track(await RawClient.connect(port));
      const response = await client.handshake({ headers: { 'X-Big': 'a'.repeat(2000) } });
      expect(response.status).to.equal(431);
      await client.waitForEnd();
      await stillServes(server, port);
    });

    it('answers an endless header stream with 431 without reading it all', async () => {
      const { server, port } = await startServer();
      const client = track(await RawClient.connect(port));
      client.write('GET / HTTP/1.1\r\n');
      for (let i = 0; i < 100 && !client.closed; i++) client.write(`X-Filler-${i}: ${'b'.repeat(1000)}\r\n`);
      expect((await client.readHttpResponse()).status).to.equal(431);
    });

    it('drops a client that sends half a request and goes silent (HandshakeTimeout)', async () => {
      const { server, port } = await startServer();
      echo(server);
      server.config('HandshakeTimeout=1');
      const client = track(await RawClient.connect(port));
      client.write('GET / HTTP/1.1\r\nHost: slow\r\n');
      const started = Date.now();
      expect((await client.readHttpResponse(3000)).status).to.equal(408);
      await client.waitForEnd();
      expect(Date.now() - started).to.be.within(800, 1900);
      await eventually(() => server.wsConnectionCount === 0, 2000, 'the registry to empty');
      await stillServes(server, port);
    });

    it('a slowloris that keeps trickling bytes is still dropped at the HandshakeTimeout deadline', async () => {
      const { server, port } = await startServer();
      server.config('HandshakeTimeout=1');
      const client = track(await RawClient.connect(port));
      const trickle = setInterval(() => client.write('X'), 100);
      try {
        client.write('GET / HTTP/1.1\r\nX-Slow: ');
        expect((await client.readHttpResponse(3000)).status).to.equal(408);
      } finally {
        clearInterval(trickle);
      }
    });
  });

  describe('protocol violations close with the right code', () => {
    const cases: Array<[string, (client: RawClient) => void, number, string]> = [
      ['an unmasked frame', (c) => c.sendFrame(1, 'x', { mask: null }), 1002, 'client frames must be masked'],
      ['RSV2 set', (c) => c.write(withByte0(clientFrame(1, 'x'), 0xa1)), 1002, 'RSV2 and RSV3 must be clear'],
      ['RSV1 set without permessage-deflate', (c) => c.sendFrame(1, 'x', { rsv1: true }), 1002, 'RSV1 must be clear'],
      ['a reserved opcode', (c) => c.sendFrame(3, 'x'), 1002, 'reserved opcode 3'],
      ['a control frame over 125 bytes', (c) => c.sendFrame(9, Buffer.alloc(126)), 1002, 'control frame payload over 125 bytes'],
      ['a fragmented ping', (c) => c.sendFrame(9, 'x', { fin: false }), 1002, 'fragmented control frame'],
      ['a continuation with nothing to continue', (c) => c.sendFrame(0, 'x'), 1002, 'continuation frame without a message to continue'],
      [
        'a new message inside a fragmented one',
        (c) => {
          c.sendFrame(1, 'a', { fin: false });
          c.sendFrame(1, 'b');
        },
        1002,
        'new data frame before the previous message ended',
      ],
      ['invalid UTF-8 in a text message', (c) => c.sendFrame(1, Buffer.from([0x61, 0xc3, 0x28])), 1007, 'invalid UTF-8 in a text message'],
      [
        'invalid UTF-8 split across fragments',
        (c) => {
          c.sendFrame(1, Buffer.from([0xe2, 0x82]), { fin: false });
          c.sendFrame(0, Buffer.from([0x28]));
        },
        1007,
        'invalid UTF-8 in a text message',
      ],
      ['a close frame with a 1-byte payload', (c) => c.sendFrame(8, Buffer.from([0x03])), 1002, ''],
      ['a close code that may not be sent (1005)', (c) => c.sendClose(1005), 1002, ''],
      ['a close code out of range (999)', (c) => c.sendClose(999), 1002, ''],
      ['a close reason that is not UTF-8', (c) => c.sendFrame(8, Buffer.from([0x03, 0xe8, 0xff])), 1007, ''],
    ];
    for (const [what, send, code, reason] of cases) {
      it(`${what} → ${code}`, async () => {
        const { server, port } = await startServer();
        echo(server);
        const { client, id } = await rawConnection(server, port);
        const disconnected = nextEvent(server, 'Disconnected');
        const errors = record(server, 'Error');
        send(client);
        const close = await client.readClose();
        expect(close.code).to.equal(code);
        if (reason) expect(close.reason).to.equal(reason);
        await client.waitForEnd();
        expect(await disconnected).to.include({ connectionId: id, statusCode: code });
        expect(errors.map(([, e]) => e.errorCode)).to.deep.equal([619]);
        await stillServes(server, port);
      });
    }

    it('a message larger than MaxMessageSize → 1009, refused from its header alone', async () => {
      const { server, port } = await startServer();
      echo(server);
      server.config('MaxMessageSize=1000');
      const { client } = await rawConnection(server, port);
      const data = record(server, 'DataIn');
      // Only the header of a 5000-byte frame: the size is known before any payload arrives.
      client.write(clientFrame(2, Buffer.alloc(5000)).subarray(0, 8));
      expect(await client.readClose()).to.deep.equal({ code: 1009, reason: 'message too big' });
      expect(data).to.deep.equal([]);
      await stillServes(server, port);
    });

    it('a fragmented message growing past MaxMessageSize → 1009', async () => {
      const { server, port } = await startServer();
      server.config('MaxMessageSize=1000');
      const { client } = await rawConnection(server, port);
      client.sendFrame(2, Buffer.alloc(600), { fin: false });
      client.sendFrame(0, Buffer.alloc(600), { fin: true });
      expect((await client.readClose()).code).to.equal(1009);
    });

    it('a compressed message that inflates past MaxMessageSize (deflate bomb) → 1009', async () => {
      const { server, port } = await startServer();
      echo(server);
      server.config(`MaxMessageSize=${1024 * 1024}`);
      const { client } = await rawConnection(server, port, { extensions: 'permessage-deflate' });
      const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024), { level: 9 });
      // RFC 7692 §7.2.1: the sender removes the final 00 00 ff ff of the flushed stream.
      const payload = bomb.subarray(0, bomb.length - 4);
      expect(payload.length).to.be.below(100 * 1024);
      client.sendFrame(2, payload, { rsv1: true });
      expect((await client.readClose()).code).to.equal(1009);
      await stillServes(server, port);
    });
  });

  describe('clients that misbehave at the TCP level', () => {
    it('a client vanishing mid-frame: Disconnected 1006, nothing left behind', async () => {
      const { server, port } = await startServer();
      echo(server);
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      const frame = clientFrame(2, Buffer.alloc(1000, 3));
      client.write(frame.subarray(0, 300));
      await delay(20);
      client.destroy();
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 1006, description: '' });
      expect(server.wsConnectionCount).to.equal(0);
      await stillServes(server, port);
    });

    it('a client vanishing in the middle of a frame header', async () => {
      const { server, port } = await startServer();
      echo(server);
      const { client } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      client.write(Buffer.from([0x82, 0xfe, 0x10]));
      await delay(20);
      client.destroy();
      expect((await disconnected).statusCode).to.equal(1006);
      await stillServes(server, port);
    });

    it('a client resetting while the server sends to it', async () => {
      const { server, port } = await startServer();
      echo(server);
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      void server.sendBytes(id, Buffer.alloc(4 * 1024 * 1024)).catch(() => undefined);
      client.socket.resetAndDestroy();
      expect((await disconnected).statusCode).to.equal(1006);
      await stillServes(server, port);
    });

    it('data after the close frame is ignored', async () => {
      const { server, port } = await startServer();
      const data = record(server, 'DataIn');
      const { client } = await rawConnection(server, port);
      client.write(Buffer.concat([closeFrame(1000), clientFrame(1, 'ghost')]));
      expect((await client.readClose()).code).to.equal(1000);
      await client.waitForEnd();
      expect(data).to.deep.equal([]);
    });
  });
});

function withByte0(frame: Buffer, byte0: number): Buffer {
  frame[0] = byte0;
  return frame;
}

function closeFrame(code: number): Buffer {
  return clientFrame(8, Buffer.from([code >> 8, code & 0xff]), { mask: MASK });
}
