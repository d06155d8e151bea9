import { expect } from 'chai';
import { Phase } from '../../lib/server/connection-base';
import type { ErrorEvent, LogEvent, WebSocketOpenRequestEvent } from '../../lib/server/events';
import { beginHandshake, handshakeTimeout, receiveHandshake, refuse, rejectHandshake } from '../../lib/server/handshake-flow';
import { ReadHold } from '../../lib/server/read-gate';
import type { WSConnection } from '../../lib/server/ws-connection';
import type { WSServer } from '../../lib/server/ws-server';
import type { SettingValue } from '../../lib/server/settings';
import { RawClient } from '../helpers/raw-client';
import { clientFrame } from '../helpers/frames';
import { cleanup, doEventsLoop, rawConnection, record, track } from '../helpers/engine';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';

/** The only connection the server has, once it has one in `stage`. */
async function theConnection(server: WSServer, stage: Phase): Promise<WSConnection> {
  await eventually(() => server.connections.size === 1, 3000, 'the connection');
  const connection = [...server.connections.values()][0]!;
  await eventually(() => connection.stage === stage, 3000, `stage ${stage}`);
  return connection;
}

/** A client connected to a server that holds ConnectionRequest (DoEvents mode, nothing pumped). */
async function requested(config: Record<string, SettingValue> = {}) {
  const { server, port } = await startServer({ config: { ProcessIdleEvents: false, ...config } });
  server.on('ConnectionRequest', () => undefined);
  const client = track(await RawClient.connect(port));
  const connection = await theConnection(server, Phase.Requested);
  return { server, port, client, connection };
}

/** A client admitted and in the middle of its upgrade request. */
async function inHandshake(config: Record<string, SettingValue> = {}) {
  const { server, port } = await startServer({ config });
  const client = track(await RawClient.connect(port));
  const connection = await theConnection(server, Phase.Handshake);
  return { server, port, client, connection };
}

function logs(server: WSServer): LogEvent[] {
  const seen: LogEvent[] = [];
  server.on('Log', (e: LogEvent) => seen.push(e));
  return seen;
}

describe('handshake-flow', () => {
  afterEach(cleanup);

  describe('beginHandshake', () => {
    it('moves a requested connection to the handshake: reading released, HandshakeTimeout armed', async () => {
      const { connection } = await requested();
      expect(connection.driver.gate.isHeld(ReadHold.Admission)).to.equal(true);
      beginHandshake(connection);
      expect(connection.stage).to.equal(Phase.Handshake);
      expect(connection.driver.gate.reasons).to.equal(0);
      expect(connection.handshake!.timer).to.not.equal(null);
      expect(connection.handshake!.idleTimeout).to.equal(false);
    });

    it('arms the idle timeout with DefaultConnectionTimeout, and no timer with HandshakeTimeout=0', async () => {
      const { connection } = await requested({ HandshakeTimeout: 0, DefaultConnectionTimeout: 5 });
      beginHandshake(connection);
      expect([connection.handshake!.timer, connection.handshake!.idleTimeout]).to.deep.equal([null, true]);
      expect(connection.rawSocket.timeout).to.equal(5000);
    });

    it('does nothing once past the requested stage', async () => {
      const { connection } = await requested();
      beginHandshake(connection);
      const handshake = connection.handshake;
      beginHandshake(connection);
      expect(connection.handshake).to.equal(handshake);
    });

    it('then reads the upgrade request: 101 and Connected', async () => {
      const { server, client, connection } = await requested();
      beginHandshake(connection);
      const stop = doEventsLoop(server);
      const response = await client.handshake();
      await eventually(() => connection.connected);
      await stop();
      expect(response.status).to.equal(101);
    });
  });

  describe('refuse', () => {
    it('closes the connection before anything was read; no Disconnected', async () => {
      const { server, client, connection } = await requested();
      const disconnects = record(server, 'Disconnected');
      refuse(connection);
      expect(connection.stage).to.equal(Phase.Closed);
      await client.waitForEnd();
      expect(await client.readRest()).to.have.length(0);
      await eventually(() => server.connections.size === 0);
      await server.doEvents();
      expect(disconnects).to.deep.equal([]);
    });
  });

  describe('handshakeTimeout', () => {
    it('HandshakeTimeout running out during the request: 408 and an Error log', async () => {
      const { server, client, connection } = await inHandshake({ HandshakeTimeout: 1 });
      const seen = logs(server);
      client.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const response = await client.readHttpResponse(4000);
      expect(response.status).to.equal(408);
      await client.waitForEnd();
      expect(connection.stage).to.equal(Phase.Closed);
      expect(seen.map((e) => [e.message, e.logType])).to.deep.include(['Handshake timed out.', 'Error']);
    });

    it('DefaultConnectionTimeout running out on an idle client: 408', async () => {
      const { client } = await inHandshake({ HandshakeTimeout: 0, DefaultConnectionTimeout: 1 });
      expect((await client.readHttpResponse(4000)).status).to.equal(408);
    });

    it('called directly during the request: 408 at once, and the timer is forgotten', async () => {
      const { client, connection } = await inHandshake();
      const handshake = connection.handshake!;
      handshakeTimeout(connection);
      expect([handshake.timer, connection.handshake, connection.stage]).to.deep.equal([null, null, Phase.Closed]);
      const response = await client.readHttpResponse();
      expect([response.status, response.reason, response.headers['connection']]).to.deep.equal([408, 'Request Timeout', 'close']);
    });

    it('while WebSocketOpenRequest decides: the connection is dropped without an answer, and never opens', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      server.on('WebSocketOpenRequest', () => undefined);
      const opened = record(server, 'Connected', 'Disconnected');
      const client = track(await RawClient.connect(port));
      client.write(client.upgradeRequest());
      const connection = await theConnection(server, Phase.Opening);
      handshakeTimeout(connection);
      // The held event fires before the socket has reported its close: it must not open the WebSocket.
      await server.doEvents();
      await client.waitForEnd();
      expect(await client.readRest()).to.have.length(0);
      await eventually(() => server.connections.size === 0);
      for (let round = 0; round < 3; round++) await server.doEvents();
      expect([connection.stage, connection.core, opened]).to.deep.equal([Phase.Closed, null, []]);
    });

    it('DefaultConnectionTimeout while WebSocketOpenRequest decides: dropped, and never opens', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false, HandshakeTimeout: 0, DefaultConnectionTimeout: 30 } });
      server.on('WebSocketOpenRequest', () => undefined);
      const seen = logs(server);
      const opened = record(server, 'Connected', 'Disconnected');
      const client = track(await RawClient.connect(port));
      client.write(client.upgradeRequest());
      const connection = await theConnection(server, Phase.Opening);
      // What the socket's idle timer does when it runs out.
      connection.rawSocket.emit('timeout');
      await server.doEvents();
      await client.waitForEnd();
      await eventually(() => server.connections.size === 0);
      for (let round = 0; round < 3; round++) await server.doEvents();
      expect([connection.stage, connection.core, opened]).to.deep.equal([Phase.Closed, null, []]);
      expect(seen.map((e) => e.message)).to.include('Handshake timed out.');
    });

    it('does nothing once the WebSocket is open', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      handshakeTimeout(connection);
      await delay(20);
      expect([connection.connected, client.closed]).to.deep.equal([true, false]);
    });
  });

  describe('receiveHandshake', () => {
    it('a valid request, in pieces: 101, the request shown on the connection, Connected and ReadyToSend', async () => {
      const { server, client, connection } = await inHandshake();
      const events = record(server, 'WebSocketOpenRequest', 'Connected', 'ReadyToSend');
      const request = client.upgradeRequest({ path: '/chat?room=1', host: 'example.test', origin: 'http://example.test', protocols: 'a, b' });
      for (let at = 0; at < request.length; at += 17) client.write(request.slice(at, at + 17));
      const response = await client.readHttpResponse();
      expect(response.status).to.equal(101);
      expect(events.map(([name]) => name)).to.deep.equal(['WebSocketOpenRequest', 'Connected', 'ReadyToSend']);
      const open = events[0]![1] as WebSocketOpenRequestEvent;
      expect([open.requestURI, open.hostHeader, open.originHeader, open.subProtocols]).to.deep.equal(['/chat?room=1', 'example.test', 'http://example.test', 'a, b']);
      expect([connection.requestURI, connection.host, connection.origin, connection.subProtocols, connection.protocol]).to.deep.equal([
        '/chat?room=1',
        'example.test',
        'http://example.test',
        'a, b',
        '',
      ]);
      expect(connection.requestHeaders).to.include('Sec-WebSocket-Key: ');
      expect([connection.stage, connection.handshake, connection.readyToSend, connection.driver.gate.reasons]).to.deep.equal([Phase.Open, null, true, 0]);
    });

    it('the subprotocol WebSocketOpenRequest chooses is answered when the client offered it', async () => {
      const { server, client, connection } = await inHandshake();
      server.on('WebSocketOpenRequest', (e) => (e.subProtocols = 'b'));
      const response = await client.handshake({ protocols: 'a, b' });
      expect([response.status, response.headers['sec-websocket-protocol'], connection.protocol]).to.deep.equal([101, 'b', 'b']);
    });

    it('extra response headers from WebSocketOpenRequest are sent with the 101', async () => {
      const { server, client } = await inHandshake();
      server.on('WebSocketOpenRequest', (e) => (e.responseHeaders = 'X-Spec: yes'));
      const response = await client.handshake();
      expect([response.status, response.headers['x-spec']]).to.deep.equal([101, 'yes']);
    });

    it('a malformed request: its HTTP status, Error 618 and the connection closed', async () => {
      const { server, client, connection } = await inHandshake();
      const errors = record(server, 'Error');
      const response = await client.handshake({ version: '8' });
      expect([response.status, response.headers['sec-websocket-version']]).to.deep.equal([426, '13']);
      await client.waitForEnd();
      expect(errors.map(([, e]) => e as ErrorEvent)).to.deep.equal([
        {
          connectionId: connection.connectionId,
          errorCode: 618,
          description: 'WebSocket handshake failed. unsupported Sec-WebSocket-Version "8" (HTTP 426).',
        },
      ]);
      expect(connection.stage).to.equal(Phase.Closed);
    });

    it('a request head above MaxHeaderSize: 431', async () => {
      const { client } = await inHandshake({ MaxHeaderSize: 1024 });
      const response = await client.handshake({ headers: { 'X-Big': 'x'.repeat(2048) } });
      expect(response.status).to.equal(431);
    });

    it('a status chosen by WebSocketOpenRequest is answered with its headers; one out of range becomes 500', async () => {
      const first = await inHandshake();
      first.server.on('WebSocketOpenRequest', (e) => {
        e.statusCode = 403;
        e.responseHeaders = 'X-Why: not today';
      });
      const refused = await first.client.handshake();
      expect([refused.status, refused.headers['x-why']]).to.deep.equal([403, 'not today']);
      await first.client.waitForEnd();

      const { server, port } = await startServer();
      server.on('WebSocketOpenRequest', (e) => (e.statusCode = 42));
      const client = track(await RawClient.connect(port));
      expect((await client.handshake()).status).to.equal(500);
    });

    it('response headers the 101 cannot carry: Error 616 and 500', async () => {
      const { server, client, connection } = await inHandshake();
      const errors = record(server, 'Error');
      server.on('WebSocketOpenRequest', (e) => (e.responseHeaders = 'Upgrade: h2c'));
      expect((await client.handshake()).status).to.equal(500);
      expect(errors.map(([, e]) => [e.errorCode, e.description])).to.deep.equal([
        [616, 'Bad response headers: the Upgrade header is written by the handshake itself and cannot be added'],
      ]);
      expect(connection.core).to.equal(null);
    });

    it('frames right behind the request wait for the 101, then come in order', async () => {
      const { server, client, connection } = await inHandshake();
      const seen: string[] = [];
      server.on('DataIn', (e) => seen.push(e.text));
      client.write(Buffer.concat([Buffer.from(client.upgradeRequest()), clientFrame(1, 'one'), clientFrame(1, 'two')]));
      expect((await client.readHttpResponse()).status).to.equal(101);
      await eventually(() => seen.length === 2);
      expect([seen, connection.connected]).to.deep.equal([['one', 'two'], true]);
    });

    it('while WebSocketOpenRequest decides, further bytes are held for the WebSocket', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      server.on('WebSocketOpenRequest', () => undefined);
      const seen: string[] = [];
      server.on('DataIn', (e) => seen.push(e.text));
      const client = track(await RawClient.connect(port));
      client.write(client.upgradeRequest());
      const connection = await theConnection(server, Phase.Opening);
      expect(connection.driver.gate.isHeld(ReadHold.Handshake)).to.equal(true);
      receiveHandshake(connection, clientFrame(1, 'held'));
      await server.doEvents();
      expect((await client.readHttpResponse()).status).to.equal(101);
      for (let round = 0; round < 50 && seen.length === 0; round++) await server.doEvents();
      expect(seen).to.deep.equal(['held']);
    });

    it('logs the request line at LogLevel 1', async () => {
      const { server, client } = await inHandshake();
      const seen = logs(server);
      const connected = nextEvent(server, 'Connected');
      await client.handshake({ path: '/logged' });
      await connected;
      expect(seen.map((e) => e.message)).to.include.members(['GET /logged HTTP/1.1', 'WebSocket opened.']);
    });
  });

  describe('rejectHandshake', () => {
    it('answers with the status and headers, then closes', async () => {
      const { client, connection } = await inHandshake();
      rejectHandshake(connection, 503, [['Retry-After', '5']]);
      expect([connection.stage, connection.handshake]).to.deep.equal([Phase.Closed, null]);
      expect(connection.driver.gate.isHeld(ReadHold.Ended)).to.equal(true);
      const response = await client.readHttpResponse();
      expect([response.status, response.reason, response.headers['retry-after'], response.headers['content-length']]).to.deep.equal([
        503,
        'Service Unavailable',
        '5',
        '0',
      ]);
      await client.waitForEnd();
    });

    it('headers that cannot be sent are left out, and the answer still goes', async () => {
      const { client, connection } = await inHandshake();
      rejectHandshake(connection, 400, 'not a header line');
      const response = await client.readHttpResponse();
      expect([response.status, Object.keys(response.headers).sort()]).to.deep.equal([400, ['connection', 'content-length']]);
    });
  });
});
