import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { WSConnection } from '../../lib/server/ws-connection';
import type { WSServer } from '../../lib/server/ws-server';
import { delay, eventually, startServer } from '../helpers/server';
import { StreamingFrameReader, cleanup, detach, rawConnection, readSlowly, record, rejection, thrown } from '../helpers/engine';

const KiB = 1024;
const MiB = 1024 * 1024;

/** Queues 1 MiB messages on a connection whose client does not read until more than `atLeast` bytes wait in our queue. */
async function fillQueue(server: WSServer, connection: WSConnection, atLeast: number): Promise<number> {
  let sent = 0;
  for (let i = 0; i < 64 && connection.queuedBytes <= atLeast; i++) {
    await server.sendBytes(connection.connectionId, Buffer.alloc(MiB, i));
    sent += MiB;
    await delay(10);
  }
  expect(connection.queuedBytes).to.be.greaterThan(atLeast);
  return sent;
}

describe('WSServer flow control', () => {
  afterEach(cleanup);

  describe('Timeout 0 (asynchronous)', () => {
    it('queues a whole message at once, however large, while the queue is below OutBufferSize', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=1024');
      const { id, connection } = await rawConnection(server, port);
      await server.sendBytes(id, Buffer.alloc(5 * MiB));
      expect(connection.bytesSent).to.equal(5 * MiB);
      expect(connection.readyToSend).to.equal(true);
    });

    it('fails with 10035 once the queue is above OutBufferSize: BytesSent 0, ReadyToSend false', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=262144');
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      let error: any = null;
      let accepted = 0;
      for (let i = 0; i < 1000 && !error; i++) {
        error = await server.sendBytes(id, Buffer.alloc(64 * KiB)).then(
          () => ((accepted += 64 * KiB), null),
          (e) => e,
        );
        if (i % 16 === 15) await delay(5);
      }
      expect(error.code).to.equal(10035);
      expect(error.message).to.equal('[10035] Operation would block.');
      expect(connection.bytesSent).to.equal(0);
      expect(connection.readyToSend).to.equal(false);
      // The queue holds at most OutBufferSize plus the last message accepted (and its frame header).
      expect(connection.queuedBytes).to.be.at.most(262144 + 64 * KiB + 14);
      expect(accepted).to.be.greaterThan(0);
    });

    it('with permessage-deflate, messages still being compressed count towards OutBufferSize', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=262144');
      const { client, id, connection } = await rawConnection(server, port, { extensions: 'permessage-deflate' });
      detach(client);
      const data = randomBytes(64 * KiB);
      let accepted = 0;
      let refused = 0;
      // One burst: the compressions run on the thread pool while the sends come in.
      for (let i = 0; i < 100; i++) {
        try {
          connection.queueMessage(2, data);
          accepted++;
        } catch (error) {
          expect((error as { code: number }).code).to.equal(10035);
          refused++;
        }
      }
      expect(accepted).to.equal(5);
      expect(refused).to.equal(95);
      expect(connection.queuedBytes).to.equal(5 * 64 * KiB);
      // ReadyToSend waits for the compressions too: when it fires, nothing is left in the queue.
      const queuedAtReady: number[] = [];
      server.on('ReadyToSend', () => queuedAtReady.push(connection.queuedBytes));
      const reader = new StreamingFrameReader();
      const socket = client.socket;
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.resume();
      await eventually(() => queuedAtReady.length === 1, 3000, 'ReadyToSend');
      expect(queuedAtReady).to.deep.equal([0]);
      await eventually(() => reader.frames.length === 5, 3000, 'five compressed messages');
      expect(reader.frames.every((f) => f.rsv1 && f.opcode === 2 && f.fin)).to.equal(true);
    });

    it('DataToSend throws the 10035 synchronously', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      await fillQueue(server, connection, 65536);
      const error = thrown(() => server.setDataToSend(id, 'one more'));
      expect([error.code, error.message]).to.deep.equal([10035, '[10035] Operation would block.']);
      expect(connection.bytesSent).to.equal(0);
    });

    it('fires ReadyToSend once the queue drains after a failed send, and sends work again', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      const socket = detach(client);
      const sent = await fillQueue(server, connection, 65536);
      const ready = record(server, 'ReadyToSend');
      expect((await rejection(server.sendText(id, 'blocked'))).code).to.equal(10035);
      expect((await rejection(server.sendText(id, 'blocked again'))).code).to.equal(10035);
      await delay(30);
      expect(ready).to.deep.equal([]);
      const reader = new StreamingFrameReader();
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.resume();
      await eventually(() => ready.length === 1, 3000, 'ReadyToSend');
      expect(ready[0]![1]).to.deep.equal({ connectionId: id });
      expect(connection.readyToSend).to.equal(true);
      await server.sendText(id, 'after');
      expect(connection.bytesSent).to.equal(5);
      await eventually(() => reader.payloadBytes === sent + 5, 3000, 'all the data');
      await delay(20);
      // One ReadyToSend for the two failures.
      expect(ready).to.have.length(1);
    });

    it('a client that never reads while 10 MiB are queued for it does not hold up the others', async () => {
      const { server, port } = await startServer();
      server.config(`OutBufferSize=${16 * MiB}`);
      server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`));
      const stuck = await rawConnection(server, port);
      detach(stuck.client);
      for (let i = 0; i < 10; i++) await server.sendBytes(stuck.id, Buffer.alloc(MiB, i));
      const other = await rawConnection(server, port);
      for (let i = 0; i < 20; i++) {
        other.client.sendText(`m${i}`);
        expect((await other.client.readMessage(1000)).data.toString()).to.equal(`echo m${i}`);
      }
      // What the stuck client has not taken waits in its queue (the kernel holds the rest): never more
      // than the 10 MiB and their frame headers (4 frames of 256 KiB per MiB, 10 header bytes each).
      expect(stuck.connection.queuedBytes).to.be.at.most(10 * MiB + 10 * 4 * 10);
      expect(stuck.connection.connected).to.equal(true);
      const gone = record(server, 'Disconnected');
      stuck.client.destroy();
      await eventually(() => gone.length === 1, 2000, 'Disconnected');
      expect(gone[0]![1].statusCode).to.equal(1006);
      expect(server.wsConnectionCount).to.equal(1);
    });
  });

  describe('Timeout > 0 (synchronous)', () => {
    it('sends at once when there is room; BytesSent stays 0', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.timeout = 5;
      const sending = server.sendText(id, 'sync');
      expect(connection.queuedBytes).to.be.greaterThan(0);
      await sending;
      expect(connection.bytesSent).to.equal(0);
      expect((await client.readMessage()).data.toString()).to.equal('sync');
    });

    it('waits for room while the queue is above OutBufferSize, keeping the order of the sends', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      const socket = detach(client);
      const sent = await fillQueue(server, connection, 65536);
      connection.timeout = 5;
      let done = 0;
      const sends = ['a', 'b', 'c'].map((text) => server.sendText(id, text).then(() => done++));
      await delay(60);
      expect(done).to.equal(0);
      const texts: string[] = [];
      const reader = new StreamingFrameReader((data, frame) => {
        if (frame.opcode === 1) texts.push(data.toString());
      });
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.resume();
      await Promise.all(sends);
      await eventually(() => reader.payloadBytes === sent + 3, 3000, 'all the data');
      expect(texts).to.deep.equal(['a', 'b', 'c']);
    });

    it('fails with 609 when nothing leaves the queue for Timeout seconds', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      await fillQueue(server, connection, 65536);
      connection.timeout = 1;
      const started = Date.now();
      const error = await rejection(server.sendText(id, 'never'));
      expect([error.code, error.message]).to.deep.equal([609, 'Timeout.']);
      expect(Date.now() - started).to.be.within(900, 1900);
      expect(connection.connected).to.equal(true);
    });

    it('Timeout is an inactivity limit: a slow client that keeps taking data may take longer', async () => {
      const { server, port } = await startServer();
      server.config(`OutBufferSize=${64 * MiB}`);
      const { client, id, connection } = await rawConnection(server, port);
      const socket = detach(client);
      const sent = await fillQueue(server, connection, 4 * MiB);
      // OutBufferSize is fixed per connection at accept: lower this one's, as if it had been accepted so.
      connection.outBufferSize = 65536;
      connection.timeout = 1;
      const reader = new StreamingFrameReader();
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      const started = Date.now();
      const sending = server.sendText(id, 'patience');
      // The client takes what waits in our queue in about two seconds, twice the Timeout, a little at a
      // time (the kernel's buffers are full already, so each byte it reads lets one of ours go).
      const stop = readSlowly(socket, Math.ceil(connection.queuedBytes / 25), 80);
      try {
        await sending;
      } finally {
        stop();
      }
      expect(Date.now() - started).to.be.greaterThan(1100);
      socket.resume();
      await eventually(() => reader.payloadBytes === sent + 8, 3000, 'all the data');
    });

    it('Interrupt ends a waiting send with 610 and leaves the connection open', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      const socket = detach(client);
      const sent = await fillQueue(server, connection, 65536);
      connection.timeout = 10;
      const waiting = server.sendText(id, 'interrupted');
      const queuedBehind = server.sendText(id, 'also interrupted');
      await delay(30);
      await server.interrupt(id);
      const [first, second] = await Promise.all([rejection(waiting), rejection(queuedBehind)]);
      expect([first.code, first.message]).to.deep.equal([610, 'Operation interrupted.']);
      expect(second.code).to.equal(610);
      expect(connection.connected).to.equal(true);
      const reader = new StreamingFrameReader();
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.resume();
      await server.sendText(id, 'later');
      await eventually(() => reader.payloadBytes === sent + 5, 3000, 'the data and the later message');
      expect(reader.frames.filter((f) => f.opcode === 1).map((f) => f.length)).to.deep.equal([5]);
    });

    it('a waiting send fails with 614 when the connection closes', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      detach(client);
      await fillQueue(server, connection, 65536);
      connection.timeout = 10;
      const waiting = server.sendText(id, 'lost');
      await delay(30);
      client.destroy();
      const error = await rejection(waiting);
      expect([error.code, error.message]).to.deep.equal([614, 'The connection is closed.']);
    });
  });
});
