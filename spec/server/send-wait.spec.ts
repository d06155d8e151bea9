import { expect } from 'chai';
import type { WSServer } from '../../lib/server/ws-server';
import type { WSConnection } from '../../lib/server/ws-connection';
import { drainedNow, interruptible, onDrained, waitForRoom, type WaitState } from '../../lib/server/send-wait';
import { delay, startServer } from '../helpers/server';
import { cleanup, detach, rawConnection, rejection } from '../helpers/engine';

const MiB = 1024 * 1024;

/** Queues MiB messages to a client that reads nothing until more than `atLeast` bytes wait. */
async function fillQueue(server: WSServer, connection: WSConnection, atLeast: number): Promise<void> {
  for (let i = 0; i < 64 && connection.queuedBytes <= atLeast; i++) {
    await server.sendBytes(connection.connectionId, Buffer.alloc(MiB, i));
    await delay(10);
  }
  expect(connection.queuedBytes).to.be.greaterThan(atLeast);
}

// The waits on a real connection; synchronous sends and SendFile that use them are in
// ws-server.flow-control.spec.ts and ws-server.send-file.spec.ts.
describe('send-wait', () => {
  afterEach(cleanup);

  describe('drainedNow', () => {
    it('calls every drain waiter once, in order, and disarms', () => {
      const calls: number[] = [];
      const state: WaitState = { drainWaiters: [() => calls.push(1), () => calls.push(2)], drainWaitersArmed: true, interrupted: null, progressAt: 0 };
      drainedNow(state);
      drainedNow(state);
      expect(calls).to.deep.equal([1, 2]);
      expect(state).to.deep.equal({ drainWaiters: null, drainWaitersArmed: false, interrupted: null, progressAt: 0 });
    });
  });

  describe('waitForRoom', () => {
    it('returns when no more than OutBufferSize bytes wait', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      expect(connection.queuedBytes).to.equal(0);
      expect(await waitForRoom(connection, 1, false)).to.equal(undefined);
    });

    it('fails with 609 when nothing moves for `seconds`', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, connection } = await rawConnection(server, port);
      detach(client);
      await fillQueue(server, connection, 65536);
      const started = Date.now();
      const error = await rejection(waitForRoom(connection, 1, false));
      expect([error.code, error.message]).to.deep.equal([609, 'Timeout.']);
      expect(Date.now() - started).to.be.within(900, 1900);
      expect(connection.connected).to.equal(true);
    });

    it('fails with 610 on Interrupt, leaving the connection open', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, connection } = await rawConnection(server, port);
      detach(client);
      await fillQueue(server, connection, 65536);
      const waiting = rejection(waitForRoom(connection, 0, false));
      await delay(30);
      connection.interrupt();
      expect((await waiting).code).to.equal(610);
      expect(connection.connected).to.equal(true);
    });

    it('returns once the client has read enough', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, connection } = await rawConnection(server, port);
      const socket = detach(client);
      await fillQueue(server, connection, 65536);
      const waiting = waitForRoom(connection, 0, false);
      socket.on('data', () => {});
      socket.resume();
      await waiting;
      expect(connection.queuedBytes).to.be.at.most(65536);
    });
  });

  describe('interruptible', () => {
    it('passes the outcome of the promise through', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      expect(await interruptible(connection, Promise.resolve(42))).to.equal(42);
      const error = await rejection(interruptible(connection, Promise.reject(new RangeError('own'))));
      expect(error).to.be.instanceOf(RangeError);
      expect(connection.waitState().interrupted!.size).to.equal(0);
    });

    it('ends a wait with 614 when the connection closes', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      const waiting = rejection(interruptible(connection, new Promise<void>(() => {})));
      connection.destroy();
      expect((await waiting).code).to.equal(614);
    });
  });

  describe('onDrained', () => {
    it('calls back once the socket has taken everything, one empty write for all waiters', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, connection } = await rawConnection(server, port);
      const socket = detach(client);
      await fillQueue(server, connection, 65536);
      const calls: number[] = [];
      onDrained(connection, () => calls.push(1));
      onDrained(connection, () => calls.push(2));
      expect(connection.waitState()).to.include({ drainWaitersArmed: true });
      await delay(30);
      expect(calls).to.deep.equal([]);
      socket.on('data', () => {});
      socket.resume();
      for (let i = 0; i < 200 && calls.length < 2; i++) await delay(10);
      expect(calls).to.deep.equal([1, 2]);
      expect(connection.rawSocket.writableLength).to.equal(0);
    });

    it('with nothing written, calls back on a later turn', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      let called = false;
      onDrained(connection, () => (called = true));
      expect(called).to.equal(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(called).to.equal(true);
    });
  });
});
