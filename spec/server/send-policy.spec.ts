import { expect } from 'chai';
import { Opcode } from '../../lib/protocol/constants';
import { ConnectionExtras } from '../../lib/server/connection-extras';
import { WSServerError } from '../../lib/server/errors';
import { interrupt, ping, pongReceived, queueMessage, rejectWaiters, sendMessage, setMessageLength, trySendMessage } from '../../lib/server/send-policy';
import type { WSConnection } from '../../lib/server/ws-connection';
import { cleanup, detach, rawConnection, record, rejection, thrown } from '../helpers/engine';
import { delay, eventually, startServer } from '../helpers/server';

const MiB = 1024 * 1024;
const MARK = 65536;

/** Queues MiB messages (by the asynchronous rule) until more than OutBufferSize bytes wait for the client. */
async function fill(connection: WSConnection): Promise<void> {
  for (let i = 0; i < 64 && connection.queuedBytes <= MARK; i++) {
    queueMessage(connection, Opcode.Binary, Buffer.alloc(MiB, i));
    await delay(10);
  }
  expect(connection.queuedBytes).to.be.greaterThan(MARK);
}

/** A connection whose client reads nothing (yet), with OutBufferSize at MARK. */
async function stuck() {
  const { server, port } = await startServer({ config: { OutBufferSize: MARK } });
  const { client, id, connection } = await rawConnection(server, port);
  const socket = detach(client);
  /** Lets the client read (and drop) everything. */
  const drain = () => {
    socket.on('data', () => undefined);
    socket.resume();
  };
  return { server, client, id, connection, drain };
}

function closedError(error: unknown): [number, string] {
  expect(error).to.be.instanceOf(WSServerError);
  const e = error as WSServerError;
  return [e.code, e.message];
}

describe('send-policy', () => {
  afterEach(cleanup);

  describe('queueMessage', () => {
    it('queues the message at once and sets BytesSent to its length', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      queueMessage(connection, Opcode.Text, Buffer.from('hello'));
      expect(connection.bytesSent).to.equal(5);
      const message = await client.readMessage();
      expect([message.opcode, message.data.toString()]).to.deep.equal([1, 'hello']);
    });

    it('sends pings and pongs as control frames', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      queueMessage(connection, Opcode.Ping, Buffer.from('p'));
      queueMessage(connection, Opcode.Pong, Buffer.from('q'));
      const frames = [await client.readFrame(), await client.readFrame()];
      expect(frames.map((f) => [f.opcode, f.payload.toString()])).to.deep.equal([
        [9, 'p'],
        [10, 'q'],
      ]);
    });

    it('fails with 614 once a close has begun', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      void connection.close(1000, '', false, 1);
      expect(closedError(thrown(() => queueMessage(connection, Opcode.Text, Buffer.from('late'))))).to.deep.equal([614, 'The connection is closed.']);
    });

    it('fails with 10035 above OutBufferSize: BytesSent 0, ReadyToSend false, and ReadyToSend fires once drained', async () => {
      const { server, connection, drain } = await stuck();
      const ready = record(server, 'ReadyToSend');
      await fill(connection);
      const error = thrown(() => queueMessage(connection, Opcode.Text, Buffer.from('more')));
      expect([error.code, connection.bytesSent, connection.readyToSend]).to.deep.equal([10035, 0, false]);
      // A second failure arms nothing more.
      thrown(() => queueMessage(connection, Opcode.Text, Buffer.from('more')));
      await delay(30);
      expect(ready).to.deep.equal([]);
      drain();
      await eventually(() => ready.length === 1, 5000, 'ReadyToSend');
      expect([connection.readyToSend, connection.queuedBytes]).to.deep.equal([true, 0]);
      queueMessage(connection, Opcode.Text, Buffer.from('again'));
      expect(connection.bytesSent).to.equal(5);
      await delay(30);
      expect(ready).to.have.length(1);
    });

    it('fails with 10035 while a SendFile holds the connection', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      connection.extras().sendingFile = true;
      expect(thrown(() => queueMessage(connection, Opcode.Text, Buffer.from('x'))).code).to.equal(10035);
      connection.extras().sendingFile = false;
      queueMessage(connection, Opcode.Text, Buffer.from('x'));
      expect(connection.bytesSent).to.equal(1);
    });

    describe('MessageLength', () => {
      it('the next N bytes, over several sends, form one message', async () => {
        const { server, port } = await startServer();
        const { client, connection } = await rawConnection(server, port);
        connection.messageRemaining = 10;
        queueMessage(connection, Opcode.Text, Buffer.from('abcd'));
        expect(connection.messageRemaining).to.equal(6);
        queueMessage(connection, Opcode.Text, Buffer.from('efghij'));
        expect(connection.messageRemaining).to.equal(0);
        queueMessage(connection, Opcode.Text, Buffer.from('next'));
        const first = await client.readMessage();
        const second = await client.readMessage();
        expect([first.data.toString(), first.frames, second.data.toString(), second.frames]).to.deep.equal(['abcdefghij', 2, 'next', 1]);
      });

      it('more data than is left fails with 616 and changes nothing', async () => {
        const { server, port } = await startServer();
        const { connection } = await rawConnection(server, port);
        connection.messageRemaining = 3;
        const error = thrown(() => queueMessage(connection, Opcode.Text, Buffer.from('four')));
        expect([error.code, error.message]).to.deep.equal([616, 'Invalid argument. The data exceeds the 3 bytes left of MessageLength.']);
        expect(connection.messageRemaining).to.equal(3);
      });

      it('a part in another format fails with 616', async () => {
        const { server, port } = await startServer();
        const { connection } = await rawConnection(server, port);
        connection.messageRemaining = 4;
        queueMessage(connection, Opcode.Text, Buffer.from('ab'));
        const error = thrown(() => queueMessage(connection, Opcode.Binary, Buffer.from('cd')));
        expect([error.code, error.message]).to.deep.equal([616, 'Invalid argument. All parts of a MessageLength message must have the same format.']);
      });

      it('a whole message while a MessageLength message is unfinished fails with 616', async () => {
        const { server, port } = await startServer();
        const { connection } = await rawConnection(server, port);
        connection.messageRemaining = 4;
        queueMessage(connection, Opcode.Text, Buffer.from('ab'));
        // A synchronous send does not take parts: the open message is in its way.
        connection.timeout = 5;
        const error = await rejection(sendMessage(connection, Opcode.Text, Buffer.from('whole')));
        expect([error.code, error.message]).to.deep.equal([616, 'Invalid argument. A message sent in parts (MessageLength) is still unfinished.']);
      });

      it('setting MessageLength while a message is open ends that message with an empty final frame', async () => {
        const { server, port } = await startServer();
        const { client, connection } = await rawConnection(server, port);
        setMessageLength(connection, 4);
        queueMessage(connection, Opcode.Binary, Buffer.from('ab'));
        setMessageLength(connection, 0);
        expect(connection.core!.sendingParts).to.equal(false);
        queueMessage(connection, Opcode.Text, Buffer.from('whole'));
        const first = await client.readMessage();
        const second = await client.readMessage();
        expect([first.data.toString(), first.frames, second.data.toString(), second.frames]).to.deep.equal(['ab', 2, 'whole', 1]);
      });
    });
  });

  describe('trySendMessage', () => {
    it('returns 0 and sets BytesSent when the message is queued', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      expect(trySendMessage(connection, Opcode.Binary, Buffer.from([1, 2, 3]))).to.equal(0);
      expect(connection.bytesSent).to.equal(3);
      expect((await client.readMessage()).data).to.deep.equal(Buffer.from([1, 2, 3]));
    });

    it('returns 614 once a close has begun, without throwing', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      void connection.close(1000, '', false, 1);
      expect(trySendMessage(connection, Opcode.Text, Buffer.from('x'))).to.equal(614);
    });

    it('returns 10035 above OutBufferSize, and arms ReadyToSend', async () => {
      const { server, connection, drain } = await stuck();
      const ready = record(server, 'ReadyToSend');
      await fill(connection);
      expect(trySendMessage(connection, Opcode.Text, Buffer.from('x'))).to.equal(10035);
      expect([connection.bytesSent, connection.readyToSend]).to.deep.equal([0, false]);
      drain();
      await eventually(() => ready.length === 1, 5000, 'ReadyToSend');
    });

    it('returns 616 for a MessageLength violation, BytesSent 0', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      connection.messageRemaining = 1;
      expect(trySendMessage(connection, Opcode.Text, Buffer.from('xy'))).to.equal(616);
      expect(connection.bytesSent).to.equal(0);
    });

    it('on a synchronous connection: queues when there is room (BytesSent stays 0), 10035 while a synchronous send waits', async () => {
      const { connection, drain } = await stuck();
      connection.timeout = 5;
      expect(trySendMessage(connection, Opcode.Text, Buffer.from('room'))).to.equal(0);
      expect(connection.bytesSent).to.equal(0);
      connection.timeout = 0;
      await fill(connection);
      connection.timeout = 5;
      const waiting = sendMessage(connection, Opcode.Text, Buffer.from('waits'));
      expect(connection.extra!.syncPending).to.equal(1);
      expect(trySendMessage(connection, Opcode.Text, Buffer.from('overtake'))).to.equal(10035);
      drain();
      await waiting;
    });
  });

  describe('sendMessage', () => {
    it('asynchronous: queued before it returns, the promise already settled', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const sent = sendMessage(connection, Opcode.Text, Buffer.from('now'));
      expect(connection.bytesSent).to.equal(3);
      await sent;
      expect((await client.readMessage()).data.toString()).to.equal('now');
    });

    it('asynchronous: 614 and 10035 come as rejections, not throws', async () => {
      const { connection } = await stuck();
      await fill(connection);
      expect((await rejection(sendMessage(connection, Opcode.Text, Buffer.from('x')))).code).to.equal(10035);
      void connection.close(1000, '', false, 1);
      expect((await rejection(sendMessage(connection, Opcode.Text, Buffer.from('x')))).code).to.equal(614);
    });

    it('synchronous with room: queued before it returns; BytesSent 0', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      connection.timeout = 5;
      const sent = sendMessage(connection, Opcode.Text, Buffer.from('sync'));
      expect(connection.driver.gatheredBytes).to.be.greaterThan(4);
      expect(connection.extra === null || connection.extra.syncPending === 0).to.equal(true);
      await sent;
      expect(connection.bytesSent).to.equal(0);
      expect((await client.readMessage()).data.toString()).to.equal('sync');
    });

    it('synchronous without room: waits for the client to read, and keeps the call order', async () => {
      const { client, connection, drain } = await stuck();
      await fill(connection);
      connection.timeout = 5;
      const done: number[] = [];
      const sends = [1, 2, 3].map((n) => sendMessage(connection, Opcode.Text, Buffer.from(`s${n}`)).then(() => done.push(n)));
      await delay(30);
      expect([done, connection.extra!.syncPending]).to.deep.equal([[], 3]);
      drain();
      await Promise.all(sends);
      expect([done, connection.extra!.syncPending, connection.extra!.syncTail]).to.deep.equal([[1, 2, 3], 0, null]);
      expect(client.closed).to.equal(false);
    });

    it('synchronous without room: 609 when nothing moves for Timeout seconds', async () => {
      const { connection } = await stuck();
      await fill(connection);
      connection.timeout = 1;
      const error = await rejection(sendMessage(connection, Opcode.Text, Buffer.from('x')));
      expect([error.code, error.message]).to.deep.equal([609, 'Timeout.']);
      expect(connection.connected).to.equal(true);
    });
  });

  describe('interrupt', () => {
    it('ends every synchronous send waiting for room with 610; the connection stays open', async () => {
      const { connection } = await stuck();
      await fill(connection);
      connection.timeout = 5;
      const first = rejection(sendMessage(connection, Opcode.Text, Buffer.from('a')));
      const second = rejection(sendMessage(connection, Opcode.Text, Buffer.from('b')));
      await delay(30);
      interrupt(connection);
      expect([(await first).code, (await second).code]).to.deep.equal([610, 610]);
      expect(connection.connected).to.equal(true);
    });

    it('marks a SendFile as interrupted, and bumps the epoch with nothing waiting', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      interrupt(connection);
      expect([connection.extra!.interruptEpoch, connection.extra!.fileInterrupted]).to.deep.equal([1, false]);
      connection.extras().sendingFile = true;
      interrupt(connection);
      expect([connection.extra!.interruptEpoch, connection.extra!.fileInterrupted]).to.deep.equal([2, true]);
    });
  });

  describe('ping and pongReceived', () => {
    it('Timeout 0: resolves once queued; each ping carries the next counter', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      await ping(connection);
      await ping(connection);
      const frames = [await client.readFrame(), await client.readFrame()];
      expect(frames.map((f) => [f.opcode, f.payload.toString('hex')])).to.deep.equal([
        [9, '00000001'],
        [9, '00000002'],
      ]);
    });

    it('Timeout > 0: resolves when the matching pong arrives, not on another one', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      connection.timeout = 5;
      let answered = false;
      const pinged = ping(connection).then(() => (answered = true));
      const frame = await client.readFrame();
      pongReceived(connection, Buffer.from('other'));
      client.sendFrame(10, Buffer.from('nope'));
      await delay(30);
      expect(answered).to.equal(false);
      client.sendFrame(10, frame.payload);
      await pinged;
      expect(connection.extra!.pings!.size).to.equal(0);
    });

    it('Timeout > 0: 609 when no pong comes within Timeout', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      connection.timeout = 1;
      const error = await rejection(ping(connection));
      expect([error.code, error.message]).to.deep.equal([609, 'Timeout.']);
      expect(connection.extra!.pings!.size).to.equal(0);
    });

    it('Timeout > 0: Interrupt ends the wait with 610', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      connection.timeout = 5;
      const waiting = rejection(ping(connection));
      await delay(10);
      interrupt(connection);
      expect((await waiting).code).to.equal(610);
    });

    it('fails with 614 once a close has begun', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      void connection.close(1000, '', false, 1);
      expect((await rejection(ping(connection))).code).to.equal(614);
    });

    it('a pong nobody waits for changes nothing', async () => {
      const { server, port } = await startServer();
      const { connection } = await rawConnection(server, port);
      pongReceived(connection, Buffer.from('stray'));
      expect(connection.extra).to.equal(null);
    });
  });

  describe('rejectWaiters', () => {
    it('ends every wait with 614, calls the drain waiters and clears the lot', () => {
      const extra = new ConnectionExtras();
      const outcomes: string[] = [];
      const waiter = (name: string) => ({ resolve: () => outcomes.push(`${name} resolved`), reject: (e: Error) => outcomes.push(`${name} ${(e as WSServerError).code}`) });
      extra.interrupted = new Set([waiter('send')]);
      extra.pings = new Map([['00000001', waiter('ping')]]);
      extra.drainWaiters = [() => outcomes.push('drained')];
      extra.drainWaitersArmed = true;
      rejectWaiters(extra);
      expect(outcomes).to.deep.equal(['send 614', 'drained', 'ping 614']);
      expect([extra.interrupted, extra.pings, extra.drainWaiters, extra.drainWaitersArmed]).to.deep.equal([null, null, null, false]);
      rejectWaiters(extra);
      expect(outcomes).to.have.length(3);
    });
  });
});
