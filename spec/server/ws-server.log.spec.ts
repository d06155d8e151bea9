import { expect } from 'chai';
import type { WSServer } from '../../lib/server/ws-server';
import { nextEvent, startServer } from '../helpers/server';
import { cleanup, rawConnection, record } from '../helpers/engine';

/** One connection's life: handshake (with an Authorization header), one echoed 'hi', the client's close. */
async function lifecycle(server: WSServer, port: number): Promise<{ id: number; clientPort: number }> {
  server.on('DataIn', (e) => void server.sendText(e.connectionId, e.text));
  const { client, id } = await rawConnection(server, port, {
    path: '/logged?x=1',
    headers: { Authorization: 'Basic c2VjcmV0', Cookie: 'session=42' },
  });
  const clientPort = client.socket.localPort!;
  client.sendText('hi');
  await client.readMessage();
  const disconnected = nextEvent(server, 'Disconnected');
  client.sendClose(1000, 'bye');
  await disconnected;
  return { id, clientPort };
}

describe('WSServer Log event and LogLevel', () => {
  afterEach(cleanup);

  it('LogLevel 0 logs nothing', async () => {
    const { server, port } = await startServer({ config: { LogLevel: 0 } });
    const logs = record(server, 'Log');
    await lifecycle(server, port);
    expect(logs).to.deep.equal([]);
  });

  it('LogLevel 1 (default) logs connection events: request, URL and HTTP version, open, close', async () => {
    const { server, port } = await startServer();
    expect(server.config('LogLevel')).to.equal('1');
    const logs = record(server, 'Log');
    const { id, clientPort } = await lifecycle(server, port);
    expect(logs.map(([, e]) => e)).to.deep.equal([
      { connectionId: id, logLevel: 1, message: `Connection request from 127.0.0.1:${clientPort}.`, logType: 'Info' },
      { connectionId: id, logLevel: 1, message: 'GET /logged?x=1 HTTP/1.1', logType: 'Info' },
      { connectionId: id, logLevel: 1, message: 'WebSocket opened.', logType: 'Info' },
      { connectionId: id, logLevel: 1, message: 'Close received (1000 bye).', logType: 'Info' },
      { connectionId: id, logLevel: 1, message: 'Disconnected (1000).', logType: 'Info' },
    ]);
  });

  it('LogLevel 2 adds the request headers', async () => {
    const { server, port } = await startServer({ config: { LogLevel: 2 } });
    const logs = record(server, 'Log');
    await lifecycle(server, port);
    const verbose = logs.filter(([, e]) => e.logLevel === 2).map(([, e]) => [e.logType, e.message]);
    expect(verbose.slice(0, 3)).to.deep.equal([
      ['Verbose', 'Host: localhost'],
      ['Verbose', 'Upgrade: websocket'],
      ['Verbose', 'Connection: Upgrade'],
    ]);
    expect(verbose.map(([, m]) => m)).to.include.members(['Sec-WebSocket-Version: 13', 'Authorization: Basic c2VjcmV0', 'Cookie: session=42']);
    expect(logs.filter(([, e]) => e.logLevel === 3)).to.deep.equal([]);
  });

  it('LogLevel 3 adds the frames, as the bytes read and written', async () => {
    const { server, port } = await startServer({ config: { LogLevel: 3 } });
    const logs = record(server, 'Log');
    await lifecycle(server, port);
    const debug = logs.filter(([, e]) => e.logLevel === 3).map(([, e]) => [e.logType, e.message]);
    expect(debug).to.deep.equal([
      // The client's masked 'hi' (mask 37 fa 21 3d), our unmasked echo, its close 1000 'bye', our reply.
      ['Debug', 'Received 8 bytes: 818237fa213d5f93'],
      ['Debug', 'Sent 4 bytes: 81026869'],
      ['Debug', 'Received 11 bytes: 888537fa213d3412434452'],
      ['Debug', 'Sent 4 bytes: 880203e8'],
    ]);
  });

  it('MaskSensitive hides credentials in the logged headers', async () => {
    const { server, port } = await startServer({ config: { LogLevel: 2, MaskSensitive: true } });
    const logs = record(server, 'Log');
    await lifecycle(server, port);
    const messages = logs.map(([, e]) => e.message as string);
    expect(messages).to.include.members(['Authorization: ********', 'Cookie: ********', 'Host: localhost']);
    expect(messages.join('\n')).to.not.contain('c2VjcmV0');
  });

  it('logs a protocol error with logType Error', async () => {
    const { server, port } = await startServer();
    const logs = record(server, 'Log');
    const { client, id } = await rawConnection(server, port);
    client.sendFrame(1, 'x', { mask: null });
    await client.readClose();
    const errors = logs.filter(([, e]) => e.logType === 'Error').map(([, e]) => [e.connectionId, e.message]);
    expect(errors).to.deep.equal([[id, 'Protocol error: client frames must be masked (close 1002).']]);
  });
});
