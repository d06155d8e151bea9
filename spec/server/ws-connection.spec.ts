import { expect } from 'chai';
import { RawClient } from '../helpers/raw-client';
import { clientFrame } from '../helpers/frames';
import { delay, eventually, startServer } from '../helpers/server';
import { cleanup, doEventsLoop, rawConnection, record, track } from '../helpers/engine';

describe('WSConnection', () => {
  afterEach(cleanup);

  describe('line mode', () => {
    it('fires DataIn per line: LF ends a line, a CR before it is stripped, eol true, dataformat 0', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      await server.changeLineMode(id, true);
      const data = record(server, 'DataIn');
      client.sendText('one\r\ntwo\nthr');
      client.sendText('ee\n');
      await eventually(() => data.length === 3, 2000, 'three lines');
      expect(data.map(([, e]) => [e.dataFormat, e.text, e.eol])).to.deep.equal([
        [0, 'one', true],
        [0, 'two', true],
        [0, 'three', true],
      ]);
    });

    it('a line longer than MaxLineLength comes in MaxLineLength pieces with eol false', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      server.config(`MaxLineLength[${id}]=256`);
      await server.changeLineMode(id, true);
      const data = record(server, 'DataIn');
      client.sendText(`${'x'.repeat(600)}\n`);
      await eventually(() => data.length === 3, 2000, 'three pieces');
      expect(data.map(([, e]) => [e.textB.length, e.eol])).to.deep.equal([
        [256, false],
        [256, false],
        [88, true],
      ]);
    });

    it('a CR on its own is data', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      await server.changeLineMode(id, true);
      const data = record(server, 'DataIn');
      client.sendBinary(Buffer.from('a\rb\n'));
      await eventually(() => data.length === 1, 2000, 'the line');
      expect(data[0]![1].textB).to.deep.equal(Buffer.from('a\rb'));
    });

    it('switching line mode off hands out what was gathered (eol false), then DataIn per message again', async () => {
      const { server, port } = await startServer();
      const { client, id } = await rawConnection(server, port);
      await server.changeLineMode(id, true);
      const data = record(server, 'DataIn');
      client.sendText('partial');
      await delay(50);
      expect(data).to.deep.equal([]);
      await server.changeLineMode(id, false);
      expect(data.map(([, e]) => [e.dataFormat, e.text, e.eol])).to.deep.equal([[0, 'partial', false]]);
      client.sendText('whole\nmessage');
      await eventually(() => data.length === 2, 2000, 'the message');
      expect(data.map(([, e]) => [e.dataFormat, e.text, e.eom, e.eol])[1]).to.deep.equal([1, 'whole\nmessage', true, false]);
    });
  });

  describe('the first frames', () => {
    it('frames sent right behind the upgrade request, in the same write, are delivered', async () => {
      const { server, port } = await startServer();
      server.on('DataIn', (e) => void server.sendText(e.connectionId, e.text));
      const client = track(await RawClient.connect(port));
      client.write(Buffer.concat([Buffer.from(client.upgradeRequest()), clientFrame(1, 'early')]));
      expect((await client.readHttpResponse()).status).to.equal(101);
      expect((await client.readMessage()).data.toString()).to.equal('early');
    });

    it('frames sent while WebSocketOpenRequest waits for DoEvents are delivered after it', async () => {
      const { server, port } = await startServer({ config: { ProcessIdleEvents: false } });
      const data = record(server, 'DataIn');
      server.on('WebSocketOpenRequest', () => undefined);
      const client = track(await RawClient.connect(port));
      client.write(client.upgradeRequest());
      await delay(30);
      client.write(clientFrame(1, 'while waiting'));
      await delay(30);
      const stop = doEventsLoop(server);
      try {
        expect((await client.readHttpResponse()).status).to.equal(101);
        await eventually(() => data.length === 1, 2000, 'DataIn');
        expect(data[0]![1].text).to.equal('while waiting');
      } finally {
        await stop();
      }
    });

    it('AcceptData set false in WebSocketOpenRequest holds even the pipelined frames', async () => {
      const { server, port } = await startServer();
      const data = record(server, 'DataIn');
      server.on('WebSocketOpenRequest', (e) => (server.connection(e.connectionId).acceptData = false));
      const client = track(await RawClient.connect(port));
      client.write(Buffer.concat([Buffer.from(client.upgradeRequest()), clientFrame(1, 'first'), clientFrame(1, 'second')]));
      expect((await client.readHttpResponse()).status).to.equal(101);
      await delay(50);
      expect(data).to.deep.equal([]);
      const [connection] = server.connections.values();
      connection!.acceptData = true;
      await eventually(() => data.length === 2, 2000, 'the held frames');
      expect(data.map(([, e]) => e.text)).to.deep.equal(['first', 'second']);
    });
  });

  describe('output', () => {
    it('queuedBytes counts what waits to be written', async () => {
      const { server, port } = await startServer();
      const { id, connection } = await rawConnection(server, port);
      expect(connection.queuedBytes).to.equal(0);
      void server.sendBytes(id, Buffer.alloc(100));
      expect(connection.queuedBytes).to.equal(102);
      await eventually(() => connection.queuedBytes === 0, 2000, 'the queue to drain');
    });

    it('many small sends in one turn leave as one TCP write', async () => {
      const { server, port } = await startServer({ config: { LogLevel: 3 } });
      const { client, id } = await rawConnection(server, port);
      const logs = record(server, 'Log');
      for (let i = 0; i < 10; i++) void server.sendText(id, `m${i}`);
      for (let i = 0; i < 10; i++) expect((await client.readMessage()).data.toString()).to.equal(`m${i}`);
      const sent = logs.filter(([, e]) => (e.message as string).startsWith('Sent'));
      expect(sent.map(([, e]) => e.message)).to.deep.equal([`Sent 40 bytes: ${Buffer.concat(Array.from({ length: 10 }, (_, i) => Buffer.from([0x81, 2, 0x6d, 0x30 + i]))).subarray(0, 32).toString('hex')}…`]);
    });
  });
});
