import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { defineCase } from './case';
import { checkResponse, parseExtensions } from './deflate-codec';
import { runCase } from './runner';
import { OP } from './wire';

/**
 * A scripted fake server: answers the upgrade (with a correct or a wrong accept key), then writes
 * the given bytes. It shows that the conformance client catches a server's own mistakes.
 */
async function fakeServer(after: Buffer, options: { wrongAccept?: boolean; end?: boolean } = {}): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (chunk) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      const accept = createHash('sha1')
        .update(options.wrongAccept ? 'nope' : key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      socket.write(after);
      if (options.end) socket.end();
    });
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

const closeFrame = (code: number) => Buffer.from([0x88, 0x02, code >> 8, code & 0xff]);
const textFrame = (text: string) => Buffer.concat([Buffer.from([0x81, text.length]), Buffer.from(text)]);

describe('Conformance client (probe) against scripted servers', () => {
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  async function verdictOf(after: Buffer, run: Parameters<typeof defineCase>[3], options?: { wrongAccept?: boolean; end?: boolean }) {
    const { server, port } = await fakeServer(after, options);
    servers.push(server);
    return runCase(defineCase('t', 'test', 'scripted', run, 500), port);
  }

  it('FAILS a server that sends data after its close frame', async () => {
    const result = await verdictOf(Buffer.concat([closeFrame(1002), textFrame('late')]), async (ctx) => {
      const p = await ctx.open();
      await p.expectClose(1002, 400);
    }, { end: true });
    expect(result.verdict).to.equal('FAILED');
    expect(result.reason).to.equal('the server sent frames after its close frame: opcode 1 (4 bytes)');
  });

  it('FAILS a masked server frame as a violation', async () => {
    const masked = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]);
    const result = await verdictOf(masked, async (ctx) => {
      const p = await ctx.open();
      await p.expectMessage(OP.TEXT, 'hi', 400);
    });
    expect([result.verdict, result.reason]).to.deep.equal(['FAILED', 'expected the echo (text, 2 bytes), got a protocol violation by the server: masked frame']);
  });

  it('FAILS a wrong Sec-WebSocket-Accept', async () => {
    const result = await verdictOf(Buffer.alloc(0), async (ctx) => void (await ctx.open()), { wrongAccept: true });
    expect([result.verdict, result.reason]).to.deep.equal(['FAILED', 'wrong Sec-WebSocket-Accept']);
  });

  it('is NON-STRICT when the server drops TCP instead of sending the close code', async () => {
    const { server, port } = await fakeServer(Buffer.alloc(0));
    servers.push(server);
    server.on('connection', (socket) => setTimeout(() => socket.destroy(), 50));
    const result = await runCase(
      defineCase('t', 'test', 'drop', async (ctx) => {
        const p = await ctx.open();
        await p.expectClose(1002, 400);
      }),
      port,
    );
    expect([result.verdict, result.reason]).to.deep.equal(['NON-STRICT', 'TCP closed without a close frame (expected close 1002)']);
  });

  it('FAILS a case that outlives its bound', async () => {
    const result = await verdictOf(Buffer.alloc(0), async (ctx) => {
      const p = await ctx.open();
      await p.expectMessage(OP.TEXT, 'never', 5000);
    });
    expect([result.verdict, result.reason]).to.deep.equal(['FAILED', 'case did not finish within 500 ms']);
  });
});

describe('Conformance client: permessage-deflate response checks (RFC 7692 §7.1)', () => {
  const params = (header: string) => parseExtensions(header)[0]!.params;

  it('parses quoted values and several offers', () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits="10", x-foo, permessage-deflate')).to.deep.equal([
      { name: 'permessage-deflate', params: [['client_max_window_bits', '10']] },
      { name: 'x-foo', params: [] },
      { name: 'permessage-deflate', params: [] },
    ]);
  });

  it('accepts a response within the offer', () => {
    expect(checkResponse(params('permessage-deflate; client_max_window_bits; server_max_window_bits=12'), params('permessage-deflate; server_max_window_bits=10; client_max_window_bits=9'))).to.deep.equal({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 9,
    });
  });

  it('rejects responses that break the rules', () => {
    const offer = params('permessage-deflate; server_max_window_bits=10; server_no_context_takeover');
    expect(checkResponse(offer, params('permessage-deflate; server_max_window_bits=12; server_no_context_takeover'))).to.equal('server_max_window_bits=12 exceeds the offered 10');
    expect(checkResponse(offer, params('permessage-deflate; server_max_window_bits=10'))).to.equal('server_no_context_takeover was offered but is missing from the response');
    expect(checkResponse(params('permessage-deflate'), params('permessage-deflate; client_max_window_bits=10'))).to.equal('client_max_window_bits in the response though the offer had none');
    expect(checkResponse(params('permessage-deflate'), params('permessage-deflate; server_max_window_bits=08'))).to.equal('server_max_window_bits=08 is not 8..15');
    expect(checkResponse(params('permessage-deflate'), params('permessage-deflate; x=1'))).to.equal('unknown parameter x in the response');
  });
});
