import { expect } from 'chai';
import WebSocket from 'ws';
import { RawClient } from '../helpers/raw-client';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';
import { cleanup, openWs, rawConnection, record, socketOutcome, tcpConnect, track } from '../helpers/engine';

describe('WSServer events', () => {
  afterEach(cleanup);

  describe('ConnectionRequest', () => {
    it('reports the address and port, accept true by default', async () => {
      const { server, port } = await startServer();
      const request = nextEvent(server, 'ConnectionRequest');
      const client = track(await RawClient.open(port));
      expect(await request).to.deep.equal({ address: '127.0.0.1', port: client.socket.localPort, accept: true });
    });

    it('accept = false closes the TCP connection before any byte is read', async () => {
      const { server, port } = await startServer();
      const seen = record(server, 'WebSocketOpenRequest', 'Connected');
      const logs: string[] = [];
      server.config('LogLevel=3');
      server.on('Log', (e) => logs.push(e.message));
      server.on('ConnectionRequest', (e) => (e.accept = false));
      const socket = track(await tcpConnect(port));
      const outcome = socketOutcome(socket);
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      const { data } = await outcome;
      expect(data.length).to.equal(0);
      expect(seen).to.deep.equal([]);
      expect(logs.filter((m) => m.startsWith('Received'))).to.deep.equal([]);
      expect(logs).to.include('Connection from 127.0.0.1 refused.');
      await eventually(() => server.wsConnectionCount === 0, 2000, 'the registry to empty');
    });

    it('a ws client sees the refusal as a failed connection', async () => {
      const { server, port } = await startServer();
      server.on('ConnectionRequest', (e) => (e.accept = false));
      const error = await openWs(port).then(
        (ws) => (ws.terminate(), null),
        (e: NodeJS.ErrnoException) => e,
      );
      expect(error).to.be.instanceOf(Error);
    });
  });

  describe('WebSocketOpenRequest', () => {
    it('carries the request: URI, Host, Origin, subprotocols, extensions, headers; status 101', async () => {
      const { server, port } = await startServer();
      const request = nextEvent(server, 'WebSocketOpenRequest');
      track(
        await RawClient.open(port, {
          path: '/a/b?c=d',
          host: 'h.test',
          origin: 'https://o.test',
          protocols: 'p1, p2',
          extensions: 'permessage-deflate; client_max_window_bits',
        }),
      );
      const event = await request;
      expect(event.connectionId).to.be.a('number');
      expect(event.requestURI).to.equal('/a/b?c=d');
      expect(event.hostHeader).to.equal('h.test');
      expect(event.originHeader).to.equal('https://o.test');
      expect(event.subProtocols).to.equal('p1, p2');
      expect(event.extensions).to.equal('permessage-deflate; client_max_window_bits');
      expect(event.requestHeaders).to.include('Origin: https://o.test');
      expect(event.statusCode).to.equal(101);
      expect(event.responseHeaders).to.equal('');
    });

    it('a status other than 101 rejects the handshake with that status and the response headers', async () => {
      const { server, port } = await startServer();
      const connected = record(server, 'Connected');
      server.on('WebSocketOpenRequest', (e) => {
        e.statusCode = 401;
        e.responseHeaders = 'WWW-Authenticate: Basic realm="Secure Realm"\r\nX-Reason: no';
      });
      const client = track(await RawClient.connect(port));
      const response = await client.handshake();
      expect(response.status).to.equal(401);
      expect(response.reason).to.equal('Unauthorized');
      expect(response.headers['www-authenticate']).to.equal('Basic realm="Secure Realm"');
      expect(response.headers['x-reason']).to.equal('no');
      expect(response.headers['connection']).to.equal('close');
      await client.waitForEnd();
      expect(connected).to.deep.equal([]);
    });

    it('a ws client sees the rejection status', async () => {
      const { server, port } = await startServer();
      server.on('WebSocketOpenRequest', (e) => (e.statusCode = 403));
      const ws = track(new WebSocket(`ws://127.0.0.1:${port}/`));
      const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      expect(status).to.equal(403);
    });

    it('a status that is not an HTTP status (e.g. 42) is answered with 500', async () => {
      const { server, port } = await startServer();
      server.on('WebSocketOpenRequest', (e) => (e.statusCode = 42));
      const client = track(await RawClient.connect(port));
      expect((await client.handshake()).status).to.equal(500);
    });

    it('echoes the selected subprotocol when the client offered it', async () => {
      const { server, port } = await startServer();
      server.on('WebSocketOpenRequest', (e) => (e.subProtocols = 'p2'));
      const client = track(await RawClient.connect(port));
      const response = await client.handshake({ protocols: 'p1, p2' });
      expect(response.status).to.equal(101);
      expect(response.headers['sec-websocket-protocol']).to.equal('p2');
    });

    it('never echoes a subprotocol the client did not offer', async () => {
      const { server, port } = await startServer();
      server.on('WebSocketOpenRequest', (e) => (e.subProtocols = 'other'));
      const client = track(await RawClient.connect(port));
      const response = await client.handshake({ protocols: 'p1, p2' });
      expect(response.status).to.equal(101);
      expect(response.headers).to.not.have.property('sec-websocket-protocol');
    });

    it('a ws client gets the selected subprotocol', async () => {
      const { server, port } = await startServer();
      server.on('WebSocketOpenRequest', (e) => (e.subProtocols = 'chat'));
      const ws = track(await openWs(port, {}, '/', ['json', 'chat']));
      expect(ws.protocol).to.equal('chat');
    });

    it('response headers with a line break cannot smuggle headers: the handshake fails with 500', async () => {
      const { server, port } = await startServer();
      const errors = record(server, 'Error');
      server.on('WebSocketOpenRequest', (e) => (e.responseHeaders = 'X-A: 1\rInjected: yes'));
      const client = track(await RawClient.connect(port));
      expect((await client.handshake()).status).to.equal(500);
      expect(errors).to.have.length(1);
      expect(errors[0]![1].errorCode).to.equal(616);
    });
  });

  describe('Connected and ReadyToSend', () => {
    it('fire in that order once the WebSocket is open', async () => {
      const { server, port } = await startServer();
      const seen = record(server, 'WebSocketOpenRequest', 'Connected', 'ReadyToSend');
      const { id } = await rawConnection(server, port);
      await eventually(() => seen.length === 3, 2000, 'three events');
      expect(seen.map(([name, e]) => [name, e.connectionId])).to.deep.equal([
        ['WebSocketOpenRequest', id],
        ['Connected', id],
        ['ReadyToSend', id],
      ]);
    });
  });

  describe('DataIn', () => {
    it('carries connectionid, dataformat, text, textB, eom and eol', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const data = record(server, 'DataIn');
      client.sendText('grüß');
      client.sendBinary(Buffer.from([0xff, 0x00, 0x41]));
      await eventually(() => data.length === 2, 2000, 'two DataIn');
      const [text, binary] = data.map(([, e]) => e);
      expect([text.connectionId, text.dataFormat, text.text, text.eom, text.eol]).to.deep.equal([id, 1, 'grüß', true, false]);
      expect(text.textB).to.deep.equal(Buffer.from('grüß'));
      expect([binary.dataFormat, binary.text, binary.eom, binary.eol]).to.deep.equal([2, '\u00ff\u0000A', true, false]);
      expect(binary.textB).to.deep.equal(Buffer.from([0xff, 0x00, 0x41]));
    });

    it('marks continuation pieces with dataformat 0 and the last piece with eom', async () => {
      const { server, port } = await startServer();
      const { client } = await rawConnection(server, port);
      const data = record(server, 'DataIn');
      client.sendFrame(2, Buffer.from('ab'), { fin: false });
      client.sendFrame(0, Buffer.from('cd'), { fin: false });
      client.sendFrame(0, Buffer.from('ef'), { fin: true });
      await eventually(() => data.length === 3, 2000, 'three DataIn');
      expect(data.map(([, e]) => [e.dataFormat, e.text, e.eom])).to.deep.equal([
        [2, 'ab', false],
        [0, 'cd', false],
        [0, 'ef', true],
      ]);
    });
  });

  describe('Disconnected', () => {
    it("carries the peer's close code and reason", async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      client.sendClose(4321, 'done here');
      expect(await client.readClose()).to.deep.equal({ code: 4321, reason: '' });
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 4321, description: 'done here' });
    });

    it('says 1005 when the close frame had no code', async () => {
      const { server, port } = await startServer();
      const { client } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      client.sendClose();
      expect(await client.readClose()).to.deep.equal({ code: 1005, reason: '' });
      expect((await disconnected).statusCode).to.equal(1005);
    });

    it('says 1006 when the TCP connection drops without a close frame', async () => {
      const { server, port } = await startServer();
      const { client } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      client.destroy();
      expect(await disconnected).to.include({ statusCode: 1006, description: '' });
    });

    it('says 1006 when the client half-closes without a close frame', async () => {
      const { server, port } = await startServer();
      const { client } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      client.socket.end();
      expect((await disconnected).statusCode).to.equal(1006);
      await client.waitForEnd();
    });

    it('does not fire for a connection that never completed its handshake', async () => {
      const { server, port } = await startServer();
      const disconnected = record(server, 'Disconnected');
      const client = track(await RawClient.connect(port));
      client.write('GET / HTTP/1.1\r\n');
      await eventually(() => server.wsConnectionCount === 1, 2000, 'the connection');
      client.destroy();
      await eventually(() => server.wsConnectionCount === 0, 2000, 'the registry to empty');
      await delay(20);
      expect(disconnected).to.deep.equal([]);
    });
  });

  describe('Error', () => {
    it('reports a protocol violation with 619 and the connection', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const error = nextEvent(server, 'Error');
      client.sendFrame(1, 'unmasked', { mask: null });
      expect(await error).to.deep.equal({
        connectionId: id,
        errorCode: 619,
        description: 'WebSocket protocol violation by the client. client frames must be masked (WSS_ERR_UNMASKED_FRAME, close 1002).',
      });
    });
  });
});
