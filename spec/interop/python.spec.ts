import { expect } from 'chai';
import type { WSServer } from '../../lib/server/ws-server';
import type { DisconnectedEvent, PingEvent } from '../../lib/server/events';
import { startServer, stopServers } from '../helpers/server';
import { echoEveryMessage } from '../conformance/echo-servers';
import { EXCHANGE } from './exchange';
import { runPythonClient as python } from './tools';

/** An echo server on loopback that keeps whole messages (BufferMessage) and their type. */
async function echoServer(): Promise<{ server: WSServer; url: string }> {
  const { server, port } = await startServer({ config: { BufferMessage: true } });
  echoEveryMessage(server);
  return { server, url: `ws://127.0.0.1:${port}/interop` };
}

describe('Interop: Python websockets client', function () {
  this.timeout(30000);
  afterEach(stopServers);

  it('echoes text and binary (empty, 125/126/65535/65536 bytes, 1 MiB, non-ASCII) with permessage-deflate', async () => {
    const { server, url } = await echoServer();
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'echo', '--compression', 'deflate');
    expect(report.extensions).to.match(/^permessage-deflate/);
    expect(report.results.map((r: any) => [r.kind, r.size, r.ok])).to.deep.equal(EXCHANGE.map(([kind, size]) => [kind, size, true]));
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([1000, 'echo done']);
  });

  it('echoes the same exchange without compression', async () => {
    const { server, url } = await echoServer();
    const opened = new Promise<string>((resolve) => server.once('Connected', (e) => resolve(server.connections.get(e.connectionId)!.extensions)));
    const report = await python(url, 'echo', '--compression', 'none');
    expect(report.extensions).to.equal(null);
    expect(await opened).to.equal('');
    expect(report.results.every((r: any) => r.ok)).to.equal(true);
    expect(report.results).to.have.length(EXCHANGE.length);
  });

  it('selects the subprotocol the server chose among the offered ones', async () => {
    const { server, url } = await echoServer();
    const offered: string[] = [];
    server.on('WebSocketOpenRequest', (e) => {
      offered.push(e.subProtocols);
      e.subProtocols = 'chat';
    });
    const protocol = new Promise<string>((resolve) => server.once('Connected', (e) => resolve(server.connections.get(e.connectionId)!.protocol)));
    const report = await python(url, 'subprotocol');
    expect(offered).to.deep.equal(['superchat, chat']);
    expect(report.subprotocol).to.equal('chat');
    expect(report.reply).to.equal('which protocol?');
    expect(await protocol).to.equal('chat');
  });

  it('answers a ping with its payload (and reports it in the Ping event)', async () => {
    const { server, url } = await echoServer();
    const pings: PingEvent[] = [];
    server.on('Ping', (e) => pings.push(e));
    const report = await python(url, 'ping');
    expect(report.pong).to.equal(true);
    expect(pings.map((p) => [p.payloadB.toString(), p.response])).to.deep.equal([['interop-ping', false]]);
  });

  it('sees the client close 1000 with its reason', async () => {
    const { server, url } = await echoServer();
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'client-close');
    // What the client received back: the server's close reply (its reason is the server's own choice).
    expect(report.close_code).to.equal(1000);
    const event = await disconnected;
    expect([event.statusCode, event.description]).to.deep.equal([1000, 'python done']);
  });

  it('closes from the server with DisconnectStatusCode/DisconnectStatusDescription', async () => {
    const { server, url } = await echoServer();
    server.config('DisconnectStatusCode=4001');
    server.config('DisconnectStatusDescription=bye from the server');
    server.removeAllListeners('DataIn');
    server.on('DataIn', (e) => {
      if (e.text === 'close me') void server.disconnect(e.connectionId);
    });
    const disconnected = new Promise<DisconnectedEvent>((resolve) => server.once('Disconnected', resolve));
    const report = await python(url, 'server-close');
    expect(report).to.include({ code: 4001, reason: 'bye from the server', sent_code: 4001 });
    const event = await disconnected;
    expect(event.statusCode).to.equal(4001);
  });
});
