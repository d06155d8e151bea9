import { expect } from 'chai';
import { close, peerClosed, protocolFailed, socketEnded, socketFailed, whenClosed } from '../../lib/server/closing';
import { Phase } from '../../lib/server/connection-base';
import type { DisconnectedEvent, ErrorEvent, LogEvent } from '../../lib/server/events';
import { ReadHold } from '../../lib/server/read-gate';
import { ProtocolError } from '../../lib/protocol/errors';
import type { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { formatFrame } from '../../lib/protocol/frame';
import { MASK } from '../helpers/frames';
import { cleanup, doEventsLoop, rawConnection, record, rejection, track } from '../helpers/engine';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';

/** A TCP client that has not sent its upgrade request, and the server-side connection it got. */
async function pendingConnection(server: WSServer, port: number) {
  const client = track(await RawClient.connect(port));
  await eventually(() => server.connections.size === 1, 3000, 'the connection');
  const connection = [...server.connections.values()][0]!;
  await eventually(() => connection.stage === Phase.Handshake, 3000, 'the handshake stage');
  return { client, connection };
}

function logs(server: WSServer): LogEvent[] {
  const seen: LogEvent[] = [];
  server.on('Log', (e: LogEvent) => seen.push(e));
  return seen;
}

describe('closing', () => {
  afterEach(cleanup);

  describe('close', () => {
    it('without waiting for a reply: close frame with the code and reason, then our FIN; Disconnected reports them', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected');
      const closed = close(connection, 4000, 'done here', false, 5);
      expect(connection.phase).to.equal(Phase.Closing);
      expect(await client.readClose()).to.deep.equal({ code: 4000, reason: 'done here' });
      await client.waitForEnd();
      await closed;
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 4000, description: 'done here' });
      expect([connection.stage, server.connections.has(id)]).to.deep.equal([Phase.Closed, false]);
    });

    it('waiting for the reply: the TCP connection stays until the client answers', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const closed = close(connection, 1000, '', true, 5);
      expect(await client.readClose()).to.deep.equal({ code: 1000, reason: '' });
      await delay(100);
      expect([client.ended, client.closed]).to.deep.equal([false, false]);
      client.sendClose(1000);
      await client.waitForEnd();
      await closed;
      expect(connection.stage).to.equal(Phase.Closed);
    });

    it('waiting for a reply that never comes: the socket is dropped after waitSeconds', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected', 4000);
      const closed = close(connection, 1001, 'bye', true, 1);
      expect(await client.readClose()).to.deep.equal({ code: 1001, reason: 'bye' });
      expect((await disconnected).statusCode).to.equal(1001);
      await closed;
      await client.waitForEnd();
    });

    it('a second close while closing sends nothing more and resolves with the first', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const first = close(connection, 1000, 'first', false, 5);
      const second = close(connection, 1011, 'second', false, 5);
      expect(await client.readClose()).to.deep.equal({ code: 1000, reason: 'first' });
      expect(await client.readRest()).to.have.length(0);
      await Promise.all([first, second]);
      expect(first).to.equal(second);
    });

    it('before the WebSocket is open: drops the TCP connection without a close frame or Disconnected', async () => {
      const { server, port } = await startServer();
      const seen = record(server, 'Disconnected');
      const { client, connection } = await pendingConnection(server, port);
      await close(connection, 1000, '', false, 5);
      await client.waitForEnd();
      expect([await client.readRest(), connection.stage, server.connections.size]).to.deep.equal([Buffer.alloc(0), Phase.Closed, 0]);
      await delay(20);
      expect(seen).to.deep.equal([]);
    });
  });

  describe('peerClosed', () => {
    it('the client closes: our reply echoes its code, our FIN follows, Disconnected reports the code and reason', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected');
      client.sendClose(1000, 'client done');
      expect((await client.readClose()).code).to.equal(1000);
      await client.waitForEnd();
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 1000, description: 'client done' });
    });

    it('a close frame without a code is reported as 1005', async () => {
      const { server, port } = await startServer();
      const { client } = await rawConnection(server, port);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected');
      client.sendClose();
      await client.waitForEnd();
      expect(await disconnected).to.include({ statusCode: 1005, description: '' });
    });

    it('called directly: records the status, stops reading and ends once the output is out', async () => {
      const { server, port } = await startServer();
      const seen = logs(server);
      const { client, connection } = await rawConnection(server, port);
      peerClosed(connection, 4001, 'told');
      expect([connection.extra!.closeCode, connection.extra!.closeReason]).to.deep.equal([4001, 'told']);
      expect(connection.driver.gate.isHeld(ReadHold.Ended)).to.equal(true);
      await client.waitForEnd();
      expect(seen.map((e) => e.message)).to.include('Close received (4001 told).');
    });
  });

  describe('protocolFailed', () => {
    it('stops reading, reports 619 through Error, closes with the error close code', async () => {
      const { server, port } = await startServer();
      const errors = record(server, 'Error');
      const { client, id, connection } = await rawConnection(server, port);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected');
      protocolFailed(connection, new ProtocolError(1007, 'WSS_ERR_SPEC', 'spec violation'));
      expect(connection.driver.gate.isHeld(ReadHold.Ended)).to.equal(true);
      expect(errors.map(([, e]) => e as ErrorEvent)).to.deep.equal([
        { connectionId: id, errorCode: 619, description: 'WebSocket protocol violation by the client. spec violation (WSS_ERR_SPEC, close 1007).' },
      ]);
      expect(await client.readClose()).to.deep.equal({ code: 1007, reason: 'spec violation' });
      await client.waitForEnd();
      expect(await disconnected).to.include({ statusCode: 1007, description: 'spec violation' });
    });

    it('an unmasked frame fails the connection with 1002', async () => {
      const { server, port } = await startServer();
      const errors = record(server, 'Error');
      const { client } = await rawConnection(server, port);
      client.sendFrame(1, 'bare', { mask: null });
      expect((await client.readClose()).code).to.equal(1002);
      expect(errors.map(([, e]) => e.errorCode)).to.deep.equal([619]);
    });

    it('DoEvents mode: events queued before the violation fire, and may answer, before the close frame', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      const pumping = doEventsLoop(server);
      const { client, id } = await rawConnection(server, port);
      await pumping();
      server.on('DataIn', (e) => server.trySend(id, `echo ${e.text}`));
      // A masked text frame and an unmasked one in one write: the violation is found in the same chunk.
      client.write(Buffer.concat([formatFrame(1, Buffer.from('before'), { mask: MASK }), Buffer.from([0x81, 0x01, 0x78])]));
      await delay(50);
      for (let round = 0; round < 20 && !client.closed; round++) await server.doEvents();
      const message = await client.readMessage();
      expect(message.data.toString()).to.equal('echo before');
      expect((await client.readClose()).code).to.equal(1002);
    });
  });

  describe('socketEnded', () => {
    it('on an open connection: our FIN follows the output, and Disconnected reports 1006', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected');
      server.trySend(id, 'last words');
      socketEnded(connection);
      expect(connection.driver.ending || connection.driver.gate.isHeld(ReadHold.Ended)).to.equal(true);
      expect((await client.readMessage()).data.toString()).to.equal('last words');
      await client.waitForEnd();
      expect(await disconnected).to.include({ connectionId: id, statusCode: 1006 });
    });

    it('the client half-closing its side ends the connection', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected');
      client.socket.end();
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 1006, description: '' });
    });
  });

  describe('socketClosed', () => {
    it('the socket going away: the connection leaves the registry, waits end with 614, Disconnected 1006', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.timeout = 5;
      const pong = server.ping(id);
      const disconnected = nextEvent<DisconnectedEvent>(server, 'Disconnected');
      client.destroy();
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 1006, description: '' });
      const error = await rejection(pong);
      expect([error.code, error.message]).to.deep.equal([614, 'The connection is closed.']);
      expect([connection.stage, server.connections.has(id)]).to.deep.equal([Phase.Closed, false]);
    });

    it('during the handshake: logged, and no Disconnected', async () => {
      const { server, port } = await startServer();
      const seen = logs(server);
      const disconnects = record(server, 'Disconnected');
      const { client, connection } = await pendingConnection(server, port);
      client.destroy();
      await eventually(() => connection.stage === Phase.Closed && server.connections.size === 0);
      expect(seen.map((e) => [e.message, e.logType])).to.deep.include(['Connection closed during the handshake.', 'Info']);
      expect(disconnects).to.deep.equal([]);
      expect(connection.handshake).to.equal(null);
    });

    it('resolves whenClosed', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const closed = whenClosed(connection);
      client.destroy();
      await closed;
      expect(connection.stage).to.equal(Phase.Closed);
    });
  });

  describe('socketFailed', () => {
    it('logs a socket error with its documented code', async () => {
      const { server, port } = await startServer();
      const seen = logs(server);
      const { id, connection } = await rawConnection(server, port);
      socketFailed(connection, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      socketFailed(connection, new Error('odd'));
      expect(seen.slice(-2)).to.deep.equal([
        { connectionId: id, logLevel: 1, message: 'Socket error 10054: read ECONNRESET', logType: 'Error' },
        { connectionId: id, logLevel: 1, message: 'Socket error: odd', logType: 'Error' },
      ]);
      expect(connection.connected).to.equal(true);
    });
  });

  describe('whenClosed', () => {
    it('gives one promise until the close, and a settled one after it', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const first = whenClosed(connection);
      expect(whenClosed(connection)).to.equal(first);
      let settled = false;
      void first.then(() => (settled = true));
      await delay(20);
      expect(settled).to.equal(false);
      client.destroy();
      await first;
      await whenClosed(connection);
    });

    it('resolves for a connection dropped before it was read', async () => {
      const { server, port } = await startServer();
      const { connection } = await pendingConnection(server, port);
      connection.refuse();
      await whenClosed(connection);
      expect([connection.stage, connection.driver.destroyed]).to.deep.equal([Phase.Closed, true]);
    });
  });
});
