import { expect } from 'chai';
import { Phase } from '../../lib/server/connection-base';
import { HandshakeCount } from '../../lib/server/handshake-limit';
import { RawClient } from '../helpers/raw-client';
import { cleanup, track } from '../helpers/engine';
import { delay, eventually, startServer } from '../helpers/server';
import { cleanUp as cleanUpTls, tlsServer } from '../tls/helpers';

describe('handshake-limit (MaxHandshakesPerAddress)', () => {
  afterEach(async () => {
    await cleanup();
    await cleanUpTls();
  });

  describe('HandshakeCount', () => {
    it('counts per address the connections not yet open, and forgets those that opened', () => {
      const count = new HandshakeCount();
      const a = { stage: Phase.Requested as Phase };
      const b = { stage: Phase.Handshake as Phase };
      const c = { stage: Phase.Opening as Phase };
      count.add('10.0.0.1', a);
      count.add('10.0.0.1', b);
      count.add('10.0.0.2', c);
      expect([count.count('10.0.0.1'), count.count('10.0.0.2'), count.count('10.0.0.3')]).to.deep.equal([2, 1, 0]);
      a.stage = Phase.Open;
      c.stage = Phase.Closed;
      expect([count.count('10.0.0.1'), count.count('10.0.0.2'), count.addresses]).to.deep.equal([1, 0, 1]);
      count.remove('10.0.0.1', b);
      expect([count.count('10.0.0.1'), count.addresses]).to.deep.equal([0, 0]);
    });
  });

  describe('over real sockets', () => {
    /** A client whose connection the server has accepted and that sends nothing. */
    async function idle(port: number): Promise<RawClient> {
      return track(await RawClient.connect(port));
    }

    it('closes a connection beyond the limit at accept, before reading, and logs why', async () => {
      const { server, port } = await startServer({ config: { MaxHandshakesPerAddress: 2, LogLevel: 1 } });
      const logs: string[] = [];
      server.on('Log', (e) => logs.push(e.message));
      await idle(port);
      await idle(port);
      await eventually(() => server.connections.size === 2, 3000, 'two connections');
      const third = await idle(port);
      third.write(third.upgradeRequest());
      await third.waitForEnd();
      expect(await third.readRest()).to.have.length(0);
      expect(server.connections.size).to.equal(2);
      expect(logs).to.include('Connection from 127.0.0.1 refused: MaxHandshakesPerAddress (2) connections from it are in their handshake.');
    });

    it('an open WebSocket no longer counts, nor a connection that closed', async () => {
      const { server, port } = await startServer({ config: { MaxHandshakesPerAddress: 1 } });
      const first = await idle(port);
      expect((await first.handshake()).status).to.equal(101);
      const second = await idle(port);
      await eventually(() => server.connections.size === 2, 3000, 'the second connection');
      second.destroy();
      await eventually(() => server.connections.size === 1, 3000, 'the second to go');
      const third = await idle(port);
      expect((await third.handshake()).status).to.equal(101);
      expect(server.acceptor.handshaking.count('127.0.0.1')).to.equal(0);
    });

    it('counts connections in their TLS handshake', async () => {
      const server = tlsServer(undefined, { MaxHandshakesPerAddress: 1 });
      await server.startListening();
      await idle(server.localPort);
      await eventually(() => server.connections.size === 1, 3000, 'the first connection');
      const second = await idle(server.localPort);
      await second.waitForEnd();
      expect(server.connections.size).to.equal(1);
    });

    it('is off by default: idle connections from one address are all accepted', async () => {
      const { server, port } = await startServer();
      expect(server.config('MaxHandshakesPerAddress')).to.equal('0');
      const clients = await Promise.all([1, 2, 3, 4, 5].map(() => idle(port)));
      await eventually(() => server.connections.size === 5, 3000, 'five connections');
      await delay(20);
      expect(clients.map((c) => c.closed)).to.deep.equal([false, false, false, false, false]);
    });
  });
});
