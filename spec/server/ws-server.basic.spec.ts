import { expect } from 'chai';
import WebSocket from 'ws';
import { RawClient } from '../helpers/raw-client';
import { nextEvent, startServer, stopServers } from '../helpers/server';

describe('WSServer basics', () => {
  afterEach(stopServers);

  it('echoes text with the raw client', async () => {
    const { server, port } = await startServer();
    server.on('DataIn', (e) => void server.sendText(e.connectionId, e.text));
    const client = await RawClient.open(port);
    client.sendText('hello');
    const message = await client.readMessage();
    expect(message.opcode).to.equal(1);
    expect(message.data.toString()).to.equal('hello');
    client.destroy();
  });

  it('echoes text and binary with the ws client (permessage-deflate on)', async () => {
    const { server, port } = await startServer();
    server.on('DataIn', (e) => void (e.dataFormat === 1 ? server.sendText(e.connectionId, e.text) : server.sendBytes(e.connectionId, e.textB)));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    expect(ws.extensions).to.contain('permessage-deflate');
    const got: Array<[string, boolean]> = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data, isBinary) => {
        got.push([isBinary ? (data as Buffer).toString('hex') : data.toString(), isBinary]);
        if (got.length === 2) resolve();
      }),
    );
    ws.send('héllo wörld'.repeat(20));
    ws.send(Buffer.from([1, 2, 3, 250]));
    await done;
    expect(got).to.deep.equal([
      ['héllo wörld'.repeat(20), false],
      ['010203fa', true],
    ]);
    const disconnected = nextEvent(server, 'Disconnected');
    ws.close(4000, 'bye');
    const event = await disconnected;
    expect(event.statusCode).to.equal(4000);
    expect(event.description).to.equal('bye');
  });
});
