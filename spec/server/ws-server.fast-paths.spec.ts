import { expect } from 'chai';
import sinon from 'sinon';
import { WSServerError } from '../../lib/server/errors';
import { RawClient } from '../helpers/raw-client';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';
import { StreamingFrameReader, cleanup, detach, doEventsLoop, rawConnection, record, rejection, socketOutcome, track } from '../helpers/engine';

const KiB = 1024;

describe('WSServer fast paths', () => {
  afterEach(async () => {
    sinon.restore();
    await cleanup();
  });

  describe('SendText with UTF-8 bytes', () => {
    it('sends a Buffer as one text frame, byte for byte, and sets BytesSent', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      const bytes = Buffer.from('grüß € 😀', 'utf8');
      await server.sendText(id, bytes);
      expect(connection.bytesSent).to.equal(bytes.length);
      expect(await client.readFrame()).to.deep.equal({ fin: true, rsv1: false, opcode: 1, payload: bytes });
    });

    it('sends a plain Uint8Array view (not a Buffer) without copying its neighbours', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const backing = new TextEncoder().encode('xxhello, worldyy');
      await server.sendText(id, backing.subarray(2, 14));
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('hello, world') });
    });

    it('refuses bytes that are not UTF-8 with 616 and sends nothing', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const error = await rejection(server.sendText(id, Buffer.from([0x61, 0xed, 0xa0, 0x80])));
      expect(error).to.be.instanceOf(WSServerError);
      expect([error.code, error.message]).to.deep.equal([616, 'Invalid argument. Text data is not valid UTF-8.']);
      await server.sendText(id, 'next');
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('next') });
    });

    it('an echo of DataIn bytes needs no decoding: textB goes back as the same text', async () => {
      const { server, port } = await startServer({ config: { BufferMessage: true } });
      server.on('DataIn', (e) => void server.sendText(e.connectionId, e.textB));
      const { client } = await rawConnection(server, port);
      client.sendText('ünïcödé round trip');
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('ünïcödé round trip') });
    });
  });

  describe('SendText of a received text (the text memo)', () => {
    it('an echo of e.text sends the received bytes back, and a binary message decoded one char per byte is encoded anew', async () => {
      const { server, port } = await startServer({ config: { BufferMessage: true } });
      const received: Buffer[] = [];
      server.on('DataIn', (e) => {
        received.push(e.textB);
        void server.sendText(e.connectionId, e.text);
      });
      const { client } = await rawConnection(server, port);
      client.sendText('ünïcödé round trip');
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('ünïcödé round trip') });
      // Binary 0xC3 0xA9: its text is 'Ã©' (latin1), which as UTF-8 is four bytes, not the two that arrived.
      client.sendBinary(Buffer.from([0xc3, 0xa9]));
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('Ã©', 'utf8') });
      expect(received.map((b) => b.toString('hex'))).to.deep.equal([Buffer.from('ünïcödé round trip').toString('hex'), 'c3a9']);
    });

    it('a text message received in pieces echoes piece by piece, each piece its own bytes', async () => {
      const { server, port } = await startServer({ config: { BufferMessage: false } });
      server.on('DataIn', (e) => void server.sendText(e.connectionId, `[${e.text}]`));
      const { client } = await rawConnection(server, port);
      client.sendFrame(1, Buffer.from('héllo '), { fin: false });
      client.sendFrame(0, Buffer.from('wörld'), { fin: true });
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('[héllo ]') });
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('[wörld]') });
    });

    it('one string sent to many connections arrives whole on each', async () => {
      const { server, port } = await startServer();
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push(await rawConnection(server, port));
      const news = `news ✓ ${'.'.repeat(600)}`;
      for (const { id } of clients) expect(server.trySend(id, news, 1)).to.equal(0);
      for (const { client } of clients) expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from(news) });
    });
  });

  describe('trySend', () => {
    it('queues and returns 0: text, binary, and the connection DataFormat by default', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      expect(server.trySend(id, 'text', 1)).to.equal(0);
      expect(connection.bytesSent).to.equal(4);
      expect(server.trySend(id, Buffer.from([1, 2, 3]), 2)).to.equal(0);
      expect(connection.bytesSent).to.equal(3);
      expect(server.trySend(String(id), Buffer.from('utf-8 bytes'), 1)).to.equal(0);
      connection.dataFormat = 2;
      expect(server.trySend(id, 'é')).to.equal(0);
      connection.dataFormat = 0;
      expect(server.trySend(id, 'auto')).to.equal(0);
      expect(server.trySend(id, Buffer.from('p'), 9)).to.equal(0);
      const frames = [];
      for (let i = 0; i < 6; i++) frames.push(await client.readFrame());
      expect(frames.map((f) => [f.opcode, f.payload])).to.deep.equal([
        [1, Buffer.from('text')],
        [2, Buffer.from([1, 2, 3])],
        [1, Buffer.from('utf-8 bytes')],
        [2, Buffer.from([0xc3, 0xa9])],
        [1, Buffer.from('auto')],
        [9, Buffer.from('p')],
      ]);
    });

    it('echoes a DataIn event with its own bytes and format', async () => {
      const { server, port } = await startServer({ config: { BufferMessage: true } });
      const results: number[] = [];
      server.on('DataIn', (e) => results.push(server.trySend(e.connectionId, e.textB, e.dataFormat)));
      const { client } = await rawConnection(server, port);
      client.sendText('hi ✓');
      client.sendBinary(Buffer.from([0, 255]));
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('hi ✓') });
      expect(await client.readFrame()).to.deep.include({ opcode: 2, payload: Buffer.from([0, 255]) });
      expect(results).to.deep.equal([0, 0]);
    });

    it('returns error codes instead of throwing: 126, 616, 614', async () => {
      const { server, port } = await startServer();
      server.config('WaitForCloseResponse=true');
      const errors = record(server, 'Error');
      const { client, id, connection } = await rawConnection(server, port);
      expect(server.trySend(99, 'x', 1)).to.equal(126);
      expect(server.trySend('not a number', 'x', 1)).to.equal(126);
      expect(server.trySend(id, Buffer.from([0xc3, 0x28]), 1)).to.equal(616);
      expect(server.trySend(id, Buffer.alloc(126), 9)).to.equal(616);
      expect(server.trySend(id, 'x', 7)).to.equal(616);
      connection.dataFormat = 5;
      expect(server.trySend(id, 'x')).to.equal(616);
      void server.disconnect(id);
      expect(server.trySend(id, 'late', 1)).to.equal(614);
      expect(errors).to.deep.equal([]);
      // Nothing of the refused sends went out: the close frame is the first frame.
      expect((await client.readFrame()).opcode).to.equal(8);
    });

    it('reports a MessageLength violation as 616 and keeps the message going', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      server.config(`MessageLength[${id}]=6`);
      expect(server.trySend(id, Buffer.from('abc'), 2)).to.equal(0);
      expect(server.trySend(id, Buffer.from('defg'), 2)).to.equal(616);
      expect(server.trySend(id, Buffer.from('def'), 2)).to.equal(0);
      const message = await client.readMessage();
      expect([message.opcode, message.data.toString()]).to.deep.equal([2, 'abcdef']);
    });

    it('returns 10035 when more than OutBufferSize bytes wait, then ReadyToSend fires once there is room', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      const socket = detach(client);
      const ready = record(server, 'ReadyToSend');
      let code = 0;
      let accepted = 0;
      for (let i = 0; i < 2000 && code === 0; i++) {
        code = server.trySend(id, Buffer.alloc(16 * KiB, 1), 2);
        if (code === 0) accepted++;
        if (i % 8 === 7) await delay(2);
      }
      expect(code).to.equal(10035);
      expect(connection.bytesSent).to.equal(0);
      expect(connection.readyToSend).to.equal(false);
      const reader = new StreamingFrameReader();
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.resume();
      await eventually(() => ready.length === 1, 3000, 'ReadyToSend');
      expect(server.trySend(id, 'again', 1)).to.equal(0);
      await eventually(() => reader.frames.length === accepted + 1, 3000, 'every frame');
      expect(reader.frames.at(-1)).to.deep.equal({ fin: true, rsv1: false, opcode: 1, length: 5 });
    });

    it('on a synchronous connection: queues when Send would at once (BytesSent 0), else 10035 without waiting', async () => {
      const { server, port } = await startServer();
      server.config('OutBufferSize=65536');
      const { client, id, connection } = await rawConnection(server, port);
      connection.timeout = 5;
      expect(server.trySend(id, 'now', 1)).to.equal(0);
      expect(connection.bytesSent).to.equal(0);
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('now') });
      const socket = detach(client);
      // Fill the queue, then a synchronous send waits for room: trySend may not overtake it.
      while (connection.queuedBytes <= 65536) await server.sendBytes(id, Buffer.alloc(256 * KiB));
      const waiting = server.sendText(id, 'waiting');
      expect(server.trySend(id, 'overtaker', 1)).to.equal(10035);
      const reader = new StreamingFrameReader();
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.resume();
      await waiting;
      await eventually(() => reader.frames.some((f) => f.opcode === 1), 3000, 'the waiting send');
      expect(reader.frames.filter((f) => f.opcode === 1).map((f) => f.length)).to.deep.equal([7]);
    });
  });

  describe('output batching', () => {
    it('small messages sent in one turn go out in one write, joined', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      const write = sinon.spy(connection.rawSocket, 'write');
      const cork = sinon.spy(connection.rawSocket, 'cork');
      for (let i = 0; i < 10; i++) expect(server.trySend(id, `m${i}`, 1)).to.equal(0);
      expect(write.callCount).to.equal(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(write.callCount).to.equal(1);
      expect(cork.callCount).to.equal(0);
      for (let i = 0; i < 10; i++) expect((await client.readFrame()).payload.toString()).to.equal(`m${i}`);
    });

    it('large messages are written between one cork() and uncork(), intact and in order', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      const cork = sinon.spy(connection.rawSocket, 'cork');
      const uncork = sinon.spy(connection.rawSocket, 'uncork');
      const payloads = [0, 1, 2, 3].map((i) => Buffer.alloc(16 * KiB + i, 0x41 + i));
      for (const payload of payloads) expect(server.trySend(id, payload, 2)).to.equal(0);
      server.trySend(id, 'tail', 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect([cork.callCount, uncork.callCount]).to.deep.equal([1, 1]);
      for (const payload of payloads) expect(await client.readFrame()).to.deep.include({ opcode: 2, payload });
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('tail') });
    });

    it('sends to several connections from outside their reads are written on the next tick, one write each', async () => {
      const { server, port } = await startServer();
      const peers = [await rawConnection(server, port), await rawConnection(server, port), await rawConnection(server, port)];
      const writes = peers.map((peer) => sinon.spy(peer.connection.rawSocket, 'write'));
      for (const peer of peers) for (let i = 0; i < 3; i++) server.trySend(peer.id, `to ${peer.id}: ${i}`, 1);
      expect(writes.map((w) => w.callCount)).to.deep.equal([0, 0, 0]);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(writes.map((w) => w.callCount)).to.deep.equal([1, 1, 1]);
      for (const peer of peers) {
        for (let i = 0; i < 3; i++) expect((await peer.client.readFrame()).payload.toString()).to.equal(`to ${peer.id}: ${i}`);
      }
    });

    it('a Log handler that sends while a batch is being logged does not lose its message', async () => {
      const { server, port } = await startServer({ config: { LogLevel: 3 } });
      const { client, id } = await rawConnection(server, port);
      let answered = false;
      server.on('Log', (e) => {
        if (answered || !e.message.startsWith('Sent ')) return;
        answered = true;
        expect(server.trySend(id, 'from the log', 1)).to.equal(0);
      });
      expect(server.trySend(id, 'first', 1)).to.equal(0);
      expect((await client.readFrame()).payload.toString()).to.equal('first');
      expect((await client.readFrame()).payload.toString()).to.equal('from the log');
    });

    it('DoEvents: what the handlers of one round send is written once per connection before doEvents() resolves', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false, BufferMessage: true } });
      server.on('DataIn', (e) => {
        for (let i = 0; i < 3; i++) server.trySend(e.connectionId, `${e.text} ${i}`, 1);
      });
      const stop = doEventsLoop(server);
      const a = await rawConnection(server, port);
      const b = await rawConnection(server, port);
      await stop();
      const writes = [a, b].map((peer) => sinon.spy(peer.connection.rawSocket, 'write'));
      a.client.sendText('a');
      b.client.sendText('b');
      await eventually(() => a.connection.queuedInput > 0 && b.connection.queuedInput > 0, 3000, 'queued input');
      await server.doEvents();
      expect(writes.map((w) => w.callCount)).to.deep.equal([1, 1]);
      for (const [peer, name] of [[a, 'a'], [b, 'b']] as const) {
        for (let i = 0; i < 3; i++) expect((await peer.client.readFrame()).payload.toString()).to.equal(`${name} ${i}`);
      }
    });
  });

  describe('MaxReadTime bookkeeping', () => {
    it('reads the clock a few times per chunk, not once per message, while handlers are fast', async () => {
      const { server, port } = await startServer({ config: { MaxReadTime: 50 } });
      let count = 0;
      server.on('DataIn', () => count++);
      const { client } = await rawConnection(server, port);
      const now = sinon.spy(performance, 'now');
      const frames = [];
      for (let i = 0; i < 500; i++) frames.push(Buffer.from([0x81, 0x81, 0, 0, 0, 0, 0x61]));
      client.write(Buffer.concat(frames));
      await eventually(() => count === 500, 3000, '500 messages');
      expect(now.callCount).to.be.below(50);
    });
  });

  describe('lazily read connection state', () => {
    it('the addresses stay known after the client has gone, when nobody asked before', async () => {
      const { server, port } = await startServer();
      const { client, connection } = await rawConnection(server, port);
      const clientPort = client.socket.localPort;
      const closed = nextEvent(server, 'Disconnected');
      client.socket.end();
      await closed;
      expect([connection.remoteHost, connection.remotePort, connection.localAddress]).to.deep.equal(['127.0.0.1', clientPort, '127.0.0.1']);
    });

    it('ConnectionUID is made once: the same on every read', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      const uid = server.config(`ConnectionUID[${id}]`);
      expect(uid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(connection.uid).to.equal(uid);
      expect(server.config(`ConnectionUID[${id}]`)).to.equal(uid);
    });

    it('BlockedClients refuses a client even when no ConnectionRequest listener is there', async () => {
      const { server, port } = await startServer();
      server.config('BlockedClients=127.0.0.1');
      const connected = record(server, 'Connected');
      const client = track(await RawClient.connect(port));
      client.write(client.upgradeRequest());
      const { data } = await socketOutcome(client.socket);
      expect(data.length).to.equal(0);
      expect(connected).to.deep.equal([]);
    });
  });
});
