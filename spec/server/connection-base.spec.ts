import { expect } from 'chai';
import { Phase } from '../../lib/server/connection-base';
import { ConnectionExtras } from '../../lib/server/connection-extras';
import { WSServerError } from '../../lib/server/errors';
import { RawClient } from '../helpers/raw-client';
import { cleanup, detach, rawConnection, thrown, track } from '../helpers/engine';
import { delay, eventually, startServer } from '../helpers/server';

// The state every job shares, on real connections (WSConnection extends ConnectionBase).
describe('ConnectionBase', () => {
  afterEach(cleanup);

  it('starts with the server\'s DefaultTimeout and MaxLineLength, and no optional state', async () => {
    const { server, port } = await startServer({ defaultTimeout: 3, config: { MaxLineLength: 512 } });
    const { connection } = await rawConnection(server, port);
    expect([connection.timeout, connection.maxLineLength, connection.extra, connection.clock, connection.acceptDataValue]).to.deep.equal([3, 512, null, null, true]);
  });

  describe('phase', () => {
    it('follows the stage before the WebSocket opens, and the protocol core while it is open', async () => {
      const { server, port } = await startServer();
      const client = track(await RawClient.connect(port));
      await eventually(() => server.connections.size === 1);
      const connection = [...server.connections.values()][0]!;
      await eventually(() => connection.phase === Phase.Handshake);
      expect(await client.handshake()).to.include({ status: 101 });
      expect(connection.phase).to.equal(Phase.Open);
      void connection.close(1000, '', true, 5);
      // The stage stays Open; the core says a close has begun.
      expect([connection.stage, connection.phase]).to.deep.equal([Phase.Open, Phase.Closing]);
      client.destroy();
      await eventually(() => connection.phase === Phase.Closed);
    });
  });

  describe('extras', () => {
    it('is made on first use and then kept', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      const extra = connection.extras();
      expect(extra).to.be.instanceOf(ConnectionExtras);
      for (const same of [connection.extras(), connection.fileState(), connection.waitState(), connection.extra]) expect(same).to.equal(extra);
    });

    it('setCloseStatus keeps the status Disconnected will report; 1006 until then', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      expect([connection.extras().closeCode, connection.extras().closeReason]).to.deep.equal([1006, '']);
      connection.setCloseStatus(4002, 'why');
      expect([connection.extra!.closeCode, connection.extra!.closeReason]).to.deep.equal([4002, 'why']);
    });
  });

  describe('canSend and assertOpen', () => {
    it('true while open; false and 614 once a close has begun', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      expect(connection.canSend()).to.equal(true);
      connection.assertOpen();
      void connection.close(1000, '', true, 5);
      expect(connection.canSend()).to.equal(false);
      const error = thrown(() => connection.assertOpen());
      expect(error).to.be.instanceOf(WSServerError);
      expect([error.code, error.message]).to.deep.equal([614, 'The connection is closed.']);
    });

    it('false as soon as the socket is destroyed, before its close is reported', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      connection.destroy();
      expect([connection.stage, connection.canSend(), connection.driver.destroyed]).to.deep.equal([Phase.Open, false, true]);
    });

    it('false before the WebSocket is open', async () => {
      const { server, port } = await startServer();
      track(await RawClient.connect(port));
      await eventually(() => server.connections.size === 1);
      const connection = [...server.connections.values()][0]!;
      expect(connection.canSend()).to.equal(false);
      expect(thrown(() => connection.assertOpen()).code).to.equal(614);
    });
  });

  describe('output', () => {
    it('write gathers bytes for the client; flush hands them to the socket', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      connection.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
      expect(connection.driver.gatheredBytes).to.equal(4);
      connection.flush();
      expect(connection.driver.gatheredBytes).to.equal(0);
      expect((await client.readMessage()).data.toString()).to.equal('hi');
    });

    it('queuedBytes counts what waits in this process for a client that does not read', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      expect(connection.queuedBytes).to.equal(0);
      for (let i = 0; i < 16 && connection.rawSocket.writableLength === 0; i++) {
        await server.sendBytes(id, Buffer.alloc(1024 * 1024));
        await delay(10);
      }
      expect(connection.queuedBytes).to.be.at.least(connection.rawSocket.writableLength);
      expect(connection.queuedBytes).to.be.greaterThan(0);
      expect(connection.holdsOutput).to.equal(false);
    });
  });
});
