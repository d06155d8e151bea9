import { expect } from 'chai';
import { WSServer } from '../../lib/server/ws-server';
import { WSServerError } from '../../lib/server/errors';
import { RawClient } from '../helpers/raw-client';
import { delay, eventually, nextEvent, startServer } from '../helpers/server';
import { cleanup, nextMessage, rawConnection, record, rejection, thrown, track, wsConnection } from '../helpers/engine';

describe('WSServer methods', () => {
  afterEach(cleanup);

  describe('SendText, SendBytes, Send, DataToSend', () => {
    it('SendText sends one text frame with the UTF-8 bytes', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      await server.sendText(id, 'héllo €');
      const frame = await client.readFrame();
      expect(frame).to.deep.equal({ fin: true, rsv1: false, opcode: 1, payload: Buffer.from('héllo €', 'utf8') });
    });

    it('SendBytes sends one binary frame with the exact bytes', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      await server.sendBytes(id, Uint8Array.from([0, 1, 0xfe, 0xff]));
      const frame = await client.readFrame();
      expect(frame).to.deep.equal({ fin: true, rsv1: false, opcode: 2, payload: Buffer.from([0, 1, 0xfe, 0xff]) });
    });

    it('SendText always sends text, whatever DataFormat says', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.dataFormat = 2;
      await server.sendText(id, 'abc');
      expect((await client.readFrame()).opcode).to.equal(1);
    });

    it('Send with DataFormat 0 sends a string as text and bytes as binary', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      await server.send(id, 'text');
      await server.send(id, Buffer.from('bytes'));
      const first = await client.readFrame();
      const second = await client.readFrame();
      expect([first.opcode, first.payload.toString()]).to.deep.equal([1, 'text']);
      expect([second.opcode, second.payload.toString()]).to.deep.equal([2, 'bytes']);
    });

    it('Send with DataFormat 0 sends a string that UTF-8 cannot carry (lone surrogate) as binary', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      server.config('CodePage=1200');
      await server.send(id, 'a\ud800');
      const frame = await client.readFrame();
      expect(frame.opcode).to.equal(2);
      expect(frame.payload).to.deep.equal(Buffer.from([0x61, 0x00, 0x00, 0xd8]));
      expect(connection.bytesSent).to.equal(4);
    });

    it('Send with DataFormat 1 sends text, and refuses bytes that are not UTF-8 (616)', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.dataFormat = 1;
      await server.send(id, Buffer.from('ok ✓'));
      expect(await client.readFrame()).to.include({ opcode: 1 });
      const error = await rejection(server.send(id, Buffer.from([0xc3, 0x28])));
      expect(error).to.be.instanceOf(WSServerError);
      expect(error.code).to.equal(616);
      expect(error.message).to.equal('Invalid argument. Text data is not valid UTF-8.');
    });

    it('Send with DataFormat 2 sends binary; a string goes through CodePage', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.dataFormat = 2;
      await server.send(id, 'é');
      server.config('CodePage=28591');
      await server.send(id, 'é');
      expect(await client.readFrame()).to.deep.include({ opcode: 2, payload: Buffer.from([0xc3, 0xa9]) });
      expect(await client.readFrame()).to.deep.include({ opcode: 2, payload: Buffer.from([0xe9]) });
    });

    it('Send with DataFormat 9 sends a ping and 10 a pong, at most 125 bytes', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.dataFormat = 9;
      await server.send(id, Buffer.from('p1'));
      connection.dataFormat = 10;
      await server.send(id, Buffer.from('p2'));
      expect(await client.readFrame()).to.deep.equal({ fin: true, rsv1: false, opcode: 9, payload: Buffer.from('p1') });
      expect(await client.readFrame()).to.deep.equal({ fin: true, rsv1: false, opcode: 10, payload: Buffer.from('p2') });
      const error = await rejection(server.send(id, Buffer.alloc(126)));
      expect([error.code, error.message]).to.deep.equal([616, 'Invalid argument. Ping and pong data is at most 125 bytes.']);
    });

    it('DataToSend sends as Send does and sets BytesSent', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      server.setDataToSend(id, 'via property');
      expect(connection.bytesSent).to.equal(12);
      connection.dataFormat = 2;
      server.setDataToSend(String(id), Buffer.from([9, 8, 7]));
      expect(connection.bytesSent).to.equal(3);
      expect(await client.readFrame()).to.deep.include({ opcode: 1, payload: Buffer.from('via property') });
      expect(await client.readFrame()).to.deep.include({ opcode: 2, payload: Buffer.from([9, 8, 7]) });
    });

    it('DataToSend throws synchronously on a closing connection (614)', async () => {
      const { server, port } = await startServer();
      server.config('WaitForCloseResponse=true');
      const { id } = await rawConnection(server, port);
      void server.disconnect(id);
      const error = thrown(() => server.setDataToSend(id, 'late'));
      expect([error.code, error.message]).to.deep.equal([614, 'The connection is closed.']);
    });

    it('a ws client receives what the methods send', async () => {
      const { server, port } = await startServer();
      const { ws, id } = await wsConnection(server, port);
      const first = nextMessage(ws);
      await server.sendText(id, 'to ws');
      expect(await first).to.deep.equal([Buffer.from('to ws'), false]);
      const second = nextMessage(ws);
      await server.sendBytes(id, Buffer.from([1, 2, 3]));
      expect(await second).to.deep.equal([Buffer.from([1, 2, 3]), true]);
    });

    it('every method rejects an unknown ConnectionId with 126', async () => {
      const { server } = await startServer();
      const calls: Array<() => Promise<unknown>> = [
        () => server.sendText(99, 'x'),
        () => server.sendBytes(99, Buffer.from('x')),
        () => server.send(99, 'x'),
        () => server.sendFile(99, __filename),
        () => server.ping(99),
        () => server.disconnect(99),
        () => server.interrupt(99),
        () => server.pauseData(99),
        () => server.processData(99),
        () => server.changeLineMode(99, true),
      ];
      for (const call of calls) {
        const error = await rejection(call());
        expect([error.code, error.message]).to.deep.equal([126, 'Invalid ConnectionId.']);
      }
      expect(thrown(() => server.setDataToSend(99, 'x')).code).to.equal(126);
      expect(thrown(() => server.config('MaxLineLength[99]')).code).to.equal(126);
    });
  });

  describe('Disconnect', () => {
    it('sends a close frame with DisconnectStatusCode and DisconnectStatusDescription', async () => {
      const { server, port } = await startServer();
      server.config('DisconnectStatusCode=4001');
      server.config('DisconnectStatusDescription=go away');
      const { client, id } = await rawConnection(server, port);
      const disconnected = nextEvent(server, 'Disconnected');
      const done = server.disconnect(id);
      expect(await client.readClose()).to.deep.equal({ code: 4001, reason: 'go away' });
      client.sendClose(4001);
      await done;
      expect(await disconnected).to.deep.equal({ connectionId: id, statusCode: 4001, description: '' });
      await client.waitForEnd();
    });

    it('a ws client sees the close code and reason', async () => {
      const { server, port } = await startServer();
      server.config('DisconnectStatusDescription=bye');
      const { ws, id } = await wsConnection(server, port);
      const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
      await server.disconnect(id);
      expect(await closed).to.deep.equal([1000, 'bye']);
      expect(server.wsConnectionCount).to.equal(0);
    });

    it('sends nothing more after the close frame: later sends fail with 614', async () => {
      const { server, port } = await startServer();
      const { id } = await rawConnection(server, port);
      void server.disconnect(id);
      const error = await rejection(server.sendText(id, 'too late'));
      expect([error.code, error.message]).to.deep.equal([614, 'The connection is closed.']);
    });
  });

  describe('Ping', () => {
    it('with Timeout 0 resolves once the ping is queued; the pong shows up as a Ping event', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const pings = record(server, 'Ping');
      await server.ping(id);
      const ping = await client.readFrame();
      expect(ping.opcode).to.equal(9);
      expect(ping.payload).to.have.length(4);
      client.sendFrame(10, ping.payload);
      await eventually(() => pings.length === 1, 2000, 'the Ping event');
      const event = pings[0]![1];
      expect(event.connectionId).to.equal(id);
      expect(event.response).to.equal(true);
      expect(event.payloadB).to.deep.equal(ping.payload);
      expect(event.payload).to.equal(ping.payload.toString('latin1'));
    });

    it('with Timeout > 0 resolves when the matching pong arrives', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      connection.timeout = 2;
      let settled = false;
      const pinging = server.ping(id).then(() => (settled = true));
      const ping = await client.readFrame();
      client.sendFrame(10, Buffer.from('not it'));
      await delay(50);
      expect(settled).to.equal(false);
      client.sendFrame(10, ping.payload);
      await pinging;
      expect(settled).to.equal(true);
    });

    it('with Timeout > 0 fails with 609 when no pong comes', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      connection.timeout = 1;
      const started = Date.now();
      const error = await rejection(server.ping(id));
      expect([error.code, error.message]).to.deep.equal([609, 'Timeout.']);
      expect(Date.now() - started).to.be.within(900, 1900);
      expect(connection.connected).to.equal(true);
    });

    it('a ws client answers the ping itself', async () => {
      const { server, port } = await startServer();
      const { id } = await wsConnection(server, port);
      server.connection(id).timeout = 2;
      const pong = nextEvent(server, 'Ping');
      await server.ping(id);
      expect((await pong).response).to.equal(true);
    });

    it("answers the client's ping with a pong of the same payload and fires Ping (response false)", async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      const ping = nextEvent(server, 'Ping');
      client.sendFrame(9, Buffer.from('are you there'));
      expect(await client.readFrame()).to.deep.equal({ fin: true, rsv1: false, opcode: 10, payload: Buffer.from('are you there') });
      const event = await ping;
      expect([event.connectionId, event.payload, event.response]).to.deep.equal([id, 'are you there', false]);
    });
  });

  describe('PauseData and ProcessData', () => {
    it('pause reception like AcceptData = false, and resume it with nothing lost', async () => {
      const { server, port } = await startServer();
      const { client, id, connection } = await rawConnection(server, port);
      const data = record(server, 'DataIn');
      await server.pauseData(id);
      expect(connection.acceptData).to.equal(false);
      client.sendText('held 1');
      client.sendBinary(Buffer.from('held 2'));
      await delay(80);
      expect(data).to.have.length(0);
      await server.processData(id);
      expect(connection.acceptData).to.equal(true);
      await eventually(() => data.length === 2, 2000, 'the held messages');
      expect(data.map(([, e]) => [e.dataFormat, e.text])).to.deep.equal([
        [1, 'held 1'],
        [2, 'held 2'],
      ]);
    });
  });

  describe('StartListening, StopListening, Shutdown', () => {
    it('StartListening twice fails with 104', async () => {
      const { server } = await startServer();
      const error = await rejection(server.startListening());
      expect(error).to.be.instanceOf(WSServerError);
      expect([error.code, error.message]).to.deep.equal([104, 'SSLServer is already listening.']);
    });

    it('StopListening refuses new clients while existing connections keep working', async () => {
      const { server, port } = await startServer();
      server.on('DataIn', (e) => void server.sendText(e.connectionId, e.text.toUpperCase()));
      const { client } = await rawConnection(server, port);
      await server.stopListening();
      expect(server.listening).to.equal(false);
      const refused = await RawClient.connect(port).then(
        (c) => (c.destroy(), 'connected'),
        (e: NodeJS.ErrnoException) => e.code,
      );
      expect(refused).to.equal('ECONNREFUSED');
      client.sendText('still here');
      expect((await client.readMessage()).data.toString()).to.equal('STILL HERE');
    });

    it('StartListening after StopListening listens again', async () => {
      const { server } = await startServer();
      await server.stopListening();
      await server.startListening();
      const client = track(await RawClient.open(server.localPort));
      expect(client.closed).to.equal(false);
    });

    it('Shutdown sends what was queued, then closes every connection as Disconnect does (1000, no reason, by default)', async () => {
      const { server, port } = await startServer();
      const a = await rawConnection(server, port);
      const b = await rawConnection(server, port);
      const disconnected = record(server, 'Disconnected');
      for (let i = 0; i < 3; i++) void server.sendText(a.id, `last words ${i}`);
      void server.sendBytes(b.id, Buffer.alloc(300 * 1024, 7));
      const down = server.shutdown();
      expect(server.listening).to.equal(false);
      for (let i = 0; i < 3; i++) expect((await a.client.readMessage()).data.toString()).to.equal(`last words ${i}`);
      const big = await b.client.readMessage();
      expect(big.data.equals(Buffer.alloc(300 * 1024, 7))).to.equal(true);
      for (const { client } of [a, b]) {
        expect(await client.readClose()).to.deep.equal({ code: 1000, reason: '' });
        client.sendClose(1000);
      }
      await down;
      expect(server.wsConnectionCount).to.equal(0);
      expect(disconnected.map(([, e]) => e.statusCode)).to.deep.equal([1000, 1000]);
    });

    it('Shutdown closes with DisconnectStatusCode and DisconnectStatusDescription', async () => {
      const { server, port } = await startServer();
      server.config('DisconnectStatusCode=4000');
      server.config('DisconnectStatusDescription=maintenance window');
      const a = await rawConnection(server, port);
      const b = await rawConnection(server, port);
      const disconnected = record(server, 'Disconnected');
      const down = server.shutdown();
      for (const { client } of [a, b]) {
        expect(await client.readClose()).to.deep.equal({ code: 4000, reason: 'maintenance window' });
        client.sendClose(4000);
      }
      await down;
      expect(disconnected.map(([, e]) => e.statusCode)).to.deep.equal([4000, 4000]);
    });

    it('Shutdown closes ws clients with 1000 and resolves once they are gone', async () => {
      const { server, port } = await startServer();
      const { ws } = await wsConnection(server, port);
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      await server.shutdown();
      expect(await closed).to.equal(1000);
      expect(server.wsConnectionCount).to.equal(0);
    });

    it('Shutdown drops connections still in the handshake', async () => {
      const { server, port } = await startServer();
      const client = track(await RawClient.connect(port));
      client.write('GET / HTTP/1.1\r\nHost: x\r\n');
      await eventually(() => server.wsConnectionCount === 1, 2000, 'the connection');
      await server.shutdown();
      await client.waitForEnd();
      expect(server.wsConnectionCount).to.equal(0);
    });

    it('a server that never listened shuts down quietly', async () => {
      const server = new WSServer();
      await server.shutdown();
      await server.stopListening();
      expect(server.listening).to.equal(false);
    });
  });
});
