import { expect } from 'chai';
import net from 'node:net';
import sinon from 'sinon';
import { WSServer } from '../../lib/server/ws-server';
import { WSServerError } from '../../lib/server/errors';
import { RawClient } from '../helpers/raw-client';
import { clientFrame } from '../helpers/frames';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';
import { cleanup, rawConnection, record, thrown, track } from '../helpers/engine';

describe('WSServer properties', () => {
  afterEach(async () => {
    sinon.restore();
    await cleanup();
  });

  describe('server-wide', () => {
    it('starts with the reference defaults', () => {
      const server = new WSServer();
      expect(server.connectionBacklog).to.equal(5);
      expect(server.wsConnectionCount).to.equal(0);
      expect(server.defaultTimeout).to.equal(0);
      expect(server.listening).to.equal(false);
      expect(server.localHost).to.equal('');
      expect(server.localPort).to.equal(0);
    });

    it('hands ConnectionBacklog to listen()', async () => {
      const listen = sinon.spy(net.Server.prototype, 'listen');
      await startServer({ connectionBacklog: 17 });
      expect(listen.callCount).to.equal(1);
      expect(listen.firstCall.args[0]).to.include({ backlog: 17, host: '127.0.0.1', port: 0 });
    });

    it('refuses out-of-range values with 605', () => {
      const server = new WSServer();
      for (const assign of [
        () => (server.connectionBacklog = 0),
        () => (server.localPort = 65536),
        () => (server.localPort = -1),
        () => (server.defaultTimeout = -1),
        () => (server.defaultTimeout = 1.5),
      ]) {
        const error = thrown(assign);
        expect(error).to.be.instanceOf(WSServerError);
        expect(error.code).to.equal(605);
        expect(error.message).to.equal('Invalid value.');
      }
    });

    it('LocalPort 0 shows the real port once listening, and 0 again after StopListening', async () => {
      const server = new WSServer({ localHost: '127.0.0.1' });
      await server.startListening();
      const port = server.localPort;
      expect(port).to.be.greaterThan(0);
      const client = track(await RawClient.connect(port));
      expect(client.socket.remotePort).to.equal(port);
      await server.shutdown();
      expect(server.localPort).to.equal(0);
    });

    it('refuses LocalPort (106), LocalHost (107) and MaxConnections (108) changes while listening', async () => {
      const { server } = await startServer();
      const port = thrown(() => (server.localPort = 1234));
      expect([port.code, port.message]).to.deep.equal([106, 'Cannot change LocalPort when SSLServer is listening.']);
      const host = thrown(() => (server.localHost = '0.0.0.0'));
      expect([host.code, host.message]).to.deep.equal([107, 'Cannot change LocalHost when SSLServer is listening.']);
      const max = thrown(() => server.config('MaxConnections=10'));
      expect([max.code, max.message]).to.deep.equal([108, 'Cannot change MaxConnections when SSLServer is listening.']);
      await server.stopListening();
      server.localPort = 1234;
      server.config('MaxConnections=10');
      expect(server.localPort).to.equal(1234);
      expect(server.config('MaxConnections')).to.equal('10');
    });

    it('Listening = true starts listening and = false stops it', async () => {
      const server = new WSServer({ localHost: '127.0.0.1' });
      server.listening = true;
      await eventually(() => server.listening, 2000, 'listening');
      const client = track(await RawClient.connect(server.localPort));
      expect(client.closed).to.equal(false);
      const port = server.localPort;
      server.listening = false;
      expect(server.listening).to.equal(false);
      const error = await RawClient.connect(port).then(
        (c) => (c.destroy(), null),
        (e: NodeJS.ErrnoException) => e.code,
      );
      expect(error).to.equal('ECONNREFUSED');
      await server.shutdown();
    });

    it('Listening = true reports a failure to listen through the Error event', async () => {
      const { port } = await startServer();
      const server = new WSServer({ localHost: '127.0.0.1', localPort: port });
      const errors = record(server, 'Error');
      server.listening = true;
      await eventually(() => errors.length === 1, 2000, 'the Error event');
      expect(errors[0]![1]).to.deep.equal({ connectionId: 0, errorCode: 10048, description: '[10048] Address already in use.' });
      expect(server.listening).to.equal(false);
    });

    it('WSConnectionCount follows connections as they come and go', async () => {
      const { server, port } = await startServer();
      const a = await rawConnection(server, port);
      const b = await rawConnection(server, port);
      expect(server.wsConnectionCount).to.equal(2);
      const gone = nextEvent(server, 'Disconnected');
      a.client.destroy();
      await gone;
      expect(server.wsConnectionCount).to.equal(1);
      expect([...server.connections.keys()]).to.deep.equal([b.id]);
    });

    it('DefaultTimeout is given to new connections only', async () => {
      const { server, port } = await startServer();
      const before = await rawConnection(server, port);
      server.defaultTimeout = 7;
      const after = await rawConnection(server, port);
      expect(before.connection.timeout).to.equal(0);
      expect(after.connection.timeout).to.equal(7);
    });
  });

  describe('per connection', () => {
    it('shows the upgrade request: Host, Origin, RequestURI, RequestHeaders, SubProtocols', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port, {
        path: '/chat?room=1',
        host: 'example.test:8080',
        origin: 'http://origin.test',
        protocols: 'chat, superchat',
        headers: { 'X-Custom': 'yes' },
      });
      expect(connection.host).to.equal('example.test:8080');
      expect(connection.origin).to.equal('http://origin.test');
      expect(connection.requestURI).to.equal('/chat?room=1');
      expect(connection.subProtocols).to.equal('chat, superchat');
      expect(connection.requestHeaders).to.include('Host: example.test:8080\r\n');
      expect(connection.requestHeaders).to.include('X-Custom: yes');
      expect(connection.requestHeaders).to.include('Sec-WebSocket-Protocol: chat, superchat');
    });

    it('shows RemoteHost, RemotePort and LocalAddress of the TCP connection', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      expect(connection.remoteHost).to.equal('127.0.0.1');
      expect(connection.remotePort).to.equal(client.socket.localPort);
      expect(connection.localAddress).to.equal('127.0.0.1');
    });

    it('ConnectionIds are positive, increasing and never reused', async () => {
      const { server, port } = await startServer();
      const first = await rawConnection(server, port);
      const gone = nextEvent(server, 'Disconnected');
      first.client.destroy();
      await gone;
      const second = await rawConnection(server, port);
      expect(first.id).to.be.greaterThan(0);
      expect(second.id).to.be.greaterThan(first.id);
      expect(second.connection.connectionId).to.equal(second.id);
    });

    it('accepts a ConnectionId as a number or a numeric string; anything else is 126', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      expect(server.connection(String(id))).to.equal(connection);
      expect(server.connection(` ${id} `)).to.equal(connection);
      for (const bad of [id + 1, 'x', '', '1.5', -1, 0]) {
        const error = thrown(() => server.connection(bad));
        expect([error.code, error.message]).to.deep.equal([126, 'Invalid ConnectionId.']);
      }
    });

    it('Connected is true while open; setting it false closes with DisconnectStatusCode', async () => {
      const { server, port } = await startServer();
      server.config('WaitForCloseResponse=false');
      const { client, connection } = await rawConnection(server, port);
      expect(connection.connected).to.equal(true);
      connection.connected = false;
      expect(connection.connected).to.equal(false);
      expect(await client.readClose()).to.deep.equal({ code: 1000, reason: '' });
      await client.waitForEnd();
    });

    it('LineMode is false until ChangeLineMode turns it on', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      expect(connection.lineMode).to.equal(false);
      await server.changeLineMode(id, true);
      expect(connection.lineMode).to.equal(true);
      await server.changeLineMode(String(id), false);
      expect(connection.lineMode).to.equal(false);
    });

    it('ReadyToSend is true once the WebSocket is open', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      expect(connection.readyToSend).to.equal(true);
      expect(connection.bytesSent).to.equal(0);
      expect(connection.dataFormat).to.equal(0);
      expect(connection.acceptData).to.equal(true);
    });

    it('AcceptData = false holds DataIn; true delivers everything held, in order', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const data = record(server, 'DataIn');
      connection.acceptData = false;
      for (const text of ['one', 'two', 'three']) client.sendText(text);
      await delay(100);
      expect(data).to.have.length(0);
      connection.acceptData = true;
      await eventually(() => data.length === 3, 2000, 'three DataIn');
      expect(data.map(([, e]) => e.text)).to.deep.equal(['one', 'two', 'three']);
    });

    it('AcceptData = false set inside DataIn stops the very next message of the same chunk', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const texts: string[] = [];
      server.on('DataIn', (e) => {
        texts.push(e.text);
        if (e.text === 'stop') connection.acceptData = false;
      });
      client.write(Buffer.concat(['a', 'stop', 'b', 'c'].map((t) => clientFrame(1, t))));
      await delay(100);
      expect(texts).to.deep.equal(['a', 'stop']);
      connection.acceptData = true;
      await eventually(() => texts.length === 4, 2000, 'the held messages');
      expect(texts).to.deep.equal(['a', 'stop', 'b', 'c']);
    });
  });
});

